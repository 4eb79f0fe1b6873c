"""Shape and ordering ops: cat/stack, flip/roll, repeat/tile/repeat_interleave, tril/triu,
sort/argsort/topk/kthvalue, unique, searchsorted/bucketize.

Kernels are NumPy routines that do the job at speed (stable argsort, concatenation, a
vectorised binary search that compares exactly as PyTorch's ``cus_lower_bound`` does), and
for unstable sorts, topk and kthvalue PyTorch's own sorting algorithms (``_kernels/sorting``)
so that equal values land where PyTorch puts them; half types sort and search through float32
keys (an exact widening, so order is unchanged).
Every op computes its output geometry first, so meta tensors (no data) get shapes, dtypes
and strides only.
"""
from __future__ import annotations

import numpy as np

from .. import return_types as RT
from .._core import dtype as D
from .._core.meta import channels_last_strides, contiguous_strides, normalize_dim, numel_of
from .._dispatch.dispatcher import defop, overload
from .._core.storage import store
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .args import as_int, int_list
from .copy import copy_into, resize_out

_HALF = (D.float16, D.bfloat16)


# ------------------------------------------------------------------ helpers

def _is_meta(*tensors) -> bool:
    return any(isinstance(t, Tensor) and t._data is None for t in tensors)


def _new(shape, dt, dev, strides=None) -> Tensor:
    return empty_tensor(tuple(shape), dt, dev, strides)


def _filled(shape, dt, dev, arr, strides=None) -> Tensor:
    """A fresh tensor of ``shape``/``dt`` with the given layout holding ``arr``'s values."""
    out = _new(shape, dt, dev, strides)
    if out._data is not None and numel_of(out._shape):
        store(out._array(), np.asarray(arr).reshape(out._shape).astype(dt.np_dtype, copy=False))
    return out


def _key(arr: np.ndarray) -> np.ndarray:
    """A sort/compare key with the same order: half types widen to float32."""
    if arr.dtype.char in "eE":  # float16, bfloat16
        return arr.astype(np.float32)
    return arr


def _write_out(out: Tensor, result: Tensor, inputs=(), *, strided: bool = False) -> Tensor:
    """Copy ``result`` into ``out``. A structured kernel (``strided``) that has to resize its
    out= tensor gives it the functional result's (dense) strides, as torch does."""
    resized = out._shape != result._shape
    resize_out(out, result._shape)
    if strided and resized:
        out._stride = result._stride
        out._contig = None
    it.check_writable(out, inputs)
    copy_into(out, result)
    out._bump_version()
    return out


def check_out_dtype(out: Tensor, dt: D.dtype) -> None:
    """Structured kernels' rule: an out= tensor must have exactly the result dtype."""
    if out._dtype is not dt:
        raise RuntimeError(f"Expected out tensor to have dtype {dt.cxx_name}, but got "
                           f"{out._dtype.cxx_name} instead")


def _tensor_list(name: str, tensors) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def _promote_all(tensors) -> D.dtype:
    dt = tensors[0]._dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t._dtype)
    return dt


def _common_device(tensors):
    return it.common_device(*tensors)


# ------------------------------------------------------------------ cat / stack

def _channels_last_like(shape, strides) -> bool:
    """c10's is_channels_last_strides_2d/3d (suggest_memory_format)."""
    nd = len(shape)
    if nd == 4:
        order = (1, 3, 2, 0)
    elif nd == 5:
        order = (1, 4, 3, 2, 0)
    else:
        return False
    if strides[1] == 0:
        return False
    mn = 0
    for d in order:
        if shape[d] == 0 or strides[d] < mn:
            return False
        if d == 0 and mn == strides[1]:
            return False
        mn = strides[d]
        if shape[d] > 1:
            mn *= shape[d]
    return True


def _cat_strides(tensors, shape) -> tuple:
    fmt = None
    for t in tensors:
        f = len(t._shape) if _channels_last_like(t._shape, t._stride) else 0
        if f == 0:
            return contiguous_strides(shape)
        if fmt is not None and fmt != f:
            return contiguous_strides(shape)
        fmt = f
    if fmt and len(shape) == fmt:
        return channels_last_strides(shape)
    return contiguous_strides(shape)


def _cat_uniform(tensors, dim):
    """cat of same-shape, same-dtype CPU tensors (a DataLoader batch): the checks collapse
    to set lookups. None when that does not apply."""
    first = tensors[0]
    shape, dt = first._shape, first._dtype
    if not shape or shape == (0,) or len(shape) in (4, 5) or first._data is None or \
            any(t._shape != shape or t._dtype is not dt or t._data is None for t in tensors):
        return None
    d = normalize_dim(dim, len(shape))
    out_shape = shape[:d] + (shape[d] * len(tensors),) + shape[d + 1:]
    out = empty_tensor(out_shape, dt)
    if numel_of(out_shape):
        np.concatenate([t._array() for t in tensors], axis=d, out=out._array())
    return out


def _cat_compute(tensors, dim, dt=None, name="cat", out=None) -> Tensor:
    tensors = _tensor_list(name, tensors)
    if tensors and dt is None and out is None and dim.__class__ is int:
        fast = _cat_uniform(tensors, dim)
        if fast is not None:
            return fast
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    dt = _promote_all(tensors) if dt is None else dt
    dev = _common_device(tensors)
    dim = as_int(name, "dim", dim)
    kept = [t for t in tensors if not (t._shape == (0,))]
    if kept:
        d = normalize_dim(dim, kept[0].ndim)
    if out is not None:
        _cat_out_checks(tensors, out)
    if not kept:
        return _new((0,), dt, dev)
    ref = kept[0]
    total = 0
    for i, t in enumerate(tensors):
        if t._shape == (0,):
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t._shape[k] != ref._shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._shape[k]} but got size {t._shape[k]} for tensor number {i} in the "
                    "list.")
        total += t._shape[d]
    shape = list(ref._shape)
    shape[d] = total
    out = _new(shape, dt, dev, _cat_strides(tensors, shape))
    if _is_meta(out, *kept) or not numel_of(out._shape):
        return out
    arr = out._array()
    pos = 0
    index = [slice(None)] * len(shape)
    for t in kept:
        n = t._shape[d]
        if n:
            index[d] = slice(pos, pos + n)
            arr[tuple(index)] = t._array().astype(dt.np_dtype, copy=False)
        pos += n
    return out


