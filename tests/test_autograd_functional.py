"""``autograd.functional`` against torch: vjp, jvp, jacobian, hessian, vhp, hvp on single and
tuple inputs/outputs, create_graph, strict-mode errors and v validation."""
import numpy as np
import pytest
import torch

import frankentorch as ft

from test_autograd_engine import _same


def _x(lib, shape, seed):
    rng = np.random.default_rng(seed)
    return lib.tensor(rng.standard_normal(shape), dtype=lib.float64)


def f_single(x):
    return (x.sin() * x).sum(dim=-1)


def f_scalar(x):
    return (x.exp() * x.t() @ x).sum() if x.ndim == 2 else (x.pow(3) - x.tanh()).sum()


def f_pair(x, y):
    return x * y.sum(), (x.tanh() @ y)


CASES = {
    "vjp single": lambda lib, F: F.vjp(f_single, _x(lib, (3, 4), 0), _x(lib, (3,), 1)),
    "vjp scalar no v": lambda lib, F: F.vjp(f_scalar, _x(lib, (5,), 2)),
    "vjp pair": lambda lib, F: F.vjp(f_pair, (_x(lib, (3,), 3), _x(lib, (3, 2), 4)),
                                     (_x(lib, (3,), 5), _x(lib, (2,), 6))),
    "jvp single": lambda lib, F: F.jvp(f_single, _x(lib, (3, 4), 7), _x(lib, (3, 4), 8)),
    "jvp pair": lambda lib, F: F.jvp(f_pair, (_x(lib, (3,), 9), _x(lib, (3, 2), 10)),
                                     (_x(lib, (3,), 11), _x(lib, (3, 2), 12))),
    "jacobian single": lambda lib, F: F.jacobian(f_single, _x(lib, (2, 3), 13)),
    "jacobian pair": lambda lib, F: F.jacobian(f_pair, (_x(lib, (3,), 14), _x(lib, (3, 2), 15))),
    "jacobian unused input": lambda lib, F: F.jacobian(lambda a, b: a * 2,
                                                       (_x(lib, (2,), 16), _x(lib, (3,), 17))),
    "hessian single": lambda lib, F: F.hessian(f_scalar, _x(lib, (4,), 18)),
    "hessian matrix input": lambda lib, F: F.hessian(f_scalar, _x(lib, (2, 2), 19)),
    "hessian pair": lambda lib, F: F.hessian(lambda a, b: (a.sin() * b).sum() + (a * a).sum(),
                                             (_x(lib, (3,), 20), _x(lib, (3,), 21))),
    "vhp": lambda lib, F: F.vhp(f_scalar, _x(lib, (4,), 22), _x(lib, (4,), 23)),
    "hvp": lambda lib, F: F.hvp(f_scalar, _x(lib, (4,), 24), _x(lib, (4,), 25)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    expected = CASES[name](torch, torch.autograd.functional)
    actual = CASES[name](ft, ft.autograd.functional)
    _same(expected, actual)
    flat = [t for t in _leaves(actual)]
    assert all(not t.requires_grad for t in flat)  # detached without create_graph


def _leaves(x):
    if isinstance(x, (tuple, list)):
        for el in x:
            yield from _leaves(el)
    else:
        yield x


def test_create_graph_keeps_history():
    def prog(lib):
        x = _x(lib, (3,), 30).requires_grad_()
        _, g = lib.autograd.functional.vjp(f_scalar, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        h = lib.autograd.functional.hessian(f_scalar, x, create_graph=True)
        (gh,) = lib.autograd.grad(h.sum(), x)
        return g.requires_grad, gg, h.requires_grad, gh
    _same(prog(torch), prog(ft))


@pytest.mark.parametrize("call", [
    lambda lib, F: F.vjp(f_single, _x(lib, (3, 4), 0)),  # v needed for a non-scalar output
    lambda lib, F: F.vjp(f_single, _x(lib, (3, 4), 0), _x(lib, (4,), 1)),  # wrong v size
    lambda lib, F: F.jvp(f_single, _x(lib, (3, 4), 0), (_x(lib, (3, 4), 1),) * 2),
    lambda lib, F: F.jacobian(lambda a, b: a * 2, (_x(lib, (2,), 0), _x(lib, (2,), 1)),
                              strict=True),
    lambda lib, F: F.vjp(lambda a: a.detach() * 2, _x(lib, (2,), 0), _x(lib, (2,), 1),
                         strict=True),
    lambda lib, F: F.hessian(f_single, _x(lib, (2, 3), 0)),  # not a scalar function
])
def test_errors_like_torch(call):
    with pytest.raises(Exception) as expected:
        call(torch, torch.autograd.functional)
    with pytest.raises(type(expected.value)):
        call(ft, ft.autograd.functional)


def test_bad_input_type():
    for lib in (torch, ft):
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            lib.autograd.functional.jacobian(f_single, [1.0, 2.0])
