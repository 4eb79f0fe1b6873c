"""Shape and ordering ops differentially against torch: cat/concat/concatenate, stack, hstack,
vstack, flip, roll, repeat, tile, repeat_interleave, tril, triu, sort, argsort, topk,
kthvalue, unique, searchsorted, bucketize.

Inputs are random layouts (sliced, permuted, as_strided, expanded) of every dtype, with
zero-size and 0-d cases, NaN/inf and ties for the ordering ops; every program runs on torch
first and frankentorch must match its values, dtype, shape and strides, or raise the same
exception type. Where torch leaves an order unspecified (ties in an unstable sort, topk,
kthvalue) values are compared and the indices are checked to point at those values.
"""
from __future__ import annotations

import random

import pytest
import torch

import frankentorch as ft
from frankentorch._ops import shape as S
from conftest import (DTYPE_NAMES, TORCH_DTYPE, assert_same, dname, random_shape,
                      random_strided, run_both, to_ft)

# torch warns about resized out= tensors and non-contiguous searchsorted inputs
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

N = 24
FLOATS = ("float16", "bfloat16", "float32", "float64")


def _rng(seed: int, salt: int) -> random.Random:
    return random.Random(seed * 1000003 + salt)


def _inp(rng, shape=None, dtype=None, *, max_nd=3, special=True):
    dt = dtype or rng.choice(DTYPE_NAMES)
    shape = random_shape(rng, max_nd) if shape is None else shape
    x = random_strided(rng, shape, TORCH_DTYPE[dt])
    if special and dt in FLOATS and x.numel() and rng.random() < 0.5:
        flat = x.clone().reshape(-1)
        for v in (float("nan"), float("inf"), float("-inf"), -0.0, 0.0):
            if rng.random() < 0.5:
                flat[rng.randrange(flat.numel())] = v
        x = random_strided(rng, shape, TORCH_DTYPE[dt])
        x.copy_(flat.reshape(shape))
    return x


def _out(m, n, dt):
    """A fresh out= tensor in library ``m`` (tensors shared with numpy cannot be resized)."""
    return m.zeros(n, dtype=getattr(m, dname(dt)))


def _dim(rng, nd):
    n = max(nd, 1)
    return rng.choice([rng.randrange(-n, n), rng.randrange(-n, n), n, -n - 1])


# ------------------------------------------------------------------ cat / stack

@pytest.mark.parametrize("seed", range(N))
def test_cat_family(seed):
    rng = _rng(seed, 1)
    nd = rng.randint(1, 3)
    base = list(random_shape(rng, nd, min_nd=nd))
    d = rng.randrange(nd)
    ins = []
    for _ in range(rng.randint(1, 3)):
        s = list(base)
        s[d] = rng.randint(0, 3)
        if rng.random() < 0.1:
            s = [0]  # legacy skipped empty
        elif rng.random() < 0.05:
            s = s[:-1] or [2]
        ins.append(_inp(rng, tuple(s), rng.choice(DTYPE_NAMES), special=False))
    dim = rng.choice([d, d - nd, _dim(rng, nd)])
    k = len(ins)
    for name in ("cat", "concat", "concatenate"):
        run_both(lambda m, *xs: getattr(m, name)(list(xs), dim), *ins)
    run_both(lambda m, *xs: m.cat(xs, dim=dim), *ins)
    out_dt = rng.choice(DTYPE_NAMES)
    on = rng.choice([0, 3])
    run_both(lambda m, *xs: m.cat(xs, dim, out=_out(m, on, out_dt)), *ins)
    same = [ins[0]] + [_inp(rng, tuple(ins[0].shape), rng.choice(DTYPE_NAMES), special=False)
                       for _ in range(rng.randint(0, 2))]
    sdim = _dim(rng, ins[0].ndim + 1)
    run_both(lambda m, *xs: m.stack(xs, sdim), *same)
    run_both(lambda m, *xs: m.stack(list(xs), sdim, out=_out(m, 0, out_dt)), *same)
    run_both(lambda m, *xs: m.stack(xs, sdim), *ins)
    run_both(lambda m, *xs: m.hstack(xs), *ins)
    run_both(lambda m, *xs: m.vstack(xs), *ins)
    run_both(lambda m, *xs: m.hstack(list(xs)), *same)
    run_both(lambda m, *xs: m.vstack(xs, out=_out(m, 0, ins[0].dtype)), *same)
    run_both(lambda m, *xs: m.hstack(xs, out=_out(m, 2, out_dt)), *same)


