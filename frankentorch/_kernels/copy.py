"""Strided copy with element conversion (C casts, as PyTorch's copy_ does)."""
import numpy as np
from numba import njit, prange

CHUNK = 16384


@njit(inline="always")
def _copy(src, s_off, s_st, dst, d_off, d_st, shape):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    rows = 1
    for d in range(nd - 1):
        rows *= shape[d]
    si = s_st[nd - 1]
    di = d_st[nd - 1]
    if rows == 1:
        nch = (inner + CHUNK - 1) // CHUNK
        for c in prange(nch):
            s = c * CHUNK
            e = min(s + CHUNK, inner)
            if si == 1 and di == 1:
                for j in range(s, e):
                    dst[d_off + j] = src[s_off + j]
            else:
                for j in range(s, e):
                    dst[d_off + j * di] = src[s_off + j * si]
        return
    for r in prange(rows):
        rem = np.int64(r) + 0
        ps = s_off
        pd = d_off
        for d in range(nd - 2, -1, -1):
            idx = rem % shape[d]
            rem //= shape[d]
            ps += idx * s_st[d]
            pd += idx * d_st[d]
        for j in range(inner):
            dst[pd + j * di] = src[ps + j * si]


@njit(cache=True, error_model="numpy")
def copy_serial(src, s_off, s_st, dst, d_off, d_st, shape):
    _copy(src, s_off, s_st, dst, d_off, d_st, shape)


@njit(cache=True, parallel=True, error_model="numpy")
def copy_parallel(src, s_off, s_st, dst, d_off, d_st, shape):
    _copy(src, s_off, s_st, dst, d_off, d_st, shape)
