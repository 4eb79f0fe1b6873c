"""View ops: new geometry over the same storage, with PyTorch's rules and errors.

Views derived from a valid tensor cannot leave its storage, so only ``as_strided`` (and every
view in hardened mode) re-validates geometry against the storage.
"""
from __future__ import annotations

from .._core.meta import compute_view_strides, normalize_dim, numel_of
from .._core.mode import is_hardened
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, make_tensor
from .creation import zeros
from .args import as_int, int_list
from .copy import clone
from .._core.layout import contiguous_format

__all__ = ["make_view", "infer_size", "detached"]


def make_view(self: Tensor, shape, stride, offset: int, *, check: bool = False) -> Tensor:
    base = self._base if self._base is not None else self
    return make_tensor(self._storage, shape, stride, offset, self._dtype, self._device,
                       base=base, check=check or is_hardened(), data=self._data)


def infer_size(shape, numel: int) -> tuple[int, ...]:
    """Resolve one -1 in ``shape`` for a tensor of ``numel`` elements (torch's infer_size)."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        else:
            known *= s
    if infer is not None:
        if known == 0:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                               "because the unspecified dimension size -1 can be any value and "
                               "is ambiguous")
        if numel % known == 0:
            shape = list(shape)
            shape[infer] = numel // known
            return tuple(shape)
    elif known == numel:
        return tuple(shape)
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


view = defop("view(Tensor(a) self, SymInt[] size) -> Tensor(a)", variants=("method",))


@view.impl("CompositeExplicitAutograd")
def _view(self, size):
    shape = infer_size(int_list("view", "size", size), self.numel())
    stride = compute_view_strides(self._shape, self._stride, shape)
    if stride is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return make_view(self, shape, stride, self._offset)


view_dtype = defop("view.dtype(Tensor(a) self, ScalarType dtype) -> Tensor(a)",
                   variants=("method",))


@view_dtype.impl("CompositeExplicitAutograd")
def _view_dtype(self, dtype):
    """The same bytes read as ``dtype``; with another element size the last dim (stride 1)
    splits or merges elements and every other stride and the offset rescale."""
    old, new = self._dtype.itemsize, dtype.itemsize
    shape, stride, offset = list(self._shape), list(self._stride), self._offset
    if old != new:
        what = f"to view {_LEGACY_TYPE[self._dtype.name]} as {_LEGACY_TYPE[dtype.name]} " \
               "(different element sizes)"
        if not shape:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if stride[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {stride[-1]}")
        if old > new:
            r = old // new
            shape[-1] *= r
            stride = [s * r for s in stride[:-1]] + [1]
            offset *= r
        else:
            r = new // old
            if shape[-1] % r:
                raise RuntimeError(f"self.size(-1) must be divisible by {r} {what}, but got "
                                   f"{shape[-1]}")
            if offset % r:
                raise RuntimeError(f"self.storage_offset() must be divisible by {r} {what}, "
                                   f"but got {offset}")
            if any(s % r for s in stride[:-1]):
                raise RuntimeError(f"self.stride(i) must be divisible by {r} for every i < "
                                   f"self.dim() - 1 {what}")
            shape[-1] //= r
            stride = [s // r for s in stride[:-1]] + [1]
            offset //= r
    return make_tensor(self._storage, shape, stride, offset, dtype, self._device,
                       base=None, check=is_hardened())


reshape = defop("reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)")


@reshape.impl("CompositeImplicitAutograd")
def _reshape(self, shape):
    shape = infer_size(int_list("reshape", "shape", shape), self.numel())
    stride = compute_view_strides(self._shape, self._stride, shape)
    if stride is not None:
        return view(self, shape)
    return unsafe_view(clone(self, memory_format=contiguous_format), shape)


unsafe_view = defop("_unsafe_view(Tensor self, SymInt[] size) -> Tensor", variants=())


@unsafe_view.impl("CompositeExplicitAutograd")
def _unsafe_view(self, size):
    """A reshaped alias of a fresh contiguous tensor that is not tracked as a view (how
    reshape returns its copy)."""
    shape = infer_size(int_list("_unsafe_view", "size", size), self.numel())
    return make_tensor(self._storage, shape, compute_view_strides(self._shape, self._stride,
                                                                  shape), self._offset,
                       self._dtype, self._device, base=None, check=is_hardened())


transpose = defop("transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)")


@transpose.impl("CompositeExplicitAutograd")
def _transpose(self, dim0, dim1):
    nd = self.ndim
    d0, d1 = normalize_dim(dim0, nd), normalize_dim(dim1, nd)
    shape, stride = list(self._shape), list(self._stride)
    if nd:
        shape[d0], shape[d1] = shape[d1], shape[d0]
        stride[d0], stride[d1] = stride[d1], stride[d0]
    return make_view(self, shape, stride, self._offset)


t = defop("t(Tensor(a) self) -> Tensor(a)")


@t.impl("CompositeExplicitAutograd")
def _t(self):
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.ndim}D")
    return _transpose(self, 0, -1 if self.ndim else 0) if self.ndim == 2 else \
        make_view(self, self._shape, self._stride, self._offset)


permute = defop("permute(Tensor(a) self, int[] dims) -> Tensor(a)")


@permute.impl("CompositeExplicitAutograd")
def _permute(self, dims):
    nd = self.ndim
    dims = int_list("permute", "dims", dims)
    if len(dims) != nd:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    wrapped = [normalize_dim(d, nd) for d in dims]
    if len(set(wrapped)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return make_view(self, [self._shape[d] for d in wrapped], [self._stride[d] for d in wrapped],
                     self._offset)


narrow = defop("narrow(Tensor(a) self, int dim, SymInt start, SymInt length) -> Tensor(a)")


@narrow.impl("CompositeImplicitAutograd")
def _narrow(self, dim, start, length):
    if isinstance(start, Tensor) and (start.ndim or start._dtype.kind in "bf"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    start, length = as_int("narrow", "start", start), as_int("narrow", "length", length)
    if self.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = normalize_dim(dim, self.ndim)
    size = self._shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return slice_op(self, d, start, start + length, 1)


slice_op = defop("slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, "
                 "SymInt step=1) -> Tensor(a)", variants=())


@slice_op.impl("CompositeExplicitAutograd")
def _slice(self, dim=0, start=None, end=None, step=1):
    if self.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = normalize_dim(dim, self.ndim)
    size = self._shape[d]
    start = 0 if start is None else start
    end = size if end is None else end
    if start < 0:
        start += size
    if end < 0:
        end += size
    start = min(max(start, 0), size)
    end = min(max(end, start), size)
    n = (end - start + step - 1) // step
    shape, stride = list(self._shape), list(self._stride)
    shape[d] = n
    offset = self._offset + start * stride[d]
    stride[d] *= step
    return make_view(self, shape, stride, offset)


select = defop("select.int(Tensor(a) self, int dim, SymInt index) -> Tensor(a)")


@select.impl("CompositeExplicitAutograd")
def _select(self, dim, index):
    index = as_int("select", "index", index)
    if self.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, self.ndim)
    size = self._shape[d]
    if index < -size or index >= size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(self._shape)} at dimension {dim}")
    if index < 0:
        index += size
    return make_view(self, self._shape[:d] + self._shape[d + 1:],
                     self._stride[:d] + self._stride[d + 1:],
                     self._offset + index * self._stride[d])


unsqueeze = defop("unsqueeze(Tensor(a) self, int dim) -> Tensor(a)")


@unsqueeze.impl("CompositeExplicitAutograd")
def _unsqueeze(self, dim):
    d = normalize_dim(dim, self.ndim + 1)
    st = self._shape[d] * self._stride[d] if d < self.ndim else 1
    return make_view(self, self._shape[:d] + (1,) + self._shape[d:],
                     self._stride[:d] + (st,) + self._stride[d:], self._offset)


def _squeeze_dims(self, dims):
    keep = [i for i in range(self.ndim) if not (i in dims and self._shape[i] == 1)]
    return make_view(self, [self._shape[i] for i in keep], [self._stride[i] for i in keep],
                     self._offset)


squeeze = defop("squeeze(Tensor(a) self) -> Tensor(a)")
squeeze_dim = defop("squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)")
squeeze_dims = defop("squeeze.dims(Tensor(a) self, int[] dim) -> Tensor(a)")


@squeeze.impl("CompositeExplicitAutograd")
def _squeeze(self):
    return _squeeze_dims(self, range(self.ndim))


@squeeze_dim.impl("CompositeExplicitAutograd")
def _squeeze_dim(self, dim):
    return _squeeze_dims(self, {normalize_dim(dim, self.ndim)})


@squeeze_dims.impl("CompositeExplicitAutograd")
def _squeeze_dims_op(self, dim):
    dims = int_list("squeeze", "dim", dim)
    return _squeeze_dims(self, {normalize_dim(d, self.ndim) for d in dims})


expand = defop("expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)",
               variants=("method",))


@expand.impl("CompositeExplicitAutograd")
def _expand(self, size, implicit=False):
    size = int_list("expand", "size", size)
    nd = self.ndim
    if len(size) < nd:
        raise RuntimeError(f"expand({_type_str(self)}{{{list(self._shape)}}}, size={list(size)}): "
                           f"the number of sizes provided ({len(size)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({nd})")
    n_out = len(size)
    shape, stride = [0] * n_out, [0] * n_out
    for i in range(n_out - 1, -1, -1):  # c10's inferExpandGeometry, from the last dim
        dim = nd - n_out + i
        n = self._shape[dim] if dim >= 0 else 1
        # new leading dims continue the layout; a 0-d input expands with zero strides
        st = self._stride[dim] if dim >= 0 else (
            shape[i + 1] * stride[i + 1] if i + 1 < n_out else 0)
        target = size[i]
        if target == -1:
            if dim < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            target = n
        elif target < 0:
            raise RuntimeError(f"The expanded size of the tensor ({target}) isn't allowed in a "
                               f"leading, non-existing dimension {i}" if dim < 0 else
                               f"Trying to create tensor with negative dimension {target}: "
                               f"{list(size)}")
        if n != target:
            if n != 1:
                raise RuntimeError(f"The expanded size of the tensor ({target}) must match the "
                                   f"existing size ({n}) at non-singleton dimension {i}.  Target "
                                   f"sizes: {list(size)}.  Tensor sizes: {list(self._shape)}")
            st = 0
        shape[i], stride[i] = target, st
    return make_view(self, shape, stride, self._offset)


_LEGACY_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half",
                "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _type_str(t: Tensor) -> str:
    return f"torch.{_LEGACY_TYPE[t._dtype.name]}Tensor"


expand_as = defop("expand_as(Tensor(a) self, Tensor other) -> Tensor(a)", variants=("method",))


@expand_as.impl("CompositeImplicitAutograd")
def _expand_as(self, other):
    return expand(self, other._shape)


view_as = defop("view_as(Tensor(a) self, Tensor other) -> Tensor(a)", variants=("method",))
reshape_as = defop("reshape_as(Tensor(a) self, Tensor other) -> Tensor(a)", variants=("method",))
view_as.impl("CompositeImplicitAutograd")(lambda self, other: view(self, other._shape))
reshape_as.impl("CompositeImplicitAutograd")(lambda self, other: reshape(self, other._shape))


flatten = defop("flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> "
                "Tensor(a)")


@flatten.impl("CompositeImplicitAutograd")
def _flatten(self, start_dim=0, end_dim=-1):
    nd = self.ndim
    s, e = normalize_dim(start_dim, nd), normalize_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if nd == 0:
        return reshape(self, (1,))
    if s == e:
        return self
    shape = self._shape[:s] + (numel_of(self._shape[s:e + 1]),) + self._shape[e + 1:]
    return reshape(self, shape)


unflatten = defop("unflatten.int(Tensor(a) self, int dim, SymInt[] sizes) -> Tensor(a)")


@unflatten.impl("CompositeImplicitAutograd")
def _unflatten(self, dim, sizes):
    d = normalize_dim(dim, self.ndim)
    sizes = int_list("unflatten", "sizes", sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = self._shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = numel_of(s for s in sizes if s != -1)
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor")
    sizes = infer_size(sizes, n)
    return view(self, self._shape[:d] + sizes + self._shape[d + 1:])


as_strided = defop("as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, "
                   "SymInt? storage_offset=None) -> Tensor(a)")


@as_strided.impl("CompositeExplicitAutograd")
def _as_strided(self, size, stride, storage_offset=None):
    size, stride = int_list("as_strided", "size", size), int_list("as_strided", "stride", stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    offset = self._offset if storage_offset is None else storage_offset
    return make_view(self, size, stride, offset, check=True)


def geometry(t: Tensor) -> tuple:
    """(shape, strides, offset, storage size in elements): where ``t``'s elements live."""
    return t._shape, t._stride, t._offset, t._storage.nbytes() // t._dtype.itemsize