def _cat_out_checks(tensors, out: Tensor) -> None:
    tensors = _tensor_list("cat", tensors)
    it.check_writable(out, tensors, exact_alias=False)  # torch's assert_no_overlap
    if tensors:
        src = _promote_all(tensors)
        if (src.is_floating_point and not out._dtype.is_floating_point) or \
                (src is not D.bool_ and out._dtype is D.bool_):
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output "
                            f"type {out._dtype.scalar_type_name}")


def _define_cat(name: str) -> None:
    fn = defop(f"{name}(Tensor[] tensors, int dim=0) -> Tensor", variants=("function",))
    fo = defop(f"{name}.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out) -> Tensor(a!)",
               variants=("function",))

    @fn.impl("CPU", "Meta")
    def _cat(tensors, dim=0):
        return _cat_compute(tensors, dim)

    @fo.impl("CPU", "Meta")
    def _cat_out(tensors, dim=0, out=None):
        res = _cat_compute(tensors, dim, out=out)
        return _write_out(out, res, tensors)

    fn.backward("CatBackward0")(_cat_backward)


def _cat_backward(grad, args):
    """Each input gets its slice of ``grad`` along ``dim`` (legacy empty 1-D inputs, which cat
    skips, get an empty gradient)."""
    d = normalize_dim(args.dim, grad.ndim)
    grads, pos = [], 0
    for t in args.tensors:
        if tuple(t.shape) == (0,) and grad.ndim != 1:
            grads.append(empty_tensor((0,), grad.dtype, grad.device))
            continue
        n = t.shape[d]
        grads.append(grad.narrow(d, pos, n))
        pos += n
    return grads


for _n in ("cat", "concat", "concatenate"):
    _define_cat(_n)


def _stack_compute(tensors, dim, name="stack") -> Tensor:
    tensors = _tensor_list(name, tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    dim = as_int(name, "dim", dim)
    d = normalize_dim(dim, tensors[0].ndim + 1)
    s0 = tensors[0]._shape
    for i, t in enumerate(tensors):
        if t._shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(s0)} at entry 0 and {list(t._shape)} at entry {i}")
    shape = s0[:d] + (len(tensors),) + s0[d:]
    if d < len(s0):  # torch: cat along d, then split that dim with a view
        return _cat_compute(tensors, d, name=name).view(shape)
    return _cat_compute([t.unsqueeze(d) for t in tensors], d, name=name)


stack = defop("stack(Tensor[] tensors, int dim=0) -> Tensor", variants=("function",))
stack_out = defop("stack.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out) -> Tensor(a!)",
                  variants=("function",))


@stack.impl("CPU", "Meta")
def _stack(tensors, dim=0):
    return _stack_compute(tensors, dim)


@stack.backward("StackBackward0")
def _stack_backward(grad, args):
    return list(grad.unbind(normalize_dim(args.dim, grad.ndim)))


@stack_out.impl("CPU", "Meta")
def _stack_out(tensors, dim=0, out=None):
    res = _stack_compute(tensors, dim)
    _cat_out_checks(tensors, out)
    return _write_out(out, res, tensors)


def _atleast(t: Tensor, n: int) -> Tensor:
    if t.ndim >= n:
        return t
    if n == 1 or t.ndim == 0:
        return t.reshape((1,) * n)
    return t.unsqueeze(0)


def _hstack_compute(tensors):
    tensors = _tensor_list("hstack", tensors)
    if not tensors:
        raise RuntimeError("hstack expects a non-empty TensorList")
    rep = [_atleast(t, 1) for t in tensors]
    return _cat_compute(rep, 0 if rep[0].ndim == 1 else 1)


def _vstack_compute(tensors):
    tensors = _tensor_list("vstack", tensors)
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return _cat_compute([_atleast(t, 2) for t in tensors], 0)


hstack = defop("hstack(Tensor[] tensors) -> Tensor", variants=("function",))
hstack_out = defop("hstack.out(Tensor[] tensors, *, Tensor(a!) out) -> Tensor(a!)",
                   variants=("function",))
vstack = defop("vstack(Tensor[] tensors) -> Tensor", variants=("function",))
vstack_out = defop("vstack.out(Tensor[] tensors, *, Tensor(a!) out) -> Tensor(a!)",
                   variants=("function",))
hstack.impl("CPU", "Meta")(_hstack_compute)
vstack.impl("CPU", "Meta")(_vstack_compute)


@hstack_out.impl("CPU", "Meta")
def _hstack_out(tensors, out=None):
    res = _hstack_compute(tensors)
    _cat_out_checks(tensors, out)
    return _write_out(out, res, tensors)


@vstack_out.impl("CPU", "Meta")
def _vstack_out(tensors, out=None):
    res = _vstack_compute(tensors)
    _cat_out_checks(tensors, out)
    return _write_out(out, res, tensors)


# ------------------------------------------------------------------ flip / roll

def _no_bare_int(name: str, arg: str, v, pos: str) -> None:
    """torch's binding takes a lone int for an int[] only as a method's varargs; the binder
    hands those over as a tuple, so a bare int here came from a function call or keyword."""
    if isinstance(v, int) and not isinstance(v, bool):
        raise TypeError(f"{name}(): argument '{arg}'{pos} must be tuple of ints, not int")


flip = defop("flip(Tensor self, int[] dims) -> Tensor")


