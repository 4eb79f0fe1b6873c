"""Backward kernels round exactly as torch's CPU kernels: nll_loss, the softmax/log_softmax
gradients and the activation gradients (tanh, sigmoid, threshold/relu).

nll_loss (plain and spatial) sums a reduced loss with ATen's eight-level cascade and writes
its gradient as ATen does; softmax backward follows ATen's lastdim lane sums (AVX2: 8 float
or 4 double lanes, then its shuffle tree) and its fused multiply-adds on other dims. Both are
compared bit for bit with torch's aten ops. log_softmax backward is bit-exact where torch's
kernel calls the C library's exp (its scalar tail on non-last dims) and within an ulp of its
vectorised SLEEF exp elsewhere. tanh_backward fuses ``1 - y * y`` into one multiply-add and
sigmoid_backward multiplies ``g * (1 - y) * y`` left to right, as torch's compiled kernels do.
Errors of the backward ops match torch's type and message.
"""
import numpy as np
import pytest
import torch

import frankentorch as ft
from frankentorch._dispatch.dispatcher import OPS

A = torch.ops.aten


def _ft(name):
    return OPS[name].function()


def _both(name, *args):
    """(torch's result, frankentorch's) of aten op ``name`` on NumPy/plain arguments, or
    (exception type, message) pairs when it raises."""
    out = []
    for lib, fn in ((torch, getattr(A, name)), (ft, _ft(name))):
        try:
            out.append(fn(*[lib.tensor(a) if isinstance(a, np.ndarray) else a for a in args]))
        except Exception as e:  # noqa: BLE001  compared below
            out.append((type(e).__name__, str(e)))
    return out


def _arrays(result):
    if isinstance(result, (tuple, list)) and not isinstance(result[0], str):
        return [np.asarray(r.tolist()) if r.ndim else np.asarray(r.item()) for r in result]
    return [np.asarray(result.tolist())]


NLL_SHAPES = [(64, 10), (3,), (0, 4), (5, 1), (1000, 7), (300, 3), (2, 3, 4, 5), (1, 2, 1, 33)]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", NLL_SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_nll_loss_forward_and_backward_bits(dt, shape, weighted, reduction):
    rng = np.random.default_rng(len(shape) * 31 + shape[0])
    spatial = len(shape) == 4
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    x = (rng.standard_normal(shape) * 3).astype(dt)
    target = rng.integers(0, n_classes, target_shape).astype(np.int64)
    weight = rng.random(n_classes).astype(dt) if weighted else None
    name = "nll_loss2d_forward" if spatial else "nll_loss_forward"
    for ignore_index in (-100, 0):
        expected, actual = _both(name, x, target, weight, reduction, ignore_index)
        for e, a in zip(_arrays(expected), _arrays(actual)):
            assert e.shape == a.shape
            np.testing.assert_array_equal(a, e)
        grad_out = rng.standard_normal(tuple(expected[0].shape)).astype(dt)
        total = expected[1].numpy()
        expected, actual = _both(name.replace("forward", "backward"), grad_out, x, target,
                                 weight, reduction, ignore_index, total)
        np.testing.assert_array_equal(_arrays(actual)[0], _arrays(expected)[0])


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_nll_loss_halves_are_close(dt):
    rng = np.random.default_rng(7)
    x, target = rng.standard_normal((50, 6)).astype(np.float32), rng.integers(0, 6, 50)
    results = []
    for lib in (torch, ft):
        xt = lib.tensor(x, dtype=getattr(lib, dt), requires_grad=True)
        loss = lib.nn.functional.nll_loss(xt, lib.tensor(target), ignore_index=2)
        loss.backward()
        results.append((loss.float().item(), np.asarray(xt.grad.float().tolist())))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-2)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-2)


