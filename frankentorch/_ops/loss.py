"""Loss ops with torch's kernels and derivatives: nll_loss (1-D/2-D and spatial), mse,
smooth_l1, huber, soft margin, binary cross-entropy (with logits), multi-class and multi-label
margins, and the composite kl_div, cosine-embedding, margin-ranking, triplet, hinge-embedding
and Poisson losses.

Each op computes in NumPy over the whole tensor (no per-element Python), reduces with
``reduction`` (0 none, 1 mean, 2 sum, as ATen's enum) and records torch's node
(``NllLossBackward0``, ``MseLossBackward0``…). Gradients of the hot ops are registered ops
themselves (``nll_loss_backward``…), so a backward pass costs one kernel per node.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .._core import dtype as D
from .._core.meta import broadcast_shapes, numel_of
from .._dispatch.dispatcher import OPS, defop
from .._tensor import Tensor, empty_contiguous
from . import iterator as it
from .copy import check_can_cast
from .nn_common import MEAN, NONE, SUM, is_meta, result, values

__all__ = []

_TARGET_DTYPES = (D.int64, D.uint8)


# ---------------------------------------------------------------------------- nll_loss

def _spatial_checks(self: Tensor, target: Tensor, weight) -> None:
    """ATen's check_inputs_nll_loss2d."""
    if target._dtype not in _TARGET_DTYPES:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target._dtype.scalar_type_name}")
    if target.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    if self.ndim != 4:
        raise RuntimeError("only batches of spatial inputs supported (4D tensors), but got "
                           f"input of dimension: {self.ndim}")
    if weight is not None and weight.numel() != self._shape[1]:
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    s, t = self._shape, target._shape
    if (s[0], s[2], s[3]) != t:
        raise RuntimeError(f"size mismatch (got input: {list(s)} , target: {list(t)}")


def _batch_checks(self: Tensor, target: Tensor, forward: bool) -> None:
    """The rank and batch checks of ATen's nll_loss meta functions (the forward's take a
    1-D target of one element for a 1-D input; the backward's still compare sizes)."""
    if not 0 < self.ndim <= 2:
        raise RuntimeError("input tensor should be 1D or 2D")
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if forward and self.ndim == 1 and target.ndim == 1:
        if target._shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{target._shape[0]}")
        return
    if self.ndim == 1 and target.ndim == 0:  # one sample without a batch dim
        return
    if not target.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if self._shape[0] != target._shape[0]:
        raise RuntimeError(f"size mismatch (got input: {list(self._shape)}, target: "
                           f"{list(target._shape)})")


def _check_floating(self: Tensor, kernel: str) -> None:
    if not self._dtype.is_floating_point:
        raise it.not_implemented(kernel, self._dtype)


def _nll_checks(self: Tensor, target: Tensor, weight, reduction: int, spatial: bool) -> None:
    if spatial:
        _spatial_checks(self, target, weight)
    else:
        if target._dtype not in _TARGET_DTYPES:
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                               f"{target._dtype.scalar_type_name}")
        _batch_checks(self, target, True)
        n_classes = self._shape[-1]
        if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight._shape)}")
    _check_floating(self, "nll_loss2d_out_frame" if spatial else "nll_loss_out_frame")
    it.check_scalar_type(weight, self._dtype)
    if spatial and (reduction == NONE or target.numel()):  # the kernel reads int64 targets
        it.check_scalar_type(target, D.int64)


