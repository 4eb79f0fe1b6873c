"""Side-by-side timing helpers: frankentorch vs torch in one process, reported as ratios."""
from __future__ import annotations

import time
from typing import Callable


def best_time(fn: Callable[[], object], *, repeat: int = 7, min_seconds: float = 0.2) -> float:
    """Best per-call seconds over ``repeat`` rounds, each long enough to be measurable."""
    # warm-up: Numba compiles or loads its cache on the first call, and the first large
    # allocations of a process are slower (measured: ~10x for the first ~6 calls of a 1e7 add)
    t0 = time.perf_counter()
    calls = 0
    while calls < 12 or time.perf_counter() - t0 < 0.3:
        fn()
        calls += 1
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds / repeat or n >= 1 << 20:
            break
        n *= 2
    best = elapsed / n
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def report(rows: list[tuple[str, float, float]]) -> None:
    """Print name, frankentorch time, torch time and the ratio (ft / torch) per case."""
    print(f"{'case':<40} {'frankentorch':>14} {'torch':>12} {'ratio':>8}")
    for name, ft_s, torch_s in rows:
        print(f"{name:<40} {ft_s * 1e6:>12.1f}us {torch_s * 1e6:>10.1f}us "
              f"{ft_s / torch_s:>8.2f}")


def compare(cases: list[tuple[str, Callable, Callable]]) -> list[tuple[str, float, float]]:
    rows = [(name, best_time(ft_fn), best_time(torch_fn)) for name, ft_fn, torch_fn in cases]
    report(rows)
    return rows
