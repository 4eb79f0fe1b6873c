"""Autograd speed, frankentorch / torch side by side.

Cases: a chain of 100 small elementwise ops on 100 float32 elements, forward + backward
(per-op Python overhead is the cost here); and a 100,000-node chain backward (the engine's
own bookkeeping: dependency counting, ready queue).
Run: python benchmarks/bench_autograd.py
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import frankentorch as ft  # noqa: E402
from timing import compare  # noqa: E402


def chain(lib, x):
    """100 ops: mul, add, sin, tanh repeated (25 of each)."""
    y = x
    for _ in range(25):
        y = (y * 1.01 + 0.1).sin().tanh()
    return y


def fwd_bwd(lib, x):
    def run():
        x.grad = None
        chain(lib, x).sum().backward()
    return run


def long_chain_backward(lib, n: int) -> float:
    x = lib.ones(1, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    t0 = time.perf_counter()
    y.backward()
    return time.perf_counter() - t0


def main() -> None:
    data = np.random.default_rng(0).random(100, dtype=np.float32)
    xf = ft.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    compare([("100-op chain fwd+bwd (100 elems)", fwd_bwd(ft, xf), fwd_bwd(torch, xt))])
    n = 100_000
    f_s, t_s = long_chain_backward(ft, n), long_chain_backward(torch, n)
    print(f"{'100,000-node chain backward':<40} {f_s * 1e3:>12.1f}ms {t_s * 1e3:>10.1f}ms "
          f"{f_s / t_s:>8.2f}")


if __name__ == "__main__":
    main()
