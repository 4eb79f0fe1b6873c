"""TensorIterator-style preparation shared by elementwise and reduction ops.

Broadcasting, result dtypes, output strides (PyTorch keeps the memory layout of its inputs),
dimension coalescing, and conversion of operands into kernel arguments (flat buffer, offset,
int64 strides). Everything here runs before a kernel: it is where bad metadata is refused.
"""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._core import grad_mode as _grad_mode
from .._core.device import device
from .._core.meta import broadcast_shapes, contiguous_strides, numel_of
from .._core.storage import cast, store
from .._tensor import Tensor, empty_tensor

__all__ = ["PARALLEL_MIN", "result_type", "common_device", "elementwise_strides", "coalesce",
           "operand_buffer", "convert_operand", "scalar_array", "compute_dtype", "is_number",
           "new_output", "broadcast_strides", "broadcast_operands_shape", "dense_like_strides",
           "non_overlapping_and_dense", "check_writable"]

# Below this many elements a kernel runs on one thread: starting the pool costs more than it
# saves (measured crossover on a 2-core machine is ~30-60k float32 elements).
PARALLEL_MIN = 1 << 16

_NUMBER_TYPES = (bool, int, float)


def recorded(*tensors) -> bool:
    """Whether autograd would record an op on ``tensors``: grad mode is on and one of them
    requires grad (a view also through its base, as the dispatcher decides). Gradient
    formulas compute directly, without dispatch, when it would not (no double backward)."""
    if not _grad_mode._state.enabled:
        return False
    return any(t._requires_grad or t._base is not None and t._base._requires_grad
               for t in tensors)


def not_implemented(kernel: str, dt: D.dtype) -> NotImplementedError:
    """The error of ATen's AT_DISPATCH when ``kernel`` has no case for ``dt``."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dt.scalar_type_name}'")


def check_scalar_type(t, dt: D.dtype) -> None:
    """ATen's accessor check: ``t`` (None passes) must hold ``dt``."""
    if t is not None and t._dtype is not dt:
        raise RuntimeError(f"expected scalar type {dt.scalar_type_name} but found "
                           f"{t._dtype.scalar_type_name}")


def is_number(x) -> bool:
    return isinstance(x, _NUMBER_TYPES) or isinstance(x, np.generic)


def result_type(*operands) -> D.dtype:
    """torch.result_type over tensors and Python numbers."""
    dim, zero, scalar = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dim if x._shape else zero).append(x._dtype)
        elif is_number(x):
            scalar.append(D.scalar_dtype(x.item() if isinstance(x, np.generic) else x))
        else:
            raise TypeError(f"expected Tensor or Number, got {type(x).__name__}")
    return D.result_type_of(dim, zero, scalar)


def common_device(*operands) -> device:
    """The device every tensor operand is on; 0-d CPU tensors may join any device, as in torch."""
    found = None
    for x in operands:
        if isinstance(x, Tensor) and not (x._device.type == "cpu" and not x._shape):
            if found is None:
                found = x._device
            elif found != x._device:
                raise RuntimeError(
                    "Expected all tensors to be on the same device, but found at least two "
                    f"devices, {found} and {x._device}!")
    if found is None:
        found = next(x._device for x in operands if isinstance(x, Tensor))
    return found


def compute_dtype(d: D.dtype) -> D.dtype:
    """Half types compute in float32 and round once, like PyTorch's CPU kernels."""
    return D.float32 if d is D.float16 or d is D.bfloat16 else d


def _should_swap(a: int, b: int, shape, op_strides) -> int:
    for st in op_strides:
        s0, s1 = st[a], st[b]
        if s0 == 0 or s1 == 0:
            continue
        if s0 < s1:
            return -1
        if s0 > s1:
            return 1
        if shape[a] > shape[b]:
            return 1
    return 0


