"""nn.functional losses, linear/bilinear, embedding, one_hot and distances against PyTorch:
values, dtypes, node names, gradients (first order against torch, gradcheck in float64) and
exception types."""
from __future__ import annotations

import warnings

import pytest
import torch

import frankentorch as ft
from frankentorch.autograd import gradcheck

from conftest import run_both, to_ft

GEN = torch.Generator().manual_seed(1234)
# size-mismatch and kl_div 'mean' warnings are torch's too; they are not what is compared here
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def fixed_inputs():
    """Every test draws the same inputs whatever ran before it."""
    GEN.manual_seed(1234)


def rand(*shape, dtype=torch.float32, lo=None, hi=None):
    if lo is not None:
        return (torch.rand(shape, generator=GEN, dtype=torch.float64) * (hi - lo) + lo).to(dtype)
    return torch.randn(shape, generator=GEN, dtype=torch.float64).to(dtype)


def randint(hi, *shape):
    return torch.randint(0, hi, shape, generator=GEN)


def diff(fn, *inputs, grad=(0,), node=True, square=False, **kw):
    """Run ``fn(lib, *inputs)`` in torch and frankentorch: the output, its node name (unless
    ``node`` is False) and the gradients of ``output.sum()`` (of ``(output ** 2).sum()`` when
    ``square``) for the inputs at positions ``grad`` must match."""
    def prog(lib, *xs):
        xs = list(xs)
        leaves = []
        for i in grad:
            xs[i] = xs[i].detach().requires_grad_(True)
            leaves.append(xs[i])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *xs)
        if not leaves:
            return out
        name = out.grad_fn.name() if node else None
        grads = lib.autograd.grad((out * out if square else out).sum(), leaves)
        return (out.detach(), name) + tuple(grads)
    kw.setdefault("check_stride", False)
    return run_both(prog, *inputs, **kw)


def raises_like_torch(fn, *inputs):
    """``fn`` fails in torch, and frankentorch raises the same exception type."""
    err_t, err_ft = run_both(lambda lib, *xs: fn(lib, *xs), *inputs)
    assert isinstance(err_t, Exception) and isinstance(err_ft, type(err_t))


def check_grad(fn, *inputs):
    """gradcheck of ``fn`` over float64 frankentorch copies of ``inputs`` (all differentiable
    unless an input is integer)."""
    xs = [to_ft(x).detach().requires_grad_(x.dtype.is_floating_point) for x in inputs]
    assert gradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-4)


F = lambda lib: lib.nn.functional  # noqa: E731


# ---------------------------------------------------------------------------- linear / bilinear

@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 4, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape, bias):
    x, w, b = rand(*shape), rand(5, 3), rand(5)
    grad = (0, 1, 2) if bias else (0, 1)
    diff(lambda lib, x, w, b: F(lib).linear(x, w, b if bias else None), x, w, b, grad=grad)


def test_linear_noncontiguous_and_float64():
    x = rand(3, 4, 2, dtype=torch.float64).transpose(0, 2)
    diff(lambda lib, x, w, b: F(lib).linear(x, w, b), x, rand(5, 3, dtype=torch.float64),
         rand(5, dtype=torch.float64), grad=(0, 1, 2))
    check_grad(lambda x, w, b: ft.nn.functional.linear(x, w, b), rand(2, 3, dtype=torch.float64),
               rand(4, 3, dtype=torch.float64), rand(4, dtype=torch.float64))


def test_linear_errors():
    raises_like_torch(lambda lib, x, w: F(lib).linear(x, w), rand(4, 3), rand(5, 2))
    raises_like_torch(lambda lib, x, w: F(lib).linear(x, w), rand(4, 3), rand(5, 3).double())


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_bilinear(shape):
    x1, x2 = rand(*shape, 4), rand(*shape, 5)
    diff(lambda lib, a, b, w, bias: F(lib).bilinear(a, b, w, bias), x1, x2, rand(6, 4, 5),
         rand(6), grad=(0, 1, 2, 3))
    diff(lambda lib, a, b, w: F(lib).bilinear(a, b, w), x1, x2, rand(6, 4, 5), grad=(0, 1, 2))
    check_grad(lambda a, b, w: ft.nn.functional.bilinear(a, b, w), rand(2, 3, dtype=torch.float64),
               rand(2, 2, dtype=torch.float64), rand(2, 3, 2, dtype=torch.float64))


