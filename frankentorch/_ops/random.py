"""Random sampling: in-place samplers (uniform_, normal_, bernoulli_, random_, exponential_),
bernoulli, multinomial, normal and the random factories (rand, randn, randint, randperm and
their *_like forms).

Values are bit-identical to PyTorch's CPU generator under the same seed: each op draws from
the generator in ATen's order (the TensorIterator order of the written tensor) with ATen's
algorithm for the dtype and size, then stores with C-cast rounding.
"""
from __future__ import annotations

import math
import os
import threading
import warnings

import numpy as np

from .._core import dtype as D
from .._core.device import as_device
from .._core.generator import Generator, default_generator
from .._core.meta import numel_of
from .._core.storage import store
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_contiguous, empty_tensor, flat_data
from . import iterator as it
from .copy import resize_out
from .creation import _finish, _like, _sizes, zeros_like

__all__ = ["rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like",
           "randint_like"]

_GEN = "*, Generator? generator=None"
_HALF = (D.float16, D.bfloat16)


_KERNELS = []


def _k():
    """The kernel module, imported on first use (Numba stays out of ``import frankentorch``)."""
    if not _KERNELS:
        from .._kernels import random as kernels
        _KERNELS.append(kernels)
    return _KERNELS[0]


def _engine(generator):
    """(mt, pos, normal cache) of ``generator`` or of the default generator."""
    if generator is None:
        generator = default_generator
    elif not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, but got {type(generator).__name__}")
    return generator.engine()


_SCRATCH = threading.local()
_SCRATCH_MAX = 1 << 22  # words kept between calls (16 MiB): warm pages, no fresh page faults


def _raw(generator, count: int) -> np.ndarray:
    """The generator's next ``count`` 32-bit outputs (what ATen's ``random()`` returns), in a
    per-thread reused buffer for moderate counts: valid until the thread's next call."""
    mt, pos, _ = _engine(generator)
    if count > _SCRATCH_MAX:
        raw = np.empty(count, np.uint32)
    else:
        buf = getattr(_SCRATCH, "words", None)
        if buf is None or buf.size < count:
            buf = _SCRATCH.words = np.empty(max(count, 4096), np.uint32)
        raw = buf[:count]
    if count:
        _k().raw32(mt, pos, raw)
    return raw


def _sample_into(t: Tensor, kdt, compute) -> None:
    """``compute(buffer)`` writes t.numel() values of NumPy dtype ``kdt`` in iteration order;
    a contiguous ``t`` of that dtype is written in place, others through a temporary."""
    n = t.numel()
    if t.is_contiguous() and t._dtype.np_dtype == kdt:
        compute(flat_data(t))
        return
    buf = np.empty(n, kdt)
    compute(buf)
    _store_drawn(t, buf)


_CAPABILITY: list[bool] = []


def _avx2_kernels() -> bool:
    """Whether ATen on this CPU runs its AVX2 kernels rather than its AVX-512 ones (chosen as
    ATen chooses: AVX-512 F/BW/DQ/VL, or the ATEN_CPU_CAPABILITY override)."""
    if not _CAPABILITY:
        forced = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
        try:
            with open("/proc/cpuinfo") as f:
                flags = set(next((ln for ln in f if ln.startswith("flags")), "").split())
        except OSError:
            flags = set()
        avx512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags
        _CAPABILITY.append(forced == "avx2" or (forced != "avx512" and not avx512))
    return _CAPABILITY[0]


def _iteration_order(t: Tensor, *others: Tensor) -> list[int]:
    """``t``'s dims from outermost to innermost as TensorIterator walks them when writing
    ``t`` (sorted by stride, ``others``' strides breaking ties): the order draws are used."""
    if t.is_contiguous():
        return list(range(t.ndim))
    strides = [t._stride] + [it.broadcast_strides(o._shape, o._stride, t._shape)
                             for o in others]
    layout = it._layout_strides(t._shape, strides)
    return sorted(range(t.ndim), key=lambda d: -layout[d])


