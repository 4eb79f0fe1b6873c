"""nn.Module and DataLoader overheads: frankentorch vs torch in one process, as ratios.

Cases: calling a small module (hook-free fast path and with a forward hook), building a
model's state_dict and loading it back, and one shuffled epoch of a DataLoader over a
TensorDataset (per-sample indexing plus default_collate's stack).

Run: ``python benchmarks/bench_nn_data.py``.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

import frankentorch as ft  # noqa: E402
from timing import compare  # noqa: E402


def cases_for(lib):
    nn, data = lib.nn, lib.utils.data
    lib.manual_seed(0)
    act = nn.ReLU()
    hooked = nn.ReLU()
    hooked.register_forward_hook(lambda m, a, o: None)
    x = lib.randn(8)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 26 * 26, 64), nn.ReLU(), nn.Linear(64, 10))
    sd = model.state_dict()
    loader = data.DataLoader(data.TensorDataset(lib.randn(512, 784), lib.randint(0, 10, (512,))),
                             batch_size=64, shuffle=True, generator=lib.Generator().manual_seed(0))
    return {
        "module call (ReLU, 8 elems)": lambda: act(x),
        "module call with forward hook": lambda: hooked(x),
        "state_dict (7-layer CNN)": model.state_dict,
        "load_state_dict (7-layer CNN)": lambda: model.load_state_dict(sd),
        "DataLoader epoch 512x784, batch 64": lambda: list(loader),
    }


if __name__ == "__main__":
    ours, theirs = cases_for(ft), cases_for(torch)
    compare([(name, ours[name], theirs[name]) for name in ours])