def test_bilinear_errors():
    for a, b, w, bias in [((3, 4), (3, 5), (6, 4, 4), (6,)), ((3, 4), (2, 5), (6, 4, 5), (6,)),
                          ((3, 4), (3, 5), (6, 4, 5), (7,)), ((3, 4), (3, 2, 5), (6, 4, 5), (6,))]:
        raises_like_torch(lambda lib, *xs: F(lib).bilinear(*xs), rand(*a), rand(*b), rand(*w),
                          rand(*bias))


# ---------------------------------------------------------------------------- nll / cross-entropy

ND_CASES = [((4, 3), (4,)), ((3,), ()), ((2, 3, 5), (2, 5)), ((2, 3, 4, 5), (2, 4, 5)),
            ((2, 3, 2, 2, 2), (2, 2, 2, 2)), ((0, 3), (0,))]


@pytest.mark.parametrize("shapes", ND_CASES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(shapes, reduction, weighted):
    xs, ts = shapes
    x = rand(*xs).log_softmax(1 if len(xs) > 1 else 0)
    t = randint(3, *ts)
    if t.numel() > 1:
        t.view(-1)[1] = -100
    w = rand(3, lo=0.5, hi=2.0)
    diff(lambda lib, x, t, w: F(lib).nll_loss(x, t, w if weighted else None,
                                               reduction=reduction), x, t, w)


@pytest.mark.parametrize("shapes", ND_CASES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cross_entropy_indices(shapes, reduction, dtype):
    xs, ts = shapes
    x, t, w = rand(*xs, dtype=dtype), randint(3, *ts), rand(3, lo=0.5, hi=2.0, dtype=dtype)
    if t.numel() > 2:
        t.view(-1)[2] = 1
        t.view(-1)[0] = -1
    for kw in ({}, {"ignore_index": 1}, {"label_smoothing": 0.2}):
        for weight in (None, w):
            diff(lambda lib, x, t, w: F(lib).cross_entropy(
                x, t, w if weight is not None else None, reduction=reduction,
                **({**kw, "ignore_index": kw.get("ignore_index", -1)})), x, t, w)


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_probabilities(shape, reduction):
    x = rand(*shape)
    p = rand(*shape).softmax(1 if len(shape) > 1 else 0)
    w = rand(3, lo=0.5, hi=2.0)
    for ls in (0.0, 0.3):
        for weight in (None, w):
            # the mean divides by an int: ATen's div.Scalar (DivBackward1), no such overload here
            diff(lambda lib, x, p, w: F(lib).cross_entropy(
                x, p, w if weight is not None else None, reduction=reduction,
                label_smoothing=ls), x, p, w, grad=(0, 1), node=reduction != "mean")


def test_cross_entropy_noncontiguous_and_gradcheck():
    x = rand(5, 4).t()
    diff(lambda lib, x, t: F(lib).cross_entropy(x, t), x, randint(5, 4))
    for x, t in ((rand(2, 5, 3).transpose(1, 2), randint(3, 2, 5)),
                 (rand(2, 3, 2, 2, 2).transpose(2, 4), randint(3, 2, 2, 2, 2))):
        for red in ("none", "mean"):
            diff(lambda lib, x, t: F(lib).nll_loss(x, t, reduction=red), x, t)
    t = torch.tensor([0, 2, 1])
    for kw in ({}, {"label_smoothing": 0.1}, {"reduction": "sum"}):
        check_grad(lambda x: ft.nn.functional.cross_entropy(x, to_ft(t), **kw),
                   rand(3, 3, dtype=torch.float64))
    w = to_ft(rand(3, dtype=torch.float64))
    check_grad(lambda x: ft.nn.functional.nll_loss(x, to_ft(t), w), rand(3, 3, dtype=torch.float64))
    check_grad(lambda x, p: ft.nn.functional.cross_entropy(x, p),
               rand(2, 3, dtype=torch.float64), rand(2, 3, dtype=torch.float64, lo=0, hi=1))


def test_all_ignored_and_half():
    x = rand(4, 3)
    t = torch.full((4,), -100)
    for red in ("mean", "sum", "none"):
        diff(lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=red), x, t)
    run_both(lambda lib, x, t: F(lib).cross_entropy(x.to(lib.float16), t), x, randint(3, 4),
             rtol=1e-2, atol=1e-2)


NLL_ERRORS = [
    ((4, 3), [0, 1, 5, 1], {}), ((4, 3), [0, 1, -1, 1], {}), ((4, 3), [0, 1, 1], {}),
    ((2, 3, 4), [0, 1], {}), ((2, 3, 4), [[0, 1, 5, 1], [0, 0, 0, 0]], {}),
    ((4, 3), [0, 1, 1, 1], {"weight": 2}), ((4, 3), [0, 1, 1, 1], {"reduction": "foo"}),
]


@pytest.mark.parametrize("case", NLL_ERRORS, ids=str)
@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
def test_nll_errors(case, fn):
    xs, t, kw = case
    x, t = rand(*xs), torch.tensor(t)
    kw = dict(kw)
    wn = kw.pop("weight", None)
    w = rand(wn) if wn else None
    raises_like_torch(lambda lib, x, t, w: getattr(F(lib), fn)(x, t, w, **kw), x, t, w)


def test_nll_dtype_errors():
    x = rand(4, 3)
    raises_like_torch(lambda lib, x, t: F(lib).nll_loss(x, t), x, torch.tensor([0., 1, 1, 1]))
    raises_like_torch(lambda lib, x, t: F(lib).nll_loss(x, t), x,
                      torch.tensor([0, 1, 1, 1], dtype=torch.int32))
    raises_like_torch(lambda lib, x, t, w: F(lib).nll_loss(x, t, w), x.double(),
                      torch.tensor([0, 1, 1, 1]), rand(3))
    raises_like_torch(lambda lib, x, t: F(lib).nll_loss(x, t), torch.tensor(3.), torch.tensor(1))
    raises_like_torch(lambda lib, x, t: F(lib).cross_entropy(x, t, label_smoothing=1.5), x,
                      torch.tensor([0, 1, 1, 1]))
    raises_like_torch(lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=1), x, rand(4, 3))
    raises_like_torch(lambda lib, x, t: F(lib).cross_entropy(x, t), x, rand(4, 2))
    run_both(lambda lib, x, t: F(lib).nll_loss(x, t), x, torch.tensor([0, 1, 2, 1],
                                                                     dtype=torch.uint8))


