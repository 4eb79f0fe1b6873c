"""nn.functional corners where PyTorch's OpInfo samples once drifted, against PyTorch:
bicubic, antialiased and 3-d area interpolation, empty-batch group/batch norm, which norm
statistics are differentiable (and group_norm's statistics gradients), multilabel_margin_loss
with repeated targets, integer avg_pool2d with a negative divisor, embedding(sparse=True),
attention masks that require grad, and a callable distance function. Values, node names,
gradients and exception types."""
from __future__ import annotations

import warnings

import pytest
import torch

import frankentorch as ft

from conftest import run_both, to_ft
from test_nn_functional_ops import (check_grad, diff, fixed_inputs, rand,  # noqa: F401
                                    randint, raises_like_torch)

F = lambda lib: lib.nn.functional  # noqa: E731


# ---------------------------------------------------------------------------- bicubic

@pytest.mark.parametrize("size,scale", [((7, 9), None), ((3, 2), None), ((1, 1), None),
                                        ((5, 5), None), (None, 1.7), (None, (0.6, 2.5))],
                         ids=str)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_bicubic(size, scale, align_corners, dtype):
    diff(lambda lib, x: F(lib).interpolate(x, size, scale, mode="bicubic",
                                           align_corners=align_corners),
         rand(2, 3, 5, 5, dtype=dtype), square=True)


def test_bicubic_noncontiguous_recompute_scale_and_gradcheck():
    x = rand(5, 6, 3, 2, dtype=torch.float64).permute(2, 3, 0, 1)
    diff(lambda lib, x: F(lib).interpolate(x, scale_factor=1.5, mode="bicubic",
                                           recompute_scale_factor=True), x, square=True)
    check_grad(lambda x: ft.nn.functional.interpolate(x, (4, 7), mode="bicubic"),
               rand(1, 2, 3, 5, dtype=torch.float64))
    check_grad(lambda x: ft.nn.functional.interpolate(x, (2, 3), mode="bicubic",
                                                      align_corners=True),
               rand(1, 1, 4, 5, dtype=torch.float64))


def test_bicubic_bytes_and_errors():
    # torch's fixed-point byte kernel, exactly (few and many channels, both directions)
    for mode in ("bicubic", "bilinear"):
        for shape, size, scale in (((1, 2, 4, 5), (6, 8), None), ((2, 5, 9, 8), (3, 8), None),
                                   ((1, 3, 5, 7), None, (1.7, 0.45))):
            for align_corners in (False, True):
                run_both(lambda lib, x: F(lib).interpolate(
                    x, size, scale, mode=mode, align_corners=align_corners),
                    randint(256, *shape).to(torch.uint8))
    interp = lambda lib, x, size: F(lib).interpolate(x, size, mode="bicubic")  # noqa: E731
    raises_like_torch(interp, rand(1, 2, 5), (7,))
    raises_like_torch(interp, rand(1, 2, 3, 3, 3), (4, 4, 4))
    raises_like_torch(interp, rand(1, 0, 3, 3), (4, 4))
    raises_like_torch(interp, randint(5, 1, 1, 3, 3), (4, 4))
    raises_like_torch(interp, rand(1, 1, 3, 3), (0, 4))
    raises_like_torch(lambda lib, x: F(lib).interpolate(x, (4, 4), mode="lanczos"),
                      rand(1, 1, 3, 3))


# ---------------------------------------------------------------------------- antialias

@pytest.mark.parametrize("mode,align_corners", [("bilinear", False), ("bilinear", True),
                                                 ("bicubic", False), ("bicubic", True),
                                                 ("lanczos", False)])
@pytest.mark.parametrize("shape,size,scale", [((2, 3, 9, 12), (4, 5), None),
                                              ((1, 2, 40, 33), (7, 5), None),
                                              ((1, 2, 5, 7), (12, 3), None),
                                              ((1, 2, 8, 9), None, (0.3, 1.6))], ids=str)
def test_antialias(mode, shape, size, scale, align_corners):
    def fn(lib, x):
        return F(lib).interpolate(x, size, scale, mode=mode, align_corners=align_corners,
                                  antialias=True)
    diff(fn, rand(*shape, dtype=torch.float64), square=True)
    diff(fn, rand(*shape), square=True)
    run_both(fn, randint(256, *shape).to(torch.uint8))