def _store_drawn(t: Tensor, values: np.ndarray, order=None) -> None:
    """Store values drawn in iteration order (C-cast rounding to ``t``'s dtype)."""
    if t._dtype in _HALF and values.dtype != np.float32:
        values = values.astype(np.float32)  # c10 narrows through float
    if t.is_contiguous():
        store(flat_data(t), values)
        return
    view = t._array().transpose(_iteration_order(t) if order is None else order)
    store(view, values.reshape(view.shape))


def _writable(t: Tensor) -> bool:
    """Checks of an in-place sampler; False when there is nothing to draw (empty or meta)."""
    if not t.is_contiguous():  # only strided layouts can overlap themselves
        it.check_writable(t)
    return t._data is not None and t.numel() > 0


def _finish_inplace(t: Tensor) -> Tensor:
    t._bump_version()
    return t


# ---------------------------------------------------------------- uniform_

uniform_ = defop(f"uniform_(Tensor(a!) self, float from=0, float to=1, {_GEN}) -> Tensor(a!)",
                 ("method",))


def _check_bounds(name: str, dt: D.dtype, value: float) -> None:
    info = D.finfo(dt)
    if not float(info.min) <= value <= float(info.max):
        raise RuntimeError(f"{name} is out of bounds for {dt.cxx_name}")


@uniform_.impl("CPU", "Meta")
def _uniform_(self, from_=0.0, to=1.0, generator=None):
    dt = self._dtype
    if not dt.is_floating_point:
        raise it.not_implemented("check_uniform_bounds", dt)
    _check_bounds("from", dt, from_)
    _check_bounds("to", dt, to)
    if not from_ <= to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_:g} > to={to:g}")
    if to - from_ > float(D.finfo(dt).max):
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{dt.scalar_type_name}>::max(), but found to={to:g} and "
                           f"from={from_:g} which result in to-from to exceed the limit")
    if not _writable(self):
        return self
    n = self.numel()
    if dt is D.float64:
        raw = _raw(generator, 2 * n)
        _sample_into(self, np.float64, lambda b: _k().uniform64(raw, b, float(from_), float(to)))
    elif dt is D.float32:
        raw = _raw(generator, n)
        _sample_into(self, np.float32,
                     lambda b: _k().uniform32(raw, b, np.float32(from_), np.float32(to)))
    else:  # computed in float, rounded to the half type, kept below ``to`` there too
        vals = np.empty(n, np.float32)
        _k().uniform32(_raw(generator, n), vals, np.float32(from_), np.float32(to))
        vals = vals.astype(dt.np_dtype)
        vals[vals == dt.np_dtype.type(np.float32(to))] = dt.np_dtype.type(np.float32(from_))
        _store_drawn(self, vals)
    return _finish_inplace(self)


# ---------------------------------------------------------------- normal_ / normal

normal_ = defop(f"normal_(Tensor(a!) self, float mean=0, float std=1, {_GEN}) -> Tensor(a!)",
                ("method",))


def _check_std(std: float) -> None:
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


@normal_.impl("CPU", "Meta")
def _normal_(self, mean=0.0, std=1.0, generator=None):
    _check_std(std)
    dt = self._dtype
    if not _writable(self):
        return self
    if not dt.is_floating_point:
        raise it.not_implemented("normal_kernel_cpu", dt)
    n = self.numel()
    k = _k()
    tail = 16 if n % 16 else 0
    if n >= 16 and self.is_contiguous():  # ATen's vectorised Box-Muller fill
        if dt is D.float64:
            raw = _raw(generator, 2 * (n + tail))
            _sample_into(self, np.float64,
                         lambda b: k.normal_fill_f64(raw, b, float(mean), float(std)))
        else:
            half = dt in _HALF
            raw = _raw(generator, (n - n % 16 if half else n) + tail)
            _sample_into(self, np.float32, lambda b: k.normal_fill_f32(
                raw, b, np.float32(mean), np.float32(std), half, _avx2_kernels()))
    else:  # scalar Box-Muller in double, sharing the generator's cached sample
        mt, pos, cache = _engine(generator)
        _sample_into(self, np.float64, lambda b: k.normal_scalar(
            mt, pos, cache, b, float(mean), float(std), False))
    return _finish_inplace(self)


