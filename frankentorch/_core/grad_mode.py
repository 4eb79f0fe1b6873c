"""Whether autograd records (c10's thread-local GradMode)."""
from __future__ import annotations

import threading

__all__ = ["is_grad_enabled", "set_grad_enabled_flag"]


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def set_grad_enabled_flag(mode: bool) -> None:
    _state.enabled = bool(mode)