@flip.impl("CPU", "Meta")
def _flip(self, dims):
    _no_bare_int("flip", "dims", dims, "")
    dims = int_list("flip", "dims", dims)
    wrapped = []
    for d in dims:
        w = normalize_dim(d, self.ndim)
        if w in wrapped:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        wrapped.append(w)
    out = _new(self._shape, self._dtype, self._device, it.dense_like_strides(self))
    if _is_meta(self) or not numel_of(self._shape):
        return out
    arr = self._array()
    if wrapped and self.ndim:
        arr = np.flip(arr, tuple(wrapped))
    store(out._array(), arr)
    return out


roll = defop("roll(Tensor self, SymInt[1] shifts, int[1] dims=[]) -> Tensor")


def _roll1(self: Tensor, shift: int, dim: int) -> Tensor:
    if not numel_of(self._shape):
        return _new(self._shape, self._dtype, self._device, it.dense_like_strides(self)) \
            if _is_meta(self) else self.clone()
    d = normalize_dim(dim, self.ndim, wrap_scalar=False)
    out = _new(self._shape, self._dtype, self._device)
    if _is_meta(self):
        return out
    store(out._array(), np.roll(self._array(), shift, axis=d))
    return out


@roll.impl("CPU", "Meta")
def _roll(self, shifts, dims=()):
    shifts = int_list("roll", "shifts", shifts)
    dims = int_list("roll", "dims", dims)
    if len(dims) == 1 and len(shifts) == 1:
        return _roll1(self, shifts[0], dims[0])
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        flat = self.reshape((self.numel(),))
        return _roll1(flat, shifts[0], 0).view(self._shape)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    res = _roll1(self, shifts[0], dims[0])
    return _roll(res, shifts[1:], dims[1:])


# ------------------------------------------------------------------ repeat / tile

repeat = defop("repeat(Tensor self, SymInt[] repeats) -> Tensor", variants=("method",))


@repeat.impl("CPU", "Meta")
def _repeat(self, repeats):
    repeats = int_list("repeat", "repeats", repeats)
    if len(repeats) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(repeats) - self.ndim) + self._shape
    shape = tuple(a * b for a, b in zip(padded, repeats))
    if any(s < 0 for s in shape):
        bad = next(s for s in shape if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{list(shape)}")
    out = _new(shape, self._dtype, self._device)
    if _is_meta(self) or not numel_of(shape):
        return out
    store(out._array(), np.tile(self._array().reshape(padded), repeats))
    return out


tile = defop("tile(Tensor self, SymInt[] dims) -> Tensor")


@tile.impl("CompositeImplicitAutograd")
def _tile(self, dims):
    _no_bare_int("tile", "dims", dims, " (position 2)")
    dims = int_list("tile", "dims", dims)
    if len(dims) < self.ndim:
        dims = (1,) * (self.ndim - len(dims)) + dims
    return repeat(self, dims)  # the op, so that autograd records RepeatBackward0


ri_tensor = defop("repeat_interleave.Tensor(Tensor repeats, *, SymInt? output_size=None) -> "
                  "Tensor", variants=("function",))
ri_self_int = defop("repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *, "
                    "SymInt? output_size=None) -> Tensor")
ri_self_tensor = defop("repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None,"
                       " *, SymInt? output_size=None) -> Tensor")


def _repeat_counts(repeats: Tensor, output_size, kernel: str):
    """Validated repeat counts of a 1-D int32/int64 tensor (None for meta) and their sum."""
    if repeats._dtype not in (D.int32, D.int64):
        raise it.not_implemented(kernel, repeats._dtype)
    if _is_meta(repeats):
        if output_size is None:
            raise NotImplementedError("repeat_interleave on meta tensors needs output_size")
        return None, output_size
    counts = repeats._array().astype(np.int64).reshape(-1)
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    total = int(counts.sum())
    if output_size is not None and output_size != total:
        raise RuntimeError("allocated size does not match required size")
    return counts, total


@ri_tensor.impl("CPU", "Meta")
def _ri_tensor(repeats, output_size=None):
    if repeats._dtype not in (D.int32, D.int64):
        raise it.not_implemented("repeat_interleave_cpu", repeats._dtype)
    if repeats.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    counts, total = _repeat_counts(repeats, output_size, "repeat_interleave_cpu")
    out = _new((total,), repeats._dtype, repeats._device)
    if counts is not None and total:
        store(out._array(), np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    return out


def _ri_dim(self: Tensor, dim):
    if dim is None:
        return self.reshape((self.numel(),)), 0
    dim = as_int("repeat_interleave", "dim", dim)
    if self.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return self, normalize_dim(dim, self.ndim)


def _gather_rows(inp: Tensor, d: int, counts, total: int) -> Tensor:
    shape = list(inp._shape)
    shape[d] = total
    out = _new(shape, inp._dtype, inp._device)
    if counts is None or _is_meta(inp) or not numel_of(shape):
        return out
    store(out._array(), np.repeat(inp._array(), counts, axis=d))
    return out


@ri_self_int.impl("CPU", "Meta")
def _ri_self_int(self, repeats, dim=None, output_size=None):
    if isinstance(repeats, Tensor):
        return _ri_self_tensor(self, repeats, dim, output_size)
    repeats = as_int("repeat_interleave", "repeats", repeats)
    inp, d = _ri_dim(self, dim)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    total = inp._shape[d] * repeats if inp.ndim else repeats
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got "
                           f"{output_size}")
    return _gather_rows(inp, d, repeats, total)


@ri_self_tensor.impl("CPU", "Meta")
def _ri_self_tensor(self, repeats, dim=None, output_size=None):
    if not isinstance(repeats, Tensor):
        return _ri_self_int(self, repeats, dim, output_size)
    inp, d = _ri_dim(self, dim)
    size = inp._shape[d] if inp.ndim else 1
    if repeats.ndim == 0 or repeats.ndim == 1 and repeats._shape[0] == 1:
        repeats = repeats.reshape((1,)).expand((size,))
    elif repeats.ndim == 1:
        if repeats._shape[0] != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats._shape[0]} and input.size({d}) = "
                               f"{size}")
    else:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    counts, total = _repeat_counts(repeats, output_size, "repeat_interleave_cpu")
    return _gather_rows(inp, d, counts, total)