def test_cat_edge_cases():
    f32, i8 = torch.float32, torch.int8
    cases = [
        [],
        [torch.ones(2, 3), torch.tensor(1.0)],
        [torch.ones(0), torch.ones(0, dtype=i8)],
        [torch.ones(0, 3), torch.ones(2, 3, dtype=i8)],
        [torch.ones(2), torch.ones(2, 3)],
        [torch.ones(2, 3, 4, 5).to(memory_format=torch.channels_last)] * 2,
        [torch.ones(2, 3, 4, 5).to(memory_format=torch.channels_last), torch.ones(2, 3, 4, 5)],
        [torch.ones(1, 2, 1, 3, 2).to(memory_format=torch.channels_last_3d)] * 2,
        [torch.ones(3, 2, dtype=f32).t(), torch.ones(3, 2, dtype=torch.bool).t()],
    ]
    for xs in cases:
        for dim in (0, 1, -1, 5):
            run_both(lambda m, *t: m.cat(t, dim), *xs)
            run_both(lambda m, *t: m.stack(t, dim), *xs)
        run_both(lambda m, *t: m.hstack(t), *xs)
        run_both(lambda m, *t: m.vstack(t), *xs)
    run_both(lambda m: m.cat([]))
    run_both(lambda m: m.stack([]))
    run_both(lambda m: m.hstack([]))
    run_both(lambda m, x: m.cat([x, 1.0]), torch.ones(2))
    run_both(lambda m, x: m.cat([x, x], out=_out(m, 4, "int64")), torch.ones(2))


# ------------------------------------------------------------------ flip / roll / repeat / tile

@pytest.mark.parametrize("seed", range(N))
def test_flip_roll_repeat_tile(seed):
    rng = _rng(seed, 2)
    x = _inp(rng)
    nd = x.ndim
    dims = [_dim(rng, nd) for _ in range(rng.randint(0, 3))]
    run_both(lambda m, t: m.flip(t, dims), x)
    run_both(lambda m, t: t.flip(*dims) if dims else t.flip([]), x)
    if nd:
        run_both(lambda m, t: m.flip(t, dims=_dim(rng, nd)), x)
    shifts = [rng.randint(-7, 7) for _ in range(rng.randint(1, 3))]
    rdims = [_dim(rng, nd) for _ in range(rng.choice([0, len(shifts), len(shifts), 1]))]
    run_both(lambda m, t: m.roll(t, shifts, rdims), x)
    run_both(lambda m, t: m.roll(t, shifts[0]), x)
    run_both(lambda m, t: t.roll(shifts=shifts[0], dims=rdims[0] if rdims else 0), x)
    reps = [rng.choice([0, 1, 1, 2, 3]) for _ in range(rng.randint(max(nd - 1, 0), nd + 2))]
    if rng.random() < 0.1 and reps:
        reps[0] = -1
    run_both(lambda m, t: t.repeat(reps), x)
    run_both(lambda m, t: t.repeat(*reps) if reps else t.repeat(()), x)
    run_both(lambda m, t: m.tile(t, reps), x)
    run_both(lambda m, t: t.tile(tuple(reps)), x)


@pytest.mark.parametrize("seed", range(N))
def test_repeat_interleave(seed):
    rng = _rng(seed, 3)
    x = _inp(rng, special=False)
    nd = x.ndim
    dim = rng.choice([None, None, _dim(rng, nd)])
    r = rng.choice([0, 1, 2, 3, -1 if rng.random() < 0.2 else 2])
    run_both(lambda m, t: m.repeat_interleave(t, r, dim), x)
    run_both(lambda m, t: t.repeat_interleave(r, dim=dim), x)
    size = x.numel() if dim is None else (x.shape[dim] if nd and -nd <= dim < nd else 1)
    n = rng.choice([size, size, 1, size + 1])
    rdt = rng.choice([torch.int64, torch.int64, torch.int32, torch.int16, torch.float32])
    reps = torch.randint(0, 4, (n,), generator=torch.Generator().manual_seed(seed)).to(rdt)
    if rng.random() < 0.1 and n:
        reps[0] = -1
    run_both(lambda m, t, rp: m.repeat_interleave(t, rp, dim), x, reps)
    run_both(lambda m, t, rp: m.repeat_interleave(t, rp[0], dim=dim), x, reps)
    osz = rng.choice([None, int(reps.sum()) if rdt != torch.float32 else 0, 1])
    run_both(lambda m, t, rp: t.repeat_interleave(rp, dim, output_size=osz), x, reps)
    run_both(lambda m, rp: m.repeat_interleave(rp), reps)
    run_both(lambda m, rp: m.repeat_interleave(rp, output_size=osz), reps)
    run_both(lambda m, rp: m.repeat_interleave(rp.reshape(1, -1)), reps)


