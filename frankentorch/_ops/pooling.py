"""Pooling: max_pool1d/2d (with indices), avg_pool1d/2d, adaptive_avg_pool1d/2d/3d,
adaptive_max_pool1d/2d, and their backward ops.

Output sizes follow PyTorch's rule: with ``ceil_mode`` the last window may run past the
input, but must start inside the input or its left padding. Max pools run a Numba kernel
(``_kernels.pool``); average pools sum strided windows of the zero-padded input and divide by
a per-window divisor; adaptive averages are separable matrix products.
"""
from __future__ import annotations

import functools

import numpy as np

from .._core import dtype as D
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .spatial import (apply_axes, check_dtype, col2im_add, expand_param, new_result, padded,
                      values, window_sum, wrap)

__all__ = ["pool_output_size"]


@functools.cache
def _K():
    from .._kernels import pool
    return pool


def pool_output_size(size: int, kernel: int, pad: int, stride: int, dilation: int,
                     ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape."""
    num = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_params(name: str, nd: int, kernel_size, stride, padding, dilation=1):
    kernel = expand_param(name, "kernel_size", kernel_size, nd)
    if len(kernel) != nd:
        raise RuntimeError(f"{name}: kernel_size must either be a single int, or a tuple of "
                           f"{'two' if nd == 2 else nd} ints")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else expand_param(name, "stride", stride, nd)
    if len(stride) != nd:
        raise RuntimeError(f"{name}: stride must either be omitted, a single int, or a tuple of "
                           f"{'two' if nd == 2 else nd} ints")
    padding = expand_param(name, "padding", padding, nd)
    dilation = expand_param(name, "dilation", dilation, nd)
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    return kernel, stride, padding, dilation


def _check_effective_pad(kernel, padding, dilation) -> None:
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")


def _pool_shape(self: Tensor, kernel, stride, padding, dilation, ceil_mode,
                name: str) -> tuple[int, ...]:
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: "
                           f"{dilation[0]} dilationW: {dilation[-1]}")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} "
                           f"kW: {kernel[-1]}")
    if self.ndim not in (3, 4) or any(n == 0 for n in self._shape[-3:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(self.shape)}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    if name == "max_pool2d":
        if any(p > k // 2 for k, p in zip(kernel, padding)):
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but "
                               f"got padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, "
                               f"kH = {kernel[0]}")
    else:
        _check_effective_pad(kernel, padding, dilation)
    out = tuple(pool_output_size(s, k, p, st, d, ceil_mode) for s, k, p, st, d in
                zip(self._shape[-2:], kernel, padding, stride, dilation))
    if any(o < 1 for o in out):
        c, h, w = self._shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return self._shape[:-2] + out


_INTEGERS = (D.uint8, D.int8, D.int16, D.int32, D.int64)


def _planes(a: np.ndarray) -> np.ndarray:
    """``a`` as contiguous ``(planes, H, W)``."""
    return np.ascontiguousarray(a).reshape((-1,) + a.shape[-2:])


# ---------------------------------------------------------------- max pooling

max_pool2d_with_indices = defop(
    "max_pool2d_with_indices(Tensor self, int[2] kernel_size, int[2] stride=[], "
    "int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
    variants=("function",))
max_pool2d_with_indices_backward = defop(
    "max_pool2d_with_indices_backward(Tensor grad_output, Tensor self, int[2] kernel_size, "
    "int[2] stride, int[2] padding, int[2] dilation, bool ceil_mode, Tensor indices) -> Tensor",
    variants=("function",))


def _run_max(self: Tensor, shape, windows_h, windows_w):
    """Max over the windows of each (H, W) plane: values and flat indices, or meta results."""
    if self._data is None or not self.numel():
        return (empty_tensor(shape, self._dtype, self._device),
                empty_tensor(shape, D.int64, self._device))
    x = _planes(values(self))
    out = np.empty((x.shape[0],) + shape[-2:], x.dtype)
    ind = np.empty(out.shape, np.int64)
    K = _K()
    parallel = out.size >= it.PARALLEL_MIN
    if x.dtype.kind == "f" and np.isnan(x).any():
        kern = K.max_pool_nan_parallel if parallel else K.max_pool_nan_serial
    else:
        kern = K.max_pool_parallel if parallel else K.max_pool_serial
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    kern(x, out, ind, *windows_h, *windows_w, x.dtype.type(lowest))
    return wrap(out.reshape(shape), self._dtype), wrap(ind.reshape(shape), D.int64)


def _fixed_windows(n_out: int, kernel: int, stride: int, pad: int, dilation: int):
    starts = np.arange(n_out, dtype=np.int64) * stride - pad
    return starts, np.full(n_out, kernel, np.int64), dilation


@max_pool2d_with_indices.impl("CPU", "Meta")
def _max_pool2d_with_indices(self, kernel_size, stride=(), padding=0, dilation=1,
                             ceil_mode=False):
    kernel, stride, padding, dilation = _pool_params("max_pool2d", 2, kernel_size, stride,
                                                     padding, dilation)
    check_dtype(self, "max_pool2d", _INTEGERS)
    shape = _pool_shape(self, kernel, stride, padding, dilation, ceil_mode, "max_pool2d")
    return _run_max(self, shape,
                    _fixed_windows(shape[-2], kernel[0], stride[0], padding[0], dilation[0]),
                    _fixed_windows(shape[-1], kernel[1], stride[1], padding[1], dilation[1]))


def _scatter_max(grad: Tensor, self, indices: Tensor) -> Tensor:
    """Each output gradient added at the input position its index names."""
    shape = tuple(self.shape)
    if tuple(grad.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected grad_output and indices to have the same shape, but got "
                           f"{list(grad.shape)} and {list(indices.shape)}")

    def compute():
        g = values(grad)
        plane = shape[-2] * shape[-1]
        ind = np.ascontiguousarray(indices._array(), np.int64)
        ind = ind.reshape(-1, g.shape[-2] * g.shape[-1])
        out = np.zeros((ind.shape[0], plane), g.dtype)
        _K().scatter_max_grad(np.ascontiguousarray(g).reshape(ind.shape), ind, out)
        return out.reshape(shape)
    return new_result(shape, grad, compute)


@max_pool2d_with_indices_backward.impl("CPU", "Meta")
def _max_pool2d_backward(grad_output, self, kernel_size, stride, padding, dilation, ceil_mode,
                         indices):
    return _scatter_max(grad_output, self, indices)


@max_pool2d_with_indices.backward("MaxPool2DWithIndicesBackward0", saves=("self",),
                                  save_result=True)
def _max_pool2d_grad(grads, args):
    grad = grads[0]
    return max_pool2d_with_indices_backward(grad, args.self, args.kernel_size, args.stride,
                                            args.padding, args.dilation, args.ceil_mode,
                                            args.result[1])


max_pool2d = defop("max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], "
                   "int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> Tensor",
                   variants=("function",))


@max_pool2d.impl("CompositeImplicitAutograd")
def _max_pool2d(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    kernel, _, pad, dil = _pool_params("max_pool2d", 2, kernel_size, stride, padding, dilation)
    _check_effective_pad(kernel, pad, dil)
    return max_pool2d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode)[0]


def _max_pool1d_params(self: Tensor, kernel_size, stride, padding, dilation, ceil_mode):
    """max_pool1d's own checks, then the equivalent 2-d pool over a unit height."""
    name = "max_pool1d"
    if self.ndim not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(self.shape)}")
    kernel = expand_param(name, "kernel_size", kernel_size, 1)[0]
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else expand_param(name, "stride", stride, 1)[0]
    padding = expand_param(name, "padding", padding, 1)[0]
    dilation = expand_param(name, "dilation", dilation, 1)[0]
    if kernel <= 0:
        raise RuntimeError(f"{name}() kernel_size must be greater than zero, but got {kernel}")
    if stride <= 0:
        raise RuntimeError(f"{name}() stride must be greater than zero, but got {stride}")
    if padding < 0:
        raise RuntimeError(f"{name}() padding must be non-negative, but got {padding}")
    if padding > kernel // 2:
        raise RuntimeError(f"{name}() padding should be at most half of kernel size, but got "
                           f"padding={padding} and kernel_size={kernel}")
    if dilation <= 0:
        raise RuntimeError(f"{name}() dilation must be greater than zero, but got {dilation}")
    out = pool_output_size(self._shape[-1], kernel, padding, stride, dilation, ceil_mode)
    if out < 1:
        raise RuntimeError(f"{name}() Invalid computed output size: {out}")
    return self.unsqueeze(-2), (1, kernel), (1, stride), (0, padding), (1, dilation)


