"""``save``: write PyTorch's zip ``.pt`` format plus frankentorch's checkpoint envelope.

Paths are written atomically. Storage bytes go straight from tensor memory to the file;
their SHA-256 digests are computed on worker threads meanwhile (hashlib releases the GIL).
"""
from __future__ import annotations

import hashlib
import os
import sys
import zlib
from concurrent.futures import Future, ThreadPoolExecutor

from .atomic import atomic_write
from .envelope import build_envelope, encode_envelope
from .errors import SerializationError
from .loader import ENVELOPE_RECORD
from .pickler import Pickler, SavedStorage
from .zipfmt import ALIGNMENT, ZipWriter

__all__ = ["save", "write_checkpoint"]

_PREFIX = "archive/"
_PARALLEL_BYTES = 1 << 20
_CHUNK = 1 << 20


class _Inline:
    """An executor that runs each job at once (small checkpoints need no threads)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


def _sha256(saved: SavedStorage) -> str:
    return hashlib.sha256(saved.data()).hexdigest()


def _write_storage(zw: ZipWriter, saved: SavedStorage) -> None:
    """One storage record; its CRC-32 is taken chunk by chunk right after each chunk is
    written, while the chunk is still in cache."""
    zw.begin_record(f"{_PREFIX}data/{saved.key}", saved.nbytes)
    data = memoryview(saved.data())
    crc = 0
    for start in range(0, saved.nbytes, _CHUNK):
        piece = data[start:start + _CHUNK]
        zw.write_data(piece)
        crc = zlib.crc32(piece, crc)
    zw.end_record(crc)


def write_checkpoint(obj, stream) -> dict:
    """Write ``obj`` as a checkpoint archive to a binary stream; returns its envelope."""
    pickler = Pickler()
    data_pkl = pickler.dump(obj)
    storages = pickler.storages
    zw = ZipWriter(stream)
    zw.write_record(_PREFIX + "data.pkl", data_pkl)
    zw.write_record(_PREFIX + ".format_version", b"1")
    zw.write_record(_PREFIX + ".storage_alignment", str(ALIGNMENT).encode())
    zw.write_record(_PREFIX + "byteorder", sys.byteorder.encode())
    total = sum(s.nbytes for s in storages)
    with ThreadPoolExecutor(2) if total >= _PARALLEL_BYTES else _Inline() as pool:
        jobs = [pool.submit(_sha256, s) for s in storages]
        for s in storages:
            _write_storage(zw, s)
        digests = {s.key: (s.dtype.name, s.nbytes, job.result())
                   for s, job in zip(storages, jobs)}
    keys = {id(s.storage): s.key for s in storages}
    env = build_envelope(obj, lambda t: keys[id(t.untyped_storage())], digests, sys.byteorder)
    zw.write_record(_PREFIX + "version", b"3\n")
    zw.write_record(_PREFIX + ENVELOPE_RECORD, encode_envelope(env))
    serial = str(int(env["content_hash"].split(":")[1], 16))[:40].zfill(40)
    zw.write_record(_PREFIX + ".data/serialization_id", serial.encode())
    zw.finish()
    return env


def save(obj, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False,
         *, sidecar: bool = False, repair_overhead: float = 0.1) -> None:
    """Save ``obj`` (nested containers of tensors, numbers, strings) in PyTorch's format.

    ``f`` is a path (replaced atomically: temporary file, fsync, rename) or a writable binary
    file object. ``sidecar=True`` (paths only) also writes ``PATH.raptorq``, a RaptorQ repair
    sidecar with ``repair_overhead`` of redundancy.
    """
    if pickle_module is not None or pickle_protocol != 2 or not _use_new_zipfile_serialization:
        raise SerializationError("frankentorch writes only PyTorch's zip format with its own "
                                 "protocol-2 pickler")
    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, lambda fh: write_checkpoint(obj, fh))
        if sidecar:
            from .sidecar import write_sidecar
            write_sidecar(f, repair_overhead=repair_overhead)
        return
    if sidecar:
        raise SerializationError("sidecar=True needs a path, not a file object")
    write_checkpoint(obj, f)
