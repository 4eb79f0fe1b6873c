"""Convolutions: convolution (and its backward), conv1d/conv2d/conv3d, conv_transpose1d/2d/3d,
im2col/col2im (``nn.functional.unfold``/``fold``).

A convolution is im2col + one batched BLAS product: the windows of the zero-padded input are
a strided view, copied once into a ``(N, groups, C/groups * prod(kernel), L)`` column matrix
that multiplies the ``(groups, out/groups, C/groups * prod(kernel))`` weight. The gradient
for the input is the adjoint (weightᵀ · grad, then col2im); a transposed convolution's
forward is that same adjoint, and its input gradient an ordinary convolution. The weight
gradient reuses the forward's column matrix when it is still current; double backward
follows from the product being bilinear in (input, weight).
"""
from __future__ import annotations

import warnings
import weakref
from math import prod

import numpy as np

from .._core import dtype as D
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .padding import constant_pad_nd
from .spatial import (check_dtype, col2im_add, expand_param, new_result, padded, values,
                      windows)

__all__ = ["conv_forward", "conv_input_grad", "conv_weight_grad", "bias_grad"]


# ---------------------------------------------------------------- array kernels

def _out_sizes(sizes, kernel, stride, padding, dilation) -> tuple[int, ...]:
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, st, p, d in zip(sizes, kernel, stride, padding, dilation))


