"""sum and mean over all dims or ``dim`` (int or tuple), with ``keepdim`` and ``dtype``."""
from __future__ import annotations

import functools

import numpy as np

from .._core import dtype as D
from .._core.device import CPU
from .._core.meta import normalize_dim, numel_of
from .._dispatch.dispatcher import defop, is_out_overload
from .._core.storage import cast, store
from .._tensor import Tensor, empty_contiguous, empty_tensor, flat_data, from_array
from . import iterator as it
from .copy import check_can_cast, copy_into, resize_out
from .shape import (MODE, MODE_NAN, order_keys, pair_out, positions, select_rows,
                    structured_pair_check)


@functools.cache
def _kernels():
    """The Numba reduction kernels, imported on first use (keeps ``import frankentorch``
    fast)."""
    from .._kernels import reduce
    return reduce


def reduced_dims(self: Tensor, dim) -> tuple[int, ...]:
    """Dims to reduce: None or [] means all (PyTorch's sum convention); repeats are errors."""
    nd = self.ndim
    if dim is None:
        return tuple(range(nd))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return tuple(range(nd))
    _check_dim_mask(nd)
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
    src = _cast(self, D.float32) if self._dtype in (D.float16, D.bfloat16) else self
    kernel, args, n_out = _sum_plan(src, tuple(dims), acc)
    out = np.empty(max(n_out, 1), dtype=acc.np_dtype)
    if kernel is None:  # nothing to add up
        out[:] = 0
    else:
        kernel(src._data, src._offset, *args, out, acc.np_dtype.type(0))
    return out[:n_out]


_SUM_PLANS: dict = {}


def _sum_plan(src: Tensor, dims: tuple, acc: D.dtype) -> tuple:
    """(kernel, its geometry arrays, output count) for summing ``src`` over ``dims``,
    remembered per geometry: repeated reductions of one shape skip this set-up."""
    key = (src._shape, src._stride, dims, acc)
    plan = _SUM_PLANS.get(key)
    if plan is not None:
        return plan
    shape, stride = src._shape, src._stride
    keep = [i for i in range(len(shape)) if i not in dims]
    n_out = numel_of([shape[i] for i in keep])
    # reduced dims ordered so the one with the smallest stride is innermost
    red = sorted((i for i in dims if shape[i] != 1), key=lambda i: -stride[i])
    o_shape = [shape[i] for i in keep] or [1]
    o_st = [stride[i] for i in keep] or [0]
    K = _kernels()
    big = numel_of(shape) >= it.PARALLEL_MIN
    kernel = K.sum_parallel if big else K.sum_serial
    if keep and red and o_shape[-1] > 1 and o_st[-1] < min(stride[i] for i in red):
        kernel = K.sum_cols_parallel if big else K.sum_cols_serial  # walk rows, sum columns
    args = tuple(np.array(v, np.int64) for v in (o_shape, o_st, [shape[i] for i in red] or [1],
                                                 [stride[i] for i in red] or [0]))
    plan = (None if numel_of(shape) == 0 else kernel, args, n_out)
    if len(_SUM_PLANS) > 1024:
        _SUM_PLANS.clear()
    _SUM_PLANS[key] = plan
    return plan


def sum_to(grad: Tensor, shape) -> Tensor:
    """Sum ``grad`` over the dims broadcasting added or expanded to reach its shape (how a
    gradient returns to a broadcast input's shape). A dense float gradient that would not be
    recorded (no double backward) goes to the reduction kernel directly, without a dispatch."""
    shape = tuple(shape)
    lead = grad.ndim - len(shape)
    inner = [lead + i for i, n in enumerate(shape) if n == 1 and grad._shape[lead + i] != 1]
    if not lead and not inner:
        return grad
    if not it.recorded(grad) and grad._data is not None and \
            grad._dtype in (D.float32, D.float64):
        return from_array(sum_into(grad, tuple(range(lead)) + tuple(inner), grad._dtype)
                          .reshape(shape))
    if not inner:  # only broadcast-added leading dims: one sum gives the shape
        return grad.sum(list(range(lead))) if lead else grad
    grad = grad.sum(list(range(lead)) + inner, keepdim=True)
    return grad.reshape(shape) if lead else grad


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
                               f"{out_dt.scalar_type_name}")
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
    result._data[: values.size] = values if values.dtype == out_dt.np_dtype else \
        cast(values, out_dt.np_dtype)
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


# =====================================================================================
# Other reductions: prod, nansum, nanmean, max/min, amax/amin, argmax/argmin, aminmax,
# var/std(_mean), norm / linalg_vector_norm, logsumexp, all/any, count_nonzero,
# cumsum/cumprod/cummax/cummin, median, mode, softmax/log_softmax.
#
# Values are computed on NumPy views of the strided data (halves widened to float32, float
# accumulations where PyTorch uses double); sums, dim-0 sums and softmax use Numba kernels.
# =====================================================================================

import math as _math
import warnings as _warnings

from .. import return_types as _rt
from .._dispatch.dispatcher import OPS

_HALF = (D.float16, D.bfloat16)


def _vals(t: Tensor, np_dt=None) -> np.ndarray:
    """Values of ``t`` as an ndarray (halves as float32, or ``np_dt`` when given)."""
    a = t._array()
    if np_dt is not None:
        return a.astype(np_dt, copy=False)
    if t._dtype in _HALF:
        return a.astype(np.float32)
    return a


def _wrap(arr, dt: D.dtype, shape, dev) -> Tensor:
    """A new contiguous tensor of ``shape``/``dt`` holding ``arr`` (None: meta, no values)."""
    res = empty_tensor(shape, dt, dev)
    if arr is not None and res._data is not None and res.numel():
        store(res._array(), np.asarray(arr).reshape(shape))
    return res