# ------------------------------------------------------------------ tril / triu

def _define_tri(name: str, lower: bool) -> None:
    fn = defop(f"{name}(Tensor self, SymInt diagonal=0) -> Tensor")
    fo = defop(f"{name}.out(Tensor self, SymInt diagonal=0, *, Tensor(a!) out) -> Tensor(a!)")

    def compute(self, diagonal):
        diagonal = as_int(name, "diagonal", diagonal)
        if self.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        out = _new(self._shape, self._dtype, self._device)
        if _is_meta(self) or not numel_of(self._shape):
            return out
        r, c = self._shape[-2:]
        jj = np.arange(c)[None, :] - np.arange(r)[:, None]
        drop = jj > diagonal if lower else jj < diagonal
        arr = out._array()
        arr[...] = self._array()
        arr[..., drop] = 0
        return out

    @fn.impl("CPU", "Meta")
    def _tri(self, diagonal=0):
        return compute(self, diagonal)

    @fo.impl("CPU", "Meta")
    def _tri_out(self, diagonal=0, out=None):
        check_out_dtype(out, self._dtype)
        return _write_out(out, compute(self, diagonal), (self,))


_define_tri("tril", True)
_define_tri("triu", False)


# ------------------------------------------------------------------ sort family
#
# Stable sorts are unique, so NumPy's stable argsort gives PyTorch's result. Everything else
# (unstable sort, topk, kthvalue, mode) runs PyTorch's own algorithms (``_kernels/sorting``)
# over int64 order keys, so equal values come out at PyTorch's positions.

NAN_KEY = 0x7FF8000000000000  # above the key of +inf for both float widths
_RADIX_MIN = 32768  # PyTorch's GRAIN_SIZE: from here 1-D integer sorts are a stable radix sort
SORT, TOPK, TOPK_SORTED, KTHVALUE, MODE, MODE_NAN = range(6)  # select_rows' operations


def select_rows(op: int, keys: np.ndarray, idx: np.ndarray, k: int = 0,
                out: np.ndarray | None = None) -> None:
    """``op`` on every row of ``keys``/``idx`` in place (mode positions into ``out``), by
    ``_kernels.sorting.select_rows``, imported on first use."""
    from .._kernels.sorting import select_rows as kernel
    kernel(op, keys, idx, k, NAN_KEY, np.empty(0, np.int64) if out is None else out)


def order_keys(rows: np.ndarray, descending: bool = False) -> np.ndarray:
    """int64 keys ordered as PyTorch's sort comparators order ``rows``: a float maps to its
    sign-magnitude bit pattern (so -0.0 and 0.0 share a key), every NaN to one key above
    +inf; descending order complements the keys (NaN then comes first)."""
    a = _key(np.ascontiguousarray(rows))
    if a.dtype.kind == "f":
        bits = a.view(np.int32 if a.itemsize == 4 else np.int64).astype(np.int64)
        mag = bits & (0x7FFFFFFF if a.itemsize == 4 else 0x7FFFFFFFFFFFFFFF)
        keys = np.where(bits < 0, -mag, mag)
        keys[np.isnan(a)] = NAN_KEY
    else:
        keys = a.astype(np.int64)
    if descending:
        np.invert(keys, out=keys)
    return keys


def rows_along(self: Tensor, d: int) -> np.ndarray:
    """The values of ``self`` as a C-contiguous (slices, size of dim ``d``) array."""
    arr = self._array()
    if d != arr.ndim - 1:
        arr = np.moveaxis(arr, d, -1)
    return np.ascontiguousarray(arr).reshape(-1, arr.shape[-1])


def positions(rows: np.ndarray) -> np.ndarray:
    """Every row's element positions 0..n-1 (the index array the kernels permute)."""
    idx = np.empty(rows.shape, np.int64)
    idx[...] = np.arange(rows.shape[1], dtype=np.int64)
    return idx


def _stable_argsort(rows: np.ndarray, descending: bool) -> np.ndarray:
    """Stable argsort of every row; NaN is the largest value (first when descending),
    equal elements keep their order in both directions."""
    key = _key(rows)
    if not descending:
        return np.argsort(key, axis=-1, kind="stable")
    n = key.shape[-1]
    rev = np.argsort(key[..., ::-1], axis=-1, kind="stable")
    return (n - 1 - rev)[..., ::-1]


def _sort_order(self: Tensor, d: int, rows: np.ndarray, descending: bool,
                stable: bool) -> np.ndarray:
    """PyTorch's sort permutation of every row: the identity along a stride-0 dim (not
    sorted at all), a stable sort where asked or where PyTorch radix-sorts (1-D integers,
    ascending, at least GRAIN_SIZE elements), else std::sort."""
    if self._stride[d] == 0:
        return positions(rows)
    if stable or (self.ndim == 1 and not descending and rows.shape[1] >= _RADIX_MIN
                  and self._dtype.kind in "ui"):
        return _stable_argsort(rows, descending)
    keys = order_keys(rows, descending)
    idx = positions(rows)
    select_rows(SORT, keys, idx)
    return idx


def _unrows(a: np.ndarray, self: Tensor, d: int) -> np.ndarray:
    """Inverse of ``rows_along`` for a result of the same row length."""
    moved = list(self._shape)
    moved.append(moved.pop(d))
    moved[-1] = a.shape[1]
    return a.reshape(moved) if d == self.ndim - 1 else np.moveaxis(a.reshape(moved), -1, d)


def _sort_compute(self, dim, descending, stable=False):
    dim = as_int("sort", "dim", dim)
    d = normalize_dim(dim, self.ndim)
    strides = it.dense_like_strides(self)
    values = _new(self._shape, self._dtype, self._device, strides)
    indices = _new(self._shape, D.int64, self._device, strides)
    if _is_meta(self) or not numel_of(self._shape):
        return values, indices
    if self.ndim == 0:
        store(values._array(), self._array())
        store(indices._array(), 0)
        return values, indices
    rows = rows_along(self, d)
    idx = _sort_order(self, d, rows, bool(descending), bool(stable))
    store(values._array(), _unrows(np.take_along_axis(rows, idx, -1), self, d))
    store(indices._array(), _unrows(idx, self, d))
    return values, indices


