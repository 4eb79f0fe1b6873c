"""Index ops: index_select, gather, scatter (and its reductions), index_add/copy/fill,
index / index_put (advanced indexing), masked_select, masked_scatter, nonzero, take and
take_along_dim.

The kernels are NumPy fancy indexing and ``ufunc.at`` on strided views of the tensors'
buffers (fast, and no loop of ours to compile). NumPy checks bounds, but every index is
validated here first anyway, so each error is PyTorch's (type and message) and no kernel
ever sees an index outside its buffer.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._core import dtype as D
from .._core.meta import broadcast_shapes, normalize_dim, numel_of
from .._core.layout import contiguous_format
from .._dispatch.dispatcher import OPS, OpPacket, defop
from .._core.storage import store
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .copy import _clone, check_can_cast, copy_into, resize_out
from .shape import check_out_dtype

__all__ = ["index_tensor", "index_put_impl", "ADV_INDEX_ERROR"]

_INT_INDEX = (D.int32, D.int64)
ADV_INDEX_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


# ------------------------------------------------------------------ small helpers

def _arr(t: Tensor) -> np.ndarray:
    """Strided NumPy view of ``t`` (shares memory; writable)."""
    return t._array()


def _arr1(t: Tensor) -> np.ndarray:
    """Like ``_arr`` but 0-d tensors are seen as 1-d (PyTorch's ensure_nonempty_dim)."""
    a = t._array()
    return a.reshape(1) if a.ndim == 0 else a


def _index_values(index: Tensor) -> np.ndarray:
    """The index tensor's values as an int64 array (a copy)."""
    if index._data is None:
        raise NotImplementedError("Cannot access data of a tensor on the 'meta' device")
    return np.array(index._array(), dtype=np.int64)


def _sizes1(t: Tensor) -> tuple[int, ...]:
    return t._shape if t._shape else (1,)


def _from_np(values: np.ndarray, dt: D.dtype, dev=None) -> Tensor:
    out = empty_tensor(values.shape, dt) if dev is None else empty_tensor(values.shape, dt, dev)
    if values.size:
        store(out._array(), values)
    return out


def _new_like(self: Tensor, shape) -> Tensor:
    return empty_tensor(shape, self._dtype, self._device)


def _is_meta(*ts) -> bool:
    return any(isinstance(t, Tensor) and t._data is None for t in ts)


def _scalar_value(value, dt: D.dtype):
    """A Scalar (Python number or 0-d tensor) converted to ``dt`` as NumPy converts."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and not dt.is_floating_point:
        return it.scalar_array(value, dt)[0]
    with np.errstate(all="ignore"):
        return np.array([value]).astype(dt.np_dtype)[0]


def _first_bad(idx: np.ndarray, lo: int, hi: int) -> int:
    bad = idx[(idx < lo) | (idx >= hi)]
    return int(bad.flat[0])


def _check_range(idx: np.ndarray, size: int, exc, fmt: str, *, wrap: bool, dim: int = 0):
    """Raise ``exc(fmt)`` for the first index outside [-size, size) (wrap) or [0, size)."""
    if not idx.size:
        return
    lo = -size if wrap else 0
    if idx.min() < lo or idx.max() >= size:
        raise exc(fmt.format(i=_first_bad(idx, lo, size), dim=dim, size=size))


def _inplace_prologue(self: Tensor, *inputs) -> None:
    it.check_writable(self, inputs)


def _detach_input(self: Tensor, x: np.ndarray, t: Tensor) -> np.ndarray:
    """A private copy of ``x`` when ``t`` shares memory with ``self`` (NumPy writes in order)."""
    if isinstance(t, Tensor) and t._storage is self._storage:
        return np.array(x, copy=True)
    return x


def _check_index_vector(name: str, index: Tensor, exc=IndexError, msg=None) -> None:
    if index.ndim > 1:
        raise exc(msg or f"{name}(): Index is supposed to be a vector, but got dim: "
                  f"{index.ndim} with type: {index._dtype.scalar_type_name} and size: "
                  f"{list(index._shape)}")


def _out_variant(fn, exact_alias: bool = True, same_dtype: bool = False):
    """The ``.out`` kernel of an op computed by ``fn``: result copied into ``out``.
    ``exact_alias=False``: an ``out`` that is also an input is refused, checked before
    ``out`` is resized (torch's ``assert_no_overlap`` in gather/take/index_select/
    masked_select/index); ``same_dtype``: ``out`` must have the result's dtype exactly."""
    def kernel(*args):
        *rest, out = args
        inputs = tuple(a for a in rest if isinstance(a, Tensor))
        if not exact_alias:
            it.check_writable(out, inputs, exact_alias)
        result = fn(*rest)
        if same_dtype:
            check_out_dtype(out, result._dtype)
        check_can_cast(result._dtype, out._dtype)
        resize_out(out, result._shape)
        it.check_writable(out, inputs, exact_alias)
        copy_into(out, result)
        out._bump_version()
        return out
    return kernel


def _dim_key(ndim: int, dim: int, idx) -> tuple:
    return (slice(None),) * dim + (idx,) + (slice(None),) * (ndim - dim - 1)


# ------------------------------------------------------------------ index_select

index_select = defop("index_select(Tensor self, int dim, Tensor index) -> Tensor")
index_select_out = defop("index_select.out(Tensor self, int dim, Tensor index, *, "
                         "Tensor(a!) out) -> Tensor(a!)")


@index_select.impl("CPU", "Meta")
def _index_select(self, dim, index):
    dim = normalize_dim(dim, self.ndim)
    if index._dtype not in _INT_INDEX:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = index.numel()
    shape = list(self._shape)
    if shape:
        shape[dim] = n
    if _is_meta(self, index):
        return _new_like(self, shape)
    idx = _index_values(index).reshape(-1)
    src = _arr1(self)
    if not self._shape and n != 1:
        raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                         f"{n} value(s)")
    if self.ndim > 1 and n and not self.numel():
        if self._shape[dim] == 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        return _new_like(self, shape)  # empty: torch checks no index here
    if self.ndim > 1 and dim == 1 and n:
        bad = (idx < 0) | (idx >= src.shape[1])
        if bad.any():  # torch's dim-1 fast path words (and types) it differently
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} "
                               f"axis_dim={src.shape[1]}")
    _check_range(idx, src.shape[dim], IndexError, "index out of range in self", wrap=False)
    return _from_np(np.take(src, idx, axis=dim).reshape(shape), self._dtype)


