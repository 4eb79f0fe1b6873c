"""Checkpoints: PyTorch ``.pt`` interop without pickle execution, a typed envelope with
content hashes, atomic writes and RaptorQ repair sidecars."""
from __future__ import annotations

from .allowlist import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .errors import *  # noqa: F401,F403
from .loader import load
from .saver import save

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]
