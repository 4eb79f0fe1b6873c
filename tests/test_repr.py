"""repr()/str() of tensors, checked byte for byte against PyTorch's own printing."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import frankentorch as ft
from frankentorch import _tensor_str

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64",
          "float16", "bfloat16", "float32", "float64"]
SHAPES = [(), (0,), (0, 3), (5,), (3, 4), (2, 3, 4), (2000,), (40, 40), (1001,), (3, 1000)]
FLOAT_KINDS = ["normal", "wide", "integral", "special", "tiny", "huge", "zeros", "narrow"]
INT_KINDS = ["small", "full", "negative"]

OPTION_SETS = [
    {},
    {"precision": 2},
    {"sci_mode": True},
    {"sci_mode": False},
    {"threshold": 5},
    {"edgeitems": 1},
    {"linewidth": 40},
    {"profile": "full"},
    {"profile": "short"},
    {"edgeitems": 0},
    {"threshold": 5, "edgeitems": 0},
    {"precision": 6, "linewidth": 120, "sci_mode": True},
]


def _values(rng: np.random.Generator, dtype: str, kind: str, shape) -> np.ndarray:
    n = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        v = rng.random(n) < (0.5 if kind != "small" else 1.0)
    elif not torch.empty((), dtype=getattr(torch, dtype)).is_floating_point():
        info = np.iinfo(dtype)
        if kind == "small":
            v = rng.integers(0, 10, n)
        elif kind == "negative":
            v = rng.integers(max(info.min, -1000), 1, n)
        else:
            v = rng.integers(info.min, info.max, n, endpoint=True, dtype=np.int64)
        v = v.astype(dtype)
    else:
        sign = rng.choice([-1.0, 1.0], n)
        if kind == "normal":
            v = rng.standard_normal(n)
        elif kind == "wide":
            v = sign * 10.0 ** rng.uniform(-6, 10, n)
        elif kind == "integral":
            v = rng.integers(-500, 500, n).astype(np.float64)
        elif kind == "special":
            v = rng.standard_normal(n) * 100
            specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 3.0])
            mask = rng.random(n) < 0.3
            v[mask] = rng.choice(specials, int(mask.sum()))
        elif kind == "tiny":
            v = sign * 10.0 ** rng.uniform(-6, -4, n)
        elif kind == "huge":
            v = sign * 10.0 ** rng.uniform(8, 10, n)
        elif kind == "zeros":
            v = np.where(rng.random(n) < 0.5, -0.0, 0.0)
        else:  # narrow: positive, ratio < 1000, magnitudes ~1e3
            v = rng.uniform(1000, 9999.99999, n)
    return np.asarray(v).reshape(shape)


def _to_ft(tt: torch.Tensor):
    """A frankentorch tensor with exactly the elements of ``tt``."""
    if tt.dtype == torch.bfloat16:
        out = ft.from_numpy(tt.float().numpy().copy()).to(ft.bfloat16)
    else:
        out = ft.from_numpy(tt.numpy().copy())
    assert str(out.dtype) == str(tt.dtype)
    return out


def _cases(dtype: str):
    rng = np.random.default_rng(DTYPES.index(dtype) + 1234)
    tdt = getattr(torch, dtype)
    kinds = FLOAT_KINDS if tdt.is_floating_point else (INT_KINDS if dtype != "bool" else
                                                       ["small", "mixed"])
    for shape in SHAPES:
        for kind in kinds:
            vals = _values(rng, dtype, kind, shape)
            tt = torch.from_numpy(np.ascontiguousarray(vals)).to(tdt)
            yield f"{dtype}{shape}/{kind}", tt, _to_ft(tt)
    # a transposed (non-contiguous) view
    vals = _values(rng, dtype, kinds[0], (4, 6))
    tt = torch.from_numpy(vals).to(tdt)
    yield f"{dtype}.T", tt.T, _to_ft(tt).T


class _Node:
    """Stand-in autograd node: only ``name()`` is used by printing."""

    def __init__(self, name: str):
        self._name = name

    def name(self) -> str:
        return self._name


@pytest.fixture
def options(request):
    """Apply the same print options to both libraries; restore the defaults afterwards."""
    kwargs = request.param
    torch.set_printoptions(**kwargs)
    _tensor_str.set_printoptions(**kwargs)
    try:
        yield kwargs
    finally:
        torch.set_printoptions(profile="default")
        _tensor_str.set_printoptions(profile="default")


def _check(name, tt, ftt, failures):
    exp_repr, got_repr = repr(tt), repr(ftt)
    if exp_repr != got_repr:
        failures.append(f"{name}:\nexpected:\n{exp_repr}\ngot:\n{got_repr}")
    if str(tt) != str(ftt):
        failures.append(f"{name} (str)")


@pytest.mark.parametrize("options", OPTION_SETS, indirect=True, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
def test_repr_matches_torch(dtype, options):
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
    failures = []
    for name, tt, ftt in _cases(dtype):
        if ftt is not None:
            _check(name, tt, ftt, failures)
    assert not failures, "\n\n".join(failures[:5]) + f"\n({len(failures)} failures)"


@pytest.mark.parametrize("options", OPTION_SETS[:8], indirect=True, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
def test_meta_repr(dtype, options):
    failures = []
    for shape in [(), (0,), (2, 3), (5,), (2000,)]:
        tt = torch.empty(shape, dtype=getattr(torch, dtype), device="meta")
        ftt = ft.empty(shape, dtype=getattr(ft, dtype), device="meta")
        _check(f"meta {dtype}{shape}", tt, ftt, failures)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("options", OPTION_SETS[:8], indirect=True, ids=repr)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_requires_grad_and_grad_fn(dtype, options):
    failures = []
    rng = np.random.default_rng(7)
    for shape in [(), (5,), (3, 4), (2, 3, 4), (2000,), (3, 1000), (0,), (0, 3)]:
        vals = rng.standard_normal(shape) * 1e3
        tt = torch.from_numpy(np.asarray(vals)).to(getattr(torch, dtype))
        ftt = _to_ft(tt).requires_grad_()
        tt.requires_grad_()
        _check(f"requires_grad {dtype}{shape}", tt, ftt, failures)
        # grad_fn: frankentorch's autograd may not record yet, so attach a stand-in node
        # named after torch's.
        tout = tt * 2
        fout = _to_ft(tout.detach())
        fout.grad_fn = _Node(type(tout.grad_fn).__name__)
        _check(f"grad_fn {dtype}{shape}", tout, fout, failures)
        # meta tensor requiring grad
        tm = torch.empty(shape, dtype=tt.dtype, device="meta").requires_grad_()
        fm = ft.empty(shape, dtype=ftt.dtype, device="meta").requires_grad_()
        _check(f"meta requires_grad {dtype}{shape}", tm, fm, failures)
    assert not failures, "\n\n".join(failures)


def test_default_dtype_float64():
    old_t, old_f = torch.get_default_dtype(), ft.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    ft.set_default_dtype(ft.float64)
    try:
        failures = []
        for dtype in ["float32", "float64", "int64", "bool"]:
            for name, tt, ftt in _cases(dtype):
                if ftt is not None:
                    _check(name, tt, ftt, failures)
            for shape in [(0,), (2, 3)]:
                tt = torch.empty(shape, dtype=getattr(torch, dtype), device="meta")
                ftt = ft.empty(shape, dtype=getattr(ft, dtype), device="meta")
                _check(f"meta {dtype}{shape}", tt, ftt, failures)
        assert not failures, "\n\n".join(failures[:5])
    finally:
        torch.set_default_dtype(old_t)
        ft.set_default_dtype(old_f)


def test_printoptions_api():
    try:
        for kwargs in OPTION_SETS + [{"profile": "short", "precision": 3},
                                     {"linewidth": 60, "threshold": 10}]:
            torch.set_printoptions(**kwargs)
            _tensor_str.set_printoptions(**kwargs)
            assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        torch.set_printoptions(profile="default")
        _tensor_str.set_printoptions(profile="default")
        assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        vals = np.linspace(-3, 3, 30)
        tt, ftt = torch.from_numpy(vals), ft.from_numpy(vals.copy())
        with torch._tensor_str.printoptions(precision=1, threshold=4, sci_mode=True), \
                _tensor_str.printoptions(precision=1, threshold=4, sci_mode=True):
            assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
            assert repr(ftt) == repr(tt)
        assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        assert repr(ftt) == repr(tt)
    finally:
        torch.set_printoptions(profile="default")
        _tensor_str.set_printoptions(profile="default")


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int64"])
def test_large_tensor_repr_is_fast(dtype):
    vals = np.random.default_rng(0).standard_normal(1_000_000) * 1e4
    tt = torch.from_numpy(vals).to(getattr(torch, dtype))
    for shape in [(1_000_000,), (1000, 1000), (100, 100, 100)]:
        ftt = _to_ft(tt.reshape(shape))
        assert repr(ftt) == repr(tt.reshape(shape))
        start = time.perf_counter()
        repr(ftt)
        assert time.perf_counter() - start < 0.05


EDGE_VALUES = [
    [0.0], [-0.0], [-0.0, 0.0], [float("nan")], [float("inf"), float("-inf"), float("nan")],
    [9.99995, 1.0], [99999.5, 0.5], [1e-4, 1.0], [0.99999e-4, 1.0], [1e8], [1.00001e8],
    [1.0, 1000.0], [1.0, 1000.5], [-1.5, 2.25, float("nan"), -0.0], [1e-300, 1e300],
    [65504.0, -65504.0], [3.0, -7.0, float("inf")], [0.1, 0.2, 0.3], [123456789.0],
    [2.5, 3.5, -2.5], [1e-6, 1e10, -1e10], [5e-324, 1.0],
]
EDGE_OPTIONS = OPTION_SETS + [{"linewidth": 5}, {"precision": 0}, {"precision": 0, "sci_mode": True},
                              {"threshold": 0}, {"linewidth": 10, "edgeitems": 2}]


@pytest.mark.parametrize("options", EDGE_OPTIONS, indirect=True, ids=repr)
def test_edge_values(options):
    failures = []
    for vals in EDGE_VALUES:
        for dtype in ["float16", "bfloat16", "float32", "float64"]:
            for shape in [(len(vals),), (1, len(vals), 1)]:
                tt = torch.tensor(vals, dtype=torch.float64).to(getattr(torch, dtype))
                tt = tt.reshape(shape)
                _check(f"{dtype}{vals}{shape}", tt, _to_ft(tt), failures)
            if len(vals) == 1:
                tt = torch.tensor(vals[0], dtype=getattr(torch, dtype))
                _check(f"{dtype} scalar {vals}", tt, _to_ft(tt), failures)
    for dtype in DTYPES[1:6]:
        info = np.iinfo(dtype)
        for vals in [[info.min, info.max], [0], [-1, 10], [info.max]]:
            vals = [v for v in vals if info.min <= v <= info.max]
            tt = torch.tensor(vals, dtype=getattr(torch, dtype))
            _check(f"{dtype}{vals}", tt, _to_ft(tt), failures)
            _check(f"{dtype} scalar", tt[0], _to_ft(tt[0]), failures)
    for vals in [[True], [False], [True, False]]:
        tt = torch.tensor(vals)
        _check(f"bool{vals}", tt, _to_ft(tt), failures)
        _check("bool scalar", tt[0], _to_ft(tt[0]), failures)
    assert not failures, "\n\n".join(failures[:5]) + f"\n({len(failures)} failures)"
