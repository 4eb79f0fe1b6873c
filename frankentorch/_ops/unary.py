"""Unary elementwise ops: math functions, rounding, predicates and the nn activations.

Each op is declared with torch's schemas (functional, in-place ``xxx_``, ``.out``) and one
forward that picks the kernel group and op code. Result dtypes follow torch: "float" ops
promote integers and bool to the default float, abs/neg/sign/rounding keep the dtype,
predicates give bool. Halves compute in float32 and round once.
"""
from __future__ import annotations

import math
import functools

import numpy as np

from .._core import dtype as D
from .._core.meta import contiguous_strides, is_contiguous_geometry, numel_of
from .._dispatch.dispatcher import defop, overload
from .._tensor import Tensor, empty_contiguous, empty_tensor, flat_data, from_array
from . import iterator as it
from .copy import check_can_cast, copy_into, resize_out


@functools.cache
def _kernels():
    """The Numba kernel module, imported on first use (keeps ``import frankentorch`` fast)."""
    from .._kernels import unary
    return unary


def _dispatch_error(self: Tensor, kname: str):
    """torch's AT_DISPATCH error, raised where a kernel would run (never for meta tensors)."""
    if self._data is not None:
        raise it.not_implemented(kname, self._dtype)


def _check_tensor(name: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


# ---------------------------------------------------------------- running a kernel

_NO_PARAMS = (0, 0, 0)
_ZERO_PARAMS: dict = {}  # compute dtype -> the kernel's three parameters, all zero


def _run(group: str, code: int, x: Tensor, out: Tensor, dt: D.dtype, p=_NO_PARAMS) -> Tensor:
    """Compute ``out = f(x)`` with kernel ``group``/``code``; ``x`` is first converted to the
    compute dtype (float32 for halves, ``dt`` otherwise; native for predicates), the result
    is rounded to ``dt`` once and written into ``out`` (any dtype ``dt`` can be cast to)."""
    shape = out._shape
    if numel_of(shape) == 0 or out._data is None:
        return out
    if group == "pred":
        cdt = it.compute_dtype(x._dtype)
        kdt = D.bool_
        ptype = np.float64
    else:
        cdt = kdt = it.compute_dtype(dt)
        ptype = np.int64 if group == "int" else cdt.np_dtype.type
    x = it.convert_operand(x, cdt)
    if p is _NO_PARAMS:
        params = _ZERO_PARAMS.get(ptype)
        if params is None:
            params = _ZERO_PARAMS[ptype] = (ptype(0),) * 3
    else:
        params = tuple(ptype(v) for v in p)
    direct = out._dtype is kdt and (dt is kdt or group == "pred")
    target = out if direct else empty_tensor(shape, kdt, out._device,
                                             it.dense_like_strides(out))
    kshape, (ast, ost) = it.coalesce(shape, [x._stride, target._stride])
    K = _kernels()
    suffix = "_parallel" if numel_of(shape) >= it.PARALLEL_MIN else "_serial"
    getattr(K, group + suffix)(code, x._data, x._offset, ast, target._data, target._offset, ost,
                               kshape, *params)
    if not direct:
        copy_into(out, target if group == "pred" else it.convert_operand(target, dt))
    return out


def _copy(x: Tensor, out: Tensor, dt: D.dtype) -> Tensor:
    if out is not x:
        copy_into(out, it.convert_operand(x, dt))
    return out


def _fill(value: bool, out: Tensor) -> Tensor:
    if numel_of(out._shape) and out._data is not None:
        out._array()[...] = value
    return out


# ---------------------------------------------------------------- registration

def _register(name: str, dtype_of, compute, *, schema_args: str = "", out_schema: str | None,
              inplace_schema_args: str | None = None, inplace: bool = True,
              inplace_fn: bool = False, variants=("function", "method"), overload: str = "",
              out_overload: str = "out", same_out: bool = False, layout=None,
              plain_resize=None):
    """Declare ``name`` (functional), ``name_`` and ``name.out`` and register one forward.

    ``dtype_of(self, *args)`` gives the result dtype (raising torch's errors);
    ``compute(self, out, dt, *args)`` writes the result into ``out``; ``same_out``: the
    out= tensor must have the result's dtype exactly (torch's check_all_same_dtype)."""
    full = f"{name}.{overload}" if overload else name
    functional = defop(f"{full}(Tensor self{schema_args}) -> Tensor", variants)

    def forward(self, *args):
        _check_tensor(name, self)
        dt = dtype_of(self, *args)
        if layout is None and self._data is not None and self.is_contiguous():
            out = empty_contiguous(self._shape, self.numel(), dt)
        else:
            strides = _out_strides(self, dt) if layout is None else layout(self)
            out = empty_tensor(self._shape, dt, self._device, strides)
        return compute(self, out, dt, *args)

    functional.impl("CPU", "Meta")(forward)

    if inplace:
        ip_full = f"{name}_.{overload}" if overload else f"{name}_"
        ip_args = schema_args if inplace_schema_args is None else inplace_schema_args
        ip_variants = ("function", "method") if inplace_fn else ("method",)
        ip = defop(f"{ip_full}(Tensor(a!) self{ip_args}) -> Tensor(a!)", ip_variants)

        def forward_inplace(self, *args):
            dt = dtype_of(self, *args)
            check_can_cast(dt, self._dtype)
            it.check_writable(self)
            compute(self, self, dt, *args)
            self._bump_version()
            return self

        ip.impl("CPU", "Meta")(forward_inplace)

    if out_schema is not None:
        out_op = defop(f"{name}.{out_overload}(Tensor self{out_schema}) -> Tensor(a!)",
                       variants)

        def forward_out(self, *args):
            *args, out = args
            _check_tensor(name, self)
            dt = dtype_of(self, *args)
            if same_out and out._dtype is not dt:
                raise RuntimeError(f"Found dtype {out._dtype.scalar_type_name} but expected "
                                   f"{dt.scalar_type_name}")
            check_can_cast(dt, out._dtype)
            if plain_resize is not None and plain_resize(self):
                resize_out(out, self._shape)
            else:
                _resize_out(out, self)
            it.check_writable(out, (self,))
            compute(self, out, dt, *args)
            out._bump_version()
            return out

        out_op.impl("CPU", "Meta")(forward_out)


def _resize_out(out: Tensor, self: Tensor) -> None:
    """An out= tensor of another shape is resized, and then laid out like a fresh result
    (TensorIterator restrides outputs it resizes)."""
    if out._shape == self._shape:
        return
    resize_out(out, self._shape)
    out._stride = _out_strides(self, out._dtype)
    out._contig = None


def _out_strides(self: Tensor, dt: D.dtype) -> tuple:
    """TensorIterator's layout of a fresh result. An input promoted to another dtype is first
    converted (``.to``, keeping its dense layout), and the result follows the converted
    tensor, in which size-1 dims no longer carry strides that could reorder the output."""
    if self._dtype is dt or dt is D.bool_:
        return it.elementwise_strides(self._shape, (self,))
    strides = it.dense_like_strides(self)
    if is_contiguous_geometry(self._shape, strides):
        return contiguous_strides(self._shape)
    return strides


def _like_unless_float(self: Tensor) -> tuple:
    """Layout of ``zeros_like``/``ones_like`` (torch's isinf/isfinite of integer tensors)."""
    if self._dtype.is_floating_point:
        return it.elementwise_strides(self._shape, (self,))
    return it.dense_like_strides(self)


def _float_dtype(self, *args) -> D.dtype:
    """Float ops: integers and bool promote to the default float dtype."""
    return self._dtype if self._dtype.is_floating_point else D.get_default_dtype()


def _float_only(kname: str):
    def dtype_of(self, *args):
        if not self._dtype.is_floating_point:
            _dispatch_error(self, kname)
        return self._dtype
    return dtype_of


_OUT = ", *, Tensor(a!) out"

# (name, group, code) of the ops whose integer inputs promote to float
_FLOAT_OPS = (
    ("exp", "basic", "EXP"), ("exp2", "basic", "EXP2"), ("expm1", "basic", "EXPM1"),
    ("log", "basic", "LOG"), ("log2", "basic", "LOG2"), ("log10", "basic", "LOG10"),
    ("log1p", "basic", "LOG1P"), ("sqrt", "basic", "SQRT"), ("rsqrt", "basic", "RSQRT"),
    ("reciprocal", "basic", "RECIPROCAL"), ("sigmoid", "basic", "SIGMOID"),
    ("sin", "trig", "SIN"), ("cos", "trig", "COS"), ("tan", "trig", "TAN"),
    ("asin", "trig", "ASIN"), ("acos", "trig", "ACOS"), ("atan", "trig", "ATAN"),
    ("sinh", "trig", "SINH"), ("cosh", "trig", "COSH"), ("tanh", "trig", "TANH"),
    ("asinh", "trig", "ASINH"), ("acosh", "trig", "ACOSH"), ("atanh", "trig", "ATANH"),
    ("erf", "special", "ERF"), ("erfc", "special", "ERFC"), ("erfinv", "special", "ERFINV"),
    ("lgamma", "special", "LGAMMA"), ("digamma", "special", "DIGAMMA"),
)
_INPLACE_FN = frozenset(("abs", "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
                         "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin",
                         "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
                         "sigmoid", "logit", "relu", "erf", "erfc", "floor", "ceil", "round",
                         "trunc", "frac", "nan_to_num", "fix", "negative", "arcsin", "arccos",
                         "arctan", "arcsinh", "arccosh", "arctanh"))
_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
            "arccosh": "acosh", "arctanh": "atanh"}


