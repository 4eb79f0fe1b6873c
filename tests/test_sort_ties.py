"""Tie order of the sorting ops, bit for bit against torch: sort/argsort/msort (stable and
not, both directions), topk (largest/smallest, sorted or not, on both sides of the
partial-sort threshold 64 * k <= n), kthvalue, mode, median and nanmedian along a dim.

Inputs are tie-heavy (values drawn from 2-5 distinct ones, NaN, +-0.0 and +-inf mixed into
floats), of every dtype the ops take and every row length from 1 to past the sizes where the
algorithms switch (16-element insertion runs, radix sort from 32768 elements). Values are
compared by their bits (so -0.0 against 0.0 and NaN placement count) and indices exactly.
"""
from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings, strategies as st

import frankentorch as ft
from conftest import TORCH_DTYPE, to_ft, values_as_torch

SORTABLE = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
            "float32", "float64")
SIZES = (1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129,
         200, 257, 640, 1000)
_BITS = {torch.float16: torch.int16, torch.bfloat16: torch.int16, torch.float32: torch.int32,
         torch.float64: torch.int64}


def _bits(t: torch.Tensor) -> torch.Tensor:
    t = t.contiguous()
    return t.view(_BITS[t.dtype]) if t.dtype in _BITS else t


def exact(got, want) -> None:
    """``got`` (frankentorch) equals ``want`` (torch) bit for bit: tuples item by item."""
    if isinstance(want, torch.Tensor):
        g = values_as_torch(got)
        assert g.dtype == want.dtype and g.shape == want.shape, (g.dtype, g.shape, want.shape)
        assert torch.equal(_bits(g), _bits(want)), f"\nours:  {g}\ntorch: {want}"
    else:
        assert type(got).__name__ == type(want).__name__, (type(got), type(want))
        assert len(got) == len(want)
        for a, b in zip(got, want):
            exact(a, b)


def both_exact(prog, x: torch.Tensor) -> None:
    exact(prog(ft, to_ft(x)), prog(torch, x))


def _tied(rng: random.Random, shape, dt: str) -> torch.Tensor:
    """Values from a few distinct ones (NaN, +-0.0 and +-inf among them for floats),
    in a random layout (permuted dims, sliced)."""
    gen = torch.Generator().manual_seed(rng.randrange(1 << 30))
    hi = rng.choice((2, 3, 5, 50))
    x = torch.randint(0, hi, shape, generator=gen)
    if dt == "bool":
        x = x % 2
    x = x.to(TORCH_DTYPE[dt])
    if x.dtype.is_floating_point and x.numel() and rng.random() < 0.6:
        flat = x.reshape(-1)
        for v in rng.sample((float("nan"), -0.0, float("inf"), float("-inf"), 0.5), 3):
            pick = torch.rand(flat.shape, generator=gen) < 0.15
            flat[pick] = v
        x = flat.reshape(shape)
    if x.ndim > 1 and rng.random() < 0.5:
        perm = list(range(x.ndim))
        rng.shuffle(perm)
        x = x.permute(perm).contiguous().permute([perm.index(i) for i in range(x.ndim)])
    if x.ndim and rng.random() < 0.3:
        x = torch.cat([x, x], -1)[..., ::2]
    return x


def _case(seed: int, dtypes=SORTABLE):
    rng = random.Random(seed)
    dt = rng.choice(dtypes)
    n = rng.choice(SIZES)
    shape = rng.choice(((n,), (rng.randint(1, 3), n), (n, rng.randint(1, 3)),
                        (2, n, rng.randint(1, 2))))
    x = _tied(rng, shape, dt)
    dim = max(range(len(shape)), key=lambda d: shape[d]) - rng.choice((0, len(shape)))
    return rng, x, dim, x.shape[dim]


@pytest.mark.parametrize("seed", range(60))
def test_sort_argsort_msort(seed):
    _, x, dim, _ = _case(seed)
    for desc in (False, True):
        both_exact(lambda m, t: m.sort(t, dim, desc), x)
        both_exact(lambda m, t: m.sort(t, stable=True, dim=dim, descending=desc), x)
        both_exact(lambda m, t: t.argsort(dim=dim, descending=desc), x)
        both_exact(lambda m, t: m.argsort(t, stable=False, dim=dim, descending=desc), x)
    both_exact(lambda m, t: m.msort(t), x)