def _columns(x: np.ndarray, kernel, stride, padding, dilation, groups: int, out=None):
    """im2col: ``(N, groups, C/groups * prod(kernel), L)`` and the output's spatial size
    (the first ``out`` windows per dim when given)."""
    n, c = x.shape[:2]
    if out is None:
        out = _out_sizes(x.shape[2:], kernel, stride, padding, dilation)
    win = windows(padded(x, padding, padding), kernel, stride, dilation, out)
    cols = np.ascontiguousarray(win).reshape(n, groups, c // groups * prod(kernel), prod(out))
    return cols, out


def conv_forward(x: np.ndarray, w: np.ndarray, stride, padding, dilation, groups: int,
                 keep=None) -> np.ndarray:
    """Cross-correlation of ``x`` (N, C, *S) with ``w`` (O, C/groups, *K); ``keep`` is
    handed the column matrix."""
    cols, out = _columns(x, w.shape[2:], stride, padding, dilation, groups)
    if keep is not None:
        keep(cols)
    wm = w.reshape(groups, w.shape[0] // groups, prod(w.shape[1:]))
    return np.matmul(wm, cols).reshape((x.shape[0], w.shape[0]) + out)


def conv_input_grad(g: np.ndarray, w: np.ndarray, in_sizes, stride, padding, dilation,
                    groups: int) -> np.ndarray:
    """Adjoint of :func:`conv_forward` in ``x``: the gradient for an input of spatial size
    ``in_sizes`` from ``g`` (N, O, *L)."""
    n, o = g.shape[:2]
    kernel = w.shape[2:]
    cin = w.shape[1] * groups
    gm = np.ascontiguousarray(g).reshape(n, groups, o // groups, prod(g.shape[2:]))
    wm = w.reshape(groups, o // groups, prod(w.shape[1:]))
    gcols = np.matmul(wm.transpose(0, 2, 1), gm).reshape((n, cin) + kernel + g.shape[2:])
    target = np.zeros((n, cin) + tuple(s + 2 * p for s, p in zip(in_sizes, padding)),
                      gcols.dtype)
    col2im_add(gcols, target, kernel, stride, dilation)
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_sizes))
    return np.ascontiguousarray(target[(Ellipsis,) + crop])


def conv_weight_grad(g: np.ndarray, x: np.ndarray, w_shape, stride, padding, dilation,
                     groups: int, cols=None) -> np.ndarray:
    """Gradient for the weight of :func:`conv_forward` from ``g`` (N, O, *L); ``x`` may have
    more windows than ``g`` (a transposed convolution's output_padding), the first count.
    ``cols``: the column matrix of ``x`` when the forward kept it."""
    if cols is None:
        cols, _ = _columns(x, w_shape[2:], stride, padding, dilation, groups, g.shape[2:])
    n, o = g.shape[:2]
    gm = np.ascontiguousarray(g).reshape(n, groups, o // groups, prod(g.shape[2:]))
    # one small product per sample, then a sum over the batch: BLAS stays on one thread
    # (one long product over the whole batch goes multi-threaded, and is many times slower
    # whenever other processes hold the cores)
    return np.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w_shape)


def bias_grad(g: np.ndarray) -> np.ndarray:
    """Sum of ``g`` (N, O, *L) over every dim but the channels."""
    rows = np.ascontiguousarray(g).reshape(g.shape[:2] + (prod(g.shape[2:]),))
    return rows.sum(axis=2).sum(axis=0)


class _ColumnsMemo:
    """The column matrix of the latest convolution whose weight requires grad, kept for its
    weight gradient so that backward does not rebuild it (one entry, at most LIMIT bytes).
    It belongs to an input while that input's storage is the same object at the same
    version (in-place writes bump it) seen through the same geometry."""

    LIMIT = 64 << 20

    def __init__(self) -> None:
        self.key, self.storage, self.cols = None, None, None

    @staticmethod
    def _key(t: Tensor, params) -> tuple:
        st = t._storage
        return (id(st), st.version, t._offset, t._shape, t._stride, t._dtype, params)

    def put(self, t: Tensor, params, cols: np.ndarray) -> None:
        self.key, self.storage, self.cols = None, None, None
        if cols.nbytes <= self.LIMIT:
            self.key, self.storage, self.cols = self._key(t, params), weakref.ref(t._storage), \
                cols

    def take(self, t: Tensor, params):
        """The kept matrix for ``t`` (then forgotten), or None."""
        cols = self.cols
        if cols is None or self.storage() is not t._storage or self.key != self._key(t, params):
            return None
        self.key, self.storage, self.cols = None, None, None
        return cols


_MEMO = _ColumnsMemo()


# ---------------------------------------------------------------- argument checks

def _type_name(t: Tensor) -> str:
    return f"torch.{t._dtype.scalar_type_name}Tensor"


def _check_params(stride, padding, dilation, output_padding, groups, transposed,
                  nd: int) -> None:
    for name, vals in (("stride", stride), ("padding", padding), ("dilation", dilation)):
        if len(vals) != nd:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(vals)}")
    if transposed and len(output_padding) != nd:
        raise RuntimeError(f"expected output_padding to be a single integer value or a list of "
                           f"{nd} values to match the convolution dimensions, but got "
                           f"output_padding={list(output_padding)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_kernel(x: Tensor, w: Tensor) -> None:
    kernel = w._shape[2:]
    if any(k <= 0 for k in kernel):
        if len(kernel) == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got: "
                               f"{' x '.join(map(str, kernel))} (TxHxW)")
        kh, kw = (1,) + kernel if len(kernel) == 1 else kernel
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{kh} kernel_width: {kw}")
    if any(n == 0 for n in x._shape[2:]):
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {list(x.shape)}")


def _check_shapes(x: Tensor, w: Tensor, bias, stride, padding, dilation, transposed,
                  output_padding, groups) -> None:
    k = w.ndim
    if x.ndim != k:
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight "
                           f"{list(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead")
    wsz = list(w.shape)
    if w._shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{wsz}] instead")
    cin = x._shape[1]
    if not transposed:
        if w._shape[0] < groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} "
                               f"at dimension 0, but got weight of size [{wsz}] instead")
        if cin != w._shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {wsz}, expected "
                               f"input{list(x.shape)} to have {w._shape[1] * groups} channels, "
                               f"but got {cin} channels instead")
        if bias is not None and (bias.ndim != 1 or bias._shape[0] != w._shape[0]):
            raise RuntimeError(f"Given weight of size {wsz}, expected bias to be 1-dimensional "
                               f"with {w._shape[0]} elements, but got bias of size "
                               f"{list(bias.shape)} instead")
        sp = [s + 2 * p for s, p in zip(x._shape[2:], padding)]
        ks = [d * (kk - 1) + 1 for kk, d in zip(w._shape[2:], dilation)]
        if any(a < b for a, b in zip(sp, ks)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, sp))}). Kernel size: "
                               f"({' x '.join(map(str, ks))}). Kernel size can't be greater "
                               "than actual input size")
    else:
        if cin != w._shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {wsz}, expected "
                               f"input{list(x.shape)} to have {w._shape[0]} channels, but got "
                               f"{cin} channels instead")
        cout = w._shape[1] * groups
        if bias is not None and (bias.ndim != 1 or bias._shape[0] != cout):
            raise RuntimeError(f"Given transposed=1, weight of size {wsz}, expected bias to be "
                               f"1-dimensional with {cout} elements, but got bias of size "
                               f"{list(bias.shape)} instead")
        if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={list(output_padding)}, "
                               f"stride={list(stride)}, dilation={list(dilation)}")