def _code(name: str) -> int:
    """Op codes are resolved from the kernel module lazily (it imports numba)."""
    return _CODE_VALUES[name]


# op code constants, mirrored from _kernels/unary.py without importing it (numba stays lazy)
_CODE_VALUES = {}
for _i, _n in enumerate(("ABS NEG SIGN EXP EXP2 EXPM1 LOG LOG2 LOG10 LOG1P SQRT RSQRT SQUARE "
                         "RECIPROCAL FLOOR CEIL ROUND TRUNC FRAC ROUND_DEC NAN_TO_NUM RELU "
                         "SIGMOID").split()):
    _CODE_VALUES[_n] = _i
for _i, _n in enumerate("SIN COS TAN ASIN ACOS ATAN SINH COSH TANH ASINH ACOSH ATANH".split()):
    _CODE_VALUES[_n] = _i
for _i, _n in enumerate("ERF ERFC ERFINV LGAMMA DIGAMMA LOGIT".split()):
    _CODE_VALUES[_n] = _i
for _i, _n in enumerate(("GELU GELU_TANH SILU MISH SOFTPLUS ELU LEAKY_RELU HARDTANH "
                         "HARDSIGMOID HARDSWISH LOGSIGMOID").split()):
    _CODE_VALUES[_n] = _i