def _nll_backward_checks(grad_output, self, target, weight, reduction, total_weight,
                         spatial: bool) -> None:
    """ATen's nll_loss(2d)_backward checks, in its order: shapes, then each accessor's
    dtype as the kernel reaches it."""
    each = reduction == NONE and self.ndim != 1
    if spatial:
        _spatial_checks(self, target, weight)
        space = " "
    else:
        _batch_checks(self, target, False)
        space = "  "  # (sic)
    if total_weight.numel() != 1:
        raise RuntimeError(f"expected total_weight to be a{space}single element tensor, got: "
                           f"{list(total_weight._shape)} ({total_weight.numel()} elements)")
    if not spatial:
        if weight is not None and weight.numel() != self._shape[-1]:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if each:
            if not grad_output.ndim:
                raise IndexError("Dimension specified as 0 but tensor has no dimensions")
            if grad_output.ndim != 1 or grad_output._shape[0] != self._shape[0]:
                raise RuntimeError(f"Expected a tensor of dimension 1 and tensor.size[0] == "
                                   f"{self._shape[0]} but got: dimension {grad_output.ndim} and "
                                   f"tensor.size[0] = {grad_output._shape[0]}")
        else:
            _check_single_grad(grad_output)
    _check_floating(self, "nll_loss2d_backward_out_frame" if spatial
                    else "nll_loss_backward_out_frame")
    if not spatial and target._dtype is not D.uint8:
        it.check_scalar_type(target, D.int64)
    it.check_scalar_type(weight, self._dtype)
    if each:
        if spatial:
            if grad_output.ndim != 3:
                raise RuntimeError(f"grad_output must have same dimension as target (3) but got "
                                   f"dimension: {list(grad_output._shape)}")
            if grad_output._shape != target._shape:
                raise RuntimeError(f"size mismatch (got grad_output: {list(grad_output._shape)} "
                                   f"target: {list(target._shape)}")
        it.check_scalar_type(grad_output, self._dtype)
    else:
        it.check_scalar_type(total_weight, self._dtype)
        if spatial:
            _check_single_grad(grad_output)
        it.check_scalar_type(grad_output, self._dtype)
    if spatial:
        it.check_scalar_type(target, D.int64)


def _check_single_grad(grad_output) -> None:
    if grad_output.ndim > 1 or grad_output.numel() != 1:
        raise RuntimeError(f"Expected a single element grad_output tensor, but got: "
                           f"{list(grad_output._shape)}")


@functools.cache
def _K():
    from .._kernels import loss
    return loss


def _frame(self: Tensor, target: Tensor):
    """(N, C, M): batch, classes and spatial positions of an nll_loss input (M is 1 without
    spatial dims), and the targets as an ``[N, M]`` int64 array. A 1-D input is one sample;
    its kernel reads only the first target (the backward's checks let a 1-D target be as
    long as C)."""
    s = self._shape
    if len(s) == 1:
        n, c, m = min(target.numel(), 1), s[0], 1
    else:
        n, c, m = s[0], s[1], numel_of(s[2:])
    t = np.ascontiguousarray(values(target).reshape(-1)[:n * m], dtype=np.int64)
    return n, c, m, t.reshape(n, m)


def _class_weights(weight, np_dt) -> np.ndarray:
    """Class weights as a flat contiguous array of the compute dtype (ATen reads the
    buffer, whatever its shape); empty for none."""
    if weight is None:
        return np.empty(0, np_dt)
    return np.ascontiguousarray(values(weight), dtype=np_dt).reshape(-1)


def _check_target(bad: int, t: np.ndarray) -> None:
    """torch's TORCH_CHECK_INDEX on the first target a kernel found out of bounds."""
    if bad >= 0:
        raise IndexError(f"Target {int(t.flat[bad])} is out of bounds.")


def _nll_forward(self, target, weight, reduction, ignore_index, spatial):
    _nll_checks(self, target, weight, reduction, spatial)
    dt, dev = self._dtype, self._device
    each = reduction == NONE and self.ndim != 1  # a 1-D input always gives a scalar
    out_shape = target._shape if each else ()
    if is_meta(self, target, weight):
        return result(None, dt, out_shape, dev), result(None, dt, (), dev)
    n, c, m, t = _frame(self, target)
    x = np.ascontiguousarray(values(self)).reshape(n, c, m)
    direct = dt not in (D.float16, D.bfloat16)  # write into the results' own buffers
    out = empty_contiguous(out_shape, numel_of(out_shape), dt) if direct else None
    total = empty_contiguous((), 1, dt) if direct else None
    losses = out._data.reshape(t.shape) if each and direct else np.empty(t.shape, x.dtype)
    loss_buf = out._data if direct and not each else np.empty(1, x.dtype)
    total_buf = total._data if direct else np.empty(1, x.dtype)
    _check_target(_K().nll_forward(x, t, _class_weights(weight, x.dtype), ignore_index, each,
                                   reduction == MEAN, losses, loss_buf, total_buf), t)
    if each:
        total_buf[0] = 0
    if direct:
        return out, total
    return (result(losses if each else loss_buf[0], dt, out_shape, dev),
            result(total_buf[0], dt, (), dev))


