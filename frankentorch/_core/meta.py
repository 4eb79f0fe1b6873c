"""Tensor metadata (shape, strides in elements, storage offset, dtype, device) and its rules.

Every view and kernel goes through these checks first: NumPy and Numba kernels do not
bounds-check, so an impossible shape/stride/offset must be refused here, as a RuntimeError.
"""
from __future__ import annotations

import hashlib

from .dtype import dtype
from .device import device

__all__ = ["TensorMeta", "check_geometry", "check_numel", "contiguous_strides", "compute_view_strides",
           "broadcast_shapes", "normalize_dim", "is_contiguous_geometry", "numel_of"]

_INT64_MAX = (1 << 63) - 1


def numel_of(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


_STRIDES: dict = {}  # shape tuple -> its contiguous strides (small tensors recur constantly)


def contiguous_strides(shape) -> tuple[int, ...]:
    """Row-major strides, with size-0/1 dims treated as 1 like c10 (never a zero stride)."""
    known = _STRIDES.get(shape) if shape.__class__ is tuple else None
    if known is not None:
        return known
    strides = [1] * len(shape)
    acc = 1
    for i in range(len(shape) - 1, -1, -1):
        strides[i] = acc
        acc *= max(shape[i], 1)
    strides = tuple(strides)
    if shape.__class__ is tuple and len(_STRIDES) < 4096:
        _STRIDES[shape] = strides
    return strides


def is_contiguous_geometry(shape, strides) -> bool:
    """c10's rule: size-1 dims are ignored and an empty tensor is always contiguous."""
    if 0 in shape:
        return True
    expected = 1
    for n, st in zip(reversed(shape), reversed(strides)):
        if n != 1:
            if st != expected:
                return False
            expected *= n
    return True


_UINT64_MAX = (1 << 64) - 1


def check_numel(shape) -> int:
    """Element count, refusing shapes whose running product overflows (c10's
    safe_multiplies_u64: an overflow before a zero size still counts) or exceeds int64."""
    n = 1
    for s in shape:
        n *= s
        if n > _UINT64_MAX:
            raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    if n > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    return n


def check_geometry(shape, strides, offset: int, itemsize: int, storage_nbytes: int) -> None:
    """Refuse geometry that is negative, overflows int64 or reaches outside the storage."""
    if len(shape) != len(strides):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(strides)} strides "
                           f"for {len(shape)} dims")
    for n in shape:
        if not isinstance(n, int) or n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(shape)}")
    for st in strides:
        if st < 0:
            raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                               f"got strides: {list(strides)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    numel = check_numel(shape)
    if numel * itemsize > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    if numel == 0:
        return
    last = offset + sum((n - 1) * st for n, st in zip(shape, strides))
    need = (last + 1) * itemsize
    if need > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)} and "
                           f"strides={list(strides)}")
    if need > storage_nbytes:
        raise RuntimeError(
            f"setStorage: sizes {list(shape)}, strides {list(strides)}, storage offset {offset}, "
            f"and itemsize {itemsize} requiring a storage size of {need} are out of bounds for "
            f"storage of size {storage_nbytes}")


def normalize_dim(dim: int, ndim: int, *, wrap_scalar: bool = True) -> int:
    """Wrap a possibly negative dim like c10's maybe_wrap_dim (0-d tensors accept -1 and 0)."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = ndim
    if n <= 0:
        if not wrap_scalar:
            raise IndexError(f"dimension specified as {dim} but tensor has no dimensions")
        n = 1
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    """NumPy/PyTorch broadcasting of shapes; RuntimeError naming the mismatched dim."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        off = ndim - len(s)
        for i, n in enumerate(s):
            o = out[off + i]
            if o == n or n == 1:
                continue
            if o == 1:
                out[off + i] = n
            else:
                raise RuntimeError(
                    f"The size of tensor a ({o}) must match the size of tensor b ({n}) at "
                    f"non-singleton dimension {off + i}")
    return tuple(out)


def compute_view_strides(old_shape, old_strides, new_shape):
    """Strides that let ``new_shape`` view memory laid out as (old_shape, old_strides), or None.

    ATen's rule: old dims split into chunks that are contiguous among themselves; each chunk
    must map onto consecutive new dims with the same number of elements.
    """
    if len(old_shape) == 0:
        return (1,) * len(new_shape)
    numel = numel_of(old_shape)
    if numel == 0:
        if tuple(old_shape) == tuple(new_shape):
            return tuple(old_strides)
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1
                             and old_strides[tensor_d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


class TensorMeta:
    """Geometry and type of a tensor; the base of Tensor (no data, no ops)."""

    __slots__ = ("_shape", "_stride", "_offset", "_dtype", "_device")

    def __init__(self, shape: tuple[int, ...], stride: tuple[int, ...], offset: int,
                 dt: dtype, dev: device) -> None:
        self._shape = shape
        self._stride = stride
        self._offset = offset
        self._dtype = dt
        self._device = dev

    @property
    def dtype(self) -> dtype:
        return self._dtype

    @property
    def device(self) -> device:
        return self._device

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        return len(self._shape)

    ndimension = dim

    def numel(self) -> int:
        return numel_of(self._shape)

    nelement = numel

    def stride(self, dim: int | None = None):
        if dim is None:
            return self._stride
        return self._stride[normalize_dim(dim, len(self._shape))]

    def storage_offset(self) -> int:
        return self._offset

    def is_contiguous(self, memory_format=None) -> bool:
        return is_contiguous_geometry(self._shape, self._stride)

    def element_size(self) -> int:
        return self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def is_signed(self) -> bool:
        return self._dtype.is_signed

    @property
    def is_meta(self) -> bool:
        return self._device.type == "meta"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    def meta_fingerprint(self) -> str:
        """Deterministic SHA-256 of the geometry, dtype and device (not the values)."""
        text = (f"shape={list(self._shape)};stride={list(self._stride)};offset={self._offset};"
                f"dtype={self._dtype.name};device={self._device}")
        return hashlib.sha256(text.encode()).hexdigest()


def channels_last_strides(shape) -> tuple[int, ...]:
    """Strides of a dense (N, C, [D,] H, W) tensor stored channel-fastest (NHWC / NDHWC)."""
    nd = len(shape)
    st = [0] * nd
    st[1] = 1
    prev = 1
    acc_dim = 1
    for d in list(range(nd - 1, 1, -1)) + [0]:
        st[d] = prev * shape[acc_dim]
        prev, acc_dim = st[d], d
    return tuple(st)


def is_channels_last_contiguous(shape, stride) -> bool:
    """c10's compute_channels_last_contiguous_2d/3d: dense in (C, W, H, [D,] N) order."""
    order = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}.get(len(shape))
    if order is None:
        return False
    expected = 1
    for d in order:
        if shape[d] != 1:
            if stride[d] != expected:
                return False
            expected *= shape[d]
    return True
