"""add/sub with alpha, addcmul and lerp round exactly as torch's CPU kernels: one fused
multiply-add (``fmadd(other, alpha, self)``, ``fmadd(value * t1, t2, self)``, lerp's two
fused formulas), halves with alpha rounded to the half type and lerp's weight kept in float.
Compared bit for bit on contiguous data large enough for torch's vectorised loops (its
scalar tail for halves rounds the product separately; not covered)."""
import numpy as np
import pytest
import torch

import frankentorch as ft

N = 4099  # not a multiple of any vector width


def _data(k, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(N).astype(np.float32) * 50 for _ in range(k)]


def _run(T, dt, name, *arrays, **kw):
    ts = [T.tensor(a).to(getattr(T, dt)) for a in arrays]
    return getattr(T, name)(*ts, **kw).double().numpy()


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("alpha", [0.3, -2.1, 1e-3])
@pytest.mark.parametrize("name", ["add", "sub"])
def test_alpha_is_fused(dt, alpha, name):
    a, b = _data(2)
    np.testing.assert_array_equal(_run(ft, dt, name, a, b, alpha=alpha),
                                  _run(torch, dt, name, a, b, alpha=alpha))


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
@pytest.mark.parametrize("alpha", [0.3, -2.1])
def test_half_alpha_is_rounded_to_the_half_type(dt, alpha):
    a, b = _data(2, seed=1)
    ours, theirs = _run(ft, dt, "add", a, b, alpha=alpha), _run(torch, dt, "add", a, b,
                                                               alpha=alpha)
    tail = N % 32  # torch's scalar tail rounds the product on its own
    np.testing.assert_array_equal(ours[:N - tail], theirs[:N - tail])


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("value", [0.3, 1.0, -2.1])
def test_addcmul_is_fused(dt, value):
    a, b, c = _data(3, seed=2)
    np.testing.assert_array_equal(_run(ft, dt, "addcmul", a, b, c, value=value),
                                  _run(torch, dt, "addcmul", a, b, c, value=value))


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("weight", [0.2, 0.49, 0.5, 0.7, -2.1, 3.0])
@pytest.mark.parametrize("n", [9, N])
def test_lerp_scalar_weight(dt, weight, n):
    a, b = (x[:n] for x in _data(2, seed=3))
    np.testing.assert_array_equal(_run(ft, dt, "lerp", a, b, weight=weight),
                                  _run(torch, dt, "lerp", a, b, weight=weight))


def test_lerp_tensor_weight():
    a, b, w = _data(3, seed=4)
    w = w / 100
    np.testing.assert_array_equal(_run(ft, "float32", "lerp", a, b, w),
                                  _run(torch, "float32", "lerp", a, b, w))
