"""Reductions, scans and softmax, differentially against torch (the oracle)."""
from __future__ import annotations

import math
import random
import zlib

import pytest
import torch

import frankentorch as ft
from conftest import (DTYPE_NAMES, TORCH_DTYPE, random_strided, run_both)

ALL = [TORCH_DTYPE[n] for n in DTYPE_NAMES]
FLOATS = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def _inputs(dt):
    """A few layouts of ``dt``: contiguous, transposed, sliced, expanded, empty, 0-d."""
    rng = random.Random(zlib.crc32(str(dt).encode()))  # stable across processes
    base = random_strided(rng, (3, 4, 5), dt, allow_expand=False)
    out = [base, base.transpose(0, 2), base[:, ::2, 1:], torch.empty(0, 3, dtype=dt),
           random_strided(rng, (), dt), random_strided(rng, (4,), dt).expand(3, 4)]
    if dt.is_floating_point:
        nan = torch.tensor([[1.0, math.nan, -2.0], [math.inf, -math.inf, 0.5],
                            [3.0, 3.0, -1.0]]).to(dt)
        out.append(nan)
    return out


def _vn(m):
    return torch.linalg.vector_norm if m is torch else ft.linalg_vector_norm


def both(prog, *inputs, **kw):
    return run_both(prog, *inputs, **kw)


# torch rounds each half step (x - max, exp, log) to the half type; we compute in float32
HALF_TOL = {torch.float16: {"rtol": 3e-3, "atol": 1e-3}, torch.bfloat16: {"rtol": 2e-2, "atol": 1e-2}}
DIMS = [None, 0, -1, (0, 1), (), (1, -1)]


@pytest.mark.parametrize("dt", ALL, ids=str)
def test_sum_like(dt):
    for x in _inputs(dt):
        for d in DIMS:
            for kd in (False, True):
                # halves: torch rounds every partial nansum to the half type, we round once;
                # with bfloat16's eps of 2**-7 and partial sums up to ~4 in magnitude, a
                # cancelling sum of a dozen terms can drift by ~8 eps * 4 ~ 0.25 at worst,
                # typically a few eps; 0.05 keeps real errors (wrong dims, lost NaN) visible
                both(lambda m, t: m.nansum(t, d, kd), x,
                     **({"atol": 5e-2, "rtol": 2e-2} if dt in FLOATS[:2] else {}))
                if dt.is_floating_point:
                    both(lambda m, t: m.nanmean(t, d, keepdim=kd), x, **HALF_TOL.get(dt, {}))
                    both(lambda m, t: m.var(t, d, keepdim=kd), x)
                    both(lambda m, t: m.std(t, d, correction=0, keepdim=kd), x)
                    both(lambda m, t: m.var_mean(t, d, keepdim=kd, correction=2), x)
                    both(lambda m, t: m.std_mean(t, d, unbiased=False, keepdim=kd), x)
                    both(lambda m, t: m.logsumexp(t, d if d is not None else 0, kd), x,
                         **HALF_TOL.get(dt, {}))
                both(lambda m, t: t.all(d, keepdim=kd) if d is not None else t.all(), x)
                both(lambda m, t: m.any(t, d, keepdim=kd), x)
                both(lambda m, t: t.amax(d if d is not None else (), kd), x)
                both(lambda m, t: m.amin(t, d if d is not None else (), kd), x)
                both(lambda m, t: m.count_nonzero(t, d if d is not None else None), x)
        both(lambda m, t: t.prod(), x, **HALF_TOL.get(dt, {}))
        both(lambda m, t: t.prod(dtype=m.float64), x)
        both(lambda m, t: t.nanmean(), x)
        both(lambda m, t: t.var(), x)
        both(lambda m, t: m.std(t, False), x)
        both(lambda m, t: m.logsumexp(t, ()), x)
        for d in (0, -1, 1):
            for kd in (False, True):
                both(lambda m, t: t.prod(d, kd), x, **HALF_TOL.get(dt, {}))
                both(lambda m, t: m.nansum(t, d, kd, dtype=m.float64), x)


