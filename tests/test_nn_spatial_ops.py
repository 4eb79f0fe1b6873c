"""Spatial ops against PyTorch: convolutions (plain, transposed, grouped, dilated, 'same'),
pooling (max/avg/adaptive, ceil_mode edges, indices), padding modes, interpolation,
unfold/fold. Values, dtypes, node names, gradients for every input (torch as the oracle,
gradcheck in float64) and exception types."""
from __future__ import annotations

import random
import warnings

import pytest
import torch

import frankentorch as ft
from frankentorch.autograd import gradcheck, gradgradcheck

from conftest import random_strided, run_both, to_ft

GEN = torch.Generator().manual_seed(20240601)
RNG = random.Random(7)


def rand(*shape, dtype=torch.float32):
    return torch.randn(shape, generator=GEN, dtype=torch.float64).to(dtype)


def strided(*shape, dtype=torch.float32):
    """Random values in a random memory layout (sliced, permuted, offset)."""
    return random_strided(RNG, shape, dtype, allow_expand=False)


def diff(fn, *inputs, grad=(0,), **kw):
    """``fn(F, lib, *inputs)`` under torch and frankentorch: the output (or outputs), the node
    name of the first one and the gradients of ``(out * weights).sum()`` for the inputs at
    positions ``grad`` (None entries are skipped) must match."""
    def prog(lib, *xs):
        F = lib.nn.functional
        xs = list(xs)
        leaves = []
        for i in grad:
            if xs[i] is not None:
                xs[i] = xs[i].detach().requires_grad_(True)
                leaves.append(xs[i])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(F, lib, *xs)
        first = out[0] if isinstance(out, tuple) else out
        if not leaves:
            return out
        w = lib.linspace(-1, 1, first.numel(), dtype=first.dtype).reshape(first.shape)
        grads = lib.autograd.grad((first * w).sum(), leaves)
        rest = tuple(o.detach() for o in out[1:]) if isinstance(out, tuple) else ()
        return (first.detach(), first.grad_fn.name()) + rest + tuple(grads)
    kw.setdefault("check_stride", False)
    if inputs and inputs[0] is not None and inputs[0].dtype == torch.float32:
        kw.setdefault("rtol", 1e-4)
        kw.setdefault("atol", 1e-4)
    return run_both(prog, *inputs, **kw)


def raises_like_torch(fn, *inputs):
    err_t, err_ft = run_both(lambda lib, *xs: fn(lib.nn.functional, lib, *xs), *inputs)
    assert isinstance(err_t, Exception) and isinstance(err_ft, type(err_t))


def check_grad(fn, *inputs):
    xs = [to_ft(x.to(torch.float64)).detach().requires_grad_(True) for x in inputs]
    assert gradcheck(lambda *a: fn(ft.nn.functional, *a), xs)


# ---------------------------------------------------------------- convolution

CONV2D = [  # (N, C, H, W), (O, kh, kw), stride, padding, dilation, groups, bias
    ((2, 3, 7, 8), (4, 3, 3), 1, 0, 1, 1, True),
    ((1, 4, 9, 6), (6, 3, 2), (2, 1), (1, 2), (1, 2), 2, True),
    ((3, 6, 5, 5), (6, 1, 1), 1, 0, 1, 6, False),
    ((2, 2, 10, 7), (3, 4, 3), (3, 2), (2, 0), (2, 1), 1, True),
    ((1, 1, 4, 4), (1, 4, 4), 1, 0, 1, 1, False),
    ((0, 3, 5, 5), (2, 3, 3), 1, 1, 1, 1, True),
]


