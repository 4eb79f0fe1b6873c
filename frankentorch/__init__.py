"""frankentorch: a PyTorch-compatible tensor and autograd library for the CPU.

``import frankentorch as torch`` gives PyTorch's everyday CPU API, routed through a
c10-style dispatcher onto Numba kernels (compiled lazily, on first use).
"""
from __future__ import annotations

from ._core.dtype import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16,  # noqa: A004
                          bfloat16, float32, float64, finfo, iinfo, promote_types,
                          get_default_dtype, set_default_dtype)
from ._core.device import device
from ._core.layout import (layout, strided, memory_format, contiguous_format,
                           preserve_format, channels_last, channels_last_3d)
from ._core.mode import set_mode, get_mode, using_mode
from ._core.size import Size
from ._core.storage import Storage as UntypedStorage
from ._tensor import Tensor
from . import _ops
from ._ops.iterator import result_type as _result_type

globals().update(_ops.public_functions())

half, float, double = float16, float32, float64  # noqa: A001
long, int, short = int64, int32, int16  # noqa: A001

__version__ = "0.1.0"


def result_type(tensor1, tensor2) -> dtype:
    """The dtype PyTorch's type promotion gives an op on these two operands."""
    return _result_type(tensor1, tensor2)


def can_cast(from_: dtype, to: dtype) -> bool:
    from ._ops.copy import check_can_cast
    try:
        check_can_cast(from_, to)
    except RuntimeError:
        return False
    return True


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def broadcast_shapes(*shapes) -> Size:
    from ._core.meta import broadcast_shapes as _bs
    return Size(_bs(*(s if isinstance(s, tuple) else (s,) for s in shapes)))


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


from ._tensor_str import set_printoptions, get_printoptions, printoptions  # noqa: E402
from . import autograd, linalg, nn  # noqa: E402
from . import utils  # noqa: E402
from . import optim  # noqa: E402
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: E402
                       is_grad_enabled, is_inference_mode_enabled)
from . import random  # noqa: E402
from ._core.generator import Generator, default_generator  # noqa: E402
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state  # noqa: E402
from . import serialization  # noqa: E402
from .serialization import save, load  # noqa: E402