def _check_types(x: Tensor, w: Tensor, bias) -> None:
    if x._dtype is not w._dtype:
        raise RuntimeError(f"Input type ({_type_name(x)}) and weight type ({_type_name(w)}) "
                           "should be the same or input should be a MKLDNN tensor and weight "
                           "is a dense tensor")
    if bias is not None and bias._dtype is not x._dtype:
        raise RuntimeError(f"Input type ({x._dtype.cxx_name}) and bias type "
                           f"({bias._dtype.cxx_name}) should be the same")


def _check_kernel_dtype(x: Tensor, w: Tensor, transposed: bool) -> None:
    if x._dtype is D.bool_:
        raise NotImplementedError("\"slow_conv2d_cpu\" not implemented for 'Bool'")
    if transposed:
        check_dtype(x, f"slow_conv_transpose{max(w.ndim - 2, 2)}d_out_cpu", (D.int64,))


def _output_shape(x: Tensor, w: Tensor, stride, padding, dilation, transposed, output_padding,
                  groups) -> tuple[int, ...]:
    if transposed:
        sp = tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, k, st, p, d, op in
                   zip(x._shape[2:], w._shape[2:], stride, padding, dilation, output_padding))
        if any(s <= 0 for s in sp) and x.numel():
            raise RuntimeError(f"Given input size per channel: "
                               f"({' x '.join(map(str, x._shape[2:]))}). Calculated output size "
                               f"per channel: ({' x '.join(map(str, sp))}). Output size is too "
                               "small")
        return (x._shape[0], w._shape[1] * groups) + tuple(max(s, 0) for s in sp)
    sp = _out_sizes(x._shape[2:], w._shape[2:], stride, padding, dilation)
    return (x._shape[0], w._shape[0]) + sp


# ---------------------------------------------------------------- convolution

convolution = defop("convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, "
                    "SymInt[] padding, SymInt[] dilation, bool transposed, "
                    "SymInt[] output_padding, SymInt groups) -> Tensor", variants=("function",))
convolution_backward = defop(
    "convolution_backward(Tensor grad_output, Tensor input, Tensor weight, SymInt[]? bias_sizes, "
    "SymInt[] stride, SymInt[] padding, SymInt[] dilation, bool transposed, "
    "SymInt[] output_padding, SymInt groups, bool[3] output_mask) -> (Tensor, Tensor, Tensor)",
    variants=("function",))


def _bind_params(input, weight, stride, padding, dilation, output_padding, groups):
    nd = max(weight.ndim - 2, 1)
    return (expand_param("convolution", "stride", stride, nd),
            expand_param("convolution", "padding", padding, nd),
            expand_param("convolution", "dilation", dilation, nd),
            expand_param("convolution", "output_padding", output_padding, nd), int(groups))


