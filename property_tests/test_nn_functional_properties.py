"""Random cross_entropy / nll_loss calls (ranks, class counts, weights, ignore_index, label
smoothing, reductions, class indices or probabilities) and random batch/layer/group/rms
normalisations, and scaled dot-product attention followed by linear: values and gradients
equal torch's, and bad input raises torch's exception type."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import torch
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import random_strided, run_both  # noqa: E402


@st.composite
def calls(draw):
    n_classes = draw(st.integers(1, 5))
    batch = draw(st.sampled_from([(), (1,), (3,), (2, 3), (2, 1, 2)]))
    if batch:
        shape = (batch[0], n_classes) + batch[1:]
        t_shape = (batch[0],) + batch[1:]
    else:
        shape, t_shape = (n_classes,), ()
    seed = draw(st.integers(0, 2 ** 31 - 1))
    kw = {"reduction": draw(st.sampled_from(["none", "mean", "sum"]))}
    if draw(st.booleans()):
        kw["ignore_index"] = draw(st.sampled_from([-100, 0, n_classes - 1, -1]))
    probabilities = draw(st.booleans()) and kw.get("ignore_index", -1) < 0
    fn = "cross_entropy" if probabilities else draw(st.sampled_from(["cross_entropy",
                                                                      "nll_loss"]))
    if fn == "cross_entropy" and draw(st.booleans()):
        kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    weighted = draw(st.booleans())
    bad_target = not probabilities and draw(st.integers(0, 9)) == 0
    return fn, shape, t_shape, n_classes, seed, kw, probabilities, weighted, bad_target


@settings(max_examples=60, deadline=None)
@given(calls())
def test_cross_entropy_and_nll_match_torch(case):
    fn, shape, t_shape, n_classes, seed, kw, probabilities, weighted, bad_target = case
    gen = torch.Generator().manual_seed(seed)
    x = random_strided(random.Random(seed), shape, torch.float64)  # any layout
    if len(shape) == 4:
        # torch's nll_loss2d backward refuses some non-contiguous 4-D inputs with an internal
        # "grad_input must be contiguous"; frankentorch differentiates them
        x = x.contiguous()
    if probabilities:
        target = torch.rand(shape, generator=gen, dtype=torch.float64).softmax(
            1 if len(shape) > 1 else 0)
    else:
        target = torch.randint(0, n_classes, t_shape, generator=gen)
        if bad_target and target.numel():
            target.view(-1)[0] = n_classes
    weight = torch.rand(n_classes, generator=gen, dtype=torch.float64) + 0.5

    def prog(lib, x, target, weight):
        x = x.detach().requires_grad_()
        loss = getattr(lib.nn.functional, fn)(x, target, weight if weighted else None, **kw)
        (grad,) = lib.autograd.grad(loss.sum(), [x])
        return loss.detach(), grad

    run_both(prog, x, target, weight, check_stride=False)


@st.composite
def norm_calls(draw):
    kind = draw(st.sampled_from(["batch_norm", "layer_norm", "group_norm", "rms_norm"]))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=2, max_size=4)))
    if kind == "group_norm":
        groups = draw(st.sampled_from([g for g in range(1, shape[1] + 1) if shape[1] % g == 0]))
        arg = groups
    elif kind in ("layer_norm", "rms_norm"):
        arg = shape[draw(st.integers(1, len(shape) - 1)):]
    else:
        arg = draw(st.booleans())  # training
    return kind, shape, arg, draw(st.booleans()), draw(st.integers(0, 2 ** 31 - 1))


@settings(max_examples=60, deadline=None)
@given(norm_calls())
def test_normalisations_match_torch(case):
    kind, shape, arg, affine, seed = case
    gen = torch.Generator().manual_seed(seed)
    x = random_strided(random.Random(seed), shape, torch.float64)  # any layout
    pshape = tuple(arg) if kind in ("layer_norm", "rms_norm") else (shape[1],)
    w = torch.randn(pshape, generator=gen, dtype=torch.float64)
    b = torch.randn(pshape, generator=gen, dtype=torch.float64)
    stats = (torch.randn(shape[1], generator=gen, dtype=torch.float64),
             torch.rand(shape[1], generator=gen, dtype=torch.float64) + 0.5)

    def prog(lib, x, w, b, rm, rv):
        x = x.detach().requires_grad_()
        f = lib.nn.functional
        ws = (w, b) if affine else (None, None)
        if kind == "batch_norm":
            out = f.batch_norm(x, rm, rv, *ws, training=arg)
        elif kind == "layer_norm":
            out = f.layer_norm(x, arg, *ws)
        elif kind == "rms_norm":
            out = f.rms_norm(x, arg, ws[0])
        else:
            out = f.group_norm(x, arg, *ws)
        (grad,) = lib.autograd.grad((out * out).sum(), [x])
        return out.detach(), grad, rm, rv

    run_both(prog, x, w, b, *stats, check_stride=False)


@st.composite
def attention_calls(draw):
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    n_q, n_k, e, ev = (draw(st.integers(1, 4)) for _ in range(4))
    if draw(st.booleans()):
        ev = e
    mask = draw(st.sampled_from([None, "bool", "float"]))
    causal = draw(st.booleans()) and mask is None
    scale = draw(st.sampled_from([None, 0.5]))
    return batch, n_q, n_k, e, ev, mask, causal, scale, draw(st.integers(0, 2 ** 31 - 1))


@settings(max_examples=60, deadline=None)
@given(attention_calls())
def test_attention_and_linear_match_torch(case):
    batch, n_q, n_k, e, ev, mask, causal, scale, seed = case
    rng = random.Random(seed)
    q = random_strided(rng, batch + (n_q, e), torch.float64)
    k = random_strided(rng, batch + (n_k, e), torch.float64)
    v = random_strided(rng, batch + (n_k, ev), torch.float64)
    gen = torch.Generator().manual_seed(seed)
    m = {None: None, "bool": torch.rand(n_q, n_k, generator=gen) > 0.3,
         "float": torch.randn(n_q, n_k, generator=gen, dtype=torch.float64)}[mask]
    w = torch.randn(3, ev, generator=gen, dtype=torch.float64)
    b = torch.randn(3, generator=gen, dtype=torch.float64)

    def prog(lib, q, k, v, m, w, b):
        q, k, v, w, b = (t.detach().requires_grad_() for t in (q, k, v, w, b))
        att = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m,
                                                             is_causal=causal, scale=scale)
        out = lib.nn.functional.linear(att, w, b)
        grads = lib.autograd.grad((out * out).sum(), [q, k, v, w, b])
        return (out.detach(),) + grads

    run_both(prog, q, k, v, m, w, b, check_stride=False)