@pytest.mark.parametrize("case", CONV2D)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv2d(case, dtype):
    shape, (o, kh, kw), stride, padding, dilation, groups, bias = case
    x = strided(*shape, dtype=dtype)
    w = strided(o, shape[1] // groups, kh, kw, dtype=dtype)
    b = rand(o, dtype=dtype) if bias else None
    diff(lambda F, lib, x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
         x, w, b, grad=(0, 1, 2))


def test_conv2d_unbatched_and_padding_strings():
    x, w, b = rand(3, 6, 7), rand(5, 3, 3, 2), rand(5)
    diff(lambda F, lib, x, w, b: F.conv2d(x, w, b, padding=1), x, w, b, grad=(0, 1, 2))
    for padding, dilation in (("same", 1), ("same", (2, 1)), ("valid", 1), ("same", 3)):
        diff(lambda F, lib, x, w, b: F.conv2d(x.unsqueeze(0), w, b, padding=padding,
                                              dilation=dilation), x, w, b, grad=(0, 1, 2))
    diff(lambda F, lib, x, w: lib.conv2d(x, w, None, 1, "same"), x, w, grad=(0, 1))


@pytest.mark.parametrize("case", [
    ((2, 4, 11), (6, 3), 1, 0, 1, 1), ((1, 4, 9), (4, 2), 2, 1, 2, 2),
    ((3, 2, 5), (2, 5), 1, "same", 1, 1), ((2, 3, 8), (3, 4), 1, "same", 1, 3),
    ((4, 6), (5, 3), 1, "valid", 1, 1)])
def test_conv1d(case):
    shape, (o, k), stride, padding, dilation, groups = case
    x = strided(*shape)
    w = rand(o, shape[-2] // groups, k)
    b = rand(o)
    diff(lambda F, lib, x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
         x, w, b, grad=(0, 1, 2))


@pytest.mark.parametrize("case", [  # in shape, (O/groups, k), stride, pad, out_pad, groups, dil
    ((2, 4, 5, 6), (3, 3, 3), 1, 0, 0, 1, 1),
    ((1, 4, 4, 5), (2, 3, 2), 2, 1, 1, 2, 1),
    ((2, 2, 3, 3), (3, 2, 4), (3, 2), (1, 0), (2, 1), 1, (1, 2)),
    ((3, 4, 4), (2, 3, 3), 2, 1, 1, 2, 2),
])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv_transpose2d(case, dtype):
    shape, (og, kh, kw), stride, padding, output_padding, groups, dilation = case
    cin = shape[-3]
    x = strided(*shape, dtype=dtype)
    w = rand(cin, og, kh, kw, dtype=dtype)
    b = rand(og * groups, dtype=dtype)
    diff(lambda F, lib, x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding,
                                                    groups, dilation), x, w, b, grad=(0, 1, 2))


def test_conv_transpose_output_padding_below_dilation():
    x, w, b = rand(2, 4, 6), rand(4, 2, 2), rand(4)
    diff(lambda F, lib, x, w, b: F.conv_transpose1d(x, w, b, 1, 0, 1, 2, 2), x, w, b,
         grad=(0, 1, 2))
    x2 = rand(2, 1, 5, 6)
    diff(lambda F, lib, x, w: F.conv_transpose2d(x, w, None, (1, 2), (1, 2), 1, 1, 2), x2,
         rand(1, 2, 1, 2), grad=(0, 1))


def test_conv_transpose1d_and_convolution():
    x, w, b = rand(2, 4, 7), rand(4, 3, 3), rand(6)
    diff(lambda F, lib, x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2), x, w, b,
         grad=(0, 1, 2))
    diff(lambda F, lib, x, w: lib.convolution(x, w, None, [2], [1], [1], True, [1], 1), x,
         rand(4, 2, 3), grad=(0, 1))
    diff(lambda F, lib, x, w: lib.conv_transpose1d(x, w), rand(4, 7), rand(4, 2, 3),
         grad=(0, 1))


def test_conv3d_and_transpose3d():
    x, w, b = strided(2, 4, 4, 5, 3), rand(6, 2, 2, 3, 2), rand(6)
    diff(lambda F, lib, x, w, b: F.conv3d(x, w, b, (1, 2, 1), (1, 0, 1), (2, 1, 1), 2), x, w, b,
         grad=(0, 1, 2))
    diff(lambda F, lib, x, w, b: F.conv_transpose3d(x, w, b[:3], 2, 1, 1), x, rand(4, 3, 2, 2, 2),
         b, grad=(0, 1, 2))


