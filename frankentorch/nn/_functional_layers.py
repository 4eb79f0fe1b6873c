"""``nn.functional`` for layers and losses: torch's Python signatures over the op registry
(reduction strings, legacy ``size_average``/``reduce``, choosing the op a call needs)."""
from __future__ import annotations

import math
import warnings

from .._core.meta import broadcast_shapes as _broadcast_shapes
from .._dispatch.dispatcher import OPS as _OPS
from .._ops.nn_common import reduction_enum as _enum
from ..autograd import is_grad_enabled as _grad_enabled
from ..autograd import no_grad as _no_grad

__all__ = ["linear", "bilinear", "embedding", "one_hot", "pairwise_distance",
           "cosine_similarity", "normalize", "nll_loss", "cross_entropy", "mse_loss",
           "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "batch_norm", "instance_norm",
           "layer_norm", "group_norm", "rms_norm", "scaled_dot_product_attention",
           "hinge_embedding_loss", "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "multilabel_soft_margin_loss", "triplet_margin_with_distance_loss",
           "multi_margin_loss", "multilabel_margin_loss"]


def _op(name: str):
    return _OPS[name].function()


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The reduction the deprecated ``size_average``/``reduce`` flags ask for (with torch's
    warning), or ``reduction`` when neither is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _not_differentiable(fn: str, arg: str, t) -> None:
    """torch refuses, while recording, an argument its derivative does not cover."""
    if t is not None and t.requires_grad and _grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


# ---------------------------------------------------------------------------- linear

def linear(input, weight, bias=None):
    """``input @ weight.T + bias``."""
    return _OPS["linear"].overloads[0](input, weight, bias)


# ---------------------------------------------------------------------------- nll / CE