# ------------------------------------------------------------------ tril / triu

@pytest.mark.parametrize("seed", range(N))
def test_tril_triu(seed):
    rng = _rng(seed, 4)
    x = _inp(rng, max_nd=4, special=False)
    k = rng.randint(-4, 4)
    for name in ("tril", "triu"):
        run_both(lambda m, t: getattr(m, name)(t, k), x)
        run_both(lambda m, t: getattr(t, name)(diagonal=k), x)
        run_both(lambda m, t: getattr(m, name)(t), x)
        out_dt = rng.choice([x.dtype, x.dtype, torch.float64, torch.int64])
        on = rng.choice([0, 2])
        run_both(lambda m, t: getattr(m, name)(t, k, out=_out(m, on, out_dt)), x)


# ------------------------------------------------------------------ sort family

def _ties_input(rng, dtype=None, max_nd=3):
    """Inputs with many ties (small integer values), NaN/inf/-0.0 for floats."""
    dt = dtype or rng.choice(DTYPE_NAMES)
    shape = random_shape(rng, max_nd, max_size=6)
    x = random_strided(rng, shape, TORCH_DTYPE[dt])
    if dt in FLOATS and x.numel():
        g = torch.Generator().manual_seed(rng.randrange(1 << 30))
        vals = torch.tensor([0.0, -0.0, 1.0, -2.0, float("nan"), float("inf"), float("-inf"),
                             0.5], dtype=torch.float64)
        pick = vals[torch.randint(0, len(vals), shape, generator=g)]
        if rng.random() < 0.4:
            pick = torch.randn(shape, generator=g, dtype=torch.float64)  # distinct values
        x.copy_(pick.to(x.dtype))
    return x


_VI_OUT = {"sort": (S.sort_values, S.sort_values_stable), "topk": (S.topk_values,),
           "kthvalue": (S.kthvalue_values,)}


def _vi_out(m, name, t, *args, vdt=None, **kw):
    """``name(..., out=(values, indices))``. The generated frankentorch function does not map
    an ``out=`` tuple onto the ``values``/``indices`` overloads yet (a dispatcher matter), so
    frankentorch's side calls the out overload itself."""
    vals, idx = _out(m, 0, vdt or t.dtype), _out(m, 0, "int64")
    if m is torch:
        return getattr(torch, name)(t, *args, **kw, out=(vals, idx))
    op = _VI_OUT[name][1 if "stable" in kw else 0]
    return op(t, *args, **kw, values=vals, indices=idx)


def _check_indices(xf, dim, vals, idx, keepdim=True):
    """frankentorch indices point at frankentorch values along dim."""
    if xf.ndim == 0 or not idx.numel():
        return
    if not keepdim:
        vals, idx = vals.unsqueeze(dim), idx.unsqueeze(dim)
    got = torch.from_numpy(xf.to(ft.float64).numpy()).gather(
        dim, torch.from_numpy(idx.numpy().copy()))
    want = torch.from_numpy(vals.to(ft.float64).numpy())
    torch.testing.assert_close(got, want, equal_nan=True, rtol=0, atol=0)


def _distinct_along(x, dim):
    """Per-slice: True where every value in the slice is distinct (NaNs count as equal)."""
    if x.ndim == 0:
        return True
    s = x.double().nan_to_num(nan=1e300).sort(dim).values
    return bool((s.diff(dim=dim) != 0).all()) if s.shape[dim] > 1 else True


