"""Seeded sampling speed, frankentorch / torch side by side (ratios < 1 mean faster).

Cases: rand/randn of 1e6 float32 and float64, randint 1e6, randperm 1e6, bernoulli_(0.5)
of 1e6, dropout of 1e6 and small randn (the per-call overhead).
Run: python benchmarks/bench_random.py
"""
from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import frankentorch as ft  # noqa: E402
from timing import compare  # noqa: E402

N = 1_000_000


def main() -> None:
    f_buf, t_buf = ft.empty(N), torch.empty(N)
    f_x, t_x = ft.ones(N), torch.ones(N)
    cases = [
        ("rand 1e6 float32", lambda: ft.rand(N), lambda: torch.rand(N)),
        ("randn 1e6 float32", lambda: ft.randn(N), lambda: torch.randn(N)),
        ("rand 1e6 float64", lambda: ft.rand(N, dtype=ft.float64),
         lambda: torch.rand(N, dtype=torch.float64)),
        ("randn 1e6 float64", lambda: ft.randn(N, dtype=ft.float64),
         lambda: torch.randn(N, dtype=torch.float64)),
        ("randint 1e6", lambda: ft.randint(0, 1000, (N,)), lambda: torch.randint(0, 1000, (N,))),
        ("randperm 1e6", lambda: ft.randperm(N), lambda: torch.randperm(N)),
        ("bernoulli_(0.5) 1e6", lambda: f_buf.bernoulli_(0.5), lambda: t_buf.bernoulli_(0.5)),
        ("dropout 1e6 p=0.5", lambda: ft.nn.functional.dropout(f_x, 0.5),
         lambda: torch.nn.functional.dropout(t_x, 0.5)),
        ("randn 10 float32", lambda: ft.randn(10), lambda: torch.randn(10)),
    ]
    print(f"threads: torch={torch.get_num_threads()}")
    compare(cases)


if __name__ == "__main__":
    main()
