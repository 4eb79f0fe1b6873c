"""Index ops and advanced indexing, differentially against torch (the oracle).

Inputs are randomly strided (conftest.random_strided) in every dtype; index tensors are built
in torch and copied bit for bit. Each case compares values, shapes and dtypes (or the raised
exception type), and for in-place forms the whole tensor afterwards and the version bump.
"""
from __future__ import annotations

import random

import pytest
import torch

import frankentorch as ft
from conftest import (DTYPE_NAMES, TORCH_DTYPE, assert_same, random_shape, random_strided,
                      run_both, shares_storage_ft, shares_storage_t, to_ft)

# uint8 masks, the legacy scatter reduce and non-tuple sequence keys warn in both libraries
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

N = 40
INT_NAMES = ("uint8", "int8", "int16", "int32", "int64")


def _rng(seed: int, salt: int) -> random.Random:
    return random.Random(seed * 1_000_003 + salt)


def _input(rng, *, min_nd=0, max_nd=3, dtype=None, allow_expand=False, allow_zero=True):
    dt = dtype or rng.choice(DTYPE_NAMES)
    shape = random_shape(rng, max_nd, min_nd=min_nd, allow_zero=allow_zero)
    return random_strided(rng, shape, TORCH_DTYPE[dt], allow_expand=allow_expand)


def _ints(rng, shape, lo, hi, dtype=torch.int64) -> torch.Tensor:
    """Index values in [lo, hi) (a random layout), empty ranges giving zeros."""
    gen = torch.Generator().manual_seed(rng.randrange(1 << 30))
    vals = torch.randint(lo, max(hi, lo + 1), shape, generator=gen) if hi > lo else \
        torch.zeros(shape, dtype=torch.int64)
    if rng.random() < 0.3 and len(shape) >= 1:
        vals = vals.t() if len(shape) == 2 else vals
        vals = vals.contiguous().t() if len(shape) == 2 else vals
    return vals.to(dtype)


def _dim(rng, nd):
    n = max(nd, 1)
    d = rng.randrange(n)
    return d - n if rng.random() < 0.4 else d


def _maybe_bad(rng, idx: torch.Tensor, size: int, p=0.1) -> torch.Tensor:
    """Now and then put one out-of-range (or negative) value into an index tensor."""
    if idx.numel() and rng.random() < p:
        idx = idx.clone()
        idx.view(-1)[rng.randrange(idx.numel())] = rng.choice((size, size + 2, -size - 1, -1))
    return idx


def _inplace_prog(method: str, *args, **kw):
    """A program running ``x.method_(*args)`` returning the result, x and the version bump."""
    def prog(lib, x, *tensors):
        v0 = x._version
        r = getattr(x, method)(*_fill(args, tensors), **kw)
        return r, x, x._version - v0
    return prog


def _fill(args, tensors):
    """Replace the placeholders 'T0', 'T1'… in ``args`` by the given tensors."""
    return [tensors[int(a[1:])] if isinstance(a, str) and a[:1] == "T" and a[1:].isdigit()
            else a for a in args]


# ------------------------------------------------------------------ index_select / take

@pytest.mark.parametrize("seed", range(N))
def test_index_select(seed):
    rng = _rng(seed, 1)
    x = _input(rng)
    d = _dim(rng, x.ndim)
    size = x.shape[d] if x.ndim else 1
    shape = rng.choice(((rng.randrange(5),), (), (0,)))
    idx = _maybe_bad(rng, _ints(rng, shape, 0, size, rng.choice((torch.int64, torch.int32))),
                     size)
    run_both(lambda lib, x, i: lib.index_select(x, d, i), x, idx)
    run_both(lambda lib, x, i: x.index_select(d, i), x, idx)