def _std_tensor_check(std: Tensor) -> None:
    if std.numel() and std._data is not None and bool((std._array() < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")


_normal_tf = defop(f"normal.Tensor_float(Tensor mean, float std=1, {_GEN}) -> Tensor",
                   ("function",))
_normal_ft = defop(f"normal.float_Tensor(float mean, Tensor std, {_GEN}) -> Tensor",
                   ("function",))
_normal_tt = defop(f"normal.Tensor_Tensor(Tensor mean, Tensor std, {_GEN}) -> Tensor",
                   ("function",))
_normal_ff = defop(f"normal.float_float(float mean, float std, SymInt[] size, {_GEN}, "
                   "ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
                   "bool? pin_memory=None) -> Tensor", ("function",))


def _contiguous_like(t: Tensor) -> Tensor:
    return empty_tensor(t._shape, t._dtype, t._device)


@_normal_tf.impl("CPU", "Meta")
def _normal_tf_kernel(mean, std=1.0, generator=None):
    _check_std(std)
    out = _normal_(_contiguous_like(mean), 0.0, std, generator)
    return out.add_(mean)


@_normal_ft.impl("CPU", "Meta")
def _normal_ft_kernel(mean, std, generator=None):
    _std_tensor_check(std)
    out = _normal_(_contiguous_like(std), 0.0, 1.0, generator)
    return out.mul_(std).add_(mean)


@_normal_tt.impl("CPU", "Meta")
def _normal_tt_kernel(mean, std, generator=None):
    _std_tensor_check(std)
    shape = it.broadcast_operands_shape(mean, std)
    out = _normal_(empty_tensor(shape, mean._dtype, mean._device), 0.0, 1.0, generator)
    return out.mul_(std).add_(mean)


@_normal_ff.impl("CPU", "Meta")
def _normal_ff_kernel(mean, std, size, generator=None, dtype=None, layout=None, device=None,
                      pin_memory=None):
    t = empty_tensor(size, dtype or D.get_default_dtype(), as_device(device))
    return _normal_(t, mean, std, generator)


def normal(mean, std=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """torch.normal's four overloads: tensor/float mean and std, or two floats and a size."""
    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if m_t and s_t:
        r = _normal_tt(mean, std, generator=generator)
    elif m_t:
        r = _normal_tf(mean, 1.0 if std is None else std, generator=generator)
    elif s_t:
        r = _normal_ft(mean, std, generator=generator)
    elif size is not None:
        r = _normal_ff(mean, std, _sizes("normal", (size,)), generator=generator,
                       dtype=dtype, device=device)
        return _finish(r, requires_grad, out)
    else:
        raise TypeError(f"normal() received an invalid combination of arguments - got "
                        f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                        "of:\n * (Tensor mean, Tensor std)\n * (Tensor mean, float std = 1)\n"
                        " * (float mean, Tensor std)\n * (float mean, float std, tuple of "
                        "ints size)")
    return _finish(r, False, out)


# ---------------------------------------------------------------- bernoulli

_bernoulli_f_ = defop(f"bernoulli_.float(Tensor(a!) self, float p=0.5, {_GEN}) -> Tensor(a!)",
                      ("method",))
_bernoulli_t_ = defop(f"bernoulli_.Tensor(Tensor(a!) self, Tensor p, {_GEN}) -> Tensor(a!)",
                      ("method",))
_bernoulli_p = defop(f"bernoulli.p(Tensor self, float p, {_GEN}) -> Tensor")
_bernoulli = defop(f"bernoulli(Tensor self, {_GEN}) -> Tensor")
_bernoulli_out = defop(f"bernoulli.out(Tensor self, {_GEN}, Tensor(a!) out) -> Tensor(a!)")

_P_INVALID = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
              "message be improved?  If so, please report an enhancement request to PyTorch.)")


@_bernoulli_t_.impl("CPU", "Meta")
def _bernoulli_tensor_(self, p, generator=None):
    if not _writable(self):
        return self
    if not p._dtype.is_floating_point:
        raise it.not_implemented("bernoulli_tensor_cpu_p_", p._dtype)
    pe = p.expand(self._shape)
    order = _iteration_order(self, pe)
    probs = pe._array().transpose(order).reshape(-1)
    probs = probs.astype(np.float64 if p._dtype is D.float64 else np.float32)
    bad = np.flatnonzero(~((probs >= 0) & (probs <= 1)))
    n = bad[0] if bad.size else probs.size  # draws happen up to the first invalid p
    u = np.empty(n, probs.dtype)
    if p._dtype is D.float64:
        _k().uniform64(_raw(generator, 2 * n), u, 0.0, 1.0)
    else:
        _k().uniform32(_raw(generator, n), u, np.float32(0.0), np.float32(1.0))
    if bad.size:
        raise RuntimeError(_P_INVALID)
    _store_drawn(self, u < probs, order)
    return _finish_inplace(self)


@_bernoulli_f_.impl("CPU", "Meta")
def _bernoulli_float_(self, p=0.5, generator=None):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    if not _writable(self):
        return self
    u = np.empty(self.numel(), np.float64)
    _k().uniform64(_raw(generator, 2 * u.size), u, 0.0, 1.0)
    _store_drawn(self, u < p)
    return _finish_inplace(self)


@_bernoulli.impl("CPU", "Meta")
def _bernoulli_kernel(self, generator=None):
    return _bernoulli_tensor_(_contiguous_like(self), self, generator)


@_bernoulli_p.impl("CPU", "Meta")
def _bernoulli_p_kernel(self, p, generator=None):
    return _bernoulli_float_(_contiguous_like(self), p, generator)


@_bernoulli_out.impl("CPU", "Meta")
def _bernoulli_out_kernel(self, generator=None, out=None):
    resize_out(out, self._shape)
    return _bernoulli_tensor_(out, self, generator)


# ---------------------------------------------------------------- random_

_random_ = defop(f"random_(Tensor(a!) self, {_GEN}) -> Tensor(a!)", ("method",))
_random_from = defop(f"random_.from(Tensor(a!) self, int from, int? to, {_GEN}) -> Tensor(a!)",
                     ("method",))
_random_to = defop(f"random_.to(Tensor(a!) self, int to, {_GEN}) -> Tensor(a!)", ("method",))

_INT64_MIN = -(1 << 63)
_U64 = (1 << 64) - 1


def _digits(dt: D.dtype) -> int:
    return {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}[dt.name]


def _round_trip(v: int, dt: D.dtype) -> int:
    """static_cast<int64_t>(static_cast<scalar_t>(v)) for a floating scalar_t."""
    x = np.array([v], np.int64).astype(np.float32 if dt in _HALF else dt.np_dtype)
    if dt in _HALF:
        x = x.astype(dt.np_dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # inf -> INT64_MIN, as on x86
        return int(x.astype(np.float64).astype(np.int64)[0])


def _update_from(v: int, dt: D.dtype) -> int:
    r = _round_trip(v + 1, dt)
    if r < v:
        n = (abs(v + 1)).bit_length() - 1
        v = r + (1 << (n - _digits(dt) + 1))
    return v


def _update_to(v: int, dt: D.dtype) -> int:
    r = _round_trip(v - 1, dt)
    if r >= v:
        n = (abs(v - 1)).bit_length() - 1
        v = r - (1 << (n - _digits(dt) + 1))
    return v


def _check_from_to(lo: int, hi_inc: int, dt: D.dtype) -> None:
    if dt.is_floating_point:
        info = D.finfo(dt)
        lim = (float(info.min), float(info.max))
    elif dt is D.bool_:
        lim = (0, 1)
    else:
        info = D.iinfo(dt)
        lim = (int(info.min), int(info.max))
    for name, v in (("from", lo), ("to - 1", hi_inc)):
        if not lim[0] <= v <= lim[1]:
            raise RuntimeError(f"{name} is out of bounds for {dt.cxx_name}")
    if dt.is_floating_point:
        d = _digits(dt)
        for name, v in (("from", lo), ("to - 1", hi_inc)):
            if v < -(1 << d) or v > (1 << d):
                warnings.warn(f"{name} is out of bounds [-(2^{d}), 2^{d}]. Due to precision "
                              f"limitations {dt.cxx_name} can support discrete uniform "
                              "distribution only within this range. This warning will become "
                              "an error in version 1.7 release, please fix the code in "
                              "advance", UserWarning, stacklevel=4)


def _random_ints(self, lo: int, span: int, generator, wide: bool | None = None) -> Tensor:
    """Fill with ``lo + w % span`` (span 0: every int64) for raw draws w, converted as
    static_cast<scalar_t> converts an int64; 64-bit draws for spans of 2**28 and more."""
    if wide is None:
        wide = span == 0 or span >= 1 << 28
    n = self.numel()
    raw = _raw(generator, 2 * n if wide else n)
    _sample_into(self, np.int64, lambda b: _k().random_ints(
        raw, b, np.uint64(span), np.uint64(lo & _U64), wide))
    return _finish_inplace(self)


@_random_from.impl("CPU", "Meta")
def _random_from_kernel(self, from_, to=None, generator=None):
    dt = self._dtype
    if self._data is None:
        return self
    if to is not None:
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        if dt.is_floating_point:
            from_, to = _update_from(from_, dt), _update_to(to, dt)
            if from_ >= to:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than "
                                   f"'to' casted to dtype, but got from={from_} >= to={to}")
        _check_from_to(from_, to - 1, dt)
        if not _writable(self):
            return self
        return _random_ints(self, from_, (to - from_) & _U64, generator)
    if from_ != _INT64_MIN:
        if dt.is_floating_point:
            to_inc = 1 << _digits(dt)
            from_ = _update_from(from_, dt)
            if from_ >= to_inc:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or "
                                   "equal to 'to_inc' casted to dtype, but got "
                                   f"from={from_} > to_inc={to_inc}")
        else:
            to_inc = 1 if dt is D.bool_ else int(D.iinfo(dt).max)
        _check_from_to(from_, to_inc, dt)
        if not _writable(self):
            return self
        return _random_ints(self, from_, (to_inc - from_ + 1) & _U64, generator)
    if not _writable(self):
        return self
    if dt not in (D.int64, D.float64, D.float32, D.bfloat16):
        raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, "
                           "float and bfloat16")
    return _random_ints(self, 0, 0, generator)