# ---------------------------------------------------------------------------- pointwise losses

POINTWISE = {
    "mse_loss": {}, "l1_loss": {}, "smooth_l1_loss": {"beta": 0.5}, "huber_loss": {"delta": 0.7},
}


@pytest.mark.parametrize("name", list(POINTWISE) + ["smooth_l1_loss_beta0"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_pointwise_losses(name, reduction):
    kw = dict(POINTWISE.get(name, {"beta": 0.0}))
    fn = name.replace("_beta0", "")
    x, y = rand(3, 4), rand(3, 4)
    diff(lambda lib, x, y: getattr(F(lib), fn)(x, y, reduction=reduction, **kw), x, y,
         grad=(0, 1))
    diff(lambda lib, x, y: getattr(F(lib), fn)(x, y, reduction=reduction, **kw),
         rand(4, 3, dtype=torch.float64).t(), rand(4, dtype=torch.float64), grad=(0, 1))
    check_grad(lambda x, y: getattr(ft.nn.functional, fn)(x, y, reduction=reduction, **kw),
               rand(2, 3, dtype=torch.float64), rand(2, 3, dtype=torch.float64))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_weighted_pointwise(name, reduction):
    diff(lambda lib, x, y, w: getattr(F(lib), name)(x, y, reduction=reduction, weight=w),
         rand(3, 4), rand(3, 4), rand(3, 4, lo=0, hi=1), grad=(0, 1))


def test_pointwise_dtypes_and_errors():
    for name in POINTWISE:
        f = lambda lib, x, y: getattr(F(lib), name)(x, y)  # noqa: E731
        run_both(f, rand(3), rand(3, dtype=torch.float64))
        run_both(f, rand(3, dtype=torch.float64), rand(3))
        run_both(f, rand(3), torch.ones(3, dtype=torch.long))
        raises_like_torch(f, torch.ones(3, dtype=torch.long), torch.ones(3, dtype=torch.long))
        raises_like_torch(lambda lib, x, y: getattr(F(lib), name)(x, y, reduction="avg"),
                          rand(3), rand(3))
        raises_like_torch(f, rand(3), rand(4))
    raises_like_torch(lambda lib, x, y: F(lib).mse_loss(x, y, weight=lib.ones(2)), rand(3),
                      rand(3))
    raises_like_torch(lambda lib, x, y: F(lib).smooth_l1_loss(x, y, beta=-1.0), rand(3), rand(3))
    raises_like_torch(lambda lib, x, y: F(lib).huber_loss(x, y, delta=0.0), rand(3), rand(3))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy(reduction):
    x, t, w = rand(3, 4, lo=0.05, hi=0.95), rand(3, 4, lo=0, hi=1), rand(4, lo=0.5, hi=2)
    diff(lambda lib, x, t: F(lib).binary_cross_entropy(x, t, reduction=reduction), x, t,
         grad=(0, 1))
    diff(lambda lib, x, t, w: F(lib).binary_cross_entropy(x, t, w, reduction=reduction), x, t,
         w, grad=(0, 1))
    run_both(lambda lib, x, t: F(lib).binary_cross_entropy(x, t, reduction=reduction),
             torch.tensor([0.0, 1.0, 0.5]), torch.tensor([1.0, 0.0, 0.5]))
    check_grad(lambda x, t: ft.nn.functional.binary_cross_entropy(x, t, reduction=reduction),
               rand(2, 3, dtype=torch.float64, lo=0.1, hi=0.9),
               rand(2, 3, dtype=torch.float64, lo=0, hi=1))


def test_weights_that_require_grad_are_refused():
    def prog(lib, fn, x, t, w, kw):
        return getattr(F(lib), fn)(x.requires_grad_(), t, **{kw: w.requires_grad_()})
    for fn, t, kw in [("binary_cross_entropy_with_logits", rand(3), "pos_weight"),
                      ("binary_cross_entropy", rand(3, lo=0, hi=1), "weight"),
                      ("nll_loss", torch.tensor([1, 0, 2]), "weight"),
                      ("cross_entropy", torch.tensor([1, 0, 2]), "weight")]:
        x = rand(3, 3, lo=0.1, hi=0.9) if t.dtype == torch.long else rand(3, lo=0.1, hi=0.9)
        raises_like_torch(lambda lib, x, t, w: prog(lib, fn, x, t, w, kw), x, t, rand(3))


def test_binary_cross_entropy_errors():
    f = lambda lib, x, t: F(lib).binary_cross_entropy(x, t)  # noqa: E731
    raises_like_torch(f, torch.tensor([1.5, 0.5]), torch.tensor([1.0, 0.0]))
    raises_like_torch(f, torch.tensor([float("nan"), 0.5]), torch.tensor([1.0, 0.0]))
    raises_like_torch(f, torch.tensor([0.5, 0.5]), torch.tensor([2.0, -1.0]))
    raises_like_torch(f, torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0], dtype=torch.float64))
    raises_like_torch(f, torch.tensor([0.5, 0.5]), torch.tensor([1.0]))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_with_logits(reduction):
    x, t = rand(3, 4) * 4, rand(3, 4, lo=0, hi=1)
    w, pw = rand(3, 4, lo=0.5, hi=2), rand(4, lo=0.5, hi=3)
    f = F
    diff(lambda lib, x, t: f(lib).binary_cross_entropy_with_logits(x, t, reduction=reduction),
         x, t, grad=(0, 1))
    diff(lambda lib, x, t, w, pw: f(lib).binary_cross_entropy_with_logits(
        x, t, w, reduction=reduction, pos_weight=pw), x, t, w, pw, grad=(0, 1))
    pw64 = to_ft(rand(3, dtype=torch.float64, lo=1, hi=2))
    check_grad(lambda x, t: ft.nn.functional.binary_cross_entropy_with_logits(
        x, t, pos_weight=pw64, reduction=reduction), rand(2, 3, dtype=torch.float64),
        rand(2, 3, dtype=torch.float64, lo=0, hi=1))
    run_both(lambda lib, x, t: f(lib).binary_cross_entropy_with_logits(x, t), rand(3),
             rand(3, dtype=torch.float64))
    raises_like_torch(lambda lib, x, t: f(lib).binary_cross_entropy_with_logits(x, t), rand(3),
                      rand(4))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = rand(3, 4).log_softmax(1)
    t = rand(3, 4).softmax(1)
    t[0, 0] = 0.0
    if log_target:
        t = t.clamp_min(1e-3).log()
    diff(lambda lib, x, t: F(lib).kl_div(x, t, reduction=reduction, log_target=log_target),
         x, t, grad=(0,))
    check_grad(lambda x: ft.nn.functional.kl_div(x, to_ft(t.double()), reduction=reduction,
                                                 log_target=log_target),
               rand(3, 4, dtype=torch.float64))


