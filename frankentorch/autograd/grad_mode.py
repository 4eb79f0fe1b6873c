"""Grad-mode context managers: no_grad, enable_grad, set_grad_enabled, inference_mode."""
from __future__ import annotations

import functools

from .._core import grad_mode as _state
from .._dispatch import keys as K

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]

is_grad_enabled = _state.is_grad_enabled


class _Mode:
    """Base: a context manager that is also a decorator."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)
        return wrapper

    _args: tuple = ()


class set_grad_enabled(_Mode):
    """Turn recording on or off (immediately, and restored when used as a context)."""

    def __init__(self, mode: bool) -> None:
        self._args = (mode,)
        self._prev = _state.is_grad_enabled()
        _state.set_grad_enabled_flag(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        _state.set_grad_enabled_flag(self._prev)


class no_grad(_Mode):
    def __enter__(self):
        self._prev = _state.is_grad_enabled()
        _state.set_grad_enabled_flag(False)

    def __exit__(self, *exc) -> None:
        _state.set_grad_enabled_flag(self._prev)


class enable_grad(_Mode):
    def __enter__(self):
        self._prev = _state.is_grad_enabled()
        _state.set_grad_enabled_flag(True)

    def __exit__(self, *exc) -> None:
        _state.set_grad_enabled_flag(self._prev)


class inference_mode(_Mode):
    """No recording and the autograd keys excluded from dispatch (c10's InferenceMode)."""

    def __init__(self, mode: bool = True) -> None:
        self._args = (mode,)
        self._mode = mode

    def __enter__(self):
        self._prev = _state.is_grad_enabled()
        self._guard = K.exclude_keys(K.autograd_dispatch_keyset_with_ADInplaceOrView) \
            if self._mode else None
        if self._guard is not None:
            self._guard.__enter__()
            _state.set_grad_enabled_flag(False)

    def __exit__(self, *exc) -> None:
        if self._guard is not None:
            self._guard.__exit__(*exc)
        _state.set_grad_enabled_flag(self._prev)


def is_inference_mode_enabled() -> bool:
    return K.tls_is_dispatch_key_excluded(K.DispatchKey.ADInplaceOrView)