@convolution.impl("CPU", "Meta")
def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                 groups):
    stride, padding, dilation, output_padding, groups = _bind_params(
        input, weight, stride, padding, dilation, output_padding, groups)
    _check_params(stride, padding, dilation, output_padding, groups, transposed,
                  weight.ndim - 2)
    _check_types(input, weight, bias)
    _check_shapes(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                  groups)
    _check_kernel_dtype(input, weight, transposed)
    _check_kernel(input, weight)
    it.common_device(input, weight, *([bias] if bias is not None else []))
    shape = _output_shape(input, weight, stride, padding, dilation, transposed, output_padding,
                          groups)

    def compute():
        x, w = values(input), values(weight)
        if transposed:
            out = conv_input_grad(x, w, shape[2:], stride, padding, dilation, groups)
        else:
            keep = None
            if weight._requires_grad:
                params = (weight._shape, stride, padding, dilation, groups)
                keep = lambda cols: _MEMO.put(input, params, cols)  # noqa: E731
            out = conv_forward(x, w, stride, padding, dilation, groups, keep)
        if bias is not None:
            out += values(bias).reshape((-1,) + (1,) * (len(shape) - 2))
        return out
    return new_result(shape, input, compute)


@convolution_backward.impl("CPU", "Meta")
def _convolution_backward(grad_output, input, weight, bias_sizes, stride, padding, dilation,
                          transposed, output_padding, groups, output_mask):
    stride, padding, dilation, output_padding, groups = _bind_params(
        input, weight, stride, padding, dilation, output_padding, groups)
    mask = tuple(output_mask)
    w_shape = weight._shape
    g = values(grad_output) if grad_output._data is not None else None
    in_sp = input._shape[2:]

    def grad_input():
        if transposed:
            out = conv_forward(g, values(weight), stride, padding, dilation, groups)
            return np.ascontiguousarray(out[(Ellipsis,) + tuple(slice(0, s) for s in in_sp)])
        return conv_input_grad(g, values(weight), in_sp, stride, padding, dilation, groups)

    def grad_weight():
        if transposed:
            return conv_weight_grad(values(input), g, w_shape, stride, padding, dilation, groups)
        cols = _MEMO.take(input, (w_shape, stride, padding, dilation, groups))
        return conv_weight_grad(g, values(input), w_shape, stride, padding, dilation, groups,
                                cols)

    # an output left out by output_mask is an empty tensor (PyTorch's undefined tensor)
    none = empty_tensor((0,), grad_output._dtype, grad_output._device)
    gi = new_result(input._shape, input, grad_input) if mask[0] else none
    gw = new_result(w_shape, weight, grad_weight) if mask[1] else none
    gb = new_result((grad_output._shape[1],), grad_output, lambda: bias_grad(g)) \
        if mask[2] else none
    return gi, gw, gb


@convolution.backward("ConvolutionBackward0", saves=("input", "weight"))
def _convolution_grad(grad, args):
    bias = args.bias
    mask = (args.input.requires_grad, args.weight.requires_grad, bias is not None)
    gi, gw, gb = convolution_backward(
        grad, args.input, args.weight, None if bias is None else list(bias.shape), args.stride,
        args.padding, args.dilation, args.transposed, args.output_padding, args.groups, mask)
    return tuple(g if m else None for g, m in zip((gi, gw, gb), mask))


@convolution_backward.backward("ConvolutionBackwardBackward0",
                               saves=("grad_output", "input", "weight"))
def _convolution_double_grad(grads, args):
    """The convolution is bilinear in (input, weight): with B its product, the backward
    returns B_input*(g; weight), B_weight*(g; input) and the channel sums of g, so the
    gradients of those are B(ggI, weight) + B(input, ggW) + ggb for g, B_input*(g; ggW) for
    the input and B_weight*(g; ggI) for the weight."""
    gg_i, gg_w, gg_b = (x if m else None for x, m in zip(grads, args.output_mask))
    g, x, w = args.grad_output, args.input, args.weight
    conv = (args.stride, args.padding, args.dilation, args.transposed, args.output_padding,
            args.groups)
    terms = []
    if gg_i is not None:
        terms.append(convolution(gg_i, w, None, *conv))
    if gg_w is not None:
        terms.append(convolution(x, gg_w, None, *conv))
    if gg_b is not None:
        terms.append(gg_b.reshape((1, -1) + (1,) * (g.ndim - 2)))
    d_g = sum(terms[1:], terms[0]) if terms else None
    d_x = convolution_backward(g, x, gg_w, None, *conv, (True, False, False))[0] \
        if gg_w is not None else None
    d_w = convolution_backward(g, gg_i, w, None, *conv, (False, True, False))[1] \
        if gg_i is not None else None
    return d_g, d_x, d_w