# ---------------------------------------------------------------------------- margin losses

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_margin_losses(reduction):
    a, b = rand(5, 3), rand(5, 3)
    y = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0])
    diff(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, margin=0.1,
                                                           reduction=reduction), a, b, y,
         grad=(0, 1))
    diff(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a[0], b[0], y[1], reduction=reduction),
         a, b, y, grad=(0, 1))
    diff(lambda lib, a, b, y: F(lib).margin_ranking_loss(a[:, 0], b[:, 0], y, margin=0.2,
                                                         reduction=reduction), a, b, y,
         grad=(0, 1))
    n = rand(5, 3)
    for kw in ({}, {"swap": True, "p": 1.0}, {"margin": 0.5, "p": 3.0}):
        diff(lambda lib, a, b, n: F(lib).triplet_margin_loss(a, b, n, reduction=reduction, **kw),
             a, b, n, grad=(0, 1, 2))
    check_grad(lambda a, b, n: ft.nn.functional.triplet_margin_loss(a, b, n, reduction=reduction),
               rand(3, 2, dtype=torch.float64), rand(3, 2, dtype=torch.float64),
               rand(3, 2, dtype=torch.float64))


def test_margin_loss_errors():
    raises_like_torch(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y), rand(3, 4),
                      rand(3, 4), rand(3, 1))
    raises_like_torch(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y), rand(3, 4),
                      rand(3, 4), torch.tensor(1.0))
    raises_like_torch(lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y), rand(3),
                      rand(3), rand(3, 1))
    raises_like_torch(lambda lib, a, b, n: F(lib).triplet_margin_loss(a, b, n), rand(3, 4),
                      rand(3, 4), rand(4))
    raises_like_torch(lambda lib, a, b, n: F(lib).triplet_margin_loss(a, b, n, margin=-1),
                      rand(3, 4), rand(3, 4), rand(3, 4))


