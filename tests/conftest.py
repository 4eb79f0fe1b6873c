"""Shared helpers for differential tests against PyTorch (the oracle)."""
from __future__ import annotations

import math
import random

import numpy as np
import torch

import frankentorch as ft
# the conformance driver's exact converters: same storage bytes, sizes, strides and offset
from frankentorch.conformance.opinfo import ft_to_torch as values_as_torch, to_ft  # noqa: F401

DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
               "float32", "float64")
FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")
TORCH_DTYPE = {n: getattr(torch, n) for n in DTYPE_NAMES}
FT_DTYPE = {n: getattr(ft, n) for n in DTYPE_NAMES}


def dname(dt) -> str:
    """'float32' for torch.float32 and frankentorch.float32 alike."""
    return str(dt).rsplit(".", 1)[-1]


def ft_dtype(dt):
    return FT_DTYPE[dname(dt)]


def assert_same(actual: ft.Tensor, expected: torch.Tensor, *, check_stride: bool = True,
                check_offset: bool = False, rtol=None, atol=None) -> None:
    """frankentorch ``actual`` matches torch ``expected`` in dtype, geometry and values."""
    assert isinstance(actual, ft.Tensor), f"expected a frankentorch Tensor, got {type(actual)}"
    assert dname(actual.dtype) == dname(expected.dtype), (actual.dtype, expected.dtype)
    assert tuple(actual.shape) == tuple(expected.shape), (actual.shape, expected.shape)
    if check_stride:
        assert tuple(actual.stride()) == tuple(expected.stride()), \
            (actual.stride(), expected.stride())
        assert actual.is_contiguous() == expected.is_contiguous()
    if check_offset:
        assert actual.storage_offset() == expected.storage_offset(), \
            (actual.storage_offset(), expected.storage_offset())
    got = values_as_torch(actual)
    torch.testing.assert_close(got, expected.detach().contiguous(), equal_nan=True,
                               rtol=rtol, atol=atol)


def _same_result(r_ft, r_t, **kw) -> None:
    if isinstance(r_t, torch.Tensor):
        assert_same(r_ft, r_t, **kw)
    elif isinstance(r_t, torch.dtype):
        assert dname(r_ft) == dname(r_t), (r_ft, r_t)
    elif isinstance(r_t, (tuple, list)):
        assert isinstance(r_ft, (tuple, list)), type(r_ft)
        assert len(r_ft) == len(r_t), (len(r_ft), len(r_t))
        for a, b in zip(r_ft, r_t):
            _same_result(a, b, **kw)
    elif isinstance(r_t, float):
        assert isinstance(r_ft, (int, float))
        assert (math.isnan(r_t) and math.isnan(r_ft)) or math.isclose(
            r_ft, r_t, rel_tol=1e-6, abs_tol=1e-9), (r_ft, r_t)
    else:
        assert type(r_ft) is type(r_t) and r_ft == r_t, (r_ft, r_t)


def run_both(prog, *inputs, **kw):
    """Run ``prog(torch, *inputs)`` and ``prog(ft, *to_ft(inputs))``; compare the results.

    When torch raises, frankentorch must raise an exception of the same type. Returns the
    pair of results (torch's, ours), or the pair of exceptions.
    """
    ft_inputs = [to_ft(x) if isinstance(x, torch.Tensor) else x for x in inputs]
    try:
        r_t = prog(torch, *inputs)
    except Exception as e:  # noqa: BLE001  - the oracle's error is the expectation
        err_t = e
    else:
        err_t = None
    try:
        r_ft = prog(ft, *ft_inputs)
    except Exception as e:  # noqa: BLE001
        if err_t is None:
            raise AssertionError(f"torch succeeded but frankentorch raised "
                                 f"{type(e).__name__}: {e}") from e
        assert isinstance(e, type(err_t)), \
            f"torch raised {type(err_t).__name__}: {err_t}; ours raised {type(e).__name__}: {e}"
        return err_t, e
    if err_t is not None:
        raise AssertionError(f"torch raised {type(err_t).__name__}: {err_t}; frankentorch "
                             f"returned {r_ft!r:.200}")
    _same_result(r_ft, r_t, **kw)
    return r_t, r_ft


# ---------------------------------------------------------------- random inputs

def random_values(gen: torch.Generator, shape, dtype: torch.dtype) -> torch.Tensor:
    """Small values of ``dtype``: ints in [-5, 5] ([0, 10] for uint8), floats ~ N(0, 1)."""
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=gen).bool()
    if dtype.is_floating_point:
        return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
    lo, hi = (0, 11) if dtype == torch.uint8 else (-5, 6)
    return torch.randint(lo, hi, shape, generator=gen).to(dtype)


def random_strided(rng: random.Random, shape, dtype: torch.dtype = torch.float32,
                   *, allow_expand: bool = True) -> torch.Tensor:
    """A tensor of ``shape`` whose layout is random: sliced out of a larger permuted base with
    an offset and steps, sometimes expanded (stride 0) on a size-1 dim."""
    gen = torch.Generator().manual_seed(rng.randrange(1 << 30))
    shape = tuple(shape)
    nd = len(shape)
    kind = rng.choice(("contiguous", "sliced", "sliced", "permuted", "as_strided"))
    if kind == "contiguous" or nd == 0:
        pad = rng.randrange(4)
        base = random_values(gen, (math.prod(shape) + pad,), dtype)
        return base[pad:].view(shape) if math.prod(shape) else base[pad:pad].view(shape)
    if kind == "as_strided":
        order = list(range(nd))
        rng.shuffle(order)
        strides = [0] * nd
        acc = 1
        for d in reversed(order):
            strides[d] = acc * rng.choice((1, 1, 2))
            acc = strides[d] * max(shape[d], 1)
        off = rng.randrange(5)
        base = random_values(gen, (acc + off + 3,), dtype)
        out = base.as_strided(shape, strides, off)
    else:
        steps = [rng.choice((1, 1, 2, 3)) if kind == "sliced" else 1 for _ in shape]
        starts = [rng.randrange(3) for _ in shape]
        big = [s0 + max(n, 1) * st + rng.randrange(2) for n, st, s0 in zip(shape, steps, starts)]
        perm = list(range(nd))
        rng.shuffle(perm)
        inv = [perm.index(i) for i in range(nd)]
        base = random_values(gen, [big[p] for p in perm], dtype).permute(inv)
        out = base[tuple(slice(s0, s0 + n * st, st) for s0, n, st in zip(starts, shape, steps))]
    if allow_expand and rng.random() < 0.3:
        ones = [i for i, n in enumerate(shape) if n == 1]
        if ones:
            i = rng.choice(ones)
            out = out.as_strided(shape, [0 if d == i else s for d, s in enumerate(out.stride())],
                                 out.storage_offset())
    assert tuple(out.shape) == shape
    return out


def random_shape(rng: random.Random, max_nd: int = 4, max_size: int = 4, *,
                 min_nd: int = 0, allow_zero: bool = True) -> tuple[int, ...]:
    """Random sizes with plenty of 1s, and sometimes one 0."""
    nd = rng.randint(min_nd, max_nd)
    shape = [rng.choice((1, rng.randint(1, max_size), rng.randint(2, max_size)))
             for _ in range(nd)]
    if allow_zero and nd and rng.random() < 0.1:
        shape[rng.randrange(nd)] = 0
    return tuple(shape)


def shares_storage_t(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage()._cdata == b.untyped_storage()._cdata


def shares_storage_ft(a: ft.Tensor, b: ft.Tensor) -> bool:
    return a.untyped_storage() is b.untyped_storage()
