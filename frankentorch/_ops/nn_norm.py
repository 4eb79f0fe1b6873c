"""Normalisation ops: native_batch_norm, native_layer_norm, native_group_norm (kernels and
derivatives, recorded as torch's ``Native*NormBackward0``), their composites batch_norm,
layer_norm, group_norm and instance_norm.

Statistics and gradients are computed in NumPy in float64 and rounded once to the input's
dtype; the backward kernels are registered ops returning (grad_input, grad_weight, grad_bias)
like ATen's.
"""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._core.meta import numel_of
from .._core.storage import store
from .._dispatch.dispatcher import OPS, defop
from .._tensor import Tensor
from .args import int_list
from .nn_common import is_meta, result, values

__all__ = []


def _np_dtype(dt: D.dtype):
    """The NumPy scalar type the kernels compute in: float64, rounded once to the result's
    dtype (statistics over few elements cancel badly in float32)."""
    return np.float64


def _vals(t: Tensor, np_dt) -> np.ndarray:
    return values(t).astype(np_dt, copy=False)


def _standardized_grad(xhat: np.ndarray, dxhat: np.ndarray, rstd: np.ndarray, axes) -> np.ndarray:
    """Gradient through ``xhat = (x - mean(x)) * rstd`` with the statistics taken over
    ``axes``: ``rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))``."""
    return rstd * (dxhat - dxhat.mean(axes, keepdims=True)
                   - xhat * (dxhat * xhat).mean(axes, keepdims=True))


def _param_grads(grad: np.ndarray, xhat: np.ndarray, axes, shape):
    """(grad_weight, grad_bias) of an affine ``xhat * w + b``, summed over ``axes``."""
    return (grad * xhat).sum(axes).reshape(shape), grad.sum(axes).reshape(shape)


def _check_dtypes(input: Tensor, params, stats) -> None:
    """torch's mixed-dtype rules of the CPU normalisation kernels."""
    dt = input._dtype
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{dt.scalar_type_name}'")
    given = [t for t in params + stats if t is not None]
    if dt in (D.float16, D.bfloat16) and any(t._dtype is D.float32 for t in given):
        # reduced-precision input with float parameters: all of them must then be float
        if any(t._dtype is not D.float32 for t in given):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                               "Float")
        return
    others = [t for t in given if t._dtype is not dt]
    if not others:
        return
    if dt is D.float64:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if any(t is not None and t._dtype is not dt for t in params):
        raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of "
                           f"{dt.scalar_type_name}")
    raise RuntimeError(f"expected scalar type {dt.scalar_type_name} but found "
                       f"{others[0]._dtype.scalar_type_name}")


# ---------------------------------------------------------------------------- batch norm

native_batch_norm = defop(
    "native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, "
    "Tensor? running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
    variants=("function",))
native_batch_norm_backward = defop(
    "native_batch_norm_backward(Tensor grad_out, Tensor input, Tensor? weight, "
    "Tensor? running_mean, Tensor? running_var, Tensor? save_mean, Tensor? save_invstd, "
    "bool train, float eps, bool[3] output_mask) -> (Tensor, Tensor, Tensor)", variants=())


def _channels(input: Tensor) -> int:
    return input._shape[1] if input.ndim > 1 else 0


def _check_batch_norm(input, weight, bias, running_mean, running_var, training) -> None:
    c = _channels(input)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            if t.numel() != c:
                raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
        elif not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    _check_dtypes(input, [weight, bias], [running_mean, running_var])


def _channel_view(input: Tensor):
    """(axes reduced per channel, shape a per-channel vector broadcasts with)."""
    nd = input.ndim
    return (0,) + tuple(range(2, nd)), (1, _channels(input)) + (1,) * (nd - 2)


