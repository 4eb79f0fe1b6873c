"""Binary and ternary elementwise ops beyond add/sub/mul/div: floor_divide, remainder, fmod,
pow, atan2, maximum/minimum, fmax/fmin, hypot, copysign, comparisons, logical and bitwise ops,
where, masked_fill, lerp, clamp/clip, addcmul/addcdiv, isclose/allclose/equal, and the Python
operators that map onto them. Kernels: ``_kernels/elementwise.py`` (op codes)."""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._core.meta import broadcast_shapes, numel_of
from .._dispatch.dispatcher import defop, OPS, overload as _op
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .arith import (_check_operands, _kernel_alpha, _kernels, kernel_dtype, kernel_operand,
                    run_binary)
from .copy import check_can_cast, copy_into, resize_out
from .unary import choose as _choose

_INTS = frozenset(d for d in D.ALL_DTYPES if not d.is_floating_point and d is not D.bool_)
_FLOATS = frozenset(d for d in D.ALL_DTYPES if d.is_floating_point)
_BOOL = frozenset((D.bool_,))

# name: (op code, kernel name in torch's errors, dtypes torch has no kernel for,
#        ints promote to the default float, output is bool)
_SPECS = {
    "floor_divide": (4, "div_floor_cpu", _BOOL, False, False),
    "remainder": (6, "remainder_cpu", _BOOL, False, False),
    "fmod": (7, "fmod_cpu", _BOOL, False, False),
    "pow": (8, "pow", _BOOL, False, False),
    "maximum": (9, "maximum_cpu", (), False, False),
    "minimum": (10, "minimum_cpu", (), False, False),
    "fmax": (11, "fmax_cpu", (), False, False),
    "fmin": (12, "fmin_cpu", (), False, False),
    "atan2": (13, "atan2_cpu", (), True, False),
    "hypot": (14, "hypot_cpu", _INTS | _BOOL, False, False),
    "copysign": (15, "copysign_cpu", (), True, False),
    "bitwise_and": (16, "bitwise_and_cpu", _FLOATS, False, False),
    "bitwise_or": (17, "bitwise_or_cpu", _FLOATS, False, False),
    "bitwise_xor": (18, "bitwise_xor_cpu", _FLOATS, False, False),
    "eq": (20, "eq_cpu", (), False, True),
    "ne": (21, "ne_cpu", (), False, True),
    "lt": (22, "lt_cpu", (), False, True),
    "le": (23, "le_cpu", (), False, True),
    "gt": (24, "gt_cpu", (), False, True),
    "ge": (25, "ge_cpu", (), False, True),
    "logical_and": (26, "logical_and_cpu", (), False, True),
    "logical_or": (27, "logical_or_cpu", (), False, True),
    "logical_xor": (28, "logical_xor_cpu", (), False, True),
}


# Where PyTorch's Python binding refuses a Python number for the first / second operand.
_TENSOR_ONLY = frozenset(("atan2", "maximum", "minimum", "fmax", "fmin", "hypot", "logical_and",
                          "logical_or", "logical_xor"))
_TENSOR_SELF = _TENSOR_ONLY | {"fmod", "copysign", "eq", "ne", "lt", "le", "gt", "ge"}


def _dtypes(name: str, a, b):
    """(compute dtype, result dtype) of ``name(a, b)``."""
    code, kname, bad, to_float, boolean = _SPECS[name]
    _check_operands(name, a, b)
    for pos, x, refuse in ((1, a, _TENSOR_SELF), (2, b, _TENSOR_ONLY)):
        if name in refuse and not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument '{'input' if pos == 1 else 'other'}' "
                            f"(position {pos}) must be Tensor, not {type(x).__name__}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    dt = it.result_type(a, b)
    if to_float and not dt.is_floating_point:
        dt = D.get_default_dtype()
    if dt in bad and not (name == "pow" and isinstance(a, Tensor) and it.is_number(b) and
                          b in (0, 1)):  # pow(x, 0) and pow(x, 1) are fill/copy in PyTorch
        raise it.not_implemented(kname, dt)
    return dt, (D.bool_ if boolean else dt)


