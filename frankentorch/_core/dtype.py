"""dtype objects, their limits (finfo/iinfo) and PyTorch's type-promotion rules."""
from __future__ import annotations

import numpy as np
import ml_dtypes

__all__ = [
    "dtype", "bool_", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
    "float32", "float64", "ALL_DTYPES", "finfo", "iinfo", "promote_types", "get_default_dtype",
    "set_default_dtype", "from_numpy_dtype", "scalar_dtype",
]


class dtype:
    """A tensor element type. Prints as ``torch.<name>`` so reprs match PyTorch's exactly."""

    __slots__ = ("name", "itemsize", "is_floating_point", "is_signed", "kind", "np_dtype", "rank",
                 "_abbr", "scalar_type_name", "cxx_name", "__weakref__")

    def __init__(self, name: str, np_dtype, kind: str, rank: int, abbr: str,
                 scalar_type_name: str, cxx_name: str) -> None:
        self.name = name
        # the names PyTorch's messages print: c10::ScalarType ("Float") and C++ ("float")
        self.scalar_type_name = scalar_type_name
        self.cxx_name = cxx_name
        self.np_dtype = np.dtype(np_dtype)
        self.itemsize = self.np_dtype.itemsize
        self.kind = kind  # 'b' bool, 'u' unsigned int, 'i' signed int, 'f' float
        self.is_floating_point = kind == "f"
        self.is_signed = kind in "if"
        self.rank = rank  # order inside the kind, used by promotion
        self._abbr = abbr

    is_complex = False

    @property
    def abbr(self) -> str:
        return self._abbr

    def to_real(self) -> "dtype":
        return self

    def __repr__(self) -> str:
        return "torch." + self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, "b", 0, "b", "Bool", "bool")
uint8 = dtype("uint8", np.uint8, "u", 1, "B", "Byte", "unsigned char")
int8 = dtype("int8", np.int8, "i", 1, "c", "Char", "signed char")
int16 = dtype("int16", np.int16, "i", 2, "s", "Short", "short int")
int32 = dtype("int32", np.int32, "i", 3, "i", "Int", "int")
int64 = dtype("int64", np.int64, "i", 4, "l", "Long", "long int")
float16 = dtype("float16", np.float16, "f", 1, "h", "Half", "c10::Half")
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, "f", 1, "bf16", "BFloat16", "c10::BFloat16")
float32 = dtype("float32", np.float32, "f", 3, "f", "Float", "float")
float64 = dtype("float64", np.float64, "f", 4, "d", "Double", "double")

ALL_DTYPES: tuple[dtype, ...] = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16,
                                 float32, float64)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NP = {d.np_dtype: d for d in ALL_DTYPES}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(npd) -> dtype:
    """The frankentorch dtype for a NumPy dtype; TypeError for types PyTorch cannot hold."""
    try:
        return _BY_NP[np.dtype(npd)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


_default_dtype = float32


def get_default_dtype() -> dtype:
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the dtype of Python floats; PyTorch allows float32 and float64 here (and halves)."""
    global _default_dtype
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type")
    _default_dtype = d


# ---------------------------------------------------------------- promotion

def promote_types(a: dtype, b: dtype) -> dtype:
    """c10::promoteTypes restricted to the supported dtypes.

    Within a kind the wider type wins; bool yields to anything; ints yield to floats;
    uint8 with int8 needs int16; float16 with bfloat16 has no common 16-bit type, so float32.
    """
    if a is b:
        return a
    if a.kind == "b":
        return b
    if b.kind == "b":
        return a
    if a.kind == "f" or b.kind == "f":
        if a.kind != "f":
            return b
        if b.kind != "f":
            return a
        if a.rank == b.rank:  # float16 vs bfloat16
            return float32
        return a if a.rank > b.rank else b
    if a.kind != b.kind:  # uint8 with a signed int
        s = a if a.kind == "i" else b
        return int16 if s is int8 else s
    return a if a.rank > b.rank else b


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def category(d: dtype) -> int:
    return _CATEGORY[d.kind]


def scalar_dtype(value) -> dtype:
    """dtype of a Python number as a wrapped scalar (bool, int64, default float)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default_dtype
    raise TypeError(f"expected a number, got {type(value).__name__}")


def result_type_of(dim_dtypes, zero_dim_dtypes, scalar_dtypes) -> dtype:
    """at::native::result_type: tensors with dims beat 0-dim tensors, which beat Python
    scalars, unless the lower-priority group is of a higher category (bool < int < float)."""
    result = None
    for group in (scalar_dtypes, zero_dim_dtypes, dim_dtypes):
        g = None
        for d in group:
            g = d if g is None else promote_types(g, d)
        if g is None:
            continue
        if result is None or category(g) >= category(result):
            result = g
    if result is None:
        raise RuntimeError("result_type needs at least one tensor or scalar")
    return result


# ---------------------------------------------------------------- limits

class finfo:
    """Machine limits of a floating dtype (torch.finfo)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: dtype | None = None) -> None:
        type = _default_dtype if type is None else type
        if not isinstance(type, dtype) or not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = ml_dtypes.finfo(type.np_dtype) if type is bfloat16 else np.finfo(type.np_dtype)
        self.bits = type.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(10.0 ** -info.precision)
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")

    __str__ = __repr__


class iinfo:
    """Limits of an integer dtype (torch.iinfo)."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: dtype) -> None:
        if not isinstance(type, dtype) or type.is_floating_point or type is bool_:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(type.np_dtype)
        self.bits = type.itemsize * 8
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"

    __str__ = __repr__