@_random_to.impl("CPU", "Meta")
def _random_to_kernel(self, to, generator=None):
    return _random_from_kernel(self, 0, to, generator)


# modulus of random_() without bounds per dtype, and whether it draws 64 bits
_RANDOM_SPAN = {"uint8": (1 << 8, False), "int8": (1 << 7, False), "int16": (1 << 15, False),
                "int32": (1 << 31, False), "int64": (1 << 63, True),
                "float16": ((1 << 11) + 1, False), "bfloat16": ((1 << 8) + 1, False),
                "float32": ((1 << 24) + 1, False), "float64": ((1 << 53) + 1, True)}


@_random_.impl("CPU", "Meta")
def _random_kernel(self, generator=None):
    if not _writable(self):
        return self
    span, wide = (2, False) if self._dtype is D.bool_ else _RANDOM_SPAN[self._dtype.name]
    return _random_ints(self, 0, span, generator, wide)


# ---------------------------------------------------------------- exponential_ and kin

exponential_ = defop(f"exponential_(Tensor(a!) self, float lambd=1, {_GEN}) -> Tensor(a!)",
                     ("method",))
cauchy_ = defop(f"cauchy_(Tensor(a!) self, float median=0, float sigma=1, {_GEN}) -> "
                "Tensor(a!)", ("method",))
