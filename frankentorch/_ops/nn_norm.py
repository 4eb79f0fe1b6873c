"""Normalisation ops: batch_norm, layer_norm, group_norm (native kernels with derivatives)."""
from __future__ import annotations

__all__ = []