for _i, _n in enumerate("I_ABS I_NEG I_SIGN I_SQUARE I_NOT I_RELU I_CLAMP".split()):
    _CODE_VALUES[_n] = _i
for _i, _n in enumerate("P_ISNAN P_ISINF P_ISFINITE P_NOT".split()):
    _CODE_VALUES[_n] = _i


def _simple(group: str, code_name: str):
    code = _code(code_name)
    return lambda x, out, dt: _run(group, code, x, out, dt)


def _define_float_ops() -> None:
    for name, group, code_name in _FLOAT_OPS:
        _register(name, _float_dtype, _simple(group, code_name), out_schema=_OUT,
                  inplace_fn=name in _INPLACE_FN)
    for alias, target in _ALIASES.items():
        group, code_name = next((g, c) for n, g, c in _FLOAT_OPS if n == target)
        _register(alias, _float_dtype, _simple(group, code_name), out_schema=_OUT,
                  inplace_fn=True)


_define_float_ops()


# ---------------------------------------------------------------- dtype-keeping ops

def _by_kind(float_code: str | None, int_code: str | None, bool_action, *, group="basic"):
    """compute(x, out, dt): float → ``group`` kernel, int → int kernel (or a copy when
    ``int_code`` is None), bool → ``bool_action`` ('copy', 'not' or 'int')."""
    fcode = None if float_code is None else _code(float_code)
    icode = None if int_code is None else _code(int_code)

    def compute(x, out, dt):
        if x._dtype.is_floating_point:
            return _run(group, fcode, x, out, dt)
        if x._dtype is D.bool_ and bool_action == "copy" or icode is None:
            return _copy(x, out, dt)
        if x._dtype is D.bool_ and bool_action == "not":
            return _run("pred", _code("P_NOT"), x, out, D.bool_)
        return _run("int", icode, x, out, dt)
    return compute


def _keep_dtype(kname: str | None = None, bool_error=None):
    def dtype_of(self, *args):
        if self._dtype is D.bool_:
            if bool_error is not None:
                raise bool_error()
            if kname is not None:
                _dispatch_error(self, kname)
        return self._dtype
    return dtype_of


_register("abs", _keep_dtype("abs_cpu"), _by_kind("ABS", "I_ABS", None), out_schema=_OUT,
          inplace_fn=True, same_out=True)
_register("absolute", _keep_dtype("abs_cpu"), _by_kind("ABS", "I_ABS", None), out_schema=_OUT, same_out=True)


def _neg_bool_error():
    return RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                        "are trying to invert a mask, use the `~` or `logical_not()` operator "
                        "instead.")


for _n in ("neg", "negative"):
    _register(_n, _keep_dtype(bool_error=_neg_bool_error), _by_kind("NEG", "I_NEG", None),
              out_schema=_OUT, inplace_fn=True, same_out=True)
for _n in ("sign", "sgn"):
    _register(_n, _keep_dtype(), _by_kind("SIGN", "I_SIGN", "copy"), out_schema=_OUT, same_out=True)


def _square_dtype(self):
    return D.int64 if self._dtype is D.bool_ else self._dtype


def _square(x, out, dt):
    if x._dtype is D.bool_:
        x = it.convert_operand(x, D.int64)
    return _by_kind("SQUARE", "I_SQUARE", None)(x, out, dt)


_register("square", _square_dtype, _square, out_schema=_OUT, inplace_fn=True)

