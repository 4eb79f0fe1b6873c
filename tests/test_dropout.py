"""Dropout family against PyTorch under the same seed: identical masks and outputs, the same
gradients and graph nodes, the same generator state afterwards, and torch's errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import frankentorch as ft
import frankentorch.nn.functional as FF
from test_random_differential import seeded


def _F(lib):
    return TF if lib is torch else FF


SHAPES = {"dropout": [(7,), (4, 5, 6), (2, 3, 17)],
          "alpha_dropout": [(9,), (4, 5, 6)],
          "feature_alpha_dropout": [(4, 5, 6), (2, 3, 4, 5)],
          "dropout1d": [(5, 6), (4, 5, 6)],
          "dropout2d": [(4, 5, 6), (2, 3, 4, 5)],
          "dropout3d": [(3, 2, 2, 2), (3, 3, 2, 2, 2)]}
CASES = [(name, shape) for name, shapes in SHAPES.items() for shape in shapes]


@pytest.mark.parametrize("name,shape", CASES)
@pytest.mark.parametrize("p", (0.0, 0.2, 0.5, 1.0))
def test_functional_values_grads_and_nodes(name, shape, p):
    def prog(lib):
        x = lib.randn(*shape, requires_grad=True)
        y = getattr(_F(lib), name)(x, p, True)
        y.pow(2).sum().backward() if y.requires_grad else None
        node = y.grad_fn.name() if y.grad_fn is not None else None
        return [y, x.grad if x.grad is not None else lib.zeros(0), node, y is x]
    seeded(prog)


@pytest.mark.parametrize("name,shape", CASES)
def test_inplace_and_eval(name, shape):
    def prog(lib):
        F = _F(lib)
        x = lib.randn(*shape)
        y = getattr(F, name)(x, 0.4, True, True)
        z = getattr(F, name)(x, 0.4, False)
        w = lib.randn(*shape, requires_grad=True)
        v = getattr(F, name)(w * 1, 0.3, True, True)
        v.sum().backward()
        # unbatched channel dropout in place: torch reshapes the tensor itself (unsqueeze_,
        # squeeze_) and records those nodes; frankentorch writes through a view instead
        unbatched = name in ("dropout1d", "dropout3d") and len(shape) in (2, 4)
        return [y is x, x, z is x, v, w.grad, None if unbatched else v.grad_fn.name()]
    seeded(prog)


@pytest.mark.parametrize("dtype", ("float32", "float64", "float16", "bfloat16"))
def test_dtypes_and_layouts(dtype):
    def prog(lib):
        d = getattr(lib, dtype)
        x = lib.randn(6, 40, dtype=d).t()
        return [_F(lib).dropout(x, 0.25), _F(lib).dropout(x[::3], 0.6),
                _F(lib).dropout2d(lib.randn(2, 3, 4, 4, dtype=d), 0.5),
                _F(lib).alpha_dropout(x, 0.1, True)]
    seeded(prog)


def test_native_dropout():
    def prog(lib):
        x = lib.randn(5, 7, requires_grad=True)
        out, mask = lib.native_dropout(x, 0.3, True)
        out.sum().backward()
        ev, emask = lib.native_dropout(x, 0.3, False)
        nv, nmask = lib.native_dropout(x.detach(), 0.3, None)
        empty = lib.native_dropout(lib.zeros(0, 3), 0.5, True)
        ev.sum().backward()
        return [out, mask, x.grad, out.grad_fn.name(), ev, emask, nv, nmask, list(empty),
                lib.native_dropout(x, 1.0, True)[0]]
    seeded(prog)


def test_ops_called_directly():
    def prog(lib):
        x = lib.randn(3, 4, 5)
        return [lib.dropout(x, 0.5, True), lib.feature_dropout(x, 0.5, True),
                lib.alpha_dropout(x, 0.5, True), lib.feature_alpha_dropout(x, 0.5, True),
                lib.dropout_(x.clone(), 0.5, True), lib.feature_dropout_(x.clone(), 0.5, True),
                lib.alpha_dropout(x, 0.5, False)]
    seeded(prog)


@pytest.mark.parametrize("call", [
    lambda lib: _F(lib).dropout(lib.ones(3), 1.5),
    lambda lib: _F(lib).dropout(lib.ones(3), -0.1),
    lambda lib: _F(lib).alpha_dropout(lib.ones(3), 2.0, True),
    lambda lib: _F(lib).dropout1d(lib.ones(3), 0.5),
    lambda lib: _F(lib).dropout1d(lib.ones(2, 3, 4, 5), 0.5),
    lambda lib: _F(lib).feature_alpha_dropout(lib.ones(3), 0.5, True),
    lambda lib: lib.dropout(lib.ones(3), 1.5, True),
    lambda lib: lib.feature_dropout(lib.ones(3), 0.5, True),
    lambda lib: _F(lib).dropout(lib.ones(4, dtype=lib.int64), 0.5),
    lambda lib: lib.native_dropout(lib.ones(4, dtype=lib.int32), 0.5, True),
    lambda lib: _F(lib).dropout(lib.ones(4, dtype=lib.int64), 0.5, False),
])
def test_errors(call):
    seeded(call)


def test_deprecation_warnings():
    for lib in (torch, ft):
        with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
            _F(lib).dropout2d(lib.ones(2, 3, 4), 0.5)
        with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input"):
            _F(lib).dropout3d(lib.ones(2, 3, 4), 0.5)
