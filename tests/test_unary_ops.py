"""Unary ops and activations, differentially against torch (the oracle)."""
from __future__ import annotations

import math
import random
import zlib

import pytest
import torch

import frankentorch as ft
import frankentorch.nn.functional as FF
import torch.nn.functional as TF
from conftest import DTYPE_NAMES, TORCH_DTYPE, random_shape, random_strided, run_both, to_ft

FLOAT_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, -3.0, 1e-6, -1e-6, 0.999,
               -0.999, 1.0 - 1e-7, 7.25, -7.75, 10.0, -10.0, 25.0, -30.0, 100.0, -100.0, 1e30,
               -1e30, 4e-39, math.inf, -math.inf, math.nan, -2.0, -1e-20, 0.7, -0.7, 0.71]


def _edges(dt: torch.dtype) -> torch.Tensor:
    if dt == torch.bool:
        return torch.tensor([True, False, True])
    if dt.is_floating_point:
        return torch.tensor(FLOAT_EDGES, dtype=torch.float64).to(dt)
    info = torch.iinfo(dt)
    vals = [0, 1, 2, 3, 7, info.max, info.min, info.max - 1, info.min + 1]
    if info.min < 0:
        vals += [-1, -2, -3, -7]
    return torch.tensor(vals, dtype=torch.int64).to(dt)


def _fn(module, name):
    return getattr(module, name)


# name -> callable(m, F, x) giving the functional form; (args, kwargs) for in-place/out
UNARY = ["abs", "neg", "sign", "sgn", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
         "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan",
         "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "relu", "erf", "erfc",
         "erfinv", "lgamma", "digamma", "floor", "ceil", "round", "trunc", "frac", "isnan",
         "isinf", "isfinite", "nan_to_num", "logical_not", "bitwise_not", "fix", "absolute",
         "negative", "arcsin", "arctanh"]
NO_OUT = {"relu", "isnan", "isinf", "isfinite"}
NO_INPLACE = {"isnan", "isinf", "isfinite"}

# (id, functional, inplace, out) with keyword variants
KW_CASES = [
    ("logit", lambda m, F, x: m.logit(x), lambda x: x.logit_(), True),
    ("logit_eps", lambda m, F, x: m.logit(x, eps=1e-3), lambda x: x.logit_(1e-3), True),
    ("logit_eps0", lambda m, F, x: m.logit(x, 0.0), None, False),
    ("round_dec2", lambda m, F, x: m.round(x, decimals=2), lambda x: x.round_(decimals=2),
     True),
    ("round_dec-1", lambda m, F, x: m.round(x, decimals=-1), None, True),
    ("nan_to_num_kw", lambda m, F, x: m.nan_to_num(x, nan=1.5, posinf=2.0, neginf=-3.0),
     lambda x: x.nan_to_num_(0.25, 1e30), True),
    ("gelu", lambda m, F, x: F.gelu(x), None, True),
    ("gelu_tanh", lambda m, F, x: F.gelu(x, approximate="tanh"), None, True),
    ("gelu_bad", lambda m, F, x: F.gelu(x, approximate="foo"), None, False),
    ("silu", lambda m, F, x: F.silu(x), lambda x: x, True),
    ("mish", lambda m, F, x: F.mish(x), None, True),
    ("softplus", lambda m, F, x: F.softplus(x), None, True),
    ("softplus_kw", lambda m, F, x: F.softplus(x, beta=2.0, threshold=5.0), None, False),
    ("elu", lambda m, F, x: F.elu(x), None, True),
    ("elu_alpha", lambda m, F, x: F.elu(x, alpha=0.5), None, False),
    ("leaky_relu", lambda m, F, x: F.leaky_relu(x), None, True),
    ("leaky_relu_kw", lambda m, F, x: F.leaky_relu(x, negative_slope=0.2), None, False),
    ("hardtanh", lambda m, F, x: F.hardtanh(x), None, True),
    ("hardtanh_kw", lambda m, F, x: F.hardtanh(x, min_val=-0.5, max_val=2.0), None, False),
    ("hardtanh_pos", lambda m, F, x: F.hardtanh(x, 0.0, 6.0), None, False),
    ("hardsigmoid", lambda m, F, x: F.hardsigmoid(x), None, True),
    ("hardswish", lambda m, F, x: F.hardswish(x), None, True),
    ("relu_F", lambda m, F, x: F.relu(x), None, False),
    ("relu6", lambda m, F, x: F.relu6(x), None, False),
    ("logsigmoid", lambda m, F, x: F.logsigmoid(x), None, False),
    ("sigmoid_F", lambda m, F, x: F.sigmoid(x), None, False),
    ("tanh_F", lambda m, F, x: F.tanh(x), None, False),
]