def test_antialias_gradcheck_and_errors():
    for mode in ("bilinear", "bicubic", "lanczos"):
        check_grad(lambda x: ft.nn.functional.interpolate(x, (3, 5), mode=mode, antialias=True),
                   rand(1, 2, 7, 4, dtype=torch.float64))
    aa = lambda lib, x, mode: F(lib).interpolate(x, 2, mode=mode, antialias=True)  # noqa: E731
    raises_like_torch(aa, rand(1, 2, 5), "linear")
    raises_like_torch(aa, rand(1, 2, 5), "bilinear")
    raises_like_torch(aa, rand(1, 2, 5, 5), "nearest")
    raises_like_torch(aa, rand(1, 2, 5, 5, 5), "bicubic")
    raises_like_torch(aa, randint(5, 1, 2, 5, 5), "bilinear")
    raises_like_torch(aa, rand(1, 0, 5, 5), "bicubic")
    raises_like_torch(aa, rand(1, 2, 5, 5).half(), "lanczos")
    raises_like_torch(lambda lib, x: F(lib).interpolate(x, 2, mode="lanczos",
                                                        align_corners=True, antialias=True),
                      rand(1, 1, 5, 5))
    raises_like_torch(lambda lib, x: F(lib).interpolate(x, 2, mode="lanczos"), rand(1, 1, 5, 5))


# ---------------------------------------------------------------------------- 3-d area

@pytest.mark.parametrize("shape,size", [((2, 3, 4, 4, 4), (3, 3, 3)), ((2, 3, 4, 3, 5), (5, 4, 6)),
                                        ((3, 4, 5, 6), (2, 5, 3)), ((2, 3, 4, 4, 4), (1, 1, 1))],
                         ids=str)
def test_area_3d(shape, size):
    diff(lambda lib, x: F(lib).interpolate(x, size, mode="area"), rand(*shape), square=True)
    diff(lambda lib, x: F(lib).adaptive_avg_pool3d(x, size), rand(*shape, dtype=torch.float64),
         square=True)


def test_adaptive_avg_pool3d_sizes_and_errors():
    x = rand(2, 3, 4, 5, dtype=torch.float64)
    diff(lambda lib, x: F(lib).adaptive_avg_pool3d(x, (None, 2, 4)), x)
    diff(lambda lib, x: F(lib).interpolate(x, scale_factor=0.5, mode="area"), rand(1, 2, 4, 6, 8))
    run_both(lambda lib, x: F(lib).adaptive_avg_pool3d(x, 2), rand(0, 2, 3, 3, 3))
    check_grad(lambda x: ft.nn.functional.adaptive_avg_pool3d(x, (2, 3, 2)),
               rand(1, 3, 4, 5, dtype=torch.float64))
    pool = lambda lib, x, size: F(lib).adaptive_avg_pool3d(x, size)  # noqa: E731
    raises_like_torch(pool, rand(3, 3, 3), (2, 2, 2))
    raises_like_torch(pool, rand(1, 0, 3, 3), (2, 2, 2))
    raises_like_torch(pool, rand(1, 3, 3, 3), (2, 2))
    raises_like_torch(pool, rand(1, 3, 3, 3), (2, -1, 2))
    raises_like_torch(pool, randint(5, 1, 3, 3, 3), (2, 1, 2))


# ---------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize("shape,groups", [((0, 2), 1), ((0, 4, 3), 2), ((0, 6, 2, 2), 3)],
                         ids=str)
def test_group_norm_empty_batch(shape, groups):
    c = shape[1]
    diff(lambda lib, x, w, b: F(lib).group_norm(x, groups, w, b), rand(*shape), rand(c), rand(c),
         grad=(0, 1, 2))
    run_both(lambda lib, x: lib.native_group_norm(x, None, None, 0, c, 1, groups, 1e-5),
             rand(0, c))


@pytest.mark.parametrize("with_weight", [True, False])
@pytest.mark.parametrize("which", [(0, 1, 2), (1, 2), (0, 1), (0, 2)], ids=str)
def test_native_group_norm_gradient_through_statistics(with_weight, which):
    """torch differentiates the returned mean and rstd when both get a gradient."""
    def prog(lib, x, w, b, *upstream):
        x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
        outs = lib.native_group_norm(x, w if with_weight else None, b, 2, 6, 3, 2, 0.5)
        params = [w, b] if with_weight and 0 in which else []
        grads = lib.autograd.grad([outs[i] for i in which], [x] + params,
                                  [upstream[i] for i in which])
        return tuple(o.detach() for o in outs) + (outs[0].grad_fn.name(),) + grads
    x = rand(2, 6, 3, dtype=torch.float64)
    run_both(prog, x, rand(6, dtype=torch.float64), rand(6, dtype=torch.float64),
             rand(2, 6, 3, dtype=torch.float64), rand(2, 2, dtype=torch.float64),
             rand(2, 2, dtype=torch.float64), check_stride=False)
    def stats(x, w):
        _, mean, rstd = ft.native_group_norm(x, w, None, 1, 4, 2, 2, 1e-3)
        return mean * rstd
    check_grad(stats, rand(1, 4, 2, dtype=torch.float64), rand(4, dtype=torch.float64))


