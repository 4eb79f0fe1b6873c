"""Factories: empty/zeros/ones/full, arange/linspace/logspace, eye, *_like, tensor, as_tensor.

Each factory is a schema op (dispatched on its ``device`` argument, like PyTorch's
BackendSelect); the Python-facing wrappers add what PyTorch's Python layer adds: varargs
sizes, ``requires_grad`` and dtype inference from data.
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .._core import dtype as D
from .._core.device import CPU, as_device
from .._core.meta import contiguous_strides, numel_of
from .._dispatch.dispatcher import defop
from .._core.storage import cast, store
from .._tensor import Tensor, empty_contiguous, empty_tensor, flat_data, from_array
from . import iterator as it
from .args import int_list
from .copy import copy_into, format_strides

__all__ = ["empty", "empty_strided", "zeros", "ones", "full", "arange", "linspace", "logspace", "eye",
           "empty_like", "zeros_like", "ones_like", "full_like", "tensor", "as_tensor",
           "from_numpy", "scalar_tensor"]

_FACTORY_KW = ("*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
               "bool? pin_memory=None")


def _sizes(name: str, size) -> tuple[int, ...]:
    """Sizes given as varargs or as one sequence; negative sizes are RuntimeErrors."""
    if not size:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (), but "
                        "expected one of:\n * (tuple of ints size, *, ...)")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    sizes = int_list(name, "size", size)
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(sizes)}")
    return sizes


def _fill(t: Tensor, value) -> Tensor:
    """Fill with a number, refusing values the integer dtype cannot hold (c10's rule)."""
    if isinstance(value, Tensor):
        value = value.item()
    n = t.numel()
    if value.__class__ in (int, float) and abs(value) <= _HALF_MAX and \
            t._dtype.is_floating_point and t._data is not None and t.is_contiguous():
        flat_data(t)[:] = value  # within every float type's range
        return t
    if t._dtype.kind in "ui":
        value = _integral_values(np.array([value]), t._dtype)[0]
    # c10 refuses overflowing floats in the vectorised fill, not the single-element one
    if t._dtype.is_floating_point and t.numel() != 1 and isinstance(value, (int, float)) and \
            math.isfinite(value) and abs(value) > D.finfo(t._dtype).max:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE[t._dtype.name]} "
                           "without overflow")
    if t._data is not None and n:  # a fresh (contiguous) tensor: its flat run, any rank
        store(flat_data(t) if t.is_contiguous() else t._array(), value)
    return t


_HALF_MAX = 65504.0  # the largest float16; smaller magnitudes fit every float dtype
_C_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
           "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
           "float32": "float", "float64": "double"}


def _integral_values(values: np.ndarray, dt: D.dtype, c_name: bool = True) -> np.ndarray:
    """``values`` converted to integer dtype ``dt`` as c10's checked conversion does: NaN and
    out-of-range values are RuntimeErrors, except that unsigned types accept negatives down to
    -max, which wrap (two's complement)."""
    info = np.iinfo(dt.np_dtype)
    lo = -int(info.max) if info.min == 0 else int(info.min)
    name = _C_TYPE[dt.name] if c_name else dt.name
    if values.dtype.kind == "f":  # floats get no unsigned wrap-around
        bad = ~np.isfinite(values) | (values < info.min) | (values > info.max)
        if values.size and bad.any():
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        return values.astype(np.int64).astype(dt.np_dtype)
    ints = [int(v) for v in values.reshape(-1).tolist()]
    if any(v < lo or v > info.max for v in ints):
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    return np.array([v & ((1 << (8 * dt.itemsize)) - 1) for v in ints],
                    dtype=np.uint64).astype(dt.np_dtype).reshape(values.shape)


_empty = defop(f"empty.memory_format(SymInt[] size, {_FACTORY_KW}, "
               "MemoryFormat? memory_format=None) -> Tensor")
_full = defop(f"full(SymInt[] size, Scalar fill_value, {_FACTORY_KW}) -> Tensor")


_empty_strided = defop(f"empty_strided(SymInt[] size, SymInt[] stride, {_FACTORY_KW}) -> Tensor",
                       variants=())