sort = defop("sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor "
             "indices)")
sort_stable = defop("sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False)"
                    " -> (Tensor values, Tensor indices)")
sort_values = defop("sort.values(Tensor self, int dim=-1, bool descending=False, *, Tensor(a!) "
                    "values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)")
sort_values_stable = defop("sort.values_stable(Tensor self, *, bool? stable, int dim=-1, bool "
                           "descending=False, Tensor(a!) values, Tensor(b!) indices) -> "
                           "(Tensor(a!) values, Tensor(b!) indices)")


@sort.impl("CPU", "Meta")
def _sort(self, dim=-1, descending=False):
    return RT.sort(_sort_compute(self, dim, descending))


@sort_stable.impl("CPU", "Meta")
def _sort_stable(self, stable=None, dim=-1, descending=False):
    return RT.sort(_sort_compute(self, dim, descending, stable))


def structured_pair_check(self: Tensor, first: Tensor, second: Tensor,
                          second_dtype: D.dtype = D.int64) -> None:
    """Structured kernels' rule for two out= tensors: exactly the results' dtypes."""
    check_out_dtype(first, self._dtype)
    check_out_dtype(second, second_dtype)


def pair_out(op, functional, result_type, check=structured_pair_check) -> None:
    """Register the kernel of ``op``, an out= overload whose last two arguments are its two
    outputs: the functional result is checked against them (each op's dtype rule), written
    into them (resized to the result's dense layout when their shape differs) and returned
    as ``result_type`` (torch's ``*_out`` structseq)."""
    def run(self, *args):
        *rest, first, second = args
        res = functional(self, *rest)
        check(self, first, second)
        _write_out(first, res[0], (self,), strided=True)
        _write_out(second, res[1], (self,), strided=True)
        return result_type((first, second))
    op.impl("CPU", "Meta")(run)


pair_out(sort_values, _sort_compute, RT.sort_out)
pair_out(sort_values_stable,
         lambda self, stable, dim, descending: _sort_compute(self, dim, descending, stable),
         RT.sort_out)


argsort = defop("argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor")
argsort_stable = defop("argsort.stable(Tensor self, *, bool stable, int dim=-1, bool "
                       "descending=False) -> Tensor")
argsort_stable_out = defop("argsort.stable_out(Tensor self, *, bool stable, int dim=-1, bool "
                           "descending=False, Tensor(a!) out) -> Tensor(a!)")


@argsort.impl("CPU", "Meta")
def _argsort(self, dim=-1, descending=False):
    return _sort_compute(self, dim, descending)[1]


@argsort_stable.impl("CPU", "Meta")
def _argsort_stable(self, stable=False, dim=-1, descending=False):
    return _sort_compute(self, dim, descending, stable)[1]


@argsort_stable_out.impl("CPU", "Meta")
def _argsort_stable_out(self, stable=False, dim=-1, descending=False, out=None):
    res = _sort_compute(self, dim, descending, stable)[1]
    check_out_dtype(out, D.int64)
    return _write_out(out, res, (self,), strided=True)


msort = defop("msort(Tensor self) -> Tensor")
msort_out = defop("msort.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)")


@msort.impl("CompositeImplicitAutograd")
def _msort(self):
    return sort(self, 0)[0]


@msort_out.impl("CompositeImplicitAutograd")
def _msort_out(self, out=None):
    return sort_values(self, 0, False, values=out, indices=empty_tensor((0,), D.int64,
                                                                        self._device))[0]


def _topk_compute(self, k, dim, largest, sorted_):
    k = as_int("topk", "k", k)
    dim = as_int("topk", "dim", dim)
    d = normalize_dim(dim, self.ndim)
    size = self._shape[d] if self.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if self._dtype is D.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    shape = list(self._shape)
    if self.ndim:
        shape[d] = k
    values = _new(shape, self._dtype, self._device)
    indices = _new(shape, D.int64, self._device)
    if _is_meta(self) or not numel_of(shape):
        return values, indices
    if self.ndim == 0:
        store(values._array(), self._array())
        store(indices._array(), 0)
        return values, indices
    rows = rows_along(self, d)
    keys = order_keys(rows, bool(largest))
    idx = positions(rows)
    select_rows(TOPK_SORTED if sorted_ else TOPK, keys, idx, k)
    idx = idx[:, :k]
    store(values._array(), _unrows(np.take_along_axis(rows, idx, -1), self, d))
    store(indices._array(), _unrows(idx, self, d))
    return values, indices


topk = defop("topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> "
             "(Tensor values, Tensor indices)")
topk_values = defop("topk.values(Tensor self, SymInt k, int dim=-1, bool largest=True, bool "
                    "sorted=True, *, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) "
                    "values, Tensor(b!) indices)")


@topk.impl("CPU", "Meta")
def _topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    return RT.topk(_topk_compute(self, k, dim, largest, sorted))


pair_out(topk_values, _topk_compute, RT.topk_out)


def _kthvalue_compute(self, k, dim, keepdim):
    k = as_int("kthvalue", "k", k)
    dim = as_int("kthvalue", "dim", dim)
    d = normalize_dim(dim, self.ndim)
    size = self._shape[d] if self.ndim else 1
    if self.ndim and size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if self._dtype is D.bool_ and self.ndim:
        raise it.not_implemented("kthvalue_cpu", self._dtype)
    kshape = list(self._shape)
    if self.ndim:
        kshape[d] = 1
    shape = kshape if keepdim or not self.ndim else kshape[:d] + kshape[d + 1:]
    values = _new(shape, self._dtype, self._device)
    indices = _new(shape, D.int64, self._device)
    if _is_meta(self) or not numel_of(shape):
        return values, indices
    if self.ndim == 0:
        store(values._array(), self._array())
        store(indices._array(), 0)
        return values, indices
    rows = rows_along(self, d)
    idx = positions(rows)
    select_rows(KTHVALUE, order_keys(rows), idx, k - 1)
    idx = idx[:, k - 1:k]
    store(values._array(), np.take_along_axis(rows, idx, -1).reshape(shape))
    store(indices._array(), idx.reshape(shape))
    return values, indices


