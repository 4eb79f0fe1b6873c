"""Differential tests of the linear-algebra family against real torch (the oracle).

Every expected value, dtype, shape, stride and exception comes from torch itself. Values are
compared with torch.testing.assert_close's dtype-aware tolerances unless a test says why it
widens them (BLAS accumulation order differs between NumPy's BLAS and torch's).
"""
from __future__ import annotations

import random
import warnings

import pytest
import torch

import frankentorch as ft
from conftest import assert_same, run_both, random_strided, to_ft

F32, F64 = torch.float32, torch.float64
FLOATS = (torch.float32, torch.float64)
ALL_MM = (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
          torch.int32, torch.int8, torch.uint8, torch.int16)
# halves accumulate in float32 and round once; sums of K products can differ in the last bit
TOL = {torch.float16: dict(rtol=2e-3, atol=2e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=2e-2)}


def _vals(gen, shape, dtype):
    if dtype.is_floating_point:
        return torch.randn(shape, generator=gen, dtype=F64).to(dtype)
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=gen).bool()
    lo, hi = (0, 6) if dtype == torch.uint8 else (-5, 6)
    return torch.randint(lo, hi, shape, generator=gen).to(dtype)


def _mk(seed, shape, dtype=F32, layout="contiguous"):
    """Input of ``shape``: contiguous, transposed (last two dims swapped in memory) or with
    random strides."""
    gen = torch.Generator().manual_seed(seed)
    if layout == "transposed" and len(shape) >= 2:
        base = _vals(gen, shape[:-2] + (shape[-1], shape[-2]), dtype)
        return base.transpose(-1, -2)
    if layout == "strided":
        return random_strided(random.Random(seed), shape, dtype, allow_expand=False).copy_(
            _vals(gen, shape, dtype))
    return _vals(gen, shape, dtype)


def _tol(*ts):
    for t in ts:
        if isinstance(t, torch.Tensor) and t.dtype in TOL:
            return TOL[t.dtype]
    return {}


def both(prog, *inputs, check_stride=True):
    return run_both(prog, *inputs, check_stride=check_stride, **_tol(*inputs))


def raises_like(prog, *inputs, match_message=True):
    """torch raises; frankentorch raises the same type (and the same message)."""
    try:
        r_t = prog(torch, *inputs)
    except Exception as e:  # noqa: BLE001 - the oracle's error is the expectation
        r_t = e
    assert isinstance(r_t, Exception), f"torch did not raise: {r_t}"
    expected = ft.linalg.LinAlgError if isinstance(r_t, torch.linalg.LinAlgError) \
        else type(r_t)
    with pytest.raises(expected) as info:
        prog(ft, *[to_ft(x) if isinstance(x, torch.Tensor) else x for x in inputs])
    r_ft = info.value
    if match_message:
        assert str(r_t) == str(r_ft), (str(r_t), str(r_ft))


LAYOUTS = ("contiguous", "transposed", "strided")


# ---------------------------------------------------------------------------- mm / bmm

@pytest.mark.parametrize("dtype", ALL_MM)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mkn", [(3, 4, 5), (1, 1, 1), (0, 3, 2), (2, 0, 3), (4, 3, 0)])
def test_mm(dtype, layout, mkn):
    m, k, n = mkn
    a, b = _mk(1, (m, k), dtype, layout), _mk(2, (k, n), dtype, layout)
    both(lambda T, x, y: T.mm(x, y), a, b)
    both(lambda T, x, y: x.mm(y), a, b)
    both(lambda T, x, y: x @ y, a, b)


@pytest.mark.parametrize("dtype", ALL_MM)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bmm(dtype, layout):
    for shp in [((2, 3, 4), (2, 4, 5)), ((0, 3, 4), (0, 4, 2)), ((3, 2, 0), (3, 0, 4))]:
        a, b = _mk(3, shp[0], dtype, layout), _mk(4, shp[1], dtype, layout)
        both(lambda T, x, y: T.bmm(x, y), a, b)
        both(lambda T, x, y: x.bmm(y), a, b)