def test_conv_shared_input_and_reuse_order():
    """Several convolutions of one input (same or other geometry), backward in any order,
    and an input modified in place after the forward (torch's version error)."""
    def prog(lib, x, w1, w2, w3):
        x, w1, w2, w3 = (t.detach().requires_grad_(True) for t in (x, w1, w2, w3))
        F = lib.nn.functional
        a = F.conv2d(x, w1, padding=1)
        b = F.conv2d(x, w2, padding=1)
        c = F.conv2d(x, w3, stride=2)
        ga = lib.autograd.grad((a * a).sum(), (x, w1), retain_graph=True)
        gc = lib.autograd.grad((c * c).sum(), (x, w3))
        gb = lib.autograd.grad((b * b).sum(), (x, w2))
        return ga + gb + gc
    run_both(prog, rand(2, 3, 6, 7), rand(4, 3, 3, 3), rand(4, 3, 3, 3), rand(2, 3, 2, 2),
             check_stride=False, rtol=1e-4, atol=1e-4)

    def modified(lib, x, w):
        x = x.clone()
        w = w.detach().requires_grad_(True)
        y = lib.nn.functional.conv2d(x, w)
        x.add_(1)
        return lib.autograd.grad(y.sum(), w)
    raises_like_torch(lambda F, lib, x, w: modified(lib, x, w), rand(1, 3, 5, 5),
                      rand(2, 3, 3, 3))


def test_conv_half_and_integer_dtypes():
    for dt in (torch.float16, torch.bfloat16):
        x, w = rand(2, 3, 6, 6, dtype=dt), rand(4, 3, 3, 3, dtype=dt)
        diff(lambda F, lib, x, w: F.conv2d(x, w, padding=1), x, w, grad=(),
             rtol=2e-2, atol=2e-2)
    x = torch.randint(-3, 4, (2, 3, 5, 5), generator=GEN)
    w = torch.randint(-3, 4, (2, 3, 2, 2), generator=GEN)
    diff(lambda F, lib, x, w: F.conv2d(x, w), x, w, grad=())


@pytest.mark.parametrize("call", [
    lambda F, lib, x, w: F.conv2d(x, w[:, :2]),
    lambda F, lib, x, w: F.conv2d(x, w, groups=5),
    lambda F, lib, x, w: F.conv2d(x, w.double()),
    lambda F, lib, x, w: F.conv2d(x, w, lib.zeros(4, dtype=lib.float64)),
    lambda F, lib, x, w: F.conv2d(x, w, lib.zeros(3)),
    lambda F, lib, x, w: F.conv2d(x[0, 0], w),
    lambda F, lib, x, w: F.conv2d(x, w[0]),
    lambda F, lib, x, w: F.conv2d(x, lib.zeros(4, 4, 9, 9)),
    lambda F, lib, x, w: F.conv2d(x, w, stride=0),
    lambda F, lib, x, w: F.conv2d(x, w, padding=-1),
    lambda F, lib, x, w: F.conv2d(x, w, dilation=0),
    lambda F, lib, x, w: F.conv2d(x, w, groups=0),
    lambda F, lib, x, w: F.conv2d(x, w, stride=(1, 1, 1)),
    lambda F, lib, x, w: F.conv2d(x, w, padding="same", stride=2),
    lambda F, lib, x, w: F.conv2d(x, w, padding="full"),
    lambda F, lib, x, w: F.conv2d(x, w, None, 1, "same", 1, 1, 1),
    lambda F, lib, x, w: F.conv2d(x, lib.zeros(0, 4, 3, 3)),
    lambda F, lib, x, w: F.conv2d(x.bool(), w.bool()),
    lambda F, lib, x, w: F.conv1d(x, w),
    lambda F, lib, x, w: F.conv_transpose2d(x, w, output_padding=1),
    lambda F, lib, x, w: F.conv_transpose2d(x, w[:3]),
    lambda F, lib, x, w: F.conv_transpose2d(x, w, lib.zeros(3)),
    lambda F, lib, x, w: F.conv_transpose2d(x[0, 0], w),
    lambda F, lib, x, w: F.conv2d(x, lib.zeros(4, 4, 0, 2)),
    lambda F, lib, x, w: F.conv_transpose2d(x, lib.zeros(4, 4, 2, 0)),
    lambda F, lib, x, w: F.conv3d(x.unsqueeze(0), lib.zeros(4, 8, 2, 0, 2)),
    lambda F, lib, x, w: F.conv_transpose2d(lib.zeros(1, 4, 0, 5), w),
    lambda F, lib, x, w: F.conv2d(lib.zeros(1, 4, 0, 5), w),
])
def test_conv_errors(call):
    raises_like_torch(call, rand(2, 4, 8, 8), rand(4, 4, 3, 3))


