"""``frankentorch.linalg``: PyTorch's linear-algebra namespace over the op registry."""
from __future__ import annotations