def as_strided_grad(grad: Tensor, input_geometry: tuple, shape, stride, offset: int) -> Tensor:
    """Gradient of an input with ``input_geometry`` for its ``as_strided`` view: the view's
    gradient scattered into storage positions (summed where the view repeats one), read
    back through the input's geometry."""
    from .iterator import surely_non_overlapping
    in_shape, in_stride, in_offset, numel = input_geometry
    flat = zeros(numel, dtype=grad.dtype)
    if surely_non_overlapping(shape, stride):
        as_strided(flat, shape, stride, offset).copy_(grad)
    else:
        from .creation import arange
        index = as_strided(arange(numel), shape, stride, offset)
        flat.index_add_(0, index.reshape(-1), grad.reshape(-1))
    return as_strided(flat, in_shape, in_stride, in_offset)


@as_strided.backward("AsStridedBackward0")
def _as_strided_backward(grad, args):
    g = args.self.geometry
    return as_strided_grad(grad, g, args.size, args.stride,
                           g[2] if args.storage_offset is None else args.storage_offset)


diagonal = defop("diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)")


@diagonal.impl("CompositeExplicitAutograd")
def _diagonal(self, offset=0, dim1=0, dim2=1):
    nd = self.ndim
    d1, d2 = normalize_dim(dim1, nd), normalize_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = self._shape[d1], self._shape[d2]
    start = self._offset
    if offset >= 0:
        size = max(min(n1, n2 - offset), 0)
        if size:
            start += offset * self._stride[d2]
    else:
        size = max(min(n1 + offset, n2), 0)
        if size:
            start -= offset * self._stride[d1]
    keep = [i for i in range(nd) if i not in (d1, d2)]
    return make_view(self, [self._shape[i] for i in keep] + [size],
                     [self._stride[i] for i in keep] + [self._stride[d1] + self._stride[d2]],
                     start)


