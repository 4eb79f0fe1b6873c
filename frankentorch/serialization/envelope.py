"""frankentorch's typed checkpoint envelope: a JSON manifest stored inside the archive.

It lists every storage (key, dtype, byte length, SHA-256) and every tensor (name, dtype,
shape, strides, offset, storage key, byte length, storage hash), plus a content hash:
SHA-256 over a canonical form of the whole object, in which plain dicts are ordered by key
(their insertion order is not meaningful) while lists, tuples and OrderedDicts keep theirs.
Decoding is versioned and fail-closed; hardened decoding reports recoverable oddities as a
bounded list of diagnostics instead of refusing them.
"""
from __future__ import annotations

import collections
import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Callable

from .._core.mode import get_mode
from .._core.size import Size
from .._core.device import device as _device
from .._core import dtype as D
from .._tensor import Tensor
from .errors import (ChecksumMismatchError, IncompatibleCheckpointError, UnknownFieldError,
                     VersionMismatchError, bounded)
from .unpickler import MAX_DEPTH

__all__ = ["SCHEMA_VERSION", "FORMAT", "build_envelope", "encode_envelope", "decode_envelope",
           "check_archive", "content_hash", "Decoded", "MAX_DIAGNOSTICS"]

SCHEMA_VERSION = 1
FORMAT = "frankentorch.checkpoint"
MAX_DIAGNOSTICS = 16

_TOP = {"format": str, "schema_version": int, "content_hash": str, "byteorder": str,
        "storages": list, "tensors": list, "writer": str}
_OPTIONAL = {"writer"}
_STORAGE = {"key": str, "dtype": str, "nbytes": int, "sha256": str}
_TENSOR = {"name": str, "dtype": str, "shape": list, "stride": list, "offset": int,
           "storage": str, "nbytes": int, "sha256": str, "requires_grad": bool}


# ------------------------------------------------------------------ canonical form

_NOT_SCALAR = object()


def _canonical_scalar(obj):
    """None, bools and strings as themselves; ints as hexadecimal text and floats as their
    exact IEEE-754 bits (JSON would lose both; hex has no length limit); ``_NOT_SCALAR`` for anything else."""
    t = type(obj)
    if obj is None or t is bool or t is str:
        return obj
    if t is int:
        return ["int", hex(obj)]
    if t is float:
        return ["float", struct.pack(">d", obj).hex()]
    return _NOT_SCALAR


def _canonical(obj, storage_key: Callable[[Tensor], str], storages: dict, seen: dict,
               names: list, path: str, depth: int):
    """A JSON-able value that depends on content only (see module docstring)."""
    if depth > MAX_DEPTH:
        raise IncompatibleCheckpointError(f"object nests deeper than {MAX_DEPTH} levels")
    scalar = _canonical_scalar(obj)
    if scalar is not _NOT_SCALAR:
        return scalar
    t = type(obj)
    if id(obj) in seen:
        return ["ref", seen[id(obj)][0]]
    seen[id(obj)] = (len(seen), obj)  # the object is kept alive so its id is not reused
    rec = lambda x, p: _canonical(x, storage_key, storages, seen, names, p, depth + 1)  # noqa
    if isinstance(obj, Tensor):
        index = storages.setdefault(storage_key(obj), len(storages))
        names.append((path or "/", obj))
        return ["tensor", obj.dtype.name, list(obj.shape), list(obj.stride()),
                obj.storage_offset(), index, obj.requires_grad, type(obj).__name__]
    if t is dict or t is collections.Counter:
        keyed = sorted(((json.dumps(_canonical_key(k), sort_keys=True), k, v)
                        for k, v in obj.items()), key=lambda e: e[0])
        return [t.__name__, [[json.loads(k), rec(v, f"{path}/{_name(key)}")]
                             for k, key, v in keyed]]
    if t is collections.OrderedDict:
        return ["OrderedDict", [[rec(k, path), rec(v, f"{path}/{_name(k)}")]
                                for k, v in obj.items()],
                rec(dict(getattr(obj, "__dict__", {})), path)]
    if t is list or t is tuple or t is Size:
        return [t.__name__, [rec(x, f"{path}/{i}") for i, x in enumerate(obj)]]
    if t is set or t is frozenset:
        return [t.__name__, sorted(json.dumps(_canonical_key(x), sort_keys=True) for x in obj)]
    if t is bytes or t is bytearray:
        return [t.__name__, bytes(obj).hex()]
    if t is complex:
        return ["complex", rec(obj.real, path), rec(obj.imag, path)]
    if t is _device or t is D.dtype:
        return [t.__name__, str(obj)]
    return ["object", f"{t.__module__}.{t.__qualname__}", repr(obj)]