def _nll_error_cases():
    f, long_ = np.float32, np.int64
    x, t, tw = np.ones((4, 3), f), np.zeros(4, long_), np.array(4.0, f)
    x4, t3 = np.ones((2, 3, 4, 5), f), np.zeros((2, 4, 5), long_)
    g0 = np.array(1.0, f)
    return {
        "total weight size": ("nll_loss_backward", g0, x, t, None, 1, -100, np.ones(2, f)),
        "grad size": ("nll_loss_backward", np.ones(2, f), x, t, None, 1, -100, tw),
        "grad size none": ("nll_loss_backward", np.ones(3, f), x, t, None, 0, -100, tw),
        "grad rank none": ("nll_loss_backward", np.ones((4, 1), f), x, t, None, 0, -100, tw),
        "grad 0-d none": ("nll_loss_backward", g0, x, t, None, 0, -100, tw),
        "weight size": ("nll_loss_backward", g0, x, t, np.ones(2, f), 1, -100, tw),
        "target size": ("nll_loss_backward", g0, x, np.zeros(2, long_), None, 1, -100, tw),
        "input rank": ("nll_loss_backward", g0, np.ones((2, 3, 4), f), t, None, 1, -100, tw),
        "target rank": ("nll_loss_backward", g0, x, np.zeros((2, 2), long_), None, 1, -100,
                        tw),
        "target bounds": ("nll_loss_backward", g0, x, np.array([0, 1, 5, 1]), None, 1, -100,
                          tw),
        "target dtype": ("nll_loss_backward", g0, x, t.astype(np.int32), None, 1, -100, tw),
        "grad dtype": ("nll_loss_backward", g0.astype(np.float64), x, t, None, 1, -100, tw),
        "total weight dtype": ("nll_loss_backward", g0, x, t, None, 1, -100,
                               tw.astype(np.float64)),
        "weight dtype": ("nll_loss_backward", g0, x, t, np.ones(3), 1, -100, tw),
        "integer input": ("nll_loss_backward", g0, x.astype(long_), t, None, 1, -100, tw),
        "2d grad rank none": ("nll_loss2d_backward", np.ones((2, 4), f), x4, t3, None, 0, -100,
                              tw),
        "2d grad size none": ("nll_loss2d_backward", np.ones((2, 4, 6), f), x4, t3, None, 0,
                              -100, tw),
        "2d grad size": ("nll_loss2d_backward", np.ones(2, f), x4, t3, None, 1, -100, tw),
        "2d total weight": ("nll_loss2d_backward", g0, x4, t3, None, 1, -100, np.ones(3, f)),
        "2d target size": ("nll_loss2d_backward", g0, x4, np.zeros((2, 4, 6), long_), None, 1,
                           -100, tw),
        "2d weight size": ("nll_loss2d_backward", g0, x4, t3, np.ones(2, f), 1, -100, tw),
        "2d target int32": ("nll_loss2d_backward", g0, x4, t3.astype(np.int32), None, 1,
                            -100, tw),
        "2d target uint8": ("nll_loss2d_backward", g0, x4, t3.astype(np.uint8), None, 1, -100,
                            tw),
        "2d target bounds": ("nll_loss2d_backward", g0, x4, t3 + 7, None, 1, -100, tw),
        "2d forward uint8": ("nll_loss2d_forward", x4, t3.astype(np.uint8), None, 1, -100),
        "forward bounds": ("nll_loss_forward", x, np.array([0, -1, 2, 1]), None, 2, -100),
        "1-d input, 1-d target": ("nll_loss_forward", np.ones(4, f), np.zeros(1, long_), None,
                                  1, -100),
        "1-d input, long 1-d target": ("nll_loss_forward", np.ones(4, f), np.zeros(4, long_),
                                       None, 1, -100),
        "1-d input, 1-d target, backward": ("nll_loss_backward", g0, np.ones(4, f),
                                            np.zeros(1, long_), None, 1, -100, tw),
        "1-d input, long 1-d target, backward": ("nll_loss_backward", g0, np.ones(4, f),
                                                 np.array([2, 0, 0, 0]), None, 1, -100, tw),
        "2-d input, 0-d target": ("nll_loss_forward", x, np.array(1), None, 1, -100),
        "weight of another shape": ("nll_loss_backward", g0, x, t, np.ones((3, 1), f), 1,
                                    -100, tw),
        "1-d input, none": ("nll_loss_backward", g0, np.ones(3, f), np.array(1), None, 0,
                            -100, tw),
    }