unfold = defop("unfold(Tensor(a) self, int dimension, int size, int step) -> Tensor(a)",
               variants=("method",))


def _unfold_geometry(shape, stride, dimension, size, step) -> tuple:
    """(shape, strides) of ``unfold``: windows of ``size`` every ``step`` along a dim."""
    nd = len(shape)
    shape, stride = list(shape) or [1], list(stride) or [1]
    d = normalize_dim(dimension, nd)
    if size > shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {shape[d]} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    new_shape = shape[:] + [size]
    new_stride = stride[:] + [stride[d]]
    new_shape[d] = (shape[d] - size) // step + 1
    new_stride[d] = step * stride[d]
    if nd == 0:
        new_shape, new_stride = new_shape[1:], new_stride[1:]
    return tuple(new_shape), tuple(new_stride)


@unfold.impl("CompositeExplicitAutograd")
def _unfold(self, dimension, size, step):
    shape, stride = _unfold_geometry(self._shape, self._stride, dimension, size, step)
    return make_view(self, shape, stride, self._offset)


@unfold.backward("UnfoldBackward0")
def _unfold_backward(grad, args):
    """Each input element gets the sum of its copies across overlapping windows."""
    g = args.self.geometry
    shape, stride = _unfold_geometry(g[0], g[1], args.dimension, args.size, args.step)
    return as_strided_grad(grad, g, shape, stride, g[2])