@native_batch_norm.impl("CPU", "Meta")
def _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                       eps):
    _check_batch_norm(input, weight, bias, running_mean, running_var, training)
    dt, dev = input._dtype, input._device
    c = _channels(input)
    stat_shape = (c,) if training else (0,)
    if is_meta(input, weight, bias, running_mean, running_var):
        return (result(None, dt, input._shape, dev), result(None, dt, stat_shape, dev),
                result(None, dt, stat_shape, dev))
    np_dt = _np_dtype(dt)
    x = _vals(input, np_dt)
    axes, cshape = _channel_view(input)
    if training:
        mean = x.mean(axes)
        var = ((x - mean.reshape(cshape)) ** 2).mean(axes)
        invstd = 1 / np.sqrt(var + np_dt(eps))
        n = x.size // max(c, 1)
        _blend_stat(running_mean, mean, momentum)
        with np.errstate(divide="ignore", invalid="ignore"):
            _blend_stat(running_var, var * (n / (n - 1)) if n > 1 else var * np.inf, momentum)
        save_mean, save_invstd = mean, invstd
    else:
        mean = _vals(running_mean, np_dt)
        invstd = 1 / np.sqrt(_vals(running_var, np_dt) + np_dt(eps))
        save_mean = save_invstd = np.zeros(0, np_dt)
    scale = invstd if weight is None else invstd * _vals(weight, np_dt)
    out = (x - mean.reshape(cshape)) * scale.reshape(cshape)
    if bias is not None:
        out = out + _vals(bias, np_dt).reshape(cshape)
    return (result(out, dt, input._shape, dev), result(save_mean, dt, stat_shape, dev),
            result(save_invstd, dt, stat_shape, dev))


