"""Linear algebra: mm, bmm, matmul, mv, dot, vdot, outer/ger, addmm, addmv, baddbmm, einsum,
tensordot, linalg_solve, linalg_inv/inverse, linalg_det/det, linalg_cholesky/cholesky.

Every op checks its arguments the way ATen does (same order, same exception types and
messages), allocates its result, and — for real (non-meta) tensors — hands strided NumPy
views to ``_kernels.linalg`` (BLAS/LAPACK underneath). Results of the product family are
contiguous, as PyTorch's are; factorization results use LAPACK's column-major batches.
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from .._core import dtype as D
from .._core.device import CPU
from .._core.meta import broadcast_shapes, contiguous_strides, normalize_dim, numel_of
from .._dispatch.dispatcher import OPS, defop, overload
from .._tensor import Tensor, empty_contiguous, empty_tensor, make_tensor
from . import iterator as it
from .copy import copy_into, resize_out

__all__ = ["LinAlgError", "OPERATORS", "FUNCTIONS", "einsum", "tensordot"]


class LinAlgError(RuntimeError):
    """PyTorch's ``torch.linalg.LinAlgError``: a factorization failed on singular or
    non-positive-definite input. A RuntimeError, as in PyTorch."""


LinAlgError.__module__ = "frankentorch.linalg"


@functools.cache
def _K():
    from .._kernels import linalg
    return linalg


# ---------------------------------------------------------------------------- helpers

_HALVES = (D.float16, D.bfloat16)


def _view(t: Tensor) -> np.ndarray:
    """A strided NumPy view of ``t`` (cheaper than ``Tensor._array`` for the common cases)."""
    data = t._data
    shape = t._shape
    if t._contig or (t._contig is None and t.is_contiguous()):
        n = numel_of(shape)
        return data[t._offset:t._offset + n].reshape(shape)
    if 0 in shape:
        return np.empty(shape, data.dtype)
    item = data.itemsize
    strides = tuple(s * item if n > 1 else 0 for n, s in zip(shape, t._stride))
    return np.ndarray(shape, data.dtype, data, t._offset * item, strides)


def _new(shape, dt: D.dtype, dev) -> Tensor:
    if dev.type == "cpu":
        return empty_contiguous(tuple(shape), numel_of(shape), dt)
    return empty_tensor(shape, dt, dev)


def _check_tensor(name: str, arg: str, pos: int, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _dim_str(t: Tensor) -> str:
    return "x".join(str(n) for n in t._shape)


def _scalar(v, dt: D.dtype):
    """A Scalar argument (beta/alpha) as the op's dtype sees it: truncated for integers."""
    if isinstance(v, Tensor):
        v = v.item()
    if dt is D.bool_:
        return bool(v)
    if not dt.is_floating_point:
        return int(v)
    return float(v)


def _finish_out(result: Tensor, out: Tensor, *, dot_style: bool = False) -> Tensor:
    """Write ``result`` into an out= tensor: same dtype required, resized to the result."""
    if out._dtype is not result._dtype:
        if dot_style:
            raise RuntimeError(f"result dtype {out._dtype.scalar_type_name} does not match input dtype "
                               f"{result._dtype.scalar_type_name}")
        raise RuntimeError(f"Expected out tensor to have dtype {result._dtype.cxx_name}, but got "
                           f"{out._dtype.cxx_name} instead")
    if out._shape != result._shape:
        if out.numel():
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out._shape)}, which does not match the required output shape "
                          f"{list(result._shape)}. This behavior is deprecated, and in a future "
                          "PyTorch release outputs will not be resized unless they have zero "
                          "elements. You can explicitly reuse an out tensor t by resizing it, "
                          "inplace, to zero elements with t.resize_(0).", UserWarning)
        resize_out(out, result._shape)
    it.check_writable(out)
    copy_into(out, result)
    out._bump_version()
    return out


def _expand_error(target, shape) -> RuntimeError:
    off = len(target) - len(shape)
    for i in range(len(shape) - 1, -1, -1):
        n, m = shape[i], target[off + i] if off + i >= 0 else None
        if m is None or (n != 1 and n != m):
            return RuntimeError(
                f"The expanded size of the tensor ({m}) must match the existing size ({n}) at "
                f"non-singleton dimension {off + i}.  Target sizes: {list(target)}.  Tensor "
                f"sizes: {list(shape)}")
    return RuntimeError("expand failed")


def _check_expand(shape, target) -> None:
    if len(shape) > len(target):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(target)}): the number of "
            "sizes provided (%d) must be greater or equal to the number of dimensions in the "
            "tensor (%d)" % (len(target), len(shape)))
    off = len(target) - len(shape)
    for i, n in enumerate(shape):
        if n != 1 and n != target[off + i]:
            raise _expand_error(target, shape)


# ---------------------------------------------------------------------------- checks

def _mm_checks(a: Tensor, b: Tensor) -> None:
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a._shape[1] != b._shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dim_str(a)} and "
                           f"{_dim_str(b)})")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a._dtype.cxx_name} != {b._dtype.cxx_name}")
    if a._dtype is D.bool_:
        raise it.not_implemented("addmm_impl_cpu_", D.bool_)


