"""Gradients of elementwise ops (unary, binary, ternary, activations) against torch.

Each case is a program ``prog(m, *leaves)`` run with ``m = torch`` and ``m = frankentorch``
on the same inputs: outputs, node names (``grad_fn.name()``) and input gradients (for one
fixed upstream gradient) are compared in float64 and float32; ``gradcheck`` checks every
formula against finite differences in float64, and ``gradgradcheck`` a representative set
of second derivatives. The harness here is shared by the other ``test_autograd_ops_more_*``
files.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch

import frankentorch as ft

DOMAINS = {
    "normal": lambda rng, s: rng.standard_normal(s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    "pos": lambda rng, s: rng.uniform(0.5, 2.5, s),
    "gt1": lambda rng, s: rng.uniform(1.2, 3.0, s),
    # well-separated values: no ties, and finite differences never reorder them
    "distinct": lambda rng, s: (rng.permutation(int(np.prod(s))).reshape(s) * 0.25 - 1.0
                                + rng.uniform(0, 0.05, s)),
}
TOL = {"float64": dict(rtol=1e-9, atol=1e-10), "float32": dict(rtol=2e-4, atol=2e-5)}


class Case(NamedTuple):
    shapes: list
    prog: Callable
    domain: str = "normal"
    gradcheck: bool = True   # False where finite differences cannot see the slope
    name: bool = True        # False where torch decomposes the op into other nodes


def _arrays(case: Case, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [DOMAINS[case.domain](rng, s) for s in case.shapes]


def _outputs(out) -> list:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if o.dtype.is_floating_point and o.requires_grad]


def _run(m, case: Case, dtype: str):
    leaves = [m.tensor(a, dtype=getattr(m, dtype), requires_grad=True)
              for a in _arrays(case)]
    outs = _outputs(case.prog(m, *leaves))
    rng = np.random.default_rng(1)
    grads_out = [m.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in outs]
    grads = m.autograd.grad(outs, leaves, grads_out, allow_unused=True)
    return ([o.grad_fn.name() for o in outs], [np.array(o.detach().tolist()) for o in outs],
            [None if g is None else np.array(g.tolist()) for g in grads])


def check_against_torch(case: Case, dtype: str) -> None:
    names_t, outs_t, grads_t = _run(torch, case, dtype)
    names_f, outs_f, grads_f = _run(ft, case, dtype)
    tol = TOL[dtype]
    assert len(outs_f) == len(outs_t)
    for a, b in zip(outs_f, outs_t):
        np.testing.assert_allclose(a, b, **tol)
    for a, b in zip(grads_f, grads_t):
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_allclose(a, b, **tol)
    if case.name:
        assert names_f == names_t


def _differentiable(case: Case) -> Callable:
    """The program on frankentorch, keeping only its differentiable outputs (no indices)."""
    return lambda *xs: tuple(_outputs(case.prog(ft, *xs)))


def check_gradcheck(case: Case) -> None:
    leaves = [ft.tensor(a, dtype=ft.float64, requires_grad=True) for a in _arrays(case)]
    assert ft.autograd.gradcheck(_differentiable(case), leaves)


def check_gradgradcheck(case: Case) -> None:
    leaves = [ft.tensor(a, dtype=ft.float64, requires_grad=True) for a in _arrays(case)]
    assert ft.autograd.gradgradcheck(_differentiable(case), leaves)


def make_tests(cases: dict, second_order: list) -> tuple:
    """The three tests of a table of cases: against torch in float64 and float32,
    ``gradcheck`` of every smooth case, ``gradgradcheck`` of ``second_order``."""
    @pytest.mark.parametrize("name,dtype", [(n, d) for n in sorted(cases)
                                            for d in ("float64", "float32")])
    def test_grads_match_torch(name, dtype):
        check_against_torch(cases[name], dtype)

    @pytest.mark.parametrize("name", sorted(n for n, c in cases.items() if c.gradcheck))
    def test_gradcheck(name):
        check_gradcheck(cases[name])

    @pytest.mark.parametrize("name", second_order)
    def test_gradgradcheck(name):
        check_gradgradcheck(cases[name])
    return test_grads_match_torch, test_gradcheck, test_gradgradcheck


F = torch.nn.functional


def _nn(m):
    return m.nn.functional


CASES = {
    # unary math (non-contiguous inputs through .t() / slicing)
    "acos": Case([(3, 4)], lambda m, a: a.t().acos(), "unit"),
    "arccos": Case([(3, 4)], lambda m, a: m.arccos(a), "unit"),
    "asin": Case([(3, 4)], lambda m, a: m.asin(a[:, ::2]), "unit"),
    "arcsin": Case([(3, 4)], lambda m, a: a.arcsin(), "unit"),
    "atan": Case([(3, 4)], lambda m, a: a.atan()),
    "arctan": Case([(3, 4)], lambda m, a: m.arctan(a.t())),
    "sinh": Case([(3, 4)], lambda m, a: a.sinh()),
    "cosh": Case([(3, 4)], lambda m, a: a.t().cosh()),
    "tan": Case([(3, 4)], lambda m, a: a.tan(), "unit"),
    "asinh": Case([(3, 4)], lambda m, a: a.asinh()),
    "arcsinh": Case([(3, 4)], lambda m, a: m.arcsinh(a)),
    "acosh": Case([(3, 4)], lambda m, a: a.acosh(), "gt1"),
    "arccosh": Case([(3, 4)], lambda m, a: a.arccosh(), "gt1"),
    "atanh": Case([(3, 4)], lambda m, a: a.t().atanh(), "unit"),
    "arctanh": Case([(3, 4)], lambda m, a: a.arctanh(), "unit"),
    "exp2": Case([(3, 4)], lambda m, a: a.exp2()),
    "log2": Case([(3, 4)], lambda m, a: a.log2(), "pos"),
    "log10": Case([(3, 4)], lambda m, a: m.log10(a.t()), "pos"),
    "erfc": Case([(3, 4)], lambda m, a: a.erfc()),
    "erfinv": Case([(3, 4)], lambda m, a: a.erfinv(), "unit"),
    "lgamma": Case([(3, 4)], lambda m, a: a.lgamma(), "pos"),
    "digamma": Case([(3, 4)], lambda m, a: a.digamma(), "pos"),
    "digamma_negative": Case([(3, 4)], lambda m, a: (a - 3.5).digamma(), "unit"),
    "polygamma1": Case([(3, 4)], lambda m, a: m.polygamma(1, a), "pos"),
    "polygamma3": Case([(3, 4)], lambda m, a: m.polygamma(3, a * 4), "pos"),
    "logit": Case([(3, 4)], lambda m, a: (a * 0.4 + 0.5).logit(), "unit"),
    "logit_outside": Case([(3, 4)], lambda m, a: (a * 0.45 + 0.5).logit(), "unit",
                          gradcheck=False),
    "logit_eps": Case([(3, 4)], lambda m, a: m.logit(a * 0.6 + 0.5, eps=0.2), "unit",
                      gradcheck=False),
    "absolute": Case([(3, 4)], lambda m, a: m.absolute(a)),
    "negative": Case([(3, 4)], lambda m, a: m.negative(a.t())),
    "sign": Case([(3, 4)], lambda m, a: a.sign() * a),
    "sgn": Case([(3, 4)], lambda m, a: a.sgn() * a),
    "floor": Case([(3, 4)], lambda m, a: (a * 3).floor()),
    "ceil": Case([(3, 4)], lambda m, a: (a * 3).ceil()),
    "round": Case([(3, 4)], lambda m, a: (a * 3).round()),
    "round_decimals": Case([(3, 4)], lambda m, a: a.round(decimals=1), gradcheck=False),
    "trunc": Case([(3, 4)], lambda m, a: (a * 3).trunc()),
    "fix": Case([(3, 4)], lambda m, a: m.fix(a * 3)),
    "frac": Case([(3, 4)], lambda m, a: (a * 3).frac()),
    "square": Case([(3, 4)], lambda m, a: a.t().square()),
    "nan_to_num": Case([(3, 4)], lambda m, a: m.nan_to_num(a.log(), neginf=-5.0)),
    "inplace": Case([(3, 4)], lambda m, a: (a * 1).sinh_().atan_().mul_(2)),
    # activations
    "log_sigmoid": Case([(3, 4)], lambda m, a: _nn(m).logsigmoid(a)),
    "hardtanh": Case([(3, 5)], lambda m, a: _nn(m).hardtanh(a, -0.5, 0.7)),
    "relu6": Case([(3, 5)], lambda m, a: _nn(m).relu6(a * 4)),
    "elu": Case([(3, 5)], lambda m, a: _nn(m).elu(a, alpha=0.7)),
    "leaky_relu": Case([(3, 5)], lambda m, a: _nn(m).leaky_relu(a, 0.2)),
    "gelu": Case([(3, 5)], lambda m, a: _nn(m).gelu(a)),
    "gelu_tanh": Case([(3, 5)], lambda m, a: _nn(m).gelu(a, approximate="tanh")),
    "silu": Case([(3, 5)], lambda m, a: _nn(m).silu(a)),
    "mish": Case([(3, 5)], lambda m, a: _nn(m).mish(a.t())),
    "softplus": Case([(3, 5)], lambda m, a: _nn(m).softplus(a * 4, beta=2, threshold=3)),
    "hardsigmoid": Case([(3, 5)], lambda m, a: _nn(m).hardsigmoid(a * 4)),
    "hardswish": Case([(3, 5)], lambda m, a: _nn(m).hardswish(a * 4)),
    # binary (broadcasting, Python-number operands, keyword variants)
    "pow_scalar_exponent": Case([(3, 4)], lambda m, a: (a.t() ** 3).t() + m.pow(a, 0)
                                + a.abs().pow(-1.5)),
    "pow_tensor": Case([(3, 4), (4,)], lambda m, a, b: m.pow(a, b), "pos"),
    "pow_zero_base": Case([(2, 3)], lambda m, a: m.pow(a * m.tensor([0.0, 1.0, 1.0],
                                                                    dtype=a.dtype), a.abs()),
                          gradcheck=False),
    "pow_scalar_base": Case([(3, 4)], lambda m, a: 2.5 ** a + m.pow(0.5, exponent=a)),
    "pow_zero_scalar_base": Case([(3, 4)], lambda m, a: m.pow(0.0, a.abs()) + m.pow(-2.0, a),
                                 gradcheck=False),
    "pow_inplace": Case([(3, 4), (3, 4)], lambda m, a, b: (a * 1).pow_(2).pow_(b), "pos"),
    "atan2": Case([(3, 4), (3, 1)], lambda m, a, b: m.atan2(a, b)),
    "hypot": Case([(3, 4), (4,)], lambda m, a, b: m.hypot(a.t().t(), other=b)),
    "copysign": Case([(3, 4), (3, 4)], lambda m, a, b: m.copysign(a, b)),
    "copysign_zero": Case([(2, 3)], lambda m, a: m.copysign(a * m.tensor([0.0, 1.0, 1.0],
                                                                       dtype=a.dtype), -1.0),
                          gradcheck=False),
    "fmod": Case([(3, 4), (4,)], lambda m, a, b: m.fmod(a * 3, b), "pos"),
    "fmod_scalar": Case([(3, 4)], lambda m, a: a.fmod(0.7)),
    "remainder": Case([(3, 4), (3, 4)], lambda m, a, b: m.remainder(a * 3, b + 0.1), "pos"),
    "maximum": Case([(3, 4), (4,)], lambda m, a, b: m.maximum(a, b)),
    "maximum_ties": Case([(3, 4)], lambda m, a: m.maximum(a, a.detach().flip(0)) +
                         m.max(a, a.t().t()), gradcheck=False),
    "minimum": Case([(3, 4), (3, 1)], lambda m, a, b: m.minimum(a, other=b)),
    "min_other": Case([(3, 4), (4,)], lambda m, a, b: m.min(a, b)),
    "fmax": Case([(3, 4), (3, 4)], lambda m, a, b: m.fmax(a, b.log())),
    "fmin": Case([(3, 4), (4,)], lambda m, a, b: m.fmin(a.log(), b)),
    "fmax_ties": Case([(3, 4)], lambda m, a: m.fmax(a, a.detach().flip(0)), gradcheck=False),
    "div_mode": Case([(3, 4), (4,)], lambda m, a, b: m.div(a, b, rounding_mode=None)
                     + m.div(a, b, rounding_mode="floor") + a.div(b, rounding_mode="trunc")),
    # ternary
    "where": Case([(3, 4), (4,)], lambda m, a, b: m.where(a > 0, a, b)),
    "where_scalar": Case([(3, 4)], lambda m, a: m.where(a > 0, a, 0.5) + m.where(a < 0, 1.5, a)),
    "where_method": Case([(3, 4), (3, 1)], lambda m, a, b: a.where(a > 0.1, b)),
    "masked_fill": Case([(3, 4)], lambda m, a: a.masked_fill(a > 0.3, 2.0)),
    "masked_fill_tensor": Case([(3, 4), ()], lambda m, a, v: a.t().masked_fill(a.t() > 0, v)),
    "masked_fill_inplace": Case([(3, 4)], lambda m, a: (a * 2).masked_fill_(a < 0, 1.0)),
    "lerp": Case([(3, 4), (4,)], lambda m, a, b: m.lerp(a, b, 0.3)),
    "lerp_tensor": Case([(3, 4), (3, 4), (4,)], lambda m, a, b, w: a.lerp(b, weight=w)),
    "addcmul": Case([(3, 4), (3, 1), (4,)], lambda m, a, b, c: m.addcmul(a, b, c, value=0.5)),
    "addcmul_inplace": Case([(3, 4), (3, 4), (4,)],
                            lambda m, a, b, c: (a * 1).addcmul_(b, c)),
    "addcdiv": Case([(3, 4), (3, 4), (4,)], lambda m, a, b, c: m.addcdiv(a, b, c, value=2.0),
                    "pos"),
    "clamp": Case([(3, 4)], lambda m, a: a.clamp(-0.5, 0.5) + m.clip(a, min=0.1)
                  + a.clamp(max=0.2)),
    "clamp_tensor": Case([(3, 4), (4,), (3, 1)], lambda m, a, lo, hi: m.clamp(a, lo, hi)),
    "clamp_tensor_min_only": Case([(3, 4), (4,)], lambda m, a, lo: m.clamp(a, min=lo)
                                  + m.clip(a, max=lo)),
    "clamp_crossed": Case([(3, 4)], lambda m, a: m.clamp(a, a.detach() * 0 + 0.5,
                                                         a.detach() * 0 - 0.5)),
    "clamp_min_max": Case([(3, 4), (4,)], lambda m, a, b: m.clamp_min(a, 0.1) + m.clamp_max(a, b)
                          + m.clamp_min(a, b)),
    "clamp_inplace": Case([(3, 4)], lambda m, a: (a * 1).clamp_(-0.3, 0.3)),
}


SECOND_ORDER = ["acos", "atan", "tan", "erfinv", "digamma", "lgamma", "log_sigmoid", "gelu",
                "gelu_tanh", "silu", "mish", "elu", "softplus", "square", "pow_tensor",
                "pow_scalar_base", "atan2", "hypot", "maximum", "where", "lerp_tensor",
                "addcdiv", "clamp_tensor", "masked_fill_tensor"]
test_grads_match_torch, test_gradcheck, test_gradgradcheck = make_tests(CASES, SECOND_ORDER)


def test_polygamma_values_match_torch():
    x = torch.tensor([0.1, 0.5, 1.0, 2.5, 7.0, 40.0, -0.5, -2.25, 0.0, float("inf")],
                     dtype=torch.float64)
    for n in (1, 2, 3, 6):
        ours = np.array(ft.polygamma(n, ft.tensor(x.tolist(), dtype=ft.float64)).tolist())
        np.testing.assert_allclose(ours, torch.polygamma(n, x).numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.array(ft.polygamma(0, ft.tensor([1.5, 3.0])).tolist()),
                               torch.polygamma(0, torch.tensor([1.5, 3.0])).numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError):
        ft.polygamma(-1, ft.tensor([1.0]))
