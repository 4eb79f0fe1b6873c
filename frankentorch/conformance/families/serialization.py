"""FT-P2C-006 save/load: round trips through the zip ``.pt`` format in memory (values, dtypes,
strides, shared storage between views, containers), ``weights_only`` refusals, and damaged
or foreign bytes that must be refused."""
from __future__ import annotations

import io

from . import Case

FAMILY = "serialization"


class Custom:
    """A class outside the weights-only allowlist."""


def _saved(m, obj) -> bytes:
    buf = io.BytesIO()
    m.save(obj, buf)
    return buf.getvalue()


def _load(m, data: bytes, **kw):
    return m.load(io.BytesIO(data), weights_only=True, **kw)


OBJECTS = {
    "float_tensor": lambda m: m.arange(6.0).reshape(2, 3),
    "int_dtypes": lambda m: [m.tensor([1, -2], dtype=getattr(m, d))
                             for d in ("int8", "int16", "int32", "int64", "uint8", "bool")],
    "half_types": lambda m: [m.tensor([1.5, -2.25], dtype=m.float16),
                             m.tensor([1.5, -2.25], dtype=m.bfloat16)],
    "scalar_0d": lambda m: m.tensor(3.5, dtype=m.float64),
    "empty": lambda m: m.zeros(0, 3),
    "non_contiguous": lambda m: m.arange(12.0).reshape(3, 4).t(),
    "offset_view": lambda m: m.arange(10.0)[3:7],
    "state_dict_like": lambda m: {"weight": m.ones(2, 2), "bias": m.zeros(2),
                                  "step": 3, "name": "layer", "lr": 0.1},
    "nested": lambda m: {"a": [m.ones(1), (m.zeros(2), None)], "b": {"c": True}},
    "requires_grad": lambda m: m.ones(2, requires_grad=True),
}


def round_trip(m, what: str):
    """What load returns for what save wrote (values, geometry, containers)."""
    return _load(m, _saved(m, OBJECTS[what](m)))


def shared_storage(m):
    """Two views of one storage come back as views of one storage."""
    base = m.arange(8.0)
    a, b = _load(m, _saved(m, [base[:4], base[2:].view(2, 3)]))
    return {"a": a, "b": b, "same_storage":
            a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()}


def map_location(m):
    x = _load(m, _saved(m, m.ones(2)), map_location="cpu")
    return {"x": x, "device": str(x.device)}


REFUSED = {
    "custom_class": lambda m: _load(m, _saved(m, Custom())),
    "truncated": lambda m: _load(m, _saved(m, m.ones(4))[:60]),
    "garbage": lambda m: _load(m, b"not a checkpoint at all"),
    "empty_bytes": lambda m: _load(m, b""),
    "flipped_storage_bytes": lambda m: _load(m, _flip_tail(_saved(m, m.arange(64, dtype=m.float64)))),
}


def _flip_tail(data: bytes) -> bytes:
    """Corrupt bytes inside the stored tensor data (the zip CRC must notice)."""
    i = data.find(b"\x00\x00\x00\x00\x00\x00\x00@")  # 2.0 as little-endian float64
    assert i > 0, "stored tensor data not found"
    out = bytearray(data)
    out[i:i + 4] = b"\xde\xad\xbe\xef"
    return bytes(out)


def refused(m, what: str):
    return REFUSED[what](m)


def cases() -> list[Case]:
    out = [Case(f"round_trip/{k}", "happy" if k not in ("empty", "non_contiguous",
                                                        "offset_view") else "edge",
                "round_trip", {"what": k}, op="save_load") for k in OBJECTS]
    out += [Case("shared_storage", "edge", "shared_storage", op="save_load"),
            Case("map_location", "happy", "map_location", op="load")]
    out += [Case(f"refused/{k}", "adversarial", "refused", {"what": k}, op="load")
            for k in REFUSED]
    return out
