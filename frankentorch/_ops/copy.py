"""Copies: copy_ (broadcasting, dtype conversion), contiguous, clone, _to_copy / to."""
from __future__ import annotations

from .._core import dtype as D
from .._core.device import as_device, device
from .._core.layout import contiguous_format
from .._core.meta import broadcast_shapes, channels_last_strides, contiguous_strides, numel_of
from .._core.storage import Storage, store
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_tensor, flat_data
from . import iterator as it

_HALF = (D.float16, D.bfloat16)


def check_can_cast(src: D.dtype, dst: D.dtype) -> None:
    """c10::canCast for out= and in-place results: no float→int, no number→bool."""
    if (src.is_floating_point and not dst.is_floating_point) or \
            (src is not D.bool_ and dst is D.bool_):
        raise RuntimeError(f"result type {src.scalar_type_name} can't be cast to the desired output "
                           f"type {dst.scalar_type_name}")


def resize_out(out: Tensor, shape) -> None:
    """Give an out= tensor the result's shape (contiguous), growing its storage if needed."""
    shape = tuple(shape)
    if out._shape == shape:
        return
    stride = contiguous_strides(shape)
    need = (out._offset + numel_of(shape)) * out._dtype.itemsize
    st = out._storage
    if st.raw is not None and need > st.nbytes():
        grown = Storage(need, st.device)
        grown.raw[: st.nbytes()] = st.raw
        st.raw, st._nbytes = grown.raw, need
    elif st.raw is None and need > st.nbytes():
        st._nbytes = need
    out._shape, out._stride = shape, stride
    out._data = st.typed(out._dtype.np_dtype)


def copy_into(dst: Tensor, src) -> Tensor:
    """Write ``src`` (tensor broadcastable to dst, or a number) into ``dst`` with conversion."""
    shape = dst._shape
    n = numel_of(shape)
    if n == 0 or dst._data is None:
        return dst
    if src.__class__ is Tensor and src._dtype is dst._dtype and src._shape == shape and \
            src.is_contiguous() and dst.is_contiguous():  # one flat run, nothing to convert
        flat_data(dst)[:] = flat_data(src)
        return dst
    if not isinstance(src, Tensor) or dst._dtype in _HALF or src._dtype in _HALF:
        store(dst._array(), src._array() if isinstance(src, Tensor) else src)
        return dst
    sst = it.broadcast_strides(src._shape, src._stride, shape)
    kshape, (sst, dstt) = it.coalesce(shape, [sst, dst._stride])
    from .._kernels import copy as K
    kernel = K.copy_parallel if n >= it.PARALLEL_MIN else K.copy_serial
    kernel(src._data, src._offset, sst, dst._data, dst._offset, dstt, kshape)
    return dst


copy_ = defop("copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)",
              variants=("method",))


@copy_.impl("CPU", "Meta")
def _copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    shape = broadcast_shapes(self._shape, src._shape)
    if shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    it.check_writable(self, (src,))
    if src._device != self._device and src._data is None:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    if src._storage is self._storage and src._data is not None:
        src = _materialize(src)
    copy_into(self, src)
    self._bump_version()
    return self


def _materialize(t: Tensor) -> Tensor:
    out = empty_tensor(t._shape, t._dtype, t._device)
    return copy_into(out, t)


clone = defop("clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor")


def format_strides(shape, memory_format, like: Tensor | None = None) -> tuple:
    """Strides of a fresh tensor of ``shape`` in ``memory_format``; None or preserve_format
    follow ``like``'s dense layout (contiguous without ``like``)."""
    name = "preserve_format" if memory_format is None else memory_format.name
    if name == "preserve_format" and like is not None:
        return it.dense_like_strides(like)
    if name in ("preserve_format", "contiguous_format"):
        return contiguous_strides(shape)
    rank = 4 if name == "channels_last" else 5
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")
    return channels_last_strides(shape)


