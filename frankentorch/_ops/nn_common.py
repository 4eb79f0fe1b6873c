"""Shared pieces of the neural-network op families (losses, normalisation, linear/embedding):
the reduction enum, NumPy views of operands and results built from NumPy values."""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._core.meta import numel_of
from .._core.storage import store
from .._tensor import Tensor, empty_contiguous, empty_tensor
from .linalg import _view

__all__ = ["NONE", "MEAN", "SUM", "reduction_enum", "values", "result", "is_meta",
           "check_tensor"]

NONE, MEAN, SUM = 0, 1, 2
_REDUCTIONS = {"none": NONE, "mean": MEAN, "sum": SUM}


def reduction_enum(reduction: str) -> int:
    """The integer torch's kernels take for a ``reduction=`` string."""
    try:
        return _REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


def values(t: Tensor) -> np.ndarray:
    """Elements of ``t`` as a NumPy array (a strided view; halves widened to float32)."""
    if t._dtype in (D.float16, D.bfloat16):
        return t._array().astype(np.float32)
    return _view(t)


def is_meta(*tensors) -> bool:
    """Whether any of the tensors has no data (meta device): results are shape-only."""
    return any(t is not None and t._data is None for t in tensors)


def result(v, dt: D.dtype, shape, dev) -> Tensor:
    """A new contiguous tensor of ``shape``/``dt`` on ``dev`` holding ``v`` (None: no values,
    as on the meta device); ``v`` is rounded once to ``dt``."""
    shape = tuple(shape)
    if dev.type == "cpu":
        out = empty_contiguous(shape, numel_of(shape), dt)
    else:
        out = empty_tensor(shape, dt, dev)
    data = out._data
    if v is None or data is None or not data.size:
        return out
    if getattr(v, "dtype", None) == data.dtype:  # same type: a plain copy, nothing to round
        if isinstance(v, np.generic):  # one value
            data[0] = v
        else:
            data.reshape(shape)[...] = np.reshape(v, shape)
    else:
        store(data.reshape(shape) if dt not in (D.float16, D.bfloat16) else out._array(),
              np.asarray(v).reshape(shape))
    return out


def check_tensor(name: str, arg: str, pos: int, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")