def test_mm_bmm_errors():
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    cases = [(f(2, 3), f(4, 5)), (f(2, 3), f(3, 5, dtype=F64)), (f(2, 3, dtype=F64), f(3, 5)),
             (f(2, 3), f(3)), (f(3), f(3, 3)), (f(2, 3, dtype=torch.float16), f(3, 2)),
             (f(2, 3, dtype=torch.int64), f(3, 2)),
             (f(2, 3, dtype=torch.bool), f(3, 2, dtype=torch.bool))]
    for a, b in cases:
        raises_like(lambda T, x, y: T.mm(x, y), a, b)
    cases = [(f(2, 2, 3), f(2, 4, 5)), (f(2, 2, 3), f(3, 3, 5)), (f(2, 3), f(3, 5)),
             (f(2, 2, 3), f(2, 3, 5, dtype=F64)),
             (f(2, 2, 3, dtype=torch.bool), f(2, 3, 2, dtype=torch.bool))]
    for a, b in cases:
        raises_like(lambda T, x, y: T.bmm(x, y), a, b)


def test_mm_out():
    a, b = _mk(6, (3, 4)), _mk(7, (4, 2))
    for shape in ((0,), (3, 2), (2, 2, 2)):
        def prog(T, x, y):
            o = T.empty(shape)
            r = T.mm(x, y, out=o)
            return r, o, r is o
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            both(prog, a, b)
    raises_like(lambda T, x, y: T.mm(x, y, out=T.empty(0, dtype=T.float64)), a, b)
    raises_like(lambda T, x, y: T.bmm(x, y, out=T.empty(0, dtype=T.int32)),
                _mk(1, (2, 3, 4)), _mk(2, (2, 4, 1)))
    both(lambda T, x, y: T.bmm(x, y, out=T.empty(0)), _mk(1, (2, 3, 4)), _mk(2, (2, 4, 1)))


# ---------------------------------------------------------------------------- matmul

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((5, 3), (2, 3, 4)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (2, 4, 5)), ((1, 2, 3), (4, 3, 2)),
                 ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((0,), (0,)), ((2, 0, 3), (3, 2)),
                 ((3, 1, 2, 3), (1, 4, 3, 2))]


@pytest.mark.parametrize("dtype", (F32, F64, torch.float16, torch.bfloat16, torch.int64,
                                   torch.int8))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_matmul_shapes(dtype, layout):
    for i, (sa, sb) in enumerate(MATMUL_SHAPES):
        a, b = _mk(10 + i, sa, dtype, layout), _mk(40 + i, sb, dtype, layout)
        both(lambda T, x, y: T.matmul(x, y), a, b)
        both(lambda T, x, y: x.matmul(y), a, b)
        both(lambda T, x, y: x @ y, a, b)
        both(lambda T, x, y: T.linalg.matmul(x, y), a, b)


def test_matmul_errors():
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    d = F64
    cases = [(f(), f(3)), (f(3), f()), (f(3), f(4)), (f(3), f(4, 5)), (f(2, 3), f(4)),
             (f(2, 2, 3), f(3, 4, 5)), (f(2, 2, 3), f(4, 3, 5)), (f(2, 2, 3), f(4)),
             (f(3), f(2, 4, 5)), (f(3), f(3, dtype=d)), (f(2, 3), f(3, 4, dtype=d)),
             (f(2, 2, 3), f(2, 3, 4, dtype=d)), (f(2, 2, 3), f(3, 4, dtype=d)),
             (f(2, 3), f(2, 3, 4, dtype=d)), (f(3), f(2, 3, 4, dtype=d)),
             (f(2, 3), f(3, dtype=d)), (f(2, 2, 3), f(3, dtype=d)),
             (f(2, 3, dtype=torch.bool), f(3, 2, dtype=torch.bool)),
             (f(3, dtype=torch.bool), f(3, dtype=torch.bool)),
             (f(2, 2, 3, dtype=torch.bool), f(2, 3, 2, dtype=torch.bool)),
             (f(2, 3, dtype=torch.bool), f(3, dtype=torch.bool))]
    for a, b in cases:
        raises_like(lambda T, x, y: T.matmul(x, y), a, b)
    with pytest.raises(TypeError):
        ft.ones(3) @ [1, 2, 3]


def test_matmul_fold_paths_non_contiguous_batch():
    # a batched operand whose batch dims are not foldable takes the bmm path in ATen
    a = _mk(1, (4, 2, 3)).transpose(0, 1)  # (2, 4, 3), batch not foldable
    both(lambda T, x, y: T.matmul(x, y), a, _mk(2, (3, 5)))
    both(lambda T, x, y: T.matmul(x, y), a, _mk(2, (3,)))
    raises_like(lambda T, x, y: T.matmul(x, y), a, _mk(2, (4, 5)))
    raises_like(lambda T, x, y: T.matmul(x, y), a, _mk(2, (3,), F64))