index_select_out.impl("CPU", "Meta")(_out_variant(_index_select, exact_alias=False))


# ------------------------------------------------------------------ gather / take_along_dim

gather = defop("gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor")
gather_out = defop("gather.out(Tensor self, int dim, Tensor index, *, bool sparse_grad=False, "
                   "Tensor(a!) out) -> Tensor(a!)")


def _gather_checks(name: str, self: Tensor, dim: int, index: Tensor) -> int:
    dim = normalize_dim(dim, self.ndim)
    if not index.numel():  # torch checks nothing more for an empty index
        return dim
    if index._dtype not in _INT_INDEX:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if max(self.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    return dim


@gather.impl("CPU", "Meta")
def _gather(self, dim, index, sparse_grad=False):
    dim = _gather_checks("gather", self, dim, index)
    if _is_meta(self, index) or not index.numel():
        return _new_like(self, index._shape)
    ss, isz = _sizes1(self), _sizes1(index)
    for d in range(len(ss)):
        if d != dim and isz[d] > ss[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index._shape)} to be no larger than self "
                               f"{list(self._shape)} apart from dimension {dim}")
    idx = _index_values(index).reshape(isz)
    _check_range(idx, ss[dim], RuntimeError,
                 "index {i} is out of bounds for dimension {dim} with size {size}",
                 wrap=False, dim=dim)
    src = _arr1(self)[tuple(slice(None) if d == dim else slice(0, isz[d])
                            for d in range(len(ss)))]
    return _from_np(np.take_along_axis(src, idx, axis=dim).reshape(index._shape), self._dtype)


gather_out.impl("CPU", "Meta")(_out_variant(_gather, exact_alias=False, same_dtype=True))

take_along_dim = defop("take_along_dim(Tensor self, Tensor indices, int? dim=None) -> Tensor")
take_along_dim_out = defop("take_along_dim.out(Tensor self, Tensor indices, int? dim=None, *, "
                           "Tensor(a!) out) -> Tensor(a!)")