def _blend_stat(stat, batch_value: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch, written in place by the kernel
    (as in torch, the version counter does not move: the op saves these tensors)."""
    if stat is None:
        return
    dst = stat._array()
    store(dst, (1 - momentum) * dst.astype(np.float64) + momentum * batch_value)


@native_batch_norm_backward.impl("CPU", "Meta")
def _native_batch_norm_backward(grad_out, input, weight, running_mean, running_var, save_mean,
                                save_invstd, train, eps, output_mask):
    dt, dev = input._dtype, input._device
    c = _channels(input)
    if is_meta(grad_out, input):
        return tuple(result(None, dt, s, dev) for s in (input._shape, (c,), (c,)))
    np_dt = _np_dtype(dt)
    x, g = _vals(input, np_dt), _vals(grad_out, np_dt)
    axes, cshape = _channel_view(input)
    if train:
        mean, invstd = _vals(save_mean, np_dt), _vals(save_invstd, np_dt)
    else:
        mean = _vals(running_mean, np_dt)
        invstd = 1 / np.sqrt(_vals(running_var, np_dt) + np_dt(eps))
    mean, invstd = mean.reshape(cshape), invstd.reshape(cshape)
    w = np.ones(cshape, np_dt) if weight is None else _vals(weight, np_dt).reshape(cshape)
    xhat = (x - mean) * invstd
    gi = _standardized_grad(xhat, g * w, invstd, axes) if train else g * w * invstd
    gw, gb = _param_grads(g, xhat, axes, (c,))
    return (result(gi, dt, input._shape, dev), result(gw, dt, (c,), dev),
            result(gb, dt, (c,), dev))


@native_batch_norm.backward("NativeBatchNormBackward0",
                            saves=("input", "weight", "running_mean", "running_var"),
                            save_result=True, inputs=("input", "weight", "bias"),
                            outputs=(True, False, False))
def _batch_norm_derivative(grads, args):
    _, save_mean, save_invstd = args.result
    return native_batch_norm_backward(grads[0], args.input, args.weight, args.running_mean,
                                      args.running_var, save_mean, save_invstd, args.training,
                                      args.eps, [True, True, True])


batch_norm = defop("batch_norm(Tensor input, Tensor? weight, Tensor? bias, "
                   "Tensor? running_mean, Tensor? running_var, bool training, float momentum, "
                   "float eps, bool cudnn_enabled) -> Tensor", variants=("function",))


@batch_norm.impl("CompositeImplicitAutograd")
def _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                cudnn_enabled):
    if input.numel() == 0:
        # as in torch: a copy (a view or an empty tensor would cut the graph), scaled and
        # shifted by the first weight and bias elements; no shape or mode checks
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        return out if bias is None else out + bias[0]
    return native_batch_norm(input, weight, bias, running_mean, running_var, training,
                             momentum, eps)[0]


instance_norm = defop("instance_norm(Tensor input, Tensor? weight, Tensor? bias, "
                      "Tensor? running_mean, Tensor? running_var, bool use_input_stats, "
                      "float momentum, float eps, bool cudnn_enabled) -> Tensor",
                      variants=("function",))


@instance_norm.impl("CompositeImplicitAutograd")
def _instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                   eps, cudnn_enabled):
    """Batch norm of the input viewed as one sample of batch*channels channels; running
    statistics are averaged back over the batch, as ATen's instance_norm."""
    from ..autograd import no_grad
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    b, c = input._shape[0], input._shape[1]
    shape = (1, b * c) + input._shape[2:]
    repeat = OPS["repeat"].function()
    rm = repeat(running_mean, [b]) if running_mean is not None else None
    rv = repeat(running_var, [b]) if running_var is not None else None
    out = batch_norm(input.contiguous().view(shape),
                     repeat(weight, [b]) if weight is not None else None,
                     repeat(bias, [b]) if bias is not None else None, rm, rv,
                     use_input_stats, momentum, eps, cudnn_enabled)
    with no_grad():
        for stat, repeated in ((running_mean, rm), (running_var, rv)):
            if stat is not None:
                stat.copy_(repeated.view(b, c).mean(0))
    return out.view(input._shape)


# ---------------------------------------------------------------------------- layer norm

native_layer_norm = defop(
    "native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, "
    "float eps) -> (Tensor, Tensor, Tensor)", variants=("function",))
native_layer_norm_backward = defop(
    "native_layer_norm_backward(Tensor grad_out, Tensor input, SymInt[] normalized_shape, "
    "Tensor mean, Tensor rstd, Tensor? weight, Tensor? bias, bool[3] output_mask) -> "
    "(Tensor, Tensor, Tensor)", variants=())


def _check_layer_norm(input, normalized_shape, weight, bias, name="layer_norm"):
    """The normalized shape as a tuple, after torch's checks of it against the input and the
    affine parameters."""
    ns = int_list(name, "normalized_shape", normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._shape != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t._shape)} and normalized_shape = "
                               f"{list(ns)}")
    if input.ndim < len(ns) or input._shape[input.ndim - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{''.join(f', {n}' for n in ns)}], but got input of size"
                           f"{list(input._shape)}")
    return ns


@native_layer_norm.impl("CPU", "Meta")
def _native_layer_norm(input, normalized_shape, weight, bias, eps):
    ns = _check_layer_norm(input, normalized_shape, weight, bias)
    _check_dtypes(input, [weight, bias], [])
    dt, dev = input._dtype, input._device
    stat_shape = input._shape[:input.ndim - len(ns)] + (1,) * len(ns)
    if is_meta(input, weight, bias):
        return (result(None, dt, input._shape, dev), result(None, dt, stat_shape, dev),
                result(None, dt, stat_shape, dev))
    np_dt = _np_dtype(dt)
    x = _vals(input, np_dt)
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    mean = x.mean(axes, keepdims=True) if x.size else np.zeros(stat_shape, np_dt)
    centered = x - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (centered * centered).mean(axes, keepdims=True) if x.size else mean
        rstd = 1 / np.sqrt(var + np_dt(eps))
    out = centered * rstd
    if weight is not None:
        out = out * _vals(weight, np_dt)
    if bias is not None:
        out = out + _vals(bias, np_dt)
    return (result(out, dt, input._shape, dev), result(mean, dt, stat_shape, dev),
            result(rstd, dt, stat_shape, dev))


