"""In-place ops under autograd against torch: ``CopySlices`` on the base of a written view,
regenerated view nodes, ``__setitem__`` (basic and advanced), in-place formulas that need the
overwritten ``self``, and torch's errors."""
import numpy as np
import pytest
import torch

import frankentorch as ft

from test_autograd_engine import _same


def _inputs(lib):
    xn = np.arange(12, dtype=np.float64).reshape(3, 4) / 7 - 0.5
    x = lib.tensor(xn, requires_grad=True)
    z = lib.tensor([1.0, -2.0, 3.0, 0.5], dtype=lib.float64, requires_grad=True)
    w = lib.tensor(np.arange(12, dtype=np.float64).reshape(3, 4) + 1)
    return x, z, w


def _grads(*ts):
    return [None if t.grad is None else t.grad.clone() for t in ts]


PROGRAMS = {
    "mul_ on a row view": lambda lib, x, z, w: (
        lambda y: (y.__getitem__(1).mul_(2), y)[1])(x.clone()),
    "setitem row from a tensor": lambda lib, x, z, w: _setitem(x.clone(), 1, z),
    "setitem scalar": lambda lib, x, z, w: _setitem(x.clone(), (slice(None), 2), 5.0),
    "slice *= then sin_ on a sub-view": lambda lib, x, z, w: _chain_ops(x.clone()),
    "transposed view mul_ by a tensor": lambda lib, x, z, w: (
        lambda y: (y.t()[0].mul_(z[:3]), y)[1])(x.clone()),
    "strided view div_": lambda lib, x, z, w: (
        lambda y: (y[:, ::2].div_(z[:2] + 3), y * y)[1])(x.clone()),
    "add_ into zeros base": lambda lib, x, z, w: (
        lambda b: (b[0].copy_(z), b[2].add_(z, alpha=2), b)[2])(lib.zeros(3, 4,
                                                                           dtype=lib.float64)),
    "advanced setitem rows": lambda lib, x, z, w: _setitem(
        x.clone(), lib.tensor([0, 2]), z),
    "advanced setitem columns": lambda lib, x, z, w: _setitem(
        x.clone(), (slice(None), lib.tensor([1, 3])), z[:2] * 2),
    "bool mask setitem": lambda lib, x, z, w: _setitem(
        x.clone(), lib.tensor([True, False, True]), 0.25),
    "index_put accumulate": lambda lib, x, z, w: x.index_put(
        (lib.tensor([0, 0, 2]),), z, accumulate=True),
    "index_put": lambda lib, x, z, w: x.index_put((lib.tensor([2, 0]),), z * 3),
    "mul_ by a tensor that requires grad": lambda lib, x, z, w: (
        lambda y: y.mul_(x))(lib.tensor(np.full((3, 4), 0.5))),
    "exp_ and sin_ in a row": lambda lib, x, z, w: x.clone().sin_().exp_(),
    "write through the base, read an older view": lambda lib, x, z, w: (
        lambda y, e: (y.mul_(2), e * z)[1])(*(lambda y: (y, y[0]))(x.clone())),
    "fill_ and zero_": lambda lib, x, z, w: (
        lambda y: (y[0].fill_(2.0), y[1].zero_(), y)[2])(x.clone()),
    "in-place view ops": lambda lib, x, z, w: (
        x.clone().unsqueeze_(0).transpose_(1, 2).squeeze_(0).t_() * 2),
    "squeeze_ variants": lambda lib, x, z, w: (
        x[:1].clone().squeeze_().unsqueeze_(1).squeeze_((1,)).unsqueeze_(0).squeeze_(0)),
    "as_strided_": lambda lib, x, z, w: x.clone().as_strided_((2, 4), (4, 1), 4),
    "vector @ matrix": lambda lib, x, z, w: (z[:3] @ x).unsqueeze(0),
}


def _setitem(y, key, value):
    y[key] = value
    return y


def _chain_ops(y):
    y[:, 1:3] *= 2
    y[0, :2].sin_()
    return y


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_inplace_grads_match_torch(name):
    def prog(lib):
        x, z, w = _inputs(lib)
        out = PROGRAMS[name](lib, x, z, w)
        (out * w[:out.shape[0]]).sum().backward()
        return out.detach(), out.grad_fn.name(), _grads(x, z)
    expected, actual = prog(torch), prog(ft)
    assert expected[1] == actual[1]
    _same([expected[0]] + [g for g in expected[2] if g is not None],
          [actual[0]] + [g for g in actual[2] if g is not None])
    assert [g is None for g in expected[2]] == [g is None for g in actual[2]]


def test_view_nodes_and_graph_shape():
    def prog(lib):
        x, z, _ = _inputs(lib)
        y = x.clone()
        older = y[2]
        v = y[1]
        v.mul_(z)
        nexts = [None if e[0] is None else e[0].name() for e in y.grad_fn.next_functions]
        return (y.grad_fn.name(), v.grad_fn.name(), older.grad_fn.name(), nexts,
                v.requires_grad, y.requires_grad)
    assert prog(ft) == prog(torch)


def test_base_without_grad_gains_history_from_a_view_write():
    def prog(lib):
        _, z, _ = _inputs(lib)
        b = lib.zeros(3, 4, dtype=lib.float64)
        sibling, overlapping = b[1], b[0, :2]
        b[0] = z
        used = (overlapping * 3).sum()  # records: the view gained history through b[0] = z
        (gz,) = lib.autograd.grad(used, z)
        return (b.requires_grad, b.is_leaf, sibling.requires_grad, sibling.grad_fn.name(),
                gz.tolist())
    assert prog(ft) == prog(torch)


def test_second_order_through_copy_slices():
    def prog(lib):
        x, z, _ = _inputs(lib)
        y = x.clone()
        y[1] = z * z
        (gz,) = lib.autograd.grad((y * y).sum(), z, create_graph=True)
        (ggz,) = lib.autograd.grad(gz.sum(), z)
        return gz.detach(), ggz
    _same(prog(torch), prog(ft))


def test_errors_like_torch():
    for lib in (torch, ft):
        x, _, _ = _inputs(lib)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            x[0].mul_(2)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            x.add_(1)
        y = x.clone()
        y.mul_(y)  # the saved ``other`` is the tensor the op overwrote
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        with pytest.raises(TypeError):
            x.detach().index_put_((None, lib.tensor([1])), lib.tensor(1.0, dtype=lib.float64))


def test_double_backward_through_inplace_ops():
    for lib in (torch, ft):
        a = lib.tensor([0.3, 0.7, -1.2], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradgradcheck(lambda t: (t * 1).sinh_().atan_().mul_(t), (a,))


def test_unfold_and_advanced_index_record_torchs_nodes():
    def prog(lib):
        x = lib.arange(10.0, dtype=lib.float64).requires_grad_()
        windows = x.unfold(0, 3, 2)
        picked = x.reshape(2, 5)[lib.tensor([1, 0]), 1:]
        weights = lib.arange(12.0, dtype=lib.float64).reshape(4, 3)
        ((windows * weights).sum() + (picked * picked).sum()).backward()
        return windows.grad_fn.name(), picked.grad_fn.name(), x.grad
    expected, actual = prog(torch), prog(ft)
    assert expected[:2] == actual[:2]
    _same(expected[2], actual[2])
    for lib in (torch, ft):
        m = lib.arange(12.0, dtype=lib.float64).reshape(3, 4).requires_grad_()
        assert lib.autograd.gradgradcheck(lambda t: t.t().unfold(1, 2, 1) ** 2, (m,))
