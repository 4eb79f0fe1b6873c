"""Fuzzing ``load``: truncated, bit-flipped, zip-mangled, re-checksummed and random inputs
end in a frankentorch SerializationError (or load cleanly), never another exception, a
crash or a hang. Each case runs under a wall-clock alarm; the seed of a failing case
replays it."""
from __future__ import annotations

import collections
import io
import random
import signal
import struct
import zipfile

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import frankentorch as ft
from frankentorch.serialization import SerializationError
from frankentorch.serialization.zipfmt import ZipWriter

CASES = 10_000
CASE_SECONDS = 5.0


class CaseTimeout(BaseException):
    pass


def _alarm(signum, frame):
    raise CaseTimeout


def _corpus() -> list[bytes]:
    """Valid checkpoints from both writers: dtypes, views, parameters, state_dicts."""
    out = []
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    objs_t = [
        {"x": x, "t": x.t(), "i": torch.tensor([1, 2], dtype=torch.int64), "n": 3},
        torch.nn.Linear(2, 2).state_dict(),
        {"p": torch.nn.Parameter(torch.ones(2)), "h": torch.ones(3, dtype=torch.float16),
         "meta": {"lr": [0.1, (1, 2)], "s": "x", "b": b"ab", "set": {1}}},
    ]
    for obj in objs_t:
        buf = io.BytesIO()
        torch.save(obj, buf)
        out.append(buf.getvalue())
    y = ft.arange(6, dtype=ft.float64).reshape(2, 3)
    od = collections.OrderedDict(w=y, b=ft.zeros(3, dtype=ft.bfloat16))
    od._metadata = collections.OrderedDict({"": {"version": 1}})
    for obj in ({"y": y, "view": y[:, 1], "flags": ft.tensor([True, False])}, od):
        buf = io.BytesIO()
        ft.save(obj, buf)
        out.append(buf.getvalue())
    return out


CORPUS = _corpus()


def _records(data: bytes) -> list[tuple[str, bytes]]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]


RECORDS = [_records(d) for d in CORPUS]


def _zip(records) -> bytes:
    out = io.BytesIO()
    zw = ZipWriter(out)
    for name, payload in records:
        zw.write_record(name, payload)
    zw.finish()
    return out.getvalue()


def _mangle_bytes(rng: random.Random, b: bytes) -> bytes:
    b = bytearray(b)
    kind = rng.randrange(5)
    if kind == 0 and b:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif kind == 1:
        del b[rng.randrange(len(b) + 1):]
    elif kind == 2 and b:
        i = rng.randrange(len(b))
        del b[i:i + rng.randint(1, 8)]
    elif kind == 3:
        i = rng.randrange(len(b) + 1)
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif b:
        i = rng.randrange(len(b))
        b[i:i + 4] = struct.pack("<I", rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 20)))
    return bytes(b)


def mutate(seed: int) -> bytes:
    """One hostile input, determined by ``seed``."""
    rng = random.Random(seed)
    i = rng.randrange(len(CORPUS))
    data = CORPUS[i]
    kind = rng.randrange(7)
    if kind == 0:  # truncation
        return data[:rng.randrange(len(data))]
    if kind == 1:  # bit flips anywhere (CRC and structure checks)
        return _mangle_bytes(rng, data)
    if kind == 2:  # zip structure: directory, end records, local headers
        b = bytearray(data)
        sig = rng.choice((b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x03\x04"))
        spots = [j for j in range(len(b)) if b.startswith(sig, j)]
        j = rng.choice(spots) + rng.randrange(4, 46)
        b[j:j + 4] = struct.pack("<I", rng.choice((0, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << 32))))
        return bytes(b[:len(data)])
    if kind == 3:  # random bytes, sometimes zip-looking
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
        return rng.choice((b"", b"PK\x03\x04", b"\x80\x02")) + junk
    records = list(RECORDS[i])
    target = {4: "data.pkl", 5: "/data/", 6: ".json"}[kind]
    choices = [k for k, (name, _) in enumerate(records) if target in name] or [0]
    k = rng.choice(choices)
    name, payload = records[k]
    records[k] = (name, _mangle_bytes(rng, payload))  # valid CRC: the parsers see it
    return _zip(records)


def _touch(obj, depth=0) -> None:
    """Read every (reasonably small) tensor the load produced."""
    if depth > 50:
        return
    if isinstance(obj, ft.Tensor):
        if obj.numel() <= 100_000:
            obj.tolist()
    elif isinstance(obj, dict):
        for v in list(obj.values())[:100]:
            _touch(v, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in list(obj)[:100]:
            _touch(v, depth + 1)


def load_case(data: bytes) -> str:
    """'ok' or 'refused'; anything else fails the test."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        obj = ft.load(io.BytesIO(data))
        _touch(obj)
        return "ok"
    except SerializationError:
        return "refused"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_corpus_loads():
    for data in CORPUS:
        assert load_case(data) == "ok"


def test_ten_thousand_mangled_inputs_only_raise_typed_errors():
    outcomes = collections.Counter()
    for seed in range(CASES):
        try:
            outcomes[load_case(mutate(seed))] += 1
        except CaseTimeout:
            pytest.fail(f"case {seed} exceeded {CASE_SECONDS} s (replay: mutate({seed}))")
        except BaseException as e:  # noqa: BLE001 - any other outcome is the bug
            pytest.fail(f"case {seed}: {type(e).__name__}: {e} (replay: mutate({seed}))")
    assert sum(outcomes.values()) == CASES
    assert outcomes["refused"] > CASES // 2


OPCODES = b"().0123NJKMGXBCQRbcdehjlqrstu}]\x80\x81\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8e" \
          b"\x8f\x90\x91\x92\x93\x94\x95"


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(list(OPCODES)), st.binary(max_size=9)),
                max_size=40),
       st.integers(0, len(CORPUS) - 1))
def test_random_opcode_streams_in_valid_archives(ops, which):
    """Streams of real opcodes with random operands, inside an otherwise valid archive."""
    pkl = b"\x80\x02" + b"".join(bytes([op]) + arg for op, arg in ops) + b"."
    records = [(n, pkl if n.endswith("data.pkl") else p) for n, p in RECORDS[which]]
    try:
        load_case(_zip(records))
    except CaseTimeout:
        pytest.fail("opcode stream exceeded its time budget")