@take_along_dim.impl("CPU", "Meta")
def _take_along_dim(self, indices, dim=None):
    if indices._dtype is not D.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices._dtype.scalar_type_name}")
    if dim is None:
        return _gather(self.view(-1), 0, indices.view(-1))
    dim = normalize_dim(dim, self.ndim)
    if self.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {self.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    sizes = list(self._shape)
    if sizes:
        sizes[dim] = indices._shape[dim]
    shape = list(broadcast_shapes(tuple(sizes), indices._shape))
    if self._shape and self._shape[dim] and not _is_meta(indices):
        indices = indices.remainder(self._shape[dim])  # torch wraps indices along dim
    idx_b = indices.expand(tuple(shape))
    if shape:
        shape[dim] = self._shape[dim]
    self_b = self.expand(tuple(shape))
    return _gather(self_b, dim, idx_b)


take_along_dim_out.impl("CPU", "Meta")(_out_variant(_take_along_dim))

# ------------------------------------------------------------------ take

take = defop("take(Tensor self, Tensor index) -> Tensor")
take_out = defop("take.out(Tensor self, Tensor index, *, Tensor(a!) out) -> Tensor(a!)")


@take.impl("CPU", "Meta")
def _take(self, index):
    if index._dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{index._dtype.scalar_type_name}")
    if _is_meta(self, index):
        return _new_like(self, index._shape)
    n = self.numel()
    idx = _index_values(index)
    if idx.size and n == 0:
        raise IndexError("take(): tried to take from an empty tensor")
    _check_range(idx, n, IndexError,
                 "out of range: tried to access index {i} on a tensor of {size} elements.",
                 wrap=True)
    flat = np.ascontiguousarray(_arr(self)).reshape(-1)
    return _from_np(flat[idx].reshape(index._shape), self._dtype)


take_out.impl("CPU", "Meta")(_out_variant(_take, exact_alias=False))


# ------------------------------------------------------------------ scatter family

def _scatter_checks(name: str, self: Tensor, dim: int, index: Tensor, src) -> int:
    dim = normalize_dim(dim, self.ndim)
    if index._dtype not in _INT_INDEX and index.numel():  # an empty index of any dtype is fine
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if isinstance(src, Tensor) and src._dtype is not self._dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if not index.numel():  # nor are its dims checked
        return dim
    if max(self.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor) and max(src.ndim, 1) != max(index.ndim, 1):
        if src.ndim and src.ndim < index.ndim:
            normalize_dim(index.ndim - 1, src.ndim)  # torch's IndexError from src.size(d)
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ss, isz = _sizes1(self), _sizes1(index)
    srcs = _sizes1(src) if isinstance(src, Tensor) else None
    for d in range(len(isz)):
        if (d != dim and isz[d] > ss[d]) or (srcs is not None and isz[d] > srcs[d]):
            if srcs is None:
                raise RuntimeError(f"Expected index {list(index._shape)} to be no larger than "
                                   f"self {list(self._shape)} apart from dimension {dim}")
            raise RuntimeError(f"Expected index {list(index._shape)} to be no larger than self "
                               f"{list(self._shape)} apart from dimension {dim} and to be no "
                               f"larger size than src {list(src._shape)}")
    return dim


def _scatter_prepare(self: Tensor, dim: int, index: Tensor, src):
    """(target view, index array, source values, ufunc key) of a scatter into ``self``."""
    isz = _sizes1(index)
    nd = len(isz)
    idx = _index_values(index).reshape(isz)
    _check_range(idx, _sizes1(self)[dim], RuntimeError,
                 "index {i} is out of bounds for dimension {dim} with size {size}",
                 wrap=False, dim=dim)
    target = _arr1(self)[tuple(slice(None) if d == dim else slice(0, isz[d])
                               for d in range(nd))]
    if isinstance(src, Tensor):
        vals = _arr1(src)[tuple(slice(0, n) for n in isz)]
        vals = _detach_input(self, vals, src)
    else:
        vals = np.broadcast_to(np.asarray(_scalar_value(src, self._dtype),
                                          dtype=self._dtype.np_dtype), isz)
    key = tuple(idx if d == dim else np.arange(isz[d]).reshape([-1 if e == d else 1
                                                                  for e in range(nd)])
                for d in range(nd))
    return target, idx, vals, key


_UFUNC = {"sum": np.add, "add": np.add, "mean": np.add, "prod": np.multiply,
          "multiply": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, dt: D.dtype):
    npd = dt.np_dtype
    if reduce in ("sum", "mean"):
        return npd.type(0)
    if reduce == "prod":
        return npd.type(1)
    big = reduce == "amin"
    if dt is D.bool_:
        return np.bool_(big)
    if dt.is_floating_point:
        return npd.type(np.inf if big else -np.inf)
    info = np.iinfo(npd)
    return npd.type(info.max if big else info.min)


def _scatter_inplace(self, dim, index, src, reduce=None, include_self=True, name="scatter"):
    dim = _scatter_checks(name, self, dim, index, src)
    _inplace_prologue(self, index, src)
    if reduce is not None and reduce == "mean" and self._dtype is D.bool_:
        raise NotImplementedError('"scatter_gather_tensor_cpu_reduce_mean" not implemented '
                                  "for 'Bool'")
    if _is_meta(self, index, src) or not index.numel():
        self._bump_version()
        return self
    target, idx, vals, key = _scatter_prepare(self, dim, index, src)
    if reduce is None:
        np.put_along_axis(target, idx, vals, axis=dim)
    else:
        if not include_self:
            target[key] = _identity(reduce, self._dtype)
        with np.errstate(all="ignore"):
            _UFUNC[reduce].at(target, key, vals)
        if reduce == "mean":
            count = np.ones(target.shape, dtype=np.int64)
            if not include_self:
                count[key] = 0
            np.add.at(count, key, 1)
            count[count == 0] = 1
            if self._dtype.is_floating_point:
                target[...] = (target.astype(np.float64) / count).astype(target.dtype) \
                    if self._dtype in (D.float16, D.bfloat16) else target / count
            else:
                target[...] = np.floor_divide(target, count).astype(target.dtype)
    self._bump_version()
    return self


def _legacy_reduce(reduce: str) -> str:
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    return reduce


def _functional(inplace, preserve=False):
    """The out-of-place form: the in-place kernel on a copy of ``self`` (contiguous, as
    torch's structured kernels allocate it, or keeping self's layout)."""
    fmt = None if preserve else contiguous_format

    def fn(self, *args):
        return inplace(_clone(self, memory_format=fmt), *args)
    return fn


scatter_src = defop("scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor")
scatter_src_ = defop("scatter_.src(Tensor(a!) self, int dim, Tensor index, Tensor src) -> "
                     "Tensor(a!)", variants=("method",))
scatter_src_out = defop("scatter.src_out(Tensor self, int dim, Tensor index, Tensor src, *, "
                        "Tensor(a!) out) -> Tensor(a!)")
scatter_value = defop("scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor")
scatter_value_ = defop("scatter_.value(Tensor(a!) self, int dim, Tensor index, Scalar value) -> "
                       "Tensor(a!)", variants=("method",))
scatter_value_out = defop("scatter.value_out(Tensor self, int dim, Tensor index, Scalar value, "
                          "*, Tensor(a!) out) -> Tensor(a!)")
scatter_reduce_legacy = defop("scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, "
                              "str reduce) -> Tensor")
scatter_reduce_legacy_ = defop("scatter_.reduce(Tensor(a!) self, int dim, Tensor index, "
                               "Tensor src, *, str reduce) -> Tensor(a!)", variants=("method",))
scatter_reduce_legacy_out = defop("scatter.reduce_out(Tensor self, int dim, Tensor index, "
                                  "Tensor src, *, str reduce, Tensor(a!) out) -> Tensor(a!)")
scatter_vreduce = defop("scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, "
                        "*, str reduce) -> Tensor")
scatter_vreduce_ = defop("scatter_.value_reduce(Tensor(a!) self, int dim, Tensor index, "
                         "Scalar value, *, str reduce) -> Tensor(a!)", variants=("method",))
scatter_vreduce_out = defop("scatter.value_reduce_out(Tensor self, int dim, Tensor index, "
                            "Scalar value, *, str reduce, Tensor(a!) out) -> Tensor(a!)")


def _scatter_(self, dim, index, src):
    # a Python number binds to ``Tensor src`` too: it is the Scalar overload's value
    return _scatter_inplace(self, dim, index, src)


def _scatter_reduce_legacy_(self, dim, index, src, reduce):
    return _scatter_inplace(self, dim, index, src, _legacy_reduce(reduce))


for _f, _i, _o, _k in ((scatter_src, scatter_src_, scatter_src_out, _scatter_),
                       (scatter_value, scatter_value_, scatter_value_out, _scatter_),
                       (scatter_reduce_legacy, scatter_reduce_legacy_, scatter_reduce_legacy_out,
                        _scatter_reduce_legacy_),
                       (scatter_vreduce, scatter_vreduce_, scatter_vreduce_out,
                        _scatter_reduce_legacy_)):
    _i.impl("CPU", "Meta")(_k)
    _f.impl("CPU", "Meta")(_functional(_k))
    _o.impl("CPU", "Meta")(_out_variant(_functional(_k)))

scatter_add = defop("scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor")
scatter_add_ = defop("scatter_add_(Tensor(a!) self, int dim, Tensor index, Tensor src) -> "
                     "Tensor(a!)", variants=("method",))
scatter_add_out = defop("scatter_add.out(Tensor self, int dim, Tensor index, Tensor src, *, "
                        "Tensor(a!) out) -> Tensor(a!)")


@scatter_add_.impl("CPU", "Meta")
def _scatter_add_(self, dim, index, src):
    return _scatter_inplace(self, dim, index, src, "sum", name="scatter")


scatter_add.impl("CPU", "Meta")(_functional(_scatter_add_))
scatter_add_out.impl("CPU", "Meta")(_out_variant(_functional(_scatter_add_)))

scatter_reduce = defop("scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, "
                       "str reduce, *, bool include_self=True) -> Tensor")
scatter_reduce_ = defop("scatter_reduce_.two(Tensor(a!) self, int dim, Tensor index, Tensor src, "
                        "str reduce, *, bool include_self=True) -> Tensor(a!)",
                        variants=("method",))
scatter_reduce_out = defop("scatter_reduce.two_out(Tensor self, int dim, Tensor index, "
                           "Tensor src, str reduce, *, bool include_self=True, Tensor(a!) out) "
                           "-> Tensor(a!)")


@scatter_reduce_.impl("CPU", "Meta")
def _scatter_reduce_(self, dim, index, src, reduce, include_self=True):
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    return _scatter_inplace(self, dim, index, src, reduce, include_self, name="scatter_reduce")


scatter_reduce.impl("CPU", "Meta")(_functional(_scatter_reduce_))
scatter_reduce_out.impl("CPU", "Meta")(_out_variant(_functional(_scatter_reduce_)))


# ------------------------------------------------------------------ index_add / copy / fill

index_add = defop("index_add(Tensor self, int dim, Tensor index, Tensor source, *, "
                  "Scalar alpha=1) -> Tensor")
index_add_ = defop("index_add_(Tensor(a!) self, int dim, Tensor index, Tensor source, *, "
                   "Scalar alpha=1) -> Tensor(a!)", variants=("method",))
index_add_out = defop("index_add.out(Tensor self, int dim, Tensor index, Tensor source, *, "
                      "Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)")


def _check_slice_shapes(self: Tensor, dim: int, source: Tensor) -> None:
    if self.ndim != source.ndim or any(a != b for d, (a, b) in
                                       enumerate(zip(self._shape, source._shape)) if d != dim):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(self._shape)} "
                           f"source.shape = {list(source._shape)}")