def _nll_backward(grad_output, self, target, weight, reduction, ignore_index, total_weight,
                  spatial):
    _nll_backward_checks(grad_output, self, target, weight, reduction, total_weight, spatial)
    dt, dev = self._dtype, self._device
    if is_meta(grad_output, self, target):
        return result(None, dt, self._shape, dev)
    direct = dt not in (D.float16, D.bfloat16)  # write into the result's own buffer
    x_dt = dt.np_dtype if direct else np.float32
    s = self._shape
    n, c, m, t = _frame(self, target)
    each = reduction == NONE and self.ndim != 1
    g = np.ascontiguousarray(values(grad_output), dtype=x_dt).reshape(t.shape if each else (1, 1))
    tw = np.ascontiguousarray(values(total_weight), dtype=x_dt).reshape(1)
    out = empty_contiguous(s, numel_of(s), dt) if direct else None
    grad = out._data.reshape(n, c, m) if direct else np.empty((n, c, m), x_dt)
    grad.fill(0)
    _check_target(_K().nll_backward(t, _class_weights(weight, x_dt), ignore_index, each,
                                    reduction == MEAN, g, tw, grad), t)
    return out if direct else result(grad.reshape(s), dt, s, dev)


_NLL = "(Tensor self, Tensor target, Tensor? weight, int reduction, SymInt ignore_index)"
_NLL_OUT = " -> (Tensor output, Tensor total_weight)"
_NLL_BWD = ("(Tensor grad_output, Tensor self, Tensor target, Tensor? weight, int reduction, "
            "SymInt ignore_index, Tensor total_weight) -> Tensor")
nll_loss_forward = defop("nll_loss_forward" + _NLL + _NLL_OUT, variants=())
nll_loss2d_forward = defop("nll_loss2d_forward" + _NLL + _NLL_OUT, variants=())
nll_loss_backward = defop("nll_loss_backward" + _NLL_BWD, variants=())
nll_loss2d_backward = defop("nll_loss2d_backward" + _NLL_BWD, variants=())

nll_loss_forward.impl("CPU", "Meta")(
    lambda self, target, weight, reduction, ignore_index:
    _nll_forward(self, target, weight, reduction, ignore_index, False))
nll_loss2d_forward.impl("CPU", "Meta")(
    lambda self, target, weight, reduction, ignore_index:
    _nll_forward(self, target, weight, reduction, ignore_index, True))
nll_loss_backward.impl("CPU", "Meta")(
    lambda g, self, target, weight, reduction, ignore_index, total_weight:
    _nll_backward(g, self, target, weight, reduction, ignore_index, total_weight, False))
nll_loss2d_backward.impl("CPU", "Meta")(
    lambda g, self, target, weight, reduction, ignore_index, total_weight:
    _nll_backward(g, self, target, weight, reduction, ignore_index, total_weight, True))


def _nll_derivative(backward_op):
    def fn(grads, args):
        return backward_op(grads[0], args.self, args.target, args.weight, args.reduction,
                           args.ignore_index, args.result[1])
    return fn


# total_weight is not differentiable (derivatives.yaml's output_differentiability)
nll_loss_forward.backward("NllLossBackward0", saves=("self", "target", "weight"),
                          save_result=True, inputs=("self",), outputs=(True, False))(
    _nll_derivative(nll_loss_backward))
nll_loss2d_forward.backward("NllLoss2DBackward0", saves=("self", "target", "weight"),
                            save_result=True, inputs=("self",), outputs=(True, False))(
    _nll_derivative(nll_loss2d_backward))


# ---------------------------------------------------------------------------- pointwise losses
# Forward values in NumPy (computed in the op's dtype, halves in float32); derivatives are
# written with Tensor ops, so they differentiate again under create_graph.