def test_matmul_out_and_rmatmul():
    a, b = _mk(1, (2, 3, 4)), _mk(2, (4, 5))
    both(lambda T, x, y: (T.matmul(x, y, out=T.empty(0)),), a, b)
    both(lambda T, x, y: (T.matmul(x[0, 0], y, out=T.empty(0)),), a, b)
    raises_like(lambda T, x, y: T.matmul(x, y, out=T.empty(0, dtype=T.float64)), a, b)
    both(lambda T, x, y: y.__rmatmul__(x), _mk(3, (4, 2)), _mk(4, (2, 3)))
    both(lambda T, x, y: x.__matmul__(y), _mk(3, (4, 2)), _mk(4, (2, 3)))


def test_imatmul_rebinds_like_torch():
    def prog(T, x, y):
        z = x
        x @= y
        return x, z
    both(prog, _mk(1, (2, 3)), _mk(2, (3, 4)))
    assert not hasattr(ft.Tensor, "__imatmul__") or hasattr(torch.Tensor, "__imatmul__")


def test_matmul_large_float32():
    # 512x512 float32: BLAS blocking differs between NumPy and torch, so compare both
    # against torch computed in float64 with a float32-sized tolerance
    a, b = _mk(1, (512, 512)), _mk(2, (512, 512))
    ref = (a.double() @ b.double()).float()
    got = torch.from_numpy(ft.matmul(to_ft(a), to_ft(b)).numpy().copy())
    torch.testing.assert_close(got, ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(a @ b, ref, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------- mv, dot, vdot

@pytest.mark.parametrize("dtype", ALL_MM)
def test_mv_dot_vdot(dtype):
    for layout in LAYOUTS:
        m, v = _mk(1, (3, 4), dtype, layout), _mk(2, (4,), dtype, layout)
        both(lambda T, x, y: T.mv(x, y), m, v)
        both(lambda T, x, y: x.mv(y), m, v)
        both(lambda T, x, y: T.mv(x, y), _mk(1, (0, 4), dtype), v)
        both(lambda T, x, y: T.mv(x, y), _mk(1, (3, 0), dtype), _mk(1, (0,), dtype))
    v1, v2 = _mk(3, (5,), dtype), _mk(4, (10,), dtype)[::2]
    both(lambda T, x, y: T.dot(x, y), v1, v2)
    both(lambda T, x, y: x.dot(y), v1, v2)
    both(lambda T, x, y: T.vdot(x, y), v1, v2)
    both(lambda T, x, y: T.dot(x, y), _mk(3, (0,), dtype), _mk(3, (0,), dtype))


def test_mv_dot_errors_and_out():
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    for a, b in [(f(2, 3), f(4)), (f(2, 3), f(3, dtype=F64)), (f(2, 3, dtype=F64), f(3)),
                 (f(2, 3, 3), f(3)), (f(2, 3), f(3, 1)),
                 (f(2, 3, dtype=torch.bool), f(3, dtype=torch.bool))]:
        raises_like(lambda T, x, y: T.mv(x, y), a, b)
    for op in ("dot", "vdot"):
        for a, b in [(f(3), f(4)), (f(3), f(3, dtype=F64)), (f(3, 1), f(3)),
                     (f(3, dtype=torch.bool), f(3, dtype=torch.bool))]:
            raises_like(lambda T, x, y: getattr(T, op)(x, y), a, b)
        raises_like(lambda T, x, y: getattr(T, op)(x, y, out=T.empty(0, dtype=T.float64)),
                    f(3), f(3))
        both(lambda T, x, y: (getattr(T, op)(x, y, out=T.empty(0)),), f(3), f(3))
    raises_like(lambda T, x, y: T.mv(x, y, out=T.empty(0, dtype=T.float64)), f(2, 3), f(3))
    both(lambda T, x, y: (T.mv(x, y, out=T.empty(0)),), f(2, 3), f(3))


# ---------------------------------------------------------------------------- outer / ger

def test_outer_ger():
    dts = (F32, F64, torch.int32, torch.bool, torch.float16, torch.uint8)
    for da in dts:
        for db in dts:
            a, b = _mk(1, (3,), da), _mk(2, (8,), db)[::2]
            both(lambda T, x, y: T.outer(x, y), a, b)
            both(lambda T, x, y: x.ger(y), a, b)
    both(lambda T, x, y: T.outer(x, y), _mk(1, (0,)), _mk(2, (3,)))
    raises_like(lambda T, x, y: T.outer(x, y), _mk(1, (2, 2)), _mk(2, (3,)))
    raises_like(lambda T, x, y: T.outer(x, y), _mk(1, (2,)), _mk(2, (3, 1)))
    both(lambda T, x, y: (T.outer(x, y, out=T.empty(0, dtype=T.float64)),), _mk(1, (2,)),
         _mk(2, (3,)))
    raises_like(lambda T, x, y: T.outer(x, y, out=T.empty(0, dtype=T.int32)), _mk(1, (2,)),
                _mk(2, (3,)), match_message=False)


# ---------------------------------------------------------------------------- addmm family

BETA_ALPHA = [dict(), dict(beta=0.5, alpha=2), dict(beta=0), dict(alpha=0), dict(beta=2),
              dict(beta=1.5, alpha=-1.25)]


@pytest.mark.parametrize("dtype", (F32, F64, torch.float16, torch.bfloat16, torch.int64,
                                   torch.int32))
@pytest.mark.parametrize("kw", BETA_ALPHA)
def test_addmm_addmv_baddbmm(dtype, kw):
    for layout in ("contiguous", "transposed"):
        m1, m2 = _mk(1, (3, 4), dtype, layout), _mk(2, (4, 5), dtype, layout)
        for inp in (_mk(3, (3, 5), dtype), _mk(3, (5,), dtype), _mk(3, (3, 1), dtype),
                    _mk(3, (), dtype)):
            both(lambda T, s, x, y: T.addmm(s, x, y, **kw), inp, m1, m2)
            both(lambda T, s, x, y: s.addmm(x, y, **kw), inp, m1, m2)
        both(lambda T, s, x, y: s.clone().addmm_(x, y, **kw), _mk(3, (3, 5), dtype), m1, m2)
        v = _mk(4, (4,), dtype, layout)
        for inp in (_mk(3, (3,), dtype), _mk(3, (1,), dtype), _mk(3, (), dtype)):
            both(lambda T, s, x, y: T.addmv(s, x, y, **kw), inp, m1, v)
        both(lambda T, s, x, y: s.clone().addmv_(x, y, **kw), _mk(3, (3,), dtype), m1, v)
        b1, b2 = _mk(5, (2, 3, 4), dtype, layout), _mk(6, (2, 4, 5), dtype, layout)
        for inp in (_mk(3, (2, 3, 5), dtype), _mk(3, (3, 5), dtype), _mk(3, (1, 1, 5), dtype)):
            both(lambda T, s, x, y: T.baddbmm(s, x, y, **kw), inp, b1, b2)
        both(lambda T, s, x, y: s.clone().baddbmm_(x, y, **kw), _mk(3, (2, 3, 5), dtype),
             b1, b2)


def test_addmm_beta_zero_ignores_nan_and_out():
    nan = float("nan")
    both(lambda T, s, x, y: T.addmm(s, x, y, beta=0), torch.full((2, 4), nan), _mk(1, (2, 3)),
         _mk(2, (3, 4)))
    both(lambda T, s, x, y: T.addmv(s, x, y, beta=0), torch.full((2,), nan), _mk(1, (2, 3)),
         _mk(2, (3,)))
    both(lambda T, s, x, y: T.baddbmm(s, x, y, beta=0), torch.full((1, 2, 2), nan),
         _mk(1, (1, 2, 3)), _mk(2, (1, 3, 2)))
    both(lambda T, s, x, y: T.addmm(s, x, y, alpha=0), torch.ones(2, 2),
         torch.full((2, 3), float("inf")), _mk(2, (3, 2)))
    both(lambda T, s, x, y: (T.addmm(s, x, y, beta=2, out=T.empty(0)),), _mk(3, (2, 4)),
         _mk(1, (2, 3)), _mk(2, (3, 4)))
    both(lambda T, s, x, y: (T.addmv(s, x, y, alpha=3, out=T.empty(0)),), _mk(3, (2,)),
         _mk(1, (2, 3)), _mk(2, (3,)))
    both(lambda T, s, x, y: (T.baddbmm(s, x, y, out=T.empty(0)),), _mk(3, (1, 2, 4)),
         _mk(1, (1, 2, 3)), _mk(2, (1, 3, 4)))
    i = torch.int32
    both(lambda T, s, x, y: T.addmm(s, x, y, beta=0.5, alpha=1.7), _mk(3, (2, 2), i),
         _mk(1, (2, 2), i), _mk(2, (2, 2), i))


def test_addmm_family_errors():
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    d, b = F64, torch.bool
    for s, x, y in [(f(2, 4), f(2, 3), f(3, 4, dtype=d)), (f(2, 4, dtype=d), f(2, 3), f(3, 4)),
                    (f(2, 4), f(2, 3, dtype=d), f(3, 4)), (f(3, 4), f(2, 3), f(3, 4)),
                    (f(2, 4), f(3), f(3, 4)), (f(2, 4), f(2, 3), f(3)),
                    (f(2, 4), f(2, 3), f(4, 4)), (f(2, 4, dtype=d), f(2, 3), f(4, 4)),
                    (f(2, 4, dtype=b), f(2, 3, dtype=b), f(3, 4, dtype=b))]:
        raises_like(lambda T, p, q, r: T.addmm(p, q, r), s, x, y)
    for s, x, y in [(f(2), f(2, 3), f(3, dtype=d)), (f(3), f(2, 3), f(3)),
                    (f(2, 1), f(2, 3), f(3)), (f(2, dtype=d), f(2, 3), f(3)),
                    (f(2), f(2, 3), f(4, dtype=d)),
                    (f(2, dtype=b), f(2, 3, dtype=b), f(3, dtype=b))]:
        raises_like(lambda T, p, q, r: T.addmv(p, q, r), s, x, y)
    for s, x, y in [(f(2, 2, 4), f(2, 2, 3), f(2, 3, 4, dtype=d)),
                    (f(2, 2, 4, dtype=d), f(2, 2, 3), f(2, 3, 4)),
                    (f(2, 2, 4), f(2, 2, 3, dtype=d), f(2, 3, 4)),
                    (f(3, 2, 4), f(2, 2, 3), f(2, 3, 4)), (f(2, 2, 4), f(2, 2, 3), f(2, 4, 4)),
                    (f(2, 2, 4), f(2, 3), f(2, 3, 4)),
                    (f(2, 2, 4, dtype=b), f(2, 2, 3, dtype=b), f(2, 3, 4, dtype=b))]:
        raises_like(lambda T, p, q, r: T.baddbmm(p, q, r), s, x, y)
    raises_like(lambda T, p, q, r: T.addmm(p, q, r, out=T.empty(0, dtype=T.float64)),
                f(2, 4), f(2, 3), f(3, 4))


# ---------------------------------------------------------------------------- einsum

EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
          ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ij->ji", [(2, 3)]), ("ii", [(3, 3)]),
          ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
          ("i,i->", [(4,), (4,)]), ("i,i->i", [(2,), (1,)]), ("...ij->...ji", [(4, 2, 3)]),
          ("...ii->...i", [(2, 3, 3)]), ("...i,...i->...", [(2, 1, 3), (4, 3)]),
          ("i...,i...", [(2, 3), (2, 3)]), ("b i j , b j k -> b i k", [(2, 2, 3), (2, 3, 4)]),
          ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("iij->j", [(2, 2, 3)]),
          ("ij,ij->ij", [(2, 3), (2, 3)]), ("ba,ac->bc", [(0, 3), (3, 2)]),
          ("ij,kl->ijkl", [(2, 1), (1, 3)]), ("Ab,bC->AC", [(2, 3), (3, 2)]), ("i", [(3,)]),
          ("ij,j->i", [(3, 0), (0,)])]


@pytest.mark.parametrize("eq,shapes", EINSUM)
def test_einsum(eq, shapes):
    for dtype in (F32, F64):
        for layout in ("contiguous", "strided"):
            ops = [_mk(7 + i, s, dtype, layout) for i, s in enumerate(shapes)]
            both(lambda T, *xs: T.einsum(eq, *xs), *ops, check_stride=False)
            both(lambda T, *xs: T.einsum(eq, list(xs)), *ops, check_stride=False)


def test_einsum_dtypes_and_sublist():
    i32, b = torch.int32, torch.bool
    both(lambda T, x, y: T.einsum("i,j->ij", x, y), _mk(1, (2,), i32), _mk(2, (3,), i32))
    both(lambda T, x, y: T.einsum("ij,jk->ik", x, y), _mk(1, (2, 3), i32), _mk(2, (3, 4), i32))
    both(lambda T, x: T.einsum("ij->", x), _mk(1, (2, 3), b))
    both(lambda T, x: T.einsum("ij->i", x), _mk(1, (2, 3), torch.int8))
    both(lambda T, x, y: T.einsum("i,j->ij", x, y), _mk(1, (2,), b), _mk(2, (3,), b))
    both(lambda T, x, y: T.einsum("i,i->i", x, y), _mk(1, (3,)), _mk(2, (3,), F64))
    both(lambda T, x, y: T.einsum("ij,jk->ik", x, y), _mk(1, (2, 3), torch.float16),
         _mk(2, (3, 4), torch.float16))
    both(lambda T, x, y: T.einsum(x, [0, 1], y, [1, 2], [0, 2]), _mk(1, (2, 3)), _mk(2, (3, 4)))
    both(lambda T, x, y: T.einsum(x, [0, 1], y, [1, 2]), _mk(1, (2, 3)), _mk(2, (3, 4)))


def test_einsum_errors():
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    for eq, ops in [("ij,jk->ik", [f(2, 3), f(4, 4)]), ("ij,jk->ik", [f(2, 3)]),
                    ("ij", [f(2, 3, 4)]), ("ij->ik", [f(2, 3)]), ("ij->jj", [f(2, 3)]),
                    ("i1->i", [f(2, 3)]), ("ij->ik", [f(2, 3), f(3, 3)]),
                    ("ii->i", [f(2, 3)]), ("ij,jk->ik", [f(2, 3), f(3, 4, dtype=F64)]),
                    ("ij,jk,kl->il", [f(2, 3), f(3, 4), f(4, 5, dtype=F64)]),
                    ("ij,jk->ik", [f(2, 3, dtype=torch.bool), f(3, 2, dtype=torch.bool)]),
                    ("i,i->", [f(2, dtype=torch.bool), f(2, dtype=torch.bool)])]:
        raises_like(lambda T, *xs: T.einsum(eq, *xs), *ops)


# ---------------------------------------------------------------------------- tensordot

def test_tensordot():
    for dtype in (F32, F64, torch.int64):
        a, b = _mk(1, (2, 3, 4), dtype), _mk(2, (3, 4, 5), dtype, "strided")
        both(lambda T, x, y: T.tensordot(x, y, dims=2), a, b)
        both(lambda T, x, y: T.tensordot(x, y), a, b)
        both(lambda T, x, y: T.tensordot(x, y, dims=([1, 2], [0, 1])), a, b)
        both(lambda T, x, y: T.tensordot(x, y, dims=[[1], [0]]), a, b)
        both(lambda T, x, y: T.tensordot(x, y, dims=0), _mk(1, (2, 3), dtype),
             _mk(2, (4,), dtype))
        both(lambda T, x, y: T.tensordot(x, y, dims=([1, 0], [0, 1])), _mk(1, (3, 4), dtype),
             _mk(2, (4, 3), dtype))
        both(lambda T, x, y: T.tensordot(x, y, dims=([1], [0])), _mk(1, (2, 1), dtype),
             _mk(2, (3, 4), dtype))
    both(lambda T, x, y: T.tensordot(x, y, dims=T.tensor(1)), _mk(1, (2, 3)), _mk(2, (3, 5)))
    both(lambda T, x, y: (T.tensordot(x, y, 1, out=T.empty(0)),), _mk(1, (2, 3)),
         _mk(2, (3, 5)))
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    for a, b, dims in [(f(2, 3, 4), f(4, 3, 5, dtype=F64), ([1, 2], [1, 0])),
                       (f(2, 3, 4), f(4, 3, 5), ([1], [1, 0])),
                       (f(2, 3, 4), f(4, 3, 5), ([1], [0])), (f(2, 3), f(4, 5), -1)]:
        raises_like(lambda T, x, y: T.tensordot(x, y, dims=dims), a, b)


# ---------------------------------------------------------------------------- linalg

def _spd(seed, shape, dtype=F64):
    a = _mk(seed, shape, F64)
    n = shape[-1]
    return (a @ a.mT + n * torch.eye(n, dtype=F64)).to(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_inv_det(dtype):
    for shape in [(3, 3), (2, 4, 4), (2, 1, 3, 3), (0, 0), (2, 0, 0), (0, 3, 3), (1, 1)]:
        for layout in ("contiguous", "transposed"):
            a = _spd(1, shape, dtype) + _mk(2, shape, dtype, layout) * 0.1
            if layout == "transposed":
                a = a.mT.contiguous().mT
            both(lambda T, x: T.linalg.inv(x), a)
            both(lambda T, x: T.inverse(x), a)
            both(lambda T, x: x.inverse(), a)
            both(lambda T, x: T.linalg.det(x), a)
            both(lambda T, x: T.det(x), a)
            both(lambda T, x: x.det(), a)
    both(lambda T, x: T.det(x), torch.zeros(3, 3, dtype=dtype))
    both(lambda T, x: (T.linalg.inv(x, out=T.empty(0, dtype=x.dtype)),), _spd(3, (3, 3), dtype))
    both(lambda T, x: (T.linalg.det(x, out=T.empty(0, dtype=x.dtype)),), _spd(3, (3, 3), dtype))


def test_inv_det_errors():
    sing = [torch.zeros(3, 3), torch.zeros(2, 3, 3), torch.tensor([[1., 2.], [2., 4.]]),
            torch.tensor([[1., 1., 1], [1., 1., 0], [1, 1, 1]]),
            torch.stack([torch.eye(3), torch.zeros(3, 3)])]
    for a in sing:
        raises_like(lambda T, x: T.linalg.inv(x), a)
        with pytest.raises(ft.linalg.LinAlgError):
            ft.linalg.inv(to_ft(a))
    assert issubclass(ft.linalg.LinAlgError, RuntimeError)
    for a in [_mk(1, (2, 3)), _mk(1, (3,)), torch.ones(3, 3, dtype=torch.int64),
              torch.ones(3, 3, dtype=torch.float16), torch.eye(3).bfloat16()]:
        raises_like(lambda T, x: T.linalg.inv(x), a)
        raises_like(lambda T, x: T.linalg.det(x), a)
    raises_like(lambda T, x: T.linalg.inv(x, out=T.empty(0, dtype=T.float64)), torch.eye(3))
    raises_like(lambda T, x: T.linalg.det(x, out=T.empty(0, dtype=T.float64)), torch.eye(3))


@pytest.mark.parametrize("dtype", FLOATS)
def test_solve(dtype):
    cases = [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3)),
             ((1, 3, 3), (4, 3, 2)), ((3, 3), (3, 0)), ((2, 3, 3), (3, 1)), ((0, 3, 3), (3,)),
             ((2, 1, 3, 3), (5, 3, 2))]
    for i, (sa, sb) in enumerate(cases):
        a = _spd(i, sa, dtype) + _mk(i, sa, dtype) * 0.1
        for layout in ("contiguous", "transposed"):
            b = _mk(50 + i, sb, dtype, layout)
            vector = len(sb) == 1 or sb == sa[:-1]
            both(lambda T, x, y: T.linalg.solve(x, y), a, b, check_stride=not vector)
    both(lambda T, x, y: T.linalg.solve(x, y, left=False), _spd(1, (3, 3), dtype),
         _mk(2, (2, 3), dtype))
    both(lambda T, x, y: T.linalg.solve(x, y, left=False), _spd(1, (2, 3, 3), dtype),
         _mk(2, (4, 3), dtype))
    both(lambda T, x, y: (T.linalg.solve(x, y, out=T.empty(0, dtype=x.dtype)),),
         _spd(1, (3, 3), dtype), _mk(2, (3, 2), dtype))


