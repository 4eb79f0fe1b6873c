"""Whole training steps (zero_grad, forward, loss, backward, optimizer step) and optimizer
steps alone: frankentorch vs torch in one process, printed as ratios.

Cases: the MLP 64x784 -> 256 -> 10 with SGD (momentum 0.9), an LSTM (seq 20, batch 16,
32 -> 64) with a linear head and Adam, and the bare SGD/Adam updates of the MLP's parameters.

Run: ``python benchmarks/bench_training.py [--threads N]`` (default 1 thread for both
libraries: on a shared machine multi-threaded BLAS timings swing widely).
"""
from __future__ import annotations

import os
import sys

THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = THREADS  # read when NumPy/Numba load, so set before importing them

import numpy as np  # noqa: E402

from timing import compare  # noqa: E402


def copy_weights(src, dst, lib) -> None:
    with lib.no_grad():
        for a, b in zip(src.parameters(), dst.parameters()):
            b.copy_(lib.tensor(a.detach().numpy()))


def mlp_step(lib, ref=None):
    """One SGD training step of the MLP; ``ref`` (a torch model) supplies the weights."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if ref is not None:
        copy_weights(ref, model, lib)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step, model


def lstm_step(lib, ref=None):
    """One Adam training step of an LSTM regressor."""
    nn = lib.nn
    lstm, head = nn.LSTM(32, 64), nn.Linear(64, 1)
    model = nn.ModuleList([lstm, head])
    if ref is not None:
        copy_weights(ref, model, lib)
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((20, 16, 32)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((16, 1)).astype(np.float32))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        loss = nn.functional.mse_loss(head(out[-1]), y)
        loss.backward()
        opt.step()
        return loss
    return step, model


def optimizer_only(lib, name, **kw):
    """The update alone for the MLP's parameter shapes, with fixed gradients."""
    rng = np.random.default_rng(2)
    params = []
    for shape in ((256, 784), (256,), (10, 256), (10,)):
        p = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32))
        params.append(p)
    return getattr(lib.optim, name)(params, **kw).step


def main() -> None:
    import torch
    import frankentorch
    torch.set_num_threads(int(THREADS))
    print(f"threads: {THREADS} (torch={torch.get_num_threads()})")
    t_mlp, t_model = mlp_step(torch)
    f_mlp, _ = mlp_step(frankentorch, t_model)
    t_lstm, t_lmodel = lstm_step(torch)
    f_lstm, _ = lstm_step(frankentorch, t_lmodel)
    compare([
        ("mlp 64x784-256-10 train step (SGD)", f_mlp, t_mlp),
        ("lstm 20x16x32->64 train step (Adam)", f_lstm, t_lstm),
        ("SGD momentum step (mlp params)", optimizer_only(frankentorch, "SGD", lr=0.01,
                                                          momentum=0.9),
         optimizer_only(torch, "SGD", lr=0.01, momentum=0.9)),
        ("Adam step (mlp params)", optimizer_only(frankentorch, "Adam"),
         optimizer_only(torch, "Adam")),
    ])


if __name__ == "__main__":
    main()