def _addmv_checks(inp_shape, inp_dt, mat: Tensor, vec: Tensor) -> None:
    if not (mat.ndim == 2 and vec.ndim == 1 and len(inp_shape) <= 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {len(inp_shape)}, "
                           f"{mat.ndim}, {vec.ndim}")
    n_in = numel_of(inp_shape)
    if not (mat._shape[1] == vec._shape[0] and (mat._shape[0] == n_in or n_in == 1)):
        if not inp_shape:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"size mismatch, got input ({inp_shape[0]}), mat ({_dim_str(mat)}), "
                           f"vec ({vec._shape[0]})")
    if not (inp_dt is mat._dtype is vec._dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{inp_dt.scalar_type_name}, {mat._dtype.scalar_type_name}, and {vec._dtype.scalar_type_name}")
    if mat._dtype is D.bool_:
        raise it.not_implemented("addmv_impl_cpu", D.bool_)


def _bmm_checks(a: Tensor, b: Tensor, kernel: str = "bmm") -> None:
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _bmm_shape_checks(a._shape, b._shape, a._dtype, b._dtype, kernel)
    it.common_device(a, b)


def _bmm_shape_checks(sa, sb, da, db, kernel="bmm") -> None:
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    if da is not db:
        raise RuntimeError(f"expected scalar type {da.scalar_type_name} but found {db.scalar_type_name}")
    if da is D.bool_:
        raise it.not_implemented(kernel, D.bool_)


def _dot_checks(a: Tensor, b: Tensor) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{a._dtype.scalar_type_name} and {b._dtype.scalar_type_name}")
    if a._shape[0] != b._shape[0]:
        n, m = a._shape[0], b._shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    if a._dtype is D.bool_:
        raise it.not_implemented("dot", D.bool_)


# ---------------------------------------------------------------------------- products

_BLAS_NATIVE = frozenset(d for d in D.ALL_DTYPES if d not in _HALVES and d is not D.bool_)


def _product(a: Tensor, b: Tensor, shape) -> Tensor:
    """``a @ b`` (NumPy matmul semantics, shapes already checked) into a new contiguous
    tensor of ``shape``."""
    dt = a._dtype
    if a._device.type == "cpu":
        n = numel_of(shape)
        out = empty_contiguous(shape, n, dt)
        if n:
            o = out._data.reshape(shape)
            if dt in _BLAS_NATIVE:
                np.matmul(_view(a), _view(b), out=o)
            else:
                _K().matmul_into(_view(a), _view(b), o)
        return out
    out = empty_tensor(shape, dt, a._device)
    if a._data is not None and out.numel():
        _K().matmul_into(_view(a), _view(b), _view(out))
    return out


def _matmul_into_new(a: np.ndarray, b: np.ndarray, dt: D.dtype, transposed: bool) -> Tensor:
    """``a @ b`` in a new tensor, or its transpose (a column-major result) when
    ``transposed``."""
    m, n = a.shape[0], b.shape[1]
    out = empty_contiguous((m, n), m * n, dt)
    if m and n:
        np.matmul(a, b, out=out._data.reshape(m, n))
    if not transposed:
        return out
    return make_tensor(out._storage, (n, m), (1, n), 0, dt, out._device, check=False,
                       data=out._data)


def _mm(self, mat2):
    if self.__class__ is Tensor and mat2.__class__ is Tensor and self._dtype is mat2._dtype \
            and len(self._shape) == 2 and len(mat2._shape) == 2 \
            and self._shape[1] == mat2._shape[0] and self._dtype is not D.bool_ \
            and self._device is mat2._device:
        m, n = self._shape[0], mat2._shape[1]
        if self._dtype in _BLAS_NATIVE and self._data is not None:
            return _matmul_into_new(_view(self), _view(mat2), self._dtype, False)
        return _product(self, mat2, (m, n))
    _check_tensor("mm", "input", 1, self)
    _check_tensor("mm", "mat2", 2, mat2)
    _mm_checks(self, mat2)
    it.common_device(self, mat2)
    return _product(self, mat2, (self._shape[0], mat2._shape[1]))


def _bmm(self, mat2):
    _check_tensor("bmm", "input", 1, self)
    _check_tensor("bmm", "mat2", 2, mat2)
    _bmm_checks(self, mat2)
    return _product(self, mat2, (self._shape[0], self._shape[1], mat2._shape[2]))


def _mv(self, vec):
    _check_tensor("mv", "input", 1, self)
    _check_tensor("mv", "vec", 2, vec)
    inp = (self._shape[0],) if self.ndim >= 1 else ()
    _addmv_checks(inp, vec._dtype, self, vec)
    it.common_device(self, vec)
    return _product(self, vec, (self._shape[0],))


def _dot(self, tensor):
    _check_tensor("dot", "input", 1, self)
    _check_tensor("dot", "tensor", 2, tensor)
    _dot_checks(self, tensor)
    it.common_device(self, tensor)
    return _product(self, tensor, ())


def _should_fold(t1: Tensor, t2: Tensor, has_out: bool) -> bool:
    """ATen's should_fold: fold the larger operand's batch into mm/mv rows when that needs
    no copy (decides which kernel — hence which error message — a call reaches)."""
    d1, d2 = t1.ndim, t2.ndim
    larger = t1 if d1 >= d2 else t2.mT
    dl, ds = larger.ndim, (d2 if d1 >= d2 else d1)
    if not (dl >= 3 and ds <= 2):
        return False
    if (t2 if d1 >= d2 else t1).requires_grad and not has_out:
        return True
    if d1 == 2:
        return False
    if larger.numel() == 0:
        return True
    sh, st = larger._shape, larger._stride
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(dl - 2))


def _matmul_shape(t1: Tensor, t2: Tensor, has_out: bool = False):
    """Validate ``matmul(t1, t2)`` as ATen's matmul would (the kernel each case reaches
    raises its own message) and return the result shape."""
    d1, d2 = t1.ndim, t2.ndim
    it.common_device(t1, t2)
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        _dot_checks(t1, t2)
        return ()
    if d1 == 2 and d2 == 1:
        _addmv_checks((t1._shape[0],), t2._dtype, t1, t2)
        return (t1._shape[0],)
    if d1 == 1 and d2 == 2:
        _mm_checks(_S((1,) + t1._shape, t1._dtype), t2)
        return (t2._shape[1],)
    if d1 == 2 and d2 == 2:
        _mm_checks(t1, t2)
        return (t1._shape[0], t2._shape[1])
    if _should_fold(t1, t2, has_out):
        transpose = d2 > d1
        a = t2.mT if transpose else t1
        b = (_S(t1._shape[::-1], t1._dtype) if d1 == 2 else t1) if transpose else t2
        lead = a._shape[:-1]
        rows = numel_of(lead)
        folded = _S((rows, a._shape[-1]), a._dtype)
        if b.ndim == 2:
            _mm_checks(folded, b)
            shape = lead + (b._shape[1],)
            return shape[:-2] + (shape[-1], shape[-2]) if transpose else shape
        _addmv_checks((rows,), b._dtype, folded, b)
        return lead
    n = t1._shape[-2] if d1 > 1 else 1
    m1 = t1._shape[-1]
    m2 = t2._shape[-2] if d2 > 1 else t2._shape[0]
    p = t2._shape[-1] if d2 > 1 else 1
    batch = broadcast_shapes(t1._shape[:max(d1 - 2, 0)], t2._shape[:max(d2 - 2, 0)])
    B = numel_of(batch)
    _bmm_shape_checks((B, n, m1), (B, m2, p), t1._dtype, t2._dtype)
    it.common_device(t1, t2)
    return batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())


def _matmul_composite(t1: Tensor, t2: Tensor) -> Tensor:
    """matmul as ATen's _matmul_impl composes it from dot/mv/mm/bmm and views, so autograd
    records the same nodes as torch (``MmBackward0``, ``UnsafeViewBackward0``, ...)."""
    d1, d2 = t1.ndim, t2.ndim
    _check_tensor("matmul", "input", 1, t1)
    _check_tensor("matmul", "other", 2, t2)
    _matmul_shape(t1, t2)  # torch's checks and messages
    if d1 == 1 and d2 == 1:
        return t1.dot(t2)
    if d1 == 2 and d2 == 1:
        return t1.mv(t2)
    if d1 == 1 and d2 == 2:
        return t1.unsqueeze(0).mm(t2).squeeze_(0)
    if d1 == 2 and d2 == 2:
        return t1.mm(t2)
    unsafe_view = OPS["_unsafe_view"].function()
    if _should_fold(t1, t2, False):
        transpose = d2 > d1
        a = t2.mT if transpose else t1
        b = (t1.t() if d1 == 2 else t1) if transpose else t2
        shape = a._shape[:-1]
        folded = a.reshape(numel_of(shape), a._shape[-1])
        if b.ndim == 2:
            out = unsafe_view(folded.mm(b), shape + (b._shape[1],))
            return out.mT.contiguous() if transpose else out
        return unsafe_view(folded.mv(b), shape)
    n = t1._shape[-2] if d1 > 1 else 1
    m1 = t1._shape[-1]
    batch1, batch2 = t1._shape[:max(d1 - 2, 0)], t2._shape[:max(d2 - 2, 0)]
    m2 = t2._shape[-2] if d2 > 1 else t2._shape[0]
    p = t2._shape[-1] if d2 > 1 else 1
    if d1 == 3 and d2 == 3 and batch1[0] != batch2[0]:
        if batch1[0] == 1 and t1.requires_grad:
            return _matmul_composite(t1.squeeze(0), t2)
        if batch2[0] == 1 and t2.requires_grad:
            return _matmul_composite(t1, t2.squeeze(0))
    batch = broadcast_shapes(batch1, batch2)
    rows = numel_of(batch)
    a = t1.expand(batch + (n, m1)).reshape(rows, n, m1)
    if d2 == 1:
        b = t2.expand(batch + (m2,)).reshape(rows, m2).unsqueeze(2)
    else:
        b = t2.expand(batch + (m2, p)).reshape(rows, m2, p)
    shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    out = a.bmm(b)
    return unsafe_view(out.squeeze(-1) if d2 == 1 else out, shape)