def test_conv_gradcheck():
    check_grad(lambda F, x, w, b: F.conv2d(x, w, b, (2, 1), 1, (1, 2), 2),
               rand(1, 4, 5, 6), rand(2, 2, 3, 2), rand(2))
    check_grad(lambda F, x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 1, 1),
               rand(1, 2, 3, 3), rand(2, 2, 3, 3), rand(2))
    check_grad(lambda F, x, w: F.conv1d(x, w, padding="same"), rand(2, 2, 5), rand(3, 2, 4))


@pytest.mark.parametrize("transposed", [False, True])
def test_conv_double_backward(transposed):
    def prog(lib, x, w, b):
        x, w, b = (t.detach().requires_grad_(True) for t in (x, w, b))
        F = lib.nn.functional
        y = F.conv_transpose2d(x, w, b, 2, 1, 1, 2) if transposed else \
            F.conv2d(x, w, b, (2, 1), 1, (1, 2), 2)
        gs = lib.autograd.grad((y * y).sum(), (x, w, b), create_graph=True)
        return lib.autograd.grad(sum((g * g).sum() for g in gs), (x, w, b))
    w = rand(4, 1, 3, 2, dtype=torch.float64) if transposed else rand(2, 2, 3, 2,
                                                                       dtype=torch.float64)
    run_both(prog, rand(2, 4, 5, 6, dtype=torch.float64), w, rand(2, dtype=torch.float64),
             check_stride=False)
    xs = [to_ft(t).requires_grad_(True) for t in (rand(1, 2, 4, 3, dtype=torch.float64),
                                                  rand(2, 2, 2, 2, dtype=torch.float64))]
    assert gradgradcheck(lambda x, w: ft.nn.functional.conv2d(x, w, padding=1), xs)


def test_conv_meta_shapes():
    x = ft.empty(8, 3, 32, 32, device="meta")
    w = ft.empty(16, 3, 5, 5, device="meta")
    out = ft.nn.functional.conv2d(x, w, stride=2, padding=2)
    assert out.device.type == "meta" and tuple(out.shape) == (8, 16, 16, 16)
    t = ft.nn.functional.conv_transpose2d(out, ft.empty(16, 4, 3, 3, device="meta"), stride=2,
                                          padding=1, output_padding=1)
    assert tuple(t.shape) == tuple(torch.nn.functional.conv_transpose2d(
        torch.empty(8, 16, 16, 16, device="meta"), torch.empty(16, 4, 3, 3, device="meta"),
        stride=2, padding=1, output_padding=1).shape)


@pytest.mark.parametrize("call", [
    lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda F, x: F.avg_pool2d(x, 3, 2, 1, True),
    lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)),
    lambda F, x: F.adaptive_max_pool2d(x, (3, 4)),
    lambda F, x: F.pad(x, (1, 2, 1, 1), "reflect"),
    lambda F, x: F.pad(x, (1, 2, 1, 1), "circular"),
    lambda F, x: F.interpolate(x, scale_factor=2.5, mode="bilinear"),
    lambda F, x: F.unfold(x, 2),
    lambda F, x: F.max_pool1d(x[0], 3),
])
def test_meta_shapes_and_backward(call):
    """On the meta device every spatial op infers torch's shape, forward and backward."""
    x = ft.empty(2, 3, 8, 9, device="meta", requires_grad=True)
    out = call(ft.nn.functional, x)
    assert out.device.type == "meta"
    assert tuple(out.shape) == tuple(call(torch.nn.functional,
                                          torch.empty(2, 3, 8, 9, device="meta")).shape)
    out.sum().backward()
    assert x.grad.device.type == "meta" and tuple(x.grad.shape) == (2, 3, 8, 9)


@pytest.mark.parametrize("call", [
    lambda F, lib, x: F.avg_pool2d(x, 2),
    lambda F, lib, x: F.max_pool2d(x, 2, return_indices=True),
    lambda F, lib, x: F.adaptive_avg_pool2d(x, (2, 3)),
    lambda F, lib, x: F.adaptive_max_pool2d(x, 2),
    lambda F, lib, x: F.pad(x, (1, 1, 2, 0), "reflect"),
    lambda F, lib, x: F.pad(x, (1, 1, 2, 0), "replicate"),
    lambda F, lib, x: F.pad(x, (1, 1, 2, 0), "circular"),
    lambda F, lib, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    lambda F, lib, x: F.interpolate(x, size=(5, 2)),
    lambda F, lib, x: F.unfold(x, 2),
    lambda F, lib, x: F.conv_transpose2d(x, lib.ones(2, 3, 2, 2)),
])
def test_zero_batch(call):
    """Empty batches go through every op (values, shapes, gradients) as in torch."""
    diff(call, rand(0, 2, 4, 4))