@pytest.mark.parametrize("seed", range(N))
def test_sort_argsort(seed):
    rng = _rng(seed, 5)
    x = _ties_input(rng)
    xf = to_ft(x)
    nd = x.ndim
    dim = _dim(rng, nd)
    desc = rng.random() < 0.5
    # stable: everything must match exactly
    run_both(lambda m, t: m.sort(t, dim, desc, stable=True), x)
    run_both(lambda m, t: t.sort(stable=True, dim=dim, descending=desc), x)
    run_both(lambda m, t: m.argsort(t, stable=True, dim=dim, descending=desc), x)
    # default (unstable): values exactly; indices where values are distinct, else consistent
    try:
        vt, it_ = torch.sort(x, dim, desc)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            ft.sort(xf, dim, desc)
        return
    vf, if_ = ft.sort(xf, dim, desc)
    assert_same(vf, vt)
    assert if_.dtype == ft.int64 and tuple(if_.stride()) == tuple(it_.stride())
    _check_indices(xf, dim if nd else 0, vf, if_)
    if _distinct_along(x, dim if nd else 0):
        assert_same(if_, it_)
        assert_same(ft.argsort(xf, dim, desc), torch.argsort(x, dim, desc))
        assert_same(xf.argsort(dim=dim, descending=desc), x.argsort(dim=dim, descending=desc))
    # out= forms
    run_both(lambda m, t: _vi_out(m, "sort", t, dim, desc, stable=True), x)
    run_both(lambda m, t: _vi_out(m, "sort", t, dim), x)
    run_both(lambda m, t: _vi_out(m, "sort", t, vdt="int8"), x)
    run_both(lambda m, t: m.argsort(t, stable=True, dim=dim, out=_out(m, 0, "int64")), x)


@pytest.mark.parametrize("seed", range(N))
def test_topk_kthvalue(seed):
    rng = _rng(seed, 6)
    x = _ties_input(rng)
    xf = to_ft(x)
    nd = x.ndim
    dim = _dim(rng, nd)
    size = x.shape[dim] if nd and -nd <= dim < nd else 1
    k = rng.choice([0, 1, size, rng.randint(0, max(size, 0)), size + 1, -1])
    largest = rng.random() < 0.5
    for sorted_ in (True, False):
        try:
            vt, it_ = torch.topk(x, k, dim, largest, sorted_)
        except Exception as e:  # noqa: BLE001
            with pytest.raises(type(e)):
                ft.topk(xf, k, dim, largest, sorted_)
            continue
        vf, if_ = ft.topk(xf, k, dim=dim, largest=largest, sorted=sorted_)
        assert type(ft.topk(xf, k, dim, largest, sorted_)).__name__ == "topk"
        if sorted_:
            assert_same(vf, vt)
        else:
            d = dim if nd else 0
            assert_same(ft.sort(vf, d)[0], torch.sort(vt, d)[0])
            assert tuple(vf.stride()) == tuple(vt.stride())
        assert if_.dtype == ft.int64 and tuple(if_.shape) == tuple(it_.shape)
        _check_indices(xf, dim if nd else 0, vf, if_)
    run_both(lambda m, t: _vi_out(m, "topk", t, k, dim, largest).values, x)
    kk = rng.choice([1, size, rng.randint(0, size + 1), size + 1])
    keep = rng.random() < 0.5
    try:
        vt, it_ = torch.kthvalue(x, kk, dim, keep)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            ft.kthvalue(xf, kk, dim, keep)
        return
    vf, if_ = xf.kthvalue(kk, dim=dim, keepdim=keep)
    assert_same(vf, vt)
    assert if_.dtype == ft.int64 and tuple(if_.shape) == tuple(it_.shape)
    _check_indices(xf, dim if nd else 0, vf, if_, keepdim=keep or nd == 0)
    run_both(lambda m, t: _vi_out(m, "kthvalue", t, kk, dim, keep), x)


# ------------------------------------------------------------------ unique