TOL = {torch.float32: dict(rtol=2e-6, atol=1e-6)}
# out= of a wider dtype holds values computed in the input's (or default float's) precision
OUT_TOL = {torch.float16: dict(rtol=1e-3, atol=1e-5), torch.bfloat16: dict(rtol=1.6e-2, atol=1e-5),
           torch.float64: {}}


def _inputs(dt: torch.dtype, seed: int):
    """Edge values in several layouts, plus random strided tensors (incl. 0-d and empty)."""
    rng = random.Random(seed)
    e = _edges(dt)
    n = e.numel()
    out = [e, e.flip(0), e.repeat(2)[::2], torch.stack([e, e]).t(), e[0].clone(), e[:0],
           e[:1].expand(3)]
    for _ in range(3):
        out.append(random_strided(rng, random_shape(rng, 3, 4), dt))
    assert n
    return out


def _kw(dt):
    return TOL.get(dt, {})


def _check_forms(func, name, x, inplace, out_ok):
    dt = x.dtype
    kw = _kw(dt)
    run_both(lambda m, t: func(m, TF if m is torch else FF, t), x, **kw)
    if inplace:
        run_both(lambda m, t: inplace(t.clone()), x, **kw)
    if out_ok:
        for odt in (dt, torch.float64, torch.int64, torch.bool):
            def with_out(m, t, odt=odt):
                o = m.empty(0, dtype=getattr(m, str(odt).split(".")[-1]))
                return _call_out(m, name, t, o)
            run_both(with_out, x, **OUT_TOL.get(dt, TOL[torch.float32]))


def _call_out(m, name, t, o):
    r = _OUT_CALLS[name](m, t, o)
    assert r is o
    return o


_OUT_CALLS = {n: (lambda n: lambda m, t, o: getattr(m, n)(t, out=o))(n) for n in UNARY}
_OUT_CALLS.update({
    "logit": lambda m, t, o: m.logit(t, out=o),
    "logit_eps": lambda m, t, o: m.logit(t, 1e-3, out=o),
    "round_dec2": lambda m, t, o: m.round(t, decimals=2, out=o),
    "round_dec-1": lambda m, t, o: m.round(t, decimals=-1, out=o),
    "nan_to_num_kw": lambda m, t, o: m.nan_to_num(t, nan=1.5, out=o),
})
for _n, _call in (("gelu", lambda m, t, o: _nn(m).gelu(t, out=o)),
                  ("gelu_tanh", lambda m, t, o: _nn(m).gelu(t, approximate="tanh", out=o)),
                  ("silu", lambda m, t, o: _nn(m).silu(t, out=o)),
                  ("mish", lambda m, t, o: _nn(m).mish(t, out=o)),
                  ("softplus", lambda m, t, o: _nn(m).softplus(t, 2, 3, out=o)),
                  ("elu", lambda m, t, o: _nn(m).elu(t, 0.5, out=o)),
                  ("leaky_relu", lambda m, t, o: _nn(m).leaky_relu(t, 0.1, out=o)),
                  ("hardtanh", lambda m, t, o: _nn(m).hardtanh(t, -2, 2, out=o)),
                  ("hardsigmoid", lambda m, t, o: _nn(m).hardsigmoid(t, out=o)),
                  ("hardswish", lambda m, t, o: _nn(m).hardswish(t, out=o))):
    _OUT_CALLS[_n] = _call


def _nn(m):
    """torch._C._nn for torch; the registry's op functions for frankentorch."""
    if m is torch:
        return torch._C._nn
    from frankentorch._dispatch.dispatcher import OPS

    class NN:
        def __getattr__(self, name):
            return OPS[name].function()
    return NN()


@pytest.mark.parametrize("name", UNARY)
def test_unary_differential(name):
    for i, dn in enumerate(DTYPE_NAMES):
        dt = TORCH_DTYPE[dn]
        xs = _inputs(dt, zlib.crc32(f'{name}{dn}'.encode()))
        for j, x in enumerate(xs):
            inplace = None if name in NO_INPLACE else \
                (lambda t, name=name: getattr(t, name + "_")())
            out_ok = name not in NO_OUT and j in (0, 3, 5)
            _check_forms(lambda m, F, t: getattr(m, name)(t), name, x,
                         inplace if j in (0, 3, 4) else None, out_ok)
            if j == 0:
                run_both(lambda m, t: getattr(t, name)(), x, **_kw(dt))


@pytest.mark.parametrize("case", KW_CASES, ids=[c[0] for c in KW_CASES])
def test_keyword_and_nn_differential(case):
    name, func, inplace, out_ok = case
    for dn in DTYPE_NAMES:
        dt = TORCH_DTYPE[dn]
        for j, x in enumerate(_inputs(dt, zlib.crc32(f'{name}{dn}'.encode()))):
            _check_forms(func, name, x, inplace if j in (0, 3) else None,
                         out_ok and j in (0, 3))