def _binary_operands(name: str, kernel: str, self: Tensor, target: Tensor, out_dtype=None):
    """(result dtype, broadcast shape) of a pointwise loss, with torch's dtype errors."""
    common = it.result_type(self, target)
    if not common.is_floating_point:
        raise it.not_implemented(kernel, common)
    dt = common if out_dtype is None else out_dtype
    check_can_cast(common, dt)
    it.common_device(self, target)
    return dt, broadcast_shapes(self._shape, target._shape)


def _reduce(v: np.ndarray, reduction: int):
    if reduction == NONE:
        return v
    return v.mean() if reduction == MEAN else v.sum()


def _pointwise(self, target, reduction, dt, shape, fn):
    """``fn(x, t)`` over broadcast NumPy operands in ``dt``, then reduced."""
    out_shape = shape if reduction == NONE else ()
    if is_meta(self, target):
        return result(None, dt, out_shape, self._device)
    np_dt = np.float32 if dt in (D.float16, D.bfloat16) else dt.np_dtype
    x = values(self).astype(np_dt, copy=False)
    t = values(target).astype(np_dt, copy=False)
    with np.errstate(all="ignore"):
        v = _reduce(fn(x, t), reduction)
    return result(v, dt, out_shape, self._device)


def _scale(grad: Tensor, self, reduction: int) -> Tensor:
    """An output gradient spread over the elements: divided by their count for the mean."""
    if reduction == MEAN:
        return grad / max(numel_of(self.shape), 1)
    return grad


mse_loss = defop("mse_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor",
                 variants=())


@mse_loss.impl("CPU", "Meta")
def _mse_loss(self, target, reduction=MEAN):
    dt, shape = _binary_operands("mse_loss", "mse_cpu", self, target)
    return _pointwise(self, target, reduction, dt, shape, lambda x, t: (x - t) * (x - t))


@mse_loss.backward("MseLossBackward0", saves=("self", "target"))
def _mse_loss_backward(grad, args):
    g = _scale(grad, args.self, args.reduction) * (2 * (args.self - args.target))
    return g, -g


smooth_l1_loss = defop("smooth_l1_loss(Tensor self, Tensor target, int reduction=Mean, "
                       "float beta=1.0) -> Tensor", variants=())


@smooth_l1_loss.impl("CPU", "Meta")
def _smooth_l1_loss(self, target, reduction=MEAN, beta=1.0):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    dt, shape = _binary_operands("smooth_l1_loss", "smooth_l1_cpu", self, target)

    def fn(x, t):
        d = np.abs(x - t)
        return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _pointwise(self, target, reduction, dt, shape, fn)


@smooth_l1_loss.backward("SmoothL1LossBackward0", saves=("self", "target"))
def _smooth_l1_loss_backward(grad, args):
    d = args.self - args.target
    beta = args.beta
    slope = (d / beta).clamp(-1, 1) if beta > 0 else d.sign()
    g = _scale(grad, args.self, args.reduction) * slope
    return g, -g


huber_loss = defop("huber_loss(Tensor self, Tensor target, int reduction=Mean, "
                   "float delta=1.0) -> Tensor", variants=())


@huber_loss.impl("CPU", "Meta")
def _huber_loss(self, target, reduction=MEAN, delta=1.0):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    dt, shape = _binary_operands("huber_loss", "huber_cpu", self, target, self._dtype)

    def fn(x, t):
        d = np.abs(x - t)
        return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _pointwise(self, target, reduction, dt, shape, fn)


@huber_loss.backward("HuberLossBackward0", saves=("self", "target"))
def _huber_loss_backward(grad, args):
    delta = args.delta
    g = _scale(grad, args.self, args.reduction) * (args.self - args.target).clamp(-delta, delta)
    return g, -g


def _check_same_dtype(expected: Tensor, *others) -> None:
    for o in others:
        if o is not None and o._dtype is not expected._dtype:
            raise RuntimeError(f"Found dtype {o._dtype.scalar_type_name} but expected "
                               f"{expected._dtype.scalar_type_name}")