def test_solve_errors():
    f = lambda *s, dtype=F32: _mk(5, s, dtype)  # noqa: E731
    for a, b, kw in [(f(2, 3, 3), f(4, 3), {}), (f(3, 3), f(4), {}), (f(3, 3), f(3, dtype=F64), {}),
                     (torch.zeros(3, 3), f(3), {}), (torch.zeros(2, 3, 3), f(3), {}),
                     (f(3, 3), f(3, 2), dict(left=False)), (f(2, 3), f(2), {}),
                     (f(3), f(3), {}), (f(2, 3, 3), f(5, 3, 1), {}), (f(2, 3, 3), f(5, 2, 3), {}),
                     (torch.ones(3, 3, dtype=torch.int64), f(3, 0), {}),
                     (f(3, 3), f(3, 0, dtype=torch.int64), {}),
                     (torch.eye(3).half(), torch.ones(3).half(), {})]:
        raises_like(lambda T, x, y: T.linalg.solve(x, y, **kw), a, b)
    with pytest.raises(ft.linalg.LinAlgError):
        ft.linalg.solve(ft.zeros(3, 3), ft.ones(3))


@pytest.mark.parametrize("dtype", FLOATS)
def test_cholesky(dtype):
    for shape in [(3, 3), (2, 4, 4), (0, 0), (2, 0, 0), (1, 1), (3, 2, 2)]:
        a = _spd(1, shape, dtype)
        both(lambda T, x: T.linalg.cholesky(x), a)
        both(lambda T, x: T.linalg.cholesky(x, upper=True), a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            both(lambda T, x: T.cholesky(x), a)
            both(lambda T, x: T.cholesky(x, upper=True), a)
            both(lambda T, x: x.cholesky(), a)
    both(lambda T, x: (T.linalg.cholesky(x, out=T.empty(0, dtype=x.dtype)),),
         _spd(2, (3, 3), dtype))


def test_cholesky_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a in [torch.zeros(3, 3), torch.zeros(2, 3, 3), torch.tensor([[1., 0.], [0., -1.]]),
                  torch.tensor([[1., 2.], [2., 1.]]), _mk(1, (2, 3)), _mk(1, (3,)),
                  torch.eye(3, dtype=torch.int32), torch.eye(3).half()]:
            raises_like(lambda T, x: T.linalg.cholesky(x), a)
            raises_like(lambda T, x: T.cholesky(x), a)
    with pytest.raises(ft.linalg.LinAlgError):
        ft.linalg.cholesky(ft.zeros(2, 2))


def test_linalg_namespace():
    for name in ("solve", "inv", "det", "cholesky", "matmul", "LinAlgError"):
        assert hasattr(ft.linalg, name), name
    assert not hasattr(ft, "linalg_solve") and not hasattr(torch, "linalg_solve")
    if "linalg_vector_norm" in ft._dispatch.dispatcher.OPS:
        both(lambda T, x: T.linalg.vector_norm(x), _mk(1, (3, 4)))


MATRIX_NORM_ORDS = ["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")]


