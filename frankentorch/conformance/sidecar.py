"""RaptorQ repair sidecars for report artifacts (PyPI ``raptorq``, RFC 6330).

A sidecar stores what is needed to heal its artifact: the symbol size, a hash per source
symbol (so a corrupted symbol is known and treated as an erasure, never fed to the decoder)
and the repair packets themselves. :func:`decode_proof` performs a real decode after
dropping source symbols; :func:`repair` rebuilds a damaged file from its intact symbols plus
the repair packets and writes it back only when the whole-file hash matches.
"""
from __future__ import annotations

import base64
import hashlib
import math
import os
from pathlib import Path

__all__ = ["SIDECAR_SCHEMA", "PROOF_SCHEMA", "write_sidecar", "verify", "repair",
           "decode_proof", "SidecarError"]

SIDECAR_SCHEMA = "ft-raptorq-sidecar-v1"
PROOF_SCHEMA = "ft-raptorq-decode-proof-v1"
REPAIR_FRACTION = 0.25   #: repair packets per source symbol (plus a few)
MAX_SYMBOL = 8192


class SidecarError(RuntimeError):
    """A sidecar that does not match its artifact, or damage beyond the repair budget."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _symbol_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _symbol_size(n: int) -> int:
    return min(MAX_SYMBOL, max(16, 8 * math.ceil(n / 96 / 8)))


def _slices(data: bytes, t: int) -> list[bytes]:
    k = max(1, math.ceil(len(data) / t))
    return [data[i * t:(i + 1) * t].ljust(t, b"\0") for i in range(k)]


def _header(esi: int) -> bytes:
    return bytes([0]) + esi.to_bytes(3, "big")


def write_sidecar(data: bytes, artifact_id: str, source_path: str) -> dict:
    """The sidecar manifest (with repair packets) of ``data``."""
    import raptorq
    t = _symbol_size(len(data))
    symbols = _slices(data, t)
    k = len(symbols)
    r = math.ceil(k * REPAIR_FRACTION) + 4
    packets = raptorq.Encoder.with_defaults(data, t).get_encoded_packets(r)
    if len(packets) != k + r or any(p[4:] != s for p, s in zip(packets, symbols)):
        raise SidecarError("unexpected encoder layout (more than one source block)")
    return {"schema_version": SIDECAR_SCHEMA, "artifact_id": artifact_id,
            "source_path": source_path, "codec": "raptorq (PyPI), RFC 6330",
            "source_sha256": _sha(data), "length": len(data), "symbol_size": t,
            "source_symbols": k, "repair_symbols": r,
            "symbol_hashes": [_symbol_hash(s) for s in symbols],
            "repair_packets": [{"esi": int.from_bytes(p[1:4], "big"), "hash": _symbol_hash(p),
                                "data": base64.b64encode(p[4:]).decode()}
                               for p in packets[k:]]}


def verify(data: bytes, sidecar: dict) -> list[int]:
    """Indices of the source symbols of ``data`` that no longer match the sidecar
    (every symbol when the length changed)."""
    if len(data) != sidecar["length"]:
        return list(range(sidecar["source_symbols"]))
    symbols = _slices(data, sidecar["symbol_size"])
    return [i for i, (s, h) in enumerate(zip(symbols, sidecar["symbol_hashes"]))
            if _symbol_hash(s) != h]


def _decode(sidecar: dict, intact: dict[int, bytes]) -> bytes:
    import raptorq
    t, length = sidecar["symbol_size"], sidecar["length"]
    decoder = raptorq.Decoder.with_defaults(length, t)
    packets = [_header(i) + s for i, s in sorted(intact.items())]
    for rp in sidecar["repair_packets"]:
        payload = base64.b64decode(rp["data"])
        packet = _header(rp["esi"]) + payload
        if len(payload) == t and _symbol_hash(packet) == rp["hash"]:
            packets.append(packet)
    for p in packets:
        try:
            out = decoder.decode(p)
        except BaseException as e:  # noqa: BLE001 - the codec panics on malformed input
            raise SidecarError(f"decoder refused a packet: {e}") from None
        if out is not None:
            out = bytes(out[:length])
            if _sha(out) != sidecar["source_sha256"]:
                raise SidecarError("decoded bytes do not match the recorded sha256")
            return out
    raise SidecarError(f"damage beyond the repair budget: {len(intact)} intact source "
                       f"symbols + {len(sidecar['repair_packets'])} repair packets are not "
                       f"enough for {sidecar['source_symbols']}")


def repair(path: Path, sidecar: dict) -> list[int]:
    """Heal ``path`` in place from its sidecar; returns the repaired symbol indices
    (empty when the file was intact). Raises :class:`SidecarError` when it cannot."""
    data = path.read_bytes() if path.exists() else b""
    damaged = verify(data, sidecar)
    if not damaged:
        return []
    symbols = _slices(data, sidecar["symbol_size"]) if len(data) == sidecar["length"] else []
    intact = {i: s for i, s in enumerate(symbols) if i not in damaged}
    healed = _decode(sidecar, intact)
    tmp = path.with_name(path.name + ".repair.tmp")
    with open(tmp, "wb") as fh:
        fh.write(healed)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return damaged


def decode_proof(data: bytes, sidecar: dict) -> dict:
    """Drop source symbols (every ``stride``-th, as many as the repair budget allows minus a
    margin), decode from what is left plus the repair packets, and check the bytes."""
    if verify(data, sidecar):
        raise SidecarError("artifact does not match its sidecar")
    symbols = _slices(data, sidecar["symbol_size"])
    k = len(symbols)
    n_drop = max(1, min(k, sidecar["repair_symbols"] - 2))
    stride = max(1, k // n_drop)
    dropped = list(range(0, k, stride))[:n_drop]
    intact = {i: s for i, s in enumerate(symbols) if i not in set(dropped)}
    recovered = _decode(sidecar, intact)
    return {"schema_version": PROOF_SCHEMA, "artifact_id": sidecar["artifact_id"],
            "source_path": sidecar["source_path"], "status": "decode_verified",
            "source_sha256": sidecar["source_sha256"], "symbol_size": sidecar["symbol_size"],
            "source_symbols": k, "repair_symbols": sidecar["repair_symbols"],
            "dropped_source_symbols": dropped,
            "packets_available": len(intact) + sidecar["repair_symbols"],
            "recovered_bytes": len(recovered), "recovered_sha256": _sha(recovered)}