@index_add_.impl("CPU", "Meta")
def _index_add_(self, dim, index, source, alpha=1):
    dim = normalize_dim(dim, self.ndim)
    _check_index_vector("index_add_", index)
    if index._dtype not in _INT_INDEX:
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{index._dtype.scalar_type_name}")
    if source.ndim and dim >= source.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {dim} is out of bounds of the source "
                           f"tensor with dim {source.ndim}")
    n = index.numel()
    ssz = _sizes1(source)[dim] if source.ndim else 1
    if n != ssz and not source.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if n != ssz:
        raise RuntimeError(f"index_add_(): Number of indices ({n}) should be equal to "
                           f"source.size(dim): ({ssz}), for dim: {dim}")
    if self._dtype is not source._dtype:
        raise RuntimeError(f"index_add_(): self ({self._dtype.scalar_type_name}) and source "
                           f"({source._dtype.scalar_type_name}) must have the same scalar type")
    _check_slice_shapes(self, dim, source)
    _inplace_prologue(self, index, source)
    if _is_meta(self, index, source):
        return self
    idx = _index_values(index).reshape(-1)
    if self.ndim > 1 and dim in (0, self.ndim - 1) and index._dtype is D.int64 and \
            alpha == 1 and not isinstance(alpha, float):
        # torch forwards this case to scatter_add_, which words (and types) it differently
        _check_range(idx, _sizes1(self)[dim], RuntimeError,
                     "index {i} is out of bounds for dimension {dim} with size {size}",
                     wrap=False, dim=dim)
    _check_range(idx, _sizes1(self)[dim], IndexError, "index out of range in self",
                 wrap=False)
    target = _arr1(self)
    vals = _detach_input(self, _arr1(source), source)
    if not (alpha == 1 and not isinstance(alpha, bool)):
        a = _scalar_value(alpha if self._dtype.is_floating_point or isinstance(alpha, bool)
                          else int(alpha), self._dtype)
        with np.errstate(all="ignore"):
            vals = (vals * a).astype(target.dtype)
    if n:
        with np.errstate(all="ignore"):
            np.add.at(target, _dim_key(target.ndim, dim, idx), vals)
    self._bump_version()
    return self