@pytest.mark.parametrize("seed", range(N))
def test_unique(seed):
    rng = _rng(seed, 7)
    x = _ties_input(rng)
    inv, cnt = rng.random() < 0.5, rng.random() < 0.5
    run_both(lambda m, t: m.unique(t), x)
    run_both(lambda m, t: m.unique(t, sorted=rng.random() < 0.5, return_inverse=inv,
                                   return_counts=cnt), x)
    run_both(lambda m, t: t.unique(return_inverse=True, return_counts=True), x)
    run_both(lambda m, t: m._unique2(t, True, inv, cnt), x)
    run_both(lambda m, t: m._unique(t, return_inverse=inv), x)
    # unique along a dim (NaN-free: torch leaves NaN rows' order to std::sort)
    y = random_strided(rng, random_shape(rng, 3, max_size=4, min_nd=1, allow_zero=False),
                       TORCH_DTYPE[rng.choice(DTYPE_NAMES)])
    y = y.clamp(-1, 1) if y.dtype != torch.bool else y
    d = _dim(rng, y.ndim)
    run_both(lambda m, t: m.unique(t, dim=d, return_inverse=inv, return_counts=cnt), y)
    run_both(lambda m, t: (torch._VF if m is torch else S).unique_dim(
        t, d, return_inverse=True, return_counts=True), y)


# ------------------------------------------------------------------ searchsorted / bucketize

@pytest.mark.parametrize("seed", range(N))
def test_searchsorted_bucketize(seed):
    rng = _rng(seed, 8)
    g = torch.Generator().manual_seed(seed)
    bdt = rng.choice(DTYPE_NAMES)
    vdt = rng.choice([bdt, bdt, rng.choice(DTYPE_NAMES)])
    lead = random_shape(rng, 2, max_size=3)
    n = rng.choice([0, 1, 3, 5])
    one_d = rng.random() < 0.5
    bshape = (n,) if one_d else lead + (n,)
    bd = _ties_input(rng, bdt, max_nd=0).new_zeros(bshape)
    raw = torch.randint(-4, 5, bshape, generator=g).to(torch.float64)
    if bdt in FLOATS and rng.random() < 0.3 and n:
        raw[..., -1] = float("nan")
    raw = raw.sort(-1).values
    if rng.random() < 0.3:
        raw[..., ::2] = raw[..., ::2] + 0.5 * (bdt in FLOATS)
    bd = random_strided(rng, bshape, TORCH_DTYPE[bdt])
    bd.copy_(raw.to(bd.dtype))
    vshape = (lead if not one_d else random_shape(rng, 2, max_size=3)) + (rng.randint(0, 4),)
    if rng.random() < 0.2:
        vshape = ()
    v = random_strided(rng, vshape, TORCH_DTYPE[vdt])
    vals = torch.randint(-5, 6, vshape, generator=g).to(torch.float64) * 0.5
    if vdt in FLOATS and v.numel():
        vals.view(-1)[0] = float("nan")
    v.copy_(vals.to(v.dtype))
    right, i32 = rng.random() < 0.5, rng.random() < 0.3
    side = rng.choice([None, None, "left", "right", "mid"])
    run_both(lambda m, b, t: m.searchsorted(b, t), bd, v)
    run_both(lambda m, b, t: m.searchsorted(b, t, right=right, out_int32=i32, side=side), bd, v)
    on, odt = rng.choice([0, 2]), rng.choice(["int64", "int32"])
    run_both(lambda m, b, t: m.searchsorted(b, t, right=right, out_int32=i32,
                                            out=_out(m, on, odt)), bd, v)
    scalar = rng.choice([2, -1.5, 0.5, True])
    run_both(lambda m, b: m.searchsorted(b, scalar, right=right), bd)
    perm = torch.randperm(max(n, 1), generator=g)[:n].expand(bshape).contiguous()
    unsorted = bd.gather(-1, perm.argsort(-1)) if n else bd
    run_both(lambda m, b, t, s: m.searchsorted(b, t, sorter=s, side=side), unsorted, v, perm)
    run_both(lambda m, b, t, s: m.searchsorted(b, t, sorter=s.int()), unsorted, v, perm)
    run_both(lambda m, t, b: m.bucketize(t, b, right=right, out_int32=i32), v, bd)
    run_both(lambda m, t, b: m.bucketize(t, b, out=_out(m, 0, "int64")), v, bd)
    run_both(lambda m, b: m.bucketize(scalar, b), bd)


# ------------------------------------------------------------------ meta tensors

def _meta_pair(shape, dt="float32", stride=None):
    t = torch.empty_strided(shape, stride or torch.empty(shape).stride(),
                            dtype=TORCH_DTYPE[dt], device="meta")
    f = ft.empty(shape, dtype=getattr(ft, dt), device="meta")
    if stride is not None:
        f = ft.empty(shape, dtype=getattr(ft, dt), device="meta").as_strided(shape, stride)
    return t, f