kthvalue = defop("kthvalue(Tensor self, SymInt k, int dim=-1, bool keepdim=False) -> (Tensor "
                 "values, Tensor indices)")
kthvalue_values = defop("kthvalue.values(Tensor self, SymInt k, int dim=-1, bool keepdim=False, "
                        "*, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, "
                        "Tensor(b!) indices)")


@kthvalue.impl("CPU", "Meta")
def _kthvalue(self, k, dim=-1, keepdim=False):
    return RT.kthvalue(_kthvalue_compute(self, k, dim, keepdim))


def _kthvalue_out_check(self: Tensor, values: Tensor, indices: Tensor) -> None:
    """kthvalue also refuses a values tensor that is its input itself (PyTorch's
    assert_no_overlap); partial overlaps are refused when the result is written."""
    if values._storage is self._storage and values._offset == self._offset and \
            values._shape == self._shape and values._stride == self._stride and self.numel():
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please "
                           "clone() the tensor before performing the operation.")
    structured_pair_check(self, values, indices)


pair_out(kthvalue_values, _kthvalue_compute, RT.kthvalue_out, _kthvalue_out_check)


# ------------------------------------------------------------------ unique

def _unique_flat(self: Tensor, return_inverse: bool, return_counts: bool):
    """Sorted unique values (NaNs are each distinct, -0.0 == 0.0), inverse, counts."""
    dev = self._device
    inv_shape = self._shape if return_inverse else (0,)
    if _is_meta(self):
        raise NotImplementedError("aten::_unique2: the output size depends on the data; it "
                                  "cannot run on meta tensors")
    flat = self._array().reshape(-1)
    n = flat.size
    order = np.argsort(_key(flat), kind="stable")
    srt = flat[order]
    if n:
        new = np.empty(n, dtype=bool)
        new[0] = True
        new[1:] = _key(srt[1:]) != _key(srt[:-1])
    else:
        new = np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new)
    output = _filled((starts.size,), self._dtype, dev, srt[starts])
    inverse = _new(inv_shape, D.int64, dev)
    if return_inverse and n:
        inv = np.empty(n, dtype=np.int64)
        inv[order] = np.cumsum(new) - 1
        store(inverse._array(), inv.reshape(inv_shape))
    counts = _new((starts.size if return_counts else 0,), D.int64, dev)
    if return_counts and starts.size:
        store(counts._array(), np.diff(np.append(starts, n)))
    return output, inverse, counts


def _unique_along(self: Tensor, dim: int, return_inverse: bool, return_counts: bool):
    d = normalize_dim(dim, self.ndim)
    dev = self._device
    if _is_meta(self):
        raise NotImplementedError("aten::unique_dim: the output size depends on the data; it "
                                  "cannot run on meta tensors")
    if self.numel() == 0:
        if sum(1 for n in self._shape if n == 0) != 1:
            raise RuntimeError("Number of zero sized dimensions is more than one, so unique "
                               "cannot be applied ")
        if self._shape[d] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        return (_new(self._shape, self._dtype, dev), _new((0,), D.int64, dev),
                _new((0,), D.int64, dev))
    moved = np.moveaxis(self._array(), d, 0)
    n = moved.shape[0]
    rows = np.ascontiguousarray(moved).reshape(n, -1)
    key = _key(rows)
    if key.shape[1]:
        order = np.lexsort(key.T[::-1])
        srt = key[order]
        new = np.ones(n, dtype=bool)
        new[1:] = np.any(srt[1:] != srt[:-1], axis=1)
    else:
        order = np.arange(n)
        new = np.zeros(n, dtype=bool)
        new[:1] = True
    starts = np.flatnonzero(new)
    uniq = moved[order[starts]]
    output = _filled(uniq.shape, self._dtype, dev, uniq)
    if self.ndim > 1:  # torch: contiguous in the moved layout, then moveaxis(0, dim)
        output = output.permute(*_move_back_perm(self.ndim, d))
    inverse = _new((n if return_inverse else 0,), D.int64, dev)
    if return_inverse and n:
        inv = np.empty(n, dtype=np.int64)
        inv[order] = np.cumsum(new) - 1
        store(inverse._array(), inv)
    counts = _new((starts.size if return_counts else 0,), D.int64, dev)
    if return_counts and starts.size:
        store(counts._array(), np.diff(np.append(starts, n)))
    return output, inverse, counts


def _move_back_perm(nd: int, d: int) -> list:
    """Permutation of a dim-0-moved tensor that puts dim 0 back at ``d`` (moveaxis(0, d))."""
    rest = list(range(1, nd))
    return rest[:d] + [0] + rest[d:]


unique2 = defop("_unique2(Tensor self, bool sorted=True, bool return_inverse=False, bool "
                "return_counts=False) -> (Tensor, Tensor, Tensor)", variants=("function",))
unique1 = defop("_unique(Tensor self, bool sorted=True, bool return_inverse=False) -> (Tensor, "
                "Tensor)", variants=("function",))
unique_dim = defop("unique_dim(Tensor self, int dim, bool sorted=True, bool "
                   "return_inverse=False, bool return_counts=False) -> (Tensor, Tensor, Tensor)",
                   variants=())  # torch._VF only


@unique2.impl("CPU", "Meta")
def _unique2(self, sorted=True, return_inverse=False, return_counts=False):  # noqa: A002
    return _unique_flat(self, return_inverse, return_counts)


@unique1.impl("CPU", "Meta")
def _unique1(self, sorted=True, return_inverse=False):  # noqa: A002
    return _unique_flat(self, return_inverse, False)[:2]