def _alpha(name, a, b):
    """pow with a Python-number exponent takes PyTorch's special cases (x*x, sqrt, ...)."""
    if name == "pow" and it.is_number(b) and isinstance(a, Tensor):
        return 1
    return 0


def _check_pow(name, a, b, dt):
    if name == "pow" and isinstance(a, Tensor) and it.is_number(b) and \
            not dt.is_floating_point and not isinstance(b, (bool, np.bool_)) and \
            not isinstance(b, float) and int(b) < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def binary_op(name: str, a, b, out: Tensor | None = None):
    code = _SPECS[name][0]
    dt, rdt = _dtypes(name, a, b)
    _check_pow(name, a, b, dt)
    shape = it.broadcast_operands_shape(a, b)
    if out is None:
        out = it.new_output(shape, rdt, it.common_device(a, b), (a, b))
        return run_binary(code, a, b, _alpha(name, a, b), out, dt)
    check_can_cast(rdt, out._dtype)
    resize_out(out, shape)
    it.check_writable(out, (a, b))
    run_binary(code, a, b, _alpha(name, a, b), out, dt)
    out._bump_version()
    return out


def binary_inplace(name: str, self, other):
    code = _SPECS[name][0]
    dt, rdt = _dtypes(name, self, other)
    _check_pow(name, self, other, dt)
    shape = it.broadcast_operands_shape(self, other)
    if shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    check_can_cast(rdt, self._dtype)
    it.check_writable(self, (other,))
    run_binary(code, self, other, _alpha(name, self, other), self, dt)
    self._bump_version()
    return self


def _schema_arg(s: str) -> str:
    return s


def _declare(name, functional, inplace, outs, inplace_name=None):
    """Register ``functional`` (schemas of the function/method), ``inplace`` and ``outs``."""
    fwd = lambda self, other: binary_op(name, self, other)  # noqa: E731
    fwd_out = lambda self, other, out: binary_op(name, self, other, out)  # noqa: E731
    fwd_in = lambda self, other: binary_inplace(name, self, other)  # noqa: E731
    for sch in functional:
        defop(sch).impl("CPU", "Meta")(fwd)
    for sch in inplace:
        defop(sch, variants=("method",)).impl("CPU", "Meta")(fwd_in)
    for sch in outs:
        defop(sch).impl("CPU", "Meta")(fwd_out)


def _std(name, other="other", scalar=False, inplace=True, scalar_first=False,
         scalar_other=False, out_overload=None):
    """``scalar_other``: a Python number ``other`` binds a ``.Scalar`` overload (declared
    first), which differentiates under its own node name as in torch; ``out_overload``: the
    out= overload's name where torch departs from ``Tensor_out``/``out``."""
    T = f"Tensor {other}"
    functional = [f"{name}.Scalar(Tensor self, Scalar {other}) -> Tensor"] if scalar_other \
        else []
    functional.append(f"{name}.Tensor(Tensor self, {T}) -> Tensor" if scalar else
                      f"{name}(Tensor self, {T}) -> Tensor")
    if scalar_first:
        functional.append(f"{name}.Scalar_Tensor(Scalar self, Tensor {other}) -> Tensor")
    ins = [f"{name}_.Scalar(Tensor(a!) self, Scalar {other}) -> Tensor(a!)"] if scalar_other \
        else []
    ins += [f"{name}_.Tensor(Tensor(a!) self, {T}) -> Tensor(a!)" if scalar else
            f"{name}_(Tensor(a!) self, {T}) -> Tensor(a!)"] if inplace else []
    out_overload = out_overload or ("Tensor_out" if scalar else "out")
    outs = [f"{name}.{out_overload}(Tensor self, {T}, *, Tensor(a!) out)"
            " -> Tensor(a!)"]
    _declare(name, functional, ins, outs)


