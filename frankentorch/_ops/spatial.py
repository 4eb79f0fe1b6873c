"""Array machinery shared by the spatial ops (convolution, pooling, padding, resampling).

Windows over the spatial dims of an ``(N, C, *S)`` array are strided NumPy views (im2col with
no copy until the caller asks for one); their adjoint, col2im, adds windows back with one
vectorised slice-add per kernel offset. Halves compute in float32 and round once.
"""
from __future__ import annotations

from itertools import product

import numpy as np

from .._core import dtype as D
from .._core.meta import numel_of
from .._core.storage import store
from .._tensor import Tensor, empty_tensor, from_array
from . import iterator as it
from .args import int_list
from .linalg import _view

__all__ = ["values", "wrap", "windows", "col2im_add", "padded", "expand_param",
           "new_result", "HALVES", "window_sum", "check_dtype", "gather_axes", "one_hot", "apply_axes"]

HALVES = (D.float16, D.bfloat16)


def values(t: Tensor) -> np.ndarray:
    """``t`` as a NumPy view (a cheap slice when contiguous), halves widened to float32."""
    a = _view(t)
    return a.astype(np.float32) if t._dtype in HALVES else a


def check_dtype(t: Tensor, kernel: str, integers=()) -> None:
    """The dtypes a CPU kernel of PyTorch's accepts: floating types and the listed integer
    types; others raise its NotImplementedError."""
    dt = t._dtype
    if not dt.is_floating_point and dt not in integers:
        raise it.not_implemented(kernel, dt)


def wrap(arr: np.ndarray, dt: D.dtype) -> Tensor:
    """A contiguous CPU tensor of dtype ``dt`` holding ``arr`` (no copy when it already is)."""
    if arr.dtype == dt.np_dtype and dt not in HALVES and arr.flags.c_contiguous:
        return from_array(arr, dt)
    out = empty_tensor(arr.shape, dt)
    if arr.size:
        store(out._array(), arr)
    return out


def new_result(shape, like: Tensor, arr_fn) -> Tensor:
    """The result of an op on ``like``: shape-only on meta, else ``wrap(arr_fn())``."""
    if like._data is None:
        return empty_tensor(tuple(shape), like._dtype, like._device)
    if numel_of(shape) == 0:
        return empty_tensor(tuple(shape), like._dtype, like._device)
    return wrap(arr_fn(), like._dtype)


def expand_param(name: str, arg: str, value, n: int) -> tuple[int, ...]:
    """An int or int list argument as ``n`` ints (a single value is repeated)."""
    vals = int_list(name, arg, value)
    if len(vals) == 1 and n > 1:
        vals = vals * n
    return vals


def padded(a: np.ndarray, before, after, fill=0) -> np.ndarray:
    """``a`` with its trailing ``len(before)`` dims padded by ``before``/``after`` elements of
    ``fill`` (a fresh array; ``a`` itself when nothing is added)."""
    nd = len(before)
    if not any(before) and not any(after):
        return a
    lead = a.shape[:a.ndim - nd]
    sp = a.shape[a.ndim - nd:]
    out = np.full(lead + tuple(s + b + e for s, b, e in zip(sp, before, after)), fill, a.dtype)
    out[(Ellipsis,) + tuple(slice(b, b + s) for b, s in zip(before, sp))] = a
    return out


def windows(a: np.ndarray, kernel, stride, dilation, out_size) -> np.ndarray:
    """The strided view ``(lead..., *kernel, *out_size)`` of the windows of ``a``'s trailing
    ``len(kernel)`` dims: element ``[..., k, o]`` is ``a[..., o*stride + k*dilation]``."""
    nd = len(kernel)
    lead = a.shape[:a.ndim - nd]
    st = a.strides
    sp_st = st[a.ndim - nd:]
    shape = lead + tuple(kernel) + tuple(out_size)
    strides = st[:a.ndim - nd] + tuple(s * d for s, d in zip(sp_st, dilation)) + \
        tuple(s * k for s, k in zip(sp_st, stride))
    return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)


def _window_slices(kernel, stride, dilation, out_size):
    """Per kernel offset ``k``: the offset and the slices picking ``a[..., o*stride +
    k*dilation]`` for every output position ``o``."""
    for k in product(*(range(n) for n in kernel)):
        yield k, (Ellipsis,) + tuple(slice(kk * d, kk * d + s * (o - 1) + 1, s)
                                     for kk, d, s, o in zip(k, dilation, stride, out_size))


def window_sum(a: np.ndarray, kernel, stride, dilation, out_size) -> np.ndarray:
    """Sum of every window of ``a``'s trailing dims: one strided slice-add per kernel offset
    (many times faster than reducing the 2*nd-dim window view)."""
    slices = _window_slices(kernel, stride, dilation, out_size)
    total = a[next(slices)[1]].copy()
    for _, sl in slices:
        total += a[sl]
    return total


def col2im_add(cols: np.ndarray, target: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Adjoint of :func:`windows`: add every window ``cols[..., *k, *o]`` of shape
    ``(lead..., *kernel, *out_size)`` into ``target`` (its trailing dims) at its position."""
    nd = len(kernel)
    out_size = cols.shape[cols.ndim - nd:]
    for k, sl in _window_slices(kernel, stride, dilation, out_size):
        target[sl] += cols[(Ellipsis,) + k + (slice(None),) * nd]
    return target


def gather_axes(a: np.ndarray, indices) -> np.ndarray:
    """``a`` with its trailing ``len(indices)`` dims re-sampled: output element ``j`` of
    axis ``k`` is input element ``indices[k][j]``."""
    nd = len(indices)
    for k, idx in enumerate(indices):
        a = np.take(a, idx, axis=a.ndim - nd + k)
    return a


def one_hot(indices: np.ndarray, size: int, dt) -> np.ndarray:
    """The ``(len(indices), size)`` matrix selecting ``indices``."""
    m = np.zeros((len(indices), size), dt)
    m[np.arange(len(indices)), indices] = 1
    return m


def apply_axes(a: np.ndarray, matrices) -> np.ndarray:
    """``a`` with each trailing axis ``k`` mapped by ``matrices[k]`` (out_k, in_k): the
    separable linear map behind average pools, resampling and the adjoints of gathers."""
    nd = len(matrices)
    for k, m in enumerate(matrices):
        ax = a.ndim - nd + k
        if ax == a.ndim - 1:
            a = a @ m.T
        else:
            a = np.moveaxis(np.moveaxis(a, ax, -1) @ m.T, -1, ax)
    return np.ascontiguousarray(a)
