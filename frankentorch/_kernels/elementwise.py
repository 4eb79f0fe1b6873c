"""Strided elementwise kernels: ``out = op(a, b)`` (and ternary ``out = op(a, b, c)``) over flat
buffers with per-operand strides and an integer op code.

Operands arrive coalesced (adjacent dims merged where every operand allows it), so the
contiguous case is one long inner loop that LLVM vectorises. The outer loop runs over rows;
one long row is cut into fixed chunks so work splits across threads without changing results.

Kernels compute in three dtypes only: int64 (every integer type and bool: the ops used on
them are exact modulo 2**bits, so narrowing afterwards wraps like PyTorch), float32 (also the
compute type of halves) and float64. The body for each op group is chosen at compile time
from the *output* array's dtype (``@overload``): a bool output means a comparison, an integer
output the integer ops, a float output the float ops — so no branch ever mixes types.
"""
import math

import numpy as np
from numba import njit, prange
from numba.core import types
from numba.extending import overload

from .intrinsics import fma

# binary op codes (arithmetic group: output has the compute dtype)
ADD, SUB, MUL, DIV = 0, 1, 2, 3
FLOORDIV, TRUNCDIV, REM, FMOD, POW, MAX, MIN, FMAX, FMIN = 4, 5, 6, 7, 8, 9, 10, 11, 12
ATAN2, HYPOT, COPYSIGN, AND, OR, XOR = 13, 14, 15, 16, 17, 18
# comparison group (bool output)
EQ, NE, LT, LE, GT, GE, LAND, LOR, LXOR = 20, 21, 22, 23, 24, 25, 26, 27, 28
# ternary op codes
WHERE, LERP, ADDCMUL, ADDCDIV, CLAMP = 0, 1, 2, 3, 4
CHUNK = 16384


# ----------------------------------------------------------------------------- op bodies

def _scaled_add(x, y, alpha):
    """``x + alpha * y``: rounded once for floats (torch's add is ``fmadd(other, alpha,
    self)``), wrapping for integers; sub is the same with ``-alpha``."""
    raise NotImplementedError


@overload(_scaled_add)
def _scaled_add_ol(x, y, alpha):
    if isinstance(x, types.Float):
        return lambda x, y, alpha: fma(y, alpha, x)
    return lambda x, y, alpha: x + alpha * y


def _float_op(op, x, y, alpha):
    if op == 0:
        return _scaled_add(x, y, alpha)
    elif op == 1:
        return _scaled_add(x, y, -alpha)
    elif op == 2:
        return x * y
    elif op == 3:
        return x / y
    elif op == 4:  # torch's div_floor_floating
        if y == 0:
            return x / y
        mod = np.fmod(x, y)
        div = (x - mod) / y
        if mod != 0 and (y < 0) != (mod < 0):
            div -= 1
        if div != 0:
            fl = np.floor(div)
            if div - fl > 0.5:
                fl += 1
            return fl
        return math.copysign(0.0, x / y)
    elif op == 5:
        return np.trunc(x / y)
    elif op == 6:
        mod = np.fmod(x, y)
        if mod != 0 and (y < 0) != (mod < 0):
            mod += y
        return mod
    elif op == 7:
        return np.fmod(x, y)
    elif op == 8:
        if alpha != 0:  # a Python-number exponent: PyTorch's special cases
            if y == 0.5:
                return np.sqrt(x)
            elif y == 2:
                return x * x
            elif y == 3:
                return x * x * x
            elif y == -0.5:
                return 1 / np.sqrt(x)
            elif y == -1:
                return 1 / x
            elif y == -2:
                return 1 / (x * x)
        return x ** y
    elif op == 9:
        if x != x:
            return x
        if y != y:
            return y
        return x if x > y else y
    elif op == 10:
        if x != x:
            return x
        if y != y:
            return y
        return x if x < y else y
    elif op == 11:
        if x != x:
            return y
        if y != y:
            return x
        return x if x > y else y
    elif op == 12:
        if x != x:
            return y
        if y != y:
            return x
        return x if x < y else y
    elif op == 13:
        return math.atan2(x, y)
    elif op == 14:
        return math.hypot(x, y)
    elif op == 15:
        return math.copysign(x, y)
    return x


def _int_op(op, x, y, alpha):
    if op == 0:
        return _scaled_add(x, y, alpha)
    elif op == 1:
        return _scaled_add(x, y, -alpha)
    elif op == 2:
        return x * y
    elif op == 4:
        if y == -1:
            return 0 - x
        return x // y
    elif op == 5:
        if y == -1:
            return 0 - x
        q = x // y
        if q < 0 and q * y != x:
            q += 1
        return q
    elif op == 6:
        if y == -1:
            return x - x
        return x % y
    elif op == 7:
        if y == -1:
            return x - x
        r = x % y
        if r != 0 and (r < 0) != (x < 0):
            r -= y
        return r
    elif op == 8:
        if y < 0:
            if x == 1:
                return x
            if x == -1:
                return x if y % 2 != 0 else 0 - x
            return x - x
        r = x - x + 1
        b = x
        e = y
        while e > 0:
            if e & 1:
                r *= b
            b *= b
            e >>= 1
        return r
    elif op == 9 or op == 11:
        return x if x > y else y
    elif op == 10 or op == 12:
        return x if x < y else y
    elif op == 16:
        return x & y
    elif op == 17:
        return x | y
    elif op == 18:
        return x ^ y
    return x