for _n in ("floor_divide",):
    _declare(_n, ["floor_divide(Tensor self, Tensor other) -> Tensor"],
             ["floor_divide_.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)"],
             ["floor_divide.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)"])
for _n in ("remainder",):
    _std(_n, scalar=True, scalar_first=True, scalar_other=True)
_std("fmod", scalar=True, scalar_other=True)
_std("copysign", scalar=True, scalar_other=True, out_overload="out")
for _n in ("eq", "ne", "lt", "le", "gt", "ge"):
    _std(_n, scalar=True)
for _n in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    _std(_n, scalar=True, scalar_first=True)
for _n in ("atan2", "hypot", "logical_and", "logical_or", "logical_xor"):
    _std(_n)
for _n in ("maximum", "minimum", "fmax", "fmin"):
    _std(_n, inplace=False)
_declare("pow", ["pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor",
                 "pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor",
                 "pow.Scalar(Scalar self, Tensor exponent) -> Tensor"],
         ["pow_.Scalar(Tensor(a!) self, Scalar exponent) -> Tensor(a!)",
          "pow_.Tensor(Tensor(a!) self, Tensor exponent) -> Tensor(a!)"],
         ["pow.Tensor_Tensor_out(Tensor self, Tensor exponent, *, Tensor(a!) out) -> "
          "Tensor(a!)"])


# ------------------------------------------------------------------------------ ternary ops

def run_ternary(code, a, b, c, alpha, out: Tensor, dt: D.dtype) -> Tensor:
    shape = out._shape
    if numel_of(shape) == 0 or out._data is None:
        return out
    kdt = kernel_dtype(dt)
    ops = [kernel_operand(x, dt, kdt) for x in (a, b)]
    # lerp's scalar weight stays in the compute type (torch's opmath), unrounded for halves
    ops.append(kernel_operand(c, kdt if code == 1 and not isinstance(c, Tensor) else dt, kdt))
    direct = out._dtype is kdt and dt is kdt
    target = out if direct else empty_tensor(shape, kdt, out._device,
                                             it.dense_like_strides(out))
    bufs = [it.operand_buffer(x, shape) for x in ops]
    kshape, sts = it.coalesce(shape, [x[2] for x in bufs] + [target._stride])
    K = _kernels()
    kernel = K.ternary_parallel if numel_of(shape) >= it.PARALLEL_MIN else K.ternary_serial
    kernel(code, bufs[0][0], bufs[0][1], sts[0], bufs[1][0], bufs[1][1], sts[1],
           bufs[2][0], bufs[2][1], sts[2], target._data, target._offset, sts[3], kshape,
           _kernel_alpha(kdt, bool(alpha) if dt is D.bool_ else alpha))
    if not direct:
        copy_into(out, it.convert_operand(target, dt))
    return out


def _shape_of(*xs):
    return broadcast_shapes(*(x._shape for x in xs if isinstance(x, Tensor)))


def _finish(code, operands, alpha, dt, out, self_inplace=None, layout=None):
    shape = _shape_of(*operands)
    if self_inplace is not None:
        if shape != self_inplace._shape:
            raise RuntimeError(f"output with shape {list(self_inplace._shape)} doesn't match "
                               f"the broadcast shape {list(shape)}")
        check_can_cast(dt, self_inplace._dtype)
        it.check_writable(self_inplace, operands)
        run_ternary(code, *operands, alpha, self_inplace, dt)
        self_inplace._bump_version()
        return self_inplace
    if out is None:
        dev = it.common_device(*[x for x in operands if isinstance(x, Tensor)])
        out = it.new_output(shape, dt, dev, layout if layout is not None else operands)
        return run_ternary(code, *operands, alpha, out, dt)
    check_can_cast(dt, out._dtype)
    resize_out(out, shape)
    it.check_writable(out, operands)
    run_ternary(code, *operands, alpha, out, dt)
    out._bump_version()
    return out


