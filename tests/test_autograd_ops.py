"""Gradients of individual ops against torch: the same program run with both libraries,
comparing node names, first-order gradients and (where the formula is differentiable)
second-order gradients through create_graph=True."""
import numpy as np
import pytest
import torch

import frankentorch as ft

RNG = np.random.default_rng(0)


def _inputs(m, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    return arrays


# each case: (shapes of float64 inputs, program(m, *leaves) -> tensor output)
CASES = {
    "sum": ([(3, 4)], lambda m, a: a.sum()),
    "sum_dim": ([(3, 4)], lambda m, a: a.sum(1)),
    "sum_dims_keepdim": ([(2, 3, 4)], lambda m, a: a.sum((0, 2), keepdim=True)),
    "mean": ([(3, 4)], lambda m, a: a.mean()),
    "mean_dim": ([(3, 4)], lambda m, a: a.mean(0)),
    "softmax": ([(3, 4)], lambda m, a: m.softmax(a, 1)),
    "log_softmax": ([(3, 4)], lambda m, a: m.log_softmax(a, 0)),
    "logsumexp": ([(3, 4)], lambda m, a: m.logsumexp(a, 1)),
    "mm": ([(3, 4), (4, 2)], lambda m, a, b: a.mm(b)),
    "bmm": ([(2, 3, 4), (2, 4, 2)], lambda m, a, b: a.bmm(b)),
    "mv": ([(3, 4), (4,)], lambda m, a, b: a.mv(b)),
    "dot": ([(4,), (4,)], lambda m, a, b: a.dot(b)),
    "matmul_batched": ([(2, 3, 4), (4,)], lambda m, a, b: a.matmul(b)),
    "matmul_broadcast": ([(2, 1, 3, 4), (5, 4, 2)], lambda m, a, b: a.matmul(b)),
    "views": ([(2, 3, 4)], lambda m, a: a.permute(2, 0, 1)[1:, :, ::2].reshape(-1)),
    "reshaping_views": ([(2, 3, 4)],
                        lambda m, a: a.permute(2, 0, 1).unsqueeze(0).expand(2, 4, 2, 3)
                        .reshape(16, 3).t()),
    "getitem": ([(4, 5)], lambda m, a: a[1:3, None, ..., 2]),
    "split_cat_free": ([(4, 6)], lambda m, a: a.split(2, 1)[1].t().contiguous()),
    "to_copy": ([(3,)], lambda m, a: a.to(m.float32)),
    "add_broadcast": ([(3, 4), (4,)], lambda m, a, b: m.add(a, b, alpha=2.5)),
    "sub_scalar": ([(3, 4)], lambda m, a: 3 - a),
    "mul_broadcast": ([(3, 1), (1, 4)], lambda m, a, b: a * b),
    "div": ([(3, 4), (3, 4)], lambda m, a, b: a / (b * b + 1)),
    "add_inplace": ([(3, 4), (3, 4)], lambda m, a, b: (a * 1).add_(b)),
    "neg": ([(3, 4)], lambda m, a: -a),
    "exp": ([(3, 4)], lambda m, a: a.exp()),
    "expm1": ([(3, 4)], lambda m, a: a.expm1()),
    "log": ([(3, 4)], lambda m, a: (a * a + 1).log()),
    "log1p": ([(3, 4)], lambda m, a: (a * a).log1p()),
    "sqrt": ([(3, 4)], lambda m, a: (a * a + 1).sqrt()),
    "rsqrt": ([(3, 4)], lambda m, a: (a * a + 1).rsqrt()),
    "reciprocal": ([(3, 4)], lambda m, a: (a * a + 1).reciprocal()),
    "tanh": ([(3, 4)], lambda m, a: a.tanh()),
    "sigmoid": ([(3, 4)], lambda m, a: a.sigmoid()),
    "relu": ([(3, 4)], lambda m, a: a.relu()),
    "sin": ([(3, 4)], lambda m, a: a.sin()),
    "cos": ([(3, 4)], lambda m, a: a.cos()),
    "abs": ([(3, 4)], lambda m, a: a.abs()),
    "erf": ([(3, 4)], lambda m, a: a.erf()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_order_grads_match_torch(name):
    shapes, prog = CASES[name]
    arrays = _inputs(None, shapes)
    results = []
    for m in (torch, ft):
        leaves = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
        out = prog(m, *leaves)
        g = np.random.default_rng(1).standard_normal(tuple(out.shape))
        grads = m.autograd.grad(out, leaves, m.tensor(g, dtype=out.dtype))
        results.append((out.grad_fn.name(), [np.array(x.tolist()) for x in grads],
                        np.array(out.detach().tolist())))
    (name_t, grads_t, out_t), (name_f, grads_f, out_f) = results
    np.testing.assert_allclose(out_f, out_t, rtol=1e-12, atol=1e-12)
    for gt, gf in zip(grads_t, grads_f):
        np.testing.assert_allclose(gf, gt, rtol=1e-10, atol=1e-12)
    if name not in ("matmul_batched", "matmul_broadcast"):  # torch decomposes matmul
        assert name_f == name_t


# to_copy rounds to float32, where float64 finite differences measure rounding, not slope
@pytest.mark.parametrize("name", sorted(set(CASES) - {"to_copy"}))
def test_gradcheck_every_formula(name):
    """Each formula against central differences (float64), independently of torch."""
    shapes, prog = CASES[name]
    leaves = [ft.tensor(a, dtype=ft.float64, requires_grad=True) for a in _inputs(None, shapes)]
    assert ft.autograd.gradcheck(lambda *xs: prog(ft, *xs), leaves)


# slice/select/diagonal/split backward write into zeros in place, which is not yet
# differentiable (needs their *_backward ops), so their second order is not covered here
SECOND_ORDER = ["mul_broadcast", "div", "exp", "tanh", "sigmoid", "softmax", "log_softmax",
                "mm", "sum_dim", "mean", "reshaping_views"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradgradcheck(name):
    """create_graph=True builds a differentiable graph of the backward itself."""
    shapes, prog = CASES[name]
    leaves = [ft.tensor(a, dtype=ft.float64, requires_grad=True) for a in _inputs(None, shapes)]
    assert ft.autograd.gradgradcheck(lambda *xs: prog(ft, *xs), leaves)


def test_gradcheck_catches_a_wrong_formula():
    class Wrong(ft.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3  # the true derivative is 2

    x = ft.tensor([1.0, 2.0], dtype=ft.float64, requires_grad=True)
    with pytest.raises(ft.autograd.GradcheckError, match="Jacobian mismatch"):
        ft.autograd.gradcheck(Wrong.apply, (x,))
    assert ft.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
