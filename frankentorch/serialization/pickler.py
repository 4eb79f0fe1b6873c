"""Protocol-2 pickle writer for checkpoint objects, byte-compatible with ``torch.save``.

Only the types a checkpoint may hold are written (containers, scalars, strings, bytes,
tensors, parameters, dtypes, sizes, devices), each with the globals ``torch.load``
(``weights_only=True``) accepts; anything else is refused rather than pickled by reference.
"""
from __future__ import annotations

import collections
import struct

from .._core import dtype as D
from .._core.device import device as _device
from .._core.size import Size
from .._core.storage import Storage
from .._tensor import Tensor
from .allowlist import STORAGE_TYPE_NAMES
from .errors import SerializationError, UnsupportedTypeError
from .unpickler import MAX_DEPTH

__all__ = ["Pickler", "SavedStorage"]

_BATCH = 1000


class SavedStorage:
    """A storage the pickle refers to: archive key, bytes to write, dtype."""

    __slots__ = ("key", "storage", "dtype", "nbytes")

    def __init__(self, key: str, storage: Storage, dt: D.dtype) -> None:
        self.key = key
        self.storage = storage
        self.dtype = dt
        self.nbytes = storage.nbytes() // dt.itemsize * dt.itemsize

    def data(self):
        return self.storage.raw[:self.nbytes]


def _encode_long(x: int) -> bytes:
    if x == 0:
        return b""
    n = (x.bit_length() >> 3) + 1
    out = x.to_bytes(n, "little", signed=True)
    if x < 0 and n > 1 and out[-1] == 0xFF and out[-2] & 0x80:
        out = out[:-1]
    return out