for _n, _k in (("floor", "floor_vml_cpu"), ("ceil", "ceil_vml_cpu"), ("round", "round_vml_cpu"),
               ("trunc", "trunc_vml_cpu"), ("fix", "trunc_vml_cpu")):
    _register(_n, _keep_dtype(_k), _by_kind("TRUNC" if _n == "fix" else _n.upper(), None, None),
              out_schema=_OUT, inplace_fn=True, same_out=True)


def _round_dec_dtype(self, decimals):
    if not self._dtype.is_floating_point:
        _dispatch_error(self, "round_cpu")
    return self._dtype


def _round_dec(x, out, dt, decimals):
    return _run("basic", _code("ROUND_DEC"), x, out, dt,
                (10.0 ** abs(decimals), 1 if decimals < 0 else 0, 0))


_register("round", _round_dec_dtype, _round_dec, schema_args=", *, int decimals",
          out_schema=", *, int decimals, Tensor(a!) out", overload="decimals",
          out_overload="decimals_out", inplace_fn=True, same_out=True)

_register("frac", _float_only("frac_cpu"), _simple("basic", "FRAC"), out_schema=_OUT,
          inplace_fn=True, same_out=True)


def _relu_dtype(self):
    if self._dtype is D.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return self._dtype


_relu_kernel = _by_kind("RELU", "I_RELU", None)


def _relu(x, out, dt):
    if it.same_dense_floats(x, out) and out.numel() < it.PARALLEL_MIN:
        _kernels().relu_flat(flat_data(x), flat_data(out))
        return out
    return _relu_kernel(x, out, dt)


_register("relu", _relu_dtype, _relu, out_schema=None, inplace_fn=True)


def _nan_to_num(x, out, dt, nan=None, posinf=None, neginf=None):
    if not x._dtype.is_floating_point:
        return _copy(x, out, dt)
    info = D.finfo(dt)
    return _run("basic", _code("NAN_TO_NUM"), x, out, dt,
                (0.0 if nan is None else nan, info.max if posinf is None else posinf,
                 info.min if neginf is None else neginf))


_NAN_ARGS = ", float? nan=None, float? posinf=None, float? neginf=None"
_register("nan_to_num", lambda self, *a: self._dtype, _nan_to_num, schema_args=_NAN_ARGS,
          layout=it.dense_like_strides, plain_resize=lambda self: not self._dtype.is_floating_point,
          out_schema=_NAN_ARGS + _OUT, inplace_fn=True, same_out=True)


def _bitwise_not_dtype(self):
    if self._dtype.is_floating_point:
        _dispatch_error(self, "bitwise_not_cpu")
    return self._dtype


_register("bitwise_not", _bitwise_not_dtype, _by_kind(None, "I_NOT", "not"), out_schema=_OUT, same_out=True)

# ---------------------------------------------------------------- predicates


def _predicate(code_name: str, int_value: bool):
    code = _code(code_name)

    def compute(x, out, dt):
        if not x._dtype.is_floating_point:
            return _fill(int_value, out)
        return _run("pred", code, x, out, dt)
    return compute


for _n, _c, _v in (("isnan", "P_ISNAN", False), ("isinf", "P_ISINF", False),
                   ("isfinite", "P_ISFINITE", True)):
    _register(_n, lambda self: D.bool_, _predicate(_c, _v), out_schema=None, inplace=False,
              layout=None if _n == "isnan" else _like_unless_float)


def _logical_not(x, out, dt):
    return _run("pred", _code("P_NOT"), x, out, D.bool_)


def _logical_not_dtype(self):
    return D.bool_


_register("logical_not", _logical_not_dtype, _logical_not, out_schema=_OUT)
# logical_not_ writes 0/1 in self's own dtype (bool → any dtype is castable)

# ---------------------------------------------------------------- logit and the activations


def _logit_half(x, out, dt, lo, hi, clamp):
    """torch's half/bfloat16 logit rounds 1 - x and x / (1 - x) to the half type (only the log
    runs in float32), so it is evaluated here in the half type itself."""
    if not numel_of(out._shape) or out._data is None:
        return out
    a = x._array()
    h = dt.np_dtype.type
    if clamp:
        a = np.minimum(np.maximum(a, h(lo)), h(hi))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / (h(1.0) - a)
        res = np.log(r.astype(np.float32)).astype(dt.np_dtype)
    copy_into(out, from_array(np.ascontiguousarray(res), dt))
    return out