@pytest.mark.parametrize("seed", range(60))
def test_topk(seed):
    rng, x, dim, n = _case(seed, SORTABLE[1:])
    ks = {1, n, rng.randint(1, n), max(1, n // 64), n // 64 + 1, min(n, 2)}
    for k in sorted(ks):
        for largest in (True, False):
            for sorted_ in (True, False):
                both_exact(lambda m, t: m.topk(t, k, dim, largest, sorted_), x)


@pytest.mark.parametrize("seed", range(60))
def test_kthvalue_median_mode(seed):
    rng, x, dim, n = _case(seed, SORTABLE[1:])
    keep = rng.random() < 0.5
    for k in sorted({1, n, rng.randint(1, n), (n + 1) // 2}):
        both_exact(lambda m, t: m.kthvalue(t, k, dim, keep), x)
    both_exact(lambda m, t: m.median(t, dim), x)
    both_exact(lambda m, t: t.nanmedian(dim, keepdim=True), x)
    both_exact(lambda m, t: m.mode(t, dim), x)
    both_exact(lambda m, t: m.mode(t.to(m.bool), dim), x)


def test_exhaustive_small_rows():
    """Every row of length 8 over 3 values (and NaN rows for floats): all insertion-sort and
    median-of-three paths, each k of topk and kthvalue."""
    rows = torch.cartesian_prod(*[torch.arange(3)] * 8)
    for x in (rows, rows.double().masked_fill(rows == 2, float("nan"))):
        for desc in (False, True):
            both_exact(lambda m, t: m.sort(t, descending=desc), x)
        both_exact(lambda m, t: m.mode(t), x)
        for k in range(1, 9):
            both_exact(lambda m, t: m.kthvalue(t, k), x)
            for largest in (True, False):
                both_exact(lambda m, t: m.topk(t, k, largest=largest, sorted=False), x)
                both_exact(lambda m, t: m.topk(t, k, largest=largest), x)


@pytest.mark.parametrize("dt", ("int64", "uint8", "float32", "int16"))
def test_large_rows_and_radix_threshold(dt):
    """Long rows (deep introsort recursion) and 1-D integer sorts either side of 32768, where
    torch switches to a stable radix sort (ascending only)."""
    gen = torch.Generator().manual_seed(7)
    for n in (32767, 32768, 40000):
        x = torch.randint(0, 4, (n,), generator=gen).to(TORCH_DTYPE[dt])
        for desc in (False, True):
            both_exact(lambda m, t: m.sort(t, descending=desc), x)
        both_exact(lambda m, t: m.topk(t, 300), x)
        both_exact(lambda m, t: m.topk(t, 3000, largest=False, sorted=False), x)
        both_exact(lambda m, t: m.kthvalue(t, n // 3), x)
        both_exact(lambda m, t: m.mode(t), x)
    x = torch.randint(0, 4, (2, 40000), generator=gen).to(TORCH_DTYPE[dt])
    both_exact(lambda m, t: m.sort(t), x)


# McIlroy adversaries for std::sort and std::nth_element at n = 64 (each value halved, so
# with ties): they drive introsort/introselect to the depth limit, where it heap-sorts/-selects
SORT_KILLER = [23, 0, 26, 1, 30, 2, 25, 3, 28, 4, 24, 5, 31, 6, 23, 7, 27, 8, 22, 9, 29, 10, 12,
               11, 31, 30, 29, 28, 27, 26, 25, 24, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 22, 20,
               21, 19, 20, 18, 19, 17, 18, 16, 17, 15, 16, 14, 15, 13, 14, 12, 13, 21]
SELECT_KILLER = [12, 0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16, 8, 16, 9, 16, 10,
                 16, 11, 15, 15, 16, 14, 14, 13, 13, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
SELECT_KILLER += [16] * 20


@pytest.mark.parametrize("dt", ("int64", "float32"))
def test_depth_limit_fallbacks(dt):
    x = torch.tensor(SORT_KILLER, dtype=TORCH_DTYPE[dt])
    both_exact(lambda m, t: m.sort(t), x)
    both_exact(lambda m, t: m.sort(-t, descending=True), x)
    x = torch.tensor(SELECT_KILLER, dtype=TORCH_DTYPE[dt])
    for sorted_ in (True, False):
        both_exact(lambda m, t: m.topk(t, 33, largest=False, sorted=sorted_), x)
        both_exact(lambda m, t: m.topk(-t, 33, sorted=sorted_), x)


def test_stride_zero_dim_is_not_sorted():
    """An expanded (stride-0) dim is returned as is, indices 0..n-1."""
    x = torch.tensor([[1.0], [float("nan")], [-0.0]]).expand(3, 40)
    for dim in (0, 1):
        for desc in (False, True):
            both_exact(lambda m, t: m.sort(t, dim, desc), x)
    both_exact(lambda m, t: m.topk(t, 5), x)
    both_exact(lambda m, t: m.mode(t), x)


def test_out_variants():
    x = _tied(random.Random(3), (4, 50), "float32")
    both_exact(lambda m, t: m.sort(t, 1, True, out=(m.empty(0), m.empty(0, dtype=m.long))), x)
    both_exact(lambda m, t: m.topk(t, 7, out=(m.empty(0), m.empty(0, dtype=m.long))), x)
    both_exact(lambda m, t: m.kthvalue(t, 9, 1, out=(m.empty(0), m.empty(0, dtype=m.long))), x)
    both_exact(lambda m, t: m.mode(t, 1, out=(m.empty(0), m.empty(0, dtype=m.long))), x)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, float("nan"), float("inf")]),
                min_size=1, max_size=70),
       st.booleans(), st.integers(1, 70), st.sampled_from(["float32", "float64", "float16"]))
def test_hypothesis_float_ties(vals, flag, k, dt):
    x = torch.tensor(vals, dtype=TORCH_DTYPE[dt])
    k = min(k, x.numel())
    both_exact(lambda m, t: m.sort(t, descending=flag), x)
    both_exact(lambda m, t: m.topk(t, k, largest=flag, sorted=not flag), x)
    both_exact(lambda m, t: m.kthvalue(t, k), x)
    both_exact(lambda m, t: m.mode(t), x)
