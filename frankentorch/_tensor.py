"""The Tensor class: metadata + storage + the methods that need no kernel.

Everything that computes is an op from the registry and is attached as a method by
``_ops`` (one definition per op); this module only knows how a tensor is laid out.
"""
from __future__ import annotations

import numpy as np

from ._core import dtype as _dt
from ._core.device import CPU, device
from ._core.meta import (TensorMeta, check_geometry, check_numel, contiguous_strides, is_contiguous_geometry,
                         numel_of)
from ._core.size import Size, size_of
from ._core.storage import Storage, allocate
from ._dispatch.dispatcher import tensor_keyset_bits

__all__ = ["Tensor", "make_tensor", "empty_tensor", "empty_contiguous", "from_array"]

_CPU_KEYS = tensor_keyset_bits(CPU)
_BYTES = np.dtype(np.uint8)


class Tensor(TensorMeta):
    """A strided view of a storage, with PyTorch's Tensor interface."""

    __slots__ = ("_storage", "_data", "_keys", "_requires_grad", "_grad", "_grad_fn", "_base",
                 "_view_version", "_contig", "_output_nr", "__weakref__", "__dict__")

    # ---------------------------------------------------------------- metadata

    def is_contiguous(self, memory_format=None) -> bool:
        if memory_format is not None and memory_format.name.startswith("channels_last"):
            from ._core.meta import is_channels_last_contiguous
            return len(self._shape) == (4 if memory_format.name == "channels_last" else 5) \
                and is_channels_last_contiguous(self._shape, self._stride)
        c = self._contig
        if c is None:
            c = self._contig = is_contiguous_geometry(self._shape, self._stride)
        return c

    @property
    def shape(self) -> Size:
        return size_of(self._shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return size_of(self._shape)
        from ._core.meta import normalize_dim
        return self._shape[normalize_dim(dim, len(self._shape))]

    @property
    def requires_grad(self) -> bool:
        if not self._requires_grad and self._base is not None and self._base._requires_grad:
            self.grad_fn  # a write through another view may have given this view history
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if value:
                return
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if value and not (self._dtype.is_floating_point):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> "Tensor | None":
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        """PyTorch's checks on assignment: a tensor of this tensor's dtype, device and size."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._dtype is not self._dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value._dtype.cxx_name}' to a "
                    f"tensor with grad_dtype '{self._dtype.scalar_type_name}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow "
                    "any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
                    "its gradient may break downstream systems that assume they match.")
            if value._device != self._device:
                raise RuntimeError(
                    f"attempting to assign a gradient with device type '{value._device.type}' "
                    f"to a tensor with device type '{self._device.type}'. Please ensure that "
                    "the gradient and the tensor are on the same device")
            if value._shape != self._shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._shape)}' to a "
                    f"tensor of size '{list(self._shape)}'. Please ensure that the gradient and "
                    "the tensor are the same size")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad_fn(self):
        """The node that made this tensor. A view whose storage was written in place since
        its node was recorded gets a fresh one toward its base's current history, as in
        PyTorch (``AsStridedBackward0``)."""
        fn = self._grad_fn
        base = self._base
        if base is not None and self._view_version != self._storage.version:
            self._view_version = self._storage.version
            if base._requires_grad and _view_regenerator is not None:
                fn = self._grad_fn = _view_regenerator(self)
                self._requires_grad = True
                self._output_nr = 0
        return fn

    @grad_fn.setter
    def grad_fn(self, fn) -> None:
        self._grad_fn = fn
        if self._base is not None:
            self._view_version = self._storage.version

    # ---------------------------------------------------------------- autograd

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate the gradient of this tensor into the leaves' ``.grad``."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is None:
            hooks = self.__dict__.setdefault("_tensor_hooks", [])
            hooks.append(hook)
            from .autograd.graph import _RemovableHandle
            return _RemovableHandle(hooks, hook)
        nr = self._output_nr

        def pre_hook(grads):
            r = hook(grads[nr])
            if r is None:
                return None
            return grads[:nr] + (r,) + grads[nr + 1:]
        return self.grad_fn.register_prehook(pre_hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.__dict__.get("_retains_grad"):
            return
        self.__dict__["_retains_grad"] = True

        def keep(grad):
            g = grad.detach()
            self.grad = g.clone() if self.grad is None else self.grad + g
        self.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        return bool(self.__dict__.get("_retains_grad"))

    @property
    def data(self) -> "Tensor":
        """The elements outside autograd: same memory, no history, and a version counter of
        its own (in-place writes through it are not seen by autograd), as in PyTorch."""
        s = self._storage
        alias = Storage(s._nbytes, s.device, s.raw, owner=s)
        return make_tensor(alias, self._shape, self._stride, self._offset, self._dtype,
                           self._device, check=False)

    @data.setter
    def data(self, new: "Tensor") -> None:
        """Make this tensor (same object, same autograd identity) hold ``new``'s elements."""
        if not isinstance(new, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(new).__name__}")
        for slot in ("_shape", "_stride", "_offset", "_dtype", "_device", "_storage", "_data",
                     "_keys", "_contig"):
            setattr(self, slot, getattr(new, slot))

    def detach_(self) -> "Tensor":
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def _version(self) -> int:
        return self._storage.version

    def _bump_version(self) -> None:
        self._storage.version += 1

    def untyped_storage(self) -> Storage:
        return self._storage

    def data_ptr(self) -> int:
        """Address of the first element; 0 for storages without memory (empty or meta)."""
        if self._storage.raw is None or not self._storage.nbytes():
            return 0
        return self._storage.data_ptr() + self._offset * self._dtype.itemsize

    def _is_view(self) -> bool:
        return self._base is not None

    @property
    def layout(self):
        from ._core.layout import strided
        return strided

    @property
    def T(self) -> "Tensor":
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        if self.ndim == 0:  # PyTorch: the identity on 0-d tensors
            return self
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    # ---------------------------------------------------------------- NumPy and Python values

    def _array(self) -> np.ndarray:
        """The elements as a strided NumPy view (bfloat16 via ml_dtypes); shares memory."""
        if self._data is None:
            raise NotImplementedError("Cannot access data of a tensor on the 'meta' device")
        shape = self._shape
        if 0 in shape:
            return np.empty(shape, self._data.dtype)
        if self.is_contiguous():
            return flat_data(self).reshape(shape)
        item = self._dtype.itemsize
        # a dim of size <= 1 never moves, so its stride is irrelevant (and may not fit NumPy)
        strides = tuple(s * item if n > 1 else 0 for n, s in zip(shape, self._stride))
        return np.lib.stride_tricks.as_strided(self._data[self._offset:], shape, strides)

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A NumPy array sharing this tensor's memory (PyTorch refuses bfloat16 and grads)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._dtype is _dt.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        if self._device is not CPU:
            raise TypeError(f"can't convert {self._device.type} device type tensor to numpy.")
        return self._array()

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def _py_values(self):
        arr = self._array()
        if self._dtype is _dt.bfloat16 or self._dtype is _dt.float16:
            arr = arr.astype(np.float64)
        return arr

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._py_values().reshape(()).item()

    def tolist(self):
        return self._py_values().tolist()

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.ndim == 0 and self._data is not None:
            return self.item().__format__(spec)
        return object.__format__(self, spec)


# how a view's node is rebuilt after an in-place write (installed by ``autograd``)
_view_regenerator = None


def set_view_regenerator(fn) -> None:
    global _view_regenerator
    _view_regenerator = fn


def make_tensor(storage: Storage, shape, stride, offset: int, dt: _dt.dtype,
                dev: device | None = None, *, base: Tensor | None = None,
                check: bool = True, data: np.ndarray | None = None) -> Tensor:
    """Build a tensor over ``storage``; geometry is validated unless the caller derived it
    from an already-validated tensor in a way that cannot leave the storage. ``data`` is the
    storage's typed array when the caller already has it (views of a tensor of ``dt``)."""
    shape = tuple(shape)
    stride = tuple(stride)
    if check:
        check_geometry(shape, stride, offset, dt.itemsize, storage.nbytes())
    else:
        check_numel(shape)
    dev = storage.device if dev is None else dev
    t = Tensor.__new__(Tensor)
    t._shape = shape
    t._stride = stride
    t._offset = offset
    t._dtype = dt
    t._device = dev
    t._storage = storage
    t._data = storage.typed(dt.np_dtype) if data is None else data
    t._keys = tensor_keyset_bits(dev)
    t._requires_grad = False
    t._grad = None
    t._grad_fn = None
    t._base = base
    t._view_version = storage.version
    t._contig = None
    t._output_nr = 0
    return t


def flat_data(t: Tensor) -> np.ndarray:
    """The elements of a contiguous tensor as a 1-D NumPy view (writes go to the tensor)."""
    if t._data is None:
        raise NotImplementedError("Cannot access data of a tensor on the 'meta' device")
    return t._data[t._offset:t._offset + numel_of(t._shape)]


def empty_contiguous(shape: tuple, n: int, dt: _dt.dtype) -> Tensor:
    """Fast path of ``empty_tensor`` for a CPU contiguous result of ``n`` elements."""
    data = allocate(n, dt.np_dtype)
    t = Tensor.__new__(Tensor)
    t._shape = shape
    t._stride = contiguous_strides(shape)
    t._offset = 0
    t._dtype = dt
    t._device = CPU
    t._storage = Storage(n * dt.itemsize, CPU, data.view(_BYTES))
    t._data = data
    t._keys = _CPU_KEYS
    t._requires_grad = False
    t._grad = None
    t._grad_fn = None
    t._base = None
    t._view_version = 0
    t._contig = True
    t._output_nr = 0
    return t


def empty_tensor(shape, dt: _dt.dtype, dev: device = CPU, stride=None) -> Tensor:
    """A new tensor with fresh storage (contiguous unless ``stride`` is given)."""
    shape = tuple(shape)
    contiguous = stride is None
    if contiguous:
        stride = contiguous_strides(shape)
    check_geometry(shape, stride, 0, dt.itemsize, 1 << 62)
    n = numel_of(shape)
    if contiguous and dev is CPU:
        return empty_contiguous(shape, n, dt)
    if n:
        n = 1 + sum((s - 1) * st for s, st in zip(shape, stride))
    nbytes = n * dt.itemsize
    return make_tensor(Storage(nbytes, dev), shape, stride, 0, dt, dev, check=False)


def from_array(arr: np.ndarray, dt: _dt.dtype | None = None) -> Tensor:
    """A tensor sharing the memory of a NumPy array (its strides kept)."""
    if dt is None:
        dt = _dt.from_numpy_dtype(arr.dtype)
    storage, _ = Storage.wrap(arr)
    item = arr.itemsize
    for st in arr.strides:
        if st % item:
            raise ValueError("given numpy array strides not a multiple of the element byte size. "
                             "Copy the numpy array to reallocate the memory.")
    stride = tuple(st // item for st in arr.strides)
    return make_tensor(storage, arr.shape, stride, 0, dt, CPU)