geometric_ = defop(f"geometric_(Tensor(a!) self, float p, {_GEN}) -> Tensor(a!)", ("method",))
log_normal_ = defop(f"log_normal_(Tensor(a!) self, float mean=1, float std=2, {_GEN}) -> "
                    "Tensor(a!)", ("method",))


def _continuous_only(name: str, dt: D.dtype, spelled: str) -> None:
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {spelled}")


def _from_uniform64(self, generator, kind: int, a: float, b: float = 0.0) -> Tensor:
    raw = _raw(generator, 2 * self.numel())
    _sample_into(self, np.float64, lambda buf: _k().from_uniform64(raw, buf, kind, a, b))
    return _finish_inplace(self)


@exponential_.impl("CPU", "Meta")
def _exponential_(self, lambd=1.0, generator=None):
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    if not _writable(self):
        return self
    _continuous_only("Exponential", self._dtype, self._dtype.scalar_type_name)
    return _from_uniform64(self, generator, _k().EXPONENTIAL, float(lambd))


@cauchy_.impl("CPU", "Meta")
def _cauchy_(self, median=0.0, sigma=1.0, generator=None):
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    _continuous_only("Cauchy", self._dtype, self._dtype.cxx_name)
    if not _writable(self):
        return self
    return _from_uniform64(self, generator, _k().CAUCHY, float(median), float(sigma))