def _check_tensor(name: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _one_dim(self: Tensor, dim: int) -> int:
    _check_dim_mask(self.ndim)
    return normalize_dim(dim, self.ndim)


def _check_dim_mask(ndim: int) -> None:
    """torch keeps the dims of a reduction as a 64-bit mask."""
    if ndim > 64:
        raise RuntimeError("only tensors with up to 64 dims are supported")


def _axes(self: Tensor, dims) -> tuple:
    return tuple(dims) if self.ndim else ()


def _red_count(self: Tensor, dims) -> int:
    return numel_of(self._shape[i] for i in dims)


def _nonempty_dims(name: str, self: Tensor, dims, specified: bool, sep: str = "():") -> None:
    """PyTorch's errors for reductions without identity over empty inputs."""
    if self.numel() != 0:
        return
    if not specified:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")
    for d in dims:
        if self._shape[d] == 0:
            raise IndexError(f"{name}{sep} Expected reduction dim {d} to have non-zero size.")


def _to_dtype(self: Tensor, dtype) -> Tensor:
    return self if dtype is None or dtype is self._dtype else _cast(self, dtype)


# ------------------------------------------------------------------ prod / nansum / nanmean

prod_all = defop("prod(Tensor self, *, ScalarType? dtype=None) -> Tensor")
prod_dim = defop("prod.dim_int(Tensor self, int dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None) -> Tensor")
prod_out = defop("prod.int_out(Tensor self, int dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)")
nansum_op = defop("nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *, "
                  "ScalarType? dtype=None) -> Tensor")
nansum_out = defop("nansum.out(Tensor self, int[1]? dim=None, bool keepdim=False, *, "
                   "ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)")
nanmean_op = defop("nanmean(Tensor self, int[1]? dim=None, bool keepdim=False, *, "
                   "ScalarType? dtype=None) -> Tensor")
nanmean_out = defop("nanmean.out(Tensor self, int[1]? dim=None, bool keepdim=False, *, "
                    "ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)")


def _int_promoted(self: Tensor, dtype) -> D.dtype:
    if dtype is not None:
        return dtype
    return self._dtype if self._dtype.is_floating_point else D.int64


# Vector lanes of PyTorch's AVX2 product kernel per dtype, and how each dtype rounds
_PROD_LANES = {D.float16: 16, D.bfloat16: 16, D.float32: 8, D.float64: 4}
_PROD_ROUND = {D.float16: 1, D.bfloat16: 2}


def _float_prod(src: Tensor, dims) -> np.ndarray:
    """Products over ``dims`` (flat, kept dims in order) rounded as PyTorch's single-threaded
    CPU kernel rounds them (``_kernels/product``): elements in memory order, the innermost
    dim's runs lane-wise when it is reduced and contiguous, else one after another."""
    from .._kernels.product import prod_runs, prod_steps
    shape, stride = src._shape, src._stride
    keep = [i for i in range(src.ndim) if i not in dims]
    red = sorted((i for i in dims if shape[i] != 1), key=lambda i: -stride[i])
    units = [i for i in dims if shape[i] == 1]
    n_out = numel_of(shape[i] for i in keep)
    a = _vals(src)
    out = np.ones(n_out, a.dtype)
    rnd = _PROD_ROUND.get(src._dtype, 0)
    if a.size == 0:
        return out
    live = [i for i in range(src.ndim) if shape[i] != 1]
    if not (red and min(live, key=lambda i: stride[i]) == red[-1] and stride[red[-1]] == 1):
        prod_steps(np.ascontiguousarray(np.transpose(a, units + red + keep)).reshape(-1, n_out),
                   rnd, out)
        return out
    run = 1
    while run < len(red) and stride[red[-run - 1]] == numel_of(shape[i] for i in red[-run:]):
        run += 1
    x = np.ascontiguousarray(np.transpose(a, keep + units + red))
    prod_runs(x.reshape(n_out, numel_of(shape[i] for i in red[:-run]), -1),
              _PROD_LANES[src._dtype], rnd, out)
    return out


def _prod(self, dim, keepdim, dtype):
    _check_tensor("prod", self)
    out_dt = _int_promoted(self, dtype)
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None:
        return empty_tensor(shape, out_dt, self._device)
    src = _to_dtype(self, dtype)
    if src._dtype.is_floating_point:
        with np.errstate(all="ignore"):
            return _wrap(_float_prod(src, dims), out_dt, shape, self._device)
    acc = _accumulate_dtype(src._dtype).np_dtype
    v = np.prod(_vals(src, acc), axis=_axes(self, dims), dtype=acc)
    return _wrap(v, out_dt, shape, self._device)


@prod_all.impl("CPU", "Meta")
def _prod_all(self, dtype=None):
    return _prod(self, None, False, dtype)


@prod_dim.impl("CPU", "Meta")
def _prod_dim(self, dim, keepdim=False, dtype=None):
    return _prod(self, dim, keepdim, dtype)


@prod_out.impl("CPU", "Meta")
def _prod_out(self, dim, keepdim=False, dtype=None, out=None):
    return _into_out(_prod(self, dim, keepdim, dtype or out._dtype), out)


def _nansum(self, dim, keepdim, dtype, name="nansum"):
    _check_tensor(name, self)
    out_dt = _int_promoted(self, dtype)
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None:
        return empty_tensor(shape, out_dt, self._device)
    src = _to_dtype(self, dtype)
    if not src._dtype.is_floating_point:
        return _reduce(src, dim, keepdim, out_dt, mean=False)
    acc = _accumulate_dtype(src._dtype).np_dtype
    v = np.nansum(_vals(src, acc), axis=_axes(self, dims), dtype=acc)
    return _wrap(v, out_dt, shape, self._device)


def _nanmean(self, dim, keepdim, dtype):
    _check_tensor("nanmean", self)
    if not self._dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {self._dtype.scalar_type_name}")
    out_dt = dtype or self._dtype
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None:
        return empty_tensor(shape, out_dt, self._device)
    src = _to_dtype(self, dtype)
    acc = _accumulate_dtype(src._dtype).np_dtype
    a = _vals(src, acc)
    ax = _axes(self, dims)
    s = np.nansum(a, axis=ax, dtype=acc)
    n = np.sum(~np.isnan(a), axis=ax)
    with np.errstate(all="ignore"):
        v = (s / n.astype(acc)).astype(acc)
    return _wrap(v, out_dt, shape, self._device)


@nansum_op.impl("CPU", "Meta")
def _nansum_k(self, dim=None, keepdim=False, dtype=None):
    return _nansum(self, dim, keepdim, dtype)


@nansum_out.impl("CPU", "Meta")
def _nansum_out(self, dim=None, keepdim=False, dtype=None, out=None):
    return _into_out(_nansum(self, dim, keepdim, dtype or out._dtype), out)


@nanmean_op.impl("CPU", "Meta")
def _nanmean_k(self, dim=None, keepdim=False, dtype=None):
    return _nanmean(self, dim, keepdim, dtype)


@nanmean_out.impl("CPU", "Meta")
def _nanmean_out(self, dim=None, keepdim=False, dtype=None, out=None):
    return _into_out(_nanmean(self, dim, keepdim, dtype), out)


# ------------------------------------------------------------------ max / min / amax / amin

def _np_extreme(a: np.ndarray, axis, is_max: bool):
    return (np.max if is_max else np.min)(a, axis=axis)


def _full_extreme(self, is_max):
    name = "max" if is_max else "min"
    _check_tensor(name, self)
    _nonempty_dims(name, self, (), False)
    if self._data is None:
        return empty_tensor((), self._dtype, self._device)
    return _wrap(_np_extreme(_vals(self), None, is_max), self._dtype, (), self._device)


def _arg_extreme(a: np.ndarray, axis: int, is_max: bool) -> np.ndarray:
    """First index of the max/min along ``axis``; NaN wins (its first index)."""
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    return (np.argmax if is_max else np.argmin)(a, axis=axis)


def _dim_extreme(self, dim, keepdim, is_max):
    name = "max" if is_max else "min"
    _check_tensor(name, self)
    d = _one_dim(self, dim)
    dims = (d,) if self.ndim else ()
    _nonempty_dims(name, self, dims, True)
    shape = reduced_shape(self._shape, dims, keepdim)
    cls = _rt.max if is_max else _rt.min
    if self._data is None or self.numel() == 0:
        return cls((empty_tensor(shape, self._dtype, self._device),
                    empty_tensor(shape, D.int64, self._device)))
    a = _vals(self)
    if not self.ndim:
        return cls((_wrap(a, self._dtype, (), self._device),
                    _wrap(np.zeros(()), D.int64, (), self._device)))
    idx = _arg_extreme(a, d, is_max)
    v = np.take_along_axis(a, np.expand_dims(idx, d), d)
    return cls((_wrap(v, self._dtype, shape, self._device),
                _wrap(idx, D.int64, shape, self._device)))


def _amax(self, dim, keepdim, is_max):
    name = "amax" if is_max else "amin"
    _check_tensor(name, self)
    dims = reduced_dims(self, dim)
    specified = dim is not None and (isinstance(dim, int) or len(tuple(dim)) > 0)
    _nonempty_dims(name, self, dims, specified)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None or numel_of(shape) == 0:
        return empty_tensor(shape, self._dtype, self._device)
    return _wrap(_np_extreme(_vals(self), _axes(self, dims), is_max), self._dtype, shape,
                 self._device)


max_all = defop("max(Tensor self) -> Tensor")
max_dim = defop("max.dim(Tensor self, int dim, bool keepdim=False) -> "
                "(Tensor values, Tensor indices)")
max_other = defop("max.other(Tensor self, Tensor other) -> Tensor")
max_uout = defop("max.unary_out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)")
min_all = defop("min(Tensor self) -> Tensor")
min_dim = defop("min.dim(Tensor self, int dim, bool keepdim=False) -> "
                "(Tensor values, Tensor indices)")
min_other = defop("min.other(Tensor self, Tensor other) -> Tensor")
min_uout = defop("min.unary_out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)")
amax_op = defop("amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor")
amax_out = defop("amax.out(Tensor self, int[1] dim=[], bool keepdim=False, *, "
                 "Tensor(a!) out) -> Tensor(a!)")
amin_op = defop("amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor")
amin_out = defop("amin.out(Tensor self, int[1] dim=[], bool keepdim=False, *, "
                 "Tensor(a!) out) -> Tensor(a!)")


@max_all.impl("CPU", "Meta")
def _max_all(self):
    return _full_extreme(self, True)


@min_all.impl("CPU", "Meta")
def _min_all(self):
    return _full_extreme(self, False)


@max_dim.impl("CPU", "Meta")
def _max_dim(self, dim, keepdim=False):
    return _dim_extreme(self, dim, keepdim, True)


@min_dim.impl("CPU", "Meta")
def _min_dim(self, dim, keepdim=False):
    return _dim_extreme(self, dim, keepdim, False)


def _delegate(name):
    def run(self, other):
        packet = OPS.get(name)
        if packet is None:
            raise NotImplementedError(f"aten::{name} is not available")
        return packet.function()(self, other)
    return run


max_other.impl("CompositeImplicitAutograd")(_delegate("maximum"))
min_other.impl("CompositeImplicitAutograd")(_delegate("minimum"))


@max_uout.impl("CPU", "Meta")
def _max_uout(self, out=None):
    return _into_out(_full_extreme(self, True), out)


@min_uout.impl("CPU", "Meta")
def _min_uout(self, out=None):
    return _into_out(_full_extreme(self, False), out)


@amax_op.impl("CPU", "Meta")
def _amax_k(self, dim=(), keepdim=False):
    return _amax(self, dim, keepdim, True)


@amin_op.impl("CPU", "Meta")
def _amin_k(self, dim=(), keepdim=False):
    return _amax(self, dim, keepdim, False)


@amax_out.impl("CPU", "Meta")
def _amax_out(self, dim=(), keepdim=False, out=None):
    return _into_out(_amax(self, dim, keepdim, True), out)


@amin_out.impl("CPU", "Meta")
def _amin_out(self, dim=(), keepdim=False, out=None):
    return _into_out(_amax(self, dim, keepdim, False), out)


# ------------------------------------------------------------------ argmax / argmin / aminmax

argmax_op = defop("argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor")
argmax_out = defop("argmax.out(Tensor self, int? dim=None, bool keepdim=False, *, "
                   "Tensor(a!) out) -> Tensor(a!)")
argmin_op = defop("argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor")
argmin_out = defop("argmin.out(Tensor self, int? dim=None, bool keepdim=False, *, "
                   "Tensor(a!) out) -> Tensor(a!)")


def _argext(self, dim, keepdim, is_max):
    name = "argmax" if is_max else "argmin"
    _check_tensor(name, self)
    if self._dtype is D.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if self.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        shape = (1,) * self.ndim if keepdim else ()
        if self._data is None:
            return empty_tensor(shape, D.int64, self._device)
        return _wrap(_arg_extreme(_vals(self).reshape(-1), 0, is_max), D.int64, shape,
                     self._device)
    d = _one_dim(self, dim)
    dims = (d,) if self.ndim else ()
    _nonempty_dims(name, self, dims, True)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None or numel_of(shape) == 0:
        return empty_tensor(shape, D.int64, self._device)
    if not self.ndim:
        return _wrap(0, D.int64, shape, self._device)
    return _wrap(_arg_extreme(_vals(self), d, is_max), D.int64, shape, self._device)


@argmax_op.impl("CPU", "Meta")
def _argmax_k(self, dim=None, keepdim=False):
    return _argext(self, dim, keepdim, True)


@argmin_op.impl("CPU", "Meta")
def _argmin_k(self, dim=None, keepdim=False):
    return _argext(self, dim, keepdim, False)


@argmax_out.impl("CPU", "Meta")
def _argmax_out(self, dim=None, keepdim=False, out=None):
    return _into_out(_argext(self, dim, keepdim, True), out)


@argmin_out.impl("CPU", "Meta")
def _argmin_out(self, dim=None, keepdim=False, out=None):
    return _into_out(_argext(self, dim, keepdim, False), out)


aminmax_op = defop("aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> "
                   "(Tensor min, Tensor max)")


@aminmax_op.impl("CPU", "Meta")
def _aminmax(self, dim=None, keepdim=False):
    _check_tensor("aminmax", self)
    if dim is None:
        if self.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        dims = tuple(range(self.ndim))
    else:
        d = _one_dim(self, dim)
        dims = (d,) if self.ndim else ()
        _nonempty_dims("aminmax", self, dims, True, sep=":")
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None or numel_of(shape) == 0:
        return _rt.aminmax((empty_tensor(shape, self._dtype, self._device),
                            empty_tensor(shape, self._dtype, self._device)))
    a = _vals(self)
    ax = _axes(self, dims)
    return _rt.aminmax((_wrap(np.min(a, axis=ax), self._dtype, shape, self._device),
                        _wrap(np.max(a, axis=ax), self._dtype, shape, self._device)))


# ------------------------------------------------------------------ var / std / *_mean

def _var_impl(self, dim, correction, keepdim, name, take_sqrt, with_mean):
    _check_tensor(name, self)
    if not self._dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    dt = self._dtype
    if correction is None:
        correction = 1
    elif isinstance(correction, Tensor):
        correction = correction.item()
    n = _red_count(self, dims)
    if self._data is None:
        r = empty_tensor(shape, dt, self._device)
        return (r, empty_tensor(shape, dt, self._device)) if with_mean else r
    dof = n - correction
    if dof <= 0:
        _warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                       "less than the reduction factor (input numel divided by output numel).",
                       UserWarning, stacklevel=4)
    a = _vals(self, np.float64)
    ax = _axes(self, dims)
    with np.errstate(all="ignore"):
        m = np.mean(a, axis=ax, keepdims=True) if n else np.full(
            reduced_shape(self._shape, dims, True), np.nan)
        dev2 = np.sum(np.square(a - m), axis=ax)
        v = dev2 / max(0, dof)
        if take_sqrt:
            v = np.sqrt(v)
    r = _wrap(v, dt, shape, self._device)
    if with_mean:
        # PyTorch's Welford update turns an infinite running mean into NaN once a later
        # element arrives (inf - inf); approximated as: NaN variance with infinite mean -> NaN
        m = np.where(np.isinf(m) & np.isnan(v.reshape(m.shape)), np.nan, m)
        return r, _wrap(m, dt, shape, self._device)
    return r


