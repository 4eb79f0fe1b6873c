"""Hypothesis properties of reductions: full reduction equals reduction of the flattened
tensor; a sum over a dim tuple equals nested sums; both agree with torch."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings, strategies as st

import frankentorch as ft

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@st.composite
def arrays(draw):
    shape = draw(shapes)
    dt = draw(st.sampled_from(["float32", "float64", "int64", "int32"]))
    n = int(np.prod(shape))
    vals = draw(st.lists(st.integers(-20, 20), min_size=n, max_size=n))
    return np.array(vals, dtype=dt).reshape(shape)


def _close(a, b):
    # a product of large factors can overflow to inf and meet a zero: NaN on both sides
    torch.testing.assert_close(torch.from_numpy(np.array(a.numpy())), b, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(arrays(), st.sampled_from(["sum", "prod", "amax", "amin", "nansum", "all", "any"]))
def test_full_reduction_equals_flattened(a, name):
    x = ft.from_numpy(a)
    full = getattr(x, name)()
    flat = getattr(x.reshape(-1), name)(0)
    np.testing.assert_array_equal(full.numpy(), flat.numpy())  # NaN counts as equal
    _close(full, getattr(torch.from_numpy(a), name)())


@settings(max_examples=40, deadline=None)
@given(arrays(), st.data())
def test_sum_over_tuple_equals_nested(a, data):
    x = ft.from_numpy(a)
    dims = data.draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, max_size=a.ndim,
                              unique=True))
    r = x.sum(tuple(dims))
    nested = x
    for d in sorted(dims, reverse=True):
        nested = nested.sum(d)
    assert r.tolist() == nested.tolist()
    _close(r, torch.from_numpy(a).sum(tuple(dims)))