movedim = defop("movedim.intlist(Tensor(a) self, int[] source, int[] destination) -> Tensor(a)")


@movedim.impl("CompositeImplicitAutograd")
def _movedim(self, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    nd = self.ndim
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = [normalize_dim(d, nd) for d in src]
    dst = [normalize_dim(d, nd) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination)})")
    if nd == 0:
        return make_view(self, (), (), self._offset)
    order = [-1] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    order = [o if o != -1 else next(rest) for o in order]
    return permute(self, order)


def _split_sizes(size: int, split_size: int) -> list[int]:
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size="
                           f"{split_size}")
    if split_size == 0:
        if size != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        return [0]
    n = max((size + split_size - 1) // split_size, 1)
    return [split_size] * (n - 1) + [size - split_size * (n - 1)]


split = defop("split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]")
split_with_sizes = defop("split_with_sizes(Tensor(a -> *) self, SymInt[] split_sizes, int dim=0)"
                         " -> Tensor(a)[]")


@split.impl("CompositeExplicitAutograd")
def _split(self, split_size, dim=0):
    if self.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = normalize_dim(dim, self.ndim)
    return _split_with_sizes(self, _split_sizes(self._shape[d], split_size), d)


split_sizes = defop("split.sizes(Tensor(a -> *) self, SymInt[] split_size, int dim=0) -> "
                    "Tensor(a)[]")


@split_sizes.impl("CompositeImplicitAutograd")
def _split_by_sizes(self, split_size, dim=0):
    return split_with_sizes(self, split_size, dim)


@split_with_sizes.impl("CompositeExplicitAutograd")
def _split_with_sizes(self, split_sizes, dim=0):
    if self.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = normalize_dim(dim, self.ndim)
    sizes = int_list("split_with_sizes", "split_sizes", split_sizes)
    size = self._shape[d]
    if sum(sizes) != size or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                           f"(input tensor's size at dimension {d}), but got split_sizes="
                           f"{list(sizes)}")
    out, start = [], 0
    for s in sizes:
        out.append(_slice(self, d, start, start + s, 1))
        start += s
    return tuple(out)