def _def_var_family(name, take_sqrt, with_mean):
    ret = "(Tensor, Tensor)" if with_mean else "Tensor"
    a = defop(f"{name}(Tensor self, bool unbiased=True) -> {ret}")
    b = defop(f"{name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False)"
              f" -> {ret}")
    c = defop(f"{name}.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, "
              f"bool keepdim=False) -> {ret}")

    @a.impl("CPU", "Meta")
    def _a(self, unbiased=True):
        return _var_impl(self, None, int(unbiased), False, name, take_sqrt, with_mean)

    @b.impl("CPU", "Meta")
    def _b(self, dim, unbiased=True, keepdim=False):
        return _var_impl(self, dim, int(unbiased), keepdim, name, take_sqrt, with_mean)

    @c.impl("CPU", "Meta")
    def _c(self, dim=None, correction=None, keepdim=False):
        return _var_impl(self, dim, correction, keepdim, name, take_sqrt, with_mean)

    if with_mean:
        return
    o1 = defop(f"{name}.out(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False, "
               "*, Tensor(a!) out) -> Tensor(a!)")
    o2 = defop(f"{name}.correction_out(Tensor self, int[1]? dim=None, *, Scalar? "
               "correction=None, bool keepdim=False, Tensor(a!) out) -> Tensor(a!)")

    @o1.impl("CPU", "Meta")
    def _o1(self, dim, unbiased=True, keepdim=False, out=None):
        return _into_out(_var_impl(self, dim, int(unbiased), keepdim, name, take_sqrt, False),
                         out)

    @o2.impl("CPU", "Meta")
    def _o2(self, dim=None, correction=None, keepdim=False, out=None):
        return _into_out(_var_impl(self, dim, correction, keepdim, name, take_sqrt, False), out)


_def_var_family("var", False, False)
_def_var_family("std", True, False)
_def_var_family("var_mean", False, True)
_def_var_family("std_mean", True, True)


# ------------------------------------------------------------------ norms

def _fmt_ord(p) -> str:
    if isinstance(p, float) and p.is_integer():
        return str(int(p))
    return str(p)


