"""RaptorQ (RFC 6330) repair sidecars: ``PATH.raptorq`` heals a damaged file bit-exactly.

The file is cut into blocks of at most 512 symbols, each encoded on its own (so every source
symbol is an exact slice of the file); only repair symbols are stored. An erasure code
silently accepts a *corrupted* symbol, so every source symbol and repair packet is hashed
(SHA-256) and any mismatch is treated as an erasure. Repair decodes damaged blocks, checks
the whole-file SHA-256, replaces the file atomically and writes a deterministic decode
proof; when the damage exceeds the budget it fails closed and leaves the file untouched.

Sidecar layout: magic, u32 manifest length, manifest (JSON), SHA-256 of the manifest,
digest tables (per block: source symbol digests, repair packet digests), repair packets.
"""
from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from .atomic import atomic_write
from .errors import RepairError, SidecarError, bounded

__all__ = ["write_sidecar", "verify", "repair", "SidecarReport", "BlockDamage",
           "sidecar_path", "proof_path", "HEADROOM", "BLOCK_SYMBOLS"]

FORMAT = "frankentorch.raptorq-sidecar"
PROOF_FORMAT = "frankentorch.raptorq-decode-proof"
SCHEMA_VERSION = 1
MAGIC = b"FTRQSC\x00\x01"
BLOCK_SYMBOLS = 512
MAX_SYMBOL = 8192
HEADROOM = 4
_DIGEST = 32
_MANIFEST_LIMIT = 1 << 26


def sidecar_path(path) -> str:
    return os.fspath(path) + ".raptorq"


def proof_path(path) -> str:
    return os.fspath(path) + ".decode_proof.json"