def _matmul(self, other):
    if self.__class__ is Tensor and other.__class__ is Tensor and self._dtype is other._dtype \
            and len(self._shape) == 2 and len(other._shape) == 2 \
            and self._shape[1] == other._shape[0] and self._dtype is not D.bool_ \
            and self._device is other._device:
        m, n = self._shape[0], other._shape[1]
        if self._dtype in _BLAS_NATIVE and self._data is not None and m and n:
            out = empty_contiguous((m, n), m * n, self._dtype)
            np.matmul(_view(self), _view(other), out=out._data.reshape(m, n))
            return out
        return _product(self, other, (m, n))
    _check_tensor("matmul", "input", 1, self)
    _check_tensor("matmul", "other", 2, other)
    return _product(self, other, _matmul_shape(self, other))


def _vdot(self, other):
    _check_tensor("vdot", "input", 1, self)
    _check_tensor("vdot", "other", 2, other)
    _dot_checks(self, other)
    it.common_device(self, other)
    return _product(self, other, ())


def _outer(self, vec2, name="outer"):
    _check_tensor(name, "input", 1, self)
    _check_tensor(name, "vec2", 2, vec2)
    if self.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {self.ndim}-D")
    if vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return OPS["mul"].function()(self.reshape((self._shape[0], 1)), vec2)


def _blend(mat1: Tensor, mat2: Tensor, shape, inp: Tensor, beta, alpha) -> Tensor:
    """beta * inp + alpha * (mat1 @ mat2), computed in the op's (widened) dtype and rounded
    once; beta == 0 ignores inp entirely (NaN included) and alpha == 0 ignores the product,
    as BLAS does."""
    dt = mat1._dtype
    out = _new(shape, dt, mat1._device)
    if mat1._data is None or not out.numel():
        return out
    b, a = _scalar(beta, dt), _scalar(alpha, dt)
    if dt in _BLAS_NATIVE and a == 1 and mat2._data is not None:  # the common linear layer
        o = _view(out)
        np.matmul(_view(mat1), _view(mat2), out=o)
        if b:
            x = _view(inp)
            np.add(o, x * b if b != 1 else x, out=o)
        return out
    K = _K()
    if a == 0:
        val = np.zeros(shape, it.compute_dtype(dt).np_dtype)
    else:
        val = np.matmul(K.widen(_view(mat1)), K.widen(_view(mat2)))
        if a != 1:
            val = val * a
    if b:
        x = K.widen(_view(inp))
        val = val + (x * b if b != 1 else x)
    _view(out)[...] = np.broadcast_to(val, shape)
    return out


class _S:
    """Shape and dtype of an operand ATen would reshape before checking it."""
    __slots__ = ("_shape", "_dtype", "ndim")

    def __init__(self, shape, dtype):
        self._shape, self._dtype, self.ndim = tuple(shape), dtype, len(shape)


def _addmm(self, mat1, mat2, beta=1, alpha=1):
    if beta == 1 and alpha == 1 and self.__class__ is Tensor and mat1.__class__ is Tensor \
            and mat2.__class__ is Tensor and self._dtype is mat1._dtype is mat2._dtype \
            and self._dtype in _BLAS_NATIVE and self._device is mat1._device is mat2._device \
            is CPU and len(mat1._shape) == 2 and len(mat2._shape) == 2 \
            and mat1._shape[1] == mat2._shape[0] \
            and self._shape in ((mat2._shape[1],), (mat1._shape[0], mat2._shape[1])):
        # the linear layer: bias + input @ weight.t(), operands known to fit
        return _blend(mat1, mat2, (mat1._shape[0], mat2._shape[1]), self, 1, 1)
    for i, (x, n) in enumerate(((self, "input"), (mat1, "mat1"), (mat2, "mat2"))):
        _check_tensor("addmm", n, i + 1, x)
    if mat1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if self._dtype is not mat2._dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{self._dtype.scalar_type_name} and {mat2._dtype.scalar_type_name}")
    if mat1._dtype is not mat2._dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{mat1._dtype.scalar_type_name} and {mat2._dtype.scalar_type_name}")
    if mat1._shape[1] != mat2._shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dim_str(mat1)} and "
                           f"{_dim_str(mat2)})")
    shape = (mat1._shape[0], mat2._shape[1])
    _check_expand(self._shape, shape)
    if self._dtype is D.bool_:
        raise it.not_implemented("addmm_impl_cpu_", D.bool_)
    it.common_device(self, mat1, mat2)
    return _blend(mat1, mat2, shape, self, beta, alpha)


def _addmv(self, mat, vec, beta=1, alpha=1):
    for i, (x, n) in enumerate(((self, "input"), (mat, "mat"), (vec, "vec"))):
        _check_tensor("addmv", n, i + 1, x)
    _addmv_checks(self._shape, self._dtype, mat, vec)
    it.common_device(self, mat, vec)
    return _blend(mat, vec, (mat._shape[0],), self, beta, alpha)


def _baddbmm(self, batch1, batch2, beta=1, alpha=1):
    for i, (x, n) in enumerate(((self, "input"), (batch1, "batch1"), (batch2, "batch2"))):
        _check_tensor("baddbmm", n, i + 1, x)
    if self._dtype is not batch1._dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {self._dtype.cxx_name}, "
                           f"batch1: {batch1._dtype.cxx_name}, batch2: {batch2._dtype.cxx_name}")
    if batch1.ndim >= 2 and batch2.ndim >= 3:
        shape = (batch1._shape[0], batch1._shape[1], batch2._shape[2])
        _check_expand(self._shape, shape)
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    shape = (batch1._shape[0], batch1._shape[1], batch2._shape[2])
    _bmm_shape_checks(batch1._shape, batch2._shape, batch1._dtype, batch2._dtype, "baddbmm")
    it.common_device(self, batch1, batch2)
    return _blend(batch1, batch2, shape, self, beta, alpha)


# ---------------------------------------------------------------------------- registration

def _register(schema_fn: str, schema_out: str, fn, *, variants=("function", "method"),
              dot_style=False, inplace: str | None = None):
    functional = defop(schema_fn, variants=variants)
    functional.impl("CPU", "Meta")(fn)
    if schema_out:
        out_op = defop(schema_out, variants=variants)

        @out_op.impl("CPU", "Meta")
        def forward_out(*args):
            *rest, out = args
            return _finish_out(fn(*rest), out, dot_style=dot_style)
    if inplace:
        in_op = defop(inplace, variants=("method",))

        @in_op.impl("CPU", "Meta")
        def forward_inplace(self, *rest):
            result = fn(self, *rest)
            if result._shape != self._shape:
                raise RuntimeError(f"The expanded size of the tensor ({self._shape[-1] if self._shape else 0})"
                                   f" must match the existing size ({result._shape[-1]}) at "
                                   f"non-singleton dimension {self.ndim - 1}.  Target sizes: "
                                   f"{list(self._shape)}.  Tensor sizes: {list(result._shape)}")
            it.check_writable(self, rest)
            copy_into(self, result)
            self._bump_version()
            return self
    return functional