index_add.impl("CPU", "Meta")(_functional(_index_add_))
index_add_out.impl("CPU", "Meta")(_out_variant(_functional(_index_add_)))

index_copy = defop("index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor")
index_copy_ = defop("index_copy_(Tensor(a!) self, int dim, Tensor index, Tensor source) -> "
                    "Tensor(a!)", variants=("method",))
index_copy_out = defop("index_copy.out(Tensor self, int dim, Tensor index, Tensor source, *, "
                       "Tensor(a!) out) -> Tensor(a!)")


@index_copy_.impl("CPU", "Meta")
def _index_copy_(self, dim, index, source):
    dim = normalize_dim(dim, self.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if index._dtype is not D.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{index._dtype.scalar_type_name}")
    n = index.numel()
    if source.ndim != self.ndim and source.ndim and self.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({self.ndim})")
    ssz = source._shape[dim] if source.ndim else 1
    if n != ssz:
        raise IndexError(f"index_copy_(): Number of indices ({n}) should be equal to "
                         f"source.size(dim) ({ssz})")
    for d in range(min(self.ndim, source.ndim)):
        if d != dim and self._shape[d] != source._shape[d]:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                               f"shapes. Destination slice shape: {self._shape[d]} at dimension "
                               f"{d} and source slice shape: {source._shape[d]} at dimension {d}.")
    if self._dtype is not source._dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {self._dtype.scalar_type_name} and (source) "
                           f"{source._dtype.scalar_type_name}")
    _inplace_prologue(self, index, source)
    if _is_meta(self, index, source):
        return self
    idx = _index_values(index).reshape(-1)
    _check_range(idx, _sizes1(self)[dim], IndexError,
                 "index_copy_(): index {i} is out of bounds for dimension {dim} with size {size}",
                 wrap=False, dim=dim)
    target = _arr1(self)
    vals = _detach_input(self, _arr1(source).reshape(
        [n if d == dim else s for d, s in enumerate(target.shape)]), source)
    if n:
        target[_dim_key(target.ndim, dim, idx)] = vals
    self._bump_version()
    return self


index_copy.impl("CPU", "Meta")(_functional(_index_copy_))
index_copy_out.impl("CPU", "Meta")(_out_variant(_functional(_index_copy_)))

index_fill_s = defop("index_fill.int_Scalar(Tensor self, int dim, Tensor index, Scalar value) -> "
                     "Tensor")
index_fill_s_ = defop("index_fill_.int_Scalar(Tensor(a!) self, int dim, Tensor index, "
                      "Scalar value) -> Tensor(a!)", variants=("method",))
index_fill_t = defop("index_fill.int_Tensor(Tensor self, int dim, Tensor index, Tensor value) -> "
                     "Tensor")
index_fill_t_ = defop("index_fill_.int_Tensor(Tensor(a!) self, int dim, Tensor index, "
                      "Tensor value) -> Tensor(a!)", variants=("method",))


def _index_fill_(self, dim, index, value):
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    dim = normalize_dim(dim, self.ndim)
    if index._dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    _inplace_prologue(self, index)
    if _is_meta(self, index):
        return self
    idx = _index_values(index).reshape(-1)
    if idx.size and _sizes1(self)[dim] == 0:
        # torch restrides self over the index with as_strided, which fails on the empty dim
        raise RuntimeError("setStorage: index_fill_ on a dimension of size 0 is out of bounds "
                           "for storage of size 0")
    _check_range(idx, _sizes1(self)[dim], IndexError,
                 "index {i} is out of bounds for dimension {dim} with size {size}",
                 wrap=True, dim=dim)
    target = _arr1(self)
    if idx.size:
        target[_dim_key(target.ndim, dim, idx)] = _scalar_value(value, self._dtype)
    self._bump_version()
    return self


for _f, _i in ((index_fill_s, index_fill_s_), (index_fill_t, index_fill_t_)):
    _i.impl("CPU", "Meta")(_index_fill_)
    _f.impl("CPU", "Meta")(_functional(_index_fill_, preserve=True))


# ------------------------------------------------------------------ masked_select / scatter

masked_select = defop("masked_select(Tensor self, Tensor mask) -> Tensor")
masked_select_out = defop("masked_select.out(Tensor self, Tensor mask, *, Tensor(a!) out) -> "
                          "Tensor(a!)")


@masked_select.impl("CPU", "Meta")
def _masked_select(self, mask):
    if mask._dtype is not D.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(self._shape, mask._shape)
    if _is_meta(self, mask):
        raise NotImplementedError("masked_select: output size depends on the data; not "
                                  "supported for meta tensors")
    vals = np.broadcast_to(_arr(self), shape)[np.broadcast_to(_arr(mask), shape)]
    return _from_np(vals.reshape(-1), self._dtype)


masked_select_out.impl("CPU", "Meta")(_out_variant(_masked_select, exact_alias=False))

masked_scatter = defop("masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor")
masked_scatter_ = defop("masked_scatter_(Tensor(a!) self, Tensor mask, Tensor source) -> "
                        "Tensor(a!)", variants=("method",))


@masked_scatter_.impl("CPU", "Meta")
def _masked_scatter_(self, mask, source):
    if mask._dtype is not D.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask._dtype.scalar_type_name}")
    if self._dtype is not source._dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{self._dtype.scalar_type_name} and {source._dtype.scalar_type_name}")
    shape = broadcast_shapes(self._shape, mask._shape)
    if shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    _inplace_prologue(self, mask, source)
    if _is_meta(self, mask, source):
        return self
    m = np.broadcast_to(_arr(mask), shape)
    count = int(np.count_nonzero(m))
    if source.numel() < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if count:
        vals = np.ascontiguousarray(_arr(source)).reshape(-1)[:count]
        target = _arr(self)
        target[m] = _detach_input(self, vals, source)
    self._bump_version()
    return self


