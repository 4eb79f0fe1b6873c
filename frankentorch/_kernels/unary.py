"""Strided unary kernels: ``out = f(a)`` over flat buffers with per-operand strides.

The op is an int code; each group has one ``inline="always"`` scalar function and one strided
loop, so one compiled kernel serves every op of its group (LLVM unswitches the op branch).
Float groups compute in the buffer's type (float32 stays float32, as torch's kernels do:
constants are built with ``type(x)(...)``); halves arrive already converted to float32.
Groups (each a serial and a ``parallel=True`` kernel):

* ``basic``   exp/log family, roots, rounding, sigmoid, relu, nan_to_num
* ``trig``    circular and hyperbolic functions and their inverses
* ``special`` erf, erfc, erfinv, lgamma, digamma, logit
* ``act``     the nn activations (gelu, silu, mish, softplus, elu, leaky_relu, hardtanh, ...)
* ``int``     integer abs/neg/sign/square/bitwise_not/relu/clamp (native int dtypes)
* ``pred``    isnan/isinf/isfinite/logical_not into a bool buffer
"""
import math

import numpy as np
from numba import njit, prange

from .intrinsics import fma

CHUNK = 16384

# ---------------------------------------------------------------- op codes
# basic
ABS, NEG, SIGN, EXP, EXP2, EXPM1, LOG, LOG2, LOG10, LOG1P, SQRT, RSQRT, SQUARE, RECIPROCAL, \
    FLOOR, CEIL, ROUND, TRUNC, FRAC, ROUND_DEC, NAN_TO_NUM, RELU, SIGMOID = range(23)
# trig
SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, TANH, ASINH, ACOSH, ATANH = range(12)
# special
ERF, ERFC, ERFINV, LGAMMA, DIGAMMA, LOGIT = range(6)
# act
GELU, GELU_TANH, SILU, MISH, SOFTPLUS, ELU, LEAKY_RELU, HARDTANH, HARDSIGMOID, HARDSWISH, \
    LOGSIGMOID = range(11)
# int
I_ABS, I_NEG, I_SIGN, I_SQUARE, I_NOT, I_RELU, I_CLAMP = range(7)
# pred
P_ISNAN, P_ISINF, P_ISFINITE, P_NOT = range(4)


# ---------------------------------------------------------------- scalar functions

@njit(inline="always")
def _basic(op, x, p0, p1, p2):
    T = type(x)
    if op == 0:
        return abs(x)
    elif op == 1:
        return -x
    elif op == 2:
        if x > 0:
            return T(1.0)
        elif x < 0:
            return T(-1.0)
        return T(0.0)
    elif op == 3:
        return math.exp(x)
    elif op == 4:
        return np.exp2(x)
    elif op == 5:
        return math.expm1(x)
    elif op == 6:
        return math.log(x)
    elif op == 7:
        return math.log2(x)
    elif op == 8:
        return math.log10(x)
    elif op == 9:
        return math.log1p(x)
    elif op == 10:
        return math.sqrt(x)
    elif op == 11:
        return T(1.0) / math.sqrt(x)
    elif op == 12:
        return x * x
    elif op == 13:
        return T(1.0) / x
    elif op == 14:
        return np.floor(x)
    elif op == 15:
        return np.ceil(x)
    elif op == 16:
        return np.rint(x)
    elif op == 17:
        return np.trunc(x)
    elif op == 18:
        return x - np.trunc(x)
    elif op == 19:  # round(decimals): p0 = 10**|decimals|, p1 != 0 when decimals < 0
        if p1 != 0:
            return np.rint(x / p0) * p0
        return np.rint(x * p0) / p0
    elif op == 20:  # nan_to_num(nan=p0, posinf=p1, neginf=p2)
        if x != x:
            return p0
        if x == np.inf:
            return p1
        if x == -np.inf:
            return p2
        return x
    elif op == 21:
        return T(0.0) if x < 0 else x
    else:
        return T(1.0) / (T(1.0) + math.exp(-x))


@njit(inline="always")
def _trig(op, x, p0, p1, p2):
    if op == 0:
        return math.sin(x)
    elif op == 1:
        return math.cos(x)
    elif op == 2:
        return math.tan(x)
    elif op == 3:
        return math.asin(x)
    elif op == 4:
        return math.acos(x)
    elif op == 5:
        return math.atan(x)
    elif op == 6:
        return math.sinh(x)
    elif op == 7:
        return math.cosh(x)
    elif op == 8:
        return math.tanh(x)
    elif op == 9:
        return math.asinh(x)
    elif op == 10:
        return math.acosh(x)
    else:
        return math.atanh(x)