# where
def _where(condition, self, other, out=None):
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' (position 1) must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._dtype is not D.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition._dtype.scalar_type_name}")
    dt = it.result_type(self, other)
    return _finish(0, (condition, self, other), 0, dt, out)


for _s in ("where.self(Tensor condition, Tensor self, Tensor other) -> Tensor",
           "where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor",
           "where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor",
           "where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor"):
    defop(_s, variants=("function",)).impl("CPU", "Meta")(
        lambda condition, self, other: _where(condition, self, other))
defop("where.self_out(Tensor condition, Tensor self, Tensor other, *, Tensor(a!) out) -> "
      "Tensor(a!)", variants=("function",)).impl("CPU", "Meta")(_where)


# masked_fill
def _fill_value(self, mask, value):
    if not isinstance(mask, Tensor) or mask._dtype is not D.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask._dtype.scalar_type_name if isinstance(mask, Tensor) else mask}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        value = value.item()
    dt = self._dtype
    if dt.is_floating_point or dt is D.bool_:
        if dt is D.float16 and isinstance(value, (int, float)) and \
                abs(float(value)) != float("inf") and abs(float(value)) > 65504:
            raise RuntimeError("value cannot be converted to type at::Half without overflow")
        return value
    v = int(value)
    info = D.iinfo(dt)
    if not info.min <= v <= info.max:
        raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
    return v


@defop("masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor").impl("CPU", "Meta")
def _masked_fill(self, mask, value):
    value = _fill_value(self, mask, value)
    shape = broadcast_shapes(self._shape, mask._shape)
    out = empty_tensor(shape, self._dtype, it.common_device(self, mask))
    return run_ternary(0, mask, value, self, 0, out, self._dtype)


defop("masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor").impl(
    "CPU", "Meta")(_masked_fill)


def _masked_fill_(self, mask, value):
    value = _fill_value(self, mask, value)
    shape = broadcast_shapes(self._shape, mask._shape)
    if shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    it.check_writable(self, (mask,))
    run_ternary(0, mask, value, self, 0, self, self._dtype)
    self._bump_version()
    return self


for _s in ("masked_fill_.Scalar(Tensor(a!) self, Tensor mask, Scalar value) -> Tensor(a!)",
           "masked_fill_.Tensor(Tensor(a!) self, Tensor mask, Tensor value) -> Tensor(a!)"):
    defop(_s, variants=("method",)).impl("CPU", "Meta")(_masked_fill_)


# lerp
def _lerp_check(self, end, weight):
    for nm, x in (("end", end), ("weight", weight)):
        if isinstance(x, Tensor) and x._dtype is not self._dtype:
            raise RuntimeError(f"expected dtype {self._dtype.name.replace('float32', 'float')}"
                               f" for `{nm}` but got dtype "
                               f"{x._dtype.name.replace('float64', 'double')}")
    if not self._dtype.is_floating_point:
        raise NotImplementedError(f'"lerp_kernel_scalar" not implemented for '
                                  f"'{self._dtype.scalar_type_name}'")


def _lerp(self, end, weight, out=None):
    _lerp_check(self, end, weight)
    return _finish(1, (self, end, weight), 0, self._dtype, out)


def _lerp_(self, end, weight):
    _lerp_check(self, end, weight)
    return _finish(1, (self, end, weight), 0, self._dtype, None, self_inplace=self)


for _k in ("Scalar", "Tensor"):
    _w = "Scalar weight" if _k == "Scalar" else "Tensor weight"
    defop(f"lerp.{_k}(Tensor self, Tensor end, {_w}) -> Tensor").impl("CPU", "Meta")(_lerp)
    defop(f"lerp_.{_k}(Tensor(a!) self, Tensor end, {_w}) -> Tensor(a!)",
          variants=("method",)).impl("CPU", "Meta")(_lerp_)
    defop(f"lerp.{_k}_out(Tensor self, Tensor end, {_w}, *, Tensor(a!) out) -> Tensor(a!)"
          ).impl("CPU", "Meta")(_lerp)


