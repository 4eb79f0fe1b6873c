"""Neural-network ops that are not normalisations or losses: linear, bilinear, embedding,
one_hot, distances/similarities and scaled dot-product attention.

``linear`` and the other composites decompose into registry ops exactly as ATen's
CompositeImplicitAutograd kernels do, so autograd records the same nodes as PyTorch
(``AddmmBackward0`` for a 2-D input with bias, ``MmBackward0`` without, views around them for
other ranks).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .._core import dtype as D
from .._core.meta import broadcast_shapes
from .._dispatch.dispatcher import OPS, defop, overload
from .._tensor import Tensor
from . import iterator as it
from .nn_common import check_tensor, is_meta, result, values

__all__ = []


def _f(name: str):
    return OPS[name].function()


# ---------------------------------------------------------------------------- linear

linear_op = defop("linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", variants=())


@linear_op.impl("CompositeImplicitAutograd")
def _linear(input, weight, bias=None):
    check_tensor("linear", "input", 1, input)
    check_tensor("linear", "weight", 2, weight)
    nd = input.ndim
    if bias is not None:
        if nd == 2:
            return _ready("addmm").run((bias, input, _ready("t").run((weight,)), 1, 1))
        if nd and input.is_contiguous():
            rows = input.reshape(-1, input._shape[-1])
            out = _f("addmm")(bias, rows, weight.t())
            return out.view(input._shape[:-1] + (out._shape[1],))
        return _f("add")(_matmul_t(input, weight), bias)
    return _matmul_t(input, weight)


def _matmul_t(input: Tensor, weight: Tensor) -> Tensor:
    """``input @ weight.t()`` through the ops ATen's matmul reaches: mm for matrices, a
    folded mm (``_unsafe_view``) for batches, a squeezed mm for a vector."""
    wt = weight.t()
    nd = input.ndim
    if wt.ndim != 2 or nd == 0:
        return _f("matmul")(input, wt)
    if nd == 2:
        return _f("mm")(input, wt)
    if nd == 1:
        return _f("mm")(input.unsqueeze(0), wt).squeeze_(0)
    rows = input.reshape(-1, input._shape[-1])
    out = _f("mm")(rows, wt)
    return _f("_unsafe_view")(out, input._shape[:-1] + (out._shape[1],))


@functools.cache
def _ready(name: str):
    """The overload ``name``, ready to ``run`` bound arguments (linear's hot path skips
    binding)."""
    op = overload(name)
    op._materialize()
    return op


# ---------------------------------------------------------------------------- bilinear

bilinear_op = defop("bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) "
                    "-> Tensor", variants=("function",))


@bilinear_op.impl("CompositeImplicitAutograd")
def _bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = x1[..., i] W[o, i, j] x2[..., j] + b[o]`` as one matmul, a product and a
    sum over the flattened batch, viewed back to the batch shape."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1._shape[i] != input2._shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                               f"{input1._shape[i]} and {input2._shape[i]}")
    n_out, n1, n2 = weight._shape
    if input1._shape[-1] != n1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1._shape[-1]} but expected {n1}")
    if input2._shape[-1] != n2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2._shape[-1]} but expected {n2}")
    if bias is not None and bias._shape[0] != n_out:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias._shape[0]} but expected {n_out}")
    batch = input1._shape[:-1]
    x1 = input1.reshape(-1, n1)
    x2 = input2.reshape(-1, n2)
    left = x1.matmul(weight.permute(1, 0, 2).reshape(n1, n_out * n2))
    out = (left.view(-1, n_out, n2) * x2.unsqueeze(1)).sum(-1).view(batch + (n_out,))
    return out + bias if bias is not None else out


# ---------------------------------------------------------------------------- embedding

embedding_op = defop("embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, "
                     "bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
                     variants=("function",))
embedding_backward_op = defop(
    "embedding_dense_backward(Tensor grad_output, Tensor indices, SymInt num_weights, "
    "SymInt padding_idx, bool scale_grad_by_freq) -> Tensor", variants=())
embedding_renorm_op = defop("embedding_renorm_(Tensor(a!) self, Tensor indices, "
                            "float max_norm, float norm_type) -> Tensor(a!)",
                            variants=("function",))


def _check_indices(name: str, indices: Tensor) -> None:
    if indices._dtype not in (D.int64, D.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{indices._dtype.scalar_type_name}Tensor instead (while checking "
                           f"arguments for {name})")


def _index_values(indices: Tensor, n: int) -> np.ndarray:
    idx = indices._array().astype(np.int64, copy=False)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    return idx


@embedding_op.impl("CPU", "Meta")
def _embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices("embedding", indices)
    shape = indices._shape + (weight._shape[1],)
    if is_meta(weight, indices):
        return result(None, weight._dtype, shape, weight._device)
    rows = values(weight)[_index_values(indices, weight._shape[0])]
    return result(rows, weight._dtype, shape, weight._device)


@embedding_op.backward("EmbeddingBackward0", saves=("indices",), inputs=("weight",))
def _embedding_derivative(grad, args):
    """The dense weight gradient; ``sparse=True`` asks for a sparse (COO) one, a layout
    frankentorch lacks, so that gradient fails closed rather than arriving dense."""
    if args.sparse:
        raise NotImplementedError("embedding(sparse=True): frankentorch has no sparse tensors "
                                  "for the weight gradient; use sparse=False")
    return embedding_backward_op(grad, args.indices, args.weight.shape[0], args.padding_idx,
                                 args.scale_grad_by_freq)


@embedding_backward_op.impl("CPU", "Meta")
def _embedding_backward(grad_output, indices, num_weights, padding_idx, scale_grad_by_freq):
    dim = grad_output._shape[-1]
    dt = grad_output._dtype
    if is_meta(grad_output, indices):
        return result(None, dt, (num_weights, dim), grad_output._device)
    idx = indices._array().astype(np.int64, copy=False).reshape(-1)
    g = values(grad_output).reshape(-1, dim)
    keep = idx != padding_idx
    idx, g = idx[keep], g[keep]
    if scale_grad_by_freq:
        counts = np.bincount(idx, minlength=num_weights)
        g = g / counts[idx][:, None].astype(g.dtype)
    out = np.zeros((num_weights, dim), g.dtype)
    np.add.at(out, idx, g)
    return result(out, dt, (num_weights, dim), grad_output._device)


@embedding_backward_op.backward("EmbeddingDenseBackwardBackward0", saves=("indices",),
                                inputs=("grad_output",))
def _embedding_double_derivative(grad, args):
    """Rows of the incoming gradient picked by the indices, zero at padding_idx (as torch,
    without the frequency scaling the first backward applied)."""
    rows = embedding_op(grad, args.indices)
    if args.padding_idx >= 0:
        rows = rows.masked_fill((args.indices == args.padding_idx).unsqueeze(-1), 0.0)
    return rows


@embedding_renorm_op.impl("CPU", "Meta")
def _embedding_renorm_(self, indices, max_norm, norm_type):
    _check_indices("embedding_renorm_", indices)
    if self._data is None:
        return self
    idx = np.unique(_index_values(indices, self._shape[0]))
    w = self._array()
    rows = values(self)[idx].astype(np.float64)
    norms = np.linalg.norm(rows, ord=norm_type, axis=1) if rows.size else np.zeros(0)
    big = norms > max_norm
    scale = max_norm / (norms[big] + 1e-7)
    w[idx[big]] = (rows[big] * scale[:, None]).astype(w.dtype)
    self._bump_version()
    return self


# ---------------------------------------------------------------------------- one_hot

one_hot_op = defop("one_hot(Tensor self, int num_classes=-1) -> Tensor", variants=())


@one_hot_op.impl("CPU", "Meta")
def _one_hot(self, num_classes=-1):
    if self._dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if self._data is None:
        if num_classes < 0:
            raise RuntimeError("Can not infer total number of classes from meta tensor.")
        return result(None, D.int64, self._shape + (num_classes,), self._device)
    idx = self._array()
    if idx.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(idx.max()) + 1
        elif idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(idx.shape + (num_classes,), np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return result(out, D.int64, out.shape, self._device)


# ---------------------------------------------------------------------------- distances

pairwise_distance_op = defop("pairwise_distance(Tensor x1, Tensor x2, float p=2, "
                             "float eps=1e-06, bool keepdim=False) -> Tensor",
                             variants=("function",))


@pairwise_distance_op.impl("CompositeImplicitAutograd")
def _pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    dim = max(x1.ndim, x2.ndim) - 1
    diff = x1 - x2 + eps
    if dim < 0:  # two 0-d tensors: the norm of one number
        return overload("norm.Scalar")(diff, p)
    return overload("norm.ScalarOpt_dim")(diff, p, dim, keepdim)


cosine_similarity_op = defop("cosine_similarity(Tensor x1, Tensor x2, int dim=1, "
                             "float eps=1e-08) -> Tensor", variants=("function",))


@cosine_similarity_op.impl("CompositeImplicitAutograd")
def _cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from .. import autograd
    common = it.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{common.scalar_type_name}")
    if not x1._dtype.is_floating_point:
        x1 = x1.to(common)
    if not x2._dtype.is_floating_point:
        x2 = x2.to(common)
    shape = broadcast_shapes(x1._shape, x2._shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    vector_norm = overload("linalg_vector_norm")
    n1 = vector_norm(x1, 2, dim, True).clone()
    n2 = vector_norm(x2, 2, dim, True).clone()
    with autograd.no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


# ---------------------------------------------------------------------------- attention
# As ATen on the CPU: 4-D inputs without dropout take the fused ("flash") kernel, recorded as
# one ScaledDotProductFlashAttentionForCpuBackward0 node; other calls take the math path
# (matmuls, masked softmax, dropout) and record its ops.

flash_attention = defop(
    "_scaled_dot_product_flash_attention_for_cpu(Tensor query, Tensor key, Tensor value, "
    "float dropout_p=0.0, bool is_causal=False, *, Tensor? attn_mask=None, float? scale=None) "
    "-> (Tensor output, Tensor logsumexp)", variants=("function",))
flash_attention_backward = defop(
    "_scaled_dot_product_flash_attention_for_cpu_backward(Tensor grad_out, Tensor query, "
    "Tensor key, Tensor value, Tensor out, Tensor logsumexp, float dropout_p, bool is_causal, "
    "*, Tensor? attn_mask=None, float? scale=None) -> (Tensor grad_query, Tensor grad_key, "
    "Tensor grad_value)", variants=())


def _scale(query: Tensor, scale) -> float:
    return 1.0 / math.sqrt(query._shape[-1]) if scale is None else float(scale)


def _additive_mask(attn_mask, is_causal: bool, n_q: int, n_k: int, np_dt):
    """The mask as a float array added to the scores (-inf where a bool mask is False, the
    causal mask keeping the lower-left triangle), or None."""
    mask = None
    if attn_mask is not None:
        m = values(attn_mask)
        mask = np.where(m, 0.0, -np.inf).astype(np_dt) if attn_mask._dtype is D.bool_ \
            else m.astype(np_dt, copy=False)
    if is_causal:
        causal = np.where(np.tri(n_q, n_k, dtype=bool), 0.0, -np.inf).astype(np_dt)
        mask = causal if mask is None else mask + causal
    return mask


def _attention_probs(q, k, mask, scale):
    """(softmax(q k^T * scale + mask), logsumexp of the scores); fully masked rows give 0."""
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        top = scores.max(-1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0)
        e = np.exp(scores - top)
        total = e.sum(-1, keepdims=True)
        lse = np.log(total) + top
        probs = np.where(total > 0, e / np.where(total > 0, total, 1), 0)
    return probs, lse[..., 0]


@flash_attention.impl("CPU", "Meta")
def _flash_attention(query, key, value, dropout_p=0.0, is_causal=False, attn_mask=None,
                     scale=None):
    dt, dev = query._dtype, query._device
    out_shape = query._shape[:-1] + (value._shape[-1],)
    if is_meta(query, key, value, attn_mask):
        return result(None, dt, out_shape, dev), result(None, D.float32, query._shape[:-1], dev)
    np_dt = np.float64 if dt is D.float64 else np.float32
    q, k, v = (values(t).astype(np_dt, copy=False) for t in (query, key, value))
    mask = _additive_mask(attn_mask, is_causal, q.shape[-2], k.shape[-2], np_dt)
    probs, lse = _attention_probs(q, k, mask, _scale(query, scale))
    return (result(np.matmul(probs, v), dt, out_shape, dev),
            result(lse, D.float32 if dt is not D.float64 else dt, query._shape[:-1], dev))


@flash_attention_backward.impl("CPU", "Meta")
def _flash_attention_backward(grad_out, query, key, value, out, logsumexp, dropout_p,
                              is_causal, attn_mask=None, scale=None):
    dt, dev = query._dtype, query._device
    if is_meta(grad_out, query, key, value):
        return tuple(result(None, dt, t._shape, dev) for t in (query, key, value))
    np_dt = np.float64 if dt is D.float64 else np.float32
    q, k, v, g = (values(t).astype(np_dt, copy=False) for t in (query, key, value, grad_out))
    s = _scale(query, scale)
    mask = _additive_mask(attn_mask, is_causal, q.shape[-2], k.shape[-2], np_dt)
    probs, _ = _attention_probs(q, k, mask, s)
    dp = np.matmul(g, np.swapaxes(v, -1, -2))
    ds = probs * (dp - (dp * probs).sum(-1, keepdims=True))
    grads = (np.matmul(ds, k) * s, np.matmul(np.swapaxes(ds, -1, -2), q) * s,
             np.matmul(np.swapaxes(probs, -1, -2), g))
    return tuple(result(gr, dt, t._shape, dev) for gr, t in zip(grads, (query, key, value)))


@flash_attention.backward("ScaledDotProductFlashAttentionForCpuBackward0",
                          saves=("query", "key", "value", "attn_mask"), save_result=True,
                          inputs=("query", "key", "value"))
def _flash_attention_derivative(grads, args):
    out, lse = args.result
    return flash_attention_backward(grads[0], args.query, args.key, args.value, out, lse,
                                    args.dropout_p, args.is_causal, attn_mask=args.attn_mask,
                                    scale=args.scale)


sdpa_op = defop("scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, "
                "Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, "
                "float? scale=None, bool enable_gqa=False) -> Tensor", variants=())


@sdpa_op.impl("CompositeImplicitAutograd")
def _sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
          enable_gqa=False):
    if not query._dtype is key._dtype is value._dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_cname(query)} key.dtype: {_cname(key)} and "
                           f"value.dtype: {_cname(value)} instead.")
    if attn_mask is not None and attn_mask._dtype is not D.bool_ \
            and attn_mask._dtype is not query._dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_cname(attn_mask)} and  "
                           f"query.dtype: {_cname(query)} instead.")
    if enable_gqa and query.ndim >= 3 and key._shape[-3] != query._shape[-3]:
        rep = query._shape[-3] // key._shape[-3]
        key = key.repeat_interleave(rep, -3)
        value = value.repeat_interleave(rep, -3)
    if _fused_ok(query, key, value, attn_mask, dropout_p):
        return flash_attention(query, key, value, dropout_p, is_causal, attn_mask=attn_mask,
                               scale=scale)[0]
    return _sdpa_math(query, key, value, attn_mask, dropout_p, is_causal, scale)


def _cname(t: Tensor) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16"}.get(t._dtype.name, t._dtype.name)


def _fused_ok(query, key, value, attn_mask, dropout_p) -> bool:
    """ATen's CPU choice of the fused kernel: 4-D inputs, no dropout, one head size, unit
    last-dim strides, non-empty sequences and a mask that does not require grad and
    broadcasts from 2-D or 4-D."""
    return (query.ndim == key.ndim == value.ndim == 4 and dropout_p == 0.0
            and query._dtype in (D.float32, D.float64)
            and query._shape[-1] == key._shape[-1] == value._shape[-1]
            and all(t._stride[-1] == 1 or t._shape[-1] == 1 for t in (query, key, value))
            and query._shape[-2] > 0 and key._shape[-2] > 0
            and (attn_mask is None or _fused_mask_ok(attn_mask, query, key)))


def _fused_mask_ok(mask, query, key) -> bool:
    """check_attn_mask_shape: no gradient, and each mask dim equal to the scores' or 1."""
    if mask.requires_grad or mask.ndim not in (2, 4):
        return False
    scores = query._shape[:2] + (query._shape[2], key._shape[2])
    return all(m in (1, n) for m, n in zip(mask._shape[::-1], scores[::-1]))


