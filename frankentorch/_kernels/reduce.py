"""Sum reductions with a fixed accumulation order.

Each run of elements is summed in blocks of BLOCK (reassociation allowed inside a block, so
LLVM vectorises it with several SIMD accumulators; NaN and inf still propagate), and the block
partials are combined pairwise. The order depends only on the shape and the machine's vector
width, never on the thread count, and the error stays within PyTorch's float32 tolerance at
1e7 elements.
"""
import numpy as np
from numba import njit, prange

BLOCK = 4096


@njit(inline="always")
def _block(x, p, step, n, zero):
    acc = zero
    if step == 1:
        for j in range(n):
            acc += x[p + j]
    else:
        for j in range(n):
            acc += x[p + j * step]
    return acc


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


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def sum_serial(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    _sum(x, off, o_shape, o_st, r_shape, r_st, out, zero)


@njit(cache=True, parallel=True, error_model="numpy", fastmath={"reassoc"})
def sum_parallel(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    _sum(x, off, o_shape, o_st, r_shape, r_st, out, zero)