DTYPE_CALLS = {
    "conv2d": lambda F, lib, x: F.conv2d(x, lib.ones(2, 3, 2, 2, dtype=x.dtype)),
    "conv_transpose2d": lambda F, lib, x: F.conv_transpose2d(x, lib.ones(3, 2, 2, 2,
                                                                          dtype=x.dtype)),
    "max_pool2d": lambda F, lib, x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda F, lib, x: F.avg_pool2d(x, 2),
    "adaptive_avg_pool2d": lambda F, lib, x: F.adaptive_avg_pool2d(x, (2, 3)),
    "adaptive_max_pool2d": lambda F, lib, x: F.adaptive_max_pool2d(x, (2, 3)),
    "reflect": lambda F, lib, x: F.pad(x, (1, 1), "reflect"),
    "circular": lambda F, lib, x: F.pad(x, (1, 1), "circular"),
    "nearest": lambda F, lib, x: F.interpolate(x, scale_factor=2),
    "linear": lambda F, lib, x: F.interpolate(x[0], scale_factor=2, mode="linear"),
    "bilinear": lambda F, lib, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "unfold": lambda F, lib, x: F.unfold(x, 2),
}


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int32, torch.int64,
                                   torch.float16, torch.bfloat16])
def test_dtype_support(dtype):
    """Which dtypes each kernel takes (torch's NotImplementedError otherwise), and values."""
    x = (torch.arange(120) % 7).reshape(2, 3, 4, 5).to(dtype)
    for name, call in DTYPE_CALLS.items():
        # uint8 bilinear follows torch's fixed-point kernel exactly
        tol = dict(rtol=0, atol=0) if dtype == torch.uint8 and name == "bilinear" else \
            dict(rtol=2e-2, atol=2e-2)
        run_both(lambda lib, x: call(lib.nn.functional, lib, x), x, **tol)


# ---------------------------------------------------------------- unfold / fold

def test_unfold_fold():
    x = strided(2, 3, 6, 7)
    diff(lambda F, lib, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), x)
    diff(lambda F, lib, x: F.unfold(x, 3), rand(3, 5, 5))
    cols = rand(2, 3 * 4, 12)
    diff(lambda F, lib, c: F.fold(c, (5, 6), 2, stride=(2, 1), padding=(1, 0)), cols)
    diff(lambda F, lib, c: F.fold(c, 4, 2, stride=2), rand(8, 4))
    raises_like_torch(lambda F, lib, c: F.fold(c, (5, 6), 2), cols)
    raises_like_torch(lambda F, lib, x: F.unfold(x, 9), x)
    raises_like_torch(lambda F, lib, x: F.unfold(x, 0), x)


# ---------------------------------------------------------------- pooling

MAX_POOL2D = [  # input shape, kernel, stride, padding, dilation, ceil_mode
    ((2, 3, 7, 8), 2, None, 0, 1, False),
    ((2, 3, 7, 8), 3, 2, 1, 1, True),
    ((1, 2, 6, 6), 3, 2, 1, 1, True),
    ((1, 2, 5, 5), 2, 2, 1, 1, True),
    ((2, 2, 9, 7), (3, 2), (2, 3), (1, 1), (2, 1), True),
    ((2, 9, 10), (2, 4), (1, 3), (1, 2), 1, False),
    ((0, 2, 4, 4), 2, 2, 0, 1, False),
]


@pytest.mark.parametrize("case", MAX_POOL2D)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_max_pool2d(case, dtype):
    shape, k, s, p, d, ceil = case
    x = strided(*shape, dtype=dtype)
    diff(lambda F, lib, x: F.max_pool2d(x, k, s, p, d, ceil, return_indices=True), x)
    diff(lambda F, lib, x: F.max_pool2d(x, k, s, p, d, ceil), x)


def test_max_pool_windows_outside_the_input():
    """Dilated windows that hold no input element: -inf and the window's first non-negative
    position as index, as torch."""
    x = rand(2, 2, 6, 1)
    diff(lambda F, lib, x: F.max_pool2d(x, (3, 2), 2, 1, 2, True, return_indices=True), x,
         grad=())
    diff(lambda F, lib, x: F.max_pool1d(x[0, :, :, 0], 2, 2, 1, 3, True, return_indices=True),
         x, grad=())