binary_cross_entropy = defop("binary_cross_entropy(Tensor self, Tensor target, "
                             "Tensor? weight=None, int reduction=Mean) -> Tensor", variants=())


@binary_cross_entropy.impl("CPU", "Meta")
def _binary_cross_entropy(self, target, weight=None, reduction=MEAN):
    _check_same_dtype(self, target, weight)
    if not self._dtype.is_floating_point:
        raise NotImplementedError(f'"binary_cross_entropy" not implemented for '
                                  f"'{self._dtype.scalar_type_name}'")
    if self._shape != target._shape:
        raise RuntimeError(f"The size of tensor a ({self.numel()}) must match the size of "
                           f"tensor b ({target.numel()}) at non-singleton dimension 0")
    dt = self._dtype
    out_shape = self._shape if reduction == NONE else ()
    if is_meta(self, target, weight):
        return result(None, dt, out_shape, self._device)
    x, t = values(self), values(target)
    bad_x, bad_t = ~((x >= 0) & (x <= 1)), ~((t >= 0) & (t <= 1))  # NaN is out of range too
    bad = (bad_x | bad_t).reshape(-1)
    if bad.any():  # the first bad element decides, as torch checks them in order
        first = np.argmax(bad)
        name = "input" if bad_x.reshape(-1)[first] else "target"
        raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    with np.errstate(all="ignore"):
        v = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))
        if weight is not None:
            v = v * np.broadcast_to(values(weight), self._shape)
        v = _reduce(v, reduction)
    return result(v, dt, out_shape, self._device)


@binary_cross_entropy.backward("BinaryCrossEntropyBackward0",
                               saves=("self", "target", "weight"), inputs=("self", "target"))
def _binary_cross_entropy_backward(grad, args):
    x, t, w = args.self, args.target, args.weight
    g = _scale(grad, x, args.reduction)
    if w is not None:
        g = g * w
    grad_x = g * (x - t) / ((1 - x) * x).clamp_min(1e-12)
    grad_t = -g * OPS["logit"].function()(x)
    return grad_x, grad_t


binary_cross_entropy_with_logits = defop(
    "binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, "
    "Tensor? pos_weight=None, int reduction=Mean) -> Tensor", variants=("function",))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@binary_cross_entropy_with_logits.impl("CPU", "Meta")
