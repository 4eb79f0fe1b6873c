"""``Tensor.__getitem__`` / ``__setitem__`` with PyTorch's rules.

Basic items (ints, slices with positive steps, None, Ellipsis, 0-d integer tensors) build a
view; advanced items (integer tensors, lists, bool masks, Python bools) are recorded against
the dims of that view and then applied by ``index`` / ``index_put_`` (a copy / a write), as
torch's ``applySlicing`` followed by ``at::index`` does. Adjacent advanced indices keep their
place in the result; separated ones move to the front.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._core import dtype as D
from .._tensor import Tensor, empty_tensor, from_array
from .index_ops import ADV_INDEX_ERROR, _index_put_impl_, _scalar_value, index
from .views import alias, select, slice_op, unsqueeze
from . import iterator as it

__all__ = ["getitem", "setitem"]

_TENSOR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                      "int32": "Int", "int64": "Long", "float16": "Half",
                      "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple, str, np.ndarray))


def _treat_as_tuple(key) -> bool:
    """torch's treatSequenceAsTuple (NumPy's heuristic for non-tuple sequences)."""
    if isinstance(key, tuple):
        return True
    if isinstance(key, Tensor) or not isinstance(key, (list, str)):
        return False
    if len(key) >= 32:
        return False
    return any(isinstance(k, (Tensor, slice)) or _is_sequence(k) or k is Ellipsis or k is None
               for k in key)


def _expand_key(key) -> tuple:
    if isinstance(key, tuple):
        return key
    if _treat_as_tuple(key):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                      "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. "
                      "In pytorch 2.9 this will be interpreted as tensor index, "
                      "x[torch.tensor(seq)], which will result either in an error or a "
                      "different result", UserWarning, stacklevel=4)
        return tuple(key)
    return (key,)


def _sequence_index(obj) -> np.ndarray:
    """A list (or array) used as an index: a bool mask when all bools, else int64 values
    (torch's indexing_tensor_from_data)."""
    if isinstance(obj, str):
        raise TypeError("new(): invalid data type 'str'")
    try:
        arr = np.array(obj)
    except (ValueError, TypeError) as e:
        raise ValueError(str(e)) from None
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind not in "iuf":
        raise TypeError("new(): invalid data type 'str'")
    return arr.astype(np.int64)


def _classify(k):
    """(kind, value, dims consumed) of one key item."""
    if k is None:
        return "none", None, 0
    if k is Ellipsis:
        return "ellipsis", None, 0
    if isinstance(k, bool) or isinstance(k, np.bool_):
        return "bool", bool(k), 0
    if isinstance(k, slice):
        return "slice", k, 1
    if isinstance(k, Tensor):
        dt = k._dtype
        if k.ndim == 0 and not dt.is_floating_point:
            if dt is D.bool_ or dt is D.uint8:
                return "bool", bool(k.item()), 0
            return "int", int(k.item()), 1
        if dt is D.bool_ or dt is D.uint8:
            return "mask", k, k.ndim
        if dt is not D.int64 and dt is not D.int32:
            raise IndexError(ADV_INDEX_ERROR)
        return "tensor", k, 1
    if _is_sequence(k):
        arr = _sequence_index(k)
        return ("mask", arr, arr.ndim) if arr.dtype == np.bool_ else ("tensor", arr, 1)
    if hasattr(k, "__index__"):
        return "int", k.__index__(), 1
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _apply(self: Tensor, key, for_write: bool = False):
    """torch's applySlicing: the basic view and the advanced indices aligned to its dims
    (None when there are none). A write (``for_write``) skips slices that keep a whole dim and
    targets ``self`` itself when nothing else narrows it, as torch's setitem does."""
    if isinstance(key, slice) and key.step is not None and _index(key.step) == 0:
        raise ValueError("slice step cannot be zero")  # a bare slice is unpacked first
    items = [_classify(k) for k in _expand_key(key)]
    consumed = sum(n for _, _, n in items)
    if consumed > self.ndim:
        if self.ndim == 0 and any(kind == "int" for kind, _, _ in items):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                             "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                             "number")
        raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
    # each step is an op, so autograd records the views an index is made of
    result = self
    adv: list = []  # (dim, index object)
    dim = 0
    for kind, k, n in items:
        if kind == "none":
            result = unsqueeze(result, dim)
            dim += 1
        elif kind == "ellipsis":
            dim += max(self.ndim - consumed, 0)
        elif kind == "slice":
            step = 1 if k.step is None else _index(k.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            start = None if k.start is None else _index(k.start)
            stop = None if k.stop is None else _index(k.stop)
            if not (for_write and step == 1 and start in (None, 0) and
                    (stop is None or stop >= result._shape[dim])):
                result = slice_op(result, dim, start, stop, step)
            dim += 1
        elif kind == "int":
            size = result._shape[dim]
            if k < -size or k >= size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            result = select(result, dim, k)
        elif kind == "bool":
            result = unsqueeze(result, dim)
            adv.append((dim, np.zeros(1 if k else 0, dtype=np.int64)))
            dim += 1
        else:  # "mask" (k dims) or "tensor" (one dim)
            adv.append((dim, k))
            dim += n
    if result is self and not for_write:
        result = alias(self)
    if not adv:
        return result, None
    indices: list = []
    cur = 0
    for d, k in adv:
        indices.extend([None] * (d - cur))
        indices.append(k)
        cur = d + (k.ndim if _is_mask(k) else 1)
    return result, indices


def _is_mask(k) -> bool:
    if isinstance(k, Tensor):
        return k._dtype is D.bool_ or k._dtype is D.uint8
    return k.dtype == np.bool_


def getitem(self: Tensor, key) -> Tensor:
    """``self[key]``: a view for basic keys, a copy when advanced indices take part."""
    result, indices = _apply(self, key)
    if indices is None:
        return result
    return index(result, _index_tensors(indices))


def _index_tensors(indices: list) -> list:
    """Index entries as the ops take them: tensors (or None for a whole dim)."""
    return [from_array(k) if isinstance(k, np.ndarray) else k for k in indices]


def _index(v) -> int:
    if isinstance(v, Tensor):
        if v._dtype.is_floating_point or v.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(v.item())
    return v.__index__()


def _value_tensor(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if it.is_number(value):
        out = empty_tensor((), self._dtype, self._device)
        if out._data is not None:
            out._array()[...] = _scalar_value(value, self._dtype)
        return out
    raise TypeError(f"can't assign a {type(value).__name__} to a "
                    f"torch.{_TENSOR_TYPE_NAMES[self._dtype.name]}Tensor")


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value``: a broadcasting copy into the basic view, or ``index_put_``
    when advanced indices take part (leading size-1 dims of ``value`` are ignored)."""
    if not isinstance(value, Tensor) and not it.is_number(value):
        raise TypeError(f"can't assign a {type(value).__name__} to a "
                        f"torch.{_TENSOR_TYPE_NAMES[self._dtype.name]}Tensor")
    if key is False or key is True:
        # torch's setitem: False writes nothing, True is ``self[...] = value``
        if key is False:
            return
        key = Ellipsis
    target, indices = _apply(self, key, for_write=True)
    value = _value_tensor(self, value)
    shape = value._shape
    while shape and shape[0] == 1:  # torch drops every leading size-1 dim of the value
        shape = shape[1:]
    if indices is not None:
        _index_put_impl_(target, _index_tensors(indices),
                         value.view(shape) if shape != value._shape else value)
        return
    if len(shape) > target.ndim:
        raise RuntimeError(f"expand(torch.{_TENSOR_TYPE_NAMES[value._dtype.name]}Tensor"
                           f"{{{list(value._shape)}}}, size={list(target._shape)}): the number "
                           f"of sizes provided ({target.ndim}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({value.ndim})")
    # torch's copy_to: same shape copies, a 0-d value fills, anything else expands first
    if value._shape == target._shape:
        target.copy_(value)
    elif not value._shape:
        target.fill_(value)
    else:
        target.copy_((value.view(shape) if shape != value._shape else value).expand(
            target._shape))