max_pool1d_with_indices = defop(
    "max_pool1d_with_indices(Tensor self, int[1] kernel_size, int[1] stride=[], "
    "int[1] padding=[0], int[1] dilation=[1], bool ceil_mode=False) -> (Tensor, Tensor)",
    variants=("function",))
max_pool1d = defop("max_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], "
                   "int[1] padding=[0], int[1] dilation=[1], bool ceil_mode=False) -> Tensor",
                   variants=("function",))


@max_pool1d_with_indices.impl("CompositeImplicitAutograd")
def _max_pool1d_with_indices(self, kernel_size, stride=(), padding=(0,), dilation=(1,),
                             ceil_mode=False):
    x, k, s, p, d = _max_pool1d_params(self, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    out, ind = max_pool2d_with_indices(x, k, s, p, d, ceil_mode)
    return out.squeeze(-2), ind.squeeze(-2)


@max_pool1d.impl("CompositeImplicitAutograd")
def _max_pool1d(self, kernel_size, stride=(), padding=(0,), dilation=(1,), ceil_mode=False):
    return _max_pool1d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode)[0]


# ---------------------------------------------------------------- average pooling

avg_pool2d = defop("avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], "
                   "int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, "
                   "int? divisor_override=None) -> Tensor", variants=("function",))