@unique_dim.impl("CPU", "Meta")
def _unique_dim(self, dim, sorted=True, return_inverse=False,  # noqa: A002
                return_counts=False):
    return _unique_along(self, as_int("unique_dim", "dim", dim), return_inverse,
                         return_counts)


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    """``torch.unique`` / ``Tensor.unique``: a Python function over ``_unique2`` and
    ``unique_dim`` (not an op of its own, as in torch), returning a tensor or a tuple as the
    flags ask."""
    if dim is None:
        output, inverse, counts = unique2(input, sorted, return_inverse, return_counts)
    else:
        output, inverse, counts = unique_dim(input, dim, sorted, return_inverse,
                                             return_counts)
    if return_inverse and return_counts:
        return output, inverse, counts
    if return_inverse:
        return output, inverse
    if return_counts:
        return output, counts
    return output


# ------------------------------------------------------------------ searchsorted / bucketize

def _scalar_dtype(v) -> D.dtype:
    if isinstance(v, bool):
        return D.bool_
    if isinstance(v, int):
        return D.int64
    if isinstance(v, float):
        return D.float64
    if isinstance(v, np.generic):
        return D.from_numpy_dtype(v.dtype)
    raise TypeError(f"expected a Tensor or a number, got {type(v).__name__}")


def _bsearch(bd: np.ndarray, vals: np.ndarray, right: bool, sorter) -> np.ndarray:
    """PyTorch's cus_lower_bound / cus_upper_bound for each row: bd (rows, n), vals (rows, m)
    (rows may be 1 for a shared 1-D boundary). Vectorised over all values."""
    rows, n = bd.shape
    start = np.zeros(vals.shape, dtype=np.int64)
    end = np.full(vals.shape, n, dtype=np.int64)
    ridx = np.arange(rows, dtype=np.int64)[:, None] if rows > 1 else np.zeros((1, 1), np.int64)
    ridx = np.broadcast_to(ridx, vals.shape)
    while True:
        active = start < end
        if not active.any():
            break
        mid = start + ((end - start) >> 1)
        midc = np.minimum(mid, n - 1) if n else mid
        col = sorter[ridx, midc] if sorter is not None else midc
        with np.errstate(invalid="ignore"):
            mv = bd[ridx, col]
            go_right = ~(mv > vals) if right else ~(mv >= vals)
        step = active & go_right
        start = np.where(step, mid + 1, start)
        end = np.where(active & ~go_right, mid, end)
    return start


def _searchsorted_compute(seq, self, out_int32=False, right=False, side=None, sorter=None,
                          out=None):
    scalar = not isinstance(self, Tensor)
    if not isinstance(seq, Tensor):
        raise TypeError("searchsorted(): argument 'sorted_sequence' (position 1) must be Tensor, "
                        f"not {type(seq).__name__}")
    if sorter is not None:
        if sorter._dtype is not D.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {sorter._dtype.scalar_type_name}")
        if sorter._shape != seq._shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(seq._shape)}and got sorter "
                               f"tensor {list(sorter._shape)}")
        if not _is_meta(sorter) and sorter.numel():
            s = sorter._array()
            if s.min() < 0 or s.max() >= seq._shape[-1]:
                raise RuntimeError("torch.searchsorted(): sorter index out of range")
    in_shape = () if scalar else self._shape
    in_nd = len(in_shape)
    if not (in_nd > 0 or seq.ndim == 1):
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor "
                           f"dim({seq.ndim}) and input value's dimension({in_nd}) numel(1)")
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if seq.ndim != 1 and (seq.ndim != in_nd or seq._shape[:-1] != in_shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           f"the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor "
                           f"{list(seq._shape)} and input value tensor {list(in_shape)}")
    odt = D.int32 if out_int32 else D.int64
    if out is not None and out._dtype is not odt:
        raise RuntimeError("torch.searchsorted(): output tensor's dtype is wrong, it can only be "
                           "Int(int32) or Long(int64) depending on whether out_int32 flag is "
                           f"True, but we got {out._dtype.scalar_type_name}")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError(f"torch.searchsorted(): side and right can't be set to "
                               f"opposites, got side of {side} while right was True")
        right = side == "right"
    if scalar:  # a wrapped number: torch.result_type semantics (float32 stays float32)
        _scalar_dtype(self)
        cdt = it.result_type(seq, self)
    else:
        cdt = D.promote_types(seq._dtype, self._dtype)
    if cdt is D.bool_:
        raise it.not_implemented("searchsorted_out_cpu", cdt)
    result = _new(in_shape, odt, seq._device)
    if _is_meta(seq, self, sorter) or not numel_of(in_shape):
        return result
    n = seq._shape[-1]
    if n == 0:
        store(result._array(), 0)
        return result
    kdt = np.float32 if cdt in _HALF else cdt.np_dtype
    bd = seq._array().astype(cdt.np_dtype).astype(kdt)
    vals = (np.array(self, dtype=cdt.np_dtype) if scalar
            else self._array().astype(cdt.np_dtype)).astype(kdt)
    if seq.ndim == 1:
        bd2 = bd.reshape(1, n)
        v2 = vals.reshape(1, -1)
        so = sorter._array().reshape(1, n) if sorter is not None else None
    else:
        bd2 = bd.reshape(-1, n)
        v2 = vals.reshape(bd2.shape[0], -1)
        so = sorter._array().reshape(-1, n) if sorter is not None else None
    res = _bsearch(bd2, v2, bool(right), so)
    store(result._array(), res.reshape(in_shape))
    return result


ss_tensor = defop("searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, bool "
                  "out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> "
                  "Tensor", variants=("function",))
ss_tensor_out = defop("searchsorted.Tensor_out(Tensor sorted_sequence, Tensor self, *, bool "
                      "out_int32=False, bool right=False, str? side=None, Tensor? sorter=None, "
                      "Tensor(a!) out) -> Tensor(a!)", variants=("function",))
ss_scalar = defop("searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, bool "
                  "out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> "
                  "Tensor", variants=("function",))
