"""``Parameter`` and ``Buffer``: tensors that a ``Module`` registers when they are assigned."""
from __future__ import annotations

from .._tensor import Tensor, make_tensor

__all__ = ["Parameter", "Buffer"]


def _alias(data: Tensor, cls: type) -> Tensor:
    """A leaf of class ``cls`` sharing ``data``'s storage and geometry (no autograd history)."""
    t = make_tensor(data._storage, data._shape, data._stride, data._offset, data._dtype,
                    data._device, check=False)
    t.__class__ = cls
    return t


class _FlaggedMeta(type):
    """``isinstance(t, Buffer)`` holds for any tensor flagged as a buffer, as in torch."""

    def __instancecheck__(cls, instance) -> bool:
        if cls.__dict__.get("_flag") and getattr(instance, cls._flag, False) \
                and isinstance(instance, Tensor):
            return True
        return super().__instancecheck__(instance)


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a ``Module`` attribute registers
    it, and it requires grad by default (even under ``no_grad``)."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from .. import empty
            data = empty(0)
        if requires_grad and not data.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t = _alias(data, cls)
        t._requires_grad = bool(requires_grad)
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


class Buffer(Tensor, metaclass=_FlaggedMeta):
    """A tensor that is module state but not a parameter (like BatchNorm's running mean):
    assigning one to a ``Module`` attribute registers it as a buffer. Construction returns a
    plain tensor flagged as a buffer, as in torch."""

    _flag = "_is_buffer"

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            from .. import empty
            data = empty(0)
        t = _alias(data, Tensor)
        t._requires_grad = data.requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t