@pytest.mark.parametrize("fname", ["relu", "elu", "leaky_relu", "hardtanh", "silu", "mish",
                                   "hardsigmoid", "hardswish", "relu6"])
def test_nn_inplace_flag(fname):
    for dt in (torch.float32, torch.float16, torch.int32):
        x = torch.randn(3, 4).mul(3).to(dt)

        def prog(m, t):
            F = TF if m is torch else FF
            y = t.clone().t()
            v = y._version
            r = getattr(F, fname)(y, inplace=True)
            assert r is y and y._version > v
            return y
        run_both(prog, x, **_kw(dt))


def test_special_values_dense():
    """erfinv, digamma, lgamma and logit on dense grids incl. poles and ±1."""
    grids = {
        "erfinv": torch.cat([torch.linspace(-1, 1, 2001), torch.tensor([0.9999999, -0.99999,
                                                                         1.0000001, -1.5])]),
        "digamma": torch.cat([torch.linspace(-20, 20, 4001), -torch.arange(0, 30.0),
                              torch.tensor([1e-30, -1e-30, 1e-8, -1e-8, 1e17, 1e30, -0.0])]),
        "lgamma": torch.cat([torch.linspace(-20, 40, 3001), -torch.arange(0, 10.0),
                             torch.tensor([1e-30, 1e30, 3e38, -0.0])]),
        "logit": torch.linspace(-0.1, 1.1, 1201),
    }
    for name, g in grids.items():
        for dt in (torch.float32, torch.float64, torch.bfloat16, torch.float16):
            x = g.to(dt)
            kw = dict(rtol=4e-6, atol=2e-6) if dt == torch.float32 else {}
            run_both(lambda m, t: getattr(m, name)(t), x, **kw)


def test_large_parallel_path():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(300, 301, generator=gen) * 3
    for name in ("exp", "tanh", "erfinv", "digamma", "abs", "isnan"):
        run_both(lambda m, t: getattr(m, name)(t), x, **_kw(x.dtype))
        run_both(lambda m, t: getattr(m, name)(t.t()), x, **_kw(x.dtype))
    run_both(lambda m, t: TF.gelu(t) if m is torch else FF.gelu(t), x)
    xi = torch.randint(-100, 100, (300, 301), generator=gen)
    run_both(lambda m, t: m.neg(t.t()), xi)
    run_both(lambda m, t: m.exp(t), xi)


def test_python_operators_and_errors():
    x = torch.tensor([[1.5, -2.0], [0.0, -0.0]])
    xi = torch.tensor([3, -4, 0], dtype=torch.int16)
    xb = torch.tensor([True, False])
    for t in (x, xi, xb):
        run_both(lambda m, a: -a, t)
        run_both(lambda m, a: abs(a), t)
        run_both(lambda m, a: ~a, t)
    run_both(lambda m, a: +a, xi)
    # in-place overlap and dtype errors
    run_both(lambda m, a: a.expand(3, 2).exp_(), torch.ones(2))
    run_both(lambda m, a: a.exp_(), xi)
    run_both(lambda m, a: m.exp(a, out=m.empty(3, dtype=m.int32)), xi)
    run_both(lambda m, a: m.isnan(a, out=m.empty(3)), x)
    run_both(lambda m, a: m.sigmoid(a.t()[:, :1]), x)
    run_both(lambda m, a: a[1:].neg_() and a, torch.arange(4.0))

    def version(m, a):
        a = a.clone()
        v = a._version
        a.sqrt_()
        assert a._version == v + 1
        o = m.empty(4)
        m.exp(a, out=o)
        assert o._version > 0
        return a
    run_both(version, torch.arange(4.0))


def test_meta_tensors():
    for name in ("exp", "abs", "isnan", "logical_not", "square", "round"):
        for dn in ("int32", "float16", "bool"):
            x = ft.empty((2, 3), dtype=getattr(ft, dn), device="meta").t()
            try:
                expected = getattr(torch, name)(torch.empty((2, 3), dtype=TORCH_DTYPE[dn],
                                                            device="meta").t())
            except Exception as e:  # noqa: BLE001
                with pytest.raises(type(e)):
                    getattr(ft, name)(x)
                continue
            r = getattr(ft, name)(x)
            assert r.device.type == "meta"
            assert str(r.dtype) == str(expected.dtype)
            assert tuple(r.shape) == tuple(expected.shape)
            assert tuple(r.stride()) == tuple(expected.stride())
    r = FF.gelu(ft.empty(4, device="meta"))
    assert r.device.type == "meta" and tuple(r.shape) == (4,)
