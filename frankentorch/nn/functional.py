"""``frankentorch.nn.functional``: PyTorch's functional API over the op registry."""
from __future__ import annotations