def _symbol_size(length: int) -> int:
    """8 KiB symbols for large files; smaller ones (a multiple of 8) keep small files at
    up to ``BLOCK_SYMBOLS`` symbols so damage stays local."""
    t = -(-max(length, 1) // BLOCK_SYMBOLS)
    return min(MAX_SYMBOL, max(64, -(-t // 8) * 8))


def _sha(data) -> bytes:
    return hashlib.sha256(data).digest()


def _symbols(block, t: int) -> list[bytes]:
    """The block's source symbols, the last one zero-padded to ``t`` bytes."""
    k = -(-len(block) // t)
    out = [bytes(block[i * t:(i + 1) * t]) for i in range(k)]
    if out and len(out[-1]) < t:
        out[-1] = out[-1].ljust(t, b"\0")
    return out


def _symbol_digests(block, t: int) -> list[bytes]:
    """SHA-256 of each source symbol of ``block`` (the last one zero-padded); a zero-length
    block has one all-zero symbol."""
    view = memoryview(block)
    out = []
    for start in range(0, len(block), t):
        h = hashlib.sha256(view[start:start + t])
        if start + t > len(block):
            h.update(bytes(start + t - len(block)))
        out.append(h.digest())
    return out or [_sha(bytes(t))]


def _hash_in_parallel(data, spans: list[tuple[int, int]], t: int) -> tuple[str, list]:
    """(file SHA-256, per-span symbol digests), on two threads: hashlib releases the GIL."""
    with ThreadPoolExecutor(2) as pool:
        whole = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        digests = [_symbol_digests(memoryview(data)[a:b], t) for a, b in spans]
        return whole.result(), digests


def _raptorq():
    import raptorq
    return raptorq


def _codec_call(fn, *args):
    """Call into the codec; a Rust panic (a BaseException) becomes a SidecarError."""
    try:
        return fn(*args)
    except Exception as e:
        raise SidecarError(f"raptorq failure: {bounded(str(e), 200)}") from None
    except BaseException as e:
        if type(e).__name__ == "PanicException":
            raise SidecarError(f"raptorq failure: {bounded(str(e), 200)}") from None
        raise


def _read_file(path) -> bytes:
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m[:]


# ------------------------------------------------------------------ encode

def write_sidecar(path, repair_overhead: float = 0.1,
                  progress: Callable[[int], None] | None = None) -> dict:
    """Write ``PATH.raptorq`` for the file at ``path``; returns the manifest.

    Each block of K source symbols gets ``ceil(K * repair_overhead) + HEADROOM`` repair
    symbols: the budget is ``ceil(K * repair_overhead)`` lost or damaged symbols per block,
    the headroom keeps the decoder's failure probability negligible.
    """
    if not (0 < repair_overhead <= 1):
        raise ValueError("repair_overhead must be in (0, 1]")
    data = _read_file(path)
    n = len(data)
    t = _symbol_size(n)
    spans = [(o, min(o + BLOCK_SYMBOLS * t, n)) for o in range(0, max(n, 1), BLOCK_SYMBOLS * t)]
    file_sha, all_digests = _hash_in_parallel(data, spans, t)
    blocks, tables, packets = [], [], []
    for (start, end), sym_digests in zip(spans, all_digests):
        block = data[start:end]
        k = len(sym_digests)
        r = math.ceil(k * repair_overhead) + HEADROOM
        repairs = _encode_block(block, t, k, r)
        tables.append(b"".join(sym_digests) + b"".join(_sha(p) for p in repairs))
        packets.append(b"".join(repairs))
        blocks.append({"offset": start, "length": end - start, "source_symbols": k,
                       "repair_symbols": r,
                       "block_sha256": hashlib.sha256(b"".join(sym_digests)).hexdigest()})
        if progress:
            progress(end - start)
    table_bytes = b"".join(tables)
    manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "file_length": n,
                "file_sha256": file_sha, "symbol_size": t,
                "repair_overhead": repair_overhead, "headroom": HEADROOM, "blocks": blocks,
                "tables_sha256": hashlib.sha256(table_bytes).hexdigest()}
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()

    def write(fh) -> None:
        fh.write(MAGIC + struct.pack("<I", len(text)) + text + _sha(text))
        fh.write(table_bytes)
        for p in packets:
            fh.write(p)
    atomic_write(sidecar_path(path), write)
    return manifest


def _encode_block(block: bytes, t: int, k: int, r: int) -> list[bytes]:
    rq = _raptorq()
    payload = block if block else b"\0"
    enc = _codec_call(rq.Encoder.with_defaults, payload, t)
    out = _codec_call(enc.get_encoded_packets, r)
    repairs = [p for p in out if int.from_bytes(p[1:4], "big") >= k]
    if len(out) != k + r or len(repairs) != r or any(p[0] != 0 or len(p) != t + 4 for p in out):
        raise SidecarError("raptorq did not encode the block as one systematic source block")
    return repairs


# ------------------------------------------------------------------ read a sidecar

@dataclass
class _Sidecar:
    manifest: dict
    source_digests: list[list[bytes]]
    repair_digests: list[list[bytes]]
    packets: list[list[bytes]]
    sha256: str


def _load_sidecar(path) -> _Sidecar:
    spath = sidecar_path(path)
    try:
        raw = _read_file(spath)
    except FileNotFoundError:
        raise SidecarError(f"no sidecar: {spath!r} does not exist") from None
    if raw[:8] != MAGIC or len(raw) < 12:
        raise SidecarError(f"{spath!r} is not a frankentorch RaptorQ sidecar")
    (mlen,) = struct.unpack_from("<I", raw, 8)
    if mlen > _MANIFEST_LIMIT or 12 + mlen + _DIGEST > len(raw):
        raise SidecarError("sidecar manifest is truncated")
    text = raw[12:12 + mlen]
    if _sha(text) != raw[12 + mlen:12 + mlen + _DIGEST]:
        raise SidecarError("sidecar manifest is damaged (SHA-256 mismatch); it cannot be "
                           "trusted for repair")
    m = json.loads(text)
    if m.get("format") != FORMAT or m.get("schema_version") != SCHEMA_VERSION:
        raise SidecarError(f"unsupported sidecar format/version "
                           f"{bounded(repr((m.get('format'), m.get('schema_version'))), 80)}")
    t = m["symbol_size"]
    pos = 12 + mlen + _DIGEST
    table_len = sum((b["source_symbols"] + b["repair_symbols"]) * _DIGEST for b in m["blocks"])
    tables = raw[pos:pos + table_len]
    if len(tables) != table_len or hashlib.sha256(tables).hexdigest() != m["tables_sha256"]:
        raise SidecarError("sidecar digest tables are damaged; it cannot be trusted for repair")
    src, rep, pk = [], [], []
    tpos, ppos = 0, pos + table_len
    for b in m["blocks"]:
        k, r = b["source_symbols"], b["repair_symbols"]
        digests = [tables[tpos + i * _DIGEST:tpos + (i + 1) * _DIGEST] for i in range(k + r)]
        tpos += (k + r) * _DIGEST
        src.append(digests[:k])
        rep.append(digests[k:])
        pk.append([raw[ppos + i * (t + 4):ppos + (i + 1) * (t + 4)] for i in range(r)])
        ppos += r * (t + 4)
    return _Sidecar(m, src, rep, pk, hashlib.sha256(raw).hexdigest())


# ------------------------------------------------------------------ verify / repair

@dataclass
class BlockDamage:
    """What verification found in one block and, if decoded, what the decode used."""
    block: int
    lost_source_symbols: list[int]
    rejected_repair_symbols: list[int]
    used_repair_symbols: list[int] = field(default_factory=list)
    decoded: bytes | None = None


@dataclass
class SidecarReport:
    """``status`` is ``intact``, ``damaged-repairable`` or ``damaged-unrecoverable``."""
    status: str
    file_length: int
    expected_length: int
    sha256: str
    expected_sha256: str
    damaged_blocks: list[BlockDamage]
    sidecar_sha256: str
    reason: str = ""

    def summary(self) -> str:
        lost = sum(len(b.lost_source_symbols) for b in self.damaged_blocks)
        text = (f"{self.status}: {len(self.damaged_blocks)} damaged block(s), {lost} damaged "
                f"source symbol(s)")
        return text + (f" ({self.reason})" if self.reason else "")


def _decode_block(side: _Sidecar, index: int, block, damage: BlockDamage) -> None:
    m = side.manifest
    b, t = m["blocks"][index], m["symbol_size"]
    k = b["source_symbols"]
    rq = _raptorq()
    decoder = _codec_call(rq.Decoder.with_defaults, max(b["length"], 1), t)
    lost = set(damage.lost_source_symbols)
    good_repairs = [(k + i, p) for i, p in enumerate(side.packets[index])
                    if k + i not in damage.rejected_repair_symbols]
    result = None
    for esi, sym in enumerate(_symbols(block, t)):
        if esi not in lost:
            result = _codec_call(decoder.decode, bytes([0]) + esi.to_bytes(3, "big") + sym)
    for esi, packet in good_repairs:
        if result is not None:
            break
        damage.used_repair_symbols.append(esi)
        result = _codec_call(decoder.decode, packet)
    if result is not None:
        damage.decoded = bytes(result[:b["length"]])


def _examine(path, decode: bool) -> tuple[SidecarReport, bytes | None, _Sidecar]:
    """Compare the file with its sidecar; with ``decode``, also rebuild the damaged blocks
    and return the repaired bytes when their SHA-256 matches the sidecar's."""
    side = _load_sidecar(path)
    m = side.manifest
    data = _read_file(path)
    n, t = m["file_length"], m["symbol_size"]
    sha = hashlib.sha256(data).hexdigest()
    report = SidecarReport("intact", len(data), n, sha, m["file_sha256"], [], side.sha256)
    if len(data) == n and sha == m["file_sha256"]:
        return report, data, side
    blocks = [data[b["offset"]:b["offset"] + b["length"]].ljust(b["length"], b"\0")
              for b in m["blocks"]]
    with ThreadPoolExecutor(2) as pool:
        digests = list(pool.map(lambda blk: _symbol_digests(blk, t), blocks))
    for index, b in enumerate(m["blocks"]):
        lost = [i for i, d in enumerate(digests[index]) if d != side.source_digests[index][i]]
        if not lost:
            continue
        k = b["source_symbols"]
        rejected = [k + i for i, p in enumerate(side.packets[index])
                    if _sha(p) != side.repair_digests[index][i]]
        damage = BlockDamage(index, lost, rejected)
        report.damaged_blocks.append(damage)
        if decode:
            _decode_block(side, index, blocks[index], damage)
            blocks[index] = damage.decoded
    fixed = None
    if decode and all(d.decoded is not None for d in report.damaged_blocks):
        fixed = b"".join(blocks)[:n]
        if hashlib.sha256(fixed).hexdigest() != m["file_sha256"]:
            fixed = None
    if decode:
        ok = fixed is not None
    else:
        ok = all(len(d.lost_source_symbols) <= len(side.packets[d.block]) -
                 len(d.rejected_repair_symbols) for d in report.damaged_blocks)
    report.status = "damaged-repairable" if ok else "damaged-unrecoverable"
    if not ok:
        report.reason = "the surviving symbols do not decode to the original bytes" \
            if decode else "more symbols lost than intact repair symbols"
    return report, fixed, side


def verify(path, *, decode: bool = True) -> SidecarReport:
    """Check ``path`` against its sidecar: intact, damaged-repairable (a trial decode
    succeeded, unless ``decode=False``) or damaged-unrecoverable."""
    return _examine(path, decode)[0]


def repair(path) -> dict:
    """Restore the exact bytes of ``path`` from its sidecar and write a decode proof
    (``PATH.decode_proof.json``); returns the proof. Raises RepairError, leaving the file
    untouched, when the damage is beyond repair."""
    report, fixed, side = _examine(path, True)
    m = side.manifest
    if fixed is None:
        raise RepairError(f"cannot repair {os.fspath(path)!r}: {report.summary()}; the file "
                          "was left untouched")
    if report.status != "intact":
        atomic_write(path, lambda fh: fh.write(fixed))
    proof = {
        "format": PROOF_FORMAT, "schema_version": SCHEMA_VERSION,
        "file": os.path.basename(os.fspath(path)), "file_length": m["file_length"],
        "symbol_size": m["symbol_size"], "sidecar_sha256": side.sha256,
        "status": "intact" if report.status == "intact" else "repaired",
        "sha256_before": report.sha256, "sha256_after": m["file_sha256"],
        "length_before": report.file_length,
        "blocks": [{"block": d.block, "source_symbols": m["blocks"][d.block]["source_symbols"],
                    "lost_source_symbols": d.lost_source_symbols,
                    "rejected_repair_symbols": d.rejected_repair_symbols,
                    "used_repair_symbols": d.used_repair_symbols}
                   for d in report.damaged_blocks],
    }
    text = json.dumps(proof, sort_keys=True, indent=1).encode()
    atomic_write(proof_path(path), lambda fh: fh.write(text))
    return proof