chunk = defop("chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]")


@chunk.impl("CompositeImplicitAutograd")
def _chunk(self, chunks, dim=0):
    if self.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = normalize_dim(dim, self.ndim)
    size = self._shape[d]
    split_size = (size + chunks - 1) // chunks
    if split_size == 0 and size == 0:
        return split_with_sizes(self, [0] * chunks, d)
    return split(self, split_size, d)


unbind = defop("unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]")


@unbind.impl("CompositeExplicitAutograd")
def _unbind(self, dim=0):
    if self.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dim(dim, self.ndim)
    return tuple(_select(self, d, i) for i in range(self._shape[d]))


alias = defop("alias(Tensor(a) self) -> Tensor(a)", variants=("function",))


@alias.impl("CompositeExplicitAutograd")
def _alias(self):
    return make_view(self, self._shape, self._stride, self._offset)


@alias.backward("AliasBackward0")
def _alias_backward(grad, args):
    return grad


detach = defop("detach(Tensor(a) self) -> Tensor(a)")


@detach.impl("CompositeExplicitAutograd")
def detached(self: Tensor) -> Tensor:
    """``self`` without history: a new tensor (not a view) over the same elements."""
    return make_tensor(self._storage, self._shape, self._stride, self._offset, self._dtype,
                       self._device, base=None, check=is_hardened())


# ---------------------------------------------------------------- derivatives
# (names and formulas as PyTorch's derivatives.yaml declares them)

def _scatter_into_zeros(grad: Tensor, args, select_view) -> Tensor:
    """Gradient of a view that picks part of its input: zeros with ``grad`` written into the
    same part."""
    out = zeros(args.self.shape, dtype=grad.dtype, device=grad.device)
    select_view(out).copy_(grad)
    return out


@view.backward("ViewBackward0")
def _view_backward(grad, args):
    return grad.reshape(args.self.shape)


@unsafe_view.backward("UnsafeViewBackward0")
def _unsafe_view_backward(grad, args):
    return grad.reshape(args.self.shape)


@transpose.backward("TransposeBackward0")
def _transpose_backward(grad, args):
    return grad.transpose(args.dim0, args.dim1)


@t.backward("TBackward0")
def _t_backward(grad, args):
    return grad.t()


@permute.backward("PermuteBackward0")
def _permute_backward(grad, args):
    dims = [normalize_dim(d, len(args.self.shape)) for d in args.dims]
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return grad.permute(inverse)


@slice_op.backward("SliceBackward0")
def _slice_backward(grad, args):
    return _scatter_into_zeros(grad, args, lambda z: _slice(z, args.dim, args.start, args.end,
                                                            args.step))