@pytest.mark.parametrize("case", sorted(_nll_error_cases()))
def test_nll_loss_errors_and_edge_cases_like_torch(case):
    name, *args = _nll_error_cases()[case]
    expected, actual = _both(name, *args)
    if isinstance(expected, tuple) and isinstance(expected[0], str):
        assert actual == expected
    else:
        np.testing.assert_array_equal(_arrays(actual)[0], _arrays(expected)[0])


SOFTMAX_CASES = [((64, 10), 1), ((64, 10), -1), ((5, 3), 1), ((7, 8), 1), ((3, 17), 1),
                 ((2, 3, 33), 2), ((4, 1000), 1), ((3, 4, 1), 1), ((2, 5, 3), 1),
                 ((4, 7, 20), 1), ((2, 30, 9), 0), ((6,), 0), ((), 0), ((0, 5), 1), ((4, 0), 1)]


def _softmax_grads(dt, shape, dim, log, seed=0):
    """(torch's gradient, ours, a bound on an exp ulp's effect) for one case."""
    rng = np.random.default_rng(seed)
    x, g = (rng.standard_normal(shape).astype(dt) for _ in range(2))
    y = (torch.log_softmax if log else torch.softmax)(torch.tensor(x), dim)
    name = "_log_softmax_backward_data" if log else "_softmax_backward_data"
    expected = getattr(A, name)(torch.tensor(g), y, dim, y.dtype).numpy()
    ours = _ft(name)(ft.tensor(g), ft.tensor(y.numpy()), dim, getattr(ft, str(y.dtype)[6:]))
    # an ulp of exp(y) moves exp(y) * sum(g) by about an ulp of that product
    product = np.exp(y.double().numpy()) * np.sum(g, axis=dim, keepdims=True, dtype=np.float64)
    bound = 2 * np.finfo(dt).eps * (np.abs(product) + np.abs(g))
    return expected, np.asarray(ours.tolist(), dtype=dt).reshape(expected.shape), bound


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
def test_softmax_backward_bits(dt, shape, dim):
    expected, actual, _ = _softmax_grads(dt, shape, dim, False)
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
def test_log_softmax_backward_bits(dt, shape, dim):
    expected, actual, bound = _softmax_grads(dt, shape, dim, True)
    d = dim % max(len(shape), 1)
    inner = int(np.prod(shape[d + 1:])) if shape else 1
    lanes = 8 if dt == np.float32 else 4
    if d != len(shape) - 1 and len(shape) and inner < lanes:  # torch's scalar tail: libm exp
        np.testing.assert_array_equal(actual, expected)
    else:  # torch's vectorised SLEEF exp may differ from the C library's by an ulp
        assert np.all(np.abs(actual.astype(np.float64) - expected) <= bound)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 100, 4099])
@pytest.mark.parametrize("name,extra", [("tanh_backward", ()), ("sigmoid_backward", ()),
                                        ("threshold_backward", (0.25,)),
                                        ("threshold_backward", (0,))])
def test_activation_backward_bits(dt, n, name, extra):
    rng = np.random.default_rng(n)
    g = (rng.standard_normal(n) * 4).astype(dt)
    y = np.tanh(rng.standard_normal(n)).astype(dt)
    if name == "sigmoid_backward":
        y = ((y + 1) / 2).astype(dt)
    y[:3] = (0.25, 0.0, -0.0)[:n]  # ties with the threshold
    expected, actual = _both(name, g, y, *extra)
    np.testing.assert_array_equal(_arrays(actual)[0], _arrays(expected)[0])
