"""Neural-network ops that are not normalisations or losses: linear, bilinear, embedding,
one_hot, distances/similarities and scaled dot-product attention.

``linear`` and the other composites decompose into registry ops exactly as ATen's
CompositeImplicitAutograd kernels do, so autograd records the same nodes as PyTorch
(``AddmmBackward0`` for a 2-D input with bias, ``MmBackward0`` without, views around them for
other ranks).
"""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._core.meta import broadcast_shapes
from .._dispatch.dispatcher import OPS, defop
from .._tensor import Tensor
from . import iterator as it
from .nn_common import check_tensor, is_meta, result, type_name, values

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
            return _f("addmm")(bias, input, weight.t())
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
        return _f("mm")(input.unsqueeze(0), wt).squeeze(0)
    rows = input.reshape(-1, input._shape[-1])
    out = _f("mm")(rows, wt)
    return _f("_unsafe_view")(out, input._shape[:-1] + (out._shape[1],))


def _overload(name: str):
    """The registered overload ``name`` (``"norm.ScalarOpt_dim"``)."""
    return next(op for op in OPS[name.split(".")[0]].overloads if op.name == name)


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
                           f"torch.{type_name(indices._dtype)}Tensor instead (while checking "
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
    if sparse:
        raise NotImplementedError("sparse embedding gradients are not supported by "
                                  "frankentorch")
    shape = indices._shape + (weight._shape[1],)
    if is_meta(weight, indices):
        return result(None, weight._dtype, shape, weight._device)
    rows = values(weight)[_index_values(indices, weight._shape[0])]
    return result(rows, weight._dtype, shape, weight._device)


@embedding_op.backward("EmbeddingBackward0", saves=("indices",), inputs=("weight",))
def _embedding_derivative(grad, args):
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
        return _overload("norm.Scalar")(diff, p)
    return _overload("norm.ScalarOpt_dim")(diff, p, dim, keepdim)


cosine_similarity_op = defop("cosine_similarity(Tensor x1, Tensor x2, int dim=1, "
                             "float eps=1e-08) -> Tensor", variants=("function",))


@cosine_similarity_op.impl("CompositeImplicitAutograd")
def _cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from .. import autograd
    common = it.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{type_name(common)}")
    if not x1._dtype.is_floating_point:
        x1 = x1.to(common)
    if not x2._dtype.is_floating_point:
        x2 = x2.to(common)
    shape = broadcast_shapes(x1._shape, x2._shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    vector_norm = _overload("linalg_vector_norm")
    n1 = vector_norm(x1, 2, dim, True).clone()
    n2 = vector_norm(x2, 2, dim, True).clone()
    with autograd.no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