def _same_meta(a, b):
    if isinstance(b, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same_meta(x, y)
        return
    assert a.device.type == "meta"
    assert dname(a.dtype) == dname(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    assert tuple(a.stride()) == tuple(b.stride()), (a.stride(), b.stride())


META_PROGS = [
    lambda m, x, y: m.cat([x, y], 1),
    lambda m, x, y: m.stack([x, y], -1),
    lambda m, x, y: m.hstack([x, y]),
    lambda m, x, y: m.vstack([x, y]),
    lambda m, x, y: m.flip(x, [0]),
    lambda m, x, y: m.roll(x, 1, 0),
    lambda m, x, y: x.repeat(2, 1, 3),
    lambda m, x, y: m.tile(x, (2,)),
    lambda m, x, y: m.repeat_interleave(x, 2, 1),
    lambda m, x, y: m.tril(x, 1),
    lambda m, x, y: m.triu(y),
    lambda m, x, y: m.sort(x, 0),
    lambda m, x, y: m.argsort(x, stable=True),
    lambda m, x, y: m.topk(x, 2),
    lambda m, x, y: m.kthvalue(x, 2, 0, True),
    lambda m, x, y: m.searchsorted(x, y),
    lambda m, x, y: m.bucketize(y, x[0]),
]


@pytest.mark.parametrize("prog", range(len(META_PROGS)))
def test_meta(prog):
    p = META_PROGS[prog]
    xt, xf = _meta_pair((3, 4), stride=(1, 3))
    yt, yf = _meta_pair((3, 4), "float64")
    _same_meta(p(ft, xf, yf), p(torch, xt, yt))


EDGE_PROGS = [
    lambda m: m.unique(m.ones(0, 3), dim=0, return_inverse=True, return_counts=True),
    lambda m: m.unique(m.ones(0, 3), dim=1),
    lambda m: m.unique(m.ones(2, 0, 3), dim=1, return_counts=True),
    lambda m: m.unique(m.ones(0, 0, 3), dim=1),
    lambda m: m.unique(m.tensor(3.0), dim=0),
    lambda m: m.unique(m.empty(3, device="meta")),
    lambda m: m.kthvalue(m.ones(3, 0), 1),
    lambda m: m.kthvalue(m.tensor(True), 1),
    lambda m: m.topk(m.tensor(True), 1),
    lambda m: m.cat([m.ones(0), m.ones(0)], 5),
    lambda m: m.cat([m.ones(2), 3]),
    lambda m: m.roll(m.ones(0, 2), 1, 5),
    lambda m: m.roll(m.ones(2, 2), 1, 5),
    lambda m: m.roll(m.ones(2, 2), (1,), ()),
    lambda m: m.roll(m.ones(2, 2), [], []),
    lambda m: m.flip(m.ones(2, 2), 0),
    lambda m: m.tile(m.ones(2, 2), 2),
    lambda m: m.ones(2, 3).repeat(2.0, 1),
    lambda m: m.topk(m.arange(5.0), 2.0),
    lambda m: m.tril(m.ones(3), 1),
    lambda m: m.searchsorted(m.arange(5.0), m.arange(3.0), sorter=m.tensor([0, 1, 2, 3, -1])),
    lambda m: m.searchsorted(m.arange(5.0), m.arange(3.0), sorter=m.arange(4)),
    lambda m: m.searchsorted(m.tensor([[1, 3], [2, 4]]), m.tensor(2)),
    lambda m: m.searchsorted(m.tensor([0.1], dtype=m.float32), 0.1, right=True),
    lambda m: m.bucketize(m.tensor(2), m.tensor(2)),
    lambda m: m.bucketize(2.5, m.tensor([1, 2, 3])),
    lambda m: m.repeat_interleave(m.tensor(3.0), 2, 0),
    lambda m: m.repeat_interleave(m.tensor(3.0), m.tensor(2)),
    lambda m: m.repeat_interleave(m.tensor([1, 2]), output_size=5),
]


@pytest.mark.parametrize("prog", range(len(EDGE_PROGS)))
def test_edge_cases(prog):
    run_both(EDGE_PROGS[prog])