mm_op = _register("mm(Tensor self, Tensor mat2) -> Tensor",
          "mm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) -> Tensor(a!)", _mm)
bmm_op = _register("bmm(Tensor self, Tensor mat2) -> Tensor",
          "bmm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) -> Tensor(a!)", _bmm)
matmul_op = _register("matmul(Tensor self, Tensor other) -> Tensor",
          "matmul.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)", _matmul)


@matmul_op.impl("Autograd")
def _matmul_autograd(self, other):
    """With gradients wanted, matmul is its composition (as torch records it); without, the
    direct kernel."""
    if getattr(self, "_requires_grad", False) or getattr(other, "_requires_grad", False):
        return _matmul_composite(self, other)
    return _matmul(self, other)
mv_op = _register("mv(Tensor self, Tensor vec) -> Tensor",
          "mv.out(Tensor self, Tensor vec, *, Tensor(a!) out) -> Tensor(a!)", _mv)
dot_op = _register("dot(Tensor self, Tensor tensor) -> Tensor",
          "dot.out(Tensor self, Tensor tensor, *, Tensor(a!) out) -> Tensor(a!)", _dot,
          dot_style=True)
_register("vdot(Tensor self, Tensor other) -> Tensor",
          "vdot.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)", _vdot,
          dot_style=True)
_register("outer(Tensor self, Tensor vec2) -> Tensor", "", _outer)
_register("ger(Tensor self, Tensor vec2) -> Tensor", "",
          lambda self, vec2: _outer(self, vec2, "ger"))
addmm_op = _register("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> "
          "Tensor",
          "addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1, "
          "Tensor(a!) out) -> Tensor(a!)", _addmm,
          inplace="addmm_(Tensor(a!) self, Tensor mat1, Tensor mat2, *, Scalar beta=1, "
                  "Scalar alpha=1) -> Tensor(a!)")
_register("addmv(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) -> "
          "Tensor",
          "addmv.out(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1, "
          "Tensor(a!) out) -> Tensor(a!)", _addmv,
          inplace="addmv_(Tensor(a!) self, Tensor mat, Tensor vec, *, Scalar beta=1, "
                  "Scalar alpha=1) -> Tensor(a!)")
_register("baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, "
          "Scalar alpha=1) -> Tensor",
          "baddbmm.out(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, "
          "Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)", _baddbmm,
          inplace="baddbmm_(Tensor(a!) self, Tensor batch1, Tensor batch2, *, Scalar beta=1, "
                  "Scalar alpha=1) -> Tensor(a!)")

_outer_out = defop("outer.out(Tensor self, Tensor vec2, *, Tensor(a!) out) -> Tensor(a!)")
_ger_out = defop("ger.out(Tensor self, Tensor vec2, *, Tensor(a!) out) -> Tensor(a!)")


@_outer_out.impl("CPU", "Meta")
@_ger_out.impl("CPU", "Meta")
def _outer_into(self, vec2, out):
    _outer(self, vec2)
    return OPS["mul"].function()(self.reshape((self._shape[0], 1)), vec2, out=out)


# ---------------------------------------------------------------------------- tensordot

_tensordot = defop("tensordot(Tensor self, Tensor other, int[] dims_self, int[] dims_other) "
                   "-> Tensor", variants=("function",))
_tensordot_out = defop("tensordot.out(Tensor self, Tensor other, int[] dims_self, "
                       "int[] dims_other, *, Tensor(a!) out) -> Tensor(a!)",
                       variants=("function",))


@_tensordot.impl("CPU", "Meta")
def _tensordot_kernel(self, other, dims_self, dims_other):
    from .._core.meta import normalize_dim
    if len(dims_self) != len(dims_other):
        raise RuntimeError("both dimension lists should have same length")
    if self._dtype is not other._dtype:
        raise RuntimeError("both inputs should have same dtype")
    it.common_device(self, other)
    d1 = [normalize_dim(d, self.ndim) for d in dims_self]
    d2 = [normalize_dim(d, other.ndim) for d in dims_other]
    a, b = self, other
    sum_a, sum_b = [], []
    for x, y in zip(d1, d2):
        s1, s2 = a._shape[x], b._shape[y]
        if s2 == 1:
            sum_a.append(x)
        elif s1 == 1:
            sum_b.append(y)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} "
                               f"in dim {x} and second has size {s2} in dim {y}")
    if self._dtype is D.bool_ and d1:
        raise it.not_implemented("addmm_impl_cpu_", D.bool_)
    free_a = [i for i in range(a.ndim) if i not in d1]
    free_b = [i for i in range(b.ndim) if i not in d2]
    shape = tuple(a._shape[i] for i in free_a) + tuple(b._shape[i] for i in free_b)
    out = _new(shape, self._dtype, self._device)
    if self._data is None or not out.numel():
        if out._data is not None:
            out._data[:] = 0
        return out
    K = _K()
    av, bv = K.widen(_view(a)), K.widen(_view(b))
    if sum_a:
        av = av.sum(axis=tuple(sum_a), keepdims=True, dtype=av.dtype)
    if sum_b:
        bv = bv.sum(axis=tuple(sum_b), keepdims=True, dtype=bv.dtype)
    pa = [x for x in d1 if x not in sum_a and d2[d1.index(x)] not in sum_b]
    pb = [d2[d1.index(x)] for x in pa]
    res = np.tensordot(av, bv, axes=(pa, pb)) if pa else np.tensordot(av, bv, axes=0)
    # dims summed above stay as size-1 axes: drop them (they are not in the result)
    res = res.reshape(shape)
    _view(out)[...] = res
    return out


@_tensordot_out.impl("CPU", "Meta")
def _tensordot_out_kernel(self, other, dims_self, dims_other, out):
    return _finish_out(_tensordot_kernel(self, other, dims_self, dims_other), out)


def tensordot(a, b, dims=2, out=None):
    """``torch.tensordot``: ``dims`` is an int (last dims of a with first dims of b), a pair
    of dim lists, or a tensor holding either."""
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.numel() == 1 and dims.ndim == 0 else dims.tolist()
    if isinstance(dims, (list, tuple)):
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be a pair of lists of dims")
        ds, do = dims
        ds = [ds] if isinstance(ds, int) else list(ds)
        do = [do] if isinstance(do, int) else list(do)
    elif isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        ds = list(range(a.ndim - dims, a.ndim))
        do = list(range(dims))
    else:
        raise RuntimeError(f"tensordot expects dims to be int or (List[int], List[int]) or "
                           f"List[List[int]] containing two lists, but got dims={dims}")
    if out is None:
        return OPS["tensordot"].function()(a, b, ds, do)
    return OPS["tensordot"].function()(a, b, ds, do, out=out)


# ---------------------------------------------------------------------------- einsum

_einsum = defop("einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor",
                variants=())