# addcmul / addcdiv
def _addc(code, self, t1, t2, value, out=None, inplace=False):
    dt = it.result_type(self, t1, t2)
    if code == 3 and not t1._dtype.is_floating_point and not t2._dtype.is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future  release addcdiv will perform a true division of tensor1 and"
                           " tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    return _finish(code, (self, t1, t2), value, dt, out, self_inplace=self if inplace else None)


for _nm, _c in (("addcmul", 2), ("addcdiv", 3)):
    _sig = "Tensor tensor1, Tensor tensor2, *, Scalar value=1"
    defop(f"{_nm}(Tensor self, {_sig}) -> Tensor").impl("CPU", "Meta")(
        lambda self, t1, t2, value=1, _c=_c: _addc(_c, self, t1, t2, value))
    defop(f"{_nm}_(Tensor(a!) self, {_sig}) -> Tensor(a!)", variants=("method",)).impl(
        "CPU", "Meta")(lambda self, t1, t2, value=1, _c=_c: _addc(_c, self, t1, t2, value,
                                                                 inplace=True))
    defop(f"{_nm}.out(Tensor self, {_sig}, Tensor(a!) out) -> Tensor(a!)").impl("CPU", "Meta")(
        lambda self, t1, t2, value=1, out=None, _c=_c: _addc(_c, self, t1, t2, value, out))


# clamp / clip
def _bound_value(x, dt, default):
    if x is None:
        return default
    if isinstance(x, Tensor):
        return x
    if not dt.is_floating_point and isinstance(x, int) and not isinstance(x, bool):
        info = D.iinfo(dt) if dt is not D.bool_ else None
        if info is not None and not info.min <= x <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name}_t without "
                               "overflow")
    return x


def _clamp(self, min=None, max=None, out=None, inplace=False):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = it.result_type(self, *[x for x in (min, max) if x is not None])
    if dt.is_floating_point:
        lo_d, hi_d = float("-inf"), float("inf")
    else:
        lo_d, hi_d = D.iinfo(dt).min if dt is not D.bool_ else 0, \
            D.iinfo(dt).max if dt is not D.bool_ else 1
    lo, hi = _bound_value(min, dt, lo_d), _bound_value(max, dt, hi_d)
    return _finish(4, (self, lo, hi), 0, dt, out, self_inplace=self if inplace else None,
                   layout=tuple(x for x in (self, min, max) if x is not None))


for _nm in ("clamp", "clip"):
    for _sfx, _ty in (("", "Scalar?"), (".Tensor", "Tensor?")):
        _a = f"{_ty} min=None, {_ty} max=None"
        defop(f"{_nm}{_sfx}(Tensor self, {_a}) -> Tensor").impl("CPU", "Meta")(
            lambda self, min=None, max=None: _clamp(self, min, max))
        defop(f"{_nm}_{_sfx}(Tensor(a!) self, {_a}) -> Tensor(a!)", variants=("method",)).impl(
            "CPU", "Meta")(lambda self, min=None, max=None: _clamp(self, min, max, inplace=True))
        _o = ".out" if not _sfx else ".Tensor_out"
        defop(f"{_nm}{_o}(Tensor self, {_a}, *, Tensor(a!) out) -> Tensor(a!)").impl(
            "CPU", "Meta")(lambda self, min=None, max=None, out=None: _clamp(self, min, max,
                                                                            out))
for _nm, _arg in (("clamp_min", "min"), ("clamp_max", "max")):
    for _sfx, _ty in (("", "Scalar"), (".Tensor", "Tensor")):
        defop(f"{_nm}{_sfx}(Tensor self, {_ty} {_arg}) -> Tensor").impl("CPU", "Meta")(
            lambda self, bound, _arg=_arg: _clamp(self, **{_arg: bound}))
        defop(f"{_nm}_{_sfx}(Tensor(a!) self, {_ty} {_arg}) -> Tensor(a!)",
              variants=("method",)).impl("CPU", "Meta")(
            lambda self, bound, _arg=_arg: _clamp(self, **{_arg: bound}, inplace=True))