def _nll_loss_nd(input, target, weight, reduction: int, ignore_index: int):
    """torch's nll_loss_nd: 1-D/2-D inputs use nll_loss, 4-D nll_loss2d, other ranks are
    viewed as 4-D."""
    nd = input.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    if nd != 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if nd <= 2:
        return _op("nll_loss_forward")(input, target, weight, reduction, ignore_index)[0]
    if nd == 4:
        return _op("nll_loss2d_forward")(input, target, weight, reduction, ignore_index)[0]
    n, c = input.shape[0], input.shape[1]
    out_size = (n,) + tuple(input.shape[2:])
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {list(out_size)}, got {list(target.shape)}")
    nonempty = input.numel() > 0
    input_, target_ = input.contiguous(), target.contiguous()
    input_ = input_.view(n, c, 1, -1) if nonempty else input_.view(n, c, 0, 0)
    target_ = target_.view(n, 1, -1) if nonempty else target_.view(n, 0, 0)
    out = _op("nll_loss2d_forward")(input_, target_, weight, reduction, ignore_index)[0]
    return out.view(out_size) if reduction == 0 else out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of ``target`` classes under log-probabilities ``input``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _not_differentiable("nll_loss_forward", "weight", weight)
    return _nll_loss_nd(input, target, weight, _enum(reduction), ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits ``input`` and class indices or class probabilities."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    class_dim = 0 if input.dim() == 1 else 1
    _not_differentiable("nll_loss_forward", "weight", weight)
    if tuple(input.shape) == tuple(target.shape):
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {target.dtype.scalar_type_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    class_dim)
    log_p = _op("log_softmax")(input, class_dim, dtype=input.dtype)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _cross_entropy_smoothed(log_p, target, weight, reduction, ignore_index,
                                       label_smoothing, class_dim)
    return _nll_loss_nd(log_p, target, weight, reduction, ignore_index)


def _check_smoothing(label_smoothing: float) -> None:
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")


def _class_view(weight, ndim: int, class_dim: int):
    """``weight`` shaped to broadcast along the class dim of an ``ndim``-D input."""
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    log_p = _op("log_softmax")(input, class_dim, dtype=input.dtype)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        target = target * (1 - label_smoothing) + (label_smoothing / n_classes)
    prod = log_p * target
    if weight is not None:
        prod = prod * (_class_view(weight, log_p.dim(), 1) if log_p.dim() > 1 else weight)
    if reduction == 0:
        return -prod.sum(class_dim)
    total = -prod.sum()
    if reduction == 2:
        return total
    if log_p.numel() == 0:
        return total * float("nan")
    return total / (log_p.numel() // n_classes)


def _cross_entropy_smoothed(log_p, target, weight, reduction, ignore_index, label_smoothing,
                            class_dim):
    n_classes = log_p.shape[class_dim]
    nll = _nll_loss_nd(log_p, target, weight, reduction, ignore_index)
    ignore_mask = target == ignore_index
    if weight is not None:
        smooth = -(log_p * _class_view(weight, log_p.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -log_p.sum(class_dim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if reduction == 1:
        if weight is not None:
            picked = target.masked_select(~ignore_mask).flatten()
            ret = smooth.sum() / weight.gather(0, picked).sum()
        else:
            ret = smooth.sum() / (~ignore_mask).sum()
    elif reduction == 2:
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


# ---------------------------------------------------------------------------- pointwise losses

def _warn_size(input, target) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _broadcast(a, b):
    shape = _broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return (a if tuple(a.shape) == shape else a.expand(shape),
            b if tuple(b.shape) == shape else b.expand(shape))


def _reduce(loss, reduction: str):
    """torch's apply_loss_reduction."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _weighted(loss, weight, input, reduction: str):
    """A loss scaled element-wise by ``weight`` (same size as the input), reduced as torch's
    weighted mse/l1 (the mean divides by the weights' sum)."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error."""
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast(input, target)
    if weight is not None:
        return _weighted((input - target).pow(2), weight, input, reduction)
    return _op("mse_loss")(input, target, _enum(reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error."""
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast(input, target)
    if weight is not None:
        return _weighted((input - target).abs(), weight, input, reduction)
    _enum(reduction)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error below ``beta``, absolute error above it."""
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast(input, target)
    if beta == 0.0:
        _enum(reduction)
        return _reduce((input - target).abs(), reduction)
    return _op("smooth_l1_loss")(input, target, _enum(reduction), beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared error below ``delta``, ``delta``-scaled absolute error above it."""
    _warn_size(input, target)
    input, target = _broadcast(input, target)
    if weight is None:
        return _op("huber_loss")(input, target, _enum(reduction), delta)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = _op("huber_loss")(input, target, 0, delta) * weight
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                         "'mean', 'sum'.")
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` and ``target``."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the "
                         f"input size ({input.size()}) is deprecated. Please ensure they have "
                         "the same size.")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    if weight is not None:
        weight = weight.expand(_broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
    return _op("binary_cross_entropy")(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits (sigmoid folded in, numerically stable)."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    return _op("binary_cross_entropy_with_logits")(input, target, weight, pos_weight,
                                                   reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of ``target`` from log-probabilities ``input``."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
        red = _enum(reduction)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        red = 2 if reduction == "batchmean" else _enum(reduction)
    reduced = _op("kl_div")(input, target, red, log_target=log_target)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced


# ---------------------------------------------------------------------------- margin losses

def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos for similar pairs (target 1), max(0, cos - margin) for dissimilar ones (-1)."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    return _op("cosine_embedding_loss")(input1, input2, target, margin, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {input1.size()}, input2: "
                           f"{input2.size()}, target: {target.size()} ")
    return _op("margin_ranking_loss")(input1, input2, target, margin, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, d(anchor, positive) - d(anchor, negative) + margin)."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _op("triplet_margin_loss")(anchor, positive, negative, margin, p, eps, swap,
                                      reduction)


# ---------------------------------------------------------------------------- misc layers

def bilinear(input1, input2, weight, bias=None):
    """``x1^T W x2 + b`` for each output feature."""
    return _op("bilinear")(input1, input2, weight, bias)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the indices in ``input``."""
    if padding_idx is not None:
        n = weight.size(0)
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        input = input.contiguous()
        with _no_grad():
            _op("embedding_renorm_")(weight, input, max_norm, norm_type)
    return _op("embedding")(weight, input, padding_idx, scale_grad_by_freq, sparse)


def one_hot(tensor, num_classes=-1):
    """Class indices as one-hot int64 vectors along a new last dim."""
    return _op("one_hot")(tensor, num_classes)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm of ``x1 - x2 + eps`` over the last dim."""
    return _op("pairwise_distance")(x1, x2, p, eps, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``."""
    return _op("cosine_similarity")(x1, x2, dim, eps)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input`` divided by its p-norm along ``dim`` (at least ``eps``)."""
    norm = next(op for op in _OPS["norm"].overloads if op.name == "norm.ScalarOpt_dim")
    if out is None:
        denom = norm(input, p, dim, True).clamp_min(eps).expand_as(input)
        return input / denom
    denom = norm(input, p, dim, True).clamp_min_(eps).expand_as(input)
    return _op("div")(input, denom, out=out)


# ---------------------------------------------------------------------------- normalisation

def _verify_batch_size(size) -> None:
    prod = size[0]
    for n in size[2:]:
        prod *= n
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over the channel dim (dim 1); in training, running statistics are
    updated in place with ``momentum`` (unbiased variance)."""
    if training:
        _verify_batch_size(input.size())
    return _op("batch_norm")(input, weight, bias, running_mean, running_var, training,
                             momentum, eps, False)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalisation of each channel of each sample over its spatial dims."""
    if use_input_stats:
        size = input.size()
        prod = 1
        for n in size[2:]:
            prod *= n
        if prod == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {size}")
    return _op("instance_norm")(input, weight, bias, running_mean, running_var,
                                use_input_stats, momentum, eps, False)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalisation over the trailing ``normalized_shape`` dims."""
    return _op("layer_norm")(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalisation over groups of channels (and the spatial dims)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups]
                       + list(input.size()[2:]))
    return _op("group_norm")(input, num_groups, weight, bias, eps)


# ---------------------------------------------------------------------------- attention

def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, with optional causal mask and dropout."""
    return _op("scaled_dot_product_attention")(query, key, value, attn_mask, dropout_p,
                                               is_causal, scale=scale, enable_gqa=enable_gqa)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims."""
    return _op("rms_norm")(input, normalized_shape, weight, eps)


# ---------------------------------------------------------------------------- more losses

def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """``input`` where target is 1, max(0, margin - input) where it is -1."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    return _op("hinge_embedding_loss")(input, target, margin, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input))."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    _not_differentiable("soft_margin_loss", "target", target)
    return _op("soft_margin_loss")(input, target, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of ``target`` under a Poisson distribution of rate ``input``
    (or ``exp(input)`` when ``log_input``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    return _op("poisson_nll_loss")(input, target, log_input, full, eps, _enum(reduction))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var`` (one per element, or shared along the last dim)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _op("full")(tuple(input.shape), var, dtype=input.dtype, device=input.device)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(
                v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with _no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary cross-entropy on logits averaged over the classes of each sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    logsigmoid = _op("log_sigmoid")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """Triplet loss under any ``distance_function`` (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{p}D, and negative {n}D inputs")
    distance = distance_function or pairwise_distance
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = _op("minimum")(dist_neg, distance(positive, negative))
    return _reduce(_op("clamp_min")(margin + dist_pos - dist_neg, 0), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: sum over the other classes of max(0, margin - x[y] + x[j])^p."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _op("multi_margin_loss")(input, target, p, margin, weight, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss between each listed class and each class not listed."""
    reduction = _enum(_legacy_reduction(size_average, reduce, reduction))
    return _op("multilabel_margin_loss_forward")(input, target, reduction)[0]