def test_max_pool_nan_inf_ties_and_ints():
    x = torch.tensor([[[[1., float("nan"), 3., float("nan")], [2., 2., -float("inf"), 5.],
                        [-float("inf"), -float("inf"), 4., 4.], [0., 0., 0., 0.]]]])
    diff(lambda F, lib, x: F.max_pool2d(x, 2, 1, 1, return_indices=True), x)
    diff(lambda F, lib, x: F.max_pool2d(x, 3, 1, 1, return_indices=True), x)
    xi = torch.randint(-4, 4, (2, 3, 5, 6), generator=GEN)
    diff(lambda F, lib, x: F.max_pool2d(x, 2, return_indices=True), xi, grad=())


@pytest.mark.parametrize("case", [
    ((2, 3, 9), 3, 2, 1, 1, True), ((3, 8), 2, None, 0, 1, False),
    ((2, 2, 10), 3, 3, 1, 2, True), ((1, 2, 7), 4, 3, 2, 1, True)])
def test_max_pool1d(case):
    shape, k, s, p, d, ceil = case
    x = strided(*shape)
    diff(lambda F, lib, x: F.max_pool1d(x, k, s, p, d, ceil), x)
    diff(lambda F, lib, x: F.max_pool1d(x, k, s, p, d, ceil, return_indices=True), x)


AVG_POOL2D = [  # shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor
    ((2, 3, 7, 8), 2, None, 0, False, True, None),
    ((2, 3, 7, 8), 3, 2, 1, True, True, None),
    ((2, 3, 7, 8), 3, 2, 1, True, False, None),
    ((1, 2, 5, 6), (3, 2), (2, 3), (1, 1), True, False, None),
    ((1, 2, 5, 6), 3, 2, 1, False, True, 5),
    ((3, 6, 6), 4, 3, 2, True, True, None),
]


@pytest.mark.parametrize("case", AVG_POOL2D)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_avg_pool2d(case, dtype):
    shape, k, s, p, ceil, cip, div = case
    x = strided(*shape, dtype=dtype)
    diff(lambda F, lib, x: F.avg_pool2d(x, k, s, p, ceil, cip, div), x)


def test_avg_pool1d_and_integers():
    x = strided(2, 3, 10)
    for k, s, p, ceil, cip in ((3, 2, 1, True, False), (2, None, 0, False, True),
                               (4, 3, 2, True, True)):
        diff(lambda F, lib, x: F.avg_pool1d(x, k, s, p, ceil, cip), x)
    xi = torch.randint(-9, 9, (2, 2, 5, 5), generator=GEN)
    diff(lambda F, lib, x: F.avg_pool2d(x, 2, 2, 1, True, False), xi, grad=())


@pytest.mark.parametrize("size", [(3, 4), 1, (5, 2), (7, 9), (None, 3), (2, 1)])
def test_adaptive_pools_2d(size):
    x = strided(2, 3, 7, 9)
    diff(lambda F, lib, x: F.adaptive_avg_pool2d(x, size), x)
    diff(lambda F, lib, x: F.adaptive_max_pool2d(x, size, return_indices=True), x)
    diff(lambda F, lib, x: F.adaptive_max_pool2d(x[0], size), x)


def test_adaptive_pools_1d():
    x = strided(2, 3, 10)
    for size in (1, 3, 7, 10, 13):
        diff(lambda F, lib, x: F.adaptive_avg_pool1d(x, size), x)
        diff(lambda F, lib, x: F.adaptive_max_pool1d(x, size, return_indices=True), x)
    diff(lambda F, lib, x: F.adaptive_avg_pool1d(x, 4), rand(3, 9))


