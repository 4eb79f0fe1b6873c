"""strict / hardened mode selection (process-wide, FRANKENTORCH_MODE at import)."""
from __future__ import annotations

import contextlib
import os

__all__ = ["set_mode", "get_mode", "using_mode", "MODES"]

MODES = ("strict", "hardened")


def _checked(name: str) -> str:
    if name not in MODES:
        raise ValueError(f"unknown frankentorch mode {name!r}; expected one of {MODES}")
    return name


_current = _checked(os.environ.get("FRANKENTORCH_MODE", "strict") or "strict")


def set_mode(name: str) -> None:
    """Select 'strict' (PyTorch's behaviour exactly) or 'hardened' (plus defensive checks)."""
    global _current
    _current = _checked(name)


def get_mode() -> str:
    return _current


def is_hardened() -> bool:
    return _current == "hardened"


@contextlib.contextmanager
def using_mode(name: str):
    """Run a block in the given mode and restore the previous one afterwards."""
    previous = get_mode()
    set_mode(name)
    try:
        yield
    finally:
        set_mode(previous)
