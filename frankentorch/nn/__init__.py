"""Neural-network building blocks (``frankentorch.nn``)."""
from . import functional  # noqa: F401
