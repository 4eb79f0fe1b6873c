"""Tensor printing: ``repr(t)`` / ``str(t)`` identical to PyTorch's, plus print options.

Rules (as in PyTorch): more than ``threshold`` elements are summarised to ``edgeitems``
items at each end of every dimension; one formatter (integer / fixed / scientific mode
and a common width) is chosen from the values actually shown; 1-D runs wrap at
``linewidth``; nested rows are indented one column per level; suffixes (device, size,
dtype, grad) follow the data.  Formatting works on the summarised NumPy array only, so
printing a huge tensor costs about as much as printing a small one.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math

import numpy as np

from ._core.dtype import get_default_dtype

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set printing options (torch.set_printoptions). ``sci_mode`` is always reset."""
    if profile is not None and profile in _PROFILES:
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options, as keyword arguments for set_printoptions()."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------- values

def _summarize(arr: np.ndarray, edge: int) -> np.ndarray:
    """Keep ``edge`` items at both ends of every dimension longer than ``2 * edge``."""
    for axis, n in enumerate(arr.shape):
        if n > 2 * edge:
            idx = np.r_[0:edge, n - edge:n]
            arr = np.take(arr, idx, axis=axis)
    return arr


def _python_values(arr: np.ndarray, floating: bool) -> np.ndarray:
    """Halves and floats widened to float64 so ``tolist`` gives exact Python floats."""
    if floating and arr.dtype != np.float64:
        return arr.astype(np.float64)
    return arr


class _Formatter:
    """Chooses integer / fixed / scientific mode and the common width of an element."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        self.precision = PRINT_OPTS.precision
        if values.size == 0:
            return
        if not floating:
            # len(str(v)) grows with |v| on each side of zero: the extremes decide.
            ends = [values.min().item(), values.max().item()]
            self.width = max(1, *(len(str(v)) for v in ends))
            return
        vals = values[np.isfinite(values) & (values != 0)]
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(PRINT_OPTS.sci_mode)
        # Formatted length is monotone in |v| (fixed) or in |exponent| (scientific) on
        # each side of zero, so the smallest and largest magnitude of each sign suffice.
        ends = []
        for part in (vals[vals > 0], vals[vals < 0]):
            if part.size:
                ends += [float(part.min()), float(part.max())]
        p = self.precision
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in ends)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in ends)
        else:
            self.width = max(len(f"{v:.{p}f}") for v in ends)
        self.width = max(self.width, 1)

    def strings(self, values: list) -> list:
        """Format Python scalars, right-aligned to the common width."""
        w, p = self.width, self.precision
        if not self.floating:
            out = [str(v) for v in values]
        elif self.sci_mode:
            out = [f"{v:{w}.{p}e}" for v in values]
        elif self.int_mode:
            out = [f"{v:.0f}" + ("." if math.isfinite(v) else "") for v in values]
        else:
            out = [f"{v:.{p}f}" for v in values]
        return [s.rjust(w) for s in out]


# ---------------------------------------------------------------------------- layout

def _vector(items: list, indent: int, width: int, cut: bool) -> str:
    edge = PRINT_OPTS.edgeitems
    if cut:
        items = items[:edge] + [" ..."] + items[edge:]
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (width + 2)))
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(items, shape: tuple, cut: tuple, indent: int, width: int) -> str:
    """``items``: nested lists of element strings; ``cut[d]``: dimension d is elided."""
    if len(shape) == 1:
        return _vector(items, indent, width, cut[0])
    rows = [_nested(row, shape[1:], cut[1:], indent + 1, width) for row in items]
    if cut[0]:
        edge = PRINT_OPTS.edgeitems
        rows = rows[:edge] + ["..."] + rows[edge:]
    return "[" + ("," + "\n" * (len(shape) - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_body(t, indent: int) -> str:
    arr = t._array()
    floating = t.dtype.is_floating_point
    edge = PRINT_OPTS.edgeitems
    summarize = arr.size > PRINT_OPTS.threshold
    if summarize and not edge and arr.ndim:
        return "[...]"
    shown = _summarize(arr, edge) if summarize else arr
    shown = _python_values(shown, floating)
    fmt = _Formatter(shown, floating)
    if arr.ndim == 0:
        return fmt.strings([shown.item()])[0]
    flat = fmt.strings(shown.ravel().tolist())
    items = np.array(flat, dtype=object).reshape(shown.shape).tolist()
    cut = tuple(summarize and n > 2 * edge for n in arr.shape)
    return _nested(items, arr.shape, cut, indent, fmt.width)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_len = len(text) - text.rfind("\n") + 1  # PyTorch's count (2 over when no newline)
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _grad_fn_name(grad_fn) -> str:
    name = getattr(grad_fn, "name", None)
    if callable(name):
        return str(name()).rsplit("::", 1)[-1]
    return type(grad_fn).__name__


def tensor_repr(t) -> str:
    """``repr(t)`` exactly as PyTorch 2.x prints it."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    dtype = t.dtype
    default = get_default_dtype()
    shape_str = str(tuple(t.shape))
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")

    if t.device.type == "meta":
        suffixes.append("size=" + shape_str)
        if dtype != default:
            suffixes.append(f"dtype={dtype}")
        body = "..."
    elif t.numel() == 0:
        if t.ndim != 1:
            suffixes.append("size=" + shape_str)
        if dtype != default:
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + shape_str)
        if dtype != default and dtype.name not in ("int64", "bool"):
            suffixes.append(f"dtype={dtype}")
        body = _tensor_body(t, indent)

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
