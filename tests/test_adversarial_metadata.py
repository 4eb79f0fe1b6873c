"""Adversarial tensor metadata: impossible sizes, strides and offsets, overflowing sizes and
out-of-range view arguments.

Every case runs the same call in torch first: torch's exception type is the expectation, and
where torch succeeds frankentorch must succeed with the same geometry and values (reading
the elements proves nothing outside the buffer was reached). Internals without a torch
counterpart (``make_tensor``, ``check_geometry``) must raise RuntimeError.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import frankentorch as ft
import frankentorch._tensor as ft_tensor
from frankentorch._core.device import META
from frankentorch._core.meta import check_geometry
from frankentorch._core.storage import Storage
from frankentorch._tensor import make_tensor

BIG = 2 ** 62


def base(lib, shape=(2, 3, 4)):
    """float64 0, 1, 2, ... viewed as ``shape`` (contiguous, offset 0), in torch or ft."""
    n = math.prod(shape)
    if lib is torch:
        return torch.arange(n, dtype=torch.float64).reshape(shape)
    return ft.from_numpy(np.arange(n, dtype=np.float64)).reshape(shape)


def check_like_torch(fn, shape=(2, 3, 4)):
    """Run ``fn(lib, x)`` with both libraries; compare outcome, geometry and values."""
    try:
        expected = fn(torch, base(torch, shape))
    except Exception as e:  # noqa: BLE001  - torch's error is the expectation
        with pytest.raises(type(e)):
            fn(ft, base(ft, shape))
        return e
    got = fn(ft, base(ft, shape))
    compare(got, expected)
    return None


def compare(got, expected):
    if isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            compare(g, e)
        return
    assert isinstance(got, ft.Tensor)
    assert tuple(got.shape) == tuple(expected.shape)
    assert tuple(got.stride()) == tuple(expected.stride())
    assert got.storage_offset() == expected.storage_offset()
    # Values are read back (which also proves the reads stay in the buffer), except where
    # torch itself cannot list them: a dim of 2**62 (even with 0 elements) fails there.
    if expected.device.type != "meta" and max(expected.shape, default=0) < 10 ** 6:
        assert got.tolist() == expected.tolist()


# --------------------------------------------------------------------------------------------
# as_strided: the only public way to state arbitrary geometry
# --------------------------------------------------------------------------------------------

AS_STRIDED = {
    "negative size": ((-1,), (1,), 0),
    "negative size among others": ((2, -3), (3, 1), 0),
    "negative stride": ((2,), (-1,), 5),
    "negative stride, size 1": ((1,), (-1,), 0),
    "negative stride, size 0": ((0,), (-1,), 0),
    "negative offset": ((2,), (1,), -1),
    "one past the end": ((2,), (1,), 23),
    "exactly to the end": ((2,), (1,), 22),
    "whole storage": ((24,), (1,), 0),
    "whole storage + 1": ((25,), (1,), 0),
    "strided past the end": ((3, 2), (8, 12), 0),
    "strided exactly to the end": ((3, 2), (8, 7), 0),
    "offset at end, one element": ((1,), (1,), 24),
    "offset at end, empty": ((0,), (1,), 24),
    "offset past end, empty": ((0,), (1,), 25),
    "huge offset, empty": ((0,), (1,), 2 ** 63 - 1),
    "huge offset, one element": ((1,), (1,), BIG),
    "int64-max offset, one element": ((1,), (1,), 2 ** 63 - 1),
    "sizes length mismatch": ((2, 3), (1,), 0),
    "strides length mismatch": ((2,), (1, 1), 0),
    "numel overflows int64": ((BIG, BIG), (1, 1), 0),
    "bytes overflow int64": ((2 ** 61,), (1,), 0),
    "extent overflows int64": ((2,), (BIG,), 0),
    "extent overflows int64 (3)": ((3,), (BIG,), 0),
    "zero stride, huge size": ((2 ** 40,), (0,), 0),
    "empty with huge sizes and strides": ((0, 5), (1, BIG), BIG),
    "size 2**63 (not an int64)": ((2 ** 63,), (1,), 0),
    "0-d at the last element": ((), (), 23),
    "0-d past the end": ((), (), 24),
}


@pytest.mark.parametrize("size,stride,offset", list(AS_STRIDED.values()), ids=list(AS_STRIDED))
def test_as_strided_geometry(size, stride, offset):
    check_like_torch(lambda L, x: x.as_strided(size, stride, offset))


@pytest.mark.parametrize("size,stride,offset", list(AS_STRIDED.values()), ids=list(AS_STRIDED))
def test_as_strided_geometry_on_a_view(size, stride, offset):
    """Offsets are absolute in the storage, whatever view as_strided is called on."""
    check_like_torch(lambda L, x: x[1, 1:, ::2].as_strided(size, stride, offset))


def test_as_strided_default_offset_is_the_views():
    # x[2:] has offset 2 in a 3-element storage: two elements from there reach one past it
    check_like_torch(lambda L, x: x[2:].as_strided((2,), (1,)), shape=(3,))
    check_like_torch(lambda L, x: x[1:].as_strided((2,), (1,)), shape=(3,))


def _fits(size, stride, offset, numel):
    if math.prod(size) == 0:
        return True
    return offset + sum((n - 1) * st for n, st in zip(size, stride)) < numel


@pytest.mark.parametrize("size,stride,offset", list(AS_STRIDED.values()), ids=list(AS_STRIDED))
def test_as_strided_geometry_on_meta(size, stride, offset):
    """Meta tensors: torch's errors are expected; torch skips the bounds check on meta (there
    are no bytes to protect), so geometry reaching past the nominal storage may be either
    accepted like torch or refused with RuntimeError."""
    try:
        expected = torch.empty(24, dtype=torch.float64, device="meta").as_strided(
            size, stride, offset)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            ft.empty(24, dtype=ft.float64, device="meta").as_strided(size, stride, offset)
        return
    if _fits(size, stride, offset, 24):
        got = ft.empty(24, dtype=ft.float64, device="meta").as_strided(size, stride, offset)
        compare(got, expected)
    else:
        try:
            got = ft.empty(24, dtype=ft.float64, device="meta").as_strided(size, stride, offset)
        except RuntimeError:
            return
        compare(got, expected)


# --------------------------------------------------------------------------------------------
# view ops with out-of-range arguments
# --------------------------------------------------------------------------------------------

VIEW_CASES = {
    "view wrong numel": lambda L, x: x.view(5, 5),
    "view two -1": lambda L, x: x.view(-1, -1),
    "view negative": lambda L, x: x.view(-2, -12),
    "view non-contiguous": lambda L, x: x.transpose(0, 1).view(24),
    "view huge with zero": lambda L, x: x[:0].view(BIG, BIG, 0),
    "view huge -1": lambda L, x: x.view(BIG, -1),
    "reshape wrong numel": lambda L, x: x.reshape(7, -1),
    "expand mismatch": lambda L, x: x.expand(3, 3, 4),
    "expand too few sizes": lambda L, x: x.expand(3, 4),
    "expand negative leading": lambda L, x: x.expand(-1, 2, 3, 4),
    "expand negative": lambda L, x: x.expand(2, -2, 4),
    "expand numel overflow": lambda L, x: x[:1, :1, :1].expand(BIG, BIG, 4),
    "expand numel overflow 2": lambda L, x: x[:1, :1, :1].expand(2 ** 40, 2 ** 40, 1),
    "expand numel overflow 0-d": lambda L, x: x[0, 0, 0].expand(BIG, 2),
    "expand huge but empty": lambda L, x: x[0, 0, 0].expand(BIG, 2, 0),
    "narrow start past size": lambda L, x: x.narrow(0, 3, 1),
    "narrow start before -size": lambda L, x: x.narrow(0, -3, 1),
    "narrow length past end": lambda L, x: x.narrow(1, 1, 3),
    "narrow negative length": lambda L, x: x.narrow(1, 1, -1),
    "narrow bad dim": lambda L, x: x.narrow(3, 0, 1),
    "narrow huge start": lambda L, x: x.narrow(0, BIG, BIG),
    "narrow huge length": lambda L, x: x.narrow(0, 1, BIG),
    "narrow 0-d": lambda L, x: x[0, 0, 0].narrow(0, 0, 1),
    "select past size": lambda L, x: x.select(1, 3),
    "select before -size": lambda L, x: x.select(1, -4),
    "select bad dim": lambda L, x: x.select(-4, 0),
    "select huge": lambda L, x: x.select(0, BIG),
    "select huge negative": lambda L, x: x.select(0, -BIG),
    "select empty dim": lambda L, x: x[:, :0].select(1, 0),
    "select 0-d": lambda L, x: x[0, 0, 0].select(0, 0),
    "select bool index": lambda L, x: x.select(0, True),
    "unfold size too big": lambda L, x: x.unfold(2, 5, 1),
    "unfold step 0": lambda L, x: x.unfold(2, 2, 0),
    "unfold negative step": lambda L, x: x.unfold(2, 2, -1),
    "unfold negative size": lambda L, x: x.unfold(2, -1, 1),
    "unfold bad dim": lambda L, x: x.unfold(3, 1, 1),
    "unfold huge size": lambda L, x: x.unfold(2, BIG, 1),
    "unfold huge step": lambda L, x: x.unfold(2, 1, BIG),
    "unfold 0-d size 2": lambda L, x: x[0, 0, 0].unfold(0, 2, 1),
    "unfold empty dim": lambda L, x: x[:, :0].unfold(1, 1, 1),
    "diagonal same dims": lambda L, x: x.diagonal(0, 1, 1),
    "diagonal bad dim": lambda L, x: x.diagonal(0, 0, 3),
    "diagonal offset past": lambda L, x: x.diagonal(100, 1, 2),
    "diagonal offset before": lambda L, x: x.diagonal(-100, 1, 2),
    "diagonal huge offset": lambda L, x: x.diagonal(BIG, 1, 2),
    "diagonal huge negative offset": lambda L, x: x.diagonal(-BIG, 1, 2),
    "diagonal of 1-d": lambda L, x: x[0, 0].diagonal(),
    "transpose bad dim": lambda L, x: x.transpose(0, 3),
    "transpose huge dim": lambda L, x: x.transpose(0, BIG),
    "permute duplicate": lambda L, x: x.permute(0, 0, 1),
    "permute too few": lambda L, x: x.permute(0, 1),
    "unsqueeze bad dim": lambda L, x: x.unsqueeze(4),
    "squeeze bad dim": lambda L, x: x.squeeze(3),
    "movedim repeated": lambda L, x: x.movedim((0, 0), (1, 2)),
    "movedim on 0-d": lambda L, x: x[0, 0, 0].movedim(0, 0),
    "movedim on 0-d, -1": lambda L, x: x[0, 0, 0].movedim(-1, 0),
    "flatten start after end": lambda L, x: x.flatten(2, 1),
    "unflatten bad sizes": lambda L, x: x.unflatten(1, (2, 2)),
    "split negative": lambda L, x: x.split(-1),
    "chunk zero": lambda L, x: x.chunk(0),
    "getitem past size": lambda L, x: x[2],
    "getitem too many": lambda L, x: x[0, 0, 0, 0],
    "getitem step 0": lambda L, x: x[::0],
    "getitem negative step": lambda L, x: x[::-1],
    "getitem huge step": lambda L, x: x[0, 0][::BIG],
    "getitem float": lambda L, x: x[1.0],
    "t of 3-d": lambda L, x: x.t(),
}


@pytest.mark.parametrize("fn", list(VIEW_CASES.values()), ids=list(VIEW_CASES))
def test_view_out_of_range(fn):
    check_like_torch(fn)


@pytest.mark.parametrize("fn", list(VIEW_CASES.values()), ids=list(VIEW_CASES))
def test_view_out_of_range_hardened(fn):
    with ft.using_mode("hardened"):
        check_like_torch(fn)


# --------------------------------------------------------------------------------------------
# factories
# --------------------------------------------------------------------------------------------

FACTORY_CASES = {
    "zeros(-1)": lambda L: L.zeros(-1),
    "zeros(2, -3)": lambda L: L.zeros(2, -3),
    "ones(-5)": lambda L: L.ones(-5),
    "empty(-1)": lambda L: L.empty(-1),
    "full((-2,), 1.0)": lambda L: L.full((-2,), 1.0),
    "empty(2**62, 2**62)": lambda L: L.empty(BIG, BIG),
    "empty(2**62, 2**62) meta": lambda L: L.empty(BIG, BIG, device="meta"),
    "empty(2**61, 8)": lambda L: L.empty(2 ** 61, 8),
    "empty(2**61) float64 (bytes overflow)": lambda L: L.empty(2 ** 61, dtype=L.float64),
    "empty(2**60) float64 (bytes overflow)": lambda L: L.empty(2 ** 60, dtype=L.float64),
    "empty(2**60) float64 meta": lambda L: L.empty(2 ** 60, dtype=L.float64, device="meta"),
    "zeros(2**62, 2**62, 0)": lambda L: L.zeros(BIG, BIG, 0),
    "empty(2**63)": lambda L: L.empty(2 ** 63),
    # 4 EiB: representable, but no machine can allocate it
    "empty(2**59) float64 (allocation fails)": lambda L: L.empty(2 ** 59, dtype=L.float64),
}


@pytest.mark.parametrize("fn", list(FACTORY_CASES.values()), ids=list(FACTORY_CASES))
def test_factories(fn):
    try:
        expected = fn(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(ft)
    else:
        compare(fn(ft), expected)


# --------------------------------------------------------------------------------------------
# writes through overlapping views
# --------------------------------------------------------------------------------------------

OVERLAP_WRITES = {
    "expand then add_": lambda L, x: x[0, 0, :1].expand(3).add_(1),
    "expand then mul_": lambda L, x: x[0, 0, :1].expand(2, 3).mul_(2),
    "zero-stride as_strided add_": lambda L, x: x.as_strided((3,), (0,), 5).add_(1),
    "expand then setitem": lambda L, x: x[0, :1, :].expand(3, 4).__setitem__(0, 7.0),
    "add_ with out overlapping": lambda L, x: L.add(x[0], 1, out=x[0, :1].expand(3, 4)),
}


@pytest.mark.parametrize("fn", list(OVERLAP_WRITES.values()), ids=list(OVERLAP_WRITES))
def test_internal_overlap_writes_refused(fn):
    """torch refuses to write through a view where several elements share one location;
    the buffer must then be untouched."""
    t, f = base(torch), base(ft)
    try:
        fn(torch, t)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(ft, f)
    else:
        fn(ft, f)
    assert f.tolist() == t.tolist()


# --------------------------------------------------------------------------------------------
# internals: make_tensor / check_geometry (no torch counterpart: RuntimeError)
# --------------------------------------------------------------------------------------------

# (shape, stride, offset, storage nbytes) for float64 (itemsize 8)
BAD_GEOMETRY = {
    "one element past the end": ((3,), (1,), 0, 16),
    "offset past the end": ((1,), (1,), 2, 16),
    "negative offset": ((1,), (1,), -1, 16),
    "negative size": ((-1,), (1,), 0, 16),
    "negative stride": ((2,), (-1,), 1, 16),
    "length mismatch": ((2, 1), (1,), 0, 16),
    "numel overflow": ((BIG, BIG), (1, 1), 0, 16),
    "bytes overflow": ((2 ** 61,), (1,), 0, 16),
    "extent overflow": ((2,), (BIG,), 0, 16),
    "storage smaller than one element": ((1,), (1,), 0, 7),
    "non-int size": ((1.5,), (1,), 0, 16),
    "stride reaching past": ((2, 2), (1, 2), 0, 24),
}
# Each of these fits exactly: the last reachable element ends at byte (last + 1) * 8.
GOOD_GEOMETRY = {
    "exact fit": ((2,), (1,), 0, 16),
    "offset to the last element": ((1,), (1,), 1, 16),
    "empty with offset past the end": ((0,), (1,), 10, 16),
    "empty storage, empty tensor": ((0, 3), (3, 1), 0, 0),
    "zero strides": ((5, 5), (0, 0), 1, 16),
    "0-d": ((), (), 1, 16),
    "overlapping": ((2, 2), (1, 1), 0, 24),
}


@pytest.mark.parametrize("shape,stride,offset,nbytes", list(BAD_GEOMETRY.values()),
                         ids=list(BAD_GEOMETRY))
@pytest.mark.parametrize("dev", ["cpu", "meta"])
def test_make_tensor_refuses_bad_geometry(shape, stride, offset, nbytes, dev):
    storage = Storage(nbytes, META) if dev == "meta" else Storage(nbytes)
    with pytest.raises(RuntimeError):
        check_geometry(shape, stride, offset, 8, nbytes)
    with pytest.raises(RuntimeError):
        make_tensor(storage, shape, stride, offset, ft.float64)


@pytest.mark.parametrize("shape,stride,offset,nbytes", list(GOOD_GEOMETRY.values()),
                         ids=list(GOOD_GEOMETRY))
def test_make_tensor_accepts_geometry_that_fits(shape, stride, offset, nbytes):
    check_geometry(shape, stride, offset, 8, nbytes)
    t = make_tensor(Storage(nbytes), shape, stride, offset, ft.float64)
    assert (tuple(t.shape), t.stride(), t.storage_offset()) == (shape, stride, offset)
    # torch agrees that this geometry fits a storage of that size
    ts = torch.empty(nbytes // 8, dtype=torch.float64)
    tt = ts.as_strided(shape, stride, offset)
    assert tuple(tt.shape) == shape
    assert len(t.tolist() if shape else [t.item()]) == len(tt.tolist() if shape else [0])


# --------------------------------------------------------------------------------------------
# hardened mode re-validates every view
# --------------------------------------------------------------------------------------------

def _tampered_1d():
    """A tensor whose metadata was corrupted after creation: it claims 16 elements of a
    4-element storage (the kind of state a buggy kernel or a ctypes poke could leave)."""
    t = ft.zeros(4, dtype=ft.float64)
    t._shape = (16,)
    t._stride = (1,)
    t._contig = None
    return t


def _tampered_2d():
    t = ft.zeros(2, 2, dtype=ft.float64)
    t._shape = (4, 4)
    t._stride = (4, 1)
    t._contig = None
    return t


# Each of these views, applied to the tampered tensor, reaches past the 4-element storage.
TAMPERED_VIEWS = {
    "view": (_tampered_1d, lambda x: x.view(2, 8)),
    "reshape": (_tampered_1d, lambda x: x.reshape(4, 4)),
    "transpose": (_tampered_2d, lambda x: x.transpose(0, 1)),
    "t": (_tampered_2d, lambda x: x.t()),
    "T": (_tampered_2d, lambda x: x.T),
    "permute": (_tampered_2d, lambda x: x.permute(1, 0)),
    "movedim": (_tampered_2d, lambda x: x.movedim(0, 1)),
    "narrow": (_tampered_1d, lambda x: x.narrow(0, 8, 8)),
    "select": (_tampered_1d, lambda x: x.select(0, 15)),
    "unsqueeze": (_tampered_1d, lambda x: x.unsqueeze(0)),
    "squeeze": (_tampered_1d, lambda x: x.squeeze()),
    "expand": (_tampered_1d, lambda x: x.expand(2, 16)),
    "diagonal": (_tampered_2d, lambda x: x.diagonal()),
    "unfold": (_tampered_1d, lambda x: x.unfold(0, 4, 4)),
    "flatten": (_tampered_2d, lambda x: x.flatten()),
    "unflatten": (_tampered_1d, lambda x: x.unflatten(0, (4, 4))),
    "split": (_tampered_1d, lambda x: x.split(8)),
    "chunk": (_tampered_1d, lambda x: x.chunk(2)),
    "unbind": (_tampered_1d, lambda x: x.unbind()),
    "getitem slice": (_tampered_1d, lambda x: x[8:]),
    "getitem int": (_tampered_1d, lambda x: x[12]),
    "getitem none": (_tampered_1d, lambda x: x[None]),
    "detach": (_tampered_1d, lambda x: x.detach()),
    "as_strided": (_tampered_1d, lambda x: x.as_strided((16,), (1,))),
}


@pytest.mark.parametrize("make,fn", list(TAMPERED_VIEWS.values()), ids=list(TAMPERED_VIEWS))
def test_hardened_refuses_views_of_tampered_tensors(make, fn):
    x = make()
    with ft.using_mode("hardened"):
        with pytest.raises(RuntimeError):
            fn(x)


LEGIT_VIEWS = {
    "view": lambda L, x: x.view(6, 4),
    "transpose": lambda L, x: x.transpose(0, 2),
    "permute": lambda L, x: x.permute(2, 0, 1),
    "narrow": lambda L, x: x.narrow(2, 1, 3),
    "select": lambda L, x: x.select(1, 2),
    "unsqueeze": lambda L, x: x.unsqueeze(-1),
    "squeeze": lambda L, x: x[:, :1].squeeze(1),
    "expand": lambda L, x: x[:, :1].expand(2, 5, 4),
    "diagonal": lambda L, x: x.diagonal(1, 1, 2),
    "unfold": lambda L, x: x.unfold(2, 2, 2),
    "getitem": lambda L, x: x[1, ::2, 1:],
    "as_strided": lambda L, x: x.as_strided((4, 3), (5, 2), 3),
    "split": lambda L, x: x.split(2, 2),
    "unbind": lambda L, x: x.unbind(1),
    "movedim": lambda L, x: x.movedim(0, -1),
    "detach": lambda L, x: x.detach(),
}


class _Counter:
    def __init__(self, real):
        self.real = real
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.mark.parametrize("fn", list(LEGIT_VIEWS.values()), ids=list(LEGIT_VIEWS))
def test_hardened_validates_each_view_and_accepts_legit_ones(fn, monkeypatch):
    """In hardened mode each view op runs the geometry check once per view it creates (seen
    through a counting wrapper around make_tensor's check_geometry), and legit views still
    match torch."""
    x = base(ft)
    counter = _Counter(ft_tensor.check_geometry)
    monkeypatch.setattr(ft_tensor, "check_geometry", counter)
    with ft.using_mode("hardened"):
        got = fn(ft, x)
    n_views = len(got) if isinstance(got, tuple) else 1
    assert counter.calls >= n_views, (counter.calls, n_views)
    compare(got, fn(torch, base(torch)))


def test_hardened_mode_restored_after_views():
    before = ft.get_mode()
    with pytest.raises(RuntimeError):
        with ft.using_mode("hardened"):
            _tampered_1d().view(2, 8)
    assert ft.get_mode() == before
