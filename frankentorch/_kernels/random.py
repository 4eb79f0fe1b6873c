"""Random-number kernels: PyTorch's CPU generator (mt19937) and its sampling loops.

A generator's state is a uint32 array ``mt`` (the 624 mt19937 words) and an int64 array
``pos`` = [left, next] (the engine's countdown and read index), both mutated in place, so a
draw sequence continues exactly where the previous call stopped. ``cache`` is a float64
[valid, value] pair: the second Box-Muller sample that the scalar normal sampler keeps for
its next call. Every loop follows ATen's draw order: ``random()`` is one 32-bit output,
``random64()`` two outputs joined high word first; uniform floats take the low 24 (float) or
53 (double) bits of one draw.

ATen's vectorised float32 normal fill (AVX2: Cephes log and sincos, with the multiply-adds
that GCC fuses when it builds that kernel) is reproduced lane by lane in float32, so values
are bit-identical, not merely close; CPUs where ATen runs its AVX-512 kernels get the formula
of its scalar fill instead, as ATen does (there, values can differ from torch's in the last
bit).
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .intrinsics import fma

N = 624
M = 397
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER = np.uint32(0x80000000)
_LOWER = np.uint32(0x7FFFFFFF)

F32 = np.float32
_ONE = F32(1.0)
_ZERO = F32(0.0)
_HALF = F32(0.5)
_MINUS_TWO = F32(-2.0)
_TWO_PI_F = F32(2.0 * math.pi)
_EPS_24 = F32(1.0 / (1 << 24))
_EPS_53 = 1.0 / (1 << 53)
_MASK_53 = np.uint64((1 << 53) - 1)


@intrinsic
def _bits_of(typingctx, x):
    """The bit pattern of a float32 as an int32."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def _float_of(typingctx, i):
    """The float32 with the bit pattern of an int32."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


# ---------------------------------------------------------------- engine

@njit(cache=True)
def seed(mt, pos, value):
    """mt19937's init_genrand with the low 32 bits of ``value``; the next draw twists."""
    mt[0] = np.uint32(value & 0xFFFFFFFF)
    for j in range(1, N):
        prev = np.uint64(mt[j - 1])
        mt[j] = np.uint32((np.uint64(1812433253) * (prev ^ (prev >> np.uint64(30)))
                           + np.uint64(j)) & np.uint64(0xFFFFFFFF))
    pos[0] = 1
    pos[1] = 0


@njit(inline="always")
def _twist(u, v):
    y = (u & _UPPER) | (v & _LOWER)
    r = y >> np.uint32(1)
    if v & np.uint32(1):
        r ^= _MATRIX_A
    return r


@njit
def _next_state(mt):
    for k in range(N - M):
        mt[k] = mt[k + M] ^ _twist(mt[k], mt[k + 1])
    for k in range(N - M, N - 1):
        mt[k] = mt[k + M - N] ^ _twist(mt[k], mt[k + 1])
    mt[N - 1] = mt[M - 1] ^ _twist(mt[N - 1], mt[0])


@njit(inline="always")
def _temper(y):
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    return y ^ (y >> np.uint32(18))


@njit(inline="always")
def next32(mt, pos):
    """One tempered 32-bit output (``CPUGeneratorImpl::random``)."""
    pos[0] -= 1
    if pos[0] == 0:
        _next_state(mt)
        pos[0] = N
        pos[1] = 0
    y = mt[pos[1]]
    pos[1] += 1
    return _temper(y)


@njit(inline="always")
def next64(mt, pos):
    """``random64``: two outputs, the first one the high word."""
    hi = np.uint64(next32(mt, pos))
    lo = np.uint64(next32(mt, pos))
    return (hi << np.uint64(32)) | lo


@njit(inline="always")
def uniform_double(mt, pos):
    """[0, 1) float64 from the low 53 bits of ``random64``."""
    return float(next64(mt, pos) & _MASK_53) * _EPS_53


# ---------------------------------------------------------------- raw stream and uniforms
# Samplers whose draw count is known up front take a block of raw words from ``raw32`` and
# turn it into values with a loop free of generator state (which LLVM vectorises).