# ---------------------------------------------------------------------------- embedding / one_hot

def test_embedding():
    w = rand(6, 3)
    idx = torch.tensor([[0, 2, 5], [2, 2, 1]])
    for kw in ({}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True}):
        diff(lambda lib, w, i: F(lib).embedding(i, w, **kw), w, idx, grad=(0,))
    diff(lambda lib, w, i: F(lib).embedding(i.int(), w), w, torch.tensor(3), grad=(0,))
    check_grad(lambda w: ft.nn.functional.embedding(to_ft(idx), w),
               rand(6, 2, dtype=torch.float64))


def test_embedding_max_norm():
    def prog(lib, w, i):
        w = w.clone()
        out = F(lib).embedding(i, w, max_norm=1.0, norm_type=2.0)
        return out, w
    run_both(prog, rand(6, 3) * 2, torch.tensor([0, 2, 2, 4]))


def test_embedding_errors():
    w = rand(5, 3)
    f = lambda lib, w, i: F(lib).embedding(i, w)  # noqa: E731
    raises_like_torch(f, w, torch.tensor([0, 5]))
    raises_like_torch(f, w, torch.tensor([0, -1]))
    raises_like_torch(f, w, torch.tensor([0.0, 1.0]))
    raises_like_torch(f, rand(5), torch.tensor([0, 1]))
    raises_like_torch(lambda lib, w, i: F(lib).embedding(i, w, padding_idx=5), w,
                      torch.tensor([0, 1]))