@pytest.mark.parametrize("call", [
    lambda F, lib, x: F.max_pool2d(x, 0),
    lambda F, lib, x: F.max_pool2d(x, 2, stride=0),
    lambda F, lib, x: F.max_pool2d(x, 2, dilation=0),
    lambda F, lib, x: F.max_pool2d(x, 3, padding=2),
    lambda F, lib, x: F.max_pool2d(x, 7),
    lambda F, lib, x: F.max_pool2d(x[0, 0, 0], 2),
    lambda F, lib, x: F.max_pool2d(x.bool(), 2),
    lambda F, lib, x: F.max_pool1d(x, 2),
    lambda F, lib, x: F.max_pool1d(x[0], 0),
    lambda F, lib, x: F.avg_pool2d(x, 3, padding=2),
    lambda F, lib, x: F.avg_pool2d(x, 7),
    lambda F, lib, x: F.avg_pool2d(x, 2, divisor_override=0),
    lambda F, lib, x: F.avg_pool1d(x, 2),
    lambda F, lib, x: F.avg_pool1d(x[0], 0),
    lambda F, lib, x: F.adaptive_avg_pool2d(x[0, 0], (3, 2)),
    lambda F, lib, x: F.adaptive_max_pool2d(x[0, 0], 2),
    lambda F, lib, x: F.max_pool2d(lib.zeros(2, 0, 4, 4), 2),
    lambda F, lib, x: F.max_pool2d(x, 3, 1, 2, 2),
    lambda F, lib, x: F.max_pool2d(x, (1, 3), 1, (0, 2), (1, 2)),
    lambda F, lib, x: F.max_pool1d(x[0], 3, 1, 2, 2),
    lambda F, lib, x: F.max_pool1d(x[0], 3, 0),
    lambda F, lib, x: F.max_pool1d(x[0], 3, 1, 0, 0),
    lambda F, lib, x: F.max_pool1d(x[0], 8),
    lambda F, lib, x: F.max_pool1d(x[0], 3, 1, -1),
    lambda F, lib, x: F.max_pool2d(x, 3, 1, -1),
    lambda F, lib, x: F.avg_pool2d(x, 3, 1, (0, -1)),
    lambda F, lib, x: F.interpolate(x.detach().requires_grad_(True), size=(0, 2),
                                    mode="area").sum().backward(),
])
def test_pool_errors(call):
    raises_like_torch(call, rand(2, 3, 5, 6))


def test_pool_gradcheck():
    check_grad(lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False), rand(1, 2, 5, 6))
    check_grad(lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), rand(1, 2, 5, 7))
    check_grad(lambda F, x: F.max_pool2d(x, 2, 1), rand(1, 1, 4, 4))


# ---------------------------------------------------------------- padding

@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (2, 0, 1, 3), (-1, 2, 1, -2), (0, 0, -1, 0),
                                 (1, 1, 1, 1, 1, 1)])
def test_pad_modes(mode, pad):
    x = strided(2, 3, 4, 5)
    diff(lambda F, lib, x: F.pad(x, pad, mode), x)
    diff(lambda F, lib, x: F.pad(x[0], pad, mode), x)


def test_pad_values_dtypes_and_errors():
    x = rand(2, 3, 4)
    diff(lambda F, lib, x: F.pad(x, (1, 2, 0, 1), value=2.5), x)
    diff(lambda F, lib, x: F.pad(x, (1, 1, 1, 1, 1, 1, 1, 1)), rand(2, 3))
    xi = torch.randint(-5, 5, (2, 3, 4), generator=GEN)
    for mode in ("constant", "reflect", "replicate", "circular"):
        diff(lambda F, lib, x: F.pad(x, (1, 2), mode), xi, grad=())
    diff(lambda F, lib, x: lib.constant_pad_nd(x, (1, -1, 2, 0), -1), x)
    diff(lambda F, lib, x: F.pad(x, (-2, -2, 1, 0), "reflect"), x)
    diff(lambda F, lib, x: F.pad(x, (-2, 1, -2, 1), "circular"), x)
    diff(lambda F, lib, x: F.pad(x, (-4, 0)), x)
    for call in (lambda F, lib, x: F.pad(x, (1, 2, 3)),
                 lambda F, lib, x: F.pad(x, (1,) * 8),
                 lambda F, lib, x: F.pad(x, (5, 5), "reflect"),
                 lambda F, lib, x: F.pad(x, (6, 1), "circular"),
                 lambda F, lib, x: F.pad(x, (1, 1), "wrap"),
                 lambda F, lib, x: F.pad(x, (1, 1), "reflect", 1.0),
                 lambda F, lib, x: F.pad(x[0, 0], (1, 1), "reflect"),
                 lambda F, lib, x: F.pad(x.unsqueeze(0), (1, 1), "replicate"),
                 lambda F, lib, x: F.pad(lib.zeros(2, 0, 4), (1, 1), "replicate"),
                 lambda F, lib, x: F.pad(x, (-2, -2), "replicate"),
                 lambda F, lib, x: F.pad(x.unsqueeze(0), (-2, -2, -3, -1), "reflect"),
                 lambda F, lib, x: F.pad(x, (-5, 1)),
                 lambda F, lib, x: F.pad(x, (3, -5))):
        raises_like_torch(call, x)