@pytest.mark.parametrize("dt", ALL, ids=str)
def test_extremes(dt):
    for x in _inputs(dt):
        both(lambda m, t: t.max(), x)
        both(lambda m, t: m.min(t), x)
        both(lambda m, t: t.argmax(), x)
        both(lambda m, t: m.argmin(t, keepdim=True), x)
        both(lambda m, t: m.aminmax(t), x)
        both(lambda m, t: t.median(), x)
        for d in (0, -1, 1, 2):
            for kd in (False, True):
                both(lambda m, t: t.max(d, kd), x)
                both(lambda m, t: m.min(t, d, keepdim=kd), x)
                both(lambda m, t: t.argmax(d, kd), x)
                both(lambda m, t: m.argmin(t, dim=d, keepdim=kd), x)
                both(lambda m, t: m.aminmax(t, dim=d, keepdim=kd), x)
                # ties: torch's index comes from nth_element (unspecified); values only
                if 0 not in x.stride():  # torch's median.dim misreads stride-0 inputs
                    both(lambda m, t: t.median(d, kd) if dt.is_floating_point
                         else t.median(d, kd).values, x)


@pytest.mark.parametrize("dt", ALL, ids=str)
def test_scans(dt):
    for x in _inputs(dt):
        for d in (0, -1, 1):
            both(lambda m, t: t.cumsum(d), x)
            both(lambda m, t: m.cumprod(t, d), x)
            both(lambda m, t: t.cumsum(d, dtype=m.float64), x)
            both(lambda m, t: t.cummax(d), x)
            both(lambda m, t: m.cummin(t, d), x)


def test_mode_and_median_ties():
    g = torch.Generator().manual_seed(0)
    for dt in (torch.int64, torch.int32, torch.uint8, torch.float32, torch.float64):
        x = torch.randint(0, 4, (5, 7), generator=g).to(dt)
        for d in (0, 1, -1):
            for kd in (False, True):
                both(lambda m, t: t.mode(d, kd), x)
                both(lambda m, t: t.median(d, kd), x[:, :3])
        both(lambda m, t: t.mode(), x)
        both(lambda m, t: m.mode(x.new_tensor(3) if False else t[0, 0]), x)
        both(lambda m, t: t.mode(0), torch.empty(0, 3, dtype=dt))
        both(lambda m, t: t.mode(1), torch.empty(0, 3, dtype=dt))
    both(lambda m, t: t.mode(), torch.tensor([True, False, True]))
    both(lambda m, t: t.median(), torch.tensor([True, False, True]))
    both(lambda m, t: t.median(), torch.empty(0, dtype=torch.int64))


@pytest.mark.parametrize("dt", FLOATS + [torch.int64, torch.bool], ids=str)
def test_norms(dt):
    for x in _inputs(dt):
        for p in (2, 1, 0, 3, 0.5, -1, math.inf, -math.inf, "fro"):
            both(lambda m, t: t.norm(p), x)
            both(lambda m, t: m.norm(t, p, dim=-1, keepdim=True), x)
            if p != "fro":
                both(lambda m, t: _vn(m)(t, p, (0, -1)), x)
                both(lambda m, t: _vn(m)(t, p, dtype=m.float64), x)
        both(lambda m, t: t.norm(dim=0), x)
        both(lambda m, t: t.norm(dtype=m.float64), x)
        both(lambda m, t: t.norm(dtype=m.float16), x)
        both(lambda m, t: m.norm(t, 2, 0, False, out=m.empty(0, dtype=t.dtype)), x)


@pytest.mark.parametrize("dt", ALL, ids=str)
def test_softmax(dt):
    import torch.nn.functional as F
    import frankentorch.nn.functional as G
    kw = HALF_TOL.get(dt, {})
    for x in _inputs(dt):
        for d in (0, -1, 1):
            both(lambda m, t: t.softmax(d), x, **kw)
            both(lambda m, t: m.log_softmax(t, d), x, **kw)
            both(lambda m, t: t.softmax(d, dtype=m.float32), x, **kw)
            both(lambda m, t: m.log_softmax(t, d, dtype=m.float64), x, **kw)
            run_both(lambda m, t: (F if m is torch else G).softmax(t, d, dtype=m.float32), x, **kw)
            run_both(lambda m, t: (F if m is torch else G).log_softmax(t, dim=d), x, **kw)
    x = torch.randn(3, 300, dtype=torch.float32) * 30
    both(lambda m, t: t.softmax(-1), x, **kw)
    both(lambda m, t: t.log_softmax(-1), x, **kw)
    both(lambda m, t: m.softmax(t, 1, out=m.empty(1)), x, **kw)