def test_one_hot():
    run_both(lambda lib, t: F(lib).one_hot(t), torch.tensor([0, 2, 1]))
    run_both(lambda lib, t: F(lib).one_hot(t, 4), torch.tensor([[0, 2], [3, 1]]))
    run_both(lambda lib, t: F(lib).one_hot(t, 3), torch.zeros(0, dtype=torch.long))
    for t, n in [([0, 2], None), ([0, -2], -1), ([0, 5], 3)]:
        raises_like_torch(lambda lib, t: F(lib).one_hot(t, *(() if n is None else (n,))),
                          torch.tensor(t, dtype=torch.int32 if n is None else torch.long))
    raises_like_torch(lambda lib, t: F(lib).one_hot(t), torch.zeros(0, dtype=torch.long))


# ---------------------------------------------------------------------------- distances

def test_distances_and_normalize():
    a, b = rand(4, 3), rand(4, 3)
    # torch records NormBackward1/NormBackward0 for the norm; frankentorch's norm overloads
    # all record LinalgVectorNormBackward0, so node names are not compared here
    for p in (2.0, 1.0, 3.0, float("inf")):
        diff(lambda lib, a, b: F(lib).pairwise_distance(a, b, p=p), a, b, grad=(0, 1),
             node=False)
        diff(lambda lib, a: F(lib).normalize(a, p=p, dim=0), a)
    diff(lambda lib, a, b: F(lib).pairwise_distance(a, b[0], keepdim=True), a, b, grad=(0, 1),
         node=False)
    diff(lambda lib, a, b: F(lib).pairwise_distance(a[0, 0], b[0, 0]), a, b, grad=(0, 1),
         node=False)
    diff(lambda lib, a, b: F(lib).cosine_similarity(a, b), a, b, grad=(0, 1))
    diff(lambda lib, a, b: F(lib).cosine_similarity(a, b[:1], dim=0), a, b, grad=(0, 1))
    z = torch.zeros(2, 3)
    diff(lambda lib, a: F(lib).normalize(a), z)
    diff(lambda lib, a, b: F(lib).cosine_similarity(a, b), z, rand(2, 3), grad=(0, 1))
    check_grad(lambda a, b: ft.nn.functional.cosine_similarity(a, b),
               rand(3, 4, dtype=torch.float64), rand(3, 4, dtype=torch.float64))
    check_grad(lambda a: ft.nn.functional.normalize(a, p=3.0), rand(3, 4, dtype=torch.float64))
    raises_like_torch(lambda lib, a, b: F(lib).cosine_similarity(a, b), rand(3, 4), rand(2, 4))
    raises_like_torch(lambda lib, a, b: F(lib).cosine_similarity(a.long(), b.long()),
                      rand(3, 4), rand(3, 4))


# ---------------------------------------------------------------------------- attention

SDPA_SHAPES = [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)), ((3, 4, 5), (3, 6, 5), (3, 6, 7)),
               ((2, 1, 4, 3), (2, 1, 4, 3), (2, 1, 4, 3))]


@pytest.mark.parametrize("shapes", SDPA_SHAPES, ids=str)
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_scaled_dot_product_attention(shapes, mask):
    qs, ks, vs = shapes
    q, k, v = rand(*qs), rand(*ks), rand(*vs)
    n_q, n_k = qs[-2], ks[-2]
    m = {None: None, "causal": None,
         "bool": torch.rand(n_q, n_k, generator=GEN) > 0.3,
         "float": rand(n_q, n_k)}[mask]
    node = len(qs) == 4 and qs[-1] == vs[-1]  # the fused kernel's single node
    diff(lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=m, is_causal=mask == "causal"), q, k, v, m, grad=(0, 1, 2),
        node=node, square=True)
    diff(lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=m, scale=0.3), q, k, v, m, grad=(0, 1, 2), node=node, square=True)


def test_attention_fully_masked_rows_gradcheck_and_errors():
    q = rand(1, 2, 3, 4)
    m = torch.ones(3, 3, dtype=torch.bool)
    m[1] = False
    diff(lambda lib, q, m: F(lib).scaled_dot_product_attention(q, q, q, attn_mask=m), q, m,
         square=True)
    diff(lambda lib, q, m: F(lib).scaled_dot_product_attention(q[0], q[0], q[0], attn_mask=m),
         q, m, square=True, node=False)
    for shape in ((1, 2, 3, 2), (2, 3, 2)):
        check_grad(lambda a, b, c: ft.nn.functional.scaled_dot_product_attention(
            a, b, c, is_causal=True), rand(*shape, dtype=torch.float64),
            rand(*shape, dtype=torch.float64), rand(*shape, dtype=torch.float64))
    f = lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v)  # noqa: E731
    raises_like_torch(f, rand(2, 3, 4), rand(2, 3, 3), rand(2, 3, 4))
    raises_like_torch(f, rand(2, 3, 4), rand(2, 3, 4, dtype=torch.float64), rand(2, 3, 4))