class Pickler:
    """Writes one object; ``storages`` lists the tensor storages it referenced, keyed
    ``"0"``, ``"1"``, ... in order of first use (as torch numbers them)."""

    def __init__(self) -> None:
        self._out: list[bytes] = []
        self._memo: dict[int, int] = {}
        self._globals: dict[tuple[str, str], int] = {}
        self._keep: list = []
        self._by_storage: dict[int, SavedStorage] = {}
        self.storages: list[SavedStorage] = []

    def dump(self, obj) -> bytes:
        self._out.append(b"\x80\x02")
        try:
            self._save(obj, 0)
        except RecursionError:
            raise SerializationError("object nests too deeply to save") from None
        self._out.append(b".")
        return b"".join(self._out)

    # ---------------------------------------------------------------- memo

    def _put(self, obj) -> None:
        i = len(self._memo) + len(self._globals)
        self._memo[id(obj)] = i
        self._keep.append(obj)
        self._out.append(b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i))

    def _get(self, i: int) -> None:
        self._out.append(b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i))

    def _global(self, module: str, name: str) -> None:
        i = self._globals.get((module, name))
        if i is not None:
            self._get(i)
            return
        self._out.append(f"c{module}\n{name}\n".encode())
        i = len(self._memo) + len(self._globals)
        self._globals[(module, name)] = i
        self._out.append(b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i))

    # ---------------------------------------------------------------- values

    def _save(self, obj, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise SerializationError(f"object nests containers deeper than {MAX_DEPTH} levels")
        i = self._memo.get(id(obj))
        if i is not None:
            self._get(i)
            return
        t = type(obj)
        out = self._out
        if obj is None:
            out.append(b"N")
        elif t is bool:
            out.append(b"\x88" if obj else b"\x89")
        elif t is int:
            self._int(obj)
        elif t is float:
            out.append(b"G" + struct.pack(">d", obj))
        elif t is str:
            raw = obj.encode("utf-8", "surrogatepass")
            out.append(b"X" + struct.pack("<I", len(raw)) + raw)
            self._put(obj)
        else:
            self._save_object(obj, t, depth + 1)

    def _int(self, v: int) -> None:
        if 0 <= v < 256:
            self._out.append(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            self._out.append(b"M" + struct.pack("<H", v))
        elif -(1 << 31) <= v < (1 << 31):
            self._out.append(b"J" + struct.pack("<i", v))
        else:
            raw = _encode_long(v)
            self._out.append((b"\x8a" + bytes([len(raw)]) if len(raw) < 256
                              else b"\x8b" + struct.pack("<i", len(raw))) + raw)

    def _save_object(self, obj, t, depth: int) -> None:
        if isinstance(obj, Tensor):
            self._tensor(obj, depth)
        elif t is tuple or t is Size:
            self._tuple(obj, t, depth)
        elif t is list:
            self._out.append(b"]")
            self._put(obj)
            self._batched(obj, depth, b"a", b"e", lambda x: (x,))
        elif t is dict:
            self._out.append(b"}")
            self._put(obj)
            self._batched(list(obj.items()), depth, b"s", b"u", lambda kv: kv)
        elif t is collections.OrderedDict:
            self._call("collections", "OrderedDict", (), depth)
            self._put(obj)
            self._batched(list(obj.items()), depth, b"s", b"u", lambda kv: kv)
            state = getattr(obj, "__dict__", None)
            if state:
                self._save(dict(state), depth)
                self._out.append(b"b")
        elif t is collections.Counter:
            self._call("collections", "Counter", (dict(obj),), depth, memo=obj)
        elif t is set:
            self._call("__builtin__", "set", (list(obj),), depth, memo=obj)
        elif t is complex:
            self._call("__builtin__", "complex", (obj.real, obj.imag), depth)
        elif t is bytes:
            self._call("_codecs", "encode", (obj.decode("latin1"), "latin1"), depth, memo=obj)
        elif t is bytearray:
            self._call("__builtin__", "bytearray", (bytes(obj),), depth, memo=obj)
        elif t is _device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            self._call("torch", "device", args, depth, memo=obj)
        elif t is D.dtype:
            self._global("torch", obj.name)
        else:
            hint = " (convert NumPy values with .item() or frankentorch.from_numpy)" \
                if t.__module__ == "numpy" else ""
            raise UnsupportedTypeError(
                f"cannot save an object of type {t.__module__}.{t.__qualname__} in a "
                f"checkpoint{hint}; frankentorch saves containers, numbers, strings, bytes "
                "and tensors")

    def _call(self, module: str, name: str, args: tuple, depth: int, *, memo=None) -> None:
        self._global(module, name)
        self._tuple(args, tuple, depth)
        self._out.append(b"R")
        if memo is not None:
            self._put(memo)

    def _tuple(self, obj, t, depth: int) -> None:
        if t is Size:
            self._call("torch", "Size", (tuple(obj),), depth, memo=obj)
            return
        n = len(obj)
        if n == 0:
            self._out.append(b")")
            return
        if n > 3:
            self._out.append(b"(")
        for x in obj:
            self._save(x, depth)
        if id(obj) in self._memo:  # reached itself through a mutable element
            self._out.append(b"1" if n > 3 else b"0" * n)
            self._get(self._memo[id(obj)])
            return
        self._out.append(b"t" if n > 3 else (b"\x85", b"\x86", b"\x87")[n - 1])
        self._put(obj)

    def _batched(self, items: list, depth: int, one: bytes, many: bytes, parts) -> None:
        for start in range(0, len(items), _BATCH):
            batch = items[start:start + _BATCH]
            if len(batch) > 1:
                self._out.append(b"(")
            for item in batch:
                for x in parts(item):
                    self._save(x, depth)
            self._out.append(many if len(batch) > 1 else one)

    # ---------------------------------------------------------------- tensors

    def _storage(self, t: Tensor) -> SavedStorage:
        st = t.untyped_storage()
        saved = self._by_storage.get(id(st))
        if saved is None:
            if st.device.type != "cpu":
                raise SerializationError(f"cannot save a tensor on the {st.device} device")
            saved = SavedStorage(str(len(self.storages)), st, t.dtype)
            self._by_storage[id(st)] = saved
            self.storages.append(saved)
        elif saved.dtype is not t.dtype:
            raise SerializationError("Cannot save multiple tensors or storages that view the "
                                     "same data as different types")
        return saved

    def _tensor(self, t: Tensor, depth: int) -> None:
        from ..nn.parameter import Parameter
        saved = self._storage(t)
        out = self._out
        is_param = isinstance(t, Parameter)
        if is_param:
            self._global("torch._utils", "_rebuild_parameter")
        self._global("torch._utils", "_rebuild_tensor_v2")
        out.append(b"((")
        self._save("storage", depth)
        self._global("torch", STORAGE_TYPE_NAMES[saved.dtype])
        self._save(saved.key, depth)
        self._save("cpu", depth)
        self._int(saved.nbytes // saved.dtype.itemsize)
        out.append(b"tQ")
        self._int(t.storage_offset())
        self._save(tuple(t.shape), depth)  # may be a tuple object saved before
        self._save(tuple(t.stride()), depth)
        out.append(b"\x88" if t.requires_grad and not is_param else b"\x89")
        self._call("collections", "OrderedDict", (), depth)
        out.append(b"tR")
        if is_param:
            out.append(b"\x88" if t.requires_grad else b"\x89")
            self._call("collections", "OrderedDict", (), depth)
            out.append(b"\x87R")
        self._put(t)
