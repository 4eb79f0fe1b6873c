"""Random cross-entropy / nll_loss calls (ranks, class counts, weights, ignore_index, label
smoothing, reductions, class indices or probabilities): the loss and the input's gradient
equal torch's, and bad targets raise torch's exception type."""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import run_both  # noqa: E402


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
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
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