@masked_scatter.impl("CPU", "Meta")
def _masked_scatter(self, mask, source):
    shape = broadcast_shapes(self._shape, mask._shape)
    return _masked_scatter_(_clone(self.expand(shape), memory_format=contiguous_format), mask,
                            source)


# ------------------------------------------------------------------ nonzero / argwhere

nonzero = defop("nonzero(Tensor self) -> Tensor")
nonzero_out = defop("nonzero.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)")
argwhere = defop("argwhere(Tensor self) -> Tensor")


@nonzero.impl("CPU", "Meta")
def _nonzero(self):
    if _is_meta(self):
        raise NotImplementedError("nonzero: output size depends on the data; not supported for "
                                  "meta tensors")
    found = np.argwhere(_arr(self)).astype(np.int64)
    # torch fills the result column by column: strides (1, n)
    out = empty_tensor(found.shape, D.int64, self._device, (1, found.shape[0]))
    if found.size:
        store(out._array(), found)
    return out


nonzero_out.impl("CPU", "Meta")(_out_variant(_nonzero))
argwhere.impl("CPU", "Meta")(_nonzero)


def _nonzero_tuple(self: Tensor) -> tuple:
    from .views import _select
    t = self.reshape(1) if not self._shape else self
    nz = _nonzero(t)
    return tuple(_select(nz, 1, d) for d in range(t.ndim))


class _NonzeroPacket(OpPacket):
    """``nonzero`` as PyTorch's Python binding exposes it: with ``as_tuple``."""

    def function(self):
        base = OpPacket.function(self)

        def nonzero(input, *, out=None, as_tuple=False):
            if as_tuple:
                return _nonzero_tuple(input)
            return base(input) if out is None else base(input, out=out)
        return nonzero

    def method(self):
        base = OpPacket.method(self)

        def nonzero(self, *, as_tuple=False):
            return _nonzero_tuple(self) if as_tuple else base(self)
        return nonzero


def _install_nonzero_packet() -> None:
    old = OPS["nonzero"]
    new = _NonzeroPacket(old.name, old.variants)
    new.overloads = old.overloads
    OPS["nonzero"] = new


_install_nonzero_packet()


# ------------------------------------------------------------------ index / index_put

def _index_arrays(self: Tensor, indices) -> dict:
    """Positions (dims of ``self``) → int64 index arrays, masks expanded by nonzero, with
    PyTorch's type and mask-shape checks."""
    pos: dict[int, np.ndarray] = {}
    d = 0
    for ix in indices:
        if ix is None:
            d += 1
            continue
        if isinstance(ix, np.ndarray):
            arr, dt = ix, D.bool_ if ix.dtype == np.bool_ else D.int64
        elif isinstance(ix, Tensor):
            dt = ix._dtype
            if dt not in (D.int64, D.int32, D.bool_, D.uint8):
                raise IndexError(ADV_INDEX_ERROR)
            if ix._data is None:
                raise NotImplementedError("advanced indexing with meta index tensors")
            arr = ix._array()
        else:
            raise TypeError(f"expected Tensor as element {d} in argument 1, but got "
                            f"{type(ix).__name__}")
        if dt is D.bool_ or dt is D.uint8:
            if dt is D.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                              "dtype torch.bool instead.", UserWarning, stacklevel=3)
            if d + arr.ndim > self.ndim:
                raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
            for j, n in enumerate(arr.shape):
                if n != self._shape[d + j]:
                    raise IndexError(f"The shape of the mask {list(arr.shape)} at index {j} does "
                                     "not match the shape of the indexed tensor "
                                     f"{list(self._shape)} at index {d + j}")
            for j, col in enumerate(np.nonzero(arr)):
                pos[d + j] = col.astype(np.int64)
            d += arr.ndim
        else:
            if d >= self.ndim:
                raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
            pos[d] = np.asarray(arr, dtype=np.int64)
            d += 1
    return pos


def _index_plan(self: Tensor, indices):
    """(numpy key, result shape, positions) of ``self[indices]`` (PyTorch's at::index rules),
    with every index checked against its dim when the result is not empty."""
    pos = _index_arrays(self, indices)
    if not pos:
        return None, self._shape, pos
    dims = sorted(pos)
    try:
        bshape = np.broadcast_shapes(*(pos[d].shape for d in dims))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         "with shapes " + ", ".join(str(list(pos[d].shape)) for d in dims)) \
            from None
    rest = [d for d in range(self.ndim) if d not in pos]
    adjacent = dims[-1] - dims[0] + 1 == len(dims)
    if adjacent:
        shape = tuple(self._shape[d] for d in rest if d < dims[0]) + tuple(bshape) + \
            tuple(self._shape[d] for d in rest if d > dims[-1])
    else:
        shape = tuple(bshape) + tuple(self._shape[d] for d in rest)
    if numel_of(shape):
        for d in dims:
            n = self._shape[d]
            a = pos[d]
            if a.size and (a.min() < -n or a.max() >= n):
                if n == 0:
                    raise IndexError("index is out of bounds for dimension with size 0")
                raise IndexError(f"index {_first_bad(a, -n, n)} is out of bounds for dimension "
                                 f"{d} with size {n}")
    key = tuple(pos[d] if d in pos else slice(None) for d in range(self.ndim))
    return key, shape, pos


def index_tensor(self: Tensor, indices) -> Tensor:
    """``at::index``: advanced indexing with a list of optional index tensors (a copy)."""
    key, shape, pos = _index_plan(self, indices)
    if key is None:
        return _clone(self)
    out = empty_tensor(shape, self._dtype, self._device, _index_result_strides(self, shape, pos))
    if not _is_meta(self) and numel_of(shape):
        store(out._array(), _arr(self)[key].reshape(shape))
    return out