def _parse_einsum(eq: str, ops):
    """Parse like ATen's einsum: returns per-operand label lists (ints; -1 marks the
    ellipsis) and the output label list, raising ATen's messages."""
    eq = eq.replace(" ", "")
    arrow = eq.find("->")
    lhs = eq if arrow < 0 else eq[:arrow]
    terms = lhs.split(",")
    n_ops = len(ops)
    if len(terms) > n_ops:
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < n_ops:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")

    def labels_of(term: str, start: int, what: str):
        out, i = [], 0
        while i < len(term):
            c = term[i]
            if c == ".":
                if term[i:i + 3] != "..." or -1 in out:
                    raise RuntimeError(f"einsum(): found '.' for {what} that is not part of "
                                       "any ellipsis")
                out.append(-1)
                i += 3
                continue
            if not c.isascii() or not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in "
                                   "the equation string, subscripts must be in [a-zA-Z]")
            out.append(ord(c))
            i += 1
        return out

    in_labels, pos = [], 0
    for k, term in enumerate(terms):
        in_labels.append(labels_of(term, pos, f"operand {k}"))
        pos += len(term) + 1
    out_labels = None
    if arrow >= 0:
        out_labels = labels_of(eq[arrow + 2:], arrow + 2, "output subscript")
        if "->" in eq[arrow + 2:]:
            raise RuntimeError(f"einsum(): invalid subscript given at index "
                               f"{arrow + 2 + eq[arrow + 2:].index('-')} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
    return in_labels, out_labels


def _einsum_kernel(equation, tensors, path=None):
    ops = list(tensors)
    for t in ops:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): argument 'tensors' must be tuple of Tensors, not "
                            f"{type(t).__name__}")
    if not ops:
        raise RuntimeError("einsum(): must provide at least one operand")
    in_labels, out_labels = _parse_einsum(equation, ops)
    # sizes per label; ellipsis dims get fresh labels, right-aligned and broadcast
    sizes: dict[int, int] = {}
    ell_ndim = 0
    per_op = []
    for k, (t, labels) in enumerate(zip(ops, in_labels)):
        has_ell = -1 in labels
        nlab = len(labels) - has_ell
        if (not has_ell and nlab != t.ndim) or (has_ell and nlab > t.ndim):
            if has_ell:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({nlab}) is more than the number of dimensions "
                                   f"({t.ndim}) for operand {k}")
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nlab}) "
                               f"does not match the number of dimensions ({t.ndim}) for "
                               f"operand {k} and no ellipsis was given")
        ne = t.ndim - nlab if has_ell else 0
        ell_ndim = max(ell_ndim, ne)
        full = []
        for lab in labels:
            if lab == -1:
                full.extend(-(i + 2) for i in range(ne))  # placeholder, fixed below
            else:
                full.append(lab)
        per_op.append((full, ne))
    ell_labels = [1000 + i for i in range(ell_ndim)]  # right-aligned ellipsis labels
    resolved = []
    for k, (t, (full, ne)) in enumerate(zip(ops, per_op)):
        labs = []
        ell_i = 0
        for lab in full:
            if lab < 0:
                labs.append(ell_labels[ell_ndim - ne + ell_i])
                ell_i += 1
            else:
                labs.append(lab)
        seen = {}
        for d, lab in enumerate(labs):
            n = t._shape[d]
            if lab in seen and lab < 1000:
                if t._shape[seen[lab]] != n:
                    raise RuntimeError(f"einsum(): subscript {chr(lab)} is repeated for operand "
                                       f"{k} but the sizes don't match, {n} != "
                                       f"{t._shape[seen[lab]]}")
                continue
            seen[lab] = d
            prev = sizes.get(lab)
            if prev is None or prev == 1:
                sizes[lab] = n
            elif n != 1 and n != prev:
                name = chr(lab) if lab < 1000 else "..."
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size {prev}")
        resolved.append(labs)
    counts: dict[int, int] = {}
    for labs in resolved:
        for lab in labs:
            if lab < 1000:
                counts[lab] = counts.get(lab, 0) + 1
    if out_labels is None:
        out = ell_labels + sorted(lab for lab in counts if counts[lab] == 1 and
                                  sum(lab in labs for labs in resolved) == 1)
    else:
        out = []
        for lab in out_labels:
            if lab == -1:
                out.extend(ell_labels)
                continue
            if lab in out:
                raise RuntimeError(f"einsum(): output subscript {chr(lab)} appears more than "
                                   "once in the output")
            if lab not in counts:
                raise RuntimeError(f"einsum(): output subscript {chr(lab)} does not appear in "
                                   "the equation for any input operand")
            out.append(lab)
    out_shape = tuple(sizes.get(lab, 1) for lab in out)
    summed = [lab for lab in sizes if lab not in out]
    # result dtype, as ATen's sum/mul/bmm chain gives it
    dts = [t._dtype for t in ops]
    if len(ops) == 1:
        dt = dts[0]
        if summed and not dt.is_floating_point:
            dt = D.int64
    else:
        contracted = [lab for lab in summed if sum(lab in labs for labs in resolved) > 1]
        if contracted:
            for x in dts[1:]:
                if x is not dts[0]:
                    raise RuntimeError(f"expected scalar type {dts[0].scalar_type_name} but found "
                                       f"{x.scalar_type_name}")
            if dts[0] is D.bool_:
                raise it.not_implemented("bmm", D.bool_)
            dt = dts[0]
        else:
            dt = it.result_type(*ops)
            if summed and not dt.is_floating_point:
                dt = D.int64
    dev = it.common_device(*ops)
    result = _new(out_shape, dt, dev)
    if any(t._data is None for t in ops) or not result.numel():
        if result._data is not None:
            result._data[:] = 0
        return result
    # NumPy einsum with single-letter subscripts; broadcast size-1 dims explicitly
    letters = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sym = {lab: next(letters) for lab in sizes}
    cdt = it.compute_dtype(dt)
    arrays, subs = [], []
    for t, labs in zip(ops, resolved):
        a = _view(t)
        target = tuple(sizes[lab] if n == 1 else n for lab, n in zip(labs, t._shape))
        if target != a.shape:
            a = np.broadcast_to(a, target)
        arrays.append(a.astype(cdt.np_dtype, copy=False) if a.dtype != cdt.np_dtype else a)
        subs.append("".join(sym[lab] for lab in labs))
    expr = ",".join(subs) + "->" + "".join(sym[lab] for lab in out)
    res = np.einsum(expr, *arrays, optimize=len(arrays) > 1)
    _view(result)[...] = res
    return result


_einsum.impl("CPU", "Meta")(_einsum_kernel)


def einsum(*args, **kwargs):
    """``torch.einsum(equation, *operands)``; operands may also come as one list, or in the
    sublist format ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``."""
    if not args:
        raise RuntimeError("einsum(): must specify the equation string and at least one "
                           "operand, or at least one operand and its subscripts list")
    if not isinstance(args[0], str):
        args = (_sublist_equation(args),) + tuple(args[0:-1:2] if len(args) % 2 else
                                                  args[0::2])
    eq, ops = args[0], args[1:]
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = tuple(ops[0])
    return OPS["einsum"].function()(eq, list(ops), **kwargs)


def _sublist_equation(args) -> str:
    def letter(i: int) -> str:
        if i is Ellipsis:
            return "..."
        if not 0 <= i < 52:
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        return chr(ord("A") + i) if i < 26 else chr(ord("a") + i - 26)
    terms = ["".join(letter(i) for i in args[k]) for k in range(1, len(args) - len(args) % 2
                                                                 , 2)]
    eq = ",".join(terms)
    if len(args) % 2:
        eq += "->" + "".join(letter(i) for i in args[-1])
    return eq


# ---------------------------------------------------------------------------- factorizations

def _check_matrix(name: str, A: Tensor) -> None:
    """ATen's checkIsMatrix."""
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")


