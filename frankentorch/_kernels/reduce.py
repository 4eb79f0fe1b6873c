"""Sum reductions with a fixed accumulation order.

Each run of elements is summed in blocks of BLOCK (reassociation allowed inside a block, so
LLVM vectorises it with several SIMD accumulators; NaN and inf still propagate), and the block
partials are combined pairwise. The order depends only on the shape and the machine's vector
width, never on the thread count, and the error stays within PyTorch's float32 tolerance at
1e7 elements.
"""
import numpy as np
from numba import njit, prange

from .intrinsics import fma

BLOCK = 4096


@njit(inline="always")
def _contiguous_block(xs, zero):
    """Sum of a contiguous slice; indexing the slice (not base + offset) is what lets LLVM
    vectorise this loop (measured: 4.7 ms -> 1.4 ms for 1e7 float32 on one thread)."""
    acc = zero
    for j in range(xs.shape[0]):
        acc += xs[j]
    return acc


@njit(inline="always")
def _block(x, p, step, n, zero):
    if step == 1:
        return _contiguous_block(x[p:p + n], zero)
    acc = zero
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


# ---------------------------------------------------------------- column sums (outer reductions)

COLS = 256  # output columns one task accumulates (vectors of partial sums)
LEVELS = 4


@njit(inline="always")
def _add_row(acc, lvl, x, q, cst, w):
    if cst == 1:  # slices, so LLVM vectorises the loop (see _contiguous_block)
        a = acc[lvl]
        xs = x[q:q + w]
        for j in range(w):
            a[j] += xs[j]
    else:
        for j in range(w):
            acc[lvl, j] += x[q + j * cst]