avg_pool2d_backward = defop(
    "avg_pool2d_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, "
    "int[2] padding, bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor",
    variants=("function",))


def _avg_divisor(sizes, out, kernel, stride, padding, count_include_pad, divisor_override):
    """The divisor of every output window, shape ``out``."""
    if divisor_override is not None:
        return np.full(out, divisor_override, np.int64)
    counts = []
    for s, o, k, st, p in zip(sizes, out, kernel, stride, padding):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, s) - np.maximum(start, 0))
    return counts[0][:, None] * counts[1][None, :]


def _avg_setup(self, kernel_size, stride, padding, ceil_mode, divisor_override):
    kernel, stride, padding, _ = _pool_params("avg_pool2d", 2, kernel_size, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    check_dtype(self, "avg_pool2d", (D.int64,))
    shape = _pool_shape(self, kernel, stride, padding, (1, 1), ceil_mode, "avg_pool2d")
    # zero padding reaching the end of the last (ceil_mode) window
    after = [max((o - 1) * st + k - p - s, 0) for o, st, k, p, s in
             zip(shape[-2:], stride, kernel, padding, self._shape[-2:])]
    return kernel, stride, padding, shape, after


def _divide(total: np.ndarray, div: np.ndarray, integral: bool) -> np.ndarray:
    if integral:  # C++ integer division truncates toward zero (a divisor may be negative)
        q = np.abs(total) // np.abs(div)
        return np.where((total < 0) != (div < 0), -q, q)
    return total / div.astype(total.dtype)


@avg_pool2d.impl("CPU", "Meta")
def _avg_pool2d(self, kernel_size, stride=(), padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
    kernel, stride, padding, shape, after = _avg_setup(self, kernel_size, stride, padding,
                                                       ceil_mode, divisor_override)

    def compute():
        x = values(self)
        xp = padded(x, padding, after)
        total = window_sum(xp, kernel, stride, (1, 1), shape[-2:])
        div = _avg_divisor(self._shape[-2:], shape[-2:], kernel, stride, padding,
                           count_include_pad, divisor_override)
        return _divide(total, div, not self._dtype.is_floating_point)
    return new_result(shape, self, compute)


@avg_pool2d_backward.impl("CPU", "Meta")
def _avg_pool2d_backward(grad_output, self, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override):
    kernel, stride, padding, shape, after = _avg_setup(self, kernel_size, stride, padding,
                                                       ceil_mode, divisor_override)
    sizes = self._shape[-2:]

    def compute():
        g = values(grad_output)
        div = _avg_divisor(sizes, shape[-2:], kernel, stride, padding, count_include_pad,
                           divisor_override)
        share = g / div.astype(g.dtype)
        cols = np.broadcast_to(share[..., None, None, :, :],
                               share.shape[:-2] + tuple(kernel) + share.shape[-2:])
        target = np.zeros(g.shape[:-2] + tuple(s + p + a for s, p, a in
                                               zip(sizes, padding, after)), g.dtype)
        col2im_add(cols, target, kernel, stride, (1, 1))
        return np.ascontiguousarray(target[..., padding[0]:padding[0] + sizes[0],
                                           padding[1]:padding[1] + sizes[1]])
    return new_result(self._shape, grad_output, compute)


@avg_pool2d.backward("AvgPool2DBackward0", saves=("self",))
def _avg_pool2d_grad(grad, args):
    return avg_pool2d_backward(grad, args.self, args.kernel_size, args.stride, args.padding,
                               args.ceil_mode, args.count_include_pad, args.divisor_override)


avg_pool1d = defop("avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], "
                   "int[1] padding=[0], bool ceil_mode=False, bool count_include_pad=True) "
                   "-> Tensor", variants=("function",))


@avg_pool1d.impl("CompositeImplicitAutograd")
def _avg_pool1d(self, kernel_size, stride=(), padding=(0,), ceil_mode=False,
                count_include_pad=True):
    if self.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {self.ndim}-dimensional tensor "
                           "for argument #1 'self' (while checking arguments for avg_pool1d)")
    kernel = expand_param("avg_pool1d", "kernel_size", kernel_size, 1)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else expand_param("avg_pool1d", "stride", stride, 1)
    padding = expand_param("avg_pool1d", "padding", padding, 1)
    out = avg_pool2d(self.unsqueeze(-2), (1, kernel[0]), (1, stride[0]), (0, padding[0]),
                     ceil_mode, count_include_pad)
    return out.squeeze(-2)


# ---------------------------------------------------------------- adaptive pooling

def _adaptive_bounds(size: int, out: int):
    o = np.arange(out)
    return (o * size) // out, -((-(o + 1) * size) // out)


def _adaptive_matrix(size: int, out: int, dt) -> np.ndarray:
    start, end = _adaptive_bounds(size, out)
    cols = np.arange(size)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return inside / (end - start)[:, None].astype(dt)


def _adaptive_shape(name: str, self: Tensor, output_size, nd: int = 2) -> tuple[int, ...]:
    out = expand_param(name, "output_size", output_size, nd)
    if len(out) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    if self.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(self.shape)}")
    for i in range(1, self.ndim):
        if self._shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(self.shape)} with "
                               f"dimension {i} being empty")
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to "
                           f"0 but received {{{out[0]}, {','.join(map(str, out[1:]))}}}")
    return self._shape[:-nd] + out