# ---------------------------------------------------------------- conv1d / conv2d / conv3d

def _conv_nd(nd: int, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    out = convolution(x, weight, bias, stride, padding, dilation, False, [0] * nd, groups)
    return out.squeeze(0) if unbatched else out


def _same_padding(nd: int, input, weight, dilation):
    """Symmetric padding for ``padding='same'``, and the input padded on the right where the
    total padding is odd (as torch does, with its warning)."""
    dil = expand_param(f"conv{nd}d", "dilation", dilation, nd)
    kernel = weight.shape[2:]
    total = [d * (k - 1) for d, k in zip(dil, kernel)]
    left = [t // 2 for t in total]
    extra = [t - 2 * l for t, l in zip(total, left)]
    if any(extra):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require "
                      "a zero-padded copy of the input be created", UserWarning, stacklevel=4)
        pad = []
        for e in reversed(extra):
            pad += [0, e]
        input = constant_pad_nd(input, pad, 0)
    return input, left


def _conv_nd_str(nd: int, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    stride_v = expand_param(name, "stride", stride, nd)
    if padding == "valid":
        return _conv_nd(nd, input, weight, bias, stride, [0] * nd, dilation, groups)
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride_v):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    if input.ndim not in (nd + 1, nd + 2):
        return _conv_nd(nd, input, weight, bias, stride, [0] * nd, dilation, groups)
    input, left = _same_padding(nd, input, weight, dilation)
    return _conv_nd(nd, input, weight, bias, stride, left, dilation, groups)


def _conv_transpose_nd(nd: int, input, weight, bias, stride, padding, output_padding, groups,
                       dilation):
    name = f"conv_transpose{nd}d"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    out = convolution(x, weight, bias, stride, padding, dilation, True, output_padding, groups)
    return out.squeeze(0) if unbatched else out


def _define_convs() -> None:
    for nd in (1, 2, 3):
        ones = "[" + ", ".join(["1"] * nd) + "]"
        zeros = "[" + ", ".join(["0"] * nd) + "]"
        plain = defop(f"conv{nd}d(Tensor input, Tensor weight, Tensor? bias=None, "
                      f"SymInt[{nd}] stride={ones}, SymInt[{nd}] padding={zeros}, "
                      f"SymInt[{nd}] dilation={ones}, SymInt groups=1) -> Tensor",
                      variants=("function",))
        named = defop(f"conv{nd}d.padding(Tensor input, Tensor weight, Tensor? bias=None, "
                      f"SymInt[{nd}] stride={ones}, str padding=\"valid\", "
                      f"SymInt[{nd}] dilation={ones}, SymInt groups=1) -> Tensor",
                      variants=("function",))
        overload = "" if nd == 1 else ".input"
        transposed = defop(f"conv_transpose{nd}d{overload}(Tensor input, Tensor weight, "
                           f"Tensor? bias=None, SymInt[{nd}] stride={ones}, "
                           f"SymInt[{nd}] padding={zeros}, SymInt[{nd}] output_padding={zeros}, "
                           f"SymInt groups=1, SymInt[{nd}] dilation={ones}) -> Tensor",
                           variants=("function",))
        plain.impl("CompositeImplicitAutograd")(
            lambda *a, _nd=nd: _conv_nd(_nd, *a))
        named.impl("CompositeImplicitAutograd")(
            lambda *a, _nd=nd: _conv_nd_str(_nd, *a))
        transposed.impl("CompositeImplicitAutograd")(
            lambda *a, _nd=nd: _conv_transpose_nd(_nd, *a))


_define_convs()


# ---------------------------------------------------------------- im2col / col2im

im2col = defop("im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, "
               "int[2] stride) -> Tensor", variants=("function",))
col2im = defop("col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, "
               "int[2] padding, int[2] stride) -> Tensor", variants=("function",))


def _check_unfold_params(kernel, dilation, padding, stride) -> None:
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{kernel[0]} kernel_width: {kernel[1]}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: "
                           f"{stride[0]} stride_width: {stride[1]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{dilation[0]} dilation_width: {dilation[1]}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")