def _bce_with_logits(self, target, weight=None, pos_weight=None, reduction=MEAN):
    if not self._dtype.is_floating_point:
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for '
                                  f"'{self._dtype.scalar_type_name}'")
    dt = target._dtype
    parts = [p for p in (self, target, weight, pos_weight) if p is not None]
    check_can_cast(it.result_type(*parts), dt)
    shape = broadcast_shapes(*(p._shape for p in parts))
    if shape != target._shape:
        raise RuntimeError(f"output with shape {list(target._shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    out_shape = shape if reduction == NONE else ()
    if is_meta(*parts):
        return result(None, dt, out_shape, self._device)
    np_dt = np.float32 if dt in (D.float16, D.bfloat16) else dt.np_dtype
    x, t = values(self).astype(np_dt, copy=False), values(target).astype(np_dt, copy=False)
    with np.errstate(all="ignore"):
        log_sig = _log_sigmoid(x)
        if pos_weight is not None:
            log_sig = log_sig * ((values(pos_weight) - 1) * t + 1)
        v = (1 - t) * x - log_sig
        if weight is not None:
            v = v * values(weight)
        v = _reduce(v.astype(np_dt, copy=False), reduction)
    return result(v, dt, out_shape, self._device)


@binary_cross_entropy_with_logits.backward("BinaryCrossEntropyWithLogitsBackward0",
                                           saves=("self", "target", "weight", "pos_weight"),
                                           inputs=("self", "target"))
def _bce_with_logits_backward(grad, args):
    x, t, w, pw = args.self, args.target, args.weight, args.pos_weight
    g = _scale(grad, x, args.reduction)
    if w is not None:
        g = g * w
    log_sigmoid = OPS["log_sigmoid"].function()
    if pw is not None:
        pt = pw * t
        grad_x = (pt + 1 - t) * x.sigmoid() - pt
        grad_t = log_sigmoid(-x) - log_sigmoid(x) * pw
    else:
        grad_x = x.sigmoid() - t
        grad_t = -x
    return g * grad_x, g * grad_t


# ---------------------------------------------------------------------------- composite losses
# As in ATen, these are built from other ops, so autograd records those ops' nodes.

def _apply_reduction(loss: Tensor, reduction: int) -> Tensor:
    if reduction == MEAN:
        return loss.mean()
    if reduction == SUM:
        return loss.sum()
    return loss


kl_div = defop("kl_div(Tensor self, Tensor target, int reduction=Mean, *, "
               "bool log_target=False) -> Tensor", variants=("function",))


@kl_div.impl("CompositeImplicitAutograd")
def _kl_div(self, target, reduction=MEAN, log_target=False):
    if not (self._dtype.is_floating_point and target._dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        out = target.exp() * (target - self)
    else:
        xlogx = OPS["where"].function()(target == 0, 0.0, target * target.log())
        out = xlogx - target * self
    return _apply_reduction(out, reduction)


cosine_embedding_loss = defop("cosine_embedding_loss(Tensor input1, Tensor input2, "
                              "Tensor target, float margin=0.0, int reduction=Mean) -> Tensor",
                              variants=("function",))


@cosine_embedding_loss.impl("CompositeImplicitAutograd")
def _cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=MEAN):
    nd = target.ndim
    if nd > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = nd + 1
    if not input1.ndim == input2.ndim == want:
        raise RuntimeError(f"{nd}D target tensor expects {want}D input tensors, but found inputs "
                           f"with sizes {list(input1._shape)} and {list(input2._shape)}.")
    eps = 1e-12
    prod_sum = (input1 * input2).sum(nd)
    mag1 = (input1 * input1).sum(nd) + eps
    mag2 = (input2 * input2).sum(nd) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    where = OPS["where"].function()
    zeros = cos.detach() * 0
    out = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp_min(0),
                                                     zeros)
    return _apply_reduction(out, reduction)


margin_ranking_loss = defop("margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, "
                            "float margin=0.0, int reduction=Mean) -> Tensor",
                            variants=("function",))


@margin_ranking_loss.impl("CompositeImplicitAutograd")
def _margin_ranking_loss(input1, input2, target, margin=0.0, reduction=MEAN):
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


triplet_margin_loss = defop("triplet_margin_loss(Tensor anchor, Tensor positive, "
                            "Tensor negative, float margin=1.0, float p=2, float eps=1e-06, "
                            "bool swap=False, int reduction=Mean) -> Tensor",
                            variants=("function",))


