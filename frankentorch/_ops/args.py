"""Argument checks PyTorch's Python binding does before an op runs (ints that must be ints)."""
from __future__ import annotations

__all__ = ["as_int", "int_list"]

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def as_int(name: str, arg: str, v) -> int:
    """An int argument: bools and non-integers are TypeErrors, as is anything outside int64."""
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{name}(): argument '{arg}' must be int, not {type(v).__name__}")
    v = v.__index__()
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object with error "
                        "\"Overflow when unpacking long\"")
    return v


def int_list(name: str, arg: str, values) -> tuple[int, ...]:
    """An int-list argument (``size``, ``dims``…): a flat sequence of int64 values."""
    if hasattr(values, "__index__") and not isinstance(values, bool):
        values = (values,)
    out = []
    for pos, v in enumerate(values):
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise TypeError(f"{name}(): argument '{arg}' must be tuple of ints, but found "
                            f"element of type {type(v).__name__} at pos {pos}")
        v = v.__index__()
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos "
                            f"{pos} with error \"Overflow when unpacking long\"")
        out.append(v)
    return tuple(out)
