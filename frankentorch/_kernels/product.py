"""Float products in the order and precision of PyTorch's CPU reduction kernel.

PyTorch multiplies in the tensor's own dtype, so float16/bfloat16 products round after every
multiplication: here values are float32 (an exact widening; the product of two halves is
exact in float32) rounded back to the half grid, ties to even, after each step. A
contiguous reduced run is multiplied lane-wise as PyTorch's vectorised loop does, with
``lanes`` elements per vector and 4 vectors: lane j accumulates every (4 * lanes)-th
element of the whole blocks, the vectors combine as (v0 * v1) * (v2 * v3), their lanes left
to right, and the elements after the last whole block follow one by one. Any other
reduction multiplies one element after another.
"""
import numpy as np
from numba import njit

NONE, HALF, BFLOAT16 = 0, 1, 2


@njit
def _to_half(v):
    """float32 ``v`` rounded to the nearest float16 (ties to even), as float32."""
    a = abs(v)
    if not a < np.float32(65520.0):  # NaN, inf, or rounds past 65504 to inf
        return v if a != a else np.copysign(np.float32(np.inf), v)
    if a < np.float32(6.103515625e-05):  # subnormal: the 2**-24 grid
        r = (a + np.float32(0.5)) - np.float32(0.5)
    else:
        u = np.float32(a).view(np.uint32)
        u = np.uint32((u + 0xFFF + ((u >> 13) & 1)) & 0xFFFFE000)
        r = u.view(np.float32)
    return np.copysign(r, v)


@njit
def _to_bfloat16(v):
    """float32 ``v`` rounded to the nearest bfloat16 (ties to even), as float32."""
    if v != v:
        return v
    u = np.float32(v).view(np.uint32)
    u = np.uint32((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000)
    return u.view(np.float32)


@njit
def _mul(a, b, rnd):
    p = a * b
    if rnd == HALF:
        return _to_half(np.float32(p))
    if rnd == BFLOAT16:
        return _to_bfloat16(np.float32(p))
    return p


@njit(cache=True, error_model="numpy")
def prod_runs(x, lanes, rnd, out):
    """out[r] *= product of x[r] (runs, n), run after run (``out`` comes in as ones)."""
    rows, runs, n = x.shape
    block = 4 * lanes
    count = n // block
    acc = np.empty(block, x.dtype)
    for r in range(rows):
        d = out[r]
        for q in range(runs):
            run = x[r, q]
            if count:
                for j in range(block):
                    acc[j] = run[j]
                for i in range(1, count):
                    base = i * block
                    for j in range(block):
                        acc[j] = _mul(acc[j], run[base + j], rnd)
                for j in range(lanes):
                    acc[j] = _mul(_mul(acc[j], acc[lanes + j], rnd),
                                  _mul(acc[2 * lanes + j], acc[3 * lanes + j], rnd), rnd)
                b = acc[0]
                for j in range(1, lanes):
                    b = _mul(b, acc[j], rnd)
                d = _mul(d, b, rnd)
            for j in range(count * block, n):
                d = _mul(d, run[j], rnd)
        out[r] = d


@njit(cache=True, error_model="numpy")
def prod_steps(x, rnd, out):
    """out[o] *= x[0, o] * x[1, o] * ..., left to right (x is (steps, outputs))."""
    for i in range(x.shape[0]):
        for o in range(x.shape[1]):
            out[o] = _mul(out[o], x[i, o], rnd)
