"""Tensor core: dtypes, devices, storage, metadata and modes. Knows nothing of ops."""