@geometric_.impl("CPU", "Meta")
def _geometric_(self, p, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    if not _writable(self):
        return self
    if self._dtype is D.bool_:
        raise it.not_implemented("geometric_cpu", self._dtype)
    return _from_uniform64(self, generator, _k().GEOMETRIC, float(p))


@log_normal_.impl("CPU", "Meta")
def _log_normal_(self, mean=1.0, std=2.0, generator=None):
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    if not _writable(self):
        return self
    if not self._dtype.is_floating_point:
        raise it.not_implemented("log_normal_cpu", self._dtype)
    mt, pos, cache = _engine(generator)
    _sample_into(self, np.float64, lambda b: _k().normal_scalar(
        mt, pos, cache, b, float(mean), float(std), True))
    return _finish_inplace(self)


# ---------------------------------------------------------------- multinomial

multinomial = defop(f"multinomial(Tensor self, int num_samples, bool replacement=False, "
                    f"{_GEN}) -> Tensor")
_multinomial_out = defop(f"multinomial.out(Tensor self, int num_samples, bool "
                         f"replacement=False, {_GEN}, Tensor(a!) out) -> Tensor(a!)")


def _row_error(row: np.ndarray) -> str | None:
    """The first complaint ATen's sampler with replacement makes about one row, if any."""
    total = 0.0
    for v in row.tolist():
        if not v >= 0:
            return "invalid multinomial distribution (encountering probability entry < 0)"
        if not math.isfinite(v):
            return ("invalid multinomial distribution (encountering probability entry = "
                    "infinity or NaN)")
        total += v
    return None if total > 0 else "invalid multinomial distribution (sum of probabilities <= 0)"


def _multinomial_into(out: Tensor, self: Tensor, n: int, replacement: bool, generator):
    if not 0 < self.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not self._dtype.is_floating_point:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{self._dtype.scalar_type_name}")
    if out._dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {out._dtype.scalar_type_name}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = self._shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if k > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    resize_out(out, (n,) if self.ndim == 1 else (self._shape[0], n))
    if not out.numel() or self._data is None:
        return out
    probs = self._array().astype(np.float64).reshape(-1, k)
    if not replacement or n == 1:
        if not (np.all(probs >= 0) and np.all(probs < np.inf)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(self.to(D.float64).sum(-1)._array().reshape(-1) == 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = _exponential_(empty_tensor(self._shape, self._dtype, self._device,
                                       it.dense_like_strides(self)), 1.0, generator)
        q = self / q
        idx = q.argmax(-1, keepdim=True) if n == 1 else q.topk(n)[1]
        store(out._array(), idx._array())
        return out
    errors = [_row_error(r) for r in probs]
    bad = next((i for i, e in enumerate(errors) if e), len(errors))
    res = np.empty((probs.shape[0], n), np.int64)
    u = np.empty(bad * n, np.float64)
    _k().uniform64(_raw(generator, 2 * u.size), u, 0.0, 1.0)
    _k().multinomial_replacement(probs[:bad], u, self._dtype is not D.float64, res[:bad])
    if bad < len(errors):
        raise RuntimeError(errors[bad])
    store(out._array(), res.reshape(out._shape))
    return out


@multinomial.impl("CPU", "Meta")
def _multinomial_kernel(self, num_samples, replacement=False, generator=None):
    out = empty_tensor((0,), D.int64, self._device)
    return _multinomial_into(out, self, num_samples, replacement, generator)


@_multinomial_out.impl("CPU", "Meta")
def _multinomial_out_kernel(self, num_samples, replacement=False, generator=None, out=None):
    _multinomial_into(out, self, num_samples, replacement, generator)
    out._bump_version()
    return out


# ---------------------------------------------------------------- factories

def _factory(name: str, args: str, dtype: str = "None"):
    """A random factory's two overloads, as torch declares them: ``name(args, *, dtype...)``
    and its ``generator`` overload with a required keyword ``Generator? generator``; one
    kernel ``(args..., generator, dtype, layout, device, pin_memory)`` serves both."""
    tail = (f"ScalarType? dtype={dtype}, Layout? layout=None, Device? device=None, "
            "bool? pin_memory=None) -> Tensor")
    base, _, overload = name.partition(".")
    gen_name = f"{base}.{overload + '_' if overload else ''}generator"
    plain = defop(f"{name}({args}, *, {tail}", ("function",))
    with_gen = defop(f"{gen_name}({args}, *, Generator? generator, {tail}", ("function",))
    n = args.count(",") + 1

    def register(kernel):
        plain.impl("CPU", "Meta")(lambda *a: kernel(*a[:n], None, *a[n:]))
        with_gen.impl("CPU", "Meta")(kernel)
        return lambda *a, generator=None, **kw: \
            with_gen(*a, generator=generator, **kw) if generator is not None else plain(*a, **kw)
    return register


_rand_pair = _factory("rand", "SymInt[] size")
_randn_pair = _factory("randn", "SymInt[] size")
_randint_pair = _factory("randint.low", "SymInt low, SymInt high, SymInt[] size", "long")
_randperm_pair = _factory("randperm", "SymInt n", "long")


def _new(size, dtype, device) -> Tensor:
    dt, dev = dtype or D.get_default_dtype(), as_device(device)
    if dev.type == "cpu":
        return empty_contiguous(tuple(size), numel_of(size), dt)
    return empty_tensor(size, dt, dev)


@_rand_pair
def _rand(size, generator=None, dtype=None, layout=None, device=None, pin_memory=None):
    return _uniform_(_new(size, dtype, device), 0.0, 1.0, generator)


@_randn_pair
def _randn(size, generator=None, dtype=None, layout=None, device=None, pin_memory=None):
    return _normal_(_new(size, dtype, device), 0.0, 1.0, generator)


@_randint_pair
def _randint(low, high, size, generator=None, dtype=None, layout=None, device=None,
                    pin_memory=None):
    return _random_from_kernel(_new(size, dtype or D.int64, device), low, high, generator)


# ATen's check_supported_max_int_with_precision: the largest n, as its message writes it
_PERM_LIMIT = {"float16": (2049, "2049"), "float32": (2 ** 24 + 1, "2^24+1"),
               "float64": (2 ** 53 + 1, "2^53+1")}


@_randperm_pair
def _randperm(n, generator=None, dtype=None, layout=None, device=None,
                     pin_memory=None):
    dt = dtype or D.int64
    t = _new(_sizes("randperm", (n,)), dt, device)
    if dt is D.bool_:
        raise it.not_implemented("randperm", dt)
    limit = _PERM_LIMIT.get(dt.name)
    if limit is not None and n > limit[0]:
        raise RuntimeError(f"n cannot be greater than {limit[1]} for {dt.scalar_type_name} type.")
    if not dt.is_floating_point and n > 0 and n - 1 > D.iinfo(dt).max:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without "
                           "overflow")
    if t._data is None or not n:
        return t
    perm = np.empty(n, np.int64)
    _k().randperm(_raw(generator, n - 1 if n < 0xFFFFFFFF // 20 else 2 * n), perm)
    _store_drawn(t, perm)
    return t


_C_TYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t"}


def _size_arg(name: str, args: tuple, size) -> tuple[int, ...]:
    """Sizes given as varargs, as one sequence, or as ``size=`` (not both)."""
    if size is not None:
        if args:
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            "sizes both as positional arguments and as size=")
        args = (size,)
    return _sizes(name, args)


def rand(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    return _finish(_rand(_size_arg("rand", args, size), generator=generator, dtype=dtype,
                         device=device), requires_grad, out)


def randn(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    return _finish(_randn(_size_arg("randn", args, size), generator=generator, dtype=dtype,
                          device=device), requires_grad, out)


def randint(low=None, high=None, size=None, *, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """randint(high, size) or randint(low, high, size); int64 unless ``dtype`` says."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = None, low, high
    if size is None or high is None and low is None:
        raise TypeError("randint() received an invalid combination of arguments - expected "
                        "(int high, tuple of ints size) or (int low, int high, tuple of ints "
                        "size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError("randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if high is None:
        low, high = 0, low
    return _finish(_randint(0 if low is None else low, high, _sizes("randint", (size,)),
                            generator=generator, dtype=dtype, device=device), requires_grad,
                   out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    return _finish(_randperm(n, generator=generator, dtype=dtype, device=device),
                   requires_grad, out)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    t = _like("rand_like", input, dtype, device, memory_format)
    return _finish(_uniform_(t, 0.0, 1.0, generator), requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None) -> Tensor:
    t = _like("randn_like", input, dtype, device, memory_format)
    return _finish(_normal_(t, 0.0, 1.0, generator), requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None) -> Tensor:
    """randint_like(input, high) or randint_like(input, low, high)."""
    if high is None:
        low, high = 0, low
    t = _like("randint_like", input, dtype, device, memory_format)
    return _finish(_random_from_kernel(t, low, high, generator), requires_grad)


FUNCTIONS = {name: globals()[name] for name in __all__}


# ---------------------------------------------------------------- derivatives
# Samples do not depend differentiably on their parameters: every gradient is zero.

def _zero_grads(count: int):
    def formula(grad, args):
        zero = zeros_like(grad)
        return zero if count == 1 else (zero,) * count
    return formula


for _op, _name, _count in ((normal_, "NormalBackward0", 1), (uniform_, "UniformBackward0", 1),
                           (exponential_, "ExponentialBackward0", 1),
                           (cauchy_, "CauchyBackward0", 1), (geometric_, "GeometricBackward0", 1),
                           (log_normal_, "LogNormalBackward0", 1),
                           (_random_from, "RandomBackward0", 1),
                           (_random_to, "RandomBackward1", 1), (_random_, "RandomBackward2", 1),
                           (_bernoulli, "BernoulliBackward0", 1),
                           (_bernoulli_t_, "BernoulliBackward1", 2),
                           (_bernoulli_f_, "BernoulliBackward2", 1),
                           (_normal_tf, "NormalBackward1", 1), (_normal_ft, "NormalBackward2", 1),
                           (_normal_tt, "NormalBackward3", 2)):
    _op.backward(_name)(_zero_grads(_count))


@_bernoulli_p.backward("torch::autograd::NotImplemented")
def _bernoulli_p_backward(grad, args):
    raise RuntimeError("derivative for aten::bernoulli is not implemented")
