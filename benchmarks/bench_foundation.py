"""Foundation speed: add (1e7 and 100 float32 elements) and sum (1e7), frankentorch / torch.

Run: python benchmarks/bench_foundation.py   (targets: <= 1.0 large, <= 4 for 100 elements)
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
    cases = []
    for n in (10_000_000, 100):
        a = rng.random(n, dtype=np.float32)
        b = rng.random(n, dtype=np.float32)
        fa, fb = ft.from_numpy(a), ft.from_numpy(b)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        cases.append((f"add {n:,} float32", lambda fa=fa, fb=fb: fa + fb,
                      lambda ta=ta, tb=tb: ta + tb))
    a = rng.random(10_000_000, dtype=np.float32)
    fa, ta = ft.from_numpy(a), torch.from_numpy(a)
    cases.append(("sum 10,000,000 float32", fa.sum, ta.sum))
    print(f"threads: torch={torch.get_num_threads()}")
    compare(cases)


if __name__ == "__main__":
    main()