def _layout_strides(shape, op_strides) -> tuple[int, ...]:
    """TensorIterator's reorder_dimensions: sort dims by the operands' strides (insertion sort
    from the fastest dim), then lay the output out densely in that order."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = _should_swap(perm[d0], perm[d1], shape, op_strides)
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    strides = [0] * nd
    acc = 1
    for d in perm:
        strides[d] = acc
        acc *= max(shape[d], 1)
    return tuple(strides)


def elementwise_strides(shape, inputs) -> tuple[int, ...]:
    """Strides PyTorch gives a freshly allocated elementwise output.

    If every input has the output's shape and they are all contiguous, or all dense with the
    same strides, the output copies that layout; otherwise dims are sorted by the inputs'
    broadcast strides (TensorIterator's reorder_dimensions) and laid out densely in that order.
    """
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    if not shape:
        return ()
    if tensors and len(tensors) == len(inputs) and all(t._shape == shape for t in tensors):
        first = tensors[0]._stride
        if all(t.is_contiguous() for t in tensors):
            return contiguous_strides(shape)
        if all(t._stride == first for t in tensors) and non_overlapping_and_dense(shape, first):
            return first
    return _layout_strides(shape, [broadcast_strides(t._shape, t._stride, shape)
                                   for t in tensors])


def dense_like_strides(t: Tensor) -> tuple[int, ...]:
    """Strides of ``empty_like(t)`` under preserve_format: t's own when it is dense without
    overlap, else a dense layout following t's stride order."""
    if non_overlapping_and_dense(t._shape, t._stride):
        return t._stride
    return _layout_strides(t._shape, [t._stride])


def non_overlapping_and_dense(shape, strides) -> bool:
    """c10's is_non_overlapping_and_dense: some permutation of the dims is contiguous (empty
    tensors count as contiguous, hence dense)."""
    if 0 in shape:
        return True
    nd = len(shape)
    if nd == 1:
        return shape[0] < 2 or strides[0] == 1
    perm = sorted(range(nd), key=lambda d: (shape[d] < 2, strides[d] if shape[d] >= 2 else 0))
    expected = 1
    for d in perm:
        if shape[d] < 2:
            return True
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def surely_non_overlapping(shape, strides) -> bool:
    """No two elements share a memory location, by the sufficient test: walking dims from the
    smallest stride, each stride clears the span of the dims before it."""
    span = 0
    for st, n in sorted((st, n) for n, st in zip(shape, strides) if n > 1):
        if st <= span:
            return False
        span += st * (n - 1)
    return True


def same_dense_floats(a: Tensor, b: Tensor) -> bool:
    """Both hold contiguous float32/float64 data of one dtype and shape: NumPy can combine
    their buffers directly."""
    return a._dtype in (D.float32, D.float64) and b._dtype is a._dtype and \
        a._data is not None and b._data is not None and a._shape == b._shape and \
        a.is_contiguous() and b.is_contiguous()


def _memory_span(t: Tensor) -> tuple[int, int]:
    lo = t._offset
    hi = lo + sum((n - 1) * st for n, st in zip(t._shape, t._stride))
    return lo, hi


def check_writable(out: Tensor, inputs=(), exact_alias: bool = True) -> None:
    """PyTorch's overlap checks before writing ``out``: no element of ``out`` may alias
    another (internal overlap), and an input sharing its memory must alias it exactly or not
    at all (partial overlap; with ``exact_alias=False`` not at all, as torch's
    ``assert_no_overlap`` for kernels that read inputs while writing); RuntimeErrors."""
    if not non_overlapping_and_dense(out._shape, out._stride) and \
            any(st == 0 and n > 1 for n, st in zip(out._shape, out._stride)):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    for x in inputs:
        if not isinstance(x, Tensor) or x._storage is not out._storage:
            continue
        if x is out:  # the same tensor, even an empty one
            if exact_alias:
                continue
            raise RuntimeError(_OVERLAP)
        if not out.numel() or not x.numel():
            continue
        if not (non_overlapping_and_dense(out._shape, out._stride) and
                non_overlapping_and_dense(x._shape, x._stride)):
            continue  # PyTorch gives up on such layouts ("too hard") and allows the write
        a, b = _memory_span(out), _memory_span(x)
        if exact_alias and a == b and out._stride == x._stride and out._shape == x._shape:
            continue
        if a[0] <= b[1] and b[0] <= a[1]:
            raise RuntimeError(_OVERLAP)


_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing "
            "the operation.")


