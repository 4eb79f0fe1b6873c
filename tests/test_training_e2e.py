"""Same-seed end-to-end training against real torch: the program is written once against the
torch API and run with ``torch`` and with ``frankentorch``; every loss must agree within
1e-5 relative and the final parameters within float32 tolerance."""
import numpy as np
import pytest
import torch

import frankentorch as ft

LOSS_RTOL = 1e-5


def train(opt, steps, loss_of, after_backward=None, sched=None):
    """``steps`` of zero_grad / loss / backward / step; returns the losses."""
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of()
        loss.backward()
        if after_backward is not None:
            after_backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses


def mlp_adam(T, steps=200, column_major=False):
    T.manual_seed(0)
    nn = T.nn
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.Tanh(),
                          nn.Linear(32, 3))
    if column_major:  # the same values, stored transposed
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight = nn.Parameter(m.weight.detach().t().contiguous().t())
    x = T.randn(128, 20)
    y = T.randint(0, 3, (128,))
    opt = T.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    return train(opt, steps, lambda: loss_fn(model(x), y)), model


def lstm_regression(T, steps=50):
    T.manual_seed(1)
    nn = T.nn
    lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
    head = nn.Linear(16, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    x = T.randn(4, 10, 8)
    y = T.randn(4, 1)
    opt = T.optim.Adam(params, lr=1e-2)
    sched = T.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    losses = train(opt, steps, lambda: nn.functional.mse_loss(head(lstm(x)[0][:, -1]), y),
                   lambda: T.nn.utils.clip_grad_norm_(params, 1.0), sched)
    return losses, nn.ModuleList([lstm, head])


def sgd_momentum_gru(T, steps=50):
    T.manual_seed(2)
    nn = T.nn
    gru = nn.GRU(6, 12, bidirectional=True)
    head = nn.Linear(24, 2)
    model = nn.ModuleList([gru, head])
    x = T.randn(7, 5, 6)
    y = T.randint(0, 2, (5,))
    opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    return train(opt, steps,
                 lambda: nn.functional.cross_entropy(head(gru(x)[0].mean(0)), y)), model


def transformer_encoder(T, steps=20):
    T.manual_seed(3)
    nn = T.nn
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.1, batch_first=True,
                                       activation="gelu")
    head = nn.Linear(16, 5)
    model = nn.ModuleList([layer, head])
    x = T.randn(3, 6, 16)
    y = T.randint(0, 5, (3,))
    pad = T.zeros(3, 6, dtype=T.bool)
    pad[1, 4:] = True
    # SGD, not Adam: the key bias gets a gradient that is zero up to rounding (softmax ignores
    # a per-query constant), which Adam would turn into full-size, noise-driven steps.
    opt = T.optim.SGD(model.parameters(), lr=0.005, momentum=0.9, weight_decay=1e-4)
    return train(opt, steps, lambda: nn.functional.cross_entropy(
        head(layer(x, src_key_padding_mask=pad)[:, 0]), y)), model


# Final parameters: 200 Adam steps turn last-bit differences of a gradient that hovers around
# zero into full-size steps. torch against itself, with only the weights' memory layout
# changed (column-major: its matmul backward then sums in another order), ends up to 5.3e-5
# apart on 9 first-layer weights of mlp_adam, so that program gets twice that spread as
# absolute tolerance; the others keep 1e-5.
PARAM_ATOL = {"mlp_adam": 1e-4}


def compare(prog):
    lt, mt = prog(torch)
    lf, mf = prog(ft)
    assert len(lf) == len(lt)
    np.testing.assert_allclose(lf, lt, rtol=LOSS_RTOL)
    for (nt, pt), (nf, pf) in zip(mt.named_parameters(), mf.named_parameters()):
        assert nt == nf
        np.testing.assert_allclose(pf.detach().numpy(), pt.detach().numpy(), rtol=1e-4,
                                   atol=PARAM_ATOL.get(prog.__name__, 1e-5))


@pytest.mark.parametrize("prog", [mlp_adam, lstm_regression, sgd_momentum_gru,
                                  transformer_encoder],
                         ids=["mlp-adam-200", "lstm-adam-50", "gru-sgd-50", "transformer-20"])
def test_training_matches_torch(prog):
    compare(prog)


def test_adam_parameter_tolerance_is_torchs_own_spread():
    """The mlp_adam tolerance is not looser than torch's own sensitivity to the weights'
    layout requires: torch with column-major weights stays within it, and leaves the default
    1e-5 (so the looser bound is needed)."""
    _, mt = mlp_adam(torch)
    _, mc = mlp_adam(torch, column_major=True)
    diffs = [float((a - b).abs().max()) for a, b in zip(mt.parameters(), mc.parameters())]
    assert 1e-5 < max(diffs) <= PARAM_ATOL["mlp_adam"]


def test_initial_parameters_bit_identical():
    _, mt = mlp_adam(torch, steps=0)
    _, mf = mlp_adam(ft, steps=0)
    for pt, pf in zip(mt.parameters(), mf.parameters()):
        np.testing.assert_array_equal(pf.detach().numpy(), pt.detach().numpy())