def test_attention_dropout_draws_like_torch():
    def prog(lib, q):
        lib.manual_seed(7)
        return F(lib).scaled_dot_product_attention(q, q, q, dropout_p=0.4)
    run_both(prog, rand(2, 2, 5, 3))


def test_nll_loss_vector_input_with_one_element_target():
    for t in ([1], [1, 2]):
        for red in ("none", "mean", "sum"):
            diff(lambda lib, x, t: F(lib).nll_loss(x, t, reduction=red), rand(3),
                 torch.tensor(t))
            run_both(lambda lib, x, t: F(lib).nll_loss(x, t, reduction=red), rand(3),
                     torch.tensor(t))


def test_meta_tensors_give_shapes_only():
    def prog(lib):
        f = F(lib)
        m = lib.empty(4, 3, device="meta")
        t = lib.zeros(4, dtype=lib.long, device="meta")
        w = lib.empty(5, 3, device="meta")
        q = m.view(1, 1, 4, 3)
        outs = [f.cross_entropy(m, t), f.nll_loss(m, t, reduction="none"), f.linear(m, w),
                f.mse_loss(m, m), f.binary_cross_entropy_with_logits(m, m), f.embedding(t, w),
                f.scaled_dot_product_attention(q, q, q), f.huber_loss(m, m, reduction="none"),
                f.layer_norm(m, (3,)), f.batch_norm(m, None, None, training=True),
                f.group_norm(m, 3)]
        return [(tuple(o.shape), str(o.dtype).rsplit(".", 1)[-1], o.device.type) for o in outs]
    run_both(prog)


def test_second_order_through_cross_entropy_and_embedding():
    def prog(lib, x, t, w, i):
        x, w = x.detach().requires_grad_(), w.detach().requires_grad_()
        loss = F(lib).cross_entropy(x * x, t) + F(lib).embedding(i, w, padding_idx=1).pow(3).sum()
        gx, gw = lib.autograd.grad(loss, [x, w], create_graph=True)
        return lib.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, w])
    run_both(prog, rand(4, 3, dtype=torch.float64), torch.tensor([0, 2, 1, -100]),
             rand(5, 2, dtype=torch.float64), torch.tensor([1, 3, 3, 1]), check_stride=False)


# ---------------------------------------------------------------------------- more losses

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_more_losses(reduction):
    x, y = rand(3, 4), torch.tensor([[1.0, -1.0, 1.0, -1.0]] * 3)
    diff(lambda lib, x, y: F(lib).hinge_embedding_loss(x, y, margin=0.5, reduction=reduction),
         x, y)
    diff(lambda lib, x, y: F(lib).soft_margin_loss(x, y, reduction=reduction), x, y)
    raises_like_torch(lambda lib, x, y: F(lib).soft_margin_loss(x, y.requires_grad_()), x, y)
    rate = rand(3, 4, lo=0.5, hi=3)
    counts = torch.tensor([[0.0, 1.0, 2.0, 5.0]] * 3)
    for log_input, full in ((True, False), (False, True)):
        diff(lambda lib, r, c: F(lib).poisson_nll_loss(r, c, log_input=log_input, full=full,
                                                       reduction=reduction), rate, counts)
    var = rand(3, 4, lo=0.1, hi=2)
    for v in (var, var[:, 0], 0.5):
        diff(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, full=True,
                                                          reduction=reduction),
             x, rand(3, 4), v, grad=(0, 2) if isinstance(v, torch.Tensor) else (0,))
    diff(lambda lib, x, t, w: F(lib).multilabel_soft_margin_loss(x, t, w, reduction=reduction),
         x, rand(3, 4, lo=0, hi=1).round(), rand(4, lo=0.5, hi=2))
    diff(lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - F(lib).cosine_similarity(u, v), swap=True,
        reduction=reduction), rand(3, 4), rand(3, 4), rand(3, 4), grad=(0, 1, 2))
    t = to_ft(rand(2, 3, dtype=torch.float64))
    check_grad(lambda x: ft.nn.functional.soft_margin_loss(x, t, reduction=reduction),
               rand(2, 3, dtype=torch.float64))