@im2col.impl("CPU", "Meta")
def _im2col(self, kernel_size, dilation, padding, stride):
    kernel, dilation, padding, stride = (expand_param("im2col", n, v, 2) for n, v in (
        ("kernel_size", kernel_size), ("dilation", dilation), ("padding", padding),
        ("stride", stride)))
    _check_unfold_params(kernel, dilation, padding, stride)
    check_dtype(self, "im2col_out_cpu", (D.bool_,))
    if self.ndim not in (3, 4) or any(n == 0 for n in self._shape[-3:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(self.shape)}")
    batched = self.ndim == 4
    x = self if batched else self.unsqueeze(0)
    out = _out_sizes(x._shape[2:], kernel, stride, padding, dilation)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size ({x._shape[2]}, {x._shape[3]}), "
                           f"kernel_size=({kernel[0]}, {kernel[1]}), dilation=({dilation[0]}, "
                           f"{dilation[1]}), padding=({padding[0]}, {padding[1]}), calculated "
                           f"shape of the array of sliding blocks as ({out[0]}, {out[1]}), but "
                           "its components must be at least one.")
    n, c = x._shape[:2]
    shape = (n, c * kernel[0] * kernel[1], out[0] * out[1])

    def compute():
        return _columns(values(x), kernel, stride, padding, dilation, 1)[0].reshape(shape)
    res = new_result(shape, self, compute)
    return res if batched else res.squeeze(0)


@col2im.impl("CPU", "Meta")
def _col2im(self, output_size, kernel_size, dilation, padding, stride):
    size, kernel, dilation, padding, stride = (expand_param("col2im", n, v, 2) for n, v in (
        ("output_size", output_size), ("kernel_size", kernel_size), ("dilation", dilation),
        ("padding", padding), ("stride", stride)))
    _check_unfold_params(kernel, dilation, padding, stride)
    if self.ndim not in (2, 3) or any(n == 0 for n in self._shape[-2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(self.shape)}")
    batched = self.ndim == 3
    x = self if batched else self.unsqueeze(0)
    n, ck, length = x._shape
    kk = kernel[0] * kernel[1]
    if ck % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size=({kernel[0]}, {kernel[1]})")
    blocks = _out_sizes(size, kernel, stride, padding, dilation)
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({kernel[0]}, "
                           f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), "
                           f"padding=({padding[0]}, {padding[1]}), stride=({stride[0]}, "
                           f"{stride[1]}), expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    check_dtype(self, "col2im_out_cpu", (D.bool_,))
    c = ck // kk
    shape = (n, c) + tuple(size)

    def compute():
        cols = values(x).reshape((n, c) + tuple(kernel) + blocks)
        target = np.zeros((n, c) + tuple(s + 2 * p for s, p in zip(size, padding)), cols.dtype)
        col2im_add(cols, target, kernel, stride, dilation)
        return np.ascontiguousarray(target[:, :, padding[0]:padding[0] + size[0],
                                           padding[1]:padding[1] + size[1]])
    res = new_result(shape, self, compute)
    return res if batched else res.squeeze(0)


@im2col.backward("Im2ColBackward0")
def _im2col_grad(grad, args):
    return col2im(grad, list(args.self.shape[-2:]), args.kernel_size, args.dilation,
                  args.padding, args.stride)


@col2im.backward("Col2ImBackward0")
def _col2im_grad(grad, args):
    return im2col(grad, args.kernel_size, args.dilation, args.padding, args.stride)