@njit(cache=True)
def raw32(mt, pos, out):
    """The next ``out.size`` tempered outputs, exactly as repeated ``random()`` calls."""
    left = pos[0]
    nxt = pos[1]
    i = 0
    n = out.size
    while i < n:
        left -= 1
        if left == 0:
            _next_state(mt)
            left = N
            nxt = 0
        # the remaining words of this state need no twist: temper them as a block
        m = min(n - i, left)
        for j in range(m):
            out[i + j] = _temper(mt[nxt + j])
        nxt += m
        left -= m - 1
        i += m
    pos[0] = left
    pos[1] = nxt


@njit(inline="always")
def _word64(raw, i):
    """``random64`` from the raw words 2i (high) and 2i+1 (low)."""
    return (np.uint64(raw[2 * i]) << np.uint64(32)) | np.uint64(raw[2 * i + 1])


@njit(inline="always")
def _unit_float(w):
    """[0, 1) float32 from the low 24 bits of one word."""
    return F32(np.int32(w & np.uint32(0xFFFFFF))) * _EPS_24


@njit(inline="always")
def _unit_double(raw, i):
    """[0, 1) float64 from the low 53 bits of the i-th ``random64`` in ``raw``."""
    return float(np.int64(_word64(raw, i) & _MASK_53)) * _EPS_53


@njit(cache=True)
def random_ints(raw, out, span, lo, wide):
    """``random_``'s integers: lo + w % span (two's complement), w one word or, when ``wide``,
    a ``random64``; span 0 stands for 2**64 (every 64-bit value)."""
    s = np.uint64(span)
    base = np.uint64(lo)
    for i in range(out.size):
        w = _word64(raw, i) if wide else np.uint64(raw[i])
        if span != 0:
            w = w % s + base
        out[i] = np.int64(w)


@njit(cache=True)
def uniform32(raw, out, lo, hi):
    """``uniform_real_distribution<float>(lo, hi)`` from one word per value: the low 24 bits
    times 2**-24, then x * (hi - lo) + lo fused (as GCC compiles ATen's kernel); a value that
    rounds up to ``hi`` becomes ``lo``."""
    span = hi - lo
    for i in range(out.size):
        v = fma(_unit_float(raw[i]), span, lo)
        out[i] = lo if v == hi else v


@njit(cache=True)
def uniform64(raw, out, lo, hi):
    """``uniform_real_distribution<double>(lo, hi)`` from two words per value (53 bits)."""
    span = hi - lo
    for i in range(out.size):
        v = fma(_unit_double(raw, i), span, lo)
        out[i] = lo if v == hi else v


EXPONENTIAL, CAUCHY, GEOMETRIC = range(3)


@njit(cache=True)
def from_uniform64(raw, out, kind, a, b):
    """Samplers over one double uniform u (two words) per value: exponential (lambda=a):
    -1/a * log1p(-u); cauchy (median a, sigma b): a + b * tan(pi * (u - 0.5));
    geometric (p=a): ceil(log(u) / log1p(-a))."""
    for i in range(out.size):
        u = _unit_double(raw, i)
        if kind == EXPONENTIAL:
            out[i] = -1.0 / a * math.log1p(-u)
        elif kind == CAUCHY:
            out[i] = a + b * math.tan(math.pi * (u - 0.5))
        else:
            out[i] = math.ceil(math.log(u) / math.log1p(-a))


# ---------------------------------------------------------------- normal

@njit(cache=True)
def normal_scalar(mt, pos, cache, out, mean, std, log_normal):
    """``normal_distribution<double>``: Box-Muller on two double uniforms; the sine sample is
    cached in the generator for the next draw. ``log_normal`` takes exp of each sample."""
    for i in range(out.size):
        if cache[0] != 0.0:
            cache[0] = 0.0
            v = fma(cache[1], std, mean)
        else:
            u1 = uniform_double(mt, pos)
            u2 = uniform_double(mt, pos)
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            cache[0] = 1.0
            cache[1] = r * math.sin(theta)
            v = fma(r * math.cos(theta), std, mean)
        out[i] = math.exp(v) if log_normal else v


_SQRTHF = F32(0.707106781186547524)
_LOG_P = (F32(7.0376836292E-2), F32(-1.1514610310E-1), F32(1.1676998740E-1),
          F32(-1.2420140846E-1), F32(1.4249322787E-1), F32(-1.6668057665E-1),
          F32(2.0000714765E-1), F32(-2.4999993993E-1), F32(3.3333331174E-1))