@triplet_margin_loss.impl("CompositeImplicitAutograd")
def _triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                         reduction=MEAN):
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not a == pd == nd:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{pd}D, and negative {nd}D inputs")
    distance = OPS["pairwise_distance"].function()
    dist_pos = distance(anchor, positive, p, eps)
    dist_neg = distance(anchor, negative, p, eps)
    if swap:
        dist_neg = OPS["minimum"].function()(dist_neg, distance(positive, negative, p, eps))
    return _apply_reduction((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def _nll_double_derivative(forward_op):
    """The gradient of nll_loss_backward with respect to its grad_output: the forward loss
    of the incoming gradient (the backward is linear in grad_output)."""
    def fn(grad, args):
        return forward_op(grad, args.target, args.weight, args.reduction,
                          args.ignore_index)[0]
    return fn


nll_loss_backward.backward("NllLossBackwardBackward0", saves=("target", "weight"),
                           inputs=("grad_output",))(_nll_double_derivative(nll_loss_forward))
nll_loss2d_backward.backward("NllLoss2DBackwardBackward0", saves=("target", "weight"),
                             inputs=("grad_output",))(
    _nll_double_derivative(nll_loss2d_forward))


hinge_embedding_loss = defop("hinge_embedding_loss(Tensor self, Tensor target, "
                             "float margin=1.0, int reduction=Mean) -> Tensor",
                             variants=("function",))


@hinge_embedding_loss.impl("CompositeImplicitAutograd")
def _hinge_embedding_loss(self, target, margin=1.0, reduction=MEAN):
    where = OPS["where"].function()
    zeros = self.detach() * 0
    out = where(target != 1, (margin - self).clamp_min(0), zeros) + \
        where(target != -1, self, zeros)
    return _apply_reduction(out, reduction)


poisson_nll_loss = defop("poisson_nll_loss(Tensor input, Tensor target, bool log_input, "
                         "bool full, float eps, int reduction) -> Tensor",
                         variants=("function",))


@poisson_nll_loss.impl("CompositeImplicitAutograd")
def _poisson_nll_loss(input, target, log_input, full, eps, reduction):
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


soft_margin_loss = defop("soft_margin_loss(Tensor self, Tensor target, int reduction=Mean) "
                         "-> Tensor", variants=())


@soft_margin_loss.impl("CPU", "Meta")
def _soft_margin_loss(self, target, reduction=MEAN):
    dt, shape = _binary_operands("soft_margin_loss", "soft_margin_loss", self, target)
    return _pointwise(self, target, reduction, dt, shape,
                      lambda x, t: np.log1p(np.exp(-t * x)))


@soft_margin_loss.backward("SoftMarginLossBackward0", saves=("self", "target"),
                           inputs=("self",))
def _soft_margin_loss_backward(grad, args):
    t = args.target
    return -t * _scale(grad, args.self, args.reduction) * (-t * args.self).sigmoid()


# ---------------------------------------------------------------------------- multi-class margins

multi_margin_loss = defop("multi_margin_loss(Tensor self, Tensor target, Scalar p=1, "
                          "Scalar margin=1, Tensor? weight=None, int reduction=Mean) -> Tensor",
                          variants=())
multi_margin_loss_backward = defop(
    "multi_margin_loss_backward(Tensor grad_output, Tensor self, Tensor target, Scalar p, "
    "Scalar margin, Tensor? weight=None, int reduction=Mean) -> Tensor", variants=())


def _margin_rows(self: Tensor, target: Tensor, weight, margin):
    """(x as (N, C), the per-(sample, class) hinge before the power, its row scale) after
    torch's checks; the hinge is 0 at each row's target class."""
    nd = self.ndim
    if not ((self.numel() > 0 and nd <= 2) or (nd == 2 and self._shape[1] > 0)):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(self._shape)}")
    n = 1 if nd <= 1 else self._shape[0]
    c = self.numel() if nd <= 1 else self._shape[1]
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target._shape)}. Input has shape "
                           f"{list(self._shape)}.")
    if weight is not None and (weight.ndim > 1 or weight.numel() != c):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight._shape)}")
    if is_meta(self, target, weight):
        return None
    x = values(self).reshape(n, c)
    t = values(target).astype(np.int64, copy=False).reshape(n)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    rows = np.arange(n)
    z = margin - x[rows, t][:, None] + x
    z[rows, t] = 0
    z = np.maximum(z, 0)
    scale = (values(weight).reshape(c)[t] if weight is not None else np.ones(n, x.dtype)) / c
    return x, t, z, scale


@multi_margin_loss.impl("CPU", "Meta")
def _multi_margin_loss(self, target, p=1, margin=1, weight=None, reduction=MEAN):
    out_shape = () if self.ndim <= 1 or reduction != NONE else (self._shape[0],)
    parts = _margin_rows(self, target, weight, margin)
    if parts is None:
        return result(None, self._dtype, out_shape, self._device)
    x, t, z, scale = parts
    per_row = (z if p == 1 else z * z).sum(1) * scale
    return result(_reduce(per_row, reduction), self._dtype, out_shape, self._device)


@multi_margin_loss_backward.impl("CPU", "Meta")
def _multi_margin_loss_backward(grad_output, self, target, p, margin, weight=None,
                                reduction=MEAN):
    parts = _margin_rows(self, target, weight, margin)
    if parts is None:
        return result(None, self._dtype, self._shape, self._device)
    x, t, z, scale = parts
    g = values(grad_output).astype(x.dtype, copy=False).reshape(-1)
    if reduction == MEAN:
        g = g / x.shape[0]
    slope = (z > 0) * (1 if p == 1 else 2 * z) * (scale * g)[:, None]
    rows = np.arange(x.shape[0])
    slope[rows, t] = -slope.sum(1)
    return result(slope, self._dtype, self._shape, self._device)