ss_scalar_out = defop("searchsorted.Scalar_out(Tensor sorted_sequence, Scalar self, *, bool "
                      "out_int32=False, bool right=False, str? side=None, Tensor? sorter=None, "
                      "Tensor(a!) out) -> Tensor(a!)", variants=("function",))


@ss_tensor.impl("CPU", "Meta")
def _searchsorted(seq, self, out_int32=False, right=False, side=None, sorter=None):
    return _searchsorted_compute(seq, self, out_int32, right, side, sorter)


ss_scalar.impl("CPU", "Meta")(_searchsorted)


@ss_tensor_out.impl("CPU", "Meta")
def _searchsorted_out(seq, self, out_int32=False, right=False, side=None, sorter=None,
                      out=None):
    res = _searchsorted_compute(seq, self, out_int32, right, side, sorter, out)
    return _write_out(out, res, (seq, self))


ss_scalar_out.impl("CPU", "Meta")(_searchsorted_out)


def _check_boundaries(boundaries) -> None:
    if not isinstance(boundaries, Tensor):
        raise TypeError("bucketize(): argument 'boundaries' must be Tensor, not "
                        f"{type(boundaries).__name__}")
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")


bk_tensor = defop("bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, "
                  "bool right=False) -> Tensor", variants=("function",))
bk_tensor_out = defop("bucketize.Tensor_out(Tensor self, Tensor boundaries, *, bool "
                      "out_int32=False, bool right=False, Tensor(a!) out) -> Tensor(a!)",
                      variants=("function",))
bk_scalar = defop("bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, "
                  "bool right=False) -> Tensor", variants=("function",))


@bk_tensor.impl("CPU", "Meta")
def _bucketize(self, boundaries, out_int32=False, right=False):
    _check_boundaries(boundaries)
    return _searchsorted_compute(boundaries, self, out_int32, right)


bk_scalar.impl("CPU", "Meta")(_bucketize)


@bk_tensor_out.impl("CPU", "Meta")
def _bucketize_out(self, boundaries, out_int32=False, right=False, out=None):
    _check_boundaries(boundaries)
    res = _searchsorted_compute(boundaries, self, out_int32, right, None, None, out)
    return _write_out(out, res, (boundaries, self))


# ------------------------------------------------------------------ derivatives

@flip.backward("FlipBackward0")
def _flip_backward(grad, args):
    return grad.flip(args.dims)


@roll.backward("RollBackward0")
def _roll_backward(grad, args):
    shifts = int_list("roll", "shifts", args.shifts)
    return grad.roll([-s for s in shifts], args.dims)


@repeat.backward("RepeatBackward0")
def _repeat_backward(grad, args):
    """Each input element gets the sum of its copies: split every dim into (repeat, size)
    and sum the repeat axes."""
    repeats = int_list("repeat", "repeats", args.repeats)
    shape = (1,) * (len(repeats) - args.self.ndim) + tuple(args.self.shape)
    split = [n for pair in zip(repeats, shape) for n in pair]
    return grad.reshape(split).sum(list(range(0, len(split), 2))).reshape(args.self.shape) \
        if repeats else grad


def _ri_backward(grad, args):
    """repeat_interleave: the copies of each slice along dim are summed back into it."""
    self, repeats = args.self, args.repeats
    shape = (numel_of(self.shape),) if args.dim is None else tuple(self.shape)
    d = 0 if args.dim is None else normalize_dim(args.dim, self.ndim)
    if self.ndim == 0:
        return grad.sum()
    if not isinstance(repeats, Tensor):
        split = shape[:d] + (shape[d], repeats) + shape[d + 1:]
        return grad.reshape(split).sum(d + 1).reshape(self.shape)
    from .. import arange, zeros
    counts = repeats.reshape((1,)).expand((shape[d],)) if repeats.numel() == 1 else repeats
    index = arange(shape[d]).repeat_interleave(counts)
    return zeros(shape, dtype=grad.dtype).index_add(d, index, grad).reshape(self.shape)


ri_self_int.backward("ViewBackward0", saves=("repeats",))(_ri_backward)
ri_self_tensor.backward("IndexSelectBackward0", saves=("repeats",))(_ri_backward)


def _tri_backward(lower: bool):
    def fn(grad, args):
        return grad.tril(args.diagonal) if lower else grad.triu(args.diagonal)
    return fn


for _name, _lower in (("tril", True), ("triu", False)):
    overload(_name).backward(
        f"{_name.capitalize()}Backward0")(_tri_backward(_lower))


def _sort_like_backward(grads, args):
    """sort/topk: values scattered back to where they were taken from."""
    from .reduction import _selected
    dim = normalize_dim(args.dim, max(args.self.ndim, 1))
    return _selected(grads[0], args.self, dim, args.result[1], True)


sort.backward("SortBackward0", save_result=True)(_sort_like_backward)
sort_stable.backward("SortBackward1", save_result=True)(_sort_like_backward)
topk.backward("TopkBackward0", save_result=True)(_sort_like_backward)


@kthvalue.backward("KthvalueBackward0", save_result=True)
def _kthvalue_backward(grads, args):
    from .reduction import _selected
    dim = normalize_dim(args.dim, max(args.self.ndim, 1))
    return _selected(grads[0], args.self, dim, args.result[1], args.keepdim)


def _stack_parts_backward(grad, args, dim: int, min_ndim: int):
    """hstack/vstack: the gradient slices of the concatenation, in each input's shape (an
    input of fewer than ``min_ndim`` dims was one slice)."""
    grads, pos = [], 0
    for t in args.tensors:
        n = t.shape[dim] if t.ndim >= min_ndim else 1
        grads.append(grad.narrow(dim, pos, n).reshape(t.shape))
        pos += n
    return grads


@hstack.backward("CatBackward0")
def _hstack_backward(grad, args):
    return _stack_parts_backward(grad, args, 0 if grad.ndim == 1 else 1, 1)


@vstack.backward("CatBackward0")
def _vstack_backward(grad, args):
    return _stack_parts_backward(grad, args, 0, 2)


FUNCTIONS = {"unique": unique}
OPERATORS = {"unique": unique}  # the Tensor method