@njit(inline="always")
def _sum_cols(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    """Reductions whose innermost kept dim is the fastest-moving one (e.g. dim 0 of a row-major
    matrix): walk the reduced rows in order, accumulating vectors of column sums with
    PyTorch's cascade (``multi_row_sum`` in SumKernel.cpp: 4 levels of accumulators, 2^p rows
    per level-0 run). Elementwise across columns, so the result is independent of vector width
    and thread count."""
    nk = o_shape.shape[0]
    m = o_shape[nk - 1]
    cst = o_st[nk - 1]
    outer = 1
    for d in range(nk - 1):
        outer *= o_shape[d]
    rd = r_shape.shape[0]
    rows = 1
    for d in range(rd):
        rows *= r_shape[d]
    lg = 0
    while (1 << lg) < rows:
        lg += 1
    power = max(4, lg // LEVELS)
    step = 1 << power
    lmask = step - 1
    nch = (m + COLS - 1) // COLS
    for t in prange(outer * nch):
        k = t // nch
        c0 = (t % nch) * COLS
        w = min(COLS, m - c0)
        rem = k
        p = off + c0 * cst
        for d in range(nk - 2, -1, -1):
            idx = rem % o_shape[d]
            rem //= o_shape[d]
            p += idx * o_st[d]
        acc = np.zeros((LEVELS, COLS), dtype=out.dtype)
        i = 0
        while i + step <= rows:
            for _ in range(step):
                rr = i
                q = p
                for d in range(rd - 1, -1, -1):
                    idx = rr % r_shape[d]
                    rr //= r_shape[d]
                    q += idx * r_st[d]
                _add_row(acc, 0, x, q, cst, w)
                i += 1
            for lvl in range(1, LEVELS):
                for j in range(w):
                    acc[lvl, j] += acc[lvl - 1, j]
                    acc[lvl - 1, j] = zero
                if (i & (lmask << (lvl * power))) != 0:
                    break
        while i < rows:
            rr = i
            q = p
            for d in range(rd - 1, -1, -1):
                idx = rr % r_shape[d]
                rr //= r_shape[d]
                q += idx * r_st[d]
            _add_row(acc, 0, x, q, cst, w)
            i += 1
        base = k * m + c0
        for j in range(w):
            s = acc[0, j]
            for lvl in range(1, LEVELS):
                s += acc[lvl, j]
            out[base + j] = s


@njit(cache=True, error_model="numpy")
def sum_cols_serial(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    _sum_cols(x, off, o_shape, o_st, r_shape, r_st, out, zero)


@njit(cache=True, parallel=True, error_model="numpy")
def sum_cols_parallel(x, off, o_shape, o_st, r_shape, r_st, out, zero):
    _sum_cols(x, off, o_shape, o_st, r_shape, r_st, out, zero)


# ---------------------------------------------------------------- softmax over rows (float32)

SOFTMAX_ROWS = 16  # rows per task
_LOG2E = np.float32(1.4426950408889634)
_LN2 = np.float32(0.6931471805599453)


@njit(inline="always")
def _softmax_rows(x, out, log):
    """softmax / log_softmax of each row of a C-contiguous float32 matrix.

    exp is a vectorisable float32 exp2 (range reduction to [-0.5, 0.5], degree-6 polynomial,
    the power of two built from exponent bits), accurate to ~2 ulp.
    """
    nr, n = x.shape
    ntask = (nr + SOFTMAX_ROWS - 1) // SOFTMAX_ROWS
    for t in prange(ntask):
        ibits = np.empty(n, dtype=np.int32)
        pow2 = ibits.view(np.float32)
        for r in range(t * SOFTMAX_ROWS, min(nr, (t + 1) * SOFTMAX_ROWS)):
            xr = x[r]
            orow = out[r]
            m = np.float32(-np.inf)
            for j in range(n):
                m = max(m, xr[j])
            for j in range(n):
                v = (xr[j] - m) * _LOG2E
                v = max(v, np.float32(-127.0))
                k = np.floor(v + np.float32(0.5))
                f = (v - k) * _LN2
                p = np.float32(1.0) + f * (np.float32(1.0) + f * (np.float32(0.5) + f * (
                    np.float32(1.0 / 6) + f * (np.float32(1.0 / 24) + f * (
                        np.float32(1.0 / 120) + f * np.float32(1.0 / 720))))))
                ibits[j] = (np.int32(k) + np.int32(127)) << np.int32(23)
                orow[j] = p
            s = np.float32(0.0)
            for j in range(n):
                e = orow[j] * pow2[j]
                orow[j] = e
                s += e
            if log:
                ls = m + np.log(s)
                for j in range(n):
                    orow[j] = xr[j] - ls
            else:
                inv = np.float32(1.0) / s
                for j in range(n):
                    orow[j] = orow[j] * inv


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def softmax_rows_serial(x, out, log):
    _softmax_rows(x, out, log)


@njit(cache=True, parallel=True, error_model="numpy", fastmath={"reassoc"})
def softmax_rows_parallel(x, out, log):
    _softmax_rows(x, out, log)


# ------------------------------------------------------- softmax / log_softmax backward

@njit(inline="always")
def _row_sum(a, b, n, acc, products):
    """Sum of ``a[:n]`` (``products``: of ``a[j] * b[j]``) in the order of ATen's
    ``vec::reduce_all`` / ``map2_reduce_all`` on AVX2: ``acc.shape[0]`` lanes (8 float32,
    4 float64) gather strided partial sums, then 8 lanes fold as its float shuffle tree and
    4 lanes in order; a row shorter than the lanes is summed in order."""
    lanes = acc.shape[0]
    if n < lanes:
        s = a[0] * b[0] if products else a[0]
        for j in range(1, n):
            s += a[j] * b[j] if products else a[j]
        return s
    for j in range(lanes):
        acc[j] = a[j] * b[j] if products else a[j]
    d = lanes
    while d < n - n % lanes:
        for j in range(lanes):
            acc[j] += a[d + j] * b[d + j] if products else a[d + j]
        d += lanes
    for j in range(n - d):
        acc[j] += a[d + j] * b[d + j] if products else a[d + j]
    if lanes == 8:
        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
    s = acc[0]
    for j in range(1, lanes):
        s += acc[j]
    return s


@njit(inline="always")
def _softmax_backward(g, y, out, log, lastdim):
    """Gradient of softmax (``(g - sum(g * y)) * y``) or log_softmax
    (``g - exp(y) * sum(g)``) over the middle axis of C-contiguous ``[outer, n, inner]``
    arrays, in ATen's order: its lastdim kernel's lane sums when ``inner`` is 1, else
    sums down the axis in sequence (``_vec_softmax_backward``)."""
    no, n, ni = g.shape
    if n == 0:
        return
    lanes = 8 if g.itemsize == 4 else 4
    for r in prange(no):
        acc = np.zeros(max(lanes, ni), g.dtype)
        if lastdim:
            acc[0] = _row_sum(g[r, :, 0], y[r, :, 0], n, acc, not log)
        else:
            for k in range(n):
                for i in range(ni):
                    acc[i] = acc[i] + g[r, k, i] if log else fma(g[r, k, i], y[r, k, i], acc[i])
        for k in range(n):
            for i in range(ni):
                if log:
                    out[r, k, i] = fma(-np.exp(y[r, k, i]), acc[i], g[r, k, i])
                else:
                    out[r, k, i] = (g[r, k, i] - acc[i]) * y[r, k, i]


@njit(cache=True, error_model="numpy")
def softmax_backward_serial(g, y, out, log, lastdim):
    _softmax_backward(g, y, out, log, lastdim)


@njit(cache=True, parallel=True, error_model="numpy")
def softmax_backward_parallel(g, y, out, log, lastdim):
    _softmax_backward(g, y, out, log, lastdim)
