"""MLP forward+backward (64x784 -> 256 -> 10, ReLU, cross-entropy) built from F.linear,
F.relu and F.cross_entropy: frankentorch vs torch in one process, printed as a ratio.

Run: ``python benchmarks/bench_mlp.py [--threads N] [--profile]``. Both libraries use N
threads (default 1: on a machine shared with other work, multi-threaded BLAS timings swing by
orders of magnitude). Besides wall-clock time it reports the CPU time of the calling thread,
which stays comparable when other processes compete for the cores. ``--profile`` prints a
cProfile of frankentorch's step instead.
"""
from __future__ import annotations

import os
import sys
import time

THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = THREADS  # read when NumPy/Numba load, so set before importing them

import numpy as np  # noqa: E402

from timing import compare  # noqa: E402


def make_step(lib, arrays):
    """One forward+backward step of the MLP in ``lib`` (frankentorch or torch)."""
    F = lib.nn.functional
    x, w1, b1, w2, b2, target = arrays
    x = lib.tensor(x)
    params = [lib.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    target = lib.tensor(target)
    w1, b1, w2, b2 = params

    def step():
        for p in params:
            p.grad = None
        h = F.relu(F.linear(x, w1, b1))
        loss = F.cross_entropy(F.linear(h, w2, b2), target)
        loss.backward()
        return loss
    return step


def thread_seconds(fn, calls: int = 50, rounds: int = 5) -> float:
    """Best CPU seconds of this thread per call of ``fn`` (after a warm-up)."""
    for _ in range(10):
        fn()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.thread_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.thread_time() - t0) / calls)
    return best


def arrays(batch=64, n_in=784, hidden=256, n_out=10, seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    return (rng.standard_normal((batch, n_in)).astype(f),
            (rng.standard_normal((hidden, n_in)) / np.sqrt(n_in)).astype(f),
            np.zeros(hidden, f),
            (rng.standard_normal((n_out, hidden)) / np.sqrt(hidden)).astype(f),
            np.zeros(n_out, f),
            rng.integers(0, n_out, batch))


def main() -> None:
    import torch
    import frankentorch
    data = arrays()
    ft_step, torch_step = make_step(frankentorch, data), make_step(torch, data)
    if "--profile" in sys.argv:
        import cProfile
        import pstats
        for _ in range(20):
            ft_step()
        cProfile.runctx("for _ in range(200): ft_step()", globals(), {"ft_step": ft_step},
                        "/tmp/bench_mlp.prof")
        pstats.Stats("/tmp/bench_mlp.prof").sort_stats("tottime").print_stats(25)
        return
    torch.set_num_threads(int(THREADS))
    print(f"threads: {THREADS} (torch={torch.get_num_threads()})")
    compare([("mlp 64x784-256-10 fwd+bwd (wall)", ft_step, torch_step)])
    ft_s, torch_s = thread_seconds(ft_step), thread_seconds(torch_step)
    print(f"{'mlp 64x784-256-10 fwd+bwd (thread CPU)':<40} {ft_s * 1e6:>12.1f}us "
          f"{torch_s * 1e6:>10.1f}us {ft_s / torch_s:>8.2f}")


if __name__ == "__main__":
    main()