def _vector_norm(self, ord=2, dim=None, keepdim=False, dtype=None, name="linalg.vector_norm"):
    _check_tensor("linalg_vector_norm", self)
    if isinstance(ord, Tensor):
        ord = ord.item()
    if not self._dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {self._dtype.scalar_type_name}")
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError(f"{name}: dtype should be floating point or complex. Got "
                               f"{dtype.scalar_type_name}")
        if D.promote_types(self._dtype, dtype) is not dtype:
            raise RuntimeError(f"{name}: the dtype of the input ({self._dtype.scalar_type_name}) should "
                               "be convertible without narrowing to the specified dtype "
                               f"({dtype.scalar_type_name})")
    dims = reduced_dims(self, dim)
    p = float(ord)
    if (p < 0 or p == _math.inf) and any(self._shape[d] == 0 for d in dims) or \
            (p < 0 or p == _math.inf) and self.numel() == 0 and not dims:
        raise RuntimeError(f"{name} cannot compute the {_fmt_ord(ord)} norm on an empty tensor "
                           "because the operation does not have an identity")
    out_dt = dtype or self._dtype
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None:
        return empty_tensor(shape, out_dt, self._device)
    src = _to_dtype(self, dtype)
    acc = it.compute_dtype(src._dtype).np_dtype
    a = np.abs(_vals(src, acc))
    ax = _axes(self, dims)
    with np.errstate(all="ignore"):
        if p == _math.inf:
            v = np.max(a, axis=ax) if a.size else np.zeros(())
        elif p == -_math.inf:
            v = np.min(a, axis=ax)
        elif p == 0:
            v = np.sum(a != 0, axis=ax).astype(acc)
        elif p == 1:
            v = np.sum(a, axis=ax, dtype=acc)
        elif p == 2:
            v = np.sqrt(np.sum(a * a, axis=ax, dtype=acc))
        else:
            pp = acc.type(p)
            v = np.power(np.sum(np.power(a, pp), axis=ax, dtype=acc), acc.type(1.0) / pp)
    return _wrap(np.asarray(v, dtype=acc), out_dt, shape, self._device)


lvn = defop("linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool "
            "keepdim=False, *, ScalarType? dtype=None) -> Tensor", variants=("function",))
lvn_out = defop("linalg_vector_norm.out(Tensor self, Scalar ord=2, int[1]? dim=None, bool "
                "keepdim=False, *, ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)",
                variants=("function",))


@lvn.impl("CPU", "Meta")
def _lvn(self, ord=2, dim=None, keepdim=False, dtype=None):
    return _vector_norm(self, ord, dim, keepdim, dtype)


@lvn_out.impl("CPU", "Meta")
def _lvn_out(self, ord=2, dim=None, keepdim=False, dtype=None, out=None):
    return _into_out(_vector_norm(self, ord, dim, keepdim, dtype), out)


norm_s = defop("norm.Scalar(Tensor self, Scalar p=2) -> Tensor")
norm_sd = defop("norm.ScalarOpt_dim(Tensor self, Scalar? p, int[1] dim, bool keepdim=False)"
                " -> Tensor")
norm_sdd = defop("norm.ScalarOpt_dim_dtype(Tensor self, Scalar? p, int[1] dim, bool keepdim, "
                 "*, ScalarType dtype) -> Tensor")
norm_sdt = defop("norm.ScalarOpt_dtype(Tensor self, Scalar? p, *, ScalarType dtype) -> Tensor")
# torch.norm / Tensor.norm are Python functions in PyTorch (torch.functional.norm): p may be a
# number, None or 'fro', dim and dtype optional. These two overloads give that binding.
norm_py = defop("norm.ft_py(Tensor self, Scalar? p=2, int[1]? dim=None, bool keepdim=False, *, "
                "ScalarType? dtype=None) -> Tensor")
norm_pystr = defop("norm.ft_str(Tensor self, str p, int[1]? dim=None, bool keepdim=False, *, "
                   "ScalarType? dtype=None) -> Tensor")
norm_out = defop("norm.out(Tensor self, Scalar? p, int[1] dim, bool keepdim=False, *, "
                 "Tensor(a!) out) -> Tensor(a!)")
norm_dout = defop("norm.dtype_out(Tensor self, Scalar? p, int[1] dim, bool keepdim, *, "
                  "ScalarType dtype, Tensor(a!) out) -> Tensor(a!)")