@njit(inline="always")
def _digamma_pos(x):
    """digamma for x > 0 (or nan/inf): recurrence up to 10, then the asymptotic series."""
    T = type(x)
    result = T(0.0)
    while x < T(10.0):
        result -= T(1.0) / x
        x += T(1.0)
    if x == T(10.0):
        return result + T(2.25175258906672110764)
    y = T(0.0)
    if x < T(1.0e17):
        z = T(1.0) / (x * x)
        poly = T(8.33333333333333333333E-2)
        poly = poly * z + T(-2.10927960927960927961E-2)
        poly = poly * z + T(7.57575757575757575758E-3)
        poly = poly * z + T(-4.16666666666666666667E-3)
        poly = poly * z + T(3.96825396825396825397E-3)
        poly = poly * z + T(-8.33333333333333333333E-3)
        poly = poly * z + T(8.33333333333333333333E-2)
        y = z * poly
    return result + math.log(x) - T(0.5) / x - y


@njit(inline="always")
def _digamma(x):
    T = type(x)
    if x == 0:
        return T(-np.inf) if not math.copysign(1.0, x) < 0 else T(np.inf)
    if x < 0:
        if x == np.trunc(x):
            return T(np.nan)
        xd = np.float64(x)
        r = xd - np.trunc(xd)
        return _digamma_pos(T(1.0) - x) - T(math.pi / math.tan(math.pi * r))
    return _digamma_pos(x)


@njit(inline="always")
def _erfinv(y):
    """Rational first guess (central range |y| <= 0.7, tail otherwise), then two Newton steps."""
    T = type(y)
    ya = abs(y)
    if ya > T(1.0):
        return T(np.nan)
    if ya == T(1.0):
        return T(math.copysign(np.inf, y))
    if ya <= T(0.7):
        z = y * y
        num = ((T(-0.140543331) * z + T(0.914624893)) * z + T(-1.645349621)) * z + \
            T(0.886226899)
        dem = (((T(0.012229801) * z + T(-0.329097515)) * z + T(1.442710462)) * z +
               T(-2.118377725)) * z + T(1.0)
        x = y * num / dem
    else:
        z = math.sqrt(-math.log((T(1.0) - ya) / T(2.0)))
        num = ((T(1.641345311) * z + T(3.429567803)) * z + T(-1.624906493)) * z + \
            T(-1.970840454)
        dem = (T(1.637067800) * z + T(3.543889200)) * z + T(1.0)
        x = T(math.copysign(num, y)) / dem
    k = T(2.0) / T(math.sqrt(math.pi))
    x = x - (math.erf(x) - y) / (k * math.exp(-x * x))
    x = x - (math.erf(x) - y) / (k * math.exp(-x * x))
    return x


@njit(inline="always")
def _special(op, x, p0, p1, p2):
    T = type(x)
    if op == 0:
        return math.erf(x)
    elif op == 1:
        return math.erfc(x)
    elif op == 2:  # float64 inside: float32 Newton steps lose digits near +-1 (torch's don't)
        return T(_erfinv(np.float64(x)))
    elif op == 3:
        return math.lgamma(x)
    elif op == 4:
        return _digamma(x)
    else:  # logit: p2 != 0 clamps x to [p0, p1] (eps, 1 - eps)
        if p2 != 0:
            if x < p0:
                x = p0
            elif x > p1:
                x = p1
        return math.log(x / (T(1.0) - x))


@njit(inline="always")
def _act(op, x, p0, p1, p2):
    T = type(x)
    if op == 0:
        return x * T(0.5) * (T(1.0) + math.erf(x * T(0.70710678118654752440)))
    elif op == 1:
        inner = T(0.7978845608028654) * (x + T(0.044715) * x * x * x)
        return T(0.5) * x * (T(1.0) + math.tanh(inner))
    elif op == 2:
        return x / (T(1.0) + math.exp(-x))
    elif op == 3:
        return x * math.tanh(math.log1p(math.exp(x)))
    elif op == 4:  # softplus(beta=p0, threshold=p1)
        xb = x * p0
        if xb > p1:
            return x
        return math.log1p(math.exp(xb)) / p0
    elif op == 5:  # elu: p0 = alpha*scale, p1 = scale, p2 = input_scale
        if x <= 0:
            return math.expm1(x * p2) * p0
        return x * p1
    elif op == 6:
        return x if x > 0 else x * p0
    elif op == 7:  # hardtanh(min=p0, max=p1)
        if x < p0:
            return p0
        if x > p1:
            return p1
        return x
    elif op == 8:
        y = x + T(3.0)
        if y < 0:
            y = T(0.0)
        if y > T(6.0):
            y = T(6.0)
        return y / T(6.0)
    elif op == 9:
        y = x + T(3.0)
        if y < 0:
            y = T(0.0)
        if y > T(6.0):
            y = T(6.0)
        return x * y / T(6.0)
    else:
        m = x if x < 0 else T(0.0)
        return m - math.log1p(math.exp(-abs(x)))