@multi_margin_loss.backward("MultiMarginLossBackward0", saves=("self", "target", "weight"),
                            inputs=("self",))
def _multi_margin_derivative(grad, args):
    return multi_margin_loss_backward(grad, args.self, args.target, args.p, args.margin,
                                      args.weight, args.reduction)


multilabel_margin_loss_forward = defop(
    "multilabel_margin_loss_forward(Tensor self, Tensor target, int reduction) -> "
    "(Tensor output, Tensor is_target)", variants=())
multilabel_margin_loss_backward = defop(
    "multilabel_margin_loss_backward(Tensor grad_output, Tensor self, Tensor target, "
    "int reduction, Tensor is_target) -> Tensor", variants=())


def _multilabel_pairs(self: Tensor, target: Tensor):
    """(x as (N, C), times each class is listed as a target (N, C), hinge of every (target
    j, non-target k) pair times j's count as (N, C_j, C_k)) after torch's checks. Targets run until the first -1 of each row; a
    target listed twice counts twice, as in torch's loop over the target list."""
    nd = self.ndim
    if not (nd == 0 or nd == 1 and self._shape[0] or nd == 2 and self._shape[1]):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(self._shape)}")
    if target._shape != self._shape or (nd == 0 and target.ndim != 0):
        raise RuntimeError(f"inconsistent target size: {list(target._shape)} for input of "
                           f"size: {list(self._shape)}")
    n = 1 if nd <= 1 else self._shape[0]
    c = 1 if nd == 0 else self._shape[-1]
    x = values(self).reshape(n, c)
    t = values(target).astype(np.int64, copy=False).reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    ended = np.cumsum(t == -1, axis=1) > 0
    counts = np.zeros((n, c), x.dtype)
    rows = np.repeat(np.arange(n), c)
    keep = ~ended.reshape(-1)
    np.add.at(counts, (rows[keep], t.reshape(-1)[keep]), 1)
    hinge = np.maximum(1 - (x[:, :, None] - x[:, None, :]), 0)
    hinge = hinge * (counts[:, :, None] * (counts == 0)[:, None, :])
    return x, counts, hinge


@multilabel_margin_loss_forward.impl("CPU", "Meta")
def _multilabel_margin_forward(self, target, reduction):
    out_shape = () if self.ndim <= 1 or reduction != NONE else (self._shape[0],)
    if is_meta(self, target):
        return (result(None, self._dtype, out_shape, self._device),
                result(None, self._dtype, self._shape, self._device))
    x, counts, hinge = _multilabel_pairs(self, target)
    per_row = hinge.sum((1, 2)) / x.shape[1]
    return (result(_reduce(per_row, reduction), self._dtype, out_shape, self._device),
            result((counts > 0).astype(x.dtype), self._dtype, self._shape, self._device))


@multilabel_margin_loss_backward.impl("CPU", "Meta")
def _multilabel_margin_backward(grad_output, self, target, reduction, is_target):
    if is_meta(grad_output, self, target):
        return result(None, self._dtype, self._shape, self._device)
    x, counts, hinge = _multilabel_pairs(self, target)
    n, c = x.shape
    g = values(grad_output).astype(x.dtype, copy=False).reshape(-1)
    if reduction == MEAN:
        g = g / n
    active = (hinge > 0) * counts[:, :, None] * (g / c)[:, None, None]
    grad = active.sum(1) - active.sum(2)
    return result(grad, self._dtype, self._shape, self._device)


@multilabel_margin_loss_forward.backward("MultilabelMarginLossBackward0",
                                         saves=("self", "target"), save_result=True,
                                         inputs=("self",))
def _multilabel_margin_derivative(grads, args):
    return multilabel_margin_loss_backward(grads[0], args.self, args.target, args.reduction,
                                           args.result[1])