def _sdpa_math(query, key, value, attn_mask, dropout_p, is_causal, scale):
    """ATen's math path: both operands scaled by sqrt(scale), a masked softmax, dropout and
    a second product."""
    root = math.sqrt(_scale(query, scale))
    n_q, n_k = query._shape[-2], key._shape[-2]
    q = query * root
    if is_causal:
        causal = OPS["full"].function()((n_q, n_k), True, dtype=D.bool_).tril()
        attn_mask = causal if attn_mask is None else attn_mask.logical_and(causal) \
            if attn_mask._dtype is D.bool_ else attn_mask + _as_additive(causal, q._dtype)
    if attn_mask is not None and attn_mask._dtype is D.bool_:
        attn_mask = _as_additive(attn_mask, q._dtype)
    attn = q.matmul(key.transpose(-2, -1) * root)
    if attn_mask is not None:
        attn = attn + attn_mask
    attn = _safe_softmax(attn)
    if dropout_p > 0.0:
        attn = OPS["dropout"].function()(attn, dropout_p, True)
    return attn.matmul(value)


def _as_additive(mask: Tensor, dt) -> Tensor:
    return OPS["where"].function()(mask, 0.0, float("-inf")).to(dt)


def _safe_softmax(x: Tensor) -> Tensor:
    """Softmax over the last dim that gives 0 (not NaN) on rows that are entirely -inf."""
    dead = (x == float("-inf")).all(-1, keepdim=True)
    if not bool(dead.any()):
        return x.softmax(-1)
    return x.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
