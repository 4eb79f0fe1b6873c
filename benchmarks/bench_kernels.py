"""First-wave kernel speed, frankentorch / torch side by side (ratios < 1 mean faster).

Cases: add/mul/exp on 1e7 float32; sum of 1e7 and along each dim of 4096x4096; softmax of
4096x4096 along the last dim; matmul 1024x1024 float32; add on 100 elements; sort and topk
(k=100) of 1e6 float32.
Run: python benchmarks/bench_kernels.py
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import frankentorch as ft  # noqa: E402
from timing import compare  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    big = rng.random(10_000_000, dtype=np.float32)
    big2 = rng.random(10_000_000, dtype=np.float32)
    sq = rng.random((4096, 4096), dtype=np.float32)
    m1 = rng.random((1024, 1024), dtype=np.float32)
    m2 = rng.random((1024, 1024), dtype=np.float32)
    small = rng.random(100, dtype=np.float32)
    mil = rng.random(1_000_000, dtype=np.float32)
    arrays = dict(big=big, big2=big2, sq=sq, m1=m1, m2=m2, small=small, mil=mil)
    f = {k: ft.from_numpy(v) for k, v in arrays.items()}
    t = {k: torch.from_numpy(v) for k, v in arrays.items()}
    cases = [
        ("add 1e7 float32", lambda: f["big"] + f["big2"], lambda: t["big"] + t["big2"]),
        ("mul 1e7 float32", lambda: f["big"] * f["big2"], lambda: t["big"] * t["big2"]),
        ("exp 1e7 float32", lambda: ft.exp(f["big"]), lambda: torch.exp(t["big"])),
        ("sum 1e7 float32", lambda: f["big"].sum(), lambda: t["big"].sum()),
        ("sum 4096x4096 dim=0", lambda: f["sq"].sum(0), lambda: t["sq"].sum(0)),
        ("sum 4096x4096 dim=1", lambda: f["sq"].sum(1), lambda: t["sq"].sum(1)),
        ("softmax 4096x4096 dim=-1", lambda: ft.softmax(f["sq"], -1),
         lambda: torch.softmax(t["sq"], -1)),
        ("matmul 1024x1024 float32", lambda: f["m1"] @ f["m2"], lambda: t["m1"] @ t["m2"]),
        ("add 100 float32", lambda: f["small"] + f["small"], lambda: t["small"] + t["small"]),
        ("sort 1e6 float32", lambda: ft.sort(f["mil"]), lambda: torch.sort(t["mil"])),
        ("topk k=100 1e6 float32", lambda: ft.topk(f["mil"], 100),
         lambda: torch.topk(t["mil"], 100)),
    ]
    print(f"threads: torch={torch.get_num_threads()}")
    compare(cases)


if __name__ == "__main__":
    main()