def _adaptive_avg(nd: int):
    """``_adaptive_avg_pool{nd}d``, its backward op and the composite
    ``adaptive_avg_pool{nd}d`` (a mean when the output is a single element per plane)."""
    name = f"adaptive_avg_pool{nd}d"
    kernel_name = name if nd == 2 else f"{name}_cpu"
    forward = defop(f"_{name}(Tensor self, SymInt[{nd}] output_size) -> Tensor",
                    variants=("function",))
    backward = defop(f"_{name}_backward(Tensor grad_output, Tensor self) -> Tensor",
                     variants=("function",))

    @forward.impl("CPU", "Meta")
    def _kernel(self, output_size):
        shape = _adaptive_shape(name, self, output_size, nd)
        check_dtype(self, kernel_name)

        def compute():
            x = values(self)
            dt = x.dtype if self._dtype.is_floating_point else np.float64
            mats = [_adaptive_matrix(s, o, dt) for s, o in zip(self._shape[-nd:], shape[-nd:])]
            return apply_axes(x.astype(dt, copy=False), mats)
        return new_result(shape, self, compute)

    @backward.impl("CPU", "Meta")
    def _backward_kernel(grad_output, self):
        for i in range(1, grad_output.ndim):
            if grad_output._shape[i] == 0:
                raise RuntimeError(f"{name}_backward(): Expected grad_output to have non-zero "
                                   f"size for non-batch dimensions, but grad_output has sizes "
                                   f"{list(grad_output.shape)} with dimension {i} being empty")

        def compute():
            g = values(grad_output)
            mats = [_adaptive_matrix(s, o, g.dtype).T for s, o in
                    zip(self._shape[-nd:], grad_output._shape[-nd:])]
            return apply_axes(g, mats)
        return new_result(self._shape, grad_output, compute)

    @forward.backward(f"AdaptiveAvgPool{nd}DBackward0", saves=("self",))
    def _grad(grad, args):
        return backward(grad, args.self)

    composite = defop(f"{name}(Tensor self, SymInt[{nd}] output_size) -> Tensor",
                      variants=("function",))

    @composite.impl("CompositeImplicitAutograd")
    def _entry(self, output_size):
        shape = _adaptive_shape(name, self, output_size, nd)
        if shape[-nd:] == (1,) * nd and self.numel():
            return self.mean(tuple(range(-1, -nd - 1, -1)), keepdim=True)
        return forward(self, output_size)
    return forward, backward, composite


