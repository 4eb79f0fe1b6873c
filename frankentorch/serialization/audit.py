"""Describe and verify a checkpoint file: its tensors, its envelope, every checksum it has."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Callable

from .envelope import build_envelope, check_archive, decode_envelope, storage_key_of
from .errors import SerializationError
from .loader import ENVELOPE_RECORD, Archive, load_archive, open_buffer
from .zipfmt import check_crc32

__all__ = ["describe", "verify_checkpoint", "CheckpointReport"]


def describe(path) -> tuple[dict, bool]:
    """The checkpoint's envelope and whether it was stored in the file (True) or computed
    now from the file's tensors (False, e.g. for files written by ``torch.save``)."""
    archive = Archive(open_buffer(path))
    raw = archive.read(ENVELOPE_RECORD, required=False)
    if raw is not None:
        return decode_envelope(raw).envelope, True
    obj, refs = load_archive(archive)
    digests = {r.key: (r.dtype.name, r.storage.nbytes(),
                       hashlib.sha256(r.storage.raw).hexdigest()) for r in refs}
    return build_envelope(obj, storage_key_of(refs), digests, archive.byteorder), False


@dataclass
class CheckpointReport:
    """``status``: ``intact`` or ``damaged``; ``problems`` say what failed."""
    path: str
    status: str
    has_envelope: bool = False
    records: int = 0
    problems: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    sidecar: object = None


def verify_checkpoint(path, mode: str | None = None,
                      progress: Callable[[int], None] | None = None) -> CheckpointReport:
    """Check every record's CRC-32, load the object with the allowlist, and check the
    envelope (storage SHA-256 digests and content hash); also the sidecar, if present."""
    report = CheckpointReport(os.fspath(path), "intact")
    try:
        archive = Archive(open_buffer(path))
        report.records = len(archive.zip.records)
        for rec in archive.zip.records.values():
            check_crc32(rec, archive.zip.read(rec, check_crc=False))
            if progress:
                progress(rec.size)
        report.has_envelope = archive.record(ENVELOPE_RECORD) is not None
        obj, refs = load_archive(archive)
        report.diagnostics = check_archive(archive, obj, refs, full=True, mode=mode)
    except SerializationError as e:
        report.status = "damaged"
        report.problems.append(f"{type(e).__name__}: {e}")
    from .sidecar import sidecar_path, verify
    if os.path.exists(sidecar_path(path)):
        try:
            report.sidecar = verify(path)
        except SerializationError as e:
            report.problems.append(f"sidecar: {type(e).__name__}: {e}")
    return report
