"""prod and logsumexp bit for bit against torch.

prod multiplies in the tensor's dtype (float16/bfloat16 round after every step) in the order
of PyTorch's CPU kernel: lane-wise for an innermost contiguous reduced run, element after
element otherwise; random layouts (sliced, permuted, expanded) and dim sets cover both.
logsumexp is composed op by op as torch composes it; in float16/bfloat16 every op rounds,
so the result matches torch's bits exactly.
"""
from __future__ import annotations

import random

import pytest
import torch

from conftest import random_shape, random_strided
from test_sort_ties import both_exact

FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _values(rng: random.Random, dt, *, near_one: bool) -> torch.Tensor:
    shape = random_shape(rng, 3, rng.choice((4, 40, 140)), min_nd=0)
    x = random_strided(rng, shape, torch.float64)
    x = x * 0.3 + 1 if near_one else x * 3
    return random_strided(rng, shape, dt).copy_(x)


def _dims(rng: random.Random, nd: int):
    return sorted(rng.sample(range(nd), rng.randint(1, nd))) if nd else []


@pytest.mark.parametrize("seed", range(40))
def test_prod_bits(seed):
    rng = random.Random(seed)
    dt = FLOATS[seed % 4]
    x = _values(rng, dt, near_one=True)
    if x.numel() and rng.random() < 0.2:
        x.view(-1)[rng.randrange(x.numel())] = rng.choice((0.0, -0.0, float("nan")))
    keep = rng.random() < 0.5
    both_exact(lambda m, t: t.prod(), x)
    for d in range(-x.ndim, x.ndim):
        both_exact(lambda m, t: m.prod(t, d, keep), x)
    both_exact(lambda m, t: t.prod(dtype=m.float64), x)
    both_exact(lambda m, t: t.to(m.float32).prod(-1 if t.ndim else 0, dtype=m.float16), x)


def test_prod_long_runs():
    """Runs past the 4-vector blocks of every dtype, with tails of every length."""
    gen = torch.Generator().manual_seed(0)
    for dt in FLOATS:
        for n in (63, 64, 65, 127, 128, 200, 1000, 4099):
            x = (torch.rand(3, n, generator=gen, dtype=torch.float64) * 0.2 + 0.9).to(dt)
            both_exact(lambda m, t: t.prod(1), x)
            both_exact(lambda m, t: t.prod(0), x)
            both_exact(lambda m, t: t[0].prod(), x)
            both_exact(lambda m, t: t.t().prod(), x)


@pytest.mark.parametrize("seed", range(30))
def test_logsumexp_half_bits(seed):
    rng = random.Random(seed)
    x = _values(rng, (torch.float16, torch.bfloat16)[seed % 2], near_one=False)
    if x.numel() and rng.random() < 0.3:
        x.view(-1)[rng.randrange(x.numel())] = rng.choice((float("inf"), -float("inf")))
    dims = _dims(rng, x.ndim)
    keep = rng.random() < 0.5
    both_exact(lambda m, t: m.logsumexp(t, dims, keep), x)
    both_exact(lambda m, t: t.logsumexp(-1 if t.ndim else 0), x)