@njit(inline="always")
def _int(op, x, p0, p1, p2):
    v = np.int64(x)
    if op == 0:
        return -v if v < 0 else v
    elif op == 1:
        return -v
    elif op == 2:
        return np.int64(v > 0) - np.int64(v < 0)
    elif op == 3:
        return v * v
    elif op == 4:
        return ~v
    elif op == 5:
        return v if v > 0 else np.int64(0)
    else:
        if v < p0:
            return p0
        if v > p1:
            return p1
        return v


@njit(inline="always")
def _pred(op, x, p0, p1, p2):
    if op == 0:
        return x != x
    elif op == 1:
        return x == np.inf or x == -np.inf
    elif op == 2:
        return x == x and x != np.inf and x != -np.inf
    else:
        return x == 0


# ---------------------------------------------------------------- strided loops

@njit(inline="always")
def _run(f, op, a, pa, ai, out, po, oi, n, p0, p1, p2):
    if ai == 1 and oi == 1:
        a2 = a[pa:pa + n]
        o2 = out[po:po + n]
        for j in range(n):
            o2[j] = f(op, a2[j], p0, p1, p2)
    else:
        for j in range(n):
            out[po + j * oi] = f(op, a[pa + j * ai], p0, p1, p2)


@njit(inline="always")
def _unary(f, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    rows = 1
    for d in range(nd - 1):
        rows *= shape[d]
    ai = a_st[nd - 1]
    oi = o_st[nd - 1]
    if rows == 1:
        nch = (inner + CHUNK - 1) // CHUNK
        for c in prange(nch):
            s = c * CHUNK
            e = min(s + CHUNK, inner)
            _run(f, op, a, a_off + s * ai, ai, out, o_off + s * oi, oi, e - s, p0, p1, p2)
        return
    for r in prange(rows):
        rem = np.int64(r) + 0
        pa = a_off
        po = o_off
        for d in range(nd - 2, -1, -1):
            idx = rem % shape[d]
            rem //= shape[d]
            pa += idx * a_st[d]
            po += idx * o_st[d]
        _run(f, op, a, pa, ai, out, po, oi, inner, p0, p1, p2)


# Kernel signature: (op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)

@njit(cache=True, error_model="numpy")
def basic_serial(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_basic, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, parallel=True, error_model="numpy")
def basic_parallel(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_basic, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, error_model="numpy")
def trig_serial(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_trig, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, parallel=True, error_model="numpy")
def trig_parallel(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_trig, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, error_model="numpy")
def special_serial(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_special, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, parallel=True, error_model="numpy")
def special_parallel(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_special, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, error_model="numpy")
def act_serial(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_act, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, parallel=True, error_model="numpy")
def act_parallel(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_act, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, error_model="numpy")
def int_serial(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_int, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, parallel=True, error_model="numpy")
def int_parallel(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_int, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, error_model="numpy")
def pred_serial(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_pred, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


@njit(cache=True, parallel=True, error_model="numpy")
def pred_parallel(op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2):
    _unary(_pred, op, a, a_off, a_st, out, o_off, o_st, shape, p0, p1, p2)


# ---------------------------------------------------------------- flat kernels of hot nn ops
# One op per loop, so LLVM vectorises it (the op-code chain of the grouped kernels keeps
# them scalar): contiguous 1-d buffers of one float dtype, serial.

@njit(cache=True, error_model="numpy")
def relu_flat(a, out):
    """out = relu(a): 0 where a < 0, else a (so NaN and -0.0 pass through, as torch)."""
    for i in range(a.shape[0]):
        v = a[i]
        out[i] = type(v)(0) if v < 0 else v


@njit(cache=True, error_model="numpy")
def threshold_backward_flat(g, x, out, threshold):
    """out = 0 where x <= threshold, else g (a NaN gradient is zeroed too, as torch)."""
    t = g.dtype.type(threshold)
    for i in range(g.shape[0]):
        out[i] = type(t)(0) if x[i] <= t else g[i]


@njit(cache=True, error_model="numpy")
def tanh_backward_flat(g, y, out):
    """out = g * (1 - y * y), the parenthesis one fused multiply-add, as torch's kernel
    is compiled."""
    for i in range(g.shape[0]):
        v = y[i]
        out[i] = g[i] * fma(-v, v, type(v)(1))


@njit(cache=True, error_model="numpy")
def sigmoid_backward_flat(g, y, out):
    """out = g * (1 - y) * y, multiplied left to right as torch's kernel."""
    for i in range(g.shape[0]):
        v = y[i]
        out[i] = g[i] * (type(v)(1) - v) * v
