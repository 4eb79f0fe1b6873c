"""add, sub, mul, div: broadcasting, PyTorch's type promotion, in-place and out= forms."""
from __future__ import annotations

import functools

import numpy as np

from .._core import dtype as D
from .._core.meta import numel_of
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_contiguous, empty_tensor
from . import iterator as it
from .copy import copy_into, check_can_cast, resize_out

_CODES = {"add": 0, "sub": 1, "mul": 2, "div": 3}


@functools.cache
def _kernels():
    """The Numba kernel module, imported on first use (keeps ``import frankentorch`` fast)."""
    from .._kernels import elementwise
    return elementwise


def _check_operands(name: str, a, b) -> None:
    for x in (a, b):
        if not isinstance(x, Tensor) and not it.is_number(x):
            raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not "
                            f"{type(x).__name__}")


def binary_dtype(name: str, a, b) -> D.dtype:
    """Result dtype of ``name(a, b)`` (true division of integers gives the default float)."""
    dt = it.result_type(a, b)
    if name == "div" and not dt.is_floating_point:
        return D.get_default_dtype()
    if name == "sub" and any(x is True or x is False or getattr(x, "dtype", None) is D.bool_
                             for x in (a, b)):
        if dt is D.bool_:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return dt


def _check_alpha(dt: D.dtype, alpha) -> None:
    if isinstance(alpha, float) and not dt.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if isinstance(alpha, bool) and dt is not D.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


def _op_scalar(dt: D.dtype, alpha):
    """alpha as the op's dtype holds it before its kernel widens it (torch converts the
    scalar to a half type first, so halves see a rounded alpha)."""
    if dt is D.bool_:
        return bool(alpha)
    return dt.np_dtype.type(alpha).item() if dt is D.float16 or dt is D.bfloat16 else alpha


def _kernel_alpha(cdt: D.dtype, alpha):
    """alpha as the kernel multiplies with it: the compute float type, or int64 for integer
    types (so small unsigned types wrap instead of mixing signedness)."""
    if alpha.__class__ is int and alpha == 1:
        return _ONE[cdt]
    if cdt is D.bool_:
        return np.int64(bool(alpha))
    return cdt.np_dtype.type(alpha) if cdt.is_floating_point else np.int64(alpha)


_ONE = {d: (d.np_dtype.type(1) if d.is_floating_point else np.int64(1))
        for d in (D.bool_, D.uint8, D.int8, D.int16, D.int32, D.int64, D.float16, D.bfloat16,
                  D.float32, D.float64)}


def kernel_dtype(d: D.dtype) -> D.dtype:
    """The dtype a kernel computes in: the integer types themselves (so in-place ops on
    self-overlapping views read earlier writes, as PyTorch's do), int64 for bool (a bool
    output array selects the comparison kernels), float32 for the half types (computed in
    float32, rounded once), float32/float64 themselves."""
    if d is D.bool_:
        return D.int64
    return D.float32 if d is D.float16 or d is D.bfloat16 else d


def kernel_operand(x, dt: D.dtype, kdt: D.dtype):
    """``x`` converted to the op's dtype ``dt`` (scalars wrap/round there), then to ``kdt``."""
    x = it.convert_operand(x, dt)
    return x if kdt is dt else it.convert_operand(x, kdt)


_INT_DIVISIONS = frozenset((4, 5, 6, 7))


def _has_zero(x) -> bool:
    arr = x if isinstance(x, np.ndarray) else x._array()
    return bool((arr == 0).any())


def run_binary(name, a, b, alpha, out: Tensor, dt: D.dtype) -> Tensor:
    """Compute op ``name`` (a name of _CODES or an elementwise op code) of ``a`` and ``b`` into
    ``out`` (broadcast shape). Operands are first converted to the common dtype ``dt``, then
    to the kernel dtype; the result is rounded/wrapped to ``dt`` (bool for comparisons, codes
    >= 20) before it is written to ``out``."""
    code = _CODES[name] if isinstance(name, str) else name
    shape = out._shape
    if numel_of(shape) == 0 or out._data is None:
        return out
    kdt = kernel_dtype(dt)
    a, b = kernel_operand(a, dt, kdt), kernel_operand(b, dt, kdt)
    if code in _INT_DIVISIONS and not kdt.is_floating_point and _has_zero(b):
        raise RuntimeError("ZeroDivisionError")
    compare = code >= 20
    rdt = D.bool_ if compare else kdt
    direct = out._dtype is rdt and (compare or dt is kdt)
    target = out if direct else empty_tensor(shape, rdt, out._device,
                                             it.dense_like_strides(out))
    abuf, aoff, ast = it.operand_buffer(a, shape)
    bbuf, boff, bst = it.operand_buffer(b, shape)
    kshape, (ast, bst, ost) = it.coalesce(shape, [ast, bst, target._stride])
    K = _kernels()
    kernel = K.binary_parallel if numel_of(shape) >= it.PARALLEL_MIN else K.binary_serial
    kernel(code, abuf, aoff, ast, bbuf, boff, bst, target._data, target._offset, ost,
           kshape, _kernel_alpha(kdt, _op_scalar(dt, alpha)))
    if not direct:
        copy_into(out, target if compare else it.convert_operand(target, dt))
    return out