# isclose / allclose / equal
def _check_tolerances(rtol, atol) -> None:
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol:g}")


def _isclose_arrays(self, other, rtol, atol, equal_nan):
    _check_tolerances(rtol, atol)
    if self._dtype is not other._dtype:
        raise RuntimeError(f"{self._dtype.scalar_type_name} did not match "
                           f"{other._dtype.scalar_type_name}")
    shape = broadcast_shapes(self._shape, other._shape)
    a = np.broadcast_to(self._array(), shape)
    b = np.broadcast_to(other._array(), shape)
    close = a == b
    if equal_nan and self._dtype.is_floating_point:
        close |= np.isnan(a) & np.isnan(b)
    if rtol == 0 and atol == 0:
        return close, shape
    if self._dtype is D.bool_:
        a = a.astype(D.get_default_dtype().np_dtype)
        b = b.astype(D.get_default_dtype().np_dtype)
    ft = a.dtype if self._dtype.is_floating_point else D.get_default_dtype().np_dtype
    with np.errstate(all="ignore"):
        allowed = (ft.type(atol) + np.abs(ft.type(rtol) * b.astype(ft))).astype(ft)
        actual = np.abs(a - b)
        close |= np.isfinite(actual) & (actual.astype(ft) <= allowed)
    return close, shape


@defop("isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, "
       "bool equal_nan=False) -> Tensor").impl("CPU", "Meta")
def _isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if self._data is None or other._data is None:
        _check_tolerances(rtol, atol)
        shape = broadcast_shapes(self._shape, other._shape)
        return it.new_output(shape, D.bool_, it.common_device(self, other), (self, other))
    close, shape = _isclose_arrays(self, other, rtol, atol, equal_nan)
    out = it.new_output(shape, D.bool_, it.common_device(self, other), (self, other))
    if numel_of(shape):
        out._array()[...] = close
    return out


@defop("allclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, "
       "bool equal_nan=False) -> bool").impl("CPU")
def _allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    close, _ = _isclose_arrays(self, other, rtol, atol, equal_nan)
    return bool(close.all())


@defop("equal(Tensor self, Tensor other) -> bool").impl("CPU")
def _equal(self, other):
    if self._shape != other._shape:
        return False
    if self.numel() == 0:
        return True
    return bool(binary_op("eq", self, other)._array().all())


# ------------------------------------------------------------------------- Python operators

def _wrap(fn):
    def op(self, other):
        if not isinstance(other, Tensor) and not it.is_number(other):
            return NotImplemented
        return fn(self, other)
    return op


def _operators() -> dict:
    table = {}
    f = lambda n: OPS[n].function()  # noqa: E731
    pairs = {"floordiv": "floor_divide", "mod": "remainder", "pow": "pow",
             "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor"}
    for py, name in pairs.items():
        fn = f(name)
        table[f"__{py}__"] = _wrap(lambda self, other, fn=fn: fn(self, other))
        table[f"__r{py}__"] = _wrap(lambda self, other, fn=fn: fn(other, self))
        table[f"__i{py}__"] = _wrap(lambda self, other, name=name: getattr(self, name + "_")(
            other))
    for py in ("eq", "ne", "lt", "le", "gt", "ge"):
        fn = f(py)
        table[f"__{py}__"] = _wrap(lambda self, other, fn=fn: fn(self, other))
    table["where"] = lambda self, condition, other: f("where")(condition, self, other)
    table["__hash__"] = object.__hash__
    return table


OPERATORS = _operators()


# ------------------------------------------------------------------------- derivatives

def _zeros(x):
    from .creation import zeros_like
    return zeros_like(x)