def _check_floating(name: str, A: Tensor) -> None:
    """ATen's checkFloatingOrComplex."""
    if not A._dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {A._dtype.scalar_type_name}")


def _square_checks(name: str, A: Tensor, *, floats=True, low_prec=False) -> None:
    _check_matrix(name, A)
    if A._shape[-1] != A._shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A._shape[-2]} by {A._shape[-1]} matrices")
    if floats:
        _check_floating(name, A)
    if low_prec and A._dtype in _HALVES:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {A._dtype.scalar_type_name}")


def _fortran(shape, dt: D.dtype, dev) -> Tensor:
    """A new tensor with LAPACK's layout: contiguous batches of column-major matrices."""
    if len(shape) < 2:
        return empty_tensor(shape, dt, dev)
    st = list(contiguous_strides(shape))
    st[-2], st[-1] = 1, max(shape[-2], 1)
    return empty_tensor(shape, dt, dev, tuple(st))


def _raise_failure(prefix: str, batched: bool, failure, fmt: str):
    b, info = failure
    where = f"(Batch element {b}): " if batched else ""
    raise LinAlgError(f"{prefix}: {where}{fmt.format(info=info)}")


_INV_MSG = ("The diagonal element {info} is zero, the inversion could not be completed "
            "because the input matrix is singular.")
_CHOL_MSG = ("The factorization could not be completed because the input is not "
             "positive-definite (the leading minor of order {info} is not positive-definite).")


def _inv_impl(A, name="linalg.inv"):
    _square_checks(name, A, low_prec=True)
    out = _fortran(A._shape, A._dtype, A._device)
    if A._data is None or not out.numel():
        return out
    res, failure = _K().inv(_view(A))
    if failure is not None:
        _raise_failure(name, A.ndim > 2, failure, _INV_MSG)
    _view(out)[...] = res
    return out


def _det_impl(A):
    _square_checks("linalg.det", A)
    if A._dtype in _HALVES:
        raise it.not_implemented("lu_cpu", A._dtype)
    out = empty_tensor(A._shape[:-2], A._dtype, A._device)
    if A._data is None or not out.numel():
        return out
    _view(out)[...] = _K().det(_view(A))
    return out


def _cholesky_impl(A, upper=False, name="linalg.cholesky"):
    if name == "cholesky":
        _square_checks("cholesky", A, floats=False)
        if not A._dtype.is_floating_point or A._dtype in _HALVES:
            raise it.not_implemented("cholesky_cpu", A._dtype)
    else:
        _square_checks(name, A)
        if A._dtype in _HALVES:
            raise it.not_implemented("cholesky_cpu", A._dtype)
    out = _fortran(A._shape, A._dtype, A._device)
    if A._data is None or not out.numel():
        return out
    a = _view(A)
    if upper:
        a = np.swapaxes(a, -1, -2)  # U of A from its upper triangle = (L of A^T)^T
    res, failure = _K().cholesky(a)
    if failure is not None:
        _raise_failure(name, A.ndim > 2, failure, _CHOL_MSG)
    _view(out)[...] = np.swapaxes(res, -1, -2) if upper else res
    return out


def _solve_impl(A, B, left=True):
    name = "linalg.solve"
    _check_tensor("linalg_solve", "A", 1, A)
    _check_tensor("linalg_solve", "B", 2, B)
    _check_matrix(name, A)
    _check_floating(name, A)
    if A._dtype is not B._dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of "
                           f"type {A._dtype.scalar_type_name} and B of type {B._dtype.scalar_type_name} instead")
    if A._shape[-1] != A._shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A._shape[-2]} by {A._shape[-1]} matrices")
    if A._dtype in _HALVES:
        raise it.not_implemented("lu_cpu", A._dtype)
    it.common_device(A, B)
    vector = B.ndim == 1 or (A.ndim - 1 == B.ndim and B._shape == A._shape[:-1])
    n = A._shape[-1]
    Bm_shape = B._shape + (1,) if vector else B._shape
    if len(Bm_shape) < 2:
        Bm_shape = (1,) + Bm_shape
    if left:
        if Bm_shape[-2] != n:
            raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation AX = B "
                               f"({A._shape[-2]}x{n} and {Bm_shape[-2]}x{Bm_shape[-1]})")
    elif vector or Bm_shape[-1] != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation XA = B "
                           f"({A._shape[-2]}x{n} and {Bm_shape[-2]}x{Bm_shape[-1]})")
    batch = broadcast_shapes(Bm_shape[:-2], A._shape[:-2])
    res_shape = batch + Bm_shape[-2:]
    out_shape = res_shape[:-1] if vector else res_shape
    out = _fortran(out_shape, A._dtype, A._device) if left and not vector else \
        empty_tensor(out_shape, A._dtype, A._device)
    if A._data is None or not out.numel():
        return out
    a = np.broadcast_to(_view(A), batch + (n, n))
    b = np.broadcast_to(_view(B).reshape(Bm_shape), batch + Bm_shape[-2:])
    if not left:
        a, b = np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)
    res, failure = _K().solve(a, b)
    if failure is not None:
        _raise_failure("torch.linalg.solve", len(batch) > 0, failure,
                       "The solver failed because the input matrix is singular.")
    if not left:
        res = np.swapaxes(res, -1, -2)
    _view(out)[...] = res.reshape(out_shape)
    return out


def _register_linalg(schema, schema_out, fn, variants=()):
    op = defop(schema, variants=variants)
    op.impl("CPU", "Meta")(fn)
    if schema_out:
        out_op = defop(schema_out, variants=variants)

        @out_op.impl("CPU", "Meta")
        def forward_out(*args, **kwargs):
            *rest, out = args
            result = fn(*rest)
            resized = out._shape != result._shape
            _finish_out(result, out)
            if resized and out._stride != result._stride and out.numel():
                # LAPACK-layout results give a resized out= tensor their own strides
                out._stride, out._contig = result._stride, None
                copy_into(out, result)
            return out


_register_linalg("linalg_inv(Tensor A) -> Tensor",
                 "linalg_inv.out(Tensor A, *, Tensor(a!) out) -> Tensor(a!)", _inv_impl)
_register_linalg("inverse(Tensor self) -> Tensor",
                 "inverse.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
                 lambda self: _inv_impl(self), variants=("function", "method"))
_register_linalg("linalg_det(Tensor A) -> Tensor",
                 "linalg_det.out(Tensor A, *, Tensor(a!) out) -> Tensor(a!)", _det_impl)
_register_linalg("det(Tensor self) -> Tensor", "", _det_impl, variants=("function", "method"))
_register_linalg("linalg_cholesky(Tensor self, *, bool upper=False) -> Tensor",
                 "linalg_cholesky.out(Tensor self, *, bool upper=False, Tensor(a!) out) -> "
                 "Tensor(a!)", _cholesky_impl)


def _cholesky_deprecated(self, upper=False):
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=3)
    return _cholesky_impl(self, upper, name="cholesky")


_register_linalg("cholesky(Tensor self, bool upper=False) -> Tensor",
                 "cholesky.out(Tensor self, bool upper=False, *, Tensor(a!) out) -> Tensor(a!)",
                 _cholesky_deprecated, variants=("function", "method"))
_register_linalg("linalg_solve(Tensor A, Tensor B, *, bool left=True) -> Tensor",
                 "linalg_solve.out(Tensor A, Tensor B, *, bool left=True, Tensor(a!) out) -> "
                 "Tensor(a!)", _solve_impl)


