"""Basic indexing: ints, slices (positive steps), None and Ellipsis, for reads and writes."""
from __future__ import annotations

from .._tensor import Tensor
from .copy import _copy_, copy_into
from .views import _select, _slice, _unsqueeze, make_view
from . import iterator as it

__all__ = ["getitem", "setitem"]


def _expand_key(key) -> tuple:
    if not isinstance(key, tuple):
        key = (key,)
    return key


def getitem(self: Tensor, key) -> Tensor:
    """``self[key]`` as a view, with PyTorch's errors for bad indices."""
    if isinstance(key, slice) and key.step is not None and _index(key.step) == 0:
        raise ValueError("slice step cannot be zero")  # a bare slice is unpacked first
    items = _expand_key(key)
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    if consumed > self.ndim:
        if self.ndim == 0 and any(not isinstance(k, slice) for k in items
                                  if k is not None and k is not Ellipsis):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                             "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                             "number")
        raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
    result = make_view(self, self._shape, self._stride, self._offset)
    dim = 0
    for k in items:
        if k is None:
            result = _unsqueeze(result, dim)
            dim += 1
        elif k is Ellipsis:
            dim += max(self.ndim - consumed, 0)
        elif isinstance(k, slice):
            step = 1 if k.step is None else _index(k.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            result = _slice(result, dim, None if k.start is None else _index(k.start),
                            None if k.stop is None else _index(k.stop), step)
            dim += 1
        elif isinstance(k, bool) or not hasattr(k, "__index__"):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got "
                             f"{type(k).__name__})")
        else:
            i = _index(k)
            size = result._shape[dim]
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            result = _select(result, dim, i)
    return result


def _index(v) -> int:
    if isinstance(v, Tensor):
        if v._dtype.is_floating_point or v.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(v.item())
    return v.__index__()


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value``: copy (broadcasting, converting) into the indexed view."""
    target = getitem(self, key)
    if isinstance(value, Tensor):
        _copy_(target, value)
    elif it.is_number(value):
        copy_into(target, value)
        self._bump_version()
    else:
        raise TypeError(f"can't assign a {type(value).__name__} to a "
                        f"{self.dtype} tensor")
