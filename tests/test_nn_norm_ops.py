"""batch_norm, layer_norm, group_norm and instance_norm against PyTorch: outputs, node names,
gradients for input/weight/bias, running statistics, gradcheck and exception types."""
from __future__ import annotations

import pytest
import torch

import frankentorch as ft
from frankentorch.autograd import gradcheck

from conftest import run_both, to_ft
from test_nn_functional_ops import (check_grad, diff, fixed_inputs, rand,  # noqa: F401
                                    raises_like_torch)

F = lambda lib: lib.nn.functional  # noqa: E731


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 2)], ids=str)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(shape, training, affine):
    def prog(lib, x, w, b, rm, rv):
        x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
        out = F(lib).batch_norm(x, rm, rv, w if affine else None, b if affine else None,
                                training=training, momentum=0.2, eps=1e-3)
        grads = lib.autograd.grad((out * out).sum(), [x, w, b] if affine else [x],
                                  allow_unused=True)
        return (out.detach(), out.grad_fn.name(), rm, rv) + tuple(grads)
    c = shape[1]
    run_both(prog, rand(*shape), rand(c), rand(c), rand(c), rand(c, lo=0.5, hi=2),
             check_stride=False)


def test_batch_norm_without_running_stats_and_float64():
    diff(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), rand(5, 3),
         square=True)
    x = rand(3, 4, 2, dtype=torch.float64).transpose(0, 2)
    diff(lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True), x,
         rand(4, dtype=torch.float64), rand(4, dtype=torch.float64), grad=(0, 1, 2),
         square=True)
    rm, rv = to_ft(rand(2, dtype=torch.float64)), to_ft(rand(2, dtype=torch.float64, lo=1, hi=2))
    for training in (True, False):
        check_grad(lambda x, w, b: ft.nn.functional.batch_norm(
            x, rm.clone(), rv.clone(), w, b, training=training), rand(3, 2, 2, dtype=torch.float64),
            rand(2, dtype=torch.float64), rand(2, dtype=torch.float64))


def test_batch_norm_errors():
    x = rand(4, 3)
    f = lambda lib, x, rm, rv, **kw: F(lib).batch_norm(x, rm, rv, **kw)  # noqa: E731
    raises_like_torch(f, x, rand(4), rand(4))
    raises_like_torch(lambda lib, x, r: F(lib).batch_norm(x, r, r, weight=lib.ones(4)), x,
                      rand(3))
    raises_like_torch(lambda lib, x, r: F(lib).batch_norm(x, r, r, training=True), x[:1], rand(3))
    raises_like_torch(lambda lib, x: F(lib).batch_norm(x, None, None), x)
    raises_like_torch(lambda lib, x, r: F(lib).batch_norm(x, r, r.double(), training=True), x,
                      rand(3))
    raises_like_torch(lambda lib, x, r: F(lib).batch_norm(x.double(), r, r), x, rand(3))
    raises_like_torch(lambda lib, x, r: F(lib).batch_norm(x, r, r, r.double()), x, rand(3))
    raises_like_torch(lambda lib, x, r: F(lib).batch_norm(x.int(), r, r), x, rand(3))


@pytest.mark.parametrize("shape,ns", [((4, 3), (3,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)),
                                      ((0, 3), (3,))], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, ns, affine):
    def fn(lib, x, w, b):
        return F(lib).layer_norm(x, ns, w if affine else None, b if affine else None, eps=1e-4)
    diff(fn, rand(*shape), rand(*ns), rand(*ns), grad=(0, 1, 2) if affine else (0,),
         square=True)


def test_layer_norm_gradcheck_and_errors():
    check_grad(lambda x, w, b: ft.nn.functional.layer_norm(x, (3,), w, b),
               rand(2, 3, dtype=torch.float64), rand(3, dtype=torch.float64),
               rand(3, dtype=torch.float64))
    diff(lambda lib, x: F(lib).layer_norm(x, (2,)), rand(2, 4, dtype=torch.float64).t(),
         square=True)
    x = rand(4, 3)
    raises_like_torch(lambda lib, x: F(lib).layer_norm(x, (4,)), x)
    raises_like_torch(lambda lib, x: F(lib).layer_norm(x, (3,), lib.ones(4)), x)
    raises_like_torch(lambda lib, x: F(lib).layer_norm(x, ()), x)
    raises_like_torch(lambda lib, x: F(lib).layer_norm(x, (3,), lib.ones(3).double()), x)