@native_layer_norm_backward.impl("CPU", "Meta")
def _native_layer_norm_backward(grad_out, input, normalized_shape, mean, rstd, weight, bias,
                                output_mask):
    ns = tuple(normalized_shape)
    dt, dev = input._dtype, input._device
    if is_meta(grad_out, input):
        return tuple(result(None, dt, s, dev) for s in (input._shape, ns, ns))
    np_dt = _np_dtype(dt)
    x, g = _vals(input, np_dt), _vals(grad_out, np_dt)
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    r = _vals(rstd, np_dt)
    xhat = (x - _vals(mean, np_dt)) * r
    dxhat = g if weight is None else g * _vals(weight, np_dt)
    gi = _standardized_grad(xhat, dxhat, r, axes) if x.size else np.zeros_like(x)
    batch = tuple(range(input.ndim - len(ns)))
    gw, gb = _param_grads(g, xhat, batch, ns)
    return (result(gi, dt, input._shape, dev), result(gw, dt, ns, dev), result(gb, dt, ns, dev))


@native_layer_norm.backward("NativeLayerNormBackward0", saves=("input", "weight", "bias"),
                            save_result=True, outputs=(True, False, False))
def _layer_norm_derivative(grads, args):
    _, mean, rstd = args.result
    return native_layer_norm_backward(grads[0], args.input, args.normalized_shape, mean, rstd,
                                      args.weight, args.bias, [True, True, True])


layer_norm = defop("layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, "
                   "Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
                   variants=("function",))


@layer_norm.impl("CompositeImplicitAutograd")
def _layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return native_layer_norm(input, normalized_shape, weight, bias, eps)[0]


rms_norm = defop("rms_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, "
                 "float? eps=None) -> Tensor", variants=("function",))