def _logit(x, out, dt, eps=None):
    if eps is None and (dt is D.float16 or dt is D.bfloat16):
        return _logit_half(x, out, dt, 0.0, 0.0, False)
    if eps is None:
        return _run("special", _code("LOGIT"), x, out, dt, (0, 0, 0))
    # the bounds are numbers of the tensor's dtype: lo = eps, hi = 1 - lo (rounded for halves)
    lo = float(np.array(eps, dtype=dt.np_dtype))
    hi = float(np.array(1.0 - lo, dtype=dt.np_dtype))
    if dt is D.float16 or dt is D.bfloat16:
        return _logit_half(x, out, dt, lo, hi, eps >= 0)
    return _run("special", _code("LOGIT"), x, out, dt, (lo, hi, 1 if eps >= 0 else 0))


_register("logit", _float_dtype, _logit, schema_args=", float? eps=None",
          out_schema=", float? eps=None" + _OUT, inplace_fn=True)

_NN = ("nn",)  # torch exposes these in torch._C._nn / torch.nn.functional only


def _act(code_name: str, params=None):
    code = _code(code_name)
    if params is None:
        return lambda x, out, dt: _run("act", code, x, out, dt)
    return lambda x, out, dt, *a: _run("act", code, x, out, dt, params(*a))


for _n, _c, _k in (("silu", "SILU", "silu_cpu"), ("mish", "MISH", "mish_cpu"),
                   ("hardsigmoid", "HARDSIGMOID", "hardsigmoid_cpu"),
                   ("hardswish", "HARDSWISH", "hardswish_cpu")):
    _register(_n, _float_only(_k), _act(_c), out_schema=_OUT, variants=_NN, same_out=True)

_register("log_sigmoid", _float_only("log_sigmoid_cpu"), _act("LOGSIGMOID"), out_schema=_OUT,
          inplace=False, variants=_NN, layout=lambda self: contiguous_strides(self._shape), same_out=True)


