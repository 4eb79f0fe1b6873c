"""Strided elementwise kernels: ``out = op(a, b)`` over flat buffers with per-operand strides.

Operands arrive coalesced (adjacent dims merged where every operand allows it), so the
contiguous case is one long inner loop that LLVM vectorises. The outer loop runs over rows;
one long row is cut into fixed chunks so work splits across threads without changing results.
"""
import numpy as np
from numba import njit, prange

ADD, SUB, MUL, DIV = 0, 1, 2, 3
CHUNK = 16384


@njit(inline="always")
def _apply(op, x, y, alpha):
    if op == 0:
        return x + alpha * y
    elif op == 1:
        return x - alpha * y
    elif op == 2:
        return x * y
    else:
        return x / y


@njit(inline="always")
def _run(op, a, pa, ai, b, pb, bi, out, po, oi, n, alpha):
    if ai == 1 and bi == 1 and oi == 1:
        a2 = a[pa:pa + n]
        b2 = b[pb:pb + n]
        o2 = out[po:po + n]
        for j in range(n):
            o2[j] = _apply(op, a2[j], b2[j], alpha)
    elif ai == 1 and bi == 0 and oi == 1:
        a2 = a[pa:pa + n]
        o2 = out[po:po + n]
        y = b[pb]
        for j in range(n):
            o2[j] = _apply(op, a2[j], y, alpha)
    elif ai == 0 and bi == 1 and oi == 1:
        b2 = b[pb:pb + n]
        o2 = out[po:po + n]
        x = a[pa]
        for j in range(n):
            o2[j] = _apply(op, x, b2[j], alpha)
    else:
        for j in range(n):
            out[po + j * oi] = _apply(op, a[pa + j * ai], b[pb + j * bi], alpha)


@njit(inline="always")
def _binary(op, a, a_off, a_st, b, b_off, b_st, out, o_off, o_st, shape, alpha):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    rows = 1
    for d in range(nd - 1):
        rows *= shape[d]
    ai = a_st[nd - 1]
    bi = b_st[nd - 1]
    oi = o_st[nd - 1]
    if rows == 1:
        nch = (inner + CHUNK - 1) // CHUNK
        for c in prange(nch):
            s = c * CHUNK
            e = min(s + CHUNK, inner)
            _run(op, a, a_off + s * ai, ai, b, b_off + s * bi, bi, out, o_off + s * oi, oi,
                 e - s, alpha)
        return
    for r in prange(rows):
        rem = np.int64(r) + 0
        pa = a_off
        pb = b_off
        po = o_off
        for d in range(nd - 2, -1, -1):
            idx = rem % shape[d]
            rem //= shape[d]
            pa += idx * a_st[d]
            pb += idx * b_st[d]
            po += idx * o_st[d]
        _run(op, a, pa, ai, b, pb, bi, out, po, oi, inner, alpha)


@njit(cache=True, error_model="numpy")
def binary_serial(op, a, a_off, a_st, b, b_off, b_st, out, o_off, o_st, shape, alpha):
    """out[i] = op(a[i], b[i]) for small inputs (no thread start-up)."""
    _binary(op, a, a_off, a_st, b, b_off, b_st, out, o_off, o_st, shape, alpha)


@njit(cache=True, parallel=True, error_model="numpy")
def binary_parallel(op, a, a_off, a_st, b, b_off, b_st, out, o_off, o_st, shape, alpha):
    """out[i] = op(a[i], b[i]) split across threads (fixed chunks: thread-count independent)."""
    _binary(op, a, a_off, a_st, b, b_off, b_st, out, o_off, o_st, shape, alpha)


@njit(cache=True, error_model="numpy")
def binary_flat_serial(op, a, pa, ai, b, pb, bi, out, po, n, alpha):
    """One contiguous run: out[po + j] = op(a[pa + j*ai], b[pb + j*bi]) (ai/bi are 0 or 1)."""
    _run(op, a, pa, ai, b, pb, bi, out, po, 1, n, alpha)