@_empty_strided.impl("CPU", "Meta")
def _empty_strided_kernel(size, stride, dtype=None, layout=None, device=None, pin_memory=None):
    size = _sizes("empty_strided", (size,))
    stride = int_list("empty_strided", "stride", stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    return empty_tensor(size, dtype or D.get_default_dtype(), as_device(device), stride)


@_empty.impl("CPU", "Meta")
def _empty_kernel(size, dtype=None, layout=None, device=None, pin_memory=None,
                  memory_format=None):
    size = tuple(size)
    return empty_tensor(size, dtype or D.get_default_dtype(), as_device(device),
                        format_strides(size, memory_format))


@_full.impl("CPU", "Meta")
def _full_kernel(size, fill_value, dtype=None, layout=None, device=None, pin_memory=None):
    dt = dtype or it.result_type(fill_value)
    return _fill(empty_tensor(size, dt, as_device(device)), fill_value)


def _finish(t: Tensor, requires_grad: bool, out=None) -> Tensor:
    if out is not None:
        from .copy import resize_out
        resize_out(out, t._shape)
        copy_into(out, t)
        out._bump_version()
        t = out
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    return _finish(_empty(_sizes("empty", size), dtype=dtype, device=device,
                          memory_format=memory_format), requires_grad, out)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    return _finish(_empty_strided(size, stride, dtype=dtype, device=device), requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_full(_sizes("zeros", size), 0, dtype=dtype or D.get_default_dtype(),
                         device=device), requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_full(_sizes("ones", size), 1, dtype=dtype or D.get_default_dtype(),
                         device=device), requires_grad, out)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(_full(_sizes("full", (size,)), fill_value, dtype=dtype, device=device),
                   requires_grad, out)


def _like(name: str, input: Tensor, dtype, device, memory_format) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    dt = dtype or input._dtype
    dev = input._device if device is None else as_device(device)
    shape = input._shape
    if memory_format is None and dev is CPU and input._stride == contiguous_strides(shape):
        return empty_contiguous(shape, numel_of(shape), dt)
    return empty_tensor(shape, dt, dev, format_strides(shape, memory_format, input))


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _finish(_like("empty_like", input, dtype, device, memory_format), requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _finish(_fill(_like("zeros_like", input, dtype, device, memory_format), 0),
                   requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _finish(_fill(_like("ones_like", input, dtype, device, memory_format), 1),
                   requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _finish(_fill(_like("full_like", input, dtype, device, memory_format), fill_value),
                   requires_grad)


# ---------------------------------------------------------------- ranges

_arange = defop(f"arange.start_step(Scalar start, Scalar end, Scalar step=1, {_FACTORY_KW}) -> "
                "Tensor")


def _scalar_value(x):
    return x.item() if isinstance(x, (Tensor, np.generic)) else x


@_arange.impl("CPU", "Meta")
def _arange_kernel(start, end, step=1, dtype=None, layout=None, device=None, pin_memory=None):
    start, end, step = (_scalar_value(v) for v in (start, end, step))
    for v in (start, end, step):
        if not isinstance(v, numbers.Real):
            raise TypeError(f"arange(): argument 'end' must be Number, not {type(v).__name__}")
    dt = dtype or it.result_type(start, end, step)
    if dt is D.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if not all(math.isfinite(float(v)) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dt is D.int64:  # int64 ranges work on the truncated bounds and step
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    # the length comes from the bounds as given; other integer types then step by int(step)
    n = max(-((start - end) // step), 0) if dt is D.int64 else \
        max(math.ceil((end - start) / step), 0)
    t = empty_tensor((n,), dt, as_device(device))
    if t._data is not None and n:
        if dt.is_floating_point:
            vals = start + np.arange(n, dtype=np.float64) * step
        else:
            vals = int(start) + np.arange(n, dtype=np.int64) * int(step)
        store(t._array(), vals)
    return t


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    return _finish(_arange(start, end, step, dtype=dtype, device=device), requires_grad, out)


_linspace = defop(f"linspace(Scalar start, Scalar end, int steps, {_FACTORY_KW}) -> Tensor")
_logspace = defop(f"logspace(Scalar start, Scalar end, int steps, float base=10.0, "
                  f"{_FACTORY_KW}) -> Tensor")


def _linspace_values(start, end, steps: int, dt: D.dtype) -> np.ndarray:
    """ATen's linspace before the final store: bounds converted to the output type first
    (integers wrap), the first half counting up from start and the second half down from end.
    Integer outputs step in double; halves compute in float32 with a half-rounded step."""
    if steps == 1:
        return np.array([start], dtype=np.float64)
    if dt.kind in "ui" or dt is D.bool_:
        calc = np.float64
        s, e = (calc(_integral_values(np.array([v]), dt)[0]) for v in (start, end))
        step = (e - s) / calc(steps - 1)
    else:
        calc = np.float32 if dt.itemsize == 2 else dt.np_dtype.type
        rnd = dt.np_dtype.type
        s, e = calc(rnd(start)), calc(rnd(end))
        step = calc(rnd((e - s) / calc(steps - 1)))
    idx = np.arange(steps, dtype=calc)
    half = steps // 2
    vals = np.empty(steps, dtype=calc)
    vals[:half] = s + step * idx[:half]
    vals[half:] = e - step * (calc(steps - 1) - idx[half:])
    return vals


def _logspace_values(start, end, steps: int, base: float, dt: D.dtype) -> np.ndarray:
    """ATen's logspace: exponents stepped in double from bounds converted to the output type
    (integers wrap), powers in double, one rounding when stored."""
    idx = np.arange(steps)
    half = steps // 2
    if steps == 1:
        return np.power(np.float64(base), np.float64(start), dtype=np.float64).reshape(1)
    if dt.kind in "ui" or dt is D.bool_:
        s, e = (int(_integral_values(np.array([v]), dt)[0]) if dt is not D.bool_ else bool(v)
                for v in (start, end))
        step = float(e - s) / (steps - 1) if steps > 1 else 0.0
        exps = np.where(idx < half, s + step * idx, e - step * (steps - idx - 1))
        return np.power(base, exps)
    s, e = (float(dt.np_dtype.type(v)) for v in (start, end))  # bounds in the output type
    step = (e - s) / (steps - 1)
    exps = np.where(idx < half, s + step * idx, e - step * (steps - idx - 1))
    return np.power(base, exps)


def _store_values(t: Tensor, vals: np.ndarray) -> None:
    """Store computed doubles; integer outputs convert like a C cast on x86 (through int32
    for types narrower than 64 bits, so out-of-range values become INT32_MIN's low bits)."""
    if t._dtype.kind in "ui":
        wide = np.int64 if t._dtype.itemsize == 8 else np.int32
        with np.errstate(invalid="ignore"):
            vals = vals.astype(wide).astype(t._dtype.np_dtype)
    store(t._array(), vals)


@_linspace.impl("CPU", "Meta")
def _linspace_kernel(start, end, steps, dtype=None, layout=None, device=None, pin_memory=None):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    t = empty_tensor((steps,), dt, as_device(device))
    if t._data is not None and steps:
        _store_values(t, _linspace_values(_scalar_value(start), _scalar_value(end), steps, dt))
    return t


@_logspace.impl("CPU", "Meta")
def _logspace_kernel(start, end, steps, base=10.0, dtype=None, layout=None, device=None,
                     pin_memory=None):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    t = empty_tensor((steps,), dt, as_device(device))
    if t._data is not None and steps:
        _store_values(t, _logspace_values(_scalar_value(start), _scalar_value(end), steps,
                                          float(base), dt))
    return t


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    return _finish(_linspace(start, end, steps, dtype=dtype, device=device), requires_grad, out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    return _finish(_logspace(start, end, steps, base, dtype=dtype, device=device),
                   requires_grad, out)


_eye = defop(f"eye.m(SymInt n, SymInt m, {_FACTORY_KW}) -> Tensor")


@_eye.impl("CPU", "Meta")
def _eye_kernel(n, m, dtype=None, layout=None, device=None, pin_memory=None):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    t = _fill(empty_tensor((n, m), dtype or D.get_default_dtype(), as_device(device)), 0)
    if t._data is not None:
        k = min(n, m)
        t._data[np.arange(k) * (m + 1)] = 1
    return t


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    return _finish(_eye(n, n if m is None else m, dtype=dtype, device=device), requires_grad,
                   out)


# ---------------------------------------------------------------- from data

def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple)) or (isinstance(x, (np.ndarray, Tensor)) and x.ndim > 0)


def _data_shape(data) -> list[int]:
    """Shape of nested data, read along the first elements (as torch.tensor does)."""
    shape = []
    while _is_sequence(data):
        shape.append(len(data))
        if not len(data):
            break
        data = data[0]
    if isinstance(data, str):
        raise ValueError("too many dimensions 'str'")
    return shape


def _leaf(x, flat: list, kinds: set, dtype) -> None:
    if isinstance(x, (Tensor, np.ndarray)):  # 0-d
        kinds.add(x._dtype if isinstance(x, Tensor) else D.from_numpy_dtype(x.dtype))
        flat.append(x.item())
    elif isinstance(x, np.generic):
        kinds.add(D.from_numpy_dtype(x.dtype))
        flat.append(x.item())
    elif isinstance(x, (bool, int, float)):
        kinds.add(D.scalar_dtype(x))
        flat.append(x)
    elif x is None and dtype is not None:
        raise TypeError("must be real number, not NoneType" if dtype.is_floating_point
                        else "'NoneType' object cannot be interpreted as an integer")
    elif x is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    elif isinstance(x, str):
        raise ValueError("too many dimensions 'str'")
    else:
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")


def _store(data, depth: int, shape: list, flat: list, kinds: set, dtype) -> None:
    """Collect the scalars of rectangular nested data, with torch.tensor's error types."""
    if depth == len(shape):
        if _is_sequence(data):
            raise TypeError(f"'{type(data).__name__}' object cannot be interpreted as an "
                            "integer")
        _leaf(data, flat, kinds, dtype)
        return
    if not _is_sequence(data):
        raise TypeError("not a sequence")
    if len(data) != shape[depth]:
        raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                         f"(got {len(data)})")
    for x in data:
        _store(x, depth + 1, shape, flat, kinds, dtype)


def _values_as(flat: list, dt: D.dtype) -> np.ndarray:
    """Python scalars as a flat array of ``dt`` with c10's checked integer conversion."""
    if dt.kind in "ui" and any(
            isinstance(v, int) and not isinstance(v, bool) and not -(1 << 63) <= v < (1 << 63)
            for v in flat):
        raise ValueError("Overflow when unpacking long long")
    has_float = any(isinstance(v, float) for v in flat) or dt.kind not in "ui"
    values = np.array(flat, dtype=np.float64 if has_float else np.int64)
    if dt.kind in "ui":
        return _integral_values(values, dt, c_name=False)
    return cast(values, dt.np_dtype)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying ``data`` (nested lists, numbers, NumPy arrays, tensors)."""
    dev = as_device(device)
    if isinstance(data, np.ndarray):
        t = from_array(np.array(data, copy=True, order="K"))
        if dtype is not None:
            t = t.to(dtype)
    elif isinstance(data, Tensor):
        t = data.detach().to(dtype=dtype, copy=True) if dtype else data.detach().clone()
    else:
        shape = _data_shape(data)
        flat: list = []
        kinds: set = set()
        _store(data, 0, shape, flat, kinds, dtype)
        dt = dtype or (functools.reduce(D.promote_types, kinds) if kinds
                       else D.get_default_dtype())
        t = empty_tensor(tuple(shape), dt)
        if flat:
            store(t._array(), _values_as(flat, dt).reshape(shape))
    if dev.type == "meta":
        t = t.to(device=dev)
    return _finish(t, requires_grad)


def scalar_tensor(value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_full((), value, dtype=dtype or D.get_default_dtype(), device=device),
                   requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing the NumPy array's memory and strides."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return from_array(ndarray)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Share memory with a tensor or NumPy array when dtype/device allow, else copy."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (device is None or as_device(device).type == "cpu"):
        t = from_numpy(data)
        return t if dtype is None or dtype is t._dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


# ------------------------------------------------------------------ fill_ / zero_
fill_scalar_ = defop("fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)")
fill_tensor_ = defop("fill_.Tensor(Tensor(a!) self, Tensor value) -> Tensor(a!)")
fill_scalar = defop("fill.Scalar(Tensor self, Scalar value) -> Tensor", variants=("function",))
fill_tensor = defop("fill.Tensor(Tensor self, Tensor value) -> Tensor", variants=("function",))
zero_ = defop("zero_(Tensor(a!) self) -> Tensor(a!)")


@fill_scalar_.impl("CPU", "Meta")
@fill_tensor_.impl("CPU", "Meta")
def _fill_(self, value):
    """Every element set to ``value`` (expanded tensors allowed: they get one value)."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    _fill(self, value)
    self._bump_version()
    return self


@fill_scalar.impl("CPU", "Meta")
@fill_tensor.impl("CPU", "Meta")
def _fill_functional(self, value):
    return _fill_(_like("fill", self, None, None, None), value)


zero_.impl("CPU", "Meta")(lambda self: _fill_(self, 0))


def _no_grad_for_self(grad, args):
    return zeros_like(grad)


def _fill_value_grad(grad, args):
    return zeros_like(grad), grad.sum()


fill_scalar_.backward("FillBackward2")(_no_grad_for_self)
fill_scalar.backward("FillBackward0")(_no_grad_for_self)
fill_tensor_.backward("FillBackward3")(_fill_value_grad)
fill_tensor.backward("FillBackward1")(_fill_value_grad)
zero_.backward("ZeroBackward0")(_no_grad_for_self)


# the Python-level factories, exported as frankentorch.<name>
FUNCTIONS = {name: globals()[name] for name in __all__}