# ---------------------------------------------------------------------------- operators

def _operators() -> dict:
    matmul = OPS["matmul"].function()

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return matmul(other, self)

    return {"__matmul__": __matmul__, "__rmatmul__": __rmatmul__}


OPERATORS = _operators()

# Python-level functions of the torch namespace whose signature is not a native schema
# (torch.functional's einsum and tensordot); frankentorch.linalg installs them.
FUNCTIONS = {"einsum": einsum, "tensordot": tensordot}


# ---------------------------------------------------------------- derivatives

def _column_major(t) -> bool:
    return t._stride[0] == 1 and t._stride[1] == t._shape[0]


def _unrecorded(a: Tensor, b: Tensor) -> bool:
    """A gradient product autograd would not record, of BLAS-native CPU matrices: NumPy
    multiplies them without a dispatch."""
    return a._dtype is b._dtype and a._dtype in _BLAS_NATIVE and a._device.type == "cpu" \
        and b._device.type == "cpu" and not it.recorded(a, b)


def _mm_mat1_grad(grad: Tensor, mat1, mat2: Tensor) -> Tensor:
    """torch's mm_mat1_backward: a column-major mat1 gets its gradient column-major."""
    if _unrecorded(grad, mat2):
        g, w = _view(grad), _view(mat2)
        return _matmul_into_new(w, g.T, grad._dtype, True) if _column_major(mat1) else \
            _matmul_into_new(g, w.T, grad._dtype, False)
    return mat2.mm(grad.t()).t() if _column_major(mat1) else grad.mm(mat2.t())


def _mm_mat2_grad(grad: Tensor, mat1: Tensor, mat2) -> Tensor:
    """torch's mm_mat2_backward: a column-major mat2 (a linear layer's ``weight.t()``) gets
    its gradient column-major, so the weight's gradient is row-major as the weight (no copy
    when it is stored in ``.grad``)."""
    if _unrecorded(grad, mat1):
        g, x = _view(grad), _view(mat1)
        return _matmul_into_new(g.T, x, grad._dtype, True) if _column_major(mat2) else \
            _matmul_into_new(x.T, g, grad._dtype, False)
    return grad.t().mm(mat1).t() if _column_major(mat2) else mat1.t().mm(grad)


@mm_op.backward("MmBackward0", saves=("self", "mat2"))
def _mm_backward(grad, args):
    return (_mm_mat1_grad(grad, args.self, args.mat2) if args.needs_grad("self") else None,
            _mm_mat2_grad(grad, args.self, args.mat2) if args.needs_grad("mat2") else None)


@bmm_op.backward("BmmBackward0", saves=("self", "mat2"))
def _bmm_backward(grad, args):
    return grad.bmm(args.mat2.transpose(1, 2)), args.self.transpose(1, 2).bmm(grad)


@mv_op.backward("MvBackward0", saves=("self", "vec"))
def _mv_backward(grad, args):
    return grad.unsqueeze(1) * args.vec.unsqueeze(0), args.self.t().mv(grad)


@dot_op.backward("DotBackward0", saves=("self", "tensor"))
def _dot_backward(grad, args):
    return grad * args.tensor, grad * args.self


@addmm_op.backward("AddmmBackward0", saves=("mat1", "mat2"))
def _addmm_backward(grad, args):
    def scaled(g, factor):
        return g if factor == 1 else g * factor
    m1, m2 = args.mat1, args.mat2
    return (scaled(grad, args.beta) if args.needs_grad("self") else None,
            scaled(_mm_mat1_grad(grad, m1, m2), args.alpha) if args.needs_grad("mat1") else None,
            scaled(_mm_mat2_grad(grad, m1, m2), args.alpha) if args.needs_grad("mat2") else None)


@overload("addmv").backward("AddmvBackward0", saves=("mat", "vec"))
def _addmv_backward(grad, args):
    return (grad * args.beta, grad.unsqueeze(1) * args.vec.unsqueeze(0) * args.alpha,
            args.mat.t().mv(grad) * args.alpha)


@overload("baddbmm").backward("BaddbmmBackward0", saves=("batch1", "batch2"))
def _baddbmm_backward(grad, args):
    return (grad * args.beta, grad.bmm(args.batch2.transpose(1, 2)) * args.alpha,
            args.batch1.transpose(1, 2).bmm(grad) * args.alpha)


def _outer_backward(grad, args):
    return grad.mv(args.vec2), grad.t().mv(args.self)


# torch computes outer as self[:, None] * vec2: the node is MulBackward0
overload("outer").backward("MulBackward0", saves=("self", "vec2"))(_outer_backward)
overload("ger").backward("MulBackward0", saves=("self", "vec2"))(_outer_backward)


@overload("vdot").backward("VdotBackward0", saves=("self", "other"))
def _vdot_backward(grad, args):
    return grad * args.other, grad * args.self


def _mT(t: Tensor) -> Tensor:
    return t.transpose(-2, -1)


def _det_backward(grad, args):
    """d det(A) = det(A) A^-T; as torch's LU solve with det(A) = 0 on the right-hand side, an
    exactly singular A gets a zero gradient."""
    from .. import eye, where
    a = args.A if hasattr(args, "A") else args.self
    scale = (grad * args.result).unsqueeze(-1).unsqueeze(-1)
    singular = (args.result == 0).unsqueeze(-1).unsqueeze(-1)
    if bool(singular.any()):
        a = where(singular, eye(a.shape[-1], dtype=a.dtype), a)
    return scale * _mT(a.inverse())


overload("linalg_det").backward("LinalgDetBackward0", saves=("A",), save_result=True)(
    _det_backward)
overload("det").backward("LinalgDetBackward0", saves=("self",), save_result=True)(
    _det_backward)


def _inv_backward(grad, args):
    inv_t = _mT(args.result)
    return -inv_t.matmul(grad).matmul(inv_t)


overload("linalg_inv").backward("LinalgInvExBackward0", save_result=True)(_inv_backward)
overload("inverse").backward("LinalgInvExBackward0", save_result=True)(_inv_backward)


@overload("linalg_solve").backward("LinalgSolveExBackward0", saves=("A",), save_result=True)
def _solve_backward(grad, args):
    """X = A^-1 B: gB = A^-T gX, gA = -gB X^T (transposed for left=False: X A = B)."""
    from .. import linalg
    a, x = args.A, args.result
    vector = args.B.ndim == 1 or (a.ndim - 1 == args.B.ndim and
                                  tuple(args.B.shape) == tuple(a.shape[:-1]))
    if args.left:
        gb = linalg.solve(_mT(a), grad)
        if vector:
            return -gb.unsqueeze(-1) * x.unsqueeze(-2), gb
        return -gb.matmul(_mT(x)), gb
    gb = linalg.solve(_mT(a), grad, left=False)
    return -_mT(x).matmul(gb), gb


def _cholesky_backward(grad, args):
    """torch's cholesky_backward: with L = chol(A), gA = sym(L^-H Phi(L^H gL) L^-1), where
    Phi keeps the lower triangle and halves the diagonal."""
    from .. import eye, ones
    lower = args.result
    if args.upper:
        lower, grad = _mT(lower), _mT(grad)
    n = lower.shape[-1]
    weight = ones((n, n), dtype=grad.dtype).tril(-1) + 0.5 * eye(n, dtype=grad.dtype)
    phi = _mT(lower).matmul(grad) * weight
    l_inv = lower.inverse()
    g = _mT(l_inv).matmul(phi).matmul(l_inv)
    return 0.5 * (g + _mT(g))