@_op("pow.Tensor_Scalar").backward("PowBackward0", saves=("self",))
def _pow_scalar_backward(grad, args):
    e = args.exponent
    if e == 0:
        return _zeros(grad)
    return grad * e * args.self.pow(e - 1)


@_op("pow.Tensor_Tensor").backward("PowBackward1", saves=("self", "exponent"),
                                   save_result=True)
def _pow_backward(grad, args):
    x, e = args.self, args.exponent
    gself = _choose(e == 0, 0.0, grad * e * x.pow(e - 1))
    gexp = grad * _choose((x == 0).logical_and(e >= 0), 0.0, args.result * x.log())
    return gself, gexp


@_op("pow.Scalar").backward("PowBackward2", saves=("exponent",), save_result=True)
def _pow_base_backward(grad, args):
    base = float(args.self)
    if base == 0:
        return grad * _choose(args.exponent >= 0, 0.0, args.result * float("-inf"))
    return grad * args.result * float(np.log(base)) if base > 0 else \
        grad * args.result * float("nan")


@_op("atan2").backward("Atan2Backward0", saves=("self", "other"))
def _atan2_backward(grad, args):
    g = grad / (args.self * args.self + args.other * args.other)
    return g * args.other, -g * args.self


@_op("hypot").backward("HypotBackward0", saves=("self", "other"), save_result=True)
def _hypot_backward(grad, args):
    g = grad / args.result
    return g * args.self, g * args.other


@_op("copysign.Tensor").backward("CopysignBackward0", saves=("self",), save_result=True)
def _copysign_backward(grad, args):
    ratio = (args.result / args.self).masked_fill(args.self == 0, 0.0)
    return grad * ratio, _zeros(grad)


@_op("copysign.Scalar").backward("CopysignBackward1", saves=("self",), save_result=True)
def _copysign_scalar_backward(grad, args):
    return _copysign_backward(grad, args)[0]


@_op("fmod.Scalar").backward("FmodBackward0")
def _fmod_scalar_backward(grad, args):
    return grad


_op("remainder.Scalar").backward("RemainderBackward0")(_fmod_scalar_backward)


@_op("fmod.Tensor").backward("FmodBackward1", saves=("self", "other"))
def _fmod_backward(grad, args):
    return grad, -grad * args.self.div(args.other, rounding_mode="trunc")


@_op("remainder.Tensor").backward("RemainderBackward1", saves=("self", "other"))
def _remainder_backward(grad, args):
    return grad, -grad * args.self.div(args.other, rounding_mode="floor")


def _extreme_backward(is_max: bool):
    """maximum/minimum: the larger (smaller) operand gets the gradient, ties share it."""
    def fn(grad, args):
        x, y = args.self, args.other
        tie = _choose(x == y, grad / 2, grad)
        lose_x, lose_y = (x < y, x > y) if is_max else (x > y, x < y)
        return tie.masked_fill(lose_x, 0.0), tie.masked_fill(lose_y, 0.0)
    return fn


_op("maximum").backward("MaximumBackward0", saves=("self", "other"))(_extreme_backward(True))
_op("minimum").backward("MinimumBackward0", saves=("self", "other"))(_extreme_backward(False))


def _fextreme_backward(is_max: bool):
    """fmax/fmin: the chosen operand (self on ties, the non-NaN one) gets the gradient."""
    def fn(grad, args):
        x, y = args.self, args.other
        picks_self = ((x >= y) if is_max else (x <= y)).logical_or(y.isnan())
        return grad.masked_fill(picks_self.logical_not(), 0.0), grad.masked_fill(picks_self, 0.0)
    return fn


_op("fmax").backward("FmaxBackward0", saves=("self", "other"))(_fextreme_backward(True))
_op("fmin").backward("FminBackward0", saves=("self", "other"))(_fextreme_backward(False))


def _where_self_grad(grad, args):
    return _choose(args.condition, grad, 0.0)