@rms_norm.impl("CompositeImplicitAutograd")
def _rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing dims, from tensor ops as in
    ATen (eps defaults to the machine epsilon of the computation dtype)."""
    ns = _check_layer_norm(input, normalized_shape, weight, None, "rms_norm")
    x = input if input._dtype not in (D.float16, D.bfloat16) else input.to(D.float32)
    if eps is None:
        eps = float(np.finfo(np.float64 if x._dtype is D.float64 else np.float32).eps)
    dims = list(range(input.ndim - len(ns), input.ndim))
    out = x.mul(x.pow(2).mean(dims, keepdim=True).add(eps).rsqrt()).to(input._dtype)
    return out.mul(weight) if weight is not None else out


# ---------------------------------------------------------------------------- group norm

native_group_norm = defop(
    "native_group_norm(Tensor input, Tensor? weight, Tensor? bias, SymInt N, SymInt C, "
    "SymInt HxW, int group, float eps) -> (Tensor, Tensor, Tensor)", variants=("function",))
native_group_norm_backward = defop(
    "native_group_norm_backward(Tensor grad_out, Tensor input, Tensor mean, Tensor rstd, "
    "Tensor? weight, SymInt N, SymInt C, SymInt HxW, int group, bool[3] output_mask) -> "
    "(Tensor, Tensor, Tensor)", variants=())


def _check_group_norm(input, weight, bias, c, group) -> None:
    if group <= 0 or c % group:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input._shape)} and "
                           f"num_groups={group}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t._shape)} "
                               f"and input of shape {list(input._shape)}")
    _check_dtypes(input, [weight, bias], [])


def _grouped(x: np.ndarray, n: int, group: int) -> np.ndarray:
    return x.reshape(n, group, x.size // (n * group) if n * group else 0)


@native_group_norm.impl("CPU", "Meta")
def _native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    _check_group_norm(input, weight, bias, C, group)
    dt, dev = input._dtype, input._device
    if is_meta(input, weight, bias):
        return (result(None, dt, input._shape, dev), result(None, dt, (N, group), dev),
                result(None, dt, (N, group), dev))
    np_dt = _np_dtype(dt)
    x = _grouped(_vals(input, np_dt), N, group)
    mean = x.mean(-1, keepdims=True) if x.size else np.zeros((N, group, 1), np_dt)
    centered = x - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (centered * centered).mean(-1, keepdims=True) if x.size else mean
        rstd = 1 / np.sqrt(var + np_dt(eps))
    out = (centered * rstd).reshape(N, C, HxW)
    if weight is not None:
        out = out * _vals(weight, np_dt).reshape(1, C, 1)
    if bias is not None:
        out = out + _vals(bias, np_dt).reshape(1, C, 1)
    return (result(out, dt, input._shape, dev), result(mean, dt, (N, group), dev),
            result(rstd, dt, (N, group), dev))


@native_group_norm_backward.impl("CPU", "Meta")
def _native_group_norm_backward(grad_out, input, mean, rstd, weight, N, C, HxW, group,
                                output_mask):
    dt, dev = input._dtype, input._device
    if is_meta(grad_out, input):
        return tuple(result(None, dt, s, dev) for s in (input._shape, (C,), (C,)))
    np_dt = _np_dtype(dt)
    x = _grouped(_vals(input, np_dt), N, group)
    g = _vals(grad_out, np_dt).reshape(N, C, HxW)
    r = _vals(rstd, np_dt).reshape(N, group, 1)
    xhat = (x - _vals(mean, np_dt).reshape(N, group, 1)) * r
    dxhat = g if weight is None else g * _vals(weight, np_dt).reshape(1, C, 1)
    gi = _standardized_grad(xhat, _grouped(dxhat, N, group), r, -1) if x.size \
        else np.zeros_like(x)
    gw, gb = _param_grads(g, xhat.reshape(N, C, HxW), (0, 2), (C,))
    return (result(gi, dt, input._shape, dev), result(gw, dt, (C,), dev),
            result(gb, dt, (C,), dev))


@native_group_norm.backward("NativeGroupNormBackward0", saves=("input", "weight"),
                            save_result=True)
def _group_norm_derivative(grads, args):
    _, mean, rstd = args.result
    gi, gw, gb = native_group_norm_backward(grads[0], args.input, mean, rstd, args.weight,
                                            args.N, args.C, args.HxW, args.group,
                                            [True, True, True])
    # torch adds the statistics' part only when both of their gradients are defined (an
    # undefined gradient arrives here as zeros)
    if grads[1].any() and grads[2].any():
        gi = gi + _group_stats_grad(grads[1], grads[2], args.input, mean, rstd, args.group)
    return gi, gw, gb


def _group_stats_grad(dmean: Tensor, drstd: Tensor, input: Tensor, mean: Tensor,
                      rstd: Tensor, group: int) -> Tensor:
    """Input gradient through the returned per-group statistics, as torch differentiates
    them: ``mean`` is the group mean and ``rstd = (var + eps)^-1/2`` with the biased
    variance, so ``d rstd / dx = -rstd^3 (x - mean) / M`` over the ``M`` group elements."""
    n = input.shape[0]
    x = input.reshape(n, group, -1)
    m = x.shape[-1]
    dm, dr = dmean.reshape(n, group, 1), drstd.reshape(n, group, 1)
    mu, r = mean.reshape(n, group, 1), rstd.reshape(n, group, 1)
    return (dm / m - dr * r.pow(3) * (x - mu) / m).reshape(input.shape)


group_norm = defop("group_norm(Tensor input, int num_groups, Tensor? weight=None, "
                   "Tensor? bias=None, float eps=1e-05, bool cudnn_enabled=True) -> Tensor",
                   variants=("function",))


@group_norm.impl("CompositeImplicitAutograd")
def _group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    n, c = input._shape[0], input._shape[1]
    hxw = numel_of(input._shape[2:])
    return native_group_norm(input, weight, bias, n, c, hxw, num_groups, eps)[0]
