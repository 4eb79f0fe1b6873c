"""Utilities: hooks handles and data loading (``frankentorch.utils.data``)."""
from . import data, hooks  # noqa: F401