def _where_other_grad(grad, args):
    return _choose(args.condition, 0.0, grad)


_op("where.self").backward("WhereBackward0", saves=("condition",), inputs=("self", "other"))(
    lambda grad, args: (_where_self_grad(grad, args), _where_other_grad(grad, args)))
_op("where.ScalarOther").backward("WhereBackward0", saves=("condition",),
                                  inputs=("self",))(_where_self_grad)
_op("where.ScalarSelf").backward("WhereBackward0", saves=("condition",),
                                 inputs=("other",))(_where_other_grad)


@_op("masked_fill.Scalar").backward("MaskedFillBackward0", saves=("mask",))
def _masked_fill_backward(grad, args):
    return grad.masked_fill(args.mask, 0.0), None


@_op("masked_fill.Tensor").backward("MaskedFillBackward1", saves=("mask",))
def _masked_fill_tensor_backward(grad, args):
    return grad.masked_fill(args.mask, 0.0), None, _choose(args.mask, grad, 0.0).sum()


@_op("lerp.Scalar").backward("LerpBackward0")
def _lerp_scalar_backward(grad, args):
    w = args.weight
    return grad * (1 - w), grad * w


@_op("lerp.Tensor").backward("LerpBackward1", saves=("self", "end", "weight"))
def _lerp_backward(grad, args):
    w = args.weight
    return grad * (1 - w), grad * w, grad * (args.end - args.self)


@_op("addcmul").backward("AddcmulBackward0", saves=("tensor1", "tensor2"))
def _addcmul_backward(grad, args):
    g = grad * args.value if args.value != 1 else grad
    return grad, g * args.tensor2, g * args.tensor1


@_op("addcdiv").backward("AddcdivBackward0", saves=("tensor1", "tensor2"))
def _addcdiv_backward(grad, args):
    g = grad * args.value / args.tensor2
    return grad, g, -g * args.tensor1 / args.tensor2


def _bounded(grad, x, lo, hi):
    """grad where ``lo <= x <= hi`` (a bound of None is open), else 0."""
    keep = None
    for cond in ((x >= lo) if lo is not None else None, (x <= hi) if hi is not None else None):
        if cond is not None:
            keep = cond if keep is None else keep.logical_and(cond)
    return _choose(keep, grad, 0.0)


def _clamp_scalar_backward(grad, args):
    return _bounded(grad, args.self, getattr(args, "min", None), getattr(args, "max", None))


def _clamp_tensor_backward(grad, args):
    """torch's clamp_backward_min_max: when min > max every element is max."""
    x, lo, hi = args.self, getattr(args, "min", None), getattr(args, "max", None)
    gx = _bounded(grad, x, lo, hi)
    glo = ghi = None
    if lo is not None:
        below = x < lo
        glo = _choose(below.logical_and(lo < hi) if hi is not None else below, grad, 0.0)
    if hi is not None:
        above = x > hi
        ghi = _choose(above.logical_or(hi < lo) if lo is not None else above, grad, 0.0)
    return tuple(g for g, b in ((gx, True), (glo, "min"), (ghi, "max"))
                 if b is True or hasattr(args, b))


for _nm in ("clamp", "clip"):
    _op(_nm).backward("ClampBackward1", saves=("self",))(_clamp_scalar_backward)
    _op(f"{_nm}.Tensor").backward("ClampBackward0", saves=("self", "min", "max"))(
        _clamp_tensor_backward)
_op("clamp_min").backward("ClampMinBackward0", saves=("self",))(_clamp_scalar_backward)
_op("clamp_max").backward("ClampMaxBackward0", saves=("self",))(_clamp_scalar_backward)
_op("clamp_min.Tensor").backward("ClampMinBackward1", saves=("self", "min"))(
    _clamp_tensor_backward)
_op("clamp_max.Tensor").backward("ClampMaxBackward1", saves=("self", "max"))(
    _clamp_tensor_backward)
