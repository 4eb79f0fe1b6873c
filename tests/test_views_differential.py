"""View ops, contiguous/clone/copy_/to, differentially against torch on random layouts.

Every case builds a randomly strided input in torch (sliced, permuted, as_strided with an
offset, sometimes expanded), rebuilds the same storage layout in frankentorch, runs the same
program on both, and compares sizes, strides, storage offsets, values, contiguity, storage
sharing, version-counter sharing and raised exception types.
"""
from __future__ import annotations

import math
import random

import pytest
import torch

import frankentorch as ft
from conftest import (DTYPE_NAMES, TORCH_DTYPE, assert_same, dname, random_shape,
                      random_strided, run_both, shares_storage_ft, shares_storage_t, to_ft)

N_SEEDS = 24


def _input(seed: int, *, min_nd: int = 0, max_nd: int = 4, dtype: str | None = None,
           allow_expand: bool = True):
    rng = random.Random(seed * 7919 + 17)
    dt = dtype or rng.choice(DTYPE_NAMES)
    shape = random_shape(rng, max_nd, min_nd=min_nd)
    return rng, random_strided(rng, shape, TORCH_DTYPE[dt], allow_expand=allow_expand)


def _as_list(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _bump(v):
    """An in-place add_ on a view (True for bool, whose add with 1 cannot cast back)."""
    return v.add_(True if dname(v.dtype) == "bool" else 1)


def check_view(prog, x_t: torch.Tensor) -> None:
    """Run ``prog`` on both libraries; on success compare each result's geometry and values,
    whether it shares the input's storage, and what an in-place add_ on it does to the input
    (values and version counter)."""
    x_f = to_ft(x_t)
    try:
        r_t = prog(torch, x_t)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            prog(ft, x_f)
        return
    r_f = prog(ft, x_f)
    outs_t, outs_f = _as_list(r_t), _as_list(r_f)
    assert len(outs_f) == len(outs_t)
    for a, b in zip(outs_f, outs_t):
        assert_same(a, b, check_offset=shares_storage_t(b, x_t))
        assert shares_storage_ft(a, x_f) == shares_storage_t(b, x_t), \
            "storage sharing differs from torch"
        if shares_storage_t(b, x_t) and b.numel():
            assert a.data_ptr() == b.data_ptr() - x_t.untyped_storage().data_ptr() + \
                x_f.untyped_storage().data_ptr()
    for a, b in zip(outs_f, outs_t):
        v0_t, v0_f = x_t._version, x_f._version
        err = None
        try:
            _bump(b)
        except RuntimeError as e:
            err = e
        if err is not None:
            # writes through self-overlapping views are refused by torch; that error is
            # checked by test_inplace_through_overlapping_view_raises
            continue
        _bump(a)
        assert x_f._version - v0_f == x_t._version - v0_t, "version counter not shared as in torch"
        assert_same(a, b, check_stride=False)
        assert_same(x_f, x_t, check_offset=True)


def _dims(rng, nd, extra=1):
    """A dim in range, wrapped negative half the time, out of range now and then."""
    n = max(nd, 1)
    if rng.random() < 0.08:
        return rng.choice((n + extra - 1, -n - extra))
    d = rng.randrange(n)
    return d - n if rng.random() < 0.5 else d


seeds = pytest.mark.parametrize("seed", range(N_SEEDS))


def test_inplace_through_overlapping_view_raises():
    base = torch.arange(6, dtype=torch.float32)
    for view in (lambda t: t[:1].expand(4), lambda t: t.view(2, 3)[:, :1].expand(2, 3),
                 lambda t: t.unfold(0, 3, 1), lambda t: t.as_strided((2, 2), (1, 1)),
                 lambda t: t.as_strided((3,), (0,))):
        for inplace in (lambda v: v.add_(1), lambda v: v.mul_(2), lambda v: v.sub_(1),
                        lambda v: v.div_(2), lambda v: v.copy_(v.clone())):
            run_both(lambda m, t: inplace(view(t)), base)


# ---------------------------------------------------------------- view / reshape

def _shape_candidates(rng, shape):
    n = math.prod(shape)
    cands = [(-1,), (n,), tuple(reversed(shape)), (1,) + tuple(shape), (n + 1,), (-1, -1)]
    if len(shape) >= 2:
        i = rng.randrange(len(shape) - 1)
        cands.append(shape[:i] + (shape[i] * shape[i + 1],) + shape[i + 2:])
    for i, s in enumerate(shape):
        for a in range(2, s):
            if s % a == 0:
                cands.append(shape[:i] + (a, s // a) + shape[i + 1:])
                break
    if shape:
        i = rng.randrange(len(shape))
        cands.append(shape[:i] + (-1,) + shape[i + 1:])
    if n == 0:
        cands += [(0, -1), (2, 0, 3)]
    if n == 1:
        cands += [(), (1, 1, 1)]
    cands.append((-2,) + tuple(shape))
    return cands


@seeds
@pytest.mark.parametrize("op", ["view", "reshape"])
def test_view_reshape(seed, op):
    rng, x = _input(seed)
    for shape in _shape_candidates(rng, tuple(x.shape)):
        star = rng.random() < 0.5 and len(shape) > 0
        if star:
            check_view(lambda m, t, s=shape: getattr(t, op)(*s), x)
        else:
            check_view(lambda m, t, s=shape: getattr(t, op)(s), x)
    if op == "reshape":
        shape = _shape_candidates(rng, tuple(x.shape))[2]
        check_view(lambda m, t: m.reshape(t, shape), x)


def test_view_on_transposed_fails_like_torch():
    x = torch.arange(24.).view(2, 3, 4).transpose(1, 2)
    for shape in [(24,), (2, 12), (8, 3), (2, 4, 3), (4, 2, 3), (2, 2, 2, 3), (1, 2, 4, 3)]:
        check_view(lambda m, t, s=shape: t.view(s), x)
        check_view(lambda m, t, s=shape: t.reshape(s), x)


# ---------------------------------------------------------------- dim shuffles

@seeds
def test_transpose(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(6):
        d0, d1 = _dims(rng, nd), _dims(rng, nd)
        check_view(lambda m, t: t.transpose(d0, d1), x)
        check_view(lambda m, t: m.transpose(t, d0, d1), x)


@seeds
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_t_T_mT(seed):
    rng, x = _input(seed)
    check_view(lambda m, t: t.t(), x)
    check_view(lambda m, t: m.t(t), x)
    check_view(lambda m, t: t.T, x)
    check_view(lambda m, t: t.mT, x)


@seeds
def test_permute(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(4):
        perm = list(range(nd))
        rng.shuffle(perm)
        perm = [d - nd if rng.random() < 0.3 else d for d in perm]
        check_view(lambda m, t: t.permute(*perm), x)
        check_view(lambda m, t: t.permute(perm), x)
        check_view(lambda m, t: m.permute(t, tuple(perm)), x)
    if nd >= 2:
        check_view(lambda m, t: t.permute([0] * nd), x)
    check_view(lambda m, t: t.permute(list(range(nd + 1))), x)


@seeds
def test_movedim(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(4):
        s, d = _dims(rng, nd), _dims(rng, nd)
        check_view(lambda m, t: t.movedim(s, d), x)
        check_view(lambda m, t: m.movedim(t, s, d), x)
        k = rng.randint(0, nd)
        src = rng.sample(range(nd), k)
        dst = rng.sample(range(nd), k)
        check_view(lambda m, t: t.movedim(tuple(src), tuple(dst)), x)
    if nd >= 2:
        check_view(lambda m, t: t.movedim((0, 0), (0, 1)), x)
        check_view(lambda m, t: t.movedim((0, 1), (1,)), x)


# ---------------------------------------------------------------- slicing ops

@seeds
def test_narrow_select(seed):
    rng, x = _input(seed, min_nd=0)
    nd = x.dim()
    for _ in range(6):
        dim = _dims(rng, nd)
        size = x.shape[dim] if -nd <= dim < nd else 3
        start = rng.randint(-size - 1, size + 1)
        length = rng.randint(-1, size + 1)
        check_view(lambda m, t: t.narrow(dim, start, length), x)
        index = rng.randint(-size - 1, size)
        check_view(lambda m, t: t.select(dim, index), x)
        check_view(lambda m, t: m.select(t, dim, index), x)


@seeds
def test_unsqueeze_squeeze(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for d in range(-nd - 2, nd + 2):
        check_view(lambda m, t: t.unsqueeze(d), x)
    check_view(lambda m, t: t.squeeze(), x)
    check_view(lambda m, t: m.squeeze(t), x)
    for d in range(-nd - 1, nd + 1):
        check_view(lambda m, t: t.squeeze(d), x)
    for _ in range(3):
        dims = tuple(d - nd if rng.random() < 0.4 else d
                     for d in rng.sample(range(nd), rng.randint(0, nd)))
        check_view(lambda m, t: t.squeeze(dims), x)
        check_view(lambda m, t: m.squeeze(t, dims), x)


@seeds
def test_expand(seed):
    rng, x = _input(seed, max_nd=3)
    shape = list(x.shape)
    for _ in range(5):
        sizes = [rng.choice((1, 3, -1)) if n == 1 else rng.choice((n, n, -1)) for n in shape]
        lead = [rng.choice((2, 1, 0)) for _ in range(rng.randint(0, 2))]
        target = lead + sizes
        check_view(lambda m, t: t.expand(*target), x)
        check_view(lambda m, t: t.expand(target), x)
        if -1 not in target:
            check_view(lambda m, t: t.expand_as(m.empty(target)), x)
    # errors: fewer sizes, a new leading -1, changing a non-singleton dim
    check_view(lambda m, t: t.expand(shape[1:]), x)
    check_view(lambda m, t: t.expand([-1] + shape), x)
    big = [n + 1 if n > 1 else n for n in shape]
    check_view(lambda m, t: t.expand(big), x)


@seeds
def test_flatten_unflatten(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(4):
        s, e = _dims(rng, nd), _dims(rng, nd)
        check_view(lambda m, t: t.flatten(s, e), x)
        check_view(lambda m, t: m.flatten(t, s), x)
    check_view(lambda m, t: t.flatten(), x)
    if nd:
        d = rng.randrange(nd)
        n = x.shape[d]
        cands = [(n,), (1, n), (n, 1), (-1,), (1, -1), (n + 1,), (-1, -1), ()]
        cands += [(a, n // a) for a in range(2, n) if n % a == 0]
        cands += [(a, -1) for a in range(2, n) if n % a == 0]
        if n == 0:
            cands += [(0, -1), (2, 0)]
        for sizes in cands:
            dd = d - nd if rng.random() < 0.5 else d
            check_view(lambda m, t: t.unflatten(dd, sizes), x)


@seeds
def test_as_strided(seed):
    rng, x = _input(seed)
    nbytes = x.untyped_storage().nbytes() // x.element_size()
    for _ in range(6):
        k = rng.randint(0, 3)
        size = [rng.randint(0, 4) for _ in range(k)]
        stride = [rng.randint(0, 5) for _ in range(k)]
        offset = rng.choice((None, 0, rng.randint(0, nbytes + 2)))
        if offset is None:
            check_view(lambda m, t: t.as_strided(size, stride), x)
        else:
            check_view(lambda m, t: t.as_strided(size, stride, offset), x)
            check_view(lambda m, t: m.as_strided(t, size, stride, offset), x)
    check_view(lambda m, t: t.as_strided([2, 2], [1]), x)


@seeds
def test_diagonal(seed):
    rng, x = _input(seed, min_nd=1)
    nd = x.dim()
    for _ in range(6):
        off = rng.randint(-4, 4)
        d1, d2 = _dims(rng, nd), _dims(rng, nd)
        check_view(lambda m, t: t.diagonal(off, d1, d2), x)
        check_view(lambda m, t: m.diagonal(t, offset=off, dim1=d1, dim2=d2), x)
    check_view(lambda m, t: t.diagonal(), x)


@seeds
def test_unfold(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(6):
        d = _dims(rng, nd)
        n = x.shape[d] if -nd <= d < nd and nd else 1
        size = rng.randint(-1, n + 1)
        step = rng.randint(0, 3)
        check_view(lambda m, t: t.unfold(d, size, step), x)


@seeds
def test_split_chunk_unbind(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(4):
        d = _dims(rng, nd)
        n = x.shape[d] if -nd <= d < nd and nd else 2
        split_size = rng.randint(0, n + 1)
        check_view(lambda m, t: t.split(split_size, d), x)
        check_view(lambda m, t: m.split(t, split_size, dim=d), x)
        cuts = sorted(rng.randint(0, n) for _ in range(rng.randint(0, 2)))
        sizes = [b - a for a, b in zip([0] + cuts, cuts + [n])]
        check_view(lambda m, t: t.split(sizes, d), x)
        check_view(lambda m, t: t.split(sizes + [1], d), x)
        chunks = rng.randint(0, n + 2)
        check_view(lambda m, t: t.chunk(chunks, d), x)
        check_view(lambda m, t: m.chunk(t, chunks, d), x)
        check_view(lambda m, t: t.unbind(d), x)
        check_view(lambda m, t: m.unbind(t, d), x)


@seeds
def test_detach(seed):
    rng, x = _input(seed)
    check_view(lambda m, t: t.detach(), x)


# ---------------------------------------------------------------- __getitem__

def _random_key(rng, nd):
    items = []
    used = 0
    ellipsis = False
    while True:
        r = rng.random()
        if r < 0.15:
            items.append(None)
        elif r < 0.25 and not ellipsis:
            items.append(Ellipsis)
            ellipsis = True
        elif r < 0.55 and used < nd + 1:
            items.append(rng.randint(-4, 4))
            used += 1
        elif used < nd + 1:
            start = rng.choice((None, rng.randint(-5, 5)))
            stop = rng.choice((None, rng.randint(-5, 6)))
            step = rng.choice((None, 1, 2, 3)) if rng.random() > 0.04 else rng.choice((0, -1))
            items.append(slice(start, stop, step))
            used += 1
        if rng.random() < 0.3 or len(items) > nd + 2:
            break
    if len(items) == 1 and rng.random() < 0.5:
        return items[0]
    return tuple(items)


@seeds
def test_getitem(seed):
    rng, x = _input(seed)
    nd = x.dim()
    for _ in range(12):
        key = _random_key(rng, nd)
        check_view(lambda m, t: t[key], x)
    check_view(lambda m, t: t[...], x)
    check_view(lambda m, t: t[()], x)
    check_view(lambda m, t: t[None, ..., None], x)
    check_view(lambda m, t: t[..., ...], x)


def test_getitem_combinations():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float64).view(2, 3, 4, 5)[:, ::2, 1:, ::3]
    keys = [0, -1, (1, -1), (slice(None), 0), (Ellipsis, 1), (None, 0, Ellipsis, None),
            (0, slice(1, None, 2), None, -1), (slice(-3, None), Ellipsis, slice(None, None, 2)),
            (-2, 0, 0, 0), (1, 1, 2, 1), (2,), (0, 2), (0, 0, 0, 0, 0), (slice(5, 1),),
            (slice(-100, 100, 3),), (Ellipsis, None), (Ellipsis, -1, None, slice(0, 1))]
    for key in keys:
        check_view(lambda m, t: t[key], x)


# ---------------------------------------------------------------- contiguous / clone

@seeds
def test_contiguous(seed):
    rng, x = _input(seed)
    check_view(lambda m, t: t.contiguous(), x)


@seeds
def test_clone(seed):
    rng, x = _input(seed)
    check_view(lambda m, t: t.clone(), x)
    check_view(lambda m, t: m.clone(t), x)
    check_view(lambda m, t: t.clone(memory_format=m.contiguous_format), x)
    check_view(lambda m, t: t.clone(memory_format=m.preserve_format), x)


def test_clone_layouts():
    base = torch.arange(2 * 3 * 4, dtype=torch.float32).view(2, 3, 4)
    cases = [base.permute(2, 0, 1), base.transpose(0, 1), base[:, :, ::2], base[:, 1:],
             base[:1].expand(5, 3, 4), base.permute(1, 2, 0)[:, ::2], base.unsqueeze(1),
             base.as_strided((2, 3, 4), (1, 2, 6)), base.as_strided((3, 4), (0, 1))]
    for x in cases:
        check_view(lambda m, t: t.clone(), x)
        check_view(lambda m, t: t.contiguous(), x)


# ---------------------------------------------------------------- copy_

@seeds
def test_copy_(seed):
    rng, dst = _input(seed, allow_expand=False)
    shape = list(dst.shape)
    src_shape = shape[rng.randint(0, len(shape)):]
    src_shape = [1 if rng.random() < 0.3 else n for n in src_shape]
    src = random_strided(rng, src_shape, TORCH_DTYPE[rng.choice(DTYPE_NAMES)])
    _check_copy(dst, src)


def _check_copy(dst_t, src_t):
    dst_f, src_f = to_ft(dst_t), to_ft(src_t)
    v_t, v_f = dst_t._version, dst_f._version
    try:
        r_t = dst_t.copy_(src_t)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            dst_f.copy_(src_f)
        return
    r_f = dst_f.copy_(src_f)
    assert r_f is dst_f and r_t is dst_t
    assert_same(dst_f, dst_t, check_offset=True)
    assert_same(src_f, src_t, check_offset=True)
    assert dst_f._version - v_f == dst_t._version - v_t


@pytest.mark.parametrize("src_dt", DTYPE_NAMES)
@pytest.mark.parametrize("dst_dt", DTYPE_NAMES)
def test_copy_dtype_conversion(dst_dt, src_dt):
    rng = random.Random(f"copy-{dst_dt}-{src_dt}")
    dst = random_strided(rng, (3, 4), TORCH_DTYPE[dst_dt], allow_expand=False)
    src = random_strided(rng, (4,), TORCH_DTYPE[src_dt])
    _check_copy(dst, src)


def test_copy_errors_and_aliasing():
    x = torch.arange(12, dtype=torch.float32).view(3, 4)
    _check_copy(x, torch.ones(3, 5))                      # not broadcastable
    _check_copy(x[:, :1].expand(3, 4), torch.ones(3, 4))  # internal overlap in dst
    _check_copy(x, torch.ones(2, 3, 4))                   # src has more dims
    _check_copy(x, torch.tensor(7.5))                     # 0-d source
    sq = torch.arange(9, dtype=torch.float64).view(3, 3)
    check_view(lambda m, t: t.copy_(t), sq)
    check_view(lambda m, t: t.copy_(t.t()), sq)           # partial overlap
    check_view(lambda m, t: t.view(-1)[1:].copy_(t.view(-1)[:-1]), sq)
    check_view(lambda m, t: t.view(-1)[:4].copy_(t.view(-1)[5:]), sq)   # disjoint, same storage
    check_view(lambda m, t: t[0].copy_(t[2]), sq)


# ---------------------------------------------------------------- to(dtype)

@pytest.mark.parametrize("dst_dt", DTYPE_NAMES)
@pytest.mark.parametrize("src_dt", DTYPE_NAMES)
def test_to_dtype(src_dt, dst_dt):
    rng = random.Random(f"to-{src_dt}-{dst_dt}")
    for _ in range(3):
        x = random_strided(rng, random_shape(rng, 3, 4), TORCH_DTYPE[src_dt])
        check_view(lambda m, t: t.to(getattr(m, dst_dt)), x)
        check_view(lambda m, t: t.to(dtype=getattr(m, dst_dt)), x)
        check_view(lambda m, t: t.to(getattr(m, dst_dt), copy=True), x)


def test_to_device_and_self():
    _, x = _input(3)
    check_view(lambda m, t: t.to("cpu"), x)
    check_view(lambda m, t: t.to(m.float64), x)
    check_view(lambda m, t: t.to(m.empty(2, dtype=m.int16)), x)


def test_float_to_int_conversion_like_torch():
    # torch converts floats to uint8 through int64 (so negatives wrap); other int types
    # only get in-range values (out-of-range float->int is undefined in C++).
    x = torch.tensor([-1.5, -3.7, 2.9, 255.5, 300.0, -200.0, 0.0, -0.0])
    check_view(lambda m, t: t.to(m.uint8), x)
    check_view(lambda m, t: t.to(m.float16).to(m.uint8), x)
    check_view(lambda m, t: t.to(m.bfloat16).to(m.uint8), x)
    check_view(lambda m, t: t.to(m.float64).to(m.uint8), x)
    y = torch.tensor([-100.9, -1.5, -0.5, 0.5, 1.5, 99.9, float("nan"), float("inf")])
    for dt in ("int8", "int16", "int32", "int64", "bool"):
        z = y if dt == "bool" else y[:6]
        check_view(lambda m, t: t.to(getattr(m, dt)), z)
        check_view(lambda m, t: t.to(m.float16).to(getattr(m, dt)), z)
        check_view(lambda m, t: t.to(m.bfloat16).to(getattr(m, dt)), z)


def test_view_dtype_reinterprets_bytes_like_torch():
    cases = [lambda m, x: x.view(m.int32), lambda m, x: x.view(m.float16),
             lambda m, x: x.t().view(m.int32), lambda m, x: x.t().view(m.float16),
             lambda m, x: x[:, :1].view(m.float16), lambda m, x: x[:, 1:].view(m.float64),
             lambda m, x: x.view(m.uint8), lambda m, x: x[1].view(m.int16)]
    for case in cases:
        got = []
        for m in (torch, ft):
            x = m.arange(6.).reshape(2, 3)
            try:
                r = case(m, x)
                got.append((tuple(r.shape), tuple(r.stride()), r.storage_offset(),
                            str(r.dtype), r.tolist()))
            except RuntimeError as e:
                got.append(type(e).__name__)
        assert got[0] == got[1]


CHANNELS_LAST_PROGRAMS = {
    "to": lambda lib, x: x.to(memory_format=lib.channels_last),
    "contiguous": lambda lib, x: x.contiguous(memory_format=lib.channels_last),
    "is_contiguous": lambda lib, x: (
        x.to(memory_format=lib.channels_last).is_contiguous(),
        x.to(memory_format=lib.channels_last).is_contiguous(memory_format=lib.channels_last),
        x[:, :1, :1, :1].is_contiguous(memory_format=lib.channels_last)),
    "empty": lambda lib, x: lib.empty(2, 3, 4, 5, memory_format=lib.channels_last).stride(),
    "like": lambda lib, x: (lib.zeros_like(x, memory_format=lib.channels_last),
                            lib.empty_like(x.to(memory_format=lib.channels_last)).stride()),
    "elementwise keeps it": lambda lib, x: (x.to(memory_format=lib.channels_last) + 1,
                                            x.to(memory_format=lib.channels_last) * x),
    "clone": lambda lib, x: (x.to(memory_format=lib.channels_last).clone(),
                             x.to(memory_format=lib.channels_last).clone(
                                 memory_format=lib.contiguous_format)),
    "to returns self": lambda lib, x: (
        x.to(memory_format=lib.contiguous_format) is x,
        (lambda c: c.to(memory_format=lib.channels_last) is c)(
            x.to(memory_format=lib.channels_last))),
    "3d": lambda lib, x: x.reshape(2, 3, 2, 2, 5).contiguous(memory_format=lib.channels_last_3d),
    "wrong rank": lambda lib, x: x[0].contiguous(memory_format=lib.channels_last),
    "preserve": lambda lib, x: x.contiguous(memory_format=lib.preserve_format) is x,
    "preserve refused": lambda lib, x: x.t().contiguous(memory_format=lib.preserve_format),
}


@pytest.mark.parametrize("name", list(CHANNELS_LAST_PROGRAMS))
def test_channels_last(name):
    run_both(CHANNELS_LAST_PROGRAMS[name], torch.arange(120.0).reshape(2, 3, 4, 5))