def test_more_loss_errors():
    raises_like_torch(lambda lib, x, t: F(lib).poisson_nll_loss(x, t, reduction="avg"),
                      rand(3), rand(3))
    raises_like_torch(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v), rand(3, 4),
                      rand(3, 4), rand(2, 2))
    raises_like_torch(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v), rand(3, 4),
                      rand(3, 4), -rand(3, 4, lo=0.1, hi=1))
    raises_like_torch(lambda lib, a: F(lib).triplet_margin_with_distance_loss(a, a, a[0]),
                      rand(3, 4))


@pytest.mark.parametrize("shape,ns", [((3, 4), (4,)), ((2, 3, 4), (3, 4))], ids=str)
def test_rms_norm(shape, ns):
    diff(lambda lib, x, w: F(lib).rms_norm(x, ns, w), rand(*shape), rand(*ns), grad=(0, 1),
         square=True)
    diff(lambda lib, x: F(lib).rms_norm(x, ns, eps=1e-3), rand(*shape, dtype=torch.float64),
         square=True)
    check_grad(lambda x, w: ft.nn.functional.rms_norm(x, (3,), w),
               rand(2, 3, dtype=torch.float64), rand(3, dtype=torch.float64))
    raises_like_torch(lambda lib, x: F(lib).rms_norm(x, (5,)), rand(*shape))
    raises_like_torch(lambda lib, x: F(lib).rms_norm(x, ns, lib.ones(7)), rand(*shape))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multi_class_margin_losses(reduction):
    x, t = rand(3, 4), torch.tensor([1, 0, 3])
    for kw in ({}, {"p": 2, "margin": 0.5}):
        diff(lambda lib, x, t: F(lib).multi_margin_loss(x, t, reduction=reduction, **kw), x, t)
    diff(lambda lib, x, t, w: F(lib).multi_margin_loss(x, t, weight=w, reduction=reduction),
         x, t, rand(4, lo=0.5, hi=2))
    diff(lambda lib, x, t: F(lib).multi_margin_loss(x[0], t[0], reduction=reduction), x, t)
    y = torch.tensor([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 1, 3, 0]])
    diff(lambda lib, x, y: F(lib).multilabel_margin_loss(x, y, reduction=reduction), x, y)
    diff(lambda lib, x, y: F(lib).multilabel_margin_loss(x[0], y[0], reduction=reduction), x, y)
    check_grad(lambda x: ft.nn.functional.multi_margin_loss(x, to_ft(t), p=2,
                                                            reduction=reduction),
               rand(3, 4, dtype=torch.float64))
    check_grad(lambda x: ft.nn.functional.multilabel_margin_loss(x, to_ft(y), reduction=reduction),
               rand(3, 4, dtype=torch.float64))


def test_multi_class_margin_errors():
    x = rand(3, 4)
    f = lambda lib, x, t, **kw: F(lib).multi_margin_loss(x, t, **kw)  # noqa: E731
    raises_like_torch(lambda lib, x, t: f(lib, x, t, p=3), x, torch.tensor([1, 0, 3]))
    raises_like_torch(f, x, torch.tensor([1, 0, 4]))
    raises_like_torch(f, x, torch.tensor([1, 0]))
    raises_like_torch(lambda lib, x, t, w: f(lib, x, t, weight=w), x, torch.tensor([1, 0, 3]),
                      rand(2, 2))
    raises_like_torch(lambda lib, x, t, w: f(lib, x, t, weight=w), x, torch.tensor([1, 0, 3]),
                      rand(3))
    g = lambda lib, x, y: F(lib).multilabel_margin_loss(x, y)  # noqa: E731
    raises_like_torch(g, x, torch.tensor([[3, 0, -1, 1], [0, 1, 2, 3]]))
    raises_like_torch(g, x, torch.tensor([[4, 0, -1, 1]] * 3))
