"""The globals a checkpoint pickle may name, and what each resolves to in frankentorch.

These are the names ``torch.save`` writes for tensors, parameters, state_dicts and plain
Python values (the same set ``torch.load(weights_only=True)`` accepts). Nothing is imported
by name: each entry maps to a frankentorch object or a small function that checks its
arguments. Users may add types they trust with :func:`add_safe_globals`.
"""
from __future__ import annotations

import collections
import contextlib
from typing import Any, Iterable

from .._core import dtype as D
from .._core.device import device as _device
from .._core.layout import strided
from .._core.size import Size
from .._tensor import Tensor
from .errors import UnpicklingError, UnsafeGlobalError, bounded
from .unpickler import Global

__all__ = ["StorageType", "STORAGE_TYPE_NAMES", "resolve", "add_safe_globals",
           "get_safe_globals", "clear_safe_globals", "safe_globals", "REBUILD_TENSOR_V2",
           "REBUILD_PARAMETER", "set_state"]

STORAGE_TYPE_NAMES = {
    D.float32: "FloatStorage", D.float64: "DoubleStorage", D.float16: "HalfStorage",
    D.bfloat16: "BFloat16Storage", D.int64: "LongStorage", D.int32: "IntStorage",
    D.int16: "ShortStorage", D.int8: "CharStorage", D.uint8: "ByteStorage",
    D.bool_: "BoolStorage",
}
_UNSUPPORTED_STORAGES = ("ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage",
                         "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                         "QUInt2x4Storage")
REBUILD_TENSOR_V2 = ("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = ("torch._utils", "_rebuild_parameter")


class StorageType:
    """Stands for ``torch.FloatStorage`` and friends in a pickle: the dtype of a storage."""

    __slots__ = ("dtype",)

    def __init__(self, dt: D.dtype) -> None:
        self.dtype = dt

    def __repr__(self) -> str:
        return f"StorageType(dtype={self.dtype})"


def _ints(value, what: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(
            type(v) is int for v in value):
        raise UnpicklingError(f"tensor {what} must be a tuple of ints, got "
                              f"{bounded(repr(value), 80)}")
    return tuple(value)


def _set_dict_state(obj, state) -> None:
    """BUILD for OrderedDict/Counter (a state_dict's ``_metadata``): plain attributes only."""
    if not isinstance(state, dict) or not all(type(k) is str for k in state):
        raise UnpicklingError("pickle BUILD state for a dict must be a dict of str keys")
    obj.__dict__.update(state)


def set_state(obj, state) -> None:
    """Apply a pickled ``state`` to a tensor the way torch does, refusing private names
    (they would shadow frankentorch's own bookkeeping)."""
    if state is None or state == {}:
        return
    if isinstance(state, tuple) and len(state) == 2 and not state[1]:
        state = state[0]
    if not isinstance(state, dict) or not all(
            type(k) is str and not k.startswith("_") for k in state):
        raise UnpicklingError("tensor state must be a dict of public attribute names")
    obj.__dict__.update(state)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    from .loader import TypedStorageRef
    if not isinstance(storage, TypedStorageRef):
        raise UnpicklingError("_rebuild_tensor_v2: the storage is not a checkpoint storage")
    return _rebuild(storage, storage.dtype, storage_offset, size, stride, requires_grad,
                    backward_hooks, metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    from .loader import TypedStorageRef
    if not isinstance(storage, TypedStorageRef) or not isinstance(dtype, D.dtype):
        raise UnpicklingError("_rebuild_tensor_v3: malformed storage or dtype")
    if storage.dtype is not D.uint8 and storage.dtype is not dtype:
        raise UnpicklingError("_rebuild_tensor_v3: storage and tensor dtypes differ")
    return _rebuild(storage, dtype, storage_offset, size, stride, requires_grad,
                    backward_hooks, metadata)


def _rebuild(ref, dt, offset, size, stride, requires_grad, backward_hooks, metadata):
    from .._tensor import make_tensor
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(offset) is not int or type(requires_grad) is not bool:
        raise UnpicklingError("tensor storage offset must be an int and requires_grad a bool")
    if backward_hooks:
        raise UnpicklingError("checkpoint tensors cannot carry backward hooks")
    if metadata:
        raise UnpicklingError(f"unsupported tensor metadata {bounded(repr(metadata), 80)}")
    if ref.storage.nbytes() % dt.itemsize:
        raise UnpicklingError(f"a {dt} tensor cannot view a storage of "
                              f"{ref.storage.nbytes()} bytes")
    try:
        t = make_tensor(ref.storage, size, stride, offset, dt, check=True)
        if requires_grad:
            t.requires_grad = True
    except (RuntimeError, TypeError, ValueError) as e:
        raise UnpicklingError(f"invalid tensor metadata: {bounded(str(e), 240)}") from None
    return t


def _parameter_class():
    from ..nn.parameter import Parameter
    return Parameter


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return _rebuild_parameter_with_state(data, requires_grad, backward_hooks, None)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    if not isinstance(data, Tensor) or type(requires_grad) is not bool:
        raise UnpicklingError("_rebuild_parameter: malformed arguments")
    if backward_hooks:
        raise UnpicklingError("checkpoint parameters cannot carry backward hooks")
    try:
        p = _parameter_class()(data, requires_grad)
    except RuntimeError as e:
        raise UnpicklingError(f"invalid parameter: {bounded(str(e), 200)}") from None
    set_state(p, state)
    return p


_REBUILDERS = (_rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDERS or not isinstance(args, tuple):
        raise UnpicklingError("_rebuild_from_type_v2: unsupported rebuild function")
    t = func(*args)
    if new_type is _parameter_class() and type(t) is Tensor:
        t = _rebuild_parameter(t, t.requires_grad, None)
    elif new_type is not type(t):
        raise UnpicklingError(f"_rebuild_from_type_v2: unsupported tensor type "
                              f"{bounded(repr(new_type), 80)}")
    set_state(t, state)
    return t


def _make_size(sizes=()):
    return Size(_ints(sizes, "Size"))


def _make_device(kind, index=None):
    if not isinstance(kind, str) or (index is not None and type(index) is not int):
        raise UnpicklingError("torch.device: malformed arguments")
    return _device(kind, index)


def _encode(text, encoding="latin1"):
    """``_codecs.encode``: how protocol-2 pickles spell bytes (only latin-1 text)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnpicklingError("_codecs.encode is allowed only for latin-1 text")
    return text.encode("latin1")


def _checked(cls, arg_types):
    """``cls(*args)`` for at most two arguments of ``arg_types`` (never sizes, which would
    let a pickle allocate at will)."""
    def make(*args):
        if not all(isinstance(a, arg_types) for a in args) or len(args) > 2:
            raise UnpicklingError(f"{cls.__name__}(): malformed arguments")
        return cls(*args)
    return make


def _get_layout(name):
    if name != "torch.strided":
        raise UnpicklingError(f"unsupported layout {bounded(repr(name), 40)}")
    return strided


def _builtin_globals() -> dict[tuple[str, str], Global]:
    g: dict[tuple[str, str], Global] = {
        ("collections", "OrderedDict"): Global(collections.OrderedDict,
                                               _checked(collections.OrderedDict, (list, dict)),
                                               _set_dict_state, newobj=True),
        ("collections", "Counter"): Global(collections.Counter,
                                           _checked(collections.Counter, (list, dict)),
                                           _set_dict_state),
        ("builtins", "set"): Global(set, _checked(set, (list, tuple))),
        ("builtins", "frozenset"): Global(frozenset, _checked(frozenset, (list, tuple))),
        ("builtins", "complex"): Global(complex, _checked(complex, (int, float))),
        ("builtins", "bytearray"): Global(bytearray, _checked(bytearray, (bytes, bytearray))),
        ("builtins", "bytes"): Global(bytes, _checked(bytes, (bytes,))),
        ("_codecs", "encode"): Global(_encode, _encode),
        ("torch", "Size"): Global(Size, _make_size),
        ("torch", "device"): Global(_device, _make_device),
        ("torch", "Tensor"): Global(Tensor),
        ("torch.serialization", "_get_layout"): Global(_get_layout, _get_layout),
        ("torch._tensor", "_rebuild_from_type_v2"): Global(_rebuild_from_type_v2,
                                                           _rebuild_from_type_v2),
    }
    for f in _REBUILDERS:
        g[("torch._utils", f.__name__)] = Global(f, f)
    for dt in D.ALL_DTYPES:
        g[("torch", dt.name)] = Global(dt)
    for dt, name in STORAGE_TYPE_NAMES.items():
        g[("torch", name)] = Global(StorageType(dt))
    g[("torch", "UntypedStorage")] = Global(StorageType(D.uint8))
    return g


_BUILTIN = _builtin_globals()
_user: dict[tuple[str, str], Any] = {}


def _user_global(obj) -> Global:
    def build(target, state):
        if hasattr(target, "__setstate__") and type(target).__setstate__ is not \
                object.__dict__.get("__setstate__"):
            target.__setstate__(state)
            return
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if state:
            target.__dict__.update(state)
        for k, v in (slots or {}).items():
            setattr(target, k, v)
    if isinstance(obj, type):
        return Global(obj, obj, build, newobj=True)
    return Global(obj, obj if callable(obj) else None)


def resolve(module: str, name: str) -> Global:
    """The allowlisted meaning of ``module.name``; UnsafeGlobalError for anything else."""
    key = (module, name)
    if key in _BUILTIN:
        return _BUILTIN[key]
    if key == ("torch.nn.parameter", "Parameter"):
        return Global(_parameter_class())
    if key in _user:
        return _user_global(_user[key])
    if module == "torch" and (name in _UNSUPPORTED_STORAGES or name.startswith(("uint", "complex",
                                                                              "float8"))):
        raise UnpicklingError(f"checkpoint uses torch.{bounded(name, 40)}, a dtype frankentorch "
                              "does not support")
    raise UnsafeGlobalError(f"{module}.{name}")


def _key_of(entry) -> tuple[tuple[str, str], Any]:
    if isinstance(entry, tuple):
        obj, full = entry
        module, _, name = full.rpartition(".")
    else:
        obj = entry
        module, name = obj.__module__, obj.__qualname__
    return (module, name), obj


def add_safe_globals(safe_globals: Iterable) -> None:
    """Allow these (user-trusted) classes or functions in checkpoints, like torch's function
    of the same name; entries are objects or ``(object, "module.name")`` pairs."""
    for entry in safe_globals:
        key, obj = _key_of(entry)
        _user[key] = obj


def get_safe_globals() -> list:
    return list(_user.values())


def clear_safe_globals() -> None:
    _user.clear()


@contextlib.contextmanager
def safe_globals(entries: Iterable):
    """Allow ``entries`` inside a ``with`` block only."""
    saved = dict(_user)
    add_safe_globals(entries)
    try:
        yield
    finally:
        _user.clear()
        _user.update(saved)
