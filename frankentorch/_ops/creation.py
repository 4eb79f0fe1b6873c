"""Factories: empty/zeros/ones/full, arange/linspace/logspace, eye, *_like, tensor, as_tensor.

Each factory is a schema op (dispatched on its ``device`` argument, like PyTorch's
BackendSelect); the Python-facing wrappers add what PyTorch's Python layer adds: varargs
sizes, ``requires_grad`` and dtype inference from data.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._core import dtype as D
from .._core.device import as_device
from .._core.meta import contiguous_strides
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_tensor, from_array
from . import iterator as it
from .copy import copy_into

__all__ = ["empty", "zeros", "ones", "full", "arange", "linspace", "logspace", "eye",
           "empty_like", "zeros_like", "ones_like", "full_like", "tensor", "as_tensor",
           "from_numpy", "scalar_tensor"]

_FACTORY_KW = ("*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
               "bool? pin_memory=None")


def _sizes(name: str, size) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)) or \
            (len(size) == 1 and type(size[0]).__name__ == "Size"):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {type(s).__name__} at pos {len(out)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _fill(t: Tensor, value) -> Tensor:
    if t._data is not None and t.numel():
        t._array()[...] = value
    return t


_empty = defop(f"empty.memory_format(SymInt[] size, {_FACTORY_KW}, "
               "MemoryFormat? memory_format=None) -> Tensor")
_full = defop(f"full(SymInt[] size, Scalar fill_value, {_FACTORY_KW}) -> Tensor")


@_empty.impl("CPU", "Meta")
def _empty_kernel(size, dtype=None, layout=None, device=None, pin_memory=None,
                  memory_format=None):
    return empty_tensor(size, dtype or D.get_default_dtype(), as_device(device))


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
    return _finish(_empty(_sizes("empty", size), dtype=dtype, device=device), requires_grad, out)


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
    keep = memory_format is None or getattr(memory_format, "name", "") == "preserve_format"
    strides = it.elementwise_strides(input._shape, (input,)) if keep else \
        contiguous_strides(input._shape)
    return empty_tensor(input._shape, dt, dev, strides)


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
        raise RuntimeError("\"arange_cpu\" not implemented for 'Bool'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(float(v)) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dt.is_floating_point:
        n = math.ceil((end - start) / step)
    else:
        n = math.ceil((int(end) - int(start)) / int(step)) if all(
            isinstance(v, int) for v in (start, end, step)) else math.ceil((end - start) / step)
    n = max(int(n), 0)
    t = empty_tensor((n,), dt, as_device(device))
    if t._data is not None and n:
        if dt.is_floating_point:
            vals = start + np.arange(n, dtype=np.float64) * step
        else:
            vals = int(start) + np.arange(n, dtype=np.int64) * int(step)
        t._array()[...] = vals
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
    """ATen's linspace: first half counts up from start, second half down from end, computed
    in the output's type (double for integer outputs)."""
    calc = dt.np_dtype if dt in (D.float32, D.float64) else np.float64
    if dt in (D.float16, D.bfloat16):
        calc = np.float32
    s, e = calc(start), calc(end)
    if steps == 1:
        return np.array([s], dtype=calc)
    step = (e - s) / calc(steps - 1)
    idx = np.arange(steps, dtype=calc)
    half = steps // 2
    vals = np.empty(steps, dtype=calc)
    vals[:half] = s + step * idx[:half]
    vals[half:] = e - step * (calc(steps - 1) - idx[half:])
    return vals


@_linspace.impl("CPU", "Meta")
def _linspace_kernel(start, end, steps, dtype=None, layout=None, device=None, pin_memory=None):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    t = empty_tensor((steps,), dt, as_device(device))
    if t._data is not None and steps:
        t._array()[...] = _linspace_values(_scalar_value(start), _scalar_value(end), steps, dt)
    return t


@_logspace.impl("CPU", "Meta")
def _logspace_kernel(start, end, steps, base=10.0, dtype=None, layout=None, device=None,
                     pin_memory=None):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    t = empty_tensor((steps,), dt, as_device(device))
    if t._data is not None and steps:
        exps = _linspace_values(_scalar_value(start), _scalar_value(end), steps, D.float64)
        t._array()[...] = np.power(float(base), exps)
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

def _walk(data, depth: int, shape: list, flat: list, kinds: set) -> None:
    """Flatten nested sequences, checking they are rectangular (torch's error wording)."""
    if isinstance(data, Tensor):
        if depth == len(shape):
            shape.extend(data._shape)
        kinds.add(data._dtype)
        flat.extend(np.ravel(data._py_values()).tolist())
        return
    if isinstance(data, np.ndarray):
        _walk(data.tolist() if data.ndim else data.item(), depth, shape, flat, kinds)
        return
    if isinstance(data, (list, tuple)):
        n = len(data)
        if depth == len(shape):
            shape.append(n)
        elif shape[depth] != n:
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                             f"(got {n})")
        for x in data:
            _walk(x, depth + 1, shape, flat, kinds)
        return
    if depth < len(shape):
        raise TypeError(f"expected sequence at dim {depth}, got {type(data).__name__}")
    if isinstance(data, np.generic):
        kinds.add(D.from_numpy_dtype(data.dtype))
        flat.append(data.item())
    elif isinstance(data, (bool, int, float)):
        kinds.add(D.scalar_dtype(data))
        flat.append(data)
    else:
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")


def _inferred(kinds: set) -> D.dtype:
    """torch.tensor's inference: default float if any float, else int64 if any int, else bool;
    NumPy/tensor elements keep their own dtype when alone."""
    if not kinds:
        return D.get_default_dtype()
    result = None
    for k in kinds:
        result = k if result is None else D.promote_types(result, k)
    return result


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying ``data`` (nested lists, numbers, NumPy arrays, tensors)."""
    dev = as_device(device)
    if isinstance(data, np.ndarray):
        src_dt = D.from_numpy_dtype(data.dtype)
        arr = np.array(data, copy=True)
        t = from_array(np.ascontiguousarray(arr), src_dt)
        if dtype is not None and dtype is not src_dt:
            t = copy_into(empty_tensor(t._shape, dtype), t)
    elif isinstance(data, Tensor):
        t = data.detach().to(dtype=dtype, copy=True) if dtype else data.detach().clone()
    else:
        shape: list = []
        flat: list = []
        kinds: set = set()
        _walk(data, 0, shape, flat, kinds)
        dt = dtype or _inferred(kinds)
        t = empty_tensor(tuple(shape), dt)
        if flat:
            try:
                values = np.array(flat)
            except OverflowError:
                raise RuntimeError("Overflow when unpacking long") from None
            t._array()[...] = values.reshape(shape).astype(dt.np_dtype)
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