@pytest.mark.parametrize("seed", range(N // 2))
def test_take(seed):
    rng = _rng(seed, 2)
    x = _input(rng)
    n = x.numel()
    idx = _maybe_bad(rng, _ints(rng, random_shape(rng, 2), -n, n), n)
    run_both(lambda lib, x, i: lib.take(x, i), x, idx)


def test_index_errors_match():
    x = torch.arange(12.).reshape(3, 4)
    cases = [
        lambda lib, x: x.index_select(0, lib.tensor([1.0])),
        lambda lib, x: x.index_select(0, lib.tensor([[1]])),
        lambda lib, x: x.index_select(2, lib.tensor([1])),
        lambda lib, x: x.gather(0, lib.tensor([1])),
        lambda lib, x: x.gather(0, lib.tensor([[1.0]])),
        lambda lib, x: x.gather(0, lib.zeros(4, 5, dtype=lib.int64)),
        lambda lib, x: x.scatter(0, lib.tensor([[1]]), lib.zeros(1, 1, dtype=lib.int64)),
        lambda lib, x: x.scatter(0, lib.tensor([[1, 2]]), lib.zeros(1, 1)),
        lambda lib, x: x.scatter(0, lib.tensor([[1]]), 2.0, reduce="mean"),
        lambda lib, x: x.scatter_reduce(0, lib.tensor([[1]]), lib.ones(1, 1), "foo"),
        lambda lib, x: x.index_add(0, lib.tensor([1]), lib.ones(1, 4, dtype=lib.float64)),
        lambda lib, x: x.index_add(0, lib.tensor([1]), lib.ones(2, 4)),
        lambda lib, x: x.index_add(0, lib.tensor([1]), lib.ones(1, 3)),
        lambda lib, x: x.index_copy(0, lib.tensor([1], dtype=lib.int32), lib.ones(1, 4)),
        lambda lib, x: x.index_copy(0, lib.tensor([1]), lib.ones(4)),
        lambda lib, x: x.index_fill(0, lib.tensor([1]), lib.tensor([1.0])),
        lambda lib, x: x.index_fill(0, lib.tensor([1], dtype=lib.int32), 1),
        lambda lib, x: x.take(lib.tensor([1], dtype=lib.int32)),
        lambda lib, x: x.take_along_dim(lib.tensor([1]), 0),
        lambda lib, x: x.take_along_dim(lib.tensor([[1]], dtype=lib.int32), 0),
        lambda lib, x: x.masked_select(lib.ones(4, dtype=lib.uint8)),
        lambda lib, x: x.masked_select(lib.ones(2, dtype=lib.bool)),
        lambda lib, x: x.masked_scatter(lib.ones(4, dtype=lib.bool), lib.ones(2)),
        lambda lib, x: x.masked_scatter(lib.ones(4, dtype=lib.bool), lib.ones(20).double()),
        lambda lib, x: x.index_put_((lib.tensor([1]),), lib.ones(2)),
        lambda lib, x: x.index_put_((lib.tensor([1]),), lib.ones(4, dtype=lib.float64)),
        lambda lib, x: x.index_put_((lib.tensor([1], dtype=lib.int16),), lib.tensor(1.0)),
        lambda lib, x: lib.index_put(x, (lib.tensor([1, 1]),), lib.tensor(2.0), True),
    ]
    for prog in cases:
        run_both(prog, x.clone())


# ------------------------------------------------------------------ gather / take_along_dim

def _along_index(rng, x, d, *, lo=0, extra=0, dtype=torch.int64):
    """An index for gather-like ops: same ndim as x, sizes no larger than x's off ``d``."""
    nd = max(x.ndim, 1)
    xs = list(x.shape) or [1]
    shape = [rng.randrange(xs[e] + 1) if e != d % nd else rng.randrange(4) for e in range(nd)]
    if x.ndim == 0 and rng.random() < 0.5:
        shape = []
    size = xs[d % nd]
    return _ints(rng, shape, lo, size + extra, dtype)


@pytest.mark.parametrize("seed", range(N))
def test_gather(seed):
    rng = _rng(seed, 3)
    x = _input(rng)
    d = _dim(rng, x.ndim)
    idx = _along_index(rng, x, d, dtype=rng.choice((torch.int64, torch.int32)))
    idx = _maybe_bad(rng, idx, (list(x.shape) or [1])[d % max(x.ndim, 1)])
    run_both(lambda lib, x, i: lib.gather(x, d, i), x, idx)


@pytest.mark.parametrize("seed", range(N // 2))
def test_take_along_dim(seed):
    rng = _rng(seed, 4)
    x = _input(rng, min_nd=1, allow_zero=False)
    d = _dim(rng, x.ndim)
    shape = [rng.choice((1, n)) for n in x.shape]
    shape[d] = rng.randrange(4)
    idx = _ints(rng, shape, 0, x.shape[d])
    run_both(lambda lib, x, i: lib.take_along_dim(x, i, d), x, idx)
    flat = _ints(rng, (rng.randrange(5),), 0, x.numel())
    run_both(lambda lib, x, i: x.take_along_dim(i), x, flat)


# ------------------------------------------------------------------ scatter family

def _unique_along(rng, x, d, shape):
    """Index values along ``d`` with no duplicate target (scatter with duplicates is
    nondeterministic in torch): each column is a prefix of a permutation."""
    nd = max(x.ndim, 1)
    size = (list(x.shape) or [1])[d % nd]
    dd = d % nd
    shape = list(shape)
    shape[dd] = min(shape[dd], size)
    idx = torch.empty(shape, dtype=torch.int64)
    if idx.numel():
        moved = idx.movedim(dd, -1).reshape(-1, shape[dd])
        for r in range(moved.shape[0]):
            perm = list(range(size))
            rng.shuffle(perm)
            moved[r] = torch.tensor(perm[:shape[dd]], dtype=torch.int64)
        idx = moved.reshape([shape[e] for e in range(nd) if e != dd] + [shape[dd]]).movedim(-1, dd)
    return idx.reshape([]) if x.ndim == 0 and idx.numel() == 1 else idx


@pytest.mark.parametrize("seed", range(N))
def test_scatter(seed):
    rng = _rng(seed, 5)
    x = _input(rng)
    d = _dim(rng, x.ndim)
    idx = _along_index(rng, x, d)
    idx = _unique_along(rng, x, d, idx.shape if idx.ndim else [1])
    idx = _maybe_bad(rng, idx, (list(x.shape) or [1])[d % max(x.ndim, 1)], p=0.08)
    src = random_strided(rng, [n + rng.randrange(2) for n in idx.shape], x.dtype)
    run_both(lambda lib, x, i, s: lib.scatter(x, d, i, s), x, idx, src)
    value = rng.choice((2, -1.5, True)) if x.dtype.is_floating_point else rng.choice((2, True))
    run_both(lambda lib, x, i: x.scatter(d, i, value), x, idx)
    run_both(_inplace_prog("scatter_", d, "T0", "T1"), x.clone(), idx, src)
    if x.dtype != torch.bool:
        reduce = rng.choice(("add", "multiply"))
        run_both(lambda lib, x, i, s: x.scatter(d, i, s, reduce=reduce), x, idx, src)


def _dup_index(rng, x, d):
    idx = _along_index(rng, x, d)
    return _maybe_bad(rng, idx, (list(x.shape) or [1])[d % max(x.ndim, 1)], p=0.08)


@pytest.mark.parametrize("seed", range(N))
def test_scatter_add_and_reduce(seed):
    rng = _rng(seed, 6)
    x = _input(rng, dtype=rng.choice(INT_NAMES + ("float32", "float64", "float16", "bool")))
    d = _dim(rng, x.ndim)
    idx = _dup_index(rng, x, d)
    src = random_strided(rng, [n + rng.randrange(2) for n in idx.shape], x.dtype)
    run_both(lambda lib, x, i, s: lib.scatter_add(x, d, i, s), x, idx, src)
    run_both(_inplace_prog("scatter_add_", d, "T0", "T1"), x.clone(), idx, src)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        include = rng.random() < 0.5
        run_both(lambda lib, x, i, s: x.scatter_reduce(d, i, s, reduce, include_self=include),
                 x, idx, src)


@pytest.mark.parametrize("seed", range(N))
def test_index_add_copy_fill(seed):
    rng = _rng(seed, 7)
    x = _input(rng, dtype=rng.choice(DTYPE_NAMES))
    d = _dim(rng, x.ndim)
    size = x.shape[d] if x.ndim else 1
    n = rng.randrange(5)
    idx = _maybe_bad(rng, _ints(rng, (n,) if x.ndim or rng.random() < 0.5 else (), 0, size),
                     size, p=0.08)
    sshape = list(x.shape)
    if sshape:
        sshape[d] = idx.numel()
    src = random_strided(rng, sshape, x.dtype)
    exact = not x.dtype.is_floating_point or x.dtype == torch.float64
    if exact or rng.random() < 0.5:
        alpha = rng.choice((1, 2, -1)) if x.dtype != torch.bool else True
        run_both(lambda lib, x, i, s: lib.index_add(x, d, i, s, alpha=alpha), x, idx, src)
        run_both(_inplace_prog("index_add_", d, "T0", "T1"), x.clone(), idx, src)
    # index_copy with duplicate indices is nondeterministic in torch: unique targets only
    perm = list(range(size))
    rng.shuffle(perm)
    uidx = torch.tensor(perm[:min(n, size)], dtype=torch.int64)
    if sshape:
        sshape[d] = uidx.numel()
    src2 = random_strided(rng, sshape, x.dtype)
    run_both(lambda lib, x, i, s: lib.index_copy(x, d, i, s), x, uidx, src2)
    run_both(_inplace_prog("index_copy_", d, "T0", "T1"), x.clone(), uidx, src2)
    fidx = _maybe_bad(rng, _ints(rng, (n,), -size, size), size, p=0.08)
    value = rng.choice((3, -2.5, True)) if x.dtype.is_floating_point else rng.choice((3, True))
    run_both(lambda lib, x, i: lib.index_fill(x, d, i, value), x, fidx)
    if x.numel():  # (torch's Tensor-value form fails inside as_strided on empty inputs)
        run_both(lambda lib, x, i, v: x.index_fill(d, i, v), x, fidx, torch.tensor(value))
    run_both(_inplace_prog("index_fill_", d, "T0", value), x.clone(), fidx)


# ------------------------------------------------------------------ masks, nonzero

def _mask(rng, shape, p=0.5) -> torch.Tensor:
    gen = torch.Generator().manual_seed(rng.randrange(1 << 30))
    return torch.rand(shape, generator=gen) < p


@pytest.mark.parametrize("seed", range(N // 2))
def test_masked_select_scatter_nonzero(seed):
    rng = _rng(seed, 8)
    x = _input(rng)
    mshape = tuple(rng.choice((1, n)) for n in x.shape)[rng.randrange(x.ndim + 1):]
    if rng.random() < 0.1:
        mshape = (7,) + mshape
    m = _mask(rng, mshape)
    run_both(lambda lib, x, m: lib.masked_select(x, m), x, m)
    src = random_strided(rng, (x.numel() + rng.randrange(-1, 3),) if x.numel() else (1,),
                         x.dtype)
    run_both(lambda lib, x, m, s: lib.masked_scatter(x, m, s), x, m, src)
    run_both(_inplace_prog("masked_scatter_", "T0", "T1"), x.clone(), m, src)
    run_both(lambda lib, x: lib.nonzero(x), x)
    run_both(lambda lib, x: x.nonzero(as_tuple=True), x)
    run_both(lambda lib, x: lib.argwhere(x), x)


# ------------------------------------------------------------------ index_put

@pytest.mark.parametrize("seed", range(N))
def test_index_put(seed):
    rng = _rng(seed, 9)
    x = _input(rng, min_nd=1, dtype=rng.choice(INT_NAMES + ("float64", "bool")))
    k = rng.randint(1, x.ndim)
    bshape = random_shape(rng, 2, max_size=3)
    idx = []
    for e in range(k):
        if rng.random() < 0.25 and e + 1 < k:
            idx.append(None)  # torch's Python binding refuses None: a TypeError case
        else:
            idx.append(_maybe_bad(rng, _ints(rng, bshape, -x.shape[e], x.shape[e]), x.shape[e],
                                  p=0.05))
    if all(i is None for i in idx):
        idx[0] = _ints(rng, bshape, 0, x.shape[0])
    probe = torch.zeros(x.shape)
    try:
        rshape = probe[tuple(slice(None) if i is None else i for i in idx)].shape
    except IndexError:
        rshape = (1,)
    vals = random_strided(rng, [rng.choice((1, n)) for n in rshape][rng.randrange(2):], x.dtype)
    accumulate = True  # accumulate is exact for these dtypes, whatever the duplicates
    run_both(lambda lib, x, v, *ii: lib.index_put(x, tuple(_nones(idx, ii)), v, accumulate),
             x, vals, *[i for i in idx if i is not None])
    run_both(lambda lib, x, v, *ii: _vput(x, tuple(_nones(idx, ii)), v, accumulate),
             x.clone(), vals, *[i for i in idx if i is not None])


def _vput(x, indices, v, accumulate):
    v0 = x._version
    r = x.index_put_(indices, v, accumulate)
    return r, x, x._version - v0


def _nones(pattern, tensors):
    it = iter(tensors)
    return [None if p is None else next(it) for p in pattern]


# ------------------------------------------------------------------ __getitem__ / __setitem__

def _random_key(rng, x):
    """A random key (torch and frankentorch builders) over ``x``: ints, slices, None,
    Ellipsis, lists, int32/int64 tensors, bool masks, Python bools, 0-d tensors."""
    shape = list(x.shape)
    specs = []
    d = 0
    used_ellipsis = False
    n_items = rng.randint(1, 4)
    for _ in range(n_items):
        left = len(shape) - d
        kind = rng.choice(("int", "slice", "slice", "none", "ellipsis", "list", "tensor",
                           "tensor", "mask", "pybool", "t0int", "t0bool", "bad"))
        if kind in ("int", "slice", "list", "tensor", "t0int") and left <= 0:
            kind = rng.choice(("none", "pybool"))
        if kind == "bad" and rng.random() < 0.7:
            kind = "tensor" if left > 0 else "none"
        if kind == "ellipsis":
            specs.append(("none",) if used_ellipsis else ("ellipsis",))
            used_ellipsis = True
            continue
        n = shape[d] if left > 0 else 1
        if kind == "int":
            specs.append(("int", rng.randint(-n - 1, n)))
            d += 1
        elif kind == "t0int":
            specs.append(("t0int", rng.randint(-n, max(n - 1, -n))))
            d += 1
        elif kind == "slice":
            specs.append(("slice", rng.choice((None, rng.randint(-n - 1, n + 1))),
                          rng.choice((None, rng.randint(-n - 1, n + 1))),
                          rng.choice((None, 1, 2, 3))))
            d += 1
        elif kind == "none":
            specs.append(("none",))
        elif kind in ("pybool", "t0bool"):
            specs.append((kind, rng.random() < 0.7))
        elif kind == "list":
            specs.append(("list", [rng.randint(-n, max(n - 1, -n)) for _ in
                                   range(rng.randrange(4))]))
            d += 1
        elif kind == "tensor":
            ishape = random_shape(rng, 2, max_size=3)
            t = _maybe_bad(rng, _ints(rng, ishape, -n, n,
                                      rng.choice((torch.int64, torch.int32))), n, p=0.05)
            specs.append(("tensor", t))
            d += 1
        elif kind == "mask":
            k = rng.randint(0 if left <= 0 else 1, max(min(left, 2), 0)) if left > 0 else 0
            mshape = shape[d:d + k]
            if rng.random() < 0.1 and mshape:
                mshape = [mshape[0] + 1] + mshape[1:]
            specs.append(("mask", _mask(rng, mshape) if rng.random() < 0.9
                          else _mask(rng, mshape).to(torch.uint8)))
            d += k
        elif kind == "bad":
            specs.append(("tensor", torch.zeros(2, dtype=rng.choice((torch.float32,
                                                                     torch.int16)))))
            d += 1
    return specs


def _key(lib, specs):
    out = []
    for s in specs:
        kind = s[0]
        if kind == "int":
            out.append(s[1])
        elif kind == "slice":
            out.append(slice(s[1], s[2], s[3]))
        elif kind == "none":
            out.append(None)
        elif kind == "ellipsis":
            out.append(Ellipsis)
        elif kind == "pybool":
            out.append(s[1])
        elif kind == "t0bool":
            out.append(lib.tensor(s[1]))
        elif kind == "t0int":
            out.append(lib.tensor(s[1]))
        elif kind == "list":
            out.append(list(s[1]))
        else:
            out.append(s[1] if lib is torch else to_ft(s[1]))
    return out[0] if len(out) == 1 and isinstance(out[0], (list, torch.Tensor, ft.Tensor)) \
        and False else tuple(out)


def _single(lib, specs):
    """The key as Python passes a lone item (not wrapped in a tuple)."""
    k = _key(lib, specs)
    return k[0] if len(k) == 1 else k


@pytest.mark.parametrize("seed", range(120))
def test_getitem_random(seed):
    rng = _rng(seed, 10)
    x = _input(rng, max_nd=4, allow_expand=True)
    specs = _random_key(rng, x)

    def prog(lib, x):
        return x[_single(lib, specs)]
    x_f = to_ft(x)
    try:
        r_t = prog(torch, x)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            prog(ft, x_f)
        return
    r_f = prog(ft, x_f)
    assert_same(r_f, r_t, check_stride=shares_storage_t(r_t, x))
    assert shares_storage_ft(r_f, x_f) == shares_storage_t(r_t, x)


@pytest.mark.parametrize("seed", range(120))
def test_setitem_random(seed):
    rng = _rng(seed, 11)
    x = _input(rng, max_nd=4)
    specs = _random_key(rng, x)
    try:
        probe = torch.arange(x.numel()).reshape(x.shape)[_single(torch, specs)]
    except Exception:  # noqa: BLE001
        probe = None
    if probe is not None and probe.unique().numel() == probe.numel() and rng.random() < 0.7:
        vshape = [rng.choice((1, n)) for n in probe.shape][rng.randrange(probe.ndim + 1):]
        if rng.random() < 0.2:
            vshape = [1] + vshape
        value = random_strided(rng, vshape, x.dtype)
        if rng.random() < 0.1:
            value = value.to(torch.float64 if x.dtype != torch.float64 else torch.int64)
    else:
        value = rng.choice((1, 0, True, -2.5)) if x.dtype.is_floating_point \
            else rng.choice((1, 0, True, 3))

    def prog(lib, x, *v):
        v0 = x._version
        x[_single(lib, specs)] = v[0] if v else value
        return x, x._version - v0
    if isinstance(value, torch.Tensor):
        run_both(prog, x, value)
    else:
        run_both(prog, x)


@pytest.mark.parametrize("key", [
    "[[0, 2]]", "[:, [1, 3]]", "[[0, 1], [1, 2]]", "[[0, 1], None, [1, 2]]", "[True, [0, 1]]",
    "[[0, 1], True]", "[None, [0, 1], :]", "[..., None, [1]]", "[-1, [-1, -4]]",
    "[[[0, 1], [1, 2]]]", "[[[0, 1]]]", "[[]]", "[[1.7]]", "[[0, slice(None)]]",
    "[[True, False, True]]", "[[[True, False, True]]]", "[torch_t(1)]", "[torch_t(True)]",
    "[False]", "[None, True, ..., None]", "[torch_t([0, 1]), ..., torch_t([[0], [1]])]",
    "[[0, 1], [0, 1, 2]]", "[[-4]]", "[[3]]", "[1.5]", "[[0, 1], ..., [0, 1]]",
    "[torch_t([True, False])]", "[torch_t([1.0])]", "['a']", "[[1, 'a']]",
])
def test_getitem_fixed_keys(key):
    def prog(lib, x):
        return eval("x" + key.replace("torch_t", "lib.tensor"), {"lib": lib, "x": x})
    run_both(prog, torch.arange(12.0).reshape(3, 4), check_stride=False)


def test_mask_shape_error_message():
    x = ft.arange(3.0)
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not "
                                         r"match the shape of the indexed tensor \[3\] at index 0"):
        x[ft.tensor([True, False])]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[ft.tensor([5])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        x[ft.tensor([1.0])]


def test_zero_size_dims():
    cases = [
        (torch.zeros(3, 0), lambda lib, x: x[[5]]),
        (torch.zeros(0, 4), lambda lib, x: x[[0]]),
        (torch.zeros(0, 4), lambda lib, x: x[lib.tensor([], dtype=lib.int64)]),
        (torch.zeros(0, 4), lambda lib, x: x.index_select(0, lib.tensor([], dtype=lib.int64))),
        (torch.zeros(0, 4), lambda lib, x: x.gather(1, lib.zeros(0, 2, dtype=lib.int64))),
        (torch.zeros(3, 0), lambda lib, x: x.nonzero()),
        (torch.zeros(3, 0), lambda lib, x: x.take(lib.tensor([], dtype=lib.int64))),
        (torch.zeros(3, 0), lambda lib, x: x.take(lib.tensor([0]))),
    ]
    for x, prog in cases:
        run_both(prog, x)


LAYOUTS = {"contiguous": lambda t: t, "permuted": lambda t: t.permute(2, 0, 1),
           "transposed": lambda t: t.transpose(1, 2)}
ADVANCED_KEYS = [
    lambda lib, t: t[lib.tensor([0, 2])],
    lambda lib, t: t[:, lib.tensor([0, 2])],
    lambda lib, t: t[:, :, lib.tensor([0, 2])],
    lambda lib, t: t[lib.tensor([0, 2]), :, lib.tensor([1, 3])],
    lambda lib, t: t[:, lib.tensor([0, 2]), :2],
    lambda lib, t: t[lib.tensor([[0, 1], [2, 3]])],
    lambda lib, t: t[:, lib.tensor([[0, 1], [2, 3]]).t()],
    lambda lib, t: t[lib.tensor([True, False, True, True])[:t.shape[0]]],
]


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("key", range(len(ADVANCED_KEYS)))
def test_advanced_index_result_layout(layout, key):
    """at::index lays its result out as TensorIterator orders the source and the indices."""
    x = torch.randn(4, 5, 6)
    run_both(lambda lib, t: ADVANCED_KEYS[key](lib, LAYOUTS[layout](t)), x)