@select.backward("SelectBackward0")
def _select_backward(grad, args):
    return _scatter_into_zeros(grad, args, lambda z: _select(z, args.dim, args.index))


@diagonal.backward("DiagonalBackward0")
def _diagonal_backward(grad, args):
    return _scatter_into_zeros(grad, args, lambda z: _diagonal(z, args.offset, args.dim1,
                                                               args.dim2))


@unsqueeze.backward("UnsqueezeBackward0")
def _unsqueeze_backward(grad, args):
    return grad.squeeze(args.dim)


@squeeze.backward("SqueezeBackward0")
def _squeeze_backward(grad, args):
    return grad.reshape(args.self.shape)


@squeeze_dim.backward("SqueezeBackward1")
def _squeeze_dim_backward(grad, args):
    return grad.reshape(args.self.shape)


@squeeze_dims.backward("SqueezeBackward2")
def _squeeze_dims_backward(grad, args):
    return grad.reshape(args.self.shape)


@expand.backward("ExpandBackward0")
def _expand_backward(grad, args):
    from .reduction import sum_to
    return sum_to(grad, args.self.shape)


def _pieces_backward(grads, args, pieces) -> Tensor:
    """Gradient of a split into views: each piece's gradient written back into its place."""
    out = zeros(args.self.shape, dtype=grads[0].dtype, device=grads[0].device)
    for g, piece in zip(grads, pieces(out)):
        piece.copy_(g)
    return out


@split.backward("SplitBackward0")
def _split_backward(grads, args):
    grads = grads if isinstance(grads, tuple) else (grads,)
    return _pieces_backward(grads, args, lambda z: _split(z, args.split_size, args.dim))


@split_with_sizes.backward("SplitWithSizesBackward0")
def _split_with_sizes_backward(grads, args):
    grads = grads if isinstance(grads, tuple) else (grads,)
    return _pieces_backward(grads, args,
                            lambda z: _split_with_sizes(z, args.split_sizes, args.dim))


@unbind.backward("UnbindBackward0")
def _unbind_backward(grads, args):
    grads = grads if isinstance(grads, tuple) else (grads,)
    return _pieces_backward(grads, args, lambda z: _unbind(z, args.dim))


@detach.backward("DetachBackward0", inputs=())
def _detach_backward(grad, args):  # detach is not differentiable: no input takes a gradient
    return ()


# ------------------------------------------------------------------ in-place view ops
# They change self's geometry (not its elements); autograd records them like their view.

def _restride_(self: Tensor, view: Tensor) -> Tensor:
    self._shape, self._stride, self._offset = view._shape, view._stride, view._offset
    self._contig = None
    self._bump_version()
    return self


def _inplace_view(schema: str, view_fn, node: str, formula) -> None:
    op = defop(schema, variants=("method",), tags=("inplace_view",))
    op.impl("CPU", "Meta")(lambda self, *args: _restride_(self, view_fn(self, *args)))
    op.backward(node)(formula)


_inplace_view("squeeze_(Tensor(a!) self) -> Tensor(a!)", _squeeze, "SqueezeBackward3",
              _squeeze_backward)
_inplace_view("squeeze_.dim(Tensor(a!) self, int dim) -> Tensor(a!)", _squeeze_dim,
              "SqueezeBackward4", _squeeze_backward)
_inplace_view("squeeze_.dims(Tensor(a!) self, int[] dim) -> Tensor(a!)", _squeeze_dims_op,
              "SqueezeBackward5", _squeeze_backward)
_inplace_view("unsqueeze_(Tensor(a!) self, int dim) -> Tensor(a!)", _unsqueeze,
              "UnsqueezeBackward1", _unsqueeze_backward)
_inplace_view("t_(Tensor(a!) self) -> Tensor(a!)", _t, "TBackward1", _t_backward)
_inplace_view("transpose_(Tensor(a!) self, int dim0, int dim1) -> Tensor(a!)", _transpose,
              "TransposeBackward1", _transpose_backward)
_inplace_view("as_strided_(Tensor(a!) self, SymInt[] size, SymInt[] stride, "
              "SymInt? storage_offset=None) -> Tensor(a!)", _as_strided, "AsStridedBackward1",
              _as_strided_backward)