def _gelu_dtype(self, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _float_only("GeluKernelImpl")(self)


def _gelu(x, out, dt, approximate="none"):
    return _run("act", _code("GELU_TANH" if approximate == "tanh" else "GELU"), x, out, dt)


_register("gelu", _gelu_dtype, _gelu, schema_args=", *, str approximate='none'",
          out_schema=", *, str approximate='none', Tensor(a!) out", variants=_NN, same_out=True)

_register("softplus", _float_only("softplus_cpu"),
          _act("SOFTPLUS", lambda beta=1, threshold=20: (beta, threshold, 0)),
          schema_args=", Scalar beta=1, Scalar threshold=20",
          out_schema=", Scalar beta=1, Scalar threshold=20" + _OUT, inplace=False, variants=_NN, same_out=True)


def _elu(x, out, dt, alpha=1, scale=1, input_scale=1):
    t = it.compute_dtype(dt).np_dtype.type
    return _run("act", _code("ELU"), x, out, dt,
                (t(alpha) * t(scale), scale, input_scale))


_ELU_ARGS = ", Scalar alpha=1, Scalar scale=1, Scalar input_scale=1"
_register("elu", _float_only("elu_cpu"), _elu, schema_args=_ELU_ARGS,
          out_schema=_ELU_ARGS + _OUT, variants=_NN, same_out=True)

_register("leaky_relu", _float_only("leaky_relu_cpu"),
          _act("LEAKY_RELU", lambda negative_slope=0.01: (negative_slope, 0, 0)),
          schema_args=", Scalar negative_slope=0.01",
          out_schema=", Scalar negative_slope=0.01" + _OUT, variants=_NN, same_out=True)


def _hardtanh_dtype(self, min_val=-1, max_val=1):
    if self._dtype is D.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if self._dtype is D.uint8 and (int(min_val) < 0 or int(max_val) < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return self._dtype


def _hardtanh(x, out, dt, min_val=-1, max_val=1):
    if x._dtype.is_floating_point:
        return _run("act", _code("HARDTANH"), x, out, dt, (min_val, max_val, 0))
    return _run("int", _code("I_CLAMP"), x, out, dt, (int(min_val), int(max_val), 0))


_HT_ARGS = ", Scalar min_val=-1, Scalar max_val=1"
_register("hardtanh", _hardtanh_dtype, _hardtanh, schema_args=_HT_ARGS,
          layout=it.dense_like_strides,
          out_schema=_HT_ARGS + _OUT, variants=_NN, same_out=True)

# ---------------------------------------------------------------- Python operators

positive = defop("positive(Tensor(a) self) -> Tensor(a)")


@positive.impl("CompositeImplicitAutograd")  # returns self: nothing to record
def _positive(self):
    if self._dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


def _operators() -> dict:
    from .._dispatch.dispatcher import OPS
    neg = OPS["neg"].function()
    absf = OPS["abs"].function()
    bnot = OPS["bitwise_not"].function()
    pos = OPS["positive"].function()
    def invert(self):
        if self._dtype.is_floating_point:
            raise TypeError("~ (operator.invert) is only implemented on integer and "
                            "Boolean-type tensors")
        return bnot(self)
    return {"__neg__": lambda self: neg(self), "__abs__": lambda self: absf(self),
            "__invert__": invert, "__pos__": lambda self: pos(self),
            "polygamma": lambda self, n: polygamma(n, self)}


OPERATORS = _operators()


# ---------------------------------------------------------------- derivatives

@overload("neg").backward("NegBackward0")
def _neg_backward(grad, args):
    return -grad


@overload("exp").backward("ExpBackward0", save_result=True)
def _exp_backward(grad, args):
    return grad * args.result


@overload("expm1").backward("Expm1Backward0", save_result=True)
def _expm1_backward(grad, args):
    return grad * (args.result + 1)


@overload("log").backward("LogBackward0", saves=("self",))
def _log_backward(grad, args):
    return grad / args.self


@overload("log1p").backward("Log1PBackward0", saves=("self",))
def _log1p_backward(grad, args):
    return grad / (args.self + 1)


@overload("sqrt").backward("SqrtBackward0", save_result=True)
def _sqrt_backward(grad, args):
    return grad / (2 * args.result)


@overload("rsqrt").backward("RsqrtBackward0", save_result=True)
def _rsqrt_backward(grad, args):
    return -0.5 * grad * args.result * args.result * args.result


@overload("reciprocal").backward("ReciprocalBackward0", save_result=True)
def _reciprocal_backward(grad, args):
    return -grad * args.result * args.result


# Backward kernels of activations as single ops (torch's tanh_backward, sigmoid_backward,
# threshold_backward): one Numba loop over contiguous float data, rounding as torch's kernel.

def _fused_backward(schema: str, kernel: str, composed):
    """Declare a backward op ``(grad, saved, *scalars) -> grad_input``: the flat kernel
    ``kernel(grad, saved, out, *scalars)`` on contiguous same-dtype float32/float64 data
    (scalars as floats: one compiled signature per dtype), else ``composed``
    (frankentorch ops)."""
    op = defop(schema, variants=())

    @op.impl("CPU", "Meta")
    def run(grad, saved, *extra):
        if it.same_dense_floats(grad, saved):
            out = empty_contiguous(grad._shape, grad.numel(), grad._dtype)
            getattr(_kernels(), kernel)(flat_data(grad), flat_data(saved), out._data,
                                        *map(float, extra))
            return out
        return composed(grad, saved, *extra)
    return op


tanh_backward = _fused_backward("tanh_backward(Tensor grad_output, Tensor output) -> Tensor",
                                "tanh_backward_flat", lambda g, y: g * (1 - y * y))
sigmoid_backward = _fused_backward(
    "sigmoid_backward(Tensor grad_output, Tensor output) -> Tensor", "sigmoid_backward_flat",
    lambda g, y: g * (1 - y) * y)
threshold_backward = _fused_backward(
    "threshold_backward(Tensor grad_output, Tensor self, Scalar threshold) -> Tensor",
    "threshold_backward_flat", lambda g, x, threshold: g.masked_fill(x <= threshold, 0))


@overload("tanh").backward("TanhBackward0", save_result=True)
def _tanh_backward(grad, args):
    return tanh_backward(grad, args.result)


@tanh_backward.backward("TanhBackwardBackward0", saves=("grad_output", "output"))
def _tanh_backward_backward(grad, args):
    return tanh_backward(grad, args.output), -2 * args.output * args.grad_output * grad


@overload("sigmoid").backward("SigmoidBackward0", save_result=True)
def _sigmoid_backward(grad, args):
    return sigmoid_backward(grad, args.result)


@sigmoid_backward.backward("SigmoidBackwardBackward0", saves=("grad_output", "output"))
def _sigmoid_backward_backward(grad, args):
    y = args.output
    return sigmoid_backward(grad, y), grad * args.grad_output * (1 - 2 * y)


@overload("relu").backward("ReluBackward0", save_result=True)
def _relu_backward(grad, args):
    return threshold_backward(grad, args.result, 0)


@threshold_backward.backward("ThresholdBackwardBackward0", saves=("self",),
                             inputs=("grad_output",))
def _threshold_backward_backward(grad, args):
    return threshold_backward(grad, args.self, args.threshold)


@overload("sin").backward("SinBackward0", saves=("self",))
def _sin_backward(grad, args):
    return grad * args.self.cos()


@overload("cos").backward("CosBackward0", saves=("self",))
def _cos_backward(grad, args):
    return -grad * args.self.sin()


@overload("abs").backward("AbsBackward0", saves=("self",))
def _abs_backward(grad, args):
    return grad * args.self.sign()


@overload("erf").backward("ErfBackward0", saves=("self",))
def _erf_backward(grad, args):
    return grad * (2.0 / math.sqrt(math.pi)) * (-(args.self * args.self)).exp()


# ---------------------------------------------------------------- polygamma

polygamma = defop("polygamma(int n, Tensor self) -> Tensor", variants=("function",))

# Bernoulli numbers B2, B4, ..., B16 (the Euler-Maclaurin tail of the Hurwitz zeta function)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _polygamma_values(n: int, x: np.ndarray) -> np.ndarray:
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n >= 1: the series is summed term by term
    until x is large, then closed with the Euler-Maclaurin expansion."""
    s = n + 1
    x = np.array(x, dtype=np.float64)
    acc = np.zeros_like(x)
    limit = 20.0 + n
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        todo = np.isfinite(x) & (x < limit)
        while todo.any():
            acc[todo] += x[todo] ** -s
            x[todo] += 1
            todo &= x < limit
        tail = x ** (1 - s) / (s - 1) + 0.5 * x ** -s
        rising, power, fact = float(s), x ** (-s - 1), 2.0
        for k, b in enumerate(_BERNOULLI, start=1):
            tail = tail + b / fact * rising * power
            rising *= (s + 2 * k - 1) * (s + 2 * k)
            fact *= (2 * k + 1) * (2 * k + 2)
            power = power / (x * x)
        out = (-1.0) ** (n + 1) * math.factorial(n) * (acc + tail)
    return np.where(x == np.inf, np.nan, out)  # torch's zeta gives NaN at +inf


def _trigamma_values(x: np.ndarray) -> np.ndarray:
    """psi^(1)(x) as torch evaluates it, in x's float type: reflection below 1/2, six
    recurrence steps, then a short asymptotic series (so it rounds as torch's does)."""
    x = np.array(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0.5
        s = np.sin(np.pi * x)
        result = np.where(reflect, -(np.pi * np.pi) / (s * s), 0.0)
        x = np.where(reflect, 1 - x, x)
        for _ in range(6):
            result += 1 / (x * x)
            x = x + 1
        ixx = 1 / (x * x)
        result += (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
        return np.where(reflect, -result, result)


@polygamma.impl("CPU", "Meta")
def _polygamma(n, self):
    _check_tensor("polygamma", self)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return self.digamma()
    dt = _float_dtype(self)
    out = empty_tensor(self._shape, dt, self._device, _out_strides(self, dt))
    if numel_of(self._shape) == 0 or out._data is None:
        return out
    x = self._array().astype(it.compute_dtype(dt).np_dtype)
    vals = _trigamma_values(x) if n == 1 else _polygamma_values(n, x)
    copy_into(out, from_array(np.array(vals, dtype=np.float64, order="C")).to(dt))
    return out


# ---------------------------------------------------------------- more derivatives


def choose(cond, a, b):
    """``where(cond, a, b)`` (differentiable), for derivative formulas."""
    from .. import where
    return where(cond, a, b)


def _declare(names, node: str, saves=(), save_result: bool = False):
    """Decorator declaring one formula for the functional ops ``names`` (an op and its
    aliases differentiate alike, under torch's node name)."""
    def register(fn):
        for n in names.split():
            overload(n).backward(node, saves=saves, save_result=save_result)(fn)
        return fn
    return register


overload("absolute").backward("AbsBackward0", saves=("self",))(_abs_backward)
overload("negative").backward("NegBackward0")(_neg_backward)


@_declare("acos arccos", "AcosBackward0", ("self",))
def _acos_backward(grad, args):
    return -grad * (1 - args.self * args.self).rsqrt()


@_declare("asin arcsin", "AsinBackward0", ("self",))
def _asin_backward(grad, args):
    return grad * (1 - args.self * args.self).rsqrt()


@_declare("atan arctan", "AtanBackward0", ("self",))
def _atan_backward(grad, args):
    return grad / (args.self * args.self + 1)


@_declare("sinh", "SinhBackward0", ("self",))
def _sinh_backward(grad, args):
    return grad * args.self.cosh()


@_declare("cosh", "CoshBackward0", ("self",))
def _cosh_backward(grad, args):
    return grad * args.self.sinh()


@_declare("tan", "TanBackward0", save_result=True)
def _tan_backward(grad, args):
    return grad * (1 + args.result * args.result)


@_declare("asinh arcsinh", "AsinhBackward0", ("self",))
def _asinh_backward(grad, args):
    return grad * (args.self * args.self + 1).rsqrt()


@_declare("acosh arccosh", "AcoshBackward0", ("self",))
def _acosh_backward(grad, args):
    return grad * (args.self * args.self - 1).rsqrt()


@_declare("atanh arctanh", "AtanhBackward0", ("self",))
def _atanh_backward(grad, args):
    return grad / (1 - args.self * args.self)


@_declare("exp2", "Exp2Backward0", save_result=True)
def _exp2_backward(grad, args):
    return grad * args.result * math.log(2.0)


@_declare("log2", "Log2Backward0", ("self",))
def _log2_backward(grad, args):
    return grad / (args.self * math.log(2.0))


@_declare("log10", "Log10Backward0", ("self",))
def _log10_backward(grad, args):
    return grad / (args.self * math.log(10.0))


@_declare("erfc", "ErfcBackward0", ("self",))
def _erfc_backward(grad, args):
    return -grad * (2.0 / math.sqrt(math.pi)) * (-(args.self * args.self)).exp()


@_declare("erfinv", "ErfinvBackward0", save_result=True)
def _erfinv_backward(grad, args):
    return grad * (0.5 * math.sqrt(math.pi)) * (args.result * args.result).exp()


@_declare("lgamma", "LgammaBackward0", ("self",))
def _lgamma_backward(grad, args):
    return grad * args.self.digamma()


@_declare("digamma", "DigammaBackward0", ("self",))
def _digamma_backward(grad, args):
    return grad * polygamma(1, args.self)


@polygamma.backward("PolygammaBackward0", saves=("self",))
def _polygamma_backward(grad, args):
    return grad * polygamma(args.n + 1, args.self)


@_declare("logit", "LogitBackward0", ("self",))
def _logit_backward(grad, args):
    x = args.self
    g = grad / (x * (1 - x))
    if args.eps is None:
        return choose((x < 0).logical_or(x > 1), math.nan, g)
    return choose((x < args.eps).logical_or(x > 1 - args.eps), 0.0, g)


@_declare("log_sigmoid", "LogSigmoidBackward0", ("self",))
def _log_sigmoid_backward(grad, args):
    return grad * (-args.self).sigmoid()


@_declare("sign", "SignBackward0")
def _sign_backward(grad, args):
    from .. import zeros_like
    return zeros_like(grad)


overload("sgn").backward("SgnBackward0")(_sign_backward)
for _n, _node in (("floor", "FloorBackward0"), ("ceil", "CeilBackward0"),
                  ("round", "RoundBackward0"), ("trunc", "TruncBackward0"),
                  ("fix", "TruncBackward0")):
    overload(_n).backward(_node)(_sign_backward)
overload("round.decimals").backward("RoundBackward1")(_sign_backward)


@_declare("frac", "FracBackward0")
def _frac_backward(grad, args):
    return grad


@_declare("square", "PowBackward0", ("self",))
def _square_backward(grad, args):
    return 2 * grad * args.self


@_declare("nan_to_num", "NanToNumBackward0", ("self",))
def _nan_to_num_backward(grad, args):
    return grad * args.self.isfinite()


@_declare("hardtanh", "HardtanhBackward0", ("self",))
def _hardtanh_backward(grad, args):
    x = args.self
    return choose((x > args.min_val).logical_and(x < args.max_val), grad, 0.0)


@_declare("elu", "EluBackward0", ("self",))
def _elu_backward(grad, args):
    x, s = args.self, args.input_scale
    neg = grad * (s * args.alpha * args.scale) * (x * s).exp()
    return choose(x <= 0, neg, grad * args.scale)


@_declare("leaky_relu", "LeakyReluBackward0", ("self",))
def _leaky_relu_backward(grad, args):
    return choose(args.self > 0, grad, grad * args.negative_slope)


_SQRT_2_PI = math.sqrt(2.0 / math.pi)


@_declare("gelu", "GeluBackward0", ("self",))
def _gelu_backward(grad, args):
    x = args.self
    if args.approximate == "tanh":
        inner = _SQRT_2_PI * (x + 0.044715 * x * x * x)
        t = inner.tanh()
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x)
        return grad * slope
    cdf = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return grad * (cdf + x * pdf)


@_declare("silu", "SiluBackward0", ("self",))
def _silu_backward(grad, args):
    s = args.self.sigmoid()
    return grad * s * (1 + args.self * (1 - s))


@_declare("mish", "MishBackward0", ("self",))
def _mish_backward(grad, args):
    x = args.self
    t = x.exp().log1p().tanh()
    return grad * (t + x * x.sigmoid() * (1 - t * t))


@_declare("softplus", "SoftplusBackward0", ("self",))
def _softplus_backward(grad, args):
    bx = args.self * args.beta
    return choose(bx > args.threshold, grad, grad * bx.sigmoid())


# torch's kernel multiplies by 1/6 rounded to float32, in every dtype
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


@_declare("hardsigmoid", "HardsigmoidBackward0", ("self",))
def _hardsigmoid_backward(grad, args):
    x = args.self
    return choose((x > -3).logical_and(x < 3), grad * _ONE_SIXTH_F32, 0.0)


@_declare("hardswish", "HardswishBackward0", ("self",))
def _hardswish_backward(grad, args):
    x = args.self
    mid = choose(x < 3, grad * (x / 3 + 0.5), grad)
    return choose(x <= -3, 0.0, mid)