_adaptive_avg_pool2d, _adaptive_avg_pool2d_backward, adaptive_avg_pool2d = _adaptive_avg(2)
_adaptive_avg_pool3d, _adaptive_avg_pool3d_backward, adaptive_avg_pool3d = _adaptive_avg(3)


adaptive_avg_pool1d = defop("adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor",
                            variants=("function",))


@adaptive_avg_pool1d.impl("CompositeImplicitAutograd")
def _adaptive_avg_pool1d(self, output_size):
    out = expand_param("adaptive_avg_pool1d", "output_size", output_size, 1)
    _adaptive_shape("adaptive_avg_pool1d", self, out, 1)
    return adaptive_avg_pool2d(self.unsqueeze(-2), (1, out[0])).squeeze(-2)


adaptive_max_pool2d = defop("adaptive_max_pool2d(Tensor self, int[2] output_size) "
                            "-> (Tensor, Tensor)", variants=("function",))
adaptive_max_pool2d_backward = defop(
    "adaptive_max_pool2d_backward(Tensor grad_output, Tensor self, Tensor indices) -> Tensor",
    variants=("function",))


@adaptive_max_pool2d.impl("CPU", "Meta")
def _adaptive_max_pool2d(self, output_size):
    shape = _adaptive_shape("adaptive_max_pool2d", self, output_size)
    check_dtype(self, "adaptive_max_pool2d")

    def axis(size, out):
        start, end = _adaptive_bounds(size, out)
        return start.astype(np.int64), (end - start).astype(np.int64), 1
    return _run_max(self, shape, axis(self._shape[-2], shape[-2]),
                    axis(self._shape[-1], shape[-1]))


@adaptive_max_pool2d_backward.impl("CPU", "Meta")
def _adaptive_max_pool2d_backward(grad_output, self, indices):
    return _scatter_max(grad_output, self, indices)


@adaptive_max_pool2d.backward("AdaptiveMaxPool2DBackward0", saves=("self",), save_result=True)
def _adaptive_max_pool2d_grad(grads, args):
    return adaptive_max_pool2d_backward(grads[0], args.self, args.result[1])


adaptive_max_pool1d = defop("adaptive_max_pool1d(Tensor self, int[1] output_size) "
                            "-> (Tensor, Tensor)", variants=("function",))


@adaptive_max_pool1d.impl("CompositeImplicitAutograd")
def _adaptive_max_pool1d(self, output_size):
    out = expand_param("adaptive_max_pool1d", "output_size", output_size, 1)
    _adaptive_shape("adaptive_max_pool1d", self, out, 1)
    res, ind = adaptive_max_pool2d(self.unsqueeze(-2), (1, out[0]))
    return res.squeeze(-2), ind.squeeze(-2)
