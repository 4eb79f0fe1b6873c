"""sum and mean over all dims or ``dim`` (int or tuple), with ``keepdim`` and ``dtype``."""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._core.meta import normalize_dim, numel_of
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .copy import check_can_cast, copy_into, resize_out

_LONG_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
               "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
               "float32": "Float", "float64": "Double"}


def reduced_dims(self: Tensor, dim) -> tuple[int, ...]:
    """Dims to reduce: None or [] means all (PyTorch's sum convention); repeats are errors."""
    nd = self.ndim
    if dim is None:
        return tuple(range(nd))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return tuple(range(nd))
    wrapped = [normalize_dim(d, nd) for d in dims]
    seen = set()
    for d in wrapped:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return tuple(sorted(seen)) if nd else ()  # a 0-d tensor reduces over "dim 0" to itself


def reduced_shape(shape, dims, keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return tuple(1 if i in dims else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _accumulate_dtype(d: D.dtype) -> D.dtype:
    """What the kernel sums in: int64 for integers, float32 for halves, else the dtype."""
    if not d.is_floating_point:
        return D.int64
    return it.compute_dtype(d)


def sum_into(self: Tensor, dims, acc: D.dtype) -> np.ndarray:
    """Sum ``self`` over ``dims`` into a flat contiguous array of dtype ``acc``."""
    keep = [i for i in range(self.ndim) if i not in dims]
    n_out = numel_of(self._shape[i] for i in keep)
    out = np.empty(max(n_out, 1), dtype=acc.np_dtype)
    src = _cast(self, D.float32) if self._dtype in (D.float16, D.bfloat16) else self
    # reduced dims ordered so the one with the smallest stride is innermost
    red = sorted((i for i in dims if self._shape[i] != 1), key=lambda i: -src._stride[i])
    r_shape = [src._shape[i] for i in red] or [1]
    r_st = [src._stride[i] for i in red] or [0]
    o_shape = [src._shape[i] for i in keep] or [1]
    o_st = [src._stride[i] for i in keep] or [0]
    if numel_of(self._shape) == 0:
        out[:] = 0
        return out[:n_out]
    from .._kernels import reduce as K
    kernel = K.sum_parallel if self.numel() >= it.PARALLEL_MIN else K.sum_serial
    kernel(src._data, src._offset, np.array(o_shape, np.int64), np.array(o_st, np.int64),
           np.array(r_shape, np.int64), np.array(r_st, np.int64), out, acc.np_dtype.type(0))
    return out[:n_out]


def _reduce(self: Tensor, dim, keepdim: bool, dtype, mean: bool) -> Tensor:
    if not isinstance(self, Tensor):
        raise TypeError(f"{'mean' if mean else 'sum'}(): argument 'input' (position 1) must be "
                        f"Tensor, not {type(self).__name__}")
    if mean:
        out_dt = dtype if dtype is not None else self._dtype
        if not out_dt.is_floating_point:
            which = "Input" if dtype is None else "Optional"
            raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be "
                               "either a floating point or complex dtype. Got: "
                               f"{_LONG_NAMES[out_dt.name]}")
    else:
        out_dt = dtype if dtype is not None else (
            self._dtype if self._dtype.is_floating_point else D.int64)
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    result = empty_tensor(shape, out_dt, self._device)
    if self._data is None:
        return result
    src = self if dtype is None or dtype is self._dtype else _cast(self, dtype)
    acc = _accumulate_dtype(src._dtype)
    values = sum_into(src, dims, acc)
    if mean:
        count = numel_of(self._shape[i] for i in dims)
        values = values / acc.np_dtype.type(count) if count else values * np.nan
        values = values.astype(acc.np_dtype, copy=False)
    result._data[: values.size] = values.astype(out_dt.np_dtype, copy=False)
    return result


def _cast(t: Tensor, dt: D.dtype) -> Tensor:
    out = empty_tensor(t._shape, dt, t._device, it.elementwise_strides(t._shape, (t,)))
    return copy_into(out, t)


sum_all = defop("sum(Tensor self, *, ScalarType? dtype=None) -> Tensor")
sum_dim = defop("sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, "
                "ScalarType? dtype=None) -> Tensor")
sum_out = defop("sum.IntList_out(Tensor self, int[1]? dim, bool keepdim=False, *, "
                "ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)")
mean_all = defop("mean(Tensor self, *, ScalarType? dtype=None) -> Tensor")
mean_dim = defop("mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None) -> Tensor")
mean_out = defop("mean.out(Tensor self, int[1]? dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)")


@sum_all.impl("CPU", "Meta")
def _sum_all(self, dtype=None):
    return _reduce(self, None, False, dtype, mean=False)


@sum_dim.impl("CPU", "Meta")
def _sum_dim(self, dim, keepdim=False, dtype=None):
    return _reduce(self, dim, keepdim, dtype, mean=False)


@mean_all.impl("CPU", "Meta")
def _mean_all(self, dtype=None):
    return _reduce(self, None, False, dtype, mean=True)


@mean_dim.impl("CPU", "Meta")
def _mean_dim(self, dim, keepdim=False, dtype=None):
    return _reduce(self, dim, keepdim, dtype, mean=True)


def _into_out(result: Tensor, out: Tensor) -> Tensor:
    check_can_cast(result._dtype, out._dtype)
    resize_out(out, result._shape)
    copy_into(out, result)
    out._bump_version()
    return out


@sum_out.impl("CPU", "Meta")
def _sum_out(self, dim, keepdim=False, dtype=None, out=None):
    # without dtype=, PyTorch sums in the out tensor's dtype
    return _into_out(_reduce(self, dim, keepdim, dtype or out._dtype, mean=False), out)


@mean_out.impl("CPU", "Meta")
def _mean_out(self, dim, keepdim=False, dtype=None, out=None):
    return _into_out(_reduce(self, dim, keepdim, dtype, mean=True), out)