def _canonical_key(k):
    """Canonical form of a dict key or set element (hashable values only)."""
    scalar = _canonical_scalar(k)
    if scalar is not _NOT_SCALAR:
        return scalar
    t = type(k)
    if t is tuple:
        return ["tuple", [_canonical_key(x) for x in k]]
    return [f"{t.__module__}.{t.__qualname__}", repr(k)]


def _name(k) -> str:
    return k if type(k) is str else repr(k)


def content_hash(obj, storage_key: Callable[[Tensor], str],
                 digests: dict[str, tuple[str, int, str]]) -> tuple[str, list]:
    """``sha256:<hex>`` of the canonical form and the (name, tensor) pairs met on the way.

    ``digests`` maps an archive storage key to (dtype name, byte length, SHA-256 hex).
    """
    order: dict[str, int] = {}
    names: list = []
    try:
        tree = _canonical(obj, storage_key, order, {}, names, "", 0)
        canon = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "tree": tree,
                 "storages": [list(digests[k]) for k in order]}
        text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except RecursionError:
        raise IncompatibleCheckpointError("object nests too deeply to hash") from None
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest(), names


# ------------------------------------------------------------------ build / encode

def build_envelope(obj, storage_key: Callable[[Tensor], str],
                   storages: dict[str, tuple[str, int, str]], byteorder: str) -> dict:
    """The envelope of ``obj`` whose storages (key -> (dtype, nbytes, sha256)) were saved."""
    chash, names = content_hash(obj, storage_key, storages)
    tensors = []
    for name, t in names:
        key = storage_key(t)
        tensors.append({"name": name, "dtype": t.dtype.name, "shape": list(t.shape),
                        "stride": list(t.stride()), "offset": t.storage_offset(),
                        "storage": key, "nbytes": t.numel() * t.element_size(),
                        "sha256": storages[key][2], "requires_grad": t.requires_grad})
    tensors.sort(key=lambda e: e["name"])
    from .. import __version__
    return {"format": FORMAT, "schema_version": SCHEMA_VERSION, "content_hash": chash,
            "byteorder": byteorder,
            "storages": [{"key": k, "dtype": d, "nbytes": n, "sha256": h}
                         for k, (d, n, h) in sorted(storages.items(), key=lambda e: int(e[0]))],
            "tensors": tensors, "writer": f"frankentorch {__version__}"}


def encode_envelope(env: dict) -> bytes:
    return json.dumps(env, sort_keys=True, separators=(",", ":")).encode()


# ------------------------------------------------------------------ decode

@dataclass
class Decoded:
    """A decoded envelope and the (bounded) diagnostics of a hardened decode."""
    envelope: dict
    diagnostics: list[str] = field(default_factory=list)


class _Diagnostics:
    def __init__(self, hardened: bool) -> None:
        self.hardened = hardened
        self.items: list[str] = []
        self.dropped = 0

    def recoverable(self, message: str, error: Exception) -> None:
        """Collect ``message`` in hardened mode; raise ``error`` in strict mode."""
        if not self.hardened:
            raise error
        if len(self.items) < MAX_DIAGNOSTICS:
            self.items.append(bounded(message, 200))
        else:
            self.dropped += 1

    def result(self) -> list[str]:
        if self.dropped:
            return self.items + [f"... {self.dropped} more diagnostics suppressed"]
        return self.items


def _fields(obj, spec: dict, where: str, diag: _Diagnostics, optional=frozenset()) -> None:
    if not isinstance(obj, dict):
        raise IncompatibleCheckpointError(f"{where} must be a JSON object")
    for k in obj:
        if k not in spec:
            diag.recoverable(f"unknown field {where}.{k} ignored", UnknownFieldError(
                f"{where}.{k}"))
    for k, typ in spec.items():
        if k not in obj:
            if k in optional:
                diag.recoverable(f"optional field {where}.{k} is missing",
                                 IncompatibleCheckpointError(f"missing field {where}.{k}"))
                continue
            raise IncompatibleCheckpointError(f"missing field {where}.{k}")
        v = obj[k]
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            raise IncompatibleCheckpointError(f"field {where}.{k} must be a {typ.__name__}")


