"""``load``: read PyTorch ``.pt`` archives (torch >= 1.6 zip format) without executing pickle code.

Storages are copied out of a read-only memory map of the file (or shared with a private
copy-on-write map when ``mmap=True``), after their size is checked exactly against the
pickle's declaration and their CRC-32 against the archive's.
"""
from __future__ import annotations

import mmap as _mmap
import os
import sys
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._core import dtype as D
from .._core.device import CPU, device as _device
from .._core.storage import Storage
from .allowlist import StorageType, resolve
from .errors import ArchiveError, SerializationError, TruncatedArchiveError, UnpicklingError, \
    bounded
from .unpickler import RestrictedUnpickler
from .zipfmt import Record, ZipReader, check_crc32, crc_mismatch

__all__ = ["load", "Archive", "TypedStorageRef", "ENVELOPE_RECORD"]

ENVELOPE_RECORD = ".data/frankentorch_envelope.json"
_BACKGROUND_BYTES = 1 << 20
# torch < 1.6 files start with a pickled magic number (protocol 2, LONG1 of 10 bytes)
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


class TypedStorageRef:
    """A storage as a pickle refers to it: the bytes, the dtype, and the archive key."""

    __slots__ = ("storage", "dtype", "key")

    def __init__(self, storage: Storage, dt: D.dtype, key: str) -> None:
        self.storage = storage
        self.dtype = dt
        self.key = key


class Archive:
    """An opened checkpoint archive: its buffer, record table and record-name prefix."""

    def __init__(self, buf) -> None:
        if bytes(buf[:len(_LEGACY_MAGIC)]) == _LEGACY_MAGIC:
            raise ArchiveError("this checkpoint uses PyTorch's legacy (pre-1.6) format, which "
                               "frankentorch does not read; re-save it with torch.save")
        self.buf = buf
        self.zip = ZipReader(buf)
        prefixes = {n[:-len("data.pkl")] for n in self.zip.records
                    if n.endswith("/data.pkl") and n.count("/") == 1}
        if len(prefixes) != 1:
            raise ArchiveError("checkpoint archive has no single '<name>/data.pkl' record")
        self.prefix = prefixes.pop()
        if self.record("constants.pkl") is not None:
            raise ArchiveError("this archive is a TorchScript module, not a checkpoint")
        order = self.record("byteorder")
        if order is None:
            self.byteorder = sys.byteorder
        else:
            self.byteorder = bytes(self.zip.read(order)).decode("ascii", "replace")
            if self.byteorder not in ("little", "big"):
                raise ArchiveError(f"checkpoint byteorder record is "
                                   f"{bounded(self.byteorder, 20)!r}")

    def record(self, name: str) -> Record | None:
        return self.zip.records.get(self.prefix + name)

    def read(self, name: str, *, required: bool = True) -> memoryview | None:
        rec = self.record(name)
        if rec is None:
            if required:
                raise ArchiveError(f"checkpoint archive lacks the record {name!r}")
            return None
        return self.zip.read(rec)

    def storage_record(self, key: str, nbytes: int) -> Record:
        """The record of storage ``key``, its size checked exactly against ``nbytes``."""
        rec = self.record(f"data/{key}")
        if rec is None:
            raise ArchiveError(f"checkpoint archive lacks the storage record 'data/{key}'")
        if rec.size != nbytes:
            raise ArchiveError(f"checkpoint storage 'data/{key}' holds {rec.size} bytes but the "
                               f"pickle declares {nbytes}")
        return rec


class _BackgroundCRC:
    """CRC-32 of the large storage records, computed on a worker thread while the main
    thread unpickles and copies (zlib and NumPy copies both release the GIL)."""

    def __init__(self, archive: Archive) -> None:
        self.jobs = []
        big = [r for n, r in archive.zip.records.items()
               if n.startswith(archive.prefix + "data/") and r.size >= _BACKGROUND_BYTES]
        self.names = {r.name for r in big}
        self._pool = ThreadPoolExecutor(1) if big else None
        for r in big:
            view = memoryview(archive.buf)[r.offset:r.offset + r.size]
            self.jobs.append((r, self._pool.submit(zlib.crc32, view)))

    def finish(self) -> None:
        """Wait for every job; raise ArchiveError for the first mismatch."""
        try:
            for rec, job in self.jobs:
                if job.result() != rec.crc32:
                    raise crc_mismatch(rec, job.result())
        finally:
            if self._pool is not None:
                self._pool.shutdown()


