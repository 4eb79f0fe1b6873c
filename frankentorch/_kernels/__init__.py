"""Numba kernels over flat buffers + int64 shape/stride arrays. Imported lazily (first use)."""