@pytest.mark.parametrize("ord", MATRIX_NORM_ORDS)
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(ord, dim, keepdim):
    def prog(lib, x):
        x = x.detach().requires_grad_()
        r = lib.linalg.matrix_norm(x, ord, dim=dim, keepdim=keepdim)
        (g,) = lib.autograd.grad(r.sum(), x)
        return r.detach(), g, r.grad_fn.name()
    gen = torch.Generator().manual_seed(7)
    run_both(prog, torch.randn(3, 4, 2, dtype=torch.float64, generator=gen))


@pytest.mark.parametrize("prog", [
    lambda lib, x: lib.linalg.svdvals(x),
    lambda lib, x: lib.linalg.svdvals(x.transpose(-2, -1)[:, :2]),
    lambda lib, x: lib.norm(x[0], p="nuc"),
    lambda lib, x: lib.norm(x, p="nuc", dim=(1, 2), keepdim=True),
    lambda lib, x: lib.linalg.svdvals(x[0, 0]),
    lambda lib, x: lib.linalg.svdvals(x.long()),
    lambda lib, x: lib.linalg.matrix_norm(x, "abc"),
    lambda lib, x: lib.linalg.matrix_norm(x, 3),
    lambda lib, x: lib.linalg.matrix_norm(x, "fro", dim=(0, 0)),
    lambda lib, x: lib.linalg.matrix_norm(x.half(), "nuc"),
    lambda lib, x: lib.linalg.matrix_norm(x[:, :0], "nuc"),
])
def test_svdvals_and_norm_errors(prog):
    gen = torch.Generator().manual_seed(3)
    run_both(prog, torch.randn(2, 3, 4, generator=gen))


def test_nuclear_norm_gradcheck():
    gen = torch.Generator().manual_seed(5)
    x = ft.tensor(torch.randn(3, 4, dtype=torch.float64, generator=gen).numpy(),
                  requires_grad=True)
    assert ft.autograd.gradcheck(lambda a: ft.linalg.matrix_norm(a, "nuc"), (x,))
    assert ft.autograd.gradcheck(lambda a: ft.linalg.matrix_norm(a, -2), (x,))