_LOG_Q1 = F32(-2.12194440e-4)
_LOG_Q2 = F32(0.693359375)
_MIN_NORM = F32(1.17549435e-38)
_DP1 = F32(-0.78515625)
_DP2 = F32(-2.4187564849853515625e-4)
_DP3 = F32(-3.77489497744594108e-8)
_SIN_P = (F32(-1.9515295891E-4), F32(8.3321608736E-3), F32(-1.6666654611E-1))
_COS_P = (F32(2.443315711809948E-005), F32(-1.388731625493765E-003),
          F32(4.166664568298827E-002))
_FOPI = F32(1.27323954473516)


@njit(inline="always")
def _log_lane(x):
    """Cephes logf as ATen's log256_ps computes one lane (x > 0)."""
    b = _bits_of(max(x, _MIN_NORM))
    e = F32((b >> np.int32(23)) - np.int32(127)) + _ONE
    x = _float_of((b & np.int32(~0x7F800000)) | np.int32(0x3F000000))
    tmp = _ZERO
    if x < _SQRTHF:
        tmp = x
        e = e - _ONE
    else:
        e = e - _ZERO
    x = x - _ONE
    x = x + tmp
    z = x * x
    y = fma(_LOG_P[0], x, _LOG_P[1])
    y = fma(y, x, _LOG_P[2])
    y = fma(y, x, _LOG_P[3])
    y = fma(y, x, _LOG_P[4])
    y = fma(y, x, _LOG_P[5])
    y = fma(y, x, _LOG_P[6])
    y = fma(y, x, _LOG_P[7])
    y = fma(y, x, _LOG_P[8])
    y = y * x
    y = fma(y, z, e * _LOG_Q1)
    y = fma(-z, _HALF, y)
    return fma(e, _LOG_Q2, x + y)


@njit(inline="always")
def _sincos_lane(x):
    """Cephes sincosf as ATen's sincos256_ps computes one lane; returns (sin, cos)."""
    sign_sin = _bits_of(x) & np.int32(-0x80000000)
    x = abs(x)
    j = np.int32(x * _FOPI)
    j = (j + np.int32(1)) & np.int32(-2)
    y = F32(j)
    sign_sin ^= (j & np.int32(4)) << np.int32(29)
    poly_sin = (j & np.int32(2)) == np.int32(0)
    x = fma(y, _DP1, x)
    x = fma(y, _DP2, x)
    x = fma(y, _DP3, x)
    sign_cos = (~(j - np.int32(2)) & np.int32(4)) << np.int32(29)
    z = x * x
    c = fma(_COS_P[0], z, _COS_P[1])
    c = fma(c, z, _COS_P[2])
    c = c * z
    c = fma(c, z, -(z * _HALF))
    c = c + _ONE
    s = fma(_SIN_P[0], z, _SIN_P[1])
    s = fma(s, z, _SIN_P[2])
    s = s * z
    s = fma(s, x, x)
    ysin2 = s if poly_sin else _ZERO
    ysin1 = _ZERO if poly_sin else c
    s = s - ysin2
    c = c - ysin1
    sin = _float_of(_bits_of(ysin1 + ysin2) ^ np.int32(sign_sin))
    cos = _float_of(_bits_of(c + s) ^ np.int32(sign_cos))
    return sin, cos


@njit(inline="always")
def _fill_blocks_f32(d, start, nblocks, mean, std, avx2):
    """NormalFill16 over ``nblocks`` consecutive blocks of 16 from d[start]: the first 8 of
    each block hold u1 and become cos samples, the last 8 hold u2 and become sin samples.
    ``avx2``: ATen's AVX2 kernel (Cephes in float32, fused as GCC fuses it); otherwise the
    formula of its scalar kernel, which CPUs with AVX-512 run (libm logf/cosf/sinf, the
    angle rounded from double; torch's build of it can differ in the last bit)."""
    m = nblocks * 8
    us = np.empty(m, np.float32)
    vs = np.empty(m, np.float32)
    for b in range(nblocks):
        for j in range(8):
            us[b * 8 + j] = d[start + b * 16 + j]
            vs[b * 8 + j] = d[start + b * 16 + 8 + j]
    if avx2:
        for i in range(m):
            radius = math.sqrt(_MINUS_TWO * _log_lane(_ONE - us[i]))
            s, c = _sincos_lane(_TWO_PI_F * vs[i])
            us[i] = fma(radius * c, std, mean)
            vs[i] = fma(radius * s, std, mean)
    else:
        for i in range(m):
            radius = math.sqrt(_MINUS_TWO * math.log(_ONE - us[i]))
            theta = F32(2.0 * math.pi * float(vs[i]))
            us[i] = fma(radius * math.cos(theta), std, mean)
            vs[i] = fma(radius * math.sin(theta), std, mean)
    for b in range(nblocks):
        for j in range(8):
            d[start + b * 16 + j] = us[b * 8 + j]
            d[start + b * 16 + 8 + j] = vs[b * 8 + j]