def open_buffer(f, *, private_map: bool = False):
    """The bytes of ``f`` (a path or a binary file object): a memory map for files on disk."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise TruncatedArchiveError(f"checkpoint file {os.fspath(f)!r} is empty")
            access = _mmap.ACCESS_COPY if private_map else _mmap.ACCESS_READ
            return _mmap.mmap(fh.fileno(), 0, access=access)
    if not hasattr(f, "read"):
        raise TypeError(f"expected a path or a binary file object, got {type(f).__name__}")
    data = f.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("the file object must be opened in binary mode")
    return data


def _check_location(map_location, location: str) -> None:
    """Refuse a storage whose (mapped) location is not the CPU, the only device frankentorch
    computes on."""
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif map_location is None:
        target = location
    else:
        target = map_location
    try:
        dev = target if isinstance(target, _device) else _device(target)
    except (RuntimeError, TypeError) as e:
        raise SerializationError(f"map_location: {e}") from None
    if dev.type != "cpu":
        if dev.type == "cuda" and map_location is None:
            raise SerializationError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        raise SerializationError(f"frankentorch cannot load storages onto {dev}; use "
                                 "map_location='cpu'")


class _StorageLoader:
    """persistent_load for ``('storage', StorageType, key, location, numel)`` ids."""

    def __init__(self, archive: Archive, map_location, share: bool,
                 checked_elsewhere: set[str]) -> None:
        self.archive = archive
        self.map_location = map_location
        self.share = share
        self.checked_elsewhere = checked_elsewhere
        self.loaded: dict[str, TypedStorageRef] = {}

    def __call__(self, pid) -> TypedStorageRef:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnpicklingError(f"unsupported persistent id {bounded(repr(pid), 80)}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, StorageType) or not isinstance(key, str) or \
                not isinstance(location, str) or type(numel) is not int or numel < 0:
            raise UnpicklingError(f"malformed storage id {bounded(repr(pid), 120)}")
        dt = stype.dtype
        ref = self.loaded.get(key)
        if ref is not None:
            if ref.dtype is not dt:
                raise UnpicklingError(f"storage {key!r} is referenced as both {ref.dtype} and "
                                      f"{dt}")
            return ref
        nbytes = numel * dt.itemsize
        swap = self.archive.byteorder != sys.byteorder and dt.itemsize > 1
        rec = self.archive.storage_record(key, nbytes)
        raw = np.frombuffer(self.archive.buf, np.uint8, count=nbytes, offset=rec.offset)
        if not self.share and rec.name not in self.checked_elsewhere:
            check_crc32(rec, raw)
        if not self.share or swap:
            raw = raw.copy()
        if swap:
            raw.view(dt.np_dtype.newbyteorder()).byteswap(inplace=True)
        storage = Storage(nbytes, CPU, raw)
        if callable(self.map_location):
            mapped = self.map_location(storage, location)
            if mapped is not None and not isinstance(mapped, Storage):
                raise SerializationError("map_location must return a storage or None")
            storage = mapped or storage
        else:
            _check_location(self.map_location, location)
        ref = self.loaded[key] = TypedStorageRef(storage, dt, key)
        return ref


def load_archive(archive: Archive, map_location=None, *,
                 share: bool = False) -> tuple[Any, list[TypedStorageRef]]:
    """Unpickle ``data.pkl`` of an opened archive with the allowlist; also returns the
    storages it referenced. Storage CRCs are checked unless ``share`` (a memory map is not
    read at load time, so its bytes are not checked either)."""
    crc = None if share else _BackgroundCRC(archive)
    try:
        loader = _StorageLoader(archive, map_location, share, crc.names if crc else set())
        obj = RestrictedUnpickler(archive.read("data.pkl"), resolve, loader).load()
    finally:
        if crc is not None:
            crc.finish()
    return obj, list(loader.loaded.values())


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, verify: bool = False, **pickle_load_args) -> Any:
    """Load an object saved by ``torch.save`` or ``frankentorch.save``.

    Only allowlisted globals are honoured, whatever ``weights_only`` says: frankentorch never
    runs code named by a pickle (register trusted types with ``add_safe_globals``).
    ``mmap=True`` shares storages with a private copy-on-write map of the file instead of
    copying them (and, like torch, does not read them at load time: their CRCs go
    unchecked). ``verify=True`` also recomputes the SHA-256 digests of frankentorch's
    checkpoint envelope, when the file has one.
    """
    if pickle_module is not None:
        raise SerializationError("Can not safely load weights when explicit pickle_module is "
                                 "specified")
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise SerializationError("mmap=True needs a path to a file on disk")
    buf = open_buffer(f, private_map=bool(mmap))
    archive = Archive(buf)
    from .envelope import check_archive
    obj, refs = load_archive(archive, map_location, share=bool(mmap))
    for d in check_archive(archive, obj, refs, full=verify):
        warnings.warn(f"checkpoint envelope: {d}", RuntimeWarning, stacklevel=2)
    return obj