def _index_result_strides(self: Tensor, shape, pos: dict) -> tuple:
    """The layout at::index gives its result: TensorIterator's order over the source
    restrided to the result (0 along the index dims) and the broadcast index arrays."""
    dims = sorted(pos)
    nb = len(shape) - (self.ndim - len(dims))
    first = dims[0] if dims[-1] - dims[0] + 1 == len(dims) else 0
    rest = [self._stride[d] for d in range(self.ndim) if d not in pos]
    src = tuple(rest[:first]) + (0,) * nb + tuple(rest[first:])
    operands = [src]
    bshape = shape[first:first + nb]
    for d in dims:
        a = pos[d]
        st = it.broadcast_strides(a.shape, tuple(x // a.itemsize for x in a.strides), bshape)
        operands.append((0,) * first + st + (0,) * (len(shape) - first - nb))
    return it._layout_strides(shape, operands)


def index_put_impl(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``index_put_``: write ``values`` (broadcast to the indexing result) into ``self``."""
    if values._dtype is not self._dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{self._dtype.scalar_type_name} for the destination and "
                           f"{values._dtype.scalar_type_name} for the source.")
    key, shape, pos = _index_plan(self, indices)
    vshape = values._shape
    if len(vshape) > len(shape) or any(v != 1 and v != s for v, s in
                                       zip(reversed(vshape), reversed(shape))):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values._shape)} cannot "
                           f"be broadcast to indexing result of shape {list(shape)}")
    it.check_writable(self, (values,))
    if _is_meta(self, values) or not numel_of(shape):
        self._bump_version()
        return self
    target = _arr(self)
    vals = np.broadcast_to(_detach_input(self, _arr(values), values), shape)
    if key is None:
        key = (Ellipsis,)
    if accumulate:
        with np.errstate(all="ignore"):
            np.add.at(target, key, vals)
    else:
        target[key] = vals
    self._bump_version()
    return self


index = defop("index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", variants=())
index_out = defop("index.Tensor_out(Tensor self, Tensor?[] indices, *, Tensor(a!) out) -> "
                  "Tensor(a!)", variants=())
index.impl("CPU", "Meta")(index_tensor)
index_out.impl("CPU", "Meta")(_out_variant(index_tensor, exact_alias=False))

index_put = defop("index_put(Tensor self, Tensor?[] indices, Tensor values, "
                  "bool accumulate=False) -> Tensor")
index_put_ = defop("index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, "
                   "bool accumulate=False) -> Tensor(a!)")


@index_put_.impl("CPU", "Meta")
def _index_put_(self, indices, values, accumulate=False):
    for i, ix in enumerate(indices):
        if not isinstance(ix, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(ix).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' (position 3) must be Tensor, not "
                        f"{type(values).__name__}")
    return index_put_impl(self, indices, values, accumulate)


index_put.impl("CPU", "Meta")(_functional(_index_put_, preserve=True))

# what ``self[indices] = values`` runs: index_put_ that also takes ``None`` (a full slice) in
# ``indices``, as in torch's indexing code
_index_put_impl_ = defop("_index_put_impl_(Tensor(a!) self, Tensor?[] indices, Tensor values, "
                         "bool accumulate=False, bool unsafe=False) -> Tensor(a!)", variants=())
_index_put_impl_.impl("CPU", "Meta")(
    lambda self, indices, values, accumulate=False, unsafe=False:
    index_put_impl(self, indices, values, accumulate))


def _index_put_backward(grad, args):
    from .creation import zeros
    grad_self = grad if args.accumulate else _index_put_impl_(
        grad.clone(), args.indices, zeros(args.values.shape, dtype=grad.dtype))
    return grad_self, index(grad, args.indices)


index_put.backward("IndexPutBackward0", inputs=("self", "values"))(_index_put_backward)
_index_put_impl_.backward("IndexPutBackward0", inputs=("self", "values"))(_index_put_backward)


# ------------------------------------------------------------------ derivatives

class _Shape:
    """A shape standing in for a tensor whose gradient is built from zeros."""
    __slots__ = ("shape",)

    def __init__(self, shape) -> None:
        self.shape = tuple(shape)


def _zeros_shaped(meta, like: Tensor) -> Tensor:
    from .creation import zeros
    return zeros(tuple(meta.shape), dtype=like.dtype)


@index_select.backward("IndexSelectBackward0", saves=("index",))
def _index_select_backward(grad, args):
    if args.self.ndim == 0:
        return grad.sum()
    return _zeros_shaped(args.self, grad).index_add(args.dim, args.index.reshape(-1), grad)


@gather.backward("GatherBackward0", saves=("index",))
def _gather_backward(grad, args):
    return _zeros_shaped(args.self, grad).scatter_add(args.dim, args.index, grad)


@take_along_dim.backward("GatherBackward0", saves=("indices",))
def _take_along_dim_backward(grad, args):
    """The gather of the broadcast input, scattered back (autograd sums the broadcast)."""
    self, indices = args.self, args.indices
    if args.dim is None:
        flat = _zeros_shaped(_Shape((numel_of(self.shape),)), grad)
        return flat.scatter_add(0, indices.reshape(-1), grad.reshape(-1)).reshape(self.shape)
    dim = normalize_dim(args.dim, self.ndim)
    shape = list(grad.shape)
    if shape:
        shape[dim] = self.shape[dim]
        if shape[dim]:
            indices = indices.remainder(shape[dim])  # wrapped as the forward wraps them
    return _zeros_shaped(_Shape(shape), grad).scatter_add(dim, indices.expand(grad.shape), grad)


@take.backward("TakeBackward0", saves=("index",))
def _take_backward(grad, args):
    n = numel_of(args.self.shape)
    idx = args.index.reshape(-1)
    idx = idx + (idx < 0) * n
    flat = _zeros_shaped(_Shape((n,)), grad).index_add(0, idx, grad.reshape(-1))
    return flat.reshape(args.self.shape)


@scatter_src.backward("ScatterBackward0", saves=("index",))
def _scatter_src_backward(grad, args):
    return grad.scatter(args.dim, args.index, 0.0), None, grad.gather(args.dim, args.index)


@scatter_value.backward("ScatterBackward1", saves=("index",))
def _scatter_value_backward(grad, args):
    return grad.scatter(args.dim, args.index, 0.0), None


@scatter_add.backward("ScatterAddBackward0", saves=("index",))
def _scatter_add_backward(grad, args):
    return grad, None, grad.gather(args.dim, args.index)


@scatter_reduce.backward("ScatterReduceBackward0", saves=("self", "index", "src"),
                         save_result=True)
def _scatter_reduce_backward(grad, args):
    """torch's scatter_reduce_backward for sum, prod, mean, amax and amin."""
    from .unary import choose
    self, dim, index, src, result = args.self, args.dim, args.index, args.src, args.result
    reduce, include_self = args.reduce, args.include_self
    if reduce == "sum":
        g_self, g_src = grad, grad.gather(dim, index)
    elif reduce == "prod":
        masked_self = self.masked_fill(self == 0, 1.0)
        masked_self_result = masked_self.scatter_reduce(dim, index, src, reduce,
                                                        include_self=include_self)
        g_self = grad * masked_self_result / masked_self
        src_zero = src == 0
        zeros_per_slot = _zeros_shaped(self, grad).scatter_add(
            dim, index, src_zero.to(grad.dtype)).gather(dim, index)
        single_zero = src_zero.logical_and(zeros_per_slot == 1)
        masked_src_result = self.scatter_reduce(dim, index, src.masked_fill(single_zero, 1.0),
                                                reduce, include_self=include_self)
        g_src = choose(single_zero, (grad * masked_src_result).gather(dim, index),
                       (grad * result).gather(dim, index) / src.masked_fill(src_zero, 1.0))
    elif reduce == "mean":
        from .creation import ones_like, zeros_like
        count = (ones_like(grad) if include_self else zeros_like(grad)).scatter_add(
            dim, index, ones_like(src))
        count = count.masked_fill(count == 0, 1.0)
        g_self, g_src = grad / count, grad.gather(dim, index) / count.gather(dim, index)
    elif reduce in ("amax", "amin"):
        value = result.gather(dim, index)
        self_is_result = (self == result).to(grad.dtype)
        src_is_result = (src == value).to(grad.dtype)
        shares = grad / self_is_result.scatter_add(dim, index, src_is_result)
        g_self, g_src = self_is_result * shares, src_is_result * shares.gather(dim, index)
    else:
        raise RuntimeError(f"derivative for scatter_reduce with reduce={reduce} is not "
                           "implemented")
    if not include_self:
        g_self = g_self.scatter(dim, index, 0.0)
    return g_self, None, g_src


@index_add.backward("IndexAddBackward0", saves=("index",))
def _index_add_backward(grad, args):
    source = args.source
    if grad.ndim == 0:
        g_src = grad.reshape(source.shape)
    else:
        g_src = grad.index_select(args.dim, args.index.reshape(-1)).reshape(source.shape)
    return grad, None, g_src * args.alpha if args.alpha != 1 else g_src


@index_copy.backward("IndexCopyBackward0", saves=("index",))
def _index_copy_backward(grad, args):
    if grad.ndim == 0:
        return grad * 0, None, grad.reshape(args.source.shape)
    return (grad.index_fill(args.dim, args.index, 0.0), None,
            grad.index_select(args.dim, args.index.reshape(-1)).reshape(args.source.shape))


@index_fill_s.backward("IndexFillBackward0", saves=("index",))
def _index_fill_backward(grad, args):
    return grad.index_fill(args.dim, args.index, 0.0), None


@index_fill_t.backward("IndexFillBackward1", saves=("index",))
def _index_fill_tensor_backward(grad, args):
    """The value gets the gradient of every filled position, each counted once."""
    if grad.ndim == 0:
        picked = grad
    else:
        picked = grad.index_select(args.dim, args.index.reshape(-1).unique())
    return grad.index_fill(args.dim, args.index, 0.0), None, picked.sum()


@masked_select.backward("MaskedSelectBackward0", saves=("mask",))
def _masked_select_backward(grad, args):
    shape = broadcast_shapes(tuple(args.self.shape), tuple(args.mask.shape))
    return _zeros_shaped(_Shape(shape), grad).masked_scatter(args.mask.expand(shape), grad), None


@masked_scatter.backward("MaskedScatterBackward0", saves=("mask",))
def _masked_scatter_backward(grad, args):
    from .creation import zeros
    source = args.source
    picked = grad.masked_select(args.mask)
    missing = numel_of(source.shape) - picked.numel()
    if missing > 0:
        from .. import cat
        picked = cat([picked, zeros((missing,), dtype=grad.dtype)])
    return grad.masked_fill(args.mask, 0.0), None, picked.reshape(source.shape)


@index.backward("IndexBackward0", saves=("indices",))
def _index_backward(grad, args):
    # the internal index_put, which takes None (a full slice) among the indices
    return _index_put_impl_(_zeros_shaped(args.self, grad), args.indices, grad, True)