overload("linalg_cholesky").backward("LinalgCholeskyExBackward0", save_result=True)(
    _cholesky_backward)
overload("cholesky").backward("CholeskyBackward0", save_result=True)(_cholesky_backward)


@_tensordot.backward("TensordotBackward0", saves=("self", "other"))
def _tensordot_backward(grad, args):
    """Contract the gradient with the other operand over its free dims, then put the dims
    back in the operand's order."""
    a, b = args.self, args.other
    da = [d % a.ndim for d in args.dims_self]
    db = [d % b.ndim for d in args.dims_other]
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    p, q = len(fa), len(fb)
    ga = OPS["tensordot"].function()(grad, b, list(range(p, p + q)), fb)
    order_a = fa + [da[db.index(d)] for d in sorted(db)]
    gb = OPS["tensordot"].function()(a, grad, fa, list(range(p)))
    order_b = [db[da.index(d)] for d in sorted(da)] + fb
    return (_broadcast_to(ga.permute([order_a.index(d) for d in range(a.ndim)]), a.shape),
            _broadcast_to(gb.permute([order_b.index(d) for d in range(b.ndim)]), b.shape))


def _broadcast_to(t: Tensor, shape) -> Tensor:
    """``t`` fitted to ``shape`` where a contracted dim of size 1 met one of size n: summed
    where ``shape`` has 1, expanded where ``t`` has 1."""
    summed = [d for d, (n, m) in enumerate(zip(t.shape, shape)) if n != m and m == 1]
    if summed:
        t = t.sum(summed, keepdim=True)
    return t.expand(tuple(shape))


@_einsum.backward("EinsumBackward0")
def _einsum_backward(grad, args):
    """Operand i's gradient is an einsum of the output gradient with the other operands;
    labels only operand i has are broadcast (a ones operand), repeated labels are put back
    on the diagonal (an identity operand), size-1 broadcast dims are summed."""
    from .. import eye, ones
    ops = list(args.tensors)
    in_labels, out_labels = _parse_einsum(args.equation, ops)
    used = {lab for labels in in_labels for lab in labels if lab >= 0}
    fresh = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 if ord(c) not in used)
    ell_dims = [t.ndim - len(labels) + 1 if -1 in labels else 0
                for t, labels in zip(ops, in_labels)]
    ell = [next(fresh) for _ in range(max(ell_dims))]

    def letters(labels, ne):
        out = []
        for lab in labels:
            out.extend(ell[len(ell) - ne:] if lab == -1 else [chr(lab)])
        return out
    subs = [letters(labels, ne) for labels, ne in zip(in_labels, ell_dims)]
    if out_labels is None:
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, k in counts.items() if k == 1 and c not in ell)
    else:
        out = letters(out_labels, len(ell))
    sizes = {}
    for t, s in zip(ops, subs):
        for c, n in zip(s, t.shape):
            sizes[c] = max(sizes.get(c, 1), n)
    grads = []
    for i, t in enumerate(ops):
        if not t.requires_grad:
            grads.append(None)
            continue
        terms = [out] + [s for j, s in enumerate(subs) if j != i]
        operands = [grad] + [o for j, o in enumerate(ops) if j != i]
        target, seen = [], set()
        for c, n in zip(subs[i], t.shape):
            if c in seen or (n == 1 and sizes[c] != 1):
                f = next(fresh)
                target.append(f)
                terms.append([c, f] if c in seen else [f])
                operands.append(eye(n, dtype=grad.dtype) if c in seen else
                                ones((1,), dtype=grad.dtype))
                continue
            seen.add(c)
            target.append(c)
            if not any(c in term for term in terms):
                terms.append([c])
                operands.append(ones((n,), dtype=grad.dtype))
        eq = ",".join("".join(term) for term in terms) + "->" + "".join(target)
        grads.append(einsum(eq, *operands))
    return grads


# ---------------------------------------------------------------------------- svdvals, matrix_norm

svdvals_op = defop("linalg_svdvals(Tensor A, *, str? driver=None) -> Tensor", variants=("function",))


@svdvals_op.impl("CPU", "Meta")
def _svdvals(A, driver=None):
    _check_tensor("linalg_svdvals", "A", 1, A)
    _check_matrix("linalg.svd", A)
    _check_floating("linalg.svd", A)
    if A._dtype in _HALVES:
        raise NotImplementedError(f"\"linalg_svd_cpu\" not implemented for "
                                  f"'{A._dtype.scalar_type_name}'")
    shape = A._shape[:-2] + (min(A._shape[-2:]),)
    out = empty_tensor(shape, A._dtype, A._device)
    if A._data is not None and out.numel():
        _view(out)[...] = np.linalg.svd(_view(A), compute_uv=False)
    return out


@svdvals_op.backward("LinalgSvdBackward0", saves=("A",))
def _svdvals_backward(grad, args):
    """dσ/dA = U diag(g) Vᴴ with the reduced SVD of A (distinct singular values)."""
    a = args.A
    u, _, vh = np.linalg.svd(_view(a), full_matrices=False)
    from .creation import tensor
    return tensor(u, dtype=grad.dtype) @ (grad.unsqueeze(-1) * tensor(vh, dtype=grad.dtype))


_matrix_norm = defop("linalg_matrix_norm(Tensor self, Scalar ord, int[] dim=[-2,-1], bool "
                     "keepdim=False, *, ScalarType? dtype=None) -> Tensor",
                     variants=("function",))
_matrix_norm_str = defop("linalg_matrix_norm.str_ord(Tensor self, str ord='fro', int[] "
                         "dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
                         variants=("function",))


@_matrix_norm.impl("CompositeImplicitAutograd")
@_matrix_norm_str.impl("CompositeImplicitAutograd")
def matrix_norm(self, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
    """torch.linalg.matrix_norm, composed as ATen composes it: 'fro' is a vector norm, 'nuc'
    and ±2 reduce the singular values, ±1 and ±inf take the extreme absolute row/column sum."""
    name = "linalg.matrix_norm"
    _check_tensor("linalg_matrix_norm", "input", 1, self)
    _check_matrix(name, self)
    _check_floating(name, self)
    dims = list(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = (normalize_dim(d, self.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dims[0]}, {dims[1]})")
    vector_norm = OPS["linalg_vector_norm"].function()
    x = self if dtype is None else self.to(dtype)
    if ord == "fro":
        return vector_norm(x, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        if x._dtype in _HALVES:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got "
                               f"{x._dtype.scalar_type_name}")
        sv = svdvals_op(x.movedim((d0, d1), (-2, -1)))
        r = sv.sum(-1, keepdim=keepdim) if ord == "nuc" else \
            sv.amax(-1, keepdim) if ord == 2 else sv.amin(-1, keepdim)
        return r.unsqueeze(-1).movedim((-2, -1), (d0, d1)) if keepdim else r
    if ord in (1, -1, math.inf, -math.inf):
        if abs(ord) == math.inf:
            d0, d1 = d1, d0
        if not keepdim and d0 < d1:
            d1 -= 1
        sums = vector_norm(x, 1, (d0,), keepdim)
        return sums.amax(d1, keepdim) if ord > 0 else sums.amin(d1, keepdim)
    raise RuntimeError(f"{name}: Order {ord} not supported.")