_NATIVE = frozenset((D.int64, D.float32, D.float64))  # dtypes kernels compute in
_FLOATS = (D.float32, D.float64)


def _fast_binary(code: int, a, b, alpha):
    """The common small case without the general machinery: CPU tensors of one native dtype,
    the same shape, both contiguous (or a Python number on the right). None when it does
    not apply."""
    if a.__class__ is not Tensor or a._data is None:
        return None
    dt = a._dtype
    if b.__class__ is Tensor:
        if b._dtype is not dt or b._shape != a._shape or b._data is None or \
                not (a.is_contiguous() and b.is_contiguous()):
            return None
        bbuf, boff, bi = b._data, b._offset, 1
    elif b.__class__ is float and dt in _FLOATS or b.__class__ is int and dt in _NATIVE:
        if code == 3 and dt not in _FLOATS or not a.is_contiguous():
            return None
        bbuf, boff, bi = it.scalar_array(b, dt), 0, 0
    else:
        return None
    if dt not in _NATIVE or (code == 3 and dt not in _FLOATS) or \
            not (alpha.__class__ is int or alpha.__class__ is float and dt in _FLOATS):
        return None
    n = a.numel()
    if n >= it.PARALLEL_MIN:
        return None
    out = empty_contiguous(a._shape, n, dt)
    _kernels().binary_flat_serial(code, a._data, a._offset, 1, bbuf, boff, bi, out._data, 0, n,
                                  _kernel_alpha(dt, alpha))
    return out


def _define(name: str, with_alpha: bool) -> None:
    code = _CODES[name]
    alpha_sig = ", *, Scalar alpha=1" if with_alpha else ""
    alpha_kw = ", *, Scalar alpha=1" if with_alpha else ", *"
    overload = "Tensor"
    functional = defop(f"{name}.{overload}(Tensor self, Tensor other{alpha_sig}) -> Tensor")
    inplace = defop(f"{name}_.{overload}(Tensor(a!) self, Tensor other{alpha_sig}) -> Tensor(a!)",
                    variants=("method",))
    out_op = defop(f"{name}.out(Tensor self, Tensor other{alpha_kw}, Tensor(a!) out) -> "
                   "Tensor(a!)")

    def prepare(a, b, alpha):
        _check_operands(name, a, b)
        dt = binary_dtype(name, a, b)
        _check_alpha(dt, alpha)
        return it.broadcast_operands_shape(a, b), dt, it.common_device(a, b)

    def forward(self, other, alpha=1):
        fast = _fast_binary(code, self, other, alpha)
        if fast is not None:
            return fast
        shape, dt, dev = prepare(self, other, alpha)
        a, b = it.convert_operand(self, dt), it.convert_operand(other, dt)
        out = it.new_output(shape, dt, dev, (a, b))
        return run_binary(name, a, b, alpha, out, dt)

    def forward_inplace(self, other, alpha=1):
        shape, dt, _ = prepare(self, other, alpha)
        if shape != self._shape:
            raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
        check_can_cast(dt, self._dtype)
        it.check_writable(self, (other,))
        run_binary(name, self, other, alpha, self, dt)
        self._bump_version()
        return self

    def forward_out(self, other, alpha=1, out=None):
        shape, dt, _ = prepare(self, other, alpha)
        check_can_cast(dt, out._dtype)
        resize_out(out, shape)
        it.check_writable(out, (self, other))
        run_binary(name, self, other, alpha, out, dt)
        out._bump_version()
        return out

    if not with_alpha:  # the out= form's ``out`` comes where ``alpha`` would
        fo = forward_out
        forward_out = lambda self, other, out: fo(self, other, 1, out)  # noqa: E731
    functional.impl("CPU", "Meta")(forward)
    inplace.impl("CPU", "Meta")(forward_inplace)
    out_op.impl("CPU", "Meta")(forward_out)
    formula, node_name, saves = _BACKWARDS[name]
    functional.backward(node_name, saves=saves)(formula)
    if not saves:  # a formula that reads no input serves the in-place form alike
        inplace.backward(node_name)(formula)


# derivatives (derivatives.yaml): broadcast inputs get their gradient summed back by autograd
def _add_backward(grad, args):
    return grad, grad * args.alpha if args.alpha != 1 else grad


def _sub_backward(grad, args):
    return grad, -grad * args.alpha if args.alpha != 1 else -grad