# groups of 2 elements (2, 6 / 3) are so ill-conditioned that torch's own float32 gradients are
# ~1e-5 off the exact ones: that case runs in float64
@pytest.mark.parametrize("shape,groups,dtype", [((2, 4, 3), 2, torch.float32),
                                                ((2, 6), 3, torch.float64),
                                                ((2, 4, 2, 2), 4, torch.float32)], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(shape, groups, dtype, affine):
    c = shape[1]

    def fn(lib, x, w, b):
        return F(lib).group_norm(x, groups, w if affine else None, b if affine else None)
    diff(fn, rand(*shape, dtype=dtype), rand(c, dtype=dtype), rand(c, dtype=dtype),
         grad=(0, 1, 2) if affine else (0,), square=True)


def test_group_norm_gradcheck_and_errors():
    check_grad(lambda x, w, b: ft.nn.functional.group_norm(x, 2, w, b),
               rand(2, 4, 2, dtype=torch.float64), rand(4, dtype=torch.float64),
               rand(4, dtype=torch.float64))
    raises_like_torch(lambda lib, x: F(lib).group_norm(x, 3), rand(2, 4, 3))
    raises_like_torch(lambda lib, x: F(lib).group_norm(x, 2, lib.ones(3)), rand(2, 4, 3))
    raises_like_torch(lambda lib, x: F(lib).group_norm(x, 2), rand(4))
    raises_like_torch(lambda lib, x: F(lib).group_norm(x, 2), rand(1, 2))


@pytest.mark.parametrize("stats", [False, True])
def test_instance_norm(stats):
    def prog(lib, x, w, b, rm, rv):
        x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
        out = F(lib).instance_norm(x, rm if stats else None, rv if stats else None, w, b,
                                   momentum=0.3)
        grads = lib.autograd.grad((out * out).sum(), [x, w, b])
        return (out.detach(), out.grad_fn.name(), rm, rv) + tuple(grads)
    run_both(prog, rand(2, 3, 4), rand(3), rand(3), rand(3), rand(3, lo=0.5, hi=2),
             check_stride=False)
    run_both(lambda lib, x, rm, rv: F(lib).instance_norm(x, rm, rv, use_input_stats=False),
             rand(2, 3, 4), rand(3), rand(3, lo=0.5, hi=2))
    raises_like_torch(lambda lib, x: F(lib).instance_norm(x), rand(2, 3, 1))
    assert gradcheck(lambda x: ft.nn.functional.instance_norm(x),
                     [to_ft(rand(2, 2, 3, dtype=torch.float64)).requires_grad_()],
                     eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dn", ["float16", "bfloat16"])
def test_reduced_precision_inputs_with_float_parameters(dn):
    x = rand(4, 3)
    tol = {"rtol": 2e-2, "atol": 2e-2}
    run_both(lambda lib, x, w, b: F(lib).batch_norm(x.to(getattr(lib, dn)), lib.zeros(3),
                                                    lib.ones(3), w, b, training=True),
             x, rand(3), rand(3), **tol)
    run_both(lambda lib, x, w, b: F(lib).layer_norm(x.to(getattr(lib, dn)), (3,), w, b), x,
             rand(3), rand(3), **tol)
    run_both(lambda lib, x, w: F(lib).group_norm(x.to(getattr(lib, dn)).view(4, 3, 1), 3, w, w),
             x, rand(3), **tol)

    def mixed(lib, x, w):
        half = getattr(lib, dn)
        return F(lib).batch_norm(x.to(half), lib.zeros(3).to(half), lib.ones(3).to(half), w, w,
                                 training=True)
    raises_like_torch(mixed, x, rand(3))
