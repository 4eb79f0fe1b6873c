"""Bulk dispatch-key-set algebra over integer arrays, compiled with Numba.

Each element of an input array is the raw bits of one key set (``DispatchKeySet.raw``).  The
results agree element by element with the scalar methods of
:class:`frankentorch._dispatch.keys.DispatchKeySet`; they serve property tests, fuzzing and
routing-table construction, where looping in Python would be slow.

Inputs may be int64 or uint64 arrays.  They are validated in Python first (bits outside c10's
layout raise :class:`DispatchKeyError`, as ``DispatchKeySet.from_raw`` does), then viewed as int64:
every valid key set is below ``2**62``, so the view is lossless and keeps Numba in integer
arithmetic (mixing uint64 with int64 would promote to float64).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from frankentorch._dispatch.keys import (
    FULL_BACKEND_MASK, FULL_KEYSET_MASK, NUM_BACKENDS, DispatchKeyError, _START_BY_FUNC,
)

__all__ = [
    "union", "intersection", "difference", "highest_functionality_index",
    "highest_backend_index", "highest_priority_type_id",
    "HPT_EMPTY_SET", "HPT_NO_TYPE_KEY", "HPT_NO_BACKEND_KEY",
]

# Codes written by highest_priority_type_id where the scalar method raises DispatchKeyError.
HPT_EMPTY_SET = -1        # reason "empty_set"
HPT_NO_TYPE_KEY = -2      # reason "no_type_key"
HPT_NO_BACKEND_KEY = -3   # reason "no_backend_key"

# _START[f]: value of StartOf<f>Backends for a per-backend functionality f, else 0.
_START = np.asarray(_START_BY_FUNC, dtype=np.int64)


def _as_bits(a) -> np.ndarray:
    """Validate raw key-set bits and return them as a contiguous int64 array."""
    arr = np.asarray(a)
    if arr.dtype == np.uint64:
        bad = arr & np.uint64(~FULL_KEYSET_MASK & ((1 << 64) - 1))
        if bad.any():
            raise DispatchKeyError("unknown_bits", "dispatch keyset has unknown bitmask "
                                   f"0x{int(bad[bad != 0].flat[0]):016x}")
        return np.ascontiguousarray(arr).view(np.int64)
    if arr.dtype != np.int64:
        if arr.dtype.kind not in "iu" or arr.dtype.itemsize > 8:
            raise DispatchKeyError("unknown_bits",
                                   f"key-set arrays must be int64 or uint64, got {arr.dtype}")
        arr = arr.astype(np.int64)
    if (arr < 0).any():
        raise DispatchKeyError("unknown_bits", "dispatch keyset bits must be non-negative")
    bad = arr & np.int64(~FULL_KEYSET_MASK)
    if bad.any():
        raise DispatchKeyError("unknown_bits", "dispatch keyset has unknown bitmask "
                               f"0x{int(bad[bad != 0].flat[0]):016x}")
    return np.ascontiguousarray(arr)


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_bits(a), _as_bits(b)
    if x.shape != y.shape:
        x, y = np.broadcast_arrays(x, y)
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    return x.reshape(-1), y.reshape(-1)


@njit(cache=True)
def _bit_length(x):
    n = 0
    while x:
        x >>= 1
        n += 1
    return n


@njit(cache=True)
def _union_kernel(a, b, out):
    for i in range(a.shape[0]):
        out[i] = a[i] | b[i]


@njit(cache=True)
def _intersection_kernel(a, b, out):
    for i in range(a.shape[0]):
        out[i] = a[i] & b[i]


@njit(cache=True)
def _difference_kernel(a, b, backend_mask, out):
    # c10 operator-: only functionality bits are removed; backend bits of ``a`` stay.
    for i in range(a.shape[0]):
        out[i] = a[i] & (backend_mask | ~b[i])


@njit(cache=True)
def _highest_functionality_kernel(a, num_backends, out):
    for i in range(a.shape[0]):
        n = _bit_length(a[i])
        out[i] = n - num_backends if n > num_backends else 0


@njit(cache=True)
def _highest_backend_kernel(a, backend_mask, out):
    for i in range(a.shape[0]):
        out[i] = _bit_length(a[i] & backend_mask)


@njit(cache=True)
def _highest_priority_kernel(a, num_backends, backend_mask, start, out):
    for i in range(a.shape[0]):
        r = a[i]
        n = _bit_length(r)
        if n > num_backends:
            f = n - num_backends
            s = start[f]
            if s == 0:
                out[i] = f
            else:
                b = _bit_length(r & backend_mask)
                out[i] = s + b if b > 0 else -3
        elif r == 0:
            out[i] = -1
        else:
            out[i] = -2


def _shape_of(a, b=None):
    sa = np.shape(a)
    return sa if b is None else np.broadcast_shapes(sa, np.shape(b))


def union(a, b) -> np.ndarray:
    """Elementwise ``DispatchKeySet.__or__`` on raw bits (int64 result)."""
    x, y = _pair(a, b)
    out = np.empty(x.shape[0], dtype=np.int64)
    _union_kernel(x, y, out)
    return out.reshape(_shape_of(a, b))


def intersection(a, b) -> np.ndarray:
    """Elementwise ``DispatchKeySet.__and__`` on raw bits (int64 result)."""
    x, y = _pair(a, b)
    out = np.empty(x.shape[0], dtype=np.int64)
    _intersection_kernel(x, y, out)
    return out.reshape(_shape_of(a, b))


def difference(a, b) -> np.ndarray:
    """Elementwise ``DispatchKeySet.__sub__`` (functionality bits only, as c10)."""
    x, y = _pair(a, b)
    out = np.empty(x.shape[0], dtype=np.int64)
    _difference_kernel(x, y, np.int64(FULL_BACKEND_MASK), out)
    return out.reshape(_shape_of(a, b))


def highest_functionality_index(a) -> np.ndarray:
    """Elementwise ``int(highest_functionality_key())`` (0 = Undefined when none)."""
    x = _as_bits(a).reshape(-1)
    out = np.empty(x.shape[0], dtype=np.int64)
    _highest_functionality_kernel(x, np.int64(NUM_BACKENDS), out)
    return out.reshape(np.shape(a))


def highest_backend_index(a) -> np.ndarray:
    """Elementwise ``int(highest_backend_key())`` (0 = InvalidBit when none)."""
    x = _as_bits(a).reshape(-1)
    out = np.empty(x.shape[0], dtype=np.int64)
    _highest_backend_kernel(x, np.int64(FULL_BACKEND_MASK), out)
    return out.reshape(np.shape(a))


def highest_priority_type_id(a) -> np.ndarray:
    """Elementwise ``int(highest_priority_type_id())``.

    Where the scalar method raises, the result holds a negative code instead:
    ``HPT_EMPTY_SET``, ``HPT_NO_TYPE_KEY`` or ``HPT_NO_BACKEND_KEY``.
    """
    x = _as_bits(a).reshape(-1)
    out = np.empty(x.shape[0], dtype=np.int64)
    _highest_priority_kernel(x, np.int64(NUM_BACKENDS), np.int64(FULL_BACKEND_MASK), _START, out)
    return out.reshape(np.shape(a))
