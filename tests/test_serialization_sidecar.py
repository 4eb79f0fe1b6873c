"""RaptorQ sidecars: corruption drills (200 seeded trials within budget, all bit-exact),
fail-closed repair beyond budget, damaged sidecars, deterministic decode proofs."""
from __future__ import annotations

import json
import math
import os
import random

import numpy as np
import pytest

import frankentorch as ft
from frankentorch.serialization import RepairError, SidecarError, repair, verify, write_sidecar
from frankentorch.serialization import sidecar as sc


def checkpoint(path, n: int, seed: int = 0) -> bytes:
    w = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    ft.save({"w": ft.from_numpy(w), "epoch": 3}, path, sidecar=True)
    return path.read_bytes()


def budget(path) -> tuple[int, list[dict]]:
    m = sc._load_sidecar(path).manifest
    return m["symbol_size"], m["blocks"]


def damage(rng: random.Random, data: bytes, t: int, blocks: list[dict]) -> bytes:
    """Random corruption of at most the budget of symbols per block: byte flips, zeroed
    runs, or a truncated tail."""
    b = bytearray(data)
    for blk in blocks:
        k = blk["source_symbols"]
        allowed = blk["repair_symbols"] - sc.HEADROOM
        lost = rng.sample(range(k), rng.randint(1, min(k, allowed)))
        for s in lost:
            start = blk["offset"] + s * t
            end = min(start + t, len(data))
            if start >= end:
                continue
            if rng.random() < 0.5:
                b[rng.randrange(start, end)] ^= 1 << rng.randrange(8)
            else:
                b[start:end] = bytes(end - start)
    if rng.random() < 0.2:  # truncate within the last block's remaining budget
        last = blocks[-1]
        keep = max(last["offset"], len(data) - t * rng.randint(1, 2))
        del b[keep:]
    return bytes(b)


def test_sidecar_written_by_save_and_intact(tmp_path):
    path = tmp_path / "c.pt"
    checkpoint(path, 4000)
    assert os.path.exists(sc.sidecar_path(path))
    assert verify(path).status == "intact"
    proof = repair(path)
    assert proof["status"] == "intact" and proof["sha256_before"] == proof["sha256_after"]


def test_corruption_drill_200_trials_bit_exact(tmp_path):
    path = tmp_path / "c.pt"
    original = checkpoint(path, 16_000)
    t, blocks = budget(path)
    rng = random.Random(2026)
    for trial in range(200):
        path.write_bytes(damage(rng, original, t, blocks))
        assert verify(path, decode=False).status == "damaged-repairable", trial
        proof = repair(path)
        assert path.read_bytes() == original, trial
        assert proof["status"] == "repaired" and proof["sha256_after"] != proof["sha256_before"]
    assert ft.load(path)["epoch"] == 3


def test_multi_block_file_repairs(tmp_path):
    path = tmp_path / "big.pt"
    original = checkpoint(path, 1_500_000)
    t, blocks = budget(path)
    assert len(blocks) >= 2 and t == sc.MAX_SYMBOL
    rng = random.Random(1)
    for _ in range(3):
        path.write_bytes(damage(rng, original, t, blocks))
        repair(path)
        assert path.read_bytes() == original


def test_beyond_budget_fails_closed_and_leaves_file_untouched(tmp_path):
    path = tmp_path / "c.pt"
    original = checkpoint(path, 16_000)
    t, blocks = budget(path)
    r = blocks[0]["repair_symbols"]
    damaged = bytearray(original)
    damaged[: (r + 1) * t] = bytes((r + 1) * t)
    path.write_bytes(bytes(damaged))
    stat = os.stat(path)
    report = verify(path)
    assert report.status == "damaged-unrecoverable"
    with pytest.raises(RepairError, match="untouched"):
        repair(path)
    assert path.read_bytes() == bytes(damaged) and os.stat(path).st_mtime_ns == stat.st_mtime_ns
    assert not os.path.exists(sc.proof_path(path))


def test_damaged_repair_symbols_are_erasures(tmp_path):
    path = tmp_path / "c.pt"
    original = checkpoint(path, 16_000)
    t, blocks = budget(path)
    side = bytearray(open(sc.sidecar_path(path), "rb").read())
    for i in range(1, 4):  # corrupt three repair packets at the end of the sidecar
        side[-i * (t + 4) + 10] ^= 0xFF
    open(sc.sidecar_path(path), "wb").write(bytes(side))
    damaged = bytearray(original)
    damaged[t * 2] ^= 1
    path.write_bytes(bytes(damaged))
    proof = repair(path)
    assert path.read_bytes() == original
    assert len(proof["blocks"][0]["rejected_repair_symbols"]) == 3


def test_decode_proof_is_deterministic(tmp_path):
    path = tmp_path / "c.pt"
    original = checkpoint(path, 16_000)
    damaged = bytearray(original)
    damaged[100:400] = bytes(300)
    texts = []
    for _ in range(2):
        path.write_bytes(bytes(damaged))
        repair(path)
        texts.append(open(sc.proof_path(path), "rb").read())
    assert texts[0] == texts[1]
    proof = json.loads(texts[0])
    lost = proof["blocks"][0]["lost_source_symbols"]
    assert lost and len(proof["blocks"][0]["used_repair_symbols"]) >= len(lost)


def test_damaged_or_missing_sidecar_is_refused(tmp_path):
    path = tmp_path / "c.pt"
    checkpoint(path, 1000)
    side = bytearray(open(sc.sidecar_path(path), "rb").read())
    side[20] ^= 1
    open(sc.sidecar_path(path), "wb").write(bytes(side))
    with pytest.raises(SidecarError, match="manifest"):
        verify(path)
    os.remove(sc.sidecar_path(path))
    with pytest.raises(SidecarError, match="no sidecar"):
        verify(path)


def test_repair_overhead_sets_the_budget(tmp_path):
    path = tmp_path / "c.bin"
    path.write_bytes(os.urandom(100_000))
    m = write_sidecar(path, repair_overhead=0.25)
    k = m["blocks"][0]["source_symbols"]
    assert m["blocks"][0]["repair_symbols"] == math.ceil(k * 0.25) + sc.HEADROOM
    with pytest.raises(ValueError):
        write_sidecar(path, repair_overhead=0)


def test_codec_panics_become_typed_errors():
    import raptorq
    dec = raptorq.Decoder.with_defaults(100, 64)
    with pytest.raises(SidecarError, match="raptorq"):
        sc._codec_call(dec.decode, b"\x05")