def test_native_norm_statistics_differentiability():
    """torch differentiates group norm's mean/rstd but not layer or batch norm's."""
    def prog(lib, x, w, b):
        x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
        calls = (lib.native_layer_norm(x, (3,), w, b, 1e-5),
                 lib.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5),
                 lib.native_group_norm(x, w, b, 4, 3, 1, 3, 1e-5))
        return [[o.requires_grad for o in outs] + [outs[0].grad_fn.name()] for outs in calls]
    run_both(prog, rand(4, 3), rand(3), rand(3))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (0, 3, 2)], ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_empty_input(shape, training):
    c = shape[1] if len(shape) > 1 else 1
    for affine in (True, False):
        def fn(lib, x, w, b, stats):
            return F(lib).batch_norm(x, stats if not training else None,
                                     stats.abs() if not training else None,
                                     w if affine else None, b if affine else None,
                                     training=training)
        diff(fn, rand(*shape), rand(c), rand(c), rand(c), grad=(0, 1, 2) if affine else (0,))
    raises_like_torch(lambda lib, x, w: F(lib).batch_norm(x, None, None, w, training=training),
                      rand(*shape), rand(0))


# ---------------------------------------------------------------------------- losses / pooling

@pytest.mark.parametrize("target", [[1, 1, -1, 0, 0], [3, 3, 3, -1, 0], [4, 0, 4, 2, 1],
                                    [-1, 2, 2, 2, 2]], ids=str)
def test_multilabel_margin_loss_repeated_targets(target):
    diff(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), rand(5, dtype=torch.float64),
         torch.tensor(target))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss_batches(reduction):
    target = torch.randint(-1, 5, (6, 5), generator=torch.Generator().manual_seed(7))
    diff(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
         rand(6, 5), target, square=True)
    diff(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
         rand(dtype=torch.float64), torch.tensor(0))
    check_grad(lambda x: ft.nn.functional.multilabel_margin_loss(x, to_ft(target),
                                                                 reduction=reduction),
               rand(6, 5, dtype=torch.float64))


def test_multilabel_margin_loss_errors():
    loss = lambda lib, x, t: F(lib).multilabel_margin_loss(x, t)  # noqa: E731
    raises_like_torch(loss, rand(0), torch.zeros(0, dtype=torch.int64))
    raises_like_torch(loss, rand(3, 0), torch.zeros(3, 0, dtype=torch.int64))
    raises_like_torch(loss, rand(3, 4), torch.zeros(3, 3, dtype=torch.int64))
    raises_like_torch(loss, rand(3, 4), torch.full((3, 4), 4))


@pytest.mark.parametrize("divisor", [-2, -3, 3])
def test_avg_pool2d_integer_divisor_override(divisor):
    x = torch.randint(-9, 10, (2, 1, 5, 6), generator=torch.Generator().manual_seed(3))
    run_both(lambda lib, x: F(lib).avg_pool2d(x, (2, 3), (1, 2), (1, 0), False, True, divisor),
             x)
    diff(lambda lib, x: F(lib).avg_pool2d(x, 2, divisor_override=divisor), rand(1, 2, 4, 4))


# ---------------------------------------------------------------------------- embedding

def test_embedding_sparse_forward():
    idx = torch.tensor([[0, 2, 4], [2, 2, 1]])
    run_both(lambda lib, w, i: F(lib).embedding(i, w, sparse=True), rand(5, 3), idx)
    run_both(lambda lib, w, i: F(lib).embedding(i, w, padding_idx=0, max_norm=1.0,
                                                 scale_grad_by_freq=True, sparse=True),
             rand(5, 3), idx)


def test_embedding_sparse_gradient_fails_closed():
    """frankentorch has no sparse layout: the gradient torch returns as a sparse COO tensor
    is refused rather than returned dense."""
    w = to_ft(rand(5, 3)).requires_grad_()
    out = ft.nn.functional.embedding(to_ft(torch.tensor([1, 2])), w, sparse=True)
    with pytest.raises(NotImplementedError):
        out.sum().backward()


# ---------------------------------------------------------------------------- attention

@pytest.mark.parametrize("mask_shape", [(3, 6), (1, 1, 3, 6), (2, 1, 3, 1)], ids=str)
def test_sdpa_mask_requiring_grad(mask_shape):
    def fn(lib, q, k, v, m):
        return F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m)
    args = (rand(2, 2, 3, 4, dtype=torch.float64), rand(2, 2, 6, 4, dtype=torch.float64),
            rand(2, 2, 6, 4, dtype=torch.float64), rand(*mask_shape, dtype=torch.float64))
    diff(fn, *args, grad=(0, 1, 2, 3))
    diff(fn, *args, grad=(3,))
    diff(fn, *args, grad=(0, 1, 2))


# ---------------------------------------------------------------------------- distance function

@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_triplet_margin_with_distance_function(swap, reduction):
    def fn(lib, a, p, n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return F(lib).triplet_margin_with_distance_loss(
                a, p, n, distance_function=lambda x, y: F(lib).pairwise_distance(x, y, 1.5),
                margin=0.7,
                swap=swap, reduction=reduction)
    diff(fn, rand(5, 4), rand(5, 4), rand(5, 4), grad=(0, 1, 2), square=True)