def test_out_forms():
    x = torch.randn(4, 5)
    xi = torch.randint(-5, 5, (4, 5))
    both(lambda m, t: m.prod(t, 1, out=m.empty(0)), x)
    both(lambda m, t: m.prod(t, 1, out=m.empty(0, dtype=m.int64)), x)
    both(lambda m, t: m.nansum(t, 0, out=m.empty(0, dtype=m.float64)), x)
    both(lambda m, t: m.nanmean(t, 0, out=m.empty(2)), x)
    both(lambda m, t: m.max(t, out=m.empty(0)), x)
    both(lambda m, t: m.min(t, out=m.empty(0)), x)
    both(lambda m, t: m.amax(t, 1, out=m.empty(0)), x)
    both(lambda m, t: m.amin(t, (0, 1), True, out=m.empty(0)), x)
    both(lambda m, t: m.argmax(t, 1, out=m.empty(0, dtype=m.int64)), x)
    both(lambda m, t: m.argmin(t, out=m.empty(0, dtype=m.int64)), x)
    both(lambda m, t: m.var(t, 1, out=m.empty(0)), x)
    both(lambda m, t: m.std(t, 1, correction=0, out=m.empty(0)), x)
    both(lambda m, t: m.logsumexp(t, 1, out=m.empty(0)), x)
    both(lambda m, t: m.all(t, 1, out=m.empty(0, dtype=m.bool)), x)
    both(lambda m, t: m.any(t, out=m.empty(0, dtype=m.bool)), x)
    both(lambda m, t: m.any(t, (0, 1), out=m.empty(0, dtype=m.bool)), x)
    both(lambda m, t: m.cumsum(t, 1, out=m.empty(0)), x)
    both(lambda m, t: m.cumsum(t, 1, out=m.empty(0, dtype=m.int64)), x)
    both(lambda m, t: m.cumprod(t, 0, out=m.empty(0, dtype=m.int32)), xi)
    both(lambda m, t: m.log_softmax(t, 1, out=m.empty(0)), x)
    both(lambda m, t: _vn(m)(t, 3, out=m.empty(0)), x)
    both(lambda m, t: m.max(t, 0, out=m.empty(0)), x)  # torch: TypeError or Runtime