def _check_dtype(name: str, where: str) -> None:
    if name not in {d.name for d in D.ALL_DTYPES}:
        raise IncompatibleCheckpointError(f"{where}: unsupported dtype {bounded(name, 40)!r}")


def decode_envelope(text, mode: str | None = None) -> Decoded:
    """Parse and validate an envelope. ``strict`` refuses anything unknown; ``hardened``
    tolerates unknown or missing optional fields with diagnostics (at most
    ``MAX_DIAGNOSTICS``) but refuses every incompatibility exactly as strict does."""
    diag = _Diagnostics((mode or get_mode()) == "hardened")
    try:
        env = json.loads(bytes(text).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise IncompatibleCheckpointError(f"invalid json: {bounded(str(e), 200)}") from None
    if not isinstance(env, dict):
        raise IncompatibleCheckpointError("the checkpoint envelope must be a JSON object")
    if env.get("format") != FORMAT:
        raise IncompatibleCheckpointError(f"not a frankentorch checkpoint envelope (format "
                                          f"{bounded(repr(env.get('format')), 60)})")
    if env.get("schema_version") != SCHEMA_VERSION or type(env.get("schema_version")) is not int:
        raise VersionMismatchError(SCHEMA_VERSION, env.get("schema_version"))
    _fields(env, _TOP, "envelope", diag, _OPTIONAL)
    if env["byteorder"] not in ("little", "big"):
        raise IncompatibleCheckpointError("envelope.byteorder must be 'little' or 'big'")
    keys = set()
    for i, s in enumerate(env["storages"]):
        _fields(s, _STORAGE, f"storages[{i}]", diag)
        _check_dtype(s["dtype"], f"storages[{i}]")
        if s["key"] in keys or s["nbytes"] < 0:
            raise IncompatibleCheckpointError(f"storages[{i}]: duplicate key or negative size")
        keys.add(s["key"])
    names = []
    for i, t in enumerate(env["tensors"]):
        _fields(t, _TENSOR, f"tensors[{i}]", diag)
        _check_dtype(t["dtype"], f"tensors[{i}]")
        if t["storage"] not in keys:
            raise IncompatibleCheckpointError(f"tensors[{i}] names unknown storage "
                                              f"{bounded(t['storage'], 40)!r}")
        names.append(t["name"])
    if names != sorted(names):
        diag.recoverable("tensor entries are not sorted by name",
                         IncompatibleCheckpointError("tensor entries are not sorted by name"))
    return Decoded(env, diag.result())


# ------------------------------------------------------------------ check a loaded archive

def storage_key_of(refs) -> Callable[[Tensor], str]:
    by_id = {id(r.storage): r.key for r in refs}

    def key(t: Tensor) -> str:
        try:
            return by_id[id(t.untyped_storage())]
        except KeyError:
            raise IncompatibleCheckpointError("a tensor's storage is not in the archive") \
                from None
    return key


def check_archive(archive, obj, refs, *, full: bool, mode: str | None = None) -> list[str]:
    """Check a loaded object against the archive's envelope (if it has one).

    Always: the envelope decodes, its storages match the archive records and the content
    hash of the loaded object matches. ``full`` also recomputes every storage's SHA-256.
    Returns the diagnostics of a hardened decode.
    """
    from .loader import ENVELOPE_RECORD
    raw = archive.read(ENVELOPE_RECORD, required=False)
    if raw is None:
        return []
    decoded = decode_envelope(raw, mode)
    env = decoded.envelope
    if env["byteorder"] != archive.byteorder:
        raise IncompatibleCheckpointError("envelope and archive disagree on byte order")
    digests = {}
    for s in env["storages"]:
        rec = archive.record(f"data/{s['key']}")
        if rec is None or rec.size != s["nbytes"]:
            raise IncompatibleCheckpointError(f"storage {bounded(s['key'], 40)!r} does not "
                                              "match the archive record")
        if full:
            found = hashlib.sha256(archive.zip.read(rec)).hexdigest()
            if found != s["sha256"]:
                raise ChecksumMismatchError(f"storage {s['key']}", s["sha256"], found)
        digests[s["key"]] = (s["dtype"], s["nbytes"], s["sha256"])
    chash, _ = content_hash(obj, storage_key_of(refs), digests)
    if chash != env["content_hash"]:
        raise ChecksumMismatchError("checkpoint content", env["content_hash"], chash)
    return decoded.diagnostics