def test_pad_gradcheck():
    for mode in ("reflect", "replicate", "circular", "constant"):
        check_grad(lambda F, x: F.pad(x, (2, 1, -1, 2), mode), rand(1, 2, 4, 5))


# ---------------------------------------------------------------- interpolation

@pytest.mark.parametrize("kw", [
    dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=(0.6, 2.5)),
    dict(size=(5, 11)), dict(size=3), dict(scale_factor=1.37, recompute_scale_factor=True),
    dict(scale_factor=(3, 0.5))])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bilinear-ac"])
def test_interpolate_2d(kw, mode):
    x = strided(2, 3, 6, 7)
    extra = {}
    if mode == "bilinear-ac":
        mode, extra = "bilinear", dict(align_corners=True)
    diff(lambda F, lib, x: F.interpolate(x, mode=mode, **kw, **extra), x)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
def test_interpolate_1d_and_area(mode):
    x = strided(2, 3, 9)
    for kw in (dict(scale_factor=2.5), dict(size=4), dict(size=13), dict(scale_factor=0.5)):
        diff(lambda F, lib, x: F.interpolate(x, mode=mode, **kw), x)
    if mode == "linear":
        diff(lambda F, lib, x: F.interpolate(x, size=1, mode=mode, align_corners=True), x)
        diff(lambda F, lib, x: F.interpolate(x, size=17, mode=mode, align_corners=True), x)
    diff(lambda F, lib, x: F.interpolate(x.unsqueeze(2), size=(3, 5), mode="area"), x)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear"])
def test_interpolate_scale_edges(nd, mode):
    """Scale factors whose output is the input's size or twice it (torch's index shortcuts
    differ between forward kernels and backward), and 3-d (trilinear) volumes."""
    if mode == "linear":
        mode = ("linear", "bilinear", "trilinear")[nd - 1]
    x = strided(*((1, 2) + (3,) * nd), dtype=torch.float64)
    for scale in (2.2, 1.1, 2.0, 0.7):
        diff(lambda F, lib, x: F.interpolate(x, scale_factor=scale, mode=mode), x)
    diff(lambda F, lib, x: F.interpolate(x, size=(5,) * nd, mode=mode), x)


def test_interpolate_dtypes_and_errors():
    x64 = rand(1, 2, 5, 4, dtype=torch.float64)
    diff(lambda F, lib, x: F.interpolate(x, scale_factor=1.5, mode="bilinear"), x64)
    xu = torch.randint(0, 255, (1, 2, 3, 4), generator=GEN).to(torch.uint8)
    diff(lambda F, lib, x: F.interpolate(x, scale_factor=2), xu, grad=())
    diff(lambda F, lib, x: F.upsample_nearest(x, scale_factor=2), x64)
    diff(lambda F, lib, x: F.upsample_bilinear(x, size=(7, 3)), x64)
    x = rand(1, 2, 4, 4)
    for call in (lambda F, lib, x: F.interpolate(x, size=3, scale_factor=2),
                 lambda F, lib, x: F.interpolate(x),
                 lambda F, lib, x: F.interpolate(x, size=(3, 3, 3)),
                 lambda F, lib, x: F.interpolate(x, scale_factor=(2,)),
                 lambda F, lib, x: F.interpolate(x, size=3, align_corners=True),
                 lambda F, lib, x: F.interpolate(x, size=3, mode="linear"),
                 lambda F, lib, x: F.interpolate(x[0, 0], size=3),
                 lambda F, lib, x: F.interpolate(x, size=3, recompute_scale_factor=True),
                 lambda F, lib, x: F.interpolate(x, size=(2.5, 2))):
        raises_like_torch(call, x)


def test_interpolate_gradcheck():
    check_grad(lambda F, x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
               rand(1, 2, 3, 4))
    check_grad(lambda F, x: F.interpolate(x, size=7, mode="linear", align_corners=True),
               rand(1, 2, 4))
    check_grad(lambda F, x: F.interpolate(x, size=(5, 3)), rand(1, 1, 3, 4))