def _norm(self, p=2, dim=None, keepdim=False, dtype=None):
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(tuple(dim)) <= 2):
            p = 2
        elif p == "nuc":
            return OPS["linalg_matrix_norm"].function()(
                self, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
        else:
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    return _vector_norm(self, 2 if p is None else p, dim, keepdim, dtype)


@norm_s.impl("CPU", "Meta")
def _norm_s(self, p=2):
    return _norm(self, p)


@norm_sd.impl("CPU", "Meta")
def _norm_sd(self, p, dim, keepdim=False):
    return _norm(self, p, dim, keepdim)


@norm_sdd.impl("CPU", "Meta")
def _norm_sdd(self, p, dim, keepdim, dtype):
    return _norm(self, p, dim, keepdim, dtype)


@norm_sdt.impl("CPU", "Meta")
def _norm_sdt(self, p, dtype):
    return _norm(self, p, None, False, dtype)


@norm_py.impl("CPU", "Meta")
def _norm_py(self, p=2, dim=None, keepdim=False, dtype=None):
    return _norm(self, p, dim, keepdim, dtype)


@norm_pystr.impl("CompositeImplicitAutograd")
def _norm_pystr(self, p, dim=None, keepdim=False, dtype=None):
    """norm with a string order: 'nuc' is linalg.matrix_norm (recording its own nodes), 'fro'
    the 2-norm op."""
    if p == "fro" and (dim is None or isinstance(dim, int) or len(tuple(dim)) <= 2):
        return norm_py(self, 2, dim, keepdim, dtype=dtype)
    return _norm(self, p, dim, keepdim, dtype)  # 'nuc', or the error of an unknown order


@norm_out.impl("CPU", "Meta")
def _norm_out(self, p, dim, keepdim=False, out=None):
    return _into_out(_norm(self, p, dim, keepdim), out)


@norm_dout.impl("CPU", "Meta")
def _norm_dout(self, p, dim, keepdim, dtype, out=None):
    return _into_out(_norm(self, p, dim, keepdim, dtype), out)


# ------------------------------------------------------------------ logsumexp

lse = defop("logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor")
lse_out = defop("logsumexp.out(Tensor self, int[1] dim, bool keepdim=False, *, "
                "Tensor(a!) out) -> Tensor(a!)")


def _logsumexp(self, dim, keepdim):
    """PyTorch's composition, op by op in the input's dtype (so halves round after each):
    m = amax (an infinite max taken as 0), log(sum(exp(x - m))) + m."""
    from ..autograd import no_grad
    _check_tensor("logsumexp", self)
    src = self if self._dtype.is_floating_point else _cast(self, D.get_default_dtype())
    if isinstance(dim, (tuple, list)) and not dim and self.ndim and self.numel() and not keepdim:
        raise RuntimeError("output with shape [] doesn't match the broadcast shape "
                           f"[{', '.join(['1'] * self.ndim)}]")
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None:
        return empty_tensor(shape, src._dtype, self._device)
    with no_grad():
        x = src.detach()
        if not x.numel():
            return x.exp().sum(dims, keepdim).log()
        m = x.amax(dims, keepdim=True)
        m = m.masked_fill(m.abs() == _math.inf, 0)
        return (x - m).exp().sum(dims, keepdim).log() + m.reshape(shape)


@lse.impl("CPU", "Meta")
def _lse(self, dim, keepdim=False):
    return _logsumexp(self, dim, keepdim)


@lse_out.impl("CPU", "Meta")
def _lse_out(self, dim, keepdim=False, out=None):
    return _into_out(_logsumexp(self, dim, keepdim), out)


# ------------------------------------------------------------------ all / any / count_nonzero

def _logical(self, dim, keepdim, is_all):
    _check_tensor("all" if is_all else "any", self)
    out_dt = D.uint8 if self._dtype is D.uint8 else D.bool_
    # all.dims / any.dims: an empty list reduces nothing
    dims = () if isinstance(dim, (tuple, list)) and not dim else reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None:
        return empty_tensor(shape, out_dt, self._device)
    a = _vals(self) != 0
    v = (np.all if is_all else np.any)(a, axis=_axes(self, dims))
    return _wrap(v, out_dt, shape, self._device)


def _def_logical(name, is_all):
    ops = [defop(f"{name}(Tensor self) -> Tensor"),
           defop(f"{name}.dim(Tensor self, int dim, bool keepdim=False) -> Tensor"),
           defop(f"{name}.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor"),
           defop(f"{name}.out(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) out) -> "
                 "Tensor(a!)"),
           defop(f"{name}.dims_out(Tensor self, int[]? dim=None, bool keepdim=False, *, "
                 "Tensor(a!) out) -> Tensor(a!)"),
           defop(f"{name}.all_out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)")]
    ops[0].impl("CPU", "Meta")(lambda self: _logical(self, None, False, is_all))
    for op in ops[1:3]:
        op.impl("CPU", "Meta")(
            lambda self, dim=None, keepdim=False: _logical(self, dim, keepdim, is_all))
    for op in ops[3:5]:
        op.impl("CPU", "Meta")(lambda self, dim=None, keepdim=False, out=None: _into_out(
            _logical(self, dim, keepdim, is_all), out))
    ops[5].impl("CPU", "Meta")(
        lambda self, out=None: _into_out(_logical(self, None, False, is_all), out))


_def_logical("all", True)
_def_logical("any", False)

cnz_list = defop("count_nonzero.dim_IntList(Tensor self, int[] dim) -> Tensor")
cnz = defop("count_nonzero(Tensor self, int? dim=None) -> Tensor")


def _count_nonzero(self, dim):
    _check_tensor("count_nonzero", self)
    dims = reduced_dims(self, dim)
    shape = reduced_shape(self._shape, dims, False)
    if self._data is None:
        return empty_tensor(shape, D.int64, self._device)
    return _wrap(np.count_nonzero(_vals(self), axis=_axes(self, dims)), D.int64, shape,
                 self._device)


cnz_list.impl("CPU", "Meta")(lambda self, dim: _count_nonzero(self, dim))
cnz.impl("CPU", "Meta")(lambda self, dim=None: _count_nonzero(self, dim))


# ------------------------------------------------------------------ cumulative ops

def _cum(self, dim, dtype, name, is_sum):
    _check_tensor(name, self)
    d = _one_dim(self, dim)
    out_dt = _int_promoted(self, dtype)
    if self._data is None:
        return empty_tensor(self._shape, out_dt, self._device)
    src = _to_dtype(self, dtype)
    acc = np.float64 if src._dtype.is_floating_point else np.int64
    a = _vals(src, acc)
    if self.ndim:
        v = (np.cumsum if is_sum else np.cumprod)(a, axis=d, dtype=acc)
    else:
        v = a
    return _wrap(v, out_dt, self._shape, self._device)


def _def_cum(name, is_sum):
    f = defop(f"{name}(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor")
    o = defop(f"{name}.out(Tensor self, int dim, *, ScalarType? dtype=None, Tensor(a!) out) -> "
              "Tensor(a!)")
    i = defop(f"{name}_(Tensor(a!) self, int dim, *, ScalarType? dtype=None) -> Tensor(a!)",
              variants=("method",))
    f.impl("CPU", "Meta")(lambda self, dim, dtype=None: _cum(self, dim, dtype, name, is_sum))
    o.impl("CPU", "Meta")(lambda self, dim, dtype=None, out=None: _into_out(
        _cum(self, dim, dtype or out._dtype, name, is_sum), out))
    i.impl("CPU", "Meta")(lambda self, dim, dtype=None: _into_out(
        _cum(self, dim, dtype or self._dtype, name, is_sum), self))


_def_cum("cumsum", True)
_def_cum("cumprod", False)


def _cum_extreme(self, dim, is_max):
    name = "cummax" if is_max else "cummin"
    _check_tensor(name, self)
    d = _one_dim(self, dim)
    cls = _rt.cummax if is_max else _rt.cummin
    vals = empty_tensor(self._shape, self._dtype, self._device)
    idx = empty_tensor(self._shape, D.int64, self._device)
    if self._data is None or self.numel() == 0:
        return cls((vals, idx))
    a = _vals(self)
    if not self.ndim:
        return cls((_wrap(a, self._dtype, (), self._device),
                    _wrap(0, D.int64, (), self._device)))
    a = np.moveaxis(a, d, 0)
    out_v = np.empty(a.shape, a.dtype)
    out_i = np.empty(a.shape, np.int64)
    cur, cur_i = a[0].copy(), np.zeros(a.shape[1:], np.int64)
    isf = a.dtype.kind == "f"
    for i in range(a.shape[0]):
        x = a[i]
        better = (x >= cur) if is_max else (x <= cur)
        if isf:
            better = np.isnan(x) | (~np.isnan(cur) & better)
        cur = np.where(better, x, cur)
        cur_i = np.where(better, i, cur_i)
        out_v[i], out_i[i] = cur, cur_i
    return cls((_wrap(np.moveaxis(out_v, 0, d), self._dtype, self._shape, self._device),
                _wrap(np.moveaxis(out_i, 0, d), D.int64, self._shape, self._device)))


cummax_op = defop("cummax(Tensor self, int dim) -> (Tensor values, Tensor indices)")
cummin_op = defop("cummin(Tensor self, int dim) -> (Tensor values, Tensor indices)")
cummax_op.impl("CPU", "Meta")(lambda self, dim: _cum_extreme(self, dim, True))
cummin_op.impl("CPU", "Meta")(lambda self, dim: _cum_extreme(self, dim, False))


# ------------------------------------------------------------------ median / mode

median_all = defop("median(Tensor self) -> Tensor")
median_dim = defop("median.dim(Tensor self, int dim, bool keepdim=False) -> "
                   "(Tensor values, Tensor indices)")
mode_op = defop("mode(Tensor self, int dim=-1, bool keepdim=False) -> "
                "(Tensor values, Tensor indices)")


def _no_bool(name, self):
    if self._dtype is D.bool_:
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')


def _lower_median_idx(a: np.ndarray, axis: int) -> np.ndarray:
    """Index (along ``axis``) of the lower median; NaN rows give their first NaN."""
    n = a.shape[axis]
    order = np.argsort(a, axis=axis, kind="stable")  # NaNs sort last
    idx = np.take(order, (n - 1) // 2, axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has = nan.any(axis=axis)
        idx = np.where(has, np.argmax(nan, axis=axis), idx)
    return idx


@median_all.impl("CPU", "Meta")
def _median_all(self):
    _check_tensor("median", self)
    if self.numel():
        _no_bool("median_cpu", self)
    if self._data is None:
        return empty_tensor((), self._dtype, self._device)
    a = _vals(self).reshape(-1)
    if a.size == 0:
        v = np.nan if self._dtype.is_floating_point else np.iinfo(np.int64).min
        with np.errstate(all="ignore"):
            v = np.array(np.nan).astype(self._dtype.np_dtype if self._dtype not in _HALF
                                        else np.float32)
        return _wrap(v, self._dtype, (), self._device)
    return _wrap(a[_lower_median_idx(a, 0)], self._dtype, (), self._device)


def _dim_select(self, dim, keepdim, name, cls, pick):
    _check_tensor(name, self)
    d = _one_dim(self, dim)
    dims = (d,) if self.ndim else ()
    _nonempty_dims(name, self, dims, True)
    if name == "median":
        _no_bool("median_out", self)
    shape = reduced_shape(self._shape, dims, keepdim)
    if self._data is None or numel_of(shape) == 0:
        return cls((empty_tensor(shape, self._dtype, self._device),
                    empty_tensor(shape, D.int64, self._device)))
    a = _vals(self)
    if not self.ndim:
        return cls((_wrap(a, self._dtype, (), self._device),
                    _wrap(0, D.int64, (), self._device)))
    idx = pick(a, d)
    v = np.take_along_axis(a, np.expand_dims(idx, d), d)
    return cls((_wrap(v, self._dtype, shape, self._device),
                _wrap(idx, D.int64, shape, self._device)))


@median_dim.impl("CPU", "Meta")
def _median_dim(self, dim, keepdim=False):
    return _dim_select(self, dim, keepdim, "median", _rt.median, _lower_median_idx)


def _mode_idx(a: np.ndarray, axis: int) -> np.ndarray:
    """Index of the most frequent value as PyTorch picks it: std::sort of (value, position)
    pairs by value alone, then the last pair of the first longest run of equal values."""
    m = np.moveaxis(a, axis, -1)
    rows = np.ascontiguousarray(m).reshape(-1, m.shape[-1])
    out = np.empty(rows.shape[0], np.int64)
    select_rows(MODE_NAN if a.dtype.kind == "f" else MODE, order_keys(rows), positions(rows),
                out=out)
    return out.reshape(m.shape[:-1])


@mode_op.impl("CPU", "Meta")
def _mode(self, dim=-1, keepdim=False):
    return _dim_select(self, dim, keepdim, "mode", _rt.mode, _mode_idx)


# ------------------------------------------------------------------ nanmedian

nanmedian_all = defop("nanmedian(Tensor self) -> Tensor")
nanmedian_dim = defop("nanmedian.dim(Tensor self, int dim, bool keepdim=False) -> "
                      "(Tensor values, Tensor indices)")


def _lower_nanmedian_idx(a: np.ndarray, axis: int) -> np.ndarray:
    """Index (along ``axis``) of the lower median of the non-NaN values; the first element
    where a row is all NaN."""
    order = np.argsort(a, axis=axis, kind="stable")  # NaNs sort last
    if a.dtype.kind != "f":
        return np.take(order, (a.shape[axis] - 1) // 2, axis=axis)
    k = (~np.isnan(a)).sum(axis=axis)
    pick = np.expand_dims(np.maximum(k - 1, 0) // 2, axis)
    return np.where(k > 0, np.take_along_axis(order, pick, axis).squeeze(axis), 0)


@nanmedian_all.impl("CPU", "Meta")
def _nanmedian_all(self):
    _check_tensor("nanmedian", self)
    if self.numel():
        _no_bool("median_cpu", self)
    if self._data is None or self.numel() == 0:
        return _median_all(self)
    a = _vals(self).reshape(-1)
    return _wrap(a[_lower_nanmedian_idx(a, 0)], self._dtype, (), self._device)


@nanmedian_dim.impl("CPU", "Meta")
def _nanmedian_dim(self, dim, keepdim=False):
    return _dim_select(self, dim, keepdim, "nanmedian", _rt.nanmedian, _lower_nanmedian_idx)


# ------------------------------------------------------------------ out= forms of pair results

def _median_out_check(name):
    def check(self, values, indices):
        if values._dtype is not self._dtype:
            raise RuntimeError(f"Expected tensor for 'values' to have the same type as tensor "
                               f"for argument #2 'self'; but type torch."
                               f"{values._dtype.scalar_type_name}Tensor does not equal torch."
                               f"{self._dtype.scalar_type_name}Tensor (while checking arguments for "
                               f"{name})")
        if indices._dtype is not D.int64:
            raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type "
                               f"Long; but got torch.{indices._dtype.scalar_type_name}Tensor instead "
                               f"(while checking arguments for {name})")
    return check


def _mode_out_check(self, values, indices):
    for t, dt, what in ((values, self._dtype, "values"), (indices, D.int64, "indices")):
        if t._dtype is not dt:
            raise RuntimeError(f"expected scalar type '{dt.scalar_type_name}' but got "
                               f"'{t._dtype.scalar_type_name}' for {what} output")


def _cum_out_check(self, values, indices):
    for t, dt in ((values, self._dtype), (indices, D.int64)):
        if t._dtype is not dt:
            raise RuntimeError(f"expected scalar_type {dt.scalar_type_name} but found {t._dtype.scalar_type_name}")


pair_out(defop("max.dim_max(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) max, "
               "Tensor(b!) max_values) -> (Tensor(a!) values, Tensor(b!) indices)"), _max_dim,
         _rt.max_out)
pair_out(defop("min.dim_min(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) min, "
               "Tensor(b!) min_indices) -> (Tensor(a!) values, Tensor(b!) indices)"), _min_dim,
         _rt.min_out)
pair_out(defop("median.dim_values(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) "
               "values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)"),
         _median_dim, _rt.median_out, _median_out_check("median"))
pair_out(defop("nanmedian.dim_values(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) "
               "values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)"),
         _nanmedian_dim, _rt.nanmedian_out, _median_out_check("median"))
pair_out(defop("mode.values(Tensor self, int dim=-1, bool keepdim=False, *, Tensor(a!) values, "
               "Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)"), _mode,
         _rt.mode_out, _mode_out_check)
pair_out(defop("cummax.out(Tensor self, int dim, *, Tensor(a!) values, Tensor(b!) indices) -> "
               "(Tensor(a!) values, Tensor(b!) indices)"),
         lambda self, dim: _cum_extreme(self, dim, True), _rt.cummax_out, _cum_out_check)
pair_out(defop("cummin.out(Tensor self, int dim, *, Tensor(a!) values, Tensor(b!) indices) -> "
               "(Tensor(a!) values, Tensor(b!) indices)"),
         lambda self, dim: _cum_extreme(self, dim, False), _rt.cummin_out, _cum_out_check)
pair_out(defop("aminmax.out(Tensor self, *, int? dim=None, bool keepdim=False, Tensor(a!) min, "
               "Tensor(b!) max) -> (Tensor(a!) min, Tensor(b!) max)"), _aminmax,
         _rt.aminmax_out, lambda self, a, b: structured_pair_check(self, a, b, self._dtype))


# ------------------------------------------------------------------ softmax / log_softmax

_ROW_KERNEL_DTYPES = (D.float32, D.float16, D.bfloat16)  # the row kernel computes in float32


def _softmax_impl(self, dim, dtype, log):
    name = "log_softmax" if log else "softmax"
    _check_tensor(name, self)
    d = _one_dim(self, dim)
    src = _to_dtype(self, dtype)
    if not src._dtype.is_floating_point and self.numel():
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for '
                                  f"'{src._dtype.scalar_type_name}'")
    shape = self._shape
    n = numel_of(shape)
    out = empty_contiguous(shape, n, src._dtype) if self._device is CPU else \
        empty_tensor(shape, src._dtype, self._device)
    if self._data is None or n == 0:
        return out
    if not shape:
        return _wrap(0.0 if log else 1.0, src._dtype, (), self._device)
    if d == len(shape) - 1 and src._dtype in _ROW_KERNEL_DTYPES:  # float32 rows
        x = (flat_data(src) if src.is_contiguous() else
             np.ascontiguousarray(src._array())).reshape(-1, shape[-1])
        if src._dtype is not D.float32:
            x = x.astype(np.float32)
        res = out._data.reshape(x.shape) if src._dtype is D.float32 else np.empty_like(x)
        K = _kernels()
        (K.softmax_rows_parallel if n >= it.PARALLEL_MIN else K.softmax_rows_serial)(
            x, res, log)
        if src._dtype is not D.float32:
            store(out._array(), res.reshape(shape))
        return out
    a = _vals(src)
    with np.errstate(all="ignore"):
        m = np.max(a, axis=d, keepdims=True)
        e = a - m
        if log:
            v = e - np.log(np.sum(np.exp(e), axis=d, keepdims=True))
        else:
            ex = np.exp(e)
            v = ex / np.sum(ex, axis=d, keepdims=True)
    store(out._array(), v)
    return out


softmax_op = defop("softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor")
softmax_out = defop("softmax.int_out(Tensor self, int dim, ScalarType? dtype=None, *, "
                    "Tensor(a!) out) -> Tensor(a!)")
log_softmax_op = defop("log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor")
log_softmax_out = defop("log_softmax.int_out(Tensor self, int dim, ScalarType? dtype=None, *, "
                        "Tensor(a!) out) -> Tensor(a!)")
_softmax_op = defop("_softmax(Tensor self, int dim, bool half_to_float) -> Tensor",
                    variants=("function",))
_log_softmax_op = defop("_log_softmax(Tensor self, int dim, bool half_to_float) -> Tensor",
                        variants=("function",))

softmax_op.impl("CPU", "Meta")(lambda self, dim, dtype=None: _softmax_impl(self, dim, dtype,
                                                                           False))
log_softmax_op.impl("CPU", "Meta")(lambda self, dim, dtype=None: _softmax_impl(self, dim, dtype,
                                                                               True))
softmax_out.impl("CPU", "Meta")(lambda self, dim, dtype=None, out=None: _into_out(
    _softmax_impl(self, dim, dtype, False), out))
log_softmax_out.impl("CPU", "Meta")(lambda self, dim, dtype=None, out=None: _into_out(
    _softmax_impl(self, dim, dtype, True), out))
_softmax_op.impl("CPU", "Meta")(lambda self, dim, half_to_float: _softmax_impl(
    self, dim, D.float32 if half_to_float else None, False))
_log_softmax_op.impl("CPU", "Meta")(lambda self, dim, half_to_float: _softmax_impl(
    self, dim, D.float32 if half_to_float else None, True))


# ---------------------------------------------------------------- derivatives

def _expand_reduced(grad: Tensor, self, dim, keepdim: bool) -> Tensor:
    """A reduction's gradient spread back over the input: reinsert the reduced dims (when
    keepdim was False), then broadcast to the input's shape."""
    if not keepdim:
        for d in reduced_dims(self, dim):
            grad = grad.unsqueeze(d)
    return grad.expand(self.shape)


@sum_all.backward("SumBackward0")
def _sum_all_backward(grad, args):
    return grad.expand(args.self.shape)


@sum_dim.backward("SumBackward1")
def _sum_dim_backward(grad, args):
    return _expand_reduced(grad, args.self, args.dim, args.keepdim)


@mean_all.backward("MeanBackward0")
def _mean_all_backward(grad, args):
    return grad.expand(args.self.shape) / max(numel_of(args.self.shape), 1)


@mean_dim.backward("MeanBackward1")
def _mean_dim_backward(grad, args):
    count = numel_of(args.self.shape[d] for d in reduced_dims(args.self, args.dim))
    return _expand_reduced(grad, args.self, args.dim, args.keepdim) / count


# softmax/log_softmax backward as single ops (torch's _softmax_backward_data and
# _log_softmax_backward_data): NumPy on contiguous float32/float64, else composed ops
_softmax_bw = defop("_softmax_backward_data(Tensor grad_output, Tensor output, int dim, "
                    "ScalarType input_dtype) -> Tensor", variants=())
_log_softmax_bw = defop("_log_softmax_backward_data(Tensor grad_output, Tensor output, int dim, "
                        "ScalarType input_dtype) -> Tensor", variants=())


def _softmax_grad(grad_output: Tensor, output: Tensor, dim, log: bool) -> Tensor:
    """softmax/log_softmax backward in ATen's order: one kernel over dense float operands,
    composed ops otherwise."""
    if not it.same_dense_floats(grad_output, output):
        if log:
            return grad_output - output.exp() * grad_output.sum(dim, keepdim=True)
        return (grad_output - (grad_output * output).sum(dim, keepdim=True)) * output
    shape = grad_output._shape
    d, total = normalize_dim(dim, len(shape)), numel_of(shape)
    n = shape[d] if shape else 1
    inner = numel_of(shape[d + 1:])
    frame = (total // (n * inner) if n * inner else 0, n, inner)
    out = empty_contiguous(shape, total, grad_output._dtype)
    g, y, o = (flat_data(t).reshape(frame) for t in (grad_output, output, out))
    K = _kernels()
    (K.softmax_backward_parallel if total >= it.PARALLEL_MIN else K.softmax_backward_serial)(
        g, y, o, log, d == len(shape) - 1 or not shape)
    return out


_softmax_bw.impl("CPU", "Meta")(
    lambda grad_output, output, dim, input_dtype: _softmax_grad(grad_output, output, dim,
                                                                False))
_log_softmax_bw.impl("CPU", "Meta")(
    lambda grad_output, output, dim, input_dtype: _softmax_grad(grad_output, output, dim,
                                                                True))


@_softmax_bw.backward("SoftmaxBackwardDataBackward0", saves=("grad_output", "output"))
def _softmax_backward_data_backward(grad, args):
    g, y, d = args.grad_output, args.output, args.dim
    s = (g * y).sum(d, keepdim=True)
    return (_softmax_bw(grad, y, d, args.input_dtype),
            grad * (g - s) - g * (grad * y).sum(d, keepdim=True))


@_log_softmax_bw.backward("LogSoftmaxBackwardDataBackward0", saves=("grad_output", "output"))
def _log_softmax_backward_data_backward(grad, args):
    g, ey, d = args.grad_output, args.output.exp(), args.dim
    return (grad - (grad * ey).sum(d, keepdim=True),
            -grad * ey * g.sum(d, keepdim=True))


@softmax_op.backward("SoftmaxBackward0", save_result=True)
def _softmax_backward(grad, args):
    return _softmax_bw(grad, args.result, args.dim, args.result.dtype)


@log_softmax_op.backward("LogSoftmaxBackward0", save_result=True)
def _log_softmax_backward(grad, args):
    return _log_softmax_bw(grad, args.result, args.dim, args.result.dtype)


@lse.backward("LogsumexpBackward0", saves=("self",), save_result=True)
def _logsumexp_backward(grad, args):
    out = args.result
    if not args.keepdim:
        for d in reduced_dims(args.self, args.dim):
            grad, out = grad.unsqueeze(d), out.unsqueeze(d)
    return grad * (args.self - out).exp()


for _op, _node in ((_softmax_op, "SoftmaxBackward0"), (_log_softmax_op, "LogSoftmaxBackward0")):
    _op.backward(_node, save_result=True)(
        _softmax_backward if _op is _softmax_op else _log_softmax_backward)


def _unreduce(t: Tensor, self, dim, keepdim: bool) -> Tensor:
    """A reduced tensor with its reduced dims reinserted (size 1) when keepdim was False."""
    if not keepdim:
        for d in reduced_dims(self, dim):
            t = t.unsqueeze(d)
    return t


def _choose(cond, a, b):
    from .unary import choose
    return choose(cond, a, b)


def _zeros_of(meta, like: Tensor) -> Tensor:
    from .creation import zeros
    return zeros(meta.shape, dtype=like.dtype)


def _prod_backward(grad: Tensor, x: Tensor, result: Tensor, dim, keepdim: bool) -> Tensor:
    """d prod / d x_i = product of the other elements: result / x_i without zeros; with one
    zero in a slice only that element gets the product of the others; with more, none."""
    grad, result = _unreduce(grad, x, dim, keepdim), _unreduce(result, x, dim, keepdim)
    is_zero = x == 0
    if not bool(is_zero.any()):
        return grad * result / x
    dims = reduced_dims(x, dim)
    zeros = is_zero.sum(dims, keepdim=True)
    others = _choose(is_zero, 1.0, x).prod(dims[0]) if len(dims) == 1 else \
        _choose(is_zero, 1.0, x).reshape(-1).prod()
    if len(dims) == 1:
        others = others.unsqueeze(dims[0])
    return _choose(zeros == 0, grad * result / _choose(is_zero, 1.0, x),
                   _choose(is_zero.logical_and(zeros == 1), grad * others, 0.0))


@prod_all.backward("ProdBackward0", saves=("self",), save_result=True)
def _prod_all_backward(grad, args):
    if args.self.ndim == 0:
        return grad
    return _prod_backward(grad, args.self, args.result, None, False)


@prod_dim.backward("ProdBackward1", saves=("self",), save_result=True)
def _prod_dim_backward(grad, args):
    if args.self.ndim == 0:
        return grad
    return _prod_backward(grad, args.self, args.result, args.dim, args.keepdim)


@nansum_op.backward("NansumBackward0", saves=("self",))
def _nansum_backward(grad, args):
    g = _unreduce(grad, args.self, args.dim, args.keepdim).expand(args.self.shape)
    return g.masked_fill(args.self.isnan(), 0.0)


@nanmean_op.backward("DivBackward0", saves=("self",))  # torch divides nansum by a count
def _nanmean_backward(grad, args):
    x = args.self
    keep = x.isnan().logical_not()
    count = keep.sum(reduced_dims(x, args.dim), keepdim=True)
    return _unreduce(grad, x, args.dim, args.keepdim) * keep / count


def _count_scaled(grad: Tensor, mask: Tensor, dims) -> Tensor:
    """torch's scale_grad_by_count: ties among the selected elements share the gradient."""
    return grad / mask.sum(dims, keepdim=True) * mask


def _amax_backward(grad, args):
    x, dims = args.self, reduced_dims(args.self, args.dim)
    result = _unreduce(args.result, x, args.dim, args.keepdim)
    return _count_scaled(_unreduce(grad, x, args.dim, args.keepdim), x == result, dims)


amax_op.backward("AmaxBackward0", saves=("self",), save_result=True)(_amax_backward)
amin_op.backward("AminBackward0", saves=("self",), save_result=True)(_amax_backward)


def _evenly_distributed(grad: Tensor, x: Tensor, value: Tensor) -> Tensor:
    """Full max/min/median: every element equal to the result (NaN to NaN) gets an equal
    share of the gradient."""
    mask = (x == value).logical_or(x.isnan().logical_and(value.isnan()))
    return mask * (grad / mask.sum())


def _evenly_backward(grad, args):
    return _evenly_distributed(grad, args.self, args.result)


for _op, _node in ((max_all, "MaxBackward1"), (min_all, "MinBackward1"),
                   (median_all, "MedianBackward0"), (nanmedian_all, "NanmedianBackward0")):
    _op.backward(_node, saves=("self",), save_result=True)(_evenly_backward)


def _selected(grad: Tensor, self, dim: int, indices: Tensor, keepdim: bool) -> Tensor:
    """torch's value_selecting_reduction_backward: the gradient goes back to the positions
    the indices name."""
    if self.ndim == 0:
        return grad
    if not keepdim:
        grad, indices = grad.unsqueeze(dim), indices.unsqueeze(dim)
    return _zeros_of(self, grad).scatter(dim, indices, grad)


def _values_backward(keepdim_arg):
    def fn(grads, args):
        keepdim = getattr(args, keepdim_arg) if isinstance(keepdim_arg, str) else keepdim_arg
        return _selected(grads[0], args.self, args.dim, args.result[1], keepdim)
    return fn


for _op, _node in ((max_dim, "MaxBackward0"), (min_dim, "MinBackward0"),
                   (median_dim, "MedianBackward1"), (nanmedian_dim, "NanmedianBackward1"),
                   (mode_op, "ModeBackward0")):
    _op.backward(_node, save_result=True)(_values_backward("keepdim"))


@aminmax_op.backward("AminmaxBackward0", saves=("self",), save_result=True)
def _aminmax_backward(grads, args):
    x, dim, keepdim = args.self, args.dim, args.keepdim
    dims = reduced_dims(x, dim)
    out = None
    for g, r in zip(grads, args.result):
        part = _count_scaled(_unreduce(g, x, dim, keepdim), x == _unreduce(r, x, dim, keepdim),
                             dims)
        out = part if out is None else out + part
    return out


def _cum_dim(self, dim: int) -> int:
    return normalize_dim(dim, max(self.ndim, 1))


@OPS["cumsum"].overloads[0].backward("CumsumBackward0")
def _cumsum_backward(grad, args):
    if args.self.ndim == 0:
        return grad
    d = _cum_dim(args.self, args.dim)
    return grad.flip(d).cumsum(d).flip(d)


@OPS["cumprod"].overloads[0].backward("CumprodBackward0", saves=("self",), save_result=True)
def _cumprod_backward(grad, args):
    """Without zeros: reverse cumsum of grad * result, over x. At the first zero z of a slice
    the gradient is the reverse cumsum of grad times the cumprod with x_z replaced by 1;
    after it, zero."""
    x = args.self
    if x.ndim == 0 or x.numel() <= 1:
        return grad
    d = _cum_dim(x, args.dim)
    grad = grad.to(x.dtype)

    def rev_cumsum(t):
        return t.flip(d).cumsum(d).flip(d)
    is_zero = x == 0
    if not bool(is_zero.any()):
        return rev_cumsum(grad * args.result) / x
    seen = is_zero.cumsum(d)
    before = seen == 0
    first = is_zero.logical_and(seen == 1)
    safe = _choose(before, x, 1.0)
    at_zero = rev_cumsum(grad * _choose(first, 1.0, x).cumprod(d))
    return _choose(before, rev_cumsum(grad * args.result) / safe,
                   _choose(first, at_zero, 0.0))


def _cum_extreme_backward(grads, args):
    x = args.self
    if x.ndim == 0:
        return grads[0]
    d = _cum_dim(x, args.dim)
    return _zeros_of(x, grads[0]).scatter_add(d, args.result[1], grads[0])


cummax_op.backward("CummaxBackward0", save_result=True)(_cum_extreme_backward)
cummin_op.backward("CumminBackward0", save_result=True)(_cum_extreme_backward)


def _correction(args) -> float:
    if hasattr(args, "unbiased"):
        return float(args.unbiased)
    return 1.0 if args.correction is None else float(args.correction)


def _var_grad(grad: Tensor, x: Tensor, dim, keepdim: bool, correction: float) -> Tensor:
    dims = reduced_dims(x, dim)
    n = numel_of(x.shape[d] for d in dims)
    dof = n - correction
    scale = 2.0 / dof if dof else _math.inf
    return scale * _unreduce(grad, x, dim, keepdim) * (x - x.mean(dims, keepdim=True))


def _std_grad(grad: Tensor, x: Tensor, std: Tensor, dim, keepdim, correction) -> Tensor:
    return _var_grad((grad / (2 * std)).masked_fill(std == 0, 0.0), x, dim, keepdim,
                     correction)


def _mean_grad(grad: Tensor, x: Tensor, dim, keepdim: bool) -> Tensor:
    n = numel_of(x.shape[d] for d in reduced_dims(x, dim))
    return _unreduce(grad, x, dim, keepdim).expand(x.shape) / n


def _var_family_backward(take_sqrt: bool, with_mean: bool):
    def fn(grads, args):
        x, dim = args.self, getattr(args, "dim", None)
        keepdim, corr = getattr(args, "keepdim", False), _correction(args)
        g = grads[0] if with_mean else grads
        if take_sqrt:
            std = args.result[0] if with_mean else args.result
            out = _std_grad(g, x, std, dim, keepdim, corr)
        else:
            out = _var_grad(g, x, dim, keepdim, corr)
        return out + _mean_grad(grads[1], x, dim, keepdim) if with_mean else out
    return fn


for _name, _node, _sqrt, _with_mean in (("var", "VarBackward0", False, False),
                                        ("std", "StdBackward0", True, False),
                                        ("var_mean", "VarMeanBackward0", False, True),
                                        ("std_mean", "StdMeanBackward0", True, True)):
    for _op in OPS[_name].overloads:
        if not is_out_overload(_op):
            _op.backward(_node, saves=("self",), save_result=_sqrt)(
                _var_family_backward(_sqrt, _with_mean))


def _norm_grad(grad: Tensor, x: Tensor, norm: Tensor, p, dim, keepdim: bool) -> Tensor:
    """torch's norm_backward for a vector p-norm (p = 0, 1, 2, +-inf, other)."""
    p = 2.0 if p is None or p == "fro" else float(p)
    grad, norm = _unreduce(grad, x, dim, keepdim), _unreduce(norm, x, dim, keepdim)
    grad, norm = grad.to(x.dtype), norm.to(x.dtype)
    if p == 0:
        from .creation import zeros_like
        return zeros_like(x)
    if p == 1:
        return x.sgn() * grad
    if p == 2:
        return grad * (x / norm).masked_fill(norm == 0, 0.0)
    if _math.isinf(p):
        mask = x.abs() == norm
        return x.sgn() * (grad / mask.sum(reduced_dims(x, dim), keepdim=True) * mask)
    if p < 1:
        scaled = x.sgn() * x.abs().pow(p - 1).masked_fill(x == 0, 0.0)
        return scaled * grad * norm.pow(1 - p)
    scaled = x.sgn() * x.abs().pow(p - 1) if p < 2 else x * x.abs().pow(p - 2)
    return scaled * (grad / norm.pow(p - 1)).masked_fill(norm == 0, 0.0)


@lvn.backward("LinalgVectorNormBackward0", saves=("self",), save_result=True)
def _lvn_backward(grad, args):
    return _norm_grad(grad, args.self, args.result, args.ord, args.dim, args.keepdim)


def _norm_backward(grad, args):
    dim = getattr(args, "dim", None)
    dim = None if isinstance(dim, (tuple, list)) and not dim else dim
    return _norm_grad(grad, args.self, args.result, args.p, dim, getattr(args, "keepdim", False))


for _op in OPS["norm"].overloads:
    if not is_out_overload(_op) and _op is not norm_pystr:
        _op.backward("LinalgVectorNormBackward0", saves=("self",), save_result=True)(
            _norm_backward)
