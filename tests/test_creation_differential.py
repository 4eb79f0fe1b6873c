"""Factories and sum/mean, differentially against torch."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import frankentorch as ft
from conftest import (DTYPE_NAMES, TORCH_DTYPE, assert_same, random_shape, random_strided,
                      run_both)

NP_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
             "float64")


def both(prog, *inputs, **kw):
    return run_both(prog, *inputs, **kw)


# ---------------------------------------------------------------- tensor()

TENSOR_DATA = [
    0, 1, -7, 2.5, True, False, [], [[]], [[], []], [1, 2, 3], [1.0, 2, 3], [True, False],
    [True, 2], [True, 2.5], [[1, 2], [3, 4]], [[[1.5]], [[2.5]]], (1, 2), [(1, 2), (3, 4)],
    [[1, 2], [3]], [[1, 2], 3], [1, [2, 3]], [[1], [2, 3]], [2 ** 40, -2 ** 40], 2 ** 63 - 1,
    2 ** 63, -2 ** 63, [float("nan"), float("inf")], [1e300], 1e300, [-0.0],
    [[1, 2.5], [True, False]], ["a"], [None], None, [1, None],
]


@pytest.mark.parametrize("i", range(len(TENSOR_DATA)))
def test_tensor_from_python(i):
    data = TENSOR_DATA[i]
    both(lambda m: m.tensor(data))
    for dt in ("bool", "uint8", "int32", "int64", "float16", "bfloat16", "float64"):
        both(lambda m: m.tensor(data, dtype=getattr(m, dt)))


@pytest.mark.parametrize("np_dt", NP_DTYPES)
def test_tensor_from_numpy_and_numpy_scalars(np_dt):
    rng = np.random.default_rng(len(np_dt))
    arr = (rng.standard_normal((3, 4)) * 4).astype(np_dt)
    both(lambda m: m.tensor(arr))
    both(lambda m: m.tensor(arr.T))
    both(lambda m: m.tensor(arr[:, ::2]))
    both(lambda m: m.tensor(arr[0, 0]))
    both(lambda m: m.tensor([arr[0, 0], arr[0, 1]]))
    both(lambda m: m.tensor(np.array(arr[1, 1])))
    both(lambda m: m.tensor(arr, dtype=m.float64))
    both(lambda m: m.tensor([arr[0], arr[1]]))
    # tensor() copies
    for m in (torch, ft):
        src = arr.copy()
        t = m.tensor(src)
        src[...] = 0
        assert t.tolist() == arr.tolist()


def test_tensor_from_tensors():
    x = torch.arange(6, dtype=torch.int16).view(2, 3)
    both(lambda m, t: m.tensor(t), x)
    both(lambda m, t: m.tensor(t, dtype=m.float32), x)
    both(lambda m, t: m.tensor([t[0, 0], t[1, 1]]), x)


def test_tensor_default_dtype_float64():
    for m in (torch, ft):
        m.set_default_dtype(m.float64)
    try:
        both(lambda m: m.tensor([1.0, 2]))
        both(lambda m: m.tensor(2.5))
        both(lambda m: m.zeros(2))
        both(lambda m: m.arange(0.0, 1.0, 0.25))
        both(lambda m: m.ones(2, dtype=m.int32) / 2)
        both(lambda m: m.ones(2, dtype=m.int32) + 0.5)
    finally:
        for m in (torch, ft):
            m.set_default_dtype(m.float32)


# ---------------------------------------------------------------- zeros / ones / full / empty

SIZES = [(), (0,), (3,), (2, 3), (2, 0, 3), (1, 1, 1, 1)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_zeros_ones_empty(fn, size):
    check = {"check_stride": True}
    values = fn != "empty"

    def prog(m, *args, **kw):
        r = getattr(m, fn)(*args, **kw)
        return r if values else (r.dtype, r.shape, r.stride(), r.is_contiguous())

    both(lambda m: prog(m, *size), **check)
    both(lambda m: prog(m, size), **check)
    both(lambda m: prog(m, list(size)), **check)
    both(lambda m: prog(m, m.Size(size) if hasattr(m, "Size") else size), **check)
    for dt in DTYPE_NAMES:
        both(lambda m: prog(m, size, dtype=getattr(m, dt)), **check)
    both(lambda m: prog(m, *size, dtype=m.int8), **check)


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_bad_sizes(fn):
    for args in [(-1,), (2, -3), (2.5,), ((2, 2.0),), ("3",), ((2, -1),), (True,)]:
        both(lambda m: getattr(m, fn)(*args).shape)


@pytest.mark.parametrize("fill", [0, 3, -2, 2.5, True, False, float("nan"), 2 ** 40])
def test_full(fill):
    for size in [(), (2, 3), [4], (0, 2)]:
        both(lambda m: m.full(size, fill))
        for dt in DTYPE_NAMES:
            both(lambda m: m.full(size, fill, dtype=getattr(m, dt)))


# ---------------------------------------------------------------- ranges

ARANGE_ARGS = [
    (5,), (0,), (-3,), (2.5,), (1, 7), (7, 1), (1, 7, 2), (1, 8, 2), (7, 1, -2), (7, 1, -1),
    (0, 1, 0.1), (0.0, 1.0, 0.3), (1, 2.5, 0.5), (-1.5, 1.5, 0.5), (10, 0, -3), (0, 10, 3),
    (0, 5, 0), (5, 0, 1), (0, 1, -1), (0, 0.9, 0.3), (True, 5), (2 ** 40, 2 ** 40 + 3),
    (0, float("inf")), (0, float("nan")),
]


@pytest.mark.parametrize("i", range(len(ARANGE_ARGS)))
def test_arange(i):
    args = ARANGE_ARGS[i]
    both(lambda m: m.arange(*args))
    for dt in ("uint8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
               "float64", "bool"):
        both(lambda m: m.arange(*args, dtype=getattr(m, dt)))
    if len(args) == 3:
        both(lambda m: m.arange(args[0], args[1], step=args[2]))
        both(lambda m: m.arange(start=args[0], end=args[1], step=args[2]))


LINSPACE_ARGS = [(0, 1, 5), (0, 1, 1), (0, 1, 0), (-3, 7, 11), (1.5, -2.5, 4), (0, 10, 7),
                 (5, 5, 3), (0, 1, 100), (0, 1, -1), (3, -3, 2), (-10, 10, 21)]


@pytest.mark.parametrize("args", LINSPACE_ARGS)
def test_linspace_logspace(args):
    for dt in (None, "float16", "bfloat16", "float32", "float64", "int64", "int32", "uint8"):
        kw = {} if dt is None else {"dtype": dt}
        both(lambda m: m.linspace(*args, **{k: getattr(m, v) for k, v in kw.items()}))
        both(lambda m: m.logspace(*args, **{k: getattr(m, v) for k, v in kw.items()}))
        both(lambda m: m.logspace(*args, base=2.0, **{k: getattr(m, v) for k, v in kw.items()}))
    both(lambda m: m.linspace(args[0], args[1], steps=args[2]))


@pytest.mark.parametrize("nm", [(0,), (1,), (3,), (3, 5), (5, 3), (0, 4), (4, 0), (-1,),
                                (3, -2)])
def test_eye(nm):
    both(lambda m: m.eye(*nm))
    for dt in DTYPE_NAMES:
        both(lambda m: m.eye(*nm, dtype=getattr(m, dt)))


# ---------------------------------------------------------------- *_like

@pytest.mark.parametrize("seed", range(12))
def test_like_factories(seed):
    rng = random.Random(seed)
    x = random_strided(rng, random_shape(rng, 4, 4), TORCH_DTYPE[rng.choice(DTYPE_NAMES)])
    for fn, extra in (("zeros_like", ()), ("ones_like", ()), ("full_like", (7,)),
                      ("full_like", (True,)), ("full_like", (2.5,))):
        both(lambda m, t: getattr(m, fn)(t, *extra), x)
        for dt in ("bool", "int16", "float64", "bfloat16"):
            both(lambda m, t: getattr(m, fn)(t, *extra, dtype=getattr(m, dt)), x)
        both(lambda m, t: getattr(m, fn)(t, *extra, memory_format=m.contiguous_format), x)
        both(lambda m, t: getattr(m, fn)(t, *extra, memory_format=m.preserve_format), x)
    both(lambda m, t: (lambda r: (r.dtype, r.shape, r.stride()))(m.empty_like(t)), x)
    both(lambda m, t: (lambda r: (r.dtype, r.shape, r.stride()))(
        m.empty_like(t, dtype=m.int8)), x)


# ---------------------------------------------------------------- from_numpy / as_tensor

@pytest.mark.parametrize("np_dt", NP_DTYPES)
def test_from_numpy_shares_memory(np_dt):
    base = (np.arange(24) % 5).astype(np_dt).reshape(2, 3, 4)
    for view in (base, base.transpose(2, 0, 1), base[:, 1:, ::2], base[1], base[0, 0, 0:0],
                 np.array(base[0, 0, 0])):
        tt, tf = torch.from_numpy(view), ft.from_numpy(view)
        assert_same(tf, tt, check_offset=True)
        assert tf.untyped_storage().nbytes() == tt.untyped_storage().nbytes()
        if view.size:
            assert tf.data_ptr() == tt.data_ptr() == view.__array_interface__["data"][0]
            view.flat[0] = 1 if np_dt != "bool" else (not view.flat[0])
            assert tf.tolist() == tt.tolist() == view.tolist()
        for dt in (None, "float64", np_dt):
            at = torch.as_tensor(view, dtype=None if dt is None else TORCH_DTYPE[dt])
            af = ft.as_tensor(view, dtype=None if dt is None else getattr(ft, dt))
            assert_same(af, at, check_offset=True)
            assert (af.data_ptr() == tf.data_ptr()) == (at.data_ptr() == tt.data_ptr())


def test_from_numpy_errors():
    for arr in (np.arange(6)[::-1], np.array(["a"]), np.array([None]),
                np.zeros((2, 3))[:, ::-1]):
        both(lambda m: m.from_numpy(arr))
    both(lambda m: m.from_numpy([1, 2]))


def test_as_tensor():
    x = torch.arange(6, dtype=torch.float32).view(2, 3)
    both(lambda m, t: m.as_tensor(t) is t, x)
    both(lambda m, t: m.as_tensor(t, dtype=m.float64), x)
    both(lambda m, t: m.as_tensor(t, dtype=m.float32) is t, x)
    for data in ([1, 2, 3], [[1.5], [2.5]], 3, [True]):
        both(lambda m: m.as_tensor(data))
        both(lambda m: m.as_tensor(data, dtype=m.int16))


# ---------------------------------------------------------------- sum / mean

RED_SHAPES = [(), (5,), (3, 4), (2, 3, 4), (0,), (2, 0, 3), (1, 4, 1)]


def _reductions(nd):
    dims = [None, 0, -1, (0,), (), (0, -1), (-1, 0), tuple(range(nd)), (0, 0), nd]
    out = []
    for d in dims:
        for keepdim in (False, True):
            out.append((d, keepdim))
    return out


def _red_input(seed, shape, dt):
    rng = random.Random(seed)
    return random_strided(rng, shape, TORCH_DTYPE[dt])


@pytest.mark.parametrize("dt", DTYPE_NAMES)
@pytest.mark.parametrize("shape", RED_SHAPES)
def test_sum_mean(shape, dt):
    x = _red_input(hash_seed(shape, dt), shape, dt)
    tol = {"rtol": 1e-2, "atol": 1e-2} if dt in ("float16", "bfloat16") else {}
    both(lambda m, t: t.sum(), x, **tol)
    both(lambda m, t: m.sum(t), x, **tol)
    both(lambda m, t: t.mean(), x, **tol)
    both(lambda m, t: m.mean(t), x, **tol)
    for d, keepdim in _reductions(len(shape)):
        if d is None:
            both(lambda m, t: t.sum(dim=None, keepdim=keepdim), x, **tol)
            continue
        both(lambda m, t: t.sum(d, keepdim=keepdim), x, **tol)
        both(lambda m, t: m.sum(t, dim=d, keepdim=keepdim), x, **tol)
        both(lambda m, t: t.mean(d, keepdim), x, **tol)
        both(lambda m, t: t.mean(dim=d, keepdim=keepdim, dtype=m.float64), x, **tol)
    for out_dt in DTYPE_NAMES:
        low = {"rtol": 1e-2, "atol": 1e-2} if out_dt in ("float16", "bfloat16") else tol
        both(lambda m, t: t.sum(dtype=getattr(m, out_dt)), x, **low)
        both(lambda m, t: t.mean(dtype=getattr(m, out_dt)), x, **low)


def hash_seed(*parts) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate(repr(parts)))


@pytest.mark.parametrize("seed", range(20))
def test_sum_mean_random_layouts(seed):
    rng = random.Random(seed)
    dt = rng.choice(DTYPE_NAMES)
    x = random_strided(rng, random_shape(rng, 4, 5), TORCH_DTYPE[dt])
    nd = x.dim()
    tol = {"rtol": 1e-2, "atol": 1e-2} if dt in ("float16", "bfloat16") else {}
    for _ in range(4):
        dims = tuple(rng.sample(range(nd), rng.randint(0, nd)))
        keepdim = rng.random() < 0.5
        both(lambda m, t: t.sum(dims, keepdim=keepdim), x, **tol)
        both(lambda m, t: t.mean(dims, keepdim=keepdim, dtype=m.float32), x, **tol)
        both(lambda m, t: t.sum(dims, keepdim=keepdim, dtype=m.float64), x, **tol)


def test_mean_of_integers_errors():
    for dt in ("bool", "uint8", "int8", "int16", "int32", "int64"):
        x = torch.ones(2, 3, dtype=TORCH_DTYPE[dt])
        both(lambda m, t: t.mean(), x)
        both(lambda m, t: m.mean(t, 0), x)
        both(lambda m, t: t.mean(dtype=m.int64), x)
        both(lambda m, t: t.mean(dtype=m.float64), x)
    both(lambda m, t: t.mean(dtype=m.int32), torch.ones(2))


def test_sum_out_and_overflow():
    x = torch.full((300,), 100, dtype=torch.int8)
    both(lambda m, t: t.sum(), x)
    both(lambda m, t: t.sum(dtype=m.int8), x)
    both(lambda m, t: t.sum(dtype=m.float16), x)
    y = torch.full((4, 1000), 1e4, dtype=torch.float16)
    both(lambda m, t: t.sum(1), y)
    both(lambda m, t: t.mean(1), y)
    both(lambda m, t: t.sum(1, dtype=m.float32), y)
    z = torch.arange(12, dtype=torch.float32).view(3, 4)
    both(lambda m, t: m.sum(t, 1, out=m.empty(3)), z)
    both(lambda m, t: m.sum(t, 1, keepdim=True, out=m.zeros(3, 1, dtype=m.float64)), z)
    both(lambda m, t: m.sum(t, 1, out=m.zeros(3, dtype=m.int64)), z)
    both(lambda m, t: m.mean(t, (0, 1), out=m.zeros(())), z)