def _mul_backward(grad, args):
    return (grad * args.other if args.needs_grad("self") else None,
            grad * args.self if args.needs_grad("other") else None)


def _div_backward(grad, args):
    other = args.other
    return (grad / other if args.needs_grad("self") else None,
            -grad * args.self / (other * other) if args.needs_grad("other") else None)


_BACKWARDS = {"add": (_add_backward, "AddBackward0", ()),
              "sub": (_sub_backward, "SubBackward0", ()),
              "mul": (_mul_backward, "MulBackward0", ("self", "other")),
              "div": (_div_backward, "DivBackward0", ("self", "other"))}

for _name, _alpha in (("add", True), ("sub", True), ("mul", False), ("div", False)):
    _define(_name, _alpha)

_MODE_CODES = {"trunc": 5, "floor": 4}


def _div_mode(a, b, rounding_mode):
    """(op code, result dtype) of ``div(a, b, rounding_mode=...)``."""
    _check_operands("div", a, b)
    if rounding_mode is None:
        return 3, binary_dtype("div", a, b)
    if rounding_mode not in _MODE_CODES:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    dt = it.result_type(a, b)
    if dt is D.bool_:
        raise NotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    return _MODE_CODES[rounding_mode], dt


div_mode = defop("div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor")
div_mode_ = defop("div_.Tensor_mode(Tensor(a!) self, Tensor other, *, str? rounding_mode) -> "
                  "Tensor(a!)", variants=("method",))
div_out_mode = defop("div.out_mode(Tensor self, Tensor other, *, str? rounding_mode, "
                     "Tensor(a!) out) -> Tensor(a!)")


@div_mode.impl("CPU", "Meta")
def _div_mode_fn(self, other, rounding_mode=None):
    code, dt = _div_mode(self, other, rounding_mode)
    shape = it.broadcast_operands_shape(self, other)
    out = it.new_output(shape, dt, it.common_device(self, other), (self, other))
    return run_binary(code, self, other, 1, out, dt)


@div_mode_.impl("CPU", "Meta")
def _div_mode_inplace(self, other, rounding_mode=None):
    code, dt = _div_mode(self, other, rounding_mode)
    shape = it.broadcast_operands_shape(self, other)
    if shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    check_can_cast(dt, self._dtype)
    it.check_writable(self, (other,))
    run_binary(code, self, other, 1, self, dt)
    self._bump_version()
    return self


@div_out_mode.impl("CPU", "Meta")
def _div_mode_out(self, other, rounding_mode=None, out=None):
    code, dt = _div_mode(self, other, rounding_mode)
    check_can_cast(dt, out._dtype)
    resize_out(out, it.broadcast_operands_shape(self, other))
    it.check_writable(out, (self, other))
    run_binary(code, self, other, 1, out, dt)
    out._bump_version()
    return out


# a Python number picks the Scalar overload (declared first), as PyTorch's binding does
rsub_scalar = defop("rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor")
rsub = defop("rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor")


@rsub.impl("CPU", "Meta")
@rsub_scalar.impl("CPU", "Meta")
def _rsub(self, other, alpha=1):
    """other - alpha * self"""
    from .._dispatch.dispatcher import OPS
    return OPS["sub"].function()(other, self, alpha=alpha)


@rsub.backward("RsubBackward0")
def _rsub_backward(grad, args):
    return -grad * args.alpha if args.alpha != 1 else -grad, grad


@rsub_scalar.backward("RsubBackward1")
def _rsub_scalar_backward(grad, args):
    return -grad * args.alpha if args.alpha != 1 else -grad


def _operators() -> dict:
    """Python operators for the four arithmetic ops (reflected forms swap the operands)."""
    from .._dispatch.dispatcher import OPS
    table = {}
    for name in ("add", "sub", "mul", "div"):
        fn = OPS[name].function()
        tensor_op = OPS[name].overloads[0]  # the .Tensor overload: a number may come first
        py = "truediv" if name == "div" else name
        table[f"__{py}__"] = lambda self, other, fn=fn: fn(self, other)
        table[f"__r{py}__"] = lambda self, other, op=tensor_op: op(other, self)
        table[f"__i{py}__"] = lambda self, other, name=name: getattr(self, name + "_")(other)
    rsub_fn = OPS["rsub"].function()
    table["__rsub__"] = lambda self, other: rsub_fn(self, other)
    return table


OPERATORS = _operators()


@div_mode.backward("DivBackward2", saves=("self", "other"))
def _div_mode_backward(grad, args):
    """Rounded quotients are piecewise constant: zero gradients, as torch."""
    if args.rounding_mode is None:
        return _div_backward(grad, args)
    from .creation import zeros_like
    return zeros_like(grad), zeros_like(grad)
