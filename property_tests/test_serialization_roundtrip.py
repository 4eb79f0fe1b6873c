"""Random checkpoints round-trip: whatever frankentorch saves, frankentorch and
``torch.load(weights_only=True)`` read back identically (values, dtypes, geometry, storage
sharing, container types), and the content hash ignores plain-dict insertion order."""
from __future__ import annotations

import collections
import io
import zipfile

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import frankentorch as ft
from frankentorch.serialization.envelope import decode_envelope
from frankentorch.serialization.loader import ENVELOPE_RECORD

SETTINGS = dict(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")


@st.composite
def tensors(draw, bases: list):
    """A fresh tensor or a view (slice, transpose, expand) of an earlier one."""
    if bases and draw(st.booleans()):
        base = draw(st.sampled_from(bases))
        n = base.numel()
        start = draw(st.integers(0, n))
        stop = draw(st.integers(start, n))
        view = base.reshape(-1)[start:stop:draw(st.integers(1, 3))]
        if view.numel() % 2 == 0 and view.numel() and draw(st.booleans()):
            view = view.reshape(2, -1).t()
        return view
    dt = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    values = np.random.default_rng(draw(st.integers(0, 1000))).integers(
        -50, 50, size=shape)
    t = ft.from_numpy(values.astype(dt if dt != "bool" else np.bool_))
    bases.append(t)
    return t


def trees(bases: list):
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70),
                       st.floats(allow_nan=False), st.text(max_size=5), st.binary(max_size=5),
                       tensors(bases))
    keys = st.one_of(st.text(max_size=4), st.integers(-5, 5))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=4),
        st.dictionaries(st.text(max_size=4), inner, max_size=3).map(collections.OrderedDict)),
        max_leaves=12)


def same(ours, theirs, ptrs: dict) -> None:
    if isinstance(theirs, (torch.Tensor, ft.Tensor)):
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.stride() == theirs.stride()
        assert ours.storage_offset() == theirs.storage_offset()
        assert ours.tolist() == theirs.tolist()
        ptrs.setdefault(id(ours.untyped_storage()), set()).add(
            theirs.untyped_storage().data_ptr())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            same(ours[k], theirs[k], ptrs)
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b, ptrs)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def saved(obj) -> bytes:
    buf = io.BytesIO()
    ft.save(obj, buf)
    return buf.getvalue()


@settings(**SETTINGS)
@given(st.data())
def test_saved_checkpoints_read_back_identically_in_both_libraries(data):
    obj = data.draw(trees([]))
    raw = saved(obj)
    ptrs: dict = {}
    same(ft.load(io.BytesIO(raw)), obj, {})
    theirs = torch.load(io.BytesIO(raw), weights_only=True)
    ours = ft.load(io.BytesIO(raw))
    same(ours, theirs, ptrs)
    assert all(len(v) == 1 for v in ptrs.values())  # sharing identical on both sides


@settings(**SETTINGS)
@given(st.data())
def test_content_hash_ignores_dict_insertion_order(data):
    obj = data.draw(st.dictionaries(st.text(max_size=4), trees([]), min_size=2, max_size=5))
    shuffled = dict(reversed(list(obj.items())))

    def chash(o):
        z = zipfile.ZipFile(io.BytesIO(saved(o)))
        return decode_envelope(z.read("archive/" + ENVELOPE_RECORD)).envelope["content_hash"]
    assert chash(obj) == chash(shuffled)
