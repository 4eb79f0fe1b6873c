"""nn.utils gradient clipping and parameters_to_vector against real torch."""
import numpy as np
import pytest
import torch

import frankentorch as ft


def grads_prog(T, norm_type, max_norm, scale=1.0, dtype=np.float32, **kw):
    rng = np.random.default_rng(3)
    ps = [T.tensor(rng.standard_normal(s).astype(dtype)).requires_grad_()
          for s in ((4, 3), (3,), (5,))]
    for p in ps[:2]:
        p.grad = T.tensor((rng.standard_normal(p.shape) * scale).astype(dtype))
    total = T.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, **kw)
    return total.numpy().copy(), [None if p.grad is None else p.grad.numpy().copy() for p in ps]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    a = grads_prog(torch, norm_type, max_norm)
    b = grads_prog(ft, norm_type, max_norm)
    np.testing.assert_allclose(b[0], a[0], rtol=1e-6)
    assert b[0].dtype == a[0].dtype and b[0].shape == a[0].shape
    for x, y in zip(a[1], b[1]):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(y, x, rtol=1e-6)


def test_clip_grad_norm_float64_and_single_tensor():
    a = grads_prog(torch, 2.0, 0.1, dtype=np.float64)
    b = grads_prog(ft, 2.0, 0.1, dtype=np.float64)
    np.testing.assert_allclose(b[0], a[0], rtol=1e-12)
    for T in (torch, ft):
        p = T.tensor(np.full(4, 2.0, np.float32)).requires_grad_()
        p.grad = T.tensor(np.full(4, 3.0, np.float32))
        assert float(T.nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(6.0)
        assert p.grad.numpy().tolist() == pytest.approx([0.5] * 4, rel=1e-6)


def nonfinite(T):
    p = T.tensor(np.ones(3, np.float32)).requires_grad_()
    p.grad = T.tensor(np.array([1.0, np.inf, 2.0], np.float32))
    try:
        T.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    except RuntimeError as e:
        out = str(e)
    else:
        out = None
    total = T.nn.utils.clip_grad_norm_([p], 1.0)
    empty = T.nn.utils.clip_grad_norm_([T.tensor(np.ones(2, np.float32))], 1.0)
    try:
        T.nn.utils.clip_grad_norm_([p], 1.0, foreach=True)
        err = None
    except RuntimeError as e:
        err = str(e)
    return out, float(total), p.grad.numpy().tolist(), float(empty), str(empty.dtype), err


def test_nonfinite_empty_and_foreach():
    a, b = nonfinite(torch), nonfinite(ft)
    assert repr(b) == repr(a)


def test_clip_grad_value():
    def prog(T):
        rng = np.random.default_rng(4)
        ps = [T.tensor(rng.standard_normal(s).astype(np.float32)).requires_grad_()
              for s in ((3, 3), (2,))]
        ps[0].grad = T.tensor(rng.standard_normal((3, 3)).astype(np.float32))
        T.nn.utils.clip_grad_value_(ps, 0.4)
        return ps[0].grad.numpy().tolist(), ps[1].grad
    assert prog(ft) == prog(torch)


def test_parameters_to_vector():
    def prog(T):
        ps = [T.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), T.tensor(np.ones(2,
                                                                                 np.float32))]
        v = T.nn.utils.parameters_to_vector(ps)
        try:
            T.nn.utils.parameters_to_vector([ps[0].t()])
            err = None
        except RuntimeError as e:
            err = type(e).__name__
        return v.numpy().tolist(), tuple(v.shape), err
    assert prog(ft) == prog(torch)


def test_vector_to_parameters():
    def prog(T):
        ps = [T.zeros(2, 3, requires_grad=True), T.zeros(2, requires_grad=True)]
        before = [id(p) for p in ps]
        T.nn.utils.vector_to_parameters(T.arange(8.0), ps)
        try:
            T.nn.utils.vector_to_parameters([1.0], ps)
            err = None
        except TypeError as e:
            err = type(e).__name__
        return ([p.detach().numpy().tolist() for p in ps], [p.requires_grad for p in ps],
                [id(p) for p in ps] == before, err)
    assert prog(ft) == prog(torch)