def test_misc_semantics():
    both(lambda m, t: t.all(), torch.tensor([1, 0, 2], dtype=torch.uint8))
    both(lambda m, t: t.any(0), torch.tensor([1, 0, 2], dtype=torch.uint8))
    both(lambda m, t: t.all(), torch.empty(0))
    both(lambda m, t: t.any(), torch.empty(0))
    both(lambda m, t: t.sum(), torch.tensor([100, 100], dtype=torch.int8))
    both(lambda m, t: t.prod(), torch.tensor([100, 100], dtype=torch.int8))
    both(lambda m, t: t.argmax(), torch.tensor([1.0, math.nan, 5.0, math.nan]))
    both(lambda m, t: t.max(0), torch.tensor([[1.0, 2.0], [1.0, 2.0]]))
    both(lambda m, t: t.max(5), torch.randn(2, 3))
    both(lambda m, t: t.sum((0, 0)), torch.randn(2, 3))
    both(lambda m, t: m.sum(t, 0), torch.tensor(3.0))
    both(lambda m, t: t.var(0), torch.tensor([1.0]))
    both(lambda m, t: t.max(), torch.tensor(True))
    for x in (torch.randn(2, 3), torch.tensor(1.5), torch.randn(2, 0, 3)):
        both(lambda m, t: t.max(dim=1), x)
        both(lambda m, t: t.max(dim=0, keepdim=True), x)
    ra = ft.max(ft.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    rt = torch.max(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    assert repr(ra) == repr(rt)
    v, i = ra
    assert ra.values is v and ra[1] is i and ra.indices is i and len(ra) == 2
    assert repr(ft.aminmax(ft.tensor([1, 2]))) == repr(torch.aminmax(torch.tensor([1, 2])))
    assert type(ft.var_mean(ft.ones(3))) is tuple


def test_meta():
    x = ft.empty(3, 4, device="meta")
    for f, shape in ((lambda t: t.prod(1), (3,)), (lambda t: t.max(1).values, (3,)),
                     (lambda t: t.amax((0, 1), True), (1, 1)), (lambda t: t.argmax(), ()),
                     (lambda t: t.var(0), (4,)), (lambda t: t.norm(dim=1), (3,)),
                     (lambda t: t.logsumexp(1), (3,)), (lambda t: t.cumsum(0), (3, 4)),
                     (lambda t: t.softmax(1), (3, 4)), (lambda t: t.all(1), (3,)),
                     (lambda t: t.median(0).indices, (4,)), (lambda t: t.cummax(1)[1], (3, 4)),
                     (lambda t: ft.var_mean(t, 1)[1], (3,))):
        r = f(x)
        assert r.device.type == "meta" and tuple(r.shape) == shape


def test_big_float32_reductions():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3_000_000, generator=g)
    both(lambda m, t: t.sum(), x, rtol=1.3e-6, atol=1e-5)
    both(lambda m, t: t.mean(), x, rtol=1.3e-6, atol=1e-5)
    y = torch.randn(2048, 1024, generator=g)
    for d in (0, 1, (0, 1)):
        both(lambda m, t: t.sum(d), y)
    both(lambda m, t: t.sum(0), y[:, ::2])
    both(lambda m, t: t.sum(0), y.t())
    both(lambda m, t: t.softmax(-1), y)
    both(lambda m, t: t.log_softmax(-1), y)
    # tall-skinny: positive values (torch's own float32 rounding differs near cancellation)
    z = torch.rand(40000, 3, generator=g)
    both(lambda m, t: t.sum(0), z)


def test_inplace_cumulative_ops():
    for dt in (torch.float32, torch.int64, torch.int8):
        for op in ("cumsum_", "cumprod_"):
            got = []
            for m in (torch, ft):
                x = m.tensor([[1, 2, 3], [4, 5, 6]], dtype=getattr(m, str(dt).split(".")[1]))
                v = x._version
                try:
                    r = getattr(x, op)(1)
                    got.append((r is x, x.tolist(), x._version - v, str(x.dtype)))
                except RuntimeError as e:
                    got.append(type(e).__name__)
            assert got[0] == got[1]


_NAN = float("nan")
NANMEDIAN_DATA = [[_NAN, _NAN, _NAN], [1.0, _NAN, 3.0], [2.0, _NAN, 1.0], [_NAN, 5.0, _NAN]]


@pytest.mark.parametrize("prog", [
    lambda lib, x: lib.nanmedian(x, 1),
    lambda lib, x: lib.nanmedian(x, 0, keepdim=True),
    lambda lib, x: lib.nanmedian(x),
    lambda lib, x: lib.nanmedian(x[:, 1]),
    lambda lib, x: lib.nanmedian(x.nan_to_num(7.0).long(), 1),
    lambda lib, x: lib.nanmedian(x.bool()),
    lambda lib, x: lib.nanmedian(x[:0]),
])
def test_nanmedian(prog):
    run_both(prog, torch.tensor(NANMEDIAN_DATA))


PAIR_OUT_OPS = {
    "max": lambda lib, x, o: lib.max(x, 0, out=o),
    "min": lambda lib, x, o: lib.min(x, 1, True, out=o),
    "median": lambda lib, x, o: lib.median(x, 0, out=o),
    "nanmedian": lambda lib, x, o: lib.nanmedian(x, 0, out=o),
    "mode": lambda lib, x, o: lib.mode(x, 0, out=o),
    "cummax": lambda lib, x, o: lib.cummax(x, 0, out=o),
    "cummin": lambda lib, x, o: lib.cummin(x, 1, out=o),
    "aminmax": lambda lib, x, o: lib.aminmax(x, dim=0, out=o),
}
OUT_PAIRS = {
    "empty": lambda lib, second: (lib.empty(0), lib.empty(0, dtype=second)),
    "resized": lambda lib, second: (lib.empty(5), lib.empty(5, dtype=second)),
    "strided": lambda lib, second: (lib.empty(3, 2).t(), lib.empty(3, 2, dtype=second).t()),
    "wrong values dtype": lambda lib, second: (lib.empty(0, dtype=lib.float64),
                                               lib.empty(0, dtype=second)),
    "wrong second dtype": lambda lib, second: (lib.empty(0), lib.empty(0, dtype=lib.int32)),
}


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
@pytest.mark.parametrize("op", list(PAIR_OUT_OPS))
@pytest.mark.parametrize("outs", list(OUT_PAIRS))
def test_named_out_forms(op, outs):
    """The out= forms of ops returning two tensors: results, dtype errors, resizing and
    layout, and the ``*_out`` return type."""
    def prog(lib, x):
        second = lib.float32 if op == "aminmax" else lib.int64
        res = PAIR_OUT_OPS[op](lib, x, OUT_PAIRS[outs](lib, second))
        return type(res).__name__, res[0], res[1]
    run_both(prog, torch.tensor([[1.0, 5.0, 2.0], [3.0, 0.0, 4.0]]))