_FLAT_SHAPES: dict = {}
_UNIT_STRIDE = np.ones(1, dtype=np.int64)
_UNIT_STRIDE.flags.writeable = False


def coalesce(shape, strides_list):
    """Merge adjacent dims that every operand walks contiguously; drop size-1 dims.

    Returns (shape, [strides...]) with at least one dim, as int64 arrays for kernels.
    """
    flat = contiguous_strides(shape)
    if all(st == flat for st in strides_list):  # the common case: one flat run
        n = numel_of(shape)
        arr = _FLAT_SHAPES.get(n)
        if arr is None:
            if len(_FLAT_SHAPES) > 256:
                _FLAT_SHAPES.clear()
            arr = _FLAT_SHAPES[n] = np.array((n,), dtype=np.int64)
        return arr, [_UNIT_STRIDE] * len(strides_list)
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    new_shape: list[int] = []
    new_strides: list[list[int]] = [[] for _ in strides_list]
    for d in dims:
        if new_shape and all(st[d] * shape[d] == ns[-1] for st, ns in zip(strides_list,
                                                                            new_strides)):
            new_shape[-1] *= shape[d]
            for st, ns in zip(strides_list, new_strides):
                ns[-1] = st[d]
        else:
            new_shape.append(shape[d])
            for st, ns in zip(strides_list, new_strides):
                ns.append(st[d])
    if not new_shape:
        new_shape = [1]
        new_strides = [[1] for _ in strides_list]
    return (np.array(new_shape, dtype=np.int64),
            [np.array(ns, dtype=np.int64) for ns in new_strides])


def broadcast_strides(tshape, tstride, shape) -> tuple[int, ...]:
    """Strides of a (tshape, tstride) operand expanded to ``shape`` (0 on broadcast dims)."""
    off = len(shape) - len(tshape)
    return tuple([0] * off + [0 if n == 1 and shape[off + i] != 1 else s
                              for i, (n, s) in enumerate(zip(tshape, tstride))])


def convert_operand(x, dt: D.dtype):
    """An operand in dtype ``dt``: tensors of another dtype are converted (keeping their
    layout, as ``to`` does), Python numbers become a 1-element array (integers wrap)."""
    if isinstance(x, Tensor):
        if x._dtype is dt:
            return x
        out = empty_tensor(x._shape, dt, x._device, dense_like_strides(x))
        if x._data is not None and x.numel():
            store(out._array(), x._array())
        return out
    if isinstance(x, np.ndarray):
        return cast(x, dt.np_dtype)
    return scalar_array(x, dt)


_F32_MAX = float(np.finfo(np.float32).max)


def scalar_array(x, dt: D.dtype) -> np.ndarray:
    """A Python number as a 1-element array of ``dt``; integers outside the type wrap modulo
    2**bits (PyTorch's behaviour for wrapped scalars), integers outside uint64 overflow."""
    if x.__class__ is float and (dt is D.float64 or dt is D.float32 and -_F32_MAX <= x <= _F32_MAX):
        return np.array((x,), dt.np_dtype)  # rounds to nearest, cannot overflow
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, int) and not isinstance(x, bool) and not dt.is_floating_point:
        if not -(1 << 63) <= x < (1 << 64):
            raise OverflowError("int too big to convert")
        bits = dt.itemsize * 8
        x &= (1 << bits) - 1
        if dt.is_signed and x >= 1 << (bits - 1):
            x -= 1 << bits
    return cast(np.array([x]), dt.np_dtype)


def operand_buffer(x, shape):
    """Kernel view of a converted operand: (flat buffer, offset, strides broadcast to shape)."""
    if isinstance(x, np.ndarray):
        return x, 0, (0,) * len(shape)
    return x._data, x._offset, broadcast_strides(x._shape, x._stride, shape)


def new_output(shape, dt: D.dtype, dev: device, inputs) -> Tensor:
    return empty_tensor(shape, dt, dev, elementwise_strides(shape, inputs))


def broadcast_operands_shape(*operands) -> tuple[int, ...]:
    return broadcast_shapes(*(x._shape for x in operands if isinstance(x, Tensor)))
