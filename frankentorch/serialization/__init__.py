"""Checkpoints: PyTorch ``.pt`` interop without pickle execution, a typed envelope with
content hashes, atomic writes and RaptorQ repair sidecars.

Submodules load on first use, so ``import frankentorch`` stays fast.
"""
from __future__ import annotations

import importlib

from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "write_sidecar", "verify", "repair", "verify_checkpoint",
           "decode_envelope", *_errors]

_LAZY = {
    "add_safe_globals": "allowlist", "get_safe_globals": "allowlist",
    "clear_safe_globals": "allowlist", "safe_globals": "allowlist",
    "write_sidecar": "sidecar", "verify": "sidecar", "repair": "sidecar",
    "verify_checkpoint": "audit", "decode_envelope": "envelope",
}


def save(obj, f, *args, **kwargs) -> None:
    """Save ``obj`` in PyTorch's zip format (see :func:`frankentorch.serialization.saver.save`)."""
    from .saver import save as _save
    _save(obj, f, *args, **kwargs)


def load(f, *args, **kwargs):
    """Load a ``.pt`` file without executing pickle code (see
    :func:`frankentorch.serialization.loader.load`)."""
    from .loader import load as _load
    return _load(f, *args, **kwargs)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'frankentorch.serialization' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
