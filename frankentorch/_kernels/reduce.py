"""Sum reductions with a fixed accumulation order.

Each run of elements is summed in blocks of BLOCK with eight interleaved accumulators,
and the block partials are combined pairwise. The order depends only on the shape, never on
the thread count, and the error stays within PyTorch's float32 tolerance at 1e7 elements.
"""
import numpy as np
from numba import njit, prange

BLOCK = 4096


@njit(inline="always")
def _block(x, p, step, n, zero):
    a0 = zero
    a1 = zero
    a2 = zero
    a3 = zero
    a4 = zero
    a5 = zero
    a6 = zero
    a7 = zero
    m = n - n % 8
    if step == 1:
        for j in range(0, m, 8):
            a0 += x[p + j]
            a1 += x[p + j + 1]
            a2 += x[p + j + 2]
            a3 += x[p + j + 3]
            a4 += x[p + j + 4]
            a5 += x[p + j + 5]
            a6 += x[p + j + 6]
            a7 += x[p + j + 7]
    else:
        for j in range(0, m, 8):
            q = p + j * step
            a0 += x[q]
            a1 += x[q + step]
            a2 += x[q + 2 * step]
            a3 += x[q + 3 * step]
            a4 += x[q + 4 * step]
            a5 += x[q + 5 * step]
            a6 += x[q + 6 * step]
            a7 += x[q + 7 * step]
    for j in range(m, n):
        a0 += x[p + j * step]
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@njit(inline="always")
def _pairwise(parts, n):
    width = 1
    while width < n:
        for i in range(0, n - width, 2 * width):
            parts[i] += parts[i + width]
        width *= 2
    return parts[0]


@njit(inline="always")
def _run_sum(x, p, step, n, zero):
    nb = (n + BLOCK - 1) // BLOCK
    if nb <= 1:
        return _block(x, p, step, n, zero)
    parts = np.empty(nb, dtype=np.asarray(zero).dtype)
    for b in range(nb):
        s = b * BLOCK
        parts[b] = _block(x, p + s * step, step, min(BLOCK, n - s), zero)
    return _pairwise(parts, nb)


@njit(inline="always")
def _sum(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    """out[k] = sum over the reduced index space of x at output position k.

    o_shape/o_st: kept dims (input strides); r_shape/r_st: reduced dims, innermost last.
    """
    n_out = 1
    for d in range(o_shape.shape[0]):
        n_out *= o_shape[d]
    rd = r_shape.shape[0]
    inner = r_shape[rd - 1]
    istep = r_st[rd - 1]
    rows = 1
    for d in range(rd - 1):
        rows *= r_shape[d]
    if n_out == 1 and rows == 1:
        nb = (inner + BLOCK - 1) // BLOCK
        parts = np.empty(max(nb, 1), dtype=out.dtype)
        parts[0] = zero
        for b in prange(nb):
            s = b * BLOCK
            parts[b] = _block(x, off + s * istep, istep, min(BLOCK, inner - s), zero)
        out[0] = _pairwise(parts, nb)
        return
    for k in prange(n_out):
        rem = np.int64(k) + 0
        p = off
        for d in range(o_shape.shape[0] - 1, -1, -1):
            idx = rem % o_shape[d]
            rem //= o_shape[d]
            p += idx * o_st[d]
        acc = zero
        for r in range(rows):
            rr = r
            q = p
            for d in range(rd - 2, -1, -1):
                idx = rr % r_shape[d]
                rr //= r_shape[d]
                q += idx * r_st[d]
            acc += _run_sum(x, q, istep, inner, zero)
        out[k] = acc


@njit(cache=True)
def sum_serial(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    _sum(x, off, o_shape, o_st, r_shape, r_st, out, zero)


@njit(cache=True, parallel=True)
def sum_parallel(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    _sum(x, off, o_shape, o_st, r_shape, r_st, out, zero)