@njit(cache=True)
def normal_fill_f32(raw, d, mean, std, per_block, avx2):
    """Vectorised normal fill of ``d`` (n >= 16) from float uniforms (one raw word each):
    float32 takes all n uniforms first, then transforms blocks of 16; half types
    (``per_block``) take 16 per block. A ragged tail takes 16 more for the last 16 values.
    ``raw`` holds exactly the words used: n (+16) or 16 per block (+16)."""
    n = d.size
    full = n - n % 16
    k = full if per_block else n  # words before the tail (block b takes 16b..16b+15)
    for i in range(k):
        d[i] = _unit_float(raw[i])
    _fill_blocks_f32(d, 0, full // 16, mean, std, avx2)
    if n % 16:
        for j in range(16):
            d[n - 16 + j] = _unit_float(raw[k + j])
        _fill_blocks_f32(d, n - 16, 1, mean, std, avx2)


@njit(inline="always")
def _fill16_f64(d, o, mean, std):
    for j in range(8):
        u1 = 1.0 - d[o + j]
        radius = math.sqrt(-2.0 * math.log(u1))
        theta = 2.0 * math.pi * d[o + j + 8]
        d[o + j] = fma(radius * math.cos(theta), std, mean)
        d[o + j + 8] = fma(radius * math.sin(theta), std, mean)


@njit(cache=True)
def normal_fill_f64(raw, d, mean, std):
    """ATen's scalar NormalFill16 for double (n >= 16); two raw words per uniform, n (+16)
    uniforms."""
    n = d.size
    for i in range(n):
        d[i] = _unit_double(raw, i)
    for i in range(0, n - 15, 16):
        _fill16_f64(d, i, mean, std)
    if n % 16:
        for j in range(16):
            d[n - 16 + j] = _unit_double(raw, n + j)
        _fill16_f64(d, n - 16, mean, std)


# ---------------------------------------------------------------- permutations and categories

@njit(cache=True)
def randperm(raw, out):
    """Fisher-Yates as ATen's randperm: swap i with i + ``random() % (n - i)``; for n past
    2**32/20 the inside-out variant with ``random64() % (i + 1)``. ``raw`` holds n - 1 words,
    or 2n for the second form."""
    n = out.size
    if n < 0xFFFFFFFF // 20:
        for i in range(n):
            out[i] = i
        for i in range(n - 1):
            z = np.int64(raw[i] % np.uint32(n - i))
            t = out[i]
            out[i] = out[z + i]
            out[z + i] = t
    else:
        for i in range(n):
            z = np.int64(_word64(raw, i) % np.uint64(i + 1))
            out[i] = out[z]
            out[z] = i


@njit(cache=True)
def multinomial_replacement(probs, uniforms, single, out):
    """Samples with replacement row by row: normalised cumulative sums (rounded to float32
    after every step when ``single``), one double uniform per sample, binary search."""
    rows, k = probs.shape
    cum = np.empty(k, np.float64)
    for r in range(rows):
        total = 0.0
        for j in range(k):
            total = total + probs[r, j]
            if single:
                total = float(F32(total))
            cum[j] = total
        for j in range(k):
            v = cum[j] / total
            cum[j] = float(F32(v)) if single else v
        cum[k - 1] = 1.0
        n_sample = out.shape[1]
        for s in range(n_sample):
            u = uniforms[r * n_sample + s]
            left = 0
            right = k
            while right - left > 0:
                mid = left + (right - left) // 2
                if cum[mid] < u:
                    left = mid + 1
                else:
                    right = mid
            out[r, s] = left