def _cmp_op(op, x, y, alpha):
    if op == 20:
        return x == y
    elif op == 21:
        return x != y
    elif op == 22:
        return x < y
    elif op == 23:
        return x <= y
    elif op == 24:
        return x > y
    elif op == 25:
        return x >= y
    elif op == 26:
        return x != 0 and y != 0
    elif op == 27:
        return x != 0 or y != 0
    return (x != 0) != (y != 0)


def _apply(op, x, y, alpha, out):
    raise NotImplementedError


@overload(_apply)
def _apply_ol(op, x, y, alpha, out):
    if out.dtype == types.boolean:
        return lambda op, x, y, alpha, out: _cmp_op(op, x, y, alpha)
    if isinstance(out.dtype, types.Integer):
        return lambda op, x, y, alpha, out: _int_op(op, x, y, alpha)
    return lambda op, x, y, alpha, out: _float_op(op, x, y, alpha)


for _f in (_float_op, _int_op, _cmp_op):
    globals()[_f.__name__] = njit(_f)


def _float_ternary(op, x, y, z, alpha):
    if op == 0:
        return y if x != 0 else z
    elif op == 1:  # lerp(x, end=y, weight=z)
        if abs(z) < 0.5:  # torch's two formulas, each one fused multiply-add
            return fma(z, y - x, x)
        return fma(x - y, 1 - z, y)
    elif op == 2:  # addcmul: fmadd(value * tensor1, tensor2, self)
        return fma(alpha * y, z, x)
    elif op == 3:
        return x + alpha * y / z
    if y != y or z != z:
        return y if y != y else z
    m = y if x < y else x
    return z if z < m else m


def _int_ternary(op, x, y, z, alpha):
    if op == 0:
        return y if x != 0 else z
    elif op == 2:
        return x + alpha * y * z
    elif op == 4:
        m = y if x < y else x
        return z if z < m else m
    return x


def _apply3(op, x, y, z, alpha, out):
    raise NotImplementedError


@overload(_apply3)
def _apply3_ol(op, x, y, z, alpha, out):
    if isinstance(out.dtype, types.Integer) or out.dtype == types.boolean:
        return lambda op, x, y, z, alpha, out: _int_ternary(op, x, y, z, alpha)
    return lambda op, x, y, z, alpha, out: _float_ternary(op, x, y, z, alpha)


for _f in (_float_ternary, _int_ternary):
    globals()[_f.__name__] = njit(_f)


# ----------------------------------------------------------------------------- drivers

@njit(inline="always")
def _arith(op, x, y, alpha):
    if op == 0:
        return _scaled_add(x, y, alpha)
    elif op == 1:
        return _scaled_add(x, y, -alpha)
    return x * y


@njit(inline="always")
def _run(op, a, pa, ai, b, pb, bi, out, po, oi, n, alpha):
    if oi == 1 and ai == 1 and bi <= 1 and op <= 2:
        # add/sub/mul on contiguous data: a loop LLVM vectorises (op is loop-invariant)
        a2 = a[pa:pa + n]
        o2 = out[po:po + n]
        if bi == 1:
            b2 = b[pb:pb + n]
            for j in range(n):
                o2[j] = _arith(op, a2[j], b2[j], alpha)
        else:
            y = b[pb]
            for j in range(n):
                o2[j] = _arith(op, a2[j], y, alpha)
    else:
        for j in range(n):
            out[po + j * oi] = _apply(op, a[pa + j * ai], b[pb + j * bi], alpha, out)


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


@njit(inline="always")
def _ternary(op, a, a_off, a_st, b, b_off, b_st, c, c_off, c_st, out, o_off, o_st, shape,
             alpha):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    rows = 1
    for d in range(nd - 1):
        rows *= shape[d]
    ai = a_st[nd - 1]
    bi = b_st[nd - 1]
    ci = c_st[nd - 1]
    oi = o_st[nd - 1]
    for r in prange(rows):
        rem = np.int64(r) + 0
        pa = a_off
        pb = b_off
        pc = c_off
        po = o_off
        for d in range(nd - 2, -1, -1):
            idx = rem % shape[d]
            rem //= shape[d]
            pa += idx * a_st[d]
            pb += idx * b_st[d]
            pc += idx * c_st[d]
            po += idx * o_st[d]
        for j in range(inner):
            out[po + j * oi] = _apply3(op, a[pa + j * ai], b[pb + j * bi], c[pc + j * ci],
                                       alpha, out)


@njit(cache=True, error_model="numpy")
def ternary_serial(op, a, a_off, a_st, b, b_off, b_st, c, c_off, c_st, out, o_off, o_st,
                   shape, alpha):
    """out[i] = op(a[i], b[i], c[i]) (where, lerp, addcmul, addcdiv, clamp)."""
    _ternary(op, a, a_off, a_st, b, b_off, b_st, c, c_off, c_st, out, o_off, o_st, shape,
             alpha)


@njit(cache=True, parallel=True, error_model="numpy")
def ternary_parallel(op, a, a_off, a_st, b, b_off, b_st, c, c_off, c_st, out, o_off, o_st,
                     shape, alpha):
    """Threaded ternary kernel (rows split across threads)."""
    _ternary(op, a, a_off, a_st, b, b_off, b_st, c, c_off, c_st, out, o_off, o_st, shape,
             alpha)