@clone.impl("CPU", "Meta")
def _clone(self, memory_format=None):
    """A copy with fresh storage; dense inputs keep their strides (preserve_format)."""
    out = empty_tensor(self._shape, self._dtype, self._device,
                       format_strides(self._shape, memory_format, self))
    return copy_into(out, self)


contiguous = defop("contiguous(Tensor(a) self, *, MemoryFormat memory_format=contiguous_format)"
                   " -> Tensor(a)", variants=("method",))


@contiguous.impl("CompositeImplicitAutograd")
def _contiguous(self, memory_format=None):
    if self.is_contiguous(memory_format):
        return self
    if memory_format is not None and memory_format.name == "preserve_format":
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return clone(self, memory_format=memory_format or contiguous_format)


_to_copy = defop("_to_copy(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, "
                 "Device? device=None, bool? pin_memory=None, bool non_blocking=False, "
                 "MemoryFormat? memory_format=None) -> Tensor")


@_to_copy.impl("CPU", "Meta")
def _to_copy_kernel(self, dtype=None, layout=None, device=None, pin_memory=None,
                    non_blocking=False, memory_format=None):
    dt = self._dtype if dtype is None else dtype
    dev = self._device if device is None else as_device(device)
    out = empty_tensor(self._shape, dt, dev, format_strides(self._shape, memory_format, self))
    if dev.type == "meta":
        return out
    if self._data is None:
        raise NotImplementedError("Cannot copy out of meta tensor; no data! Please consider "
                                  "using torch.empty_like(t, device=...) instead")
    return copy_into(out, self)


def parse_to(args: tuple, kwargs: dict, *, with_copy: bool = True) -> tuple:
    """Arguments of ``Tensor.to`` / ``Module.to``: ``(device, dtype, non_blocking, copy,
    memory_format)`` from ``(device, dtype, ...)``, ``(dtype, ...)`` or ``(tensor, ...)``
    followed by ``non_blocking`` (and ``copy``) flags."""
    from .._core.layout import memory_format as _memory_format
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    non_blocking = kwargs.pop("non_blocking", False)
    copy = kwargs.pop("copy", False) if with_copy else False
    fmt = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dtype, dev = other._dtype, other._device
    else:
        if rest and (isinstance(rest[0], (str, device)) or rest[0] is None):
            dev = rest.pop(0)
        if rest and (isinstance(rest[0], D.dtype) or rest[0] is None):
            dtype = rest.pop(0)
    if rest and isinstance(rest[0], bool):
        non_blocking = rest.pop(0)
    if with_copy and rest and isinstance(rest[0], bool):
        copy = rest.pop(0)
    if rest or (fmt is not None and not isinstance(fmt, _memory_format)):
        raise TypeError("to() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    if dtype is not None and not isinstance(dtype, D.dtype):
        raise TypeError(f"to(): argument 'dtype' must be torch.dtype, not "
                        f"{type(dtype).__name__}")
    return (None if dev is None else as_device(dev)), dtype, non_blocking, copy, fmt


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Tensor.to(dtype | device | tensor, ..., copy=False): self when nothing changes."""
    dev, dtype, _, copy, fmt = parse_to(args, kwargs)
    same = (dtype is None or dtype is self._dtype) and (dev is None or dev == self._device) \
        and (fmt is None or fmt.name == "preserve_format" or self.is_contiguous(fmt))
    if same and not copy:
        return self
    return _to_copy(self, dtype=dtype, device=dev, memory_format=fmt)


# ---------------------------------------------------------------- derivatives

@clone.backward("CloneBackward0")
def _clone_backward(grad, args):
    return grad


@_to_copy.backward("ToCopyBackward0")
def _to_copy_backward(grad, args):
    return grad.to(args.self.dtype)


@copy_.backward("CopyBackwards")
def _copy_backward(grad, args):
    from .creation import zeros_like
    from .reduction import sum_to
    return zeros_like(grad), sum_to(grad, args.src.shape).to(args.src.dtype)
