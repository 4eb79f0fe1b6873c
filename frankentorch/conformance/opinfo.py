"""Differential driver over PyTorch's OpInfo database (``op_db``).

For every OpInfo entry whose name resolves in frankentorch, generate torch's own sample inputs
(seeded, deterministic), convert them to frankentorch tensors with identical storage bytes,
strides and storage offset, run frankentorch and torch on the same sample and classify the
outcome. With ``include_backward`` a third variant, ``backward``, runs
``autograd.grad`` of the function variant's floating outputs on the same samples (inputs that
require grad become leaves in both libraries) and compares the gradients.

torch (plus ``expecttest``, which torch's test helpers import) is loaded lazily, inside the
functions here, so ``import frankentorch`` stays torch-free.

Public API: :func:`run_opinfo`, :func:`summarize`, :func:`implemented_opinfo_names`,
:class:`SampleResult`; building blocks :func:`to_ft`, :func:`ft_to_torch`, :func:`compare`,
:func:`classify_exception` are public for tests and other drivers.
"""
from __future__ import annotations

import contextlib
import itertools
import math
import time
import traceback
import types
import warnings
from collections import Counter
from dataclasses import dataclass, asdict

import frankentorch as ft

__all__ = ["SampleResult", "OUTCOMES", "DEFAULT_DTYPES", "OPTIONAL_DTYPES", "FIXTURE_DTYPES",
           "FIXTURE_MAX_SAMPLES", "run_opinfo", "summarize", "implemented_opinfo_names",
           "op_key", "to_ft", "ft_to_torch", "compare", "classify_exception", "passing_keys",
           "grad_output_like"]

#: Sample outcomes. ``missing_variant`` is one record per variant torch has and frankentorch
#: lacks; ``driver_error`` means this driver (not frankentorch) failed on the sample.
OUTCOMES = ("pass", "value_drift", "dtype_drift", "shape_drift", "stride_drift",
            "exception_drift", "missing_op", "unsupported_dtype", "missing_variant",
            "driver_error")
DRIFTS = OUTCOMES[1:]

DEFAULT_DTYPES = ("float32", "float64", "int64", "bool")
OPTIONAL_DTYPES = ("float16", "bfloat16")
#: Settings of the expected-pass fixture (``fixtures/opinfo_expected_passes.json``).
FIXTURE_DTYPES = ("float32", "int64")
FIXTURE_MAX_SAMPLES = 8

#: Ops whose schema returns a view: their strides and storage offset are always compared.
#: Any other op is stride-checked when torch's result is a view sharing the input's storage.
VIEW_OPS = frozenset({
    "as_strided", "chunk", "diagonal", "expand", "expand_as", "movedim", "moveaxis", "narrow",
    "permute", "select", "split", "split_with_sizes", "squeeze", "swapaxes", "swapdims", "t",
    "transpose", "unbind", "unflatten", "unfold", "unsqueeze", "view", "view_as",
    "__getitem__", "T", "mT", "mH", "H", "alias", "detach", "tensor_split", "hsplit", "vsplit",
    "dsplit",
})
#: Ops whose values are uninitialised memory: only dtype/shape/strides are compared.
NONDETERMINISTIC_VALUES = frozenset({"empty", "empty_like", "empty_strided", "new_empty",
                                     "new_empty_strided", "empty_permuted"})
#: torch test names whose skips/xfails mean torch itself is inconsistent on forward results.
_TORCH_SELF_TESTS = ("test_variant_consistency_eager", "test_noncontiguous_samples",
                     "test_compare_cpu", "test_out", "test_python_ref", "test_dtypes")


@dataclass
class SampleResult:
    """One sample (or one missing variant) of one OpInfo entry, with its outcome."""
    op: str              #: op key: ``name`` or ``name.variant_test_name``
    variant: str         #: ``function``, ``method`` or ``error_input``
    dtype: str | None    #: sample dtype name (None for error inputs / missing variants)
    index: int           #: sample index in torch's (seeded) generation order; -1 if none
    description: str     #: short summary of the sample
    outcome: str         #: one of :data:`OUTCOMES`
    detail: str = ""     #: why, for a drift
    annotation: str = ""  #: ``torch_xfail: <test>`` when torch itself skips/xfails there

    @property
    def key(self) -> str:
        """Stable identifier of the sample within its op: ``variant:dtype:index``."""
        return f"{self.variant}:{self.dtype}:{self.index}"

    def as_dict(self) -> dict:
        return asdict(self)


class _Unconvertible(Exception):
    """A torch value frankentorch cannot represent (complex dtype, meta device, ...);
    ``outcome`` is ``unsupported_dtype`` for a dtype, ``missing_op`` for anything else."""

    def __init__(self, msg: str, outcome: str = "missing_op"):
        super().__init__(msg)
        self.outcome = outcome


class _MissingOp(Exception):
    """A torch callable reached through a lambda has no frankentorch counterpart."""


# ------------------------------------------------------------------ torch <-> frankentorch

def _torch():
    import torch
    return torch


def _dname(dt) -> str:
    return str(dt).rsplit(".", 1)[-1]


def _ft_dtype(dt):
    out = getattr(ft, _dname(dt), None)
    if not isinstance(out, ft.dtype):
        raise _Unconvertible(f"dtype {dt} has no frankentorch counterpart", "unsupported_dtype")
    return out


def to_ft(t, bases: dict | None = None):
    """A frankentorch tensor with ``t``'s storage bytes, sizes, strides and storage offset.
    ``bases`` (storage address and dtype -> frankentorch copy) makes tensors that share a
    torch storage share one frankentorch storage too, so aliasing between arguments (an
    ``out=`` that is also an input) is kept."""
    torch = _torch()
    import numpy as np
    _ft_dtype(t.dtype)
    if t.layout != torch.strided or t.device.type != "cpu" or t.is_quantized:
        raise _Unconvertible(f"cannot convert a {t.dtype} {t.layout} tensor on {t.device}")
    t = t.detach()
    st = t.untyped_storage()
    key = (st.data_ptr(), t.dtype)
    base = bases.get(key) if bases is not None and st.nbytes() else None
    if base is None:
        n = st.nbytes() // t.element_size()
        flat = torch.empty(0, dtype=t.dtype).set_(st, 0, (n,), (1,))
        if t.dtype == torch.bfloat16:
            bits = flat.view(torch.int16).numpy().view(np.uint16).astype(np.uint32) << 16
            base = ft.from_numpy(bits.view(np.float32).copy()).to(ft.bfloat16)
        else:
            base = ft.from_numpy(flat.numpy().copy())
        if bases is not None:
            bases[key] = base
    return base.as_strided(tuple(t.shape), tuple(t.stride()), t.storage_offset())


def ft_to_torch(x):
    """The values of a frankentorch tensor as a contiguous torch tensor of the same dtype."""
    torch = _torch()
    import numpy as np
    if _dname(x.dtype) == "bfloat16":
        # exact: bfloat16 -> float32 widens; keep the top 16 bits (NaN payloads included)
        wide = np.array(x.to(ft.float32).numpy(), dtype=np.float32)
        bits = (wide.reshape(-1).view(np.uint32) >> 16).astype(np.uint16).view(np.int16)
        return torch.from_numpy(bits.reshape(wide.shape)).view(torch.bfloat16)
    return torch.from_numpy(np.array(x.numpy(), copy=True))


def _convert(obj, leaves: dict | None = None, bases: dict | None = None):
    """Map every torch tensor/dtype/device/layout/memory_format inside ``obj`` to frankentorch;
    tensors found in ``leaves`` (by id) map to the frankentorch leaf stored there; tensors
    sharing a storage share one (``bases``, see ``to_ft``)."""
    torch = _torch()
    if isinstance(obj, torch.Tensor):
        if leaves is not None and id(obj) in leaves:
            return leaves[id(obj)]
        if bases is None:
            return to_ft(obj)
        same = bases.get(id(obj))  # the same tensor given twice (an empty one too)
        if same is None:
            same = bases[id(obj)] = to_ft(obj, bases)
        return same
    if isinstance(obj, torch.dtype):
        return _ft_dtype(obj)
    if isinstance(obj, torch.device):
        if obj.type != "cpu":
            raise _Unconvertible(f"device {obj}")
        return ft.device(str(obj))
    if isinstance(obj, (torch.memory_format, torch.layout)):
        out = getattr(ft, _dname(obj), None)
        if out is None:
            raise _Unconvertible(f"{obj} has no frankentorch counterpart")
        return out
    if isinstance(obj, torch.Generator):
        raise _Unconvertible("torch.Generator argument")
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, torch.nn.Module):  # a callable argument (distance_function=...)
        return lambda *a, **k: _unwrap(obj(*_wrap(a), **_wrap(k)))
    if isinstance(obj, (list, tuple)):
        items = [_convert(o, leaves, bases) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict):
        return {k: _convert(v, leaves, bases) for k, v in obj.items()}
    return obj


def _convert_sample(sample, leaves: dict | None = None):
    """(input, args, kwargs) for frankentorch; private kwargs torch injects are dropped."""
    kwargs = {k: v for k, v in sample.kwargs.items() if not k.startswith("_")}
    bases: dict = {}
    return (_convert(sample.input, leaves, bases), _convert(tuple(sample.args), leaves, bases),
            _convert(kwargs, leaves, bases))


# ------------------------------------------------------------------ comparison

def _tensor_desc(t) -> str:
    return f"{_dname(t.dtype)}{list(t.shape)}"


def compare(actual, expected, *, check_strides: bool = False, check_values: bool = True
            ) -> tuple[str, str]:
    """Classify frankentorch's ``actual`` against torch's ``expected``: (outcome, detail).

    Tensors: shape, then dtype, then values (``torch.testing.assert_close`` dtype tolerances,
    ``equal_nan=True``), then strides and storage offset when ``check_strides``. Sequences
    (tuples, lists, named tuples) elementwise; the first drift found wins.
    """
    torch = _torch()
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, ft.Tensor):
            return "value_drift", f"expected a Tensor, got {type(actual).__name__}"
        if tuple(actual.shape) != tuple(expected.shape):
            return "shape_drift", f"shape {tuple(actual.shape)} != torch {tuple(expected.shape)}"
        if _dname(actual.dtype) != _dname(expected.dtype):
            return "dtype_drift", f"dtype {actual.dtype} != torch {expected.dtype}"
        if check_values:
            try:
                torch.testing.assert_close(ft_to_torch(actual), expected.detach().contiguous(),
                                           equal_nan=True, check_dtype=False,
                                           check_stride=False)
            except AssertionError as e:
                lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
                return "value_drift", "; ".join(lines[:4])
        if check_strides:
            a = (tuple(actual.stride()), actual.storage_offset())
            b = (tuple(expected.stride()), expected.storage_offset())
            if a != b:
                return "stride_drift", f"stride/offset {a} != torch {b}"
        return "pass", ""
    if isinstance(expected, (tuple, list)) and not isinstance(expected, torch.Size):
        if not isinstance(actual, (tuple, list)):
            return "value_drift", f"expected a sequence, got {type(actual).__name__}"
        if len(actual) != len(expected):
            return "shape_drift", f"{len(actual)} outputs != torch {len(expected)}"
        for i, (a, b) in enumerate(zip(actual, expected)):
            outcome, detail = compare(a, b, check_strides=check_strides,
                                      check_values=check_values)
            if outcome != "pass":
                return outcome, f"[{i}] {detail}"
        return "pass", ""
    if isinstance(expected, torch.Size):
        ok = isinstance(actual, tuple) and tuple(actual) == tuple(expected)
        return ("pass", "") if ok else ("value_drift", f"{actual!r} != torch {tuple(expected)}")
    if isinstance(expected, torch.dtype):
        ok = isinstance(actual, ft.dtype) and _dname(actual) == _dname(expected)
        return ("pass", "") if ok else ("value_drift", f"{actual!r} != torch {expected}")
    if isinstance(expected, (bool, int, float)):
        if isinstance(actual, ft.Tensor) or type(actual) is not type(expected):
            return "dtype_drift", f"{type(actual).__name__} != torch {type(expected).__name__}"
        if isinstance(expected, float):
            same = (math.isnan(expected) and math.isnan(actual)) or math.isclose(
                actual, expected, rel_tol=1.3e-6, abs_tol=1e-5)
        else:
            same = actual == expected
        return ("pass", "") if same else ("value_drift", f"{actual!r} != torch {expected!r}")
    if expected is None:
        return ("pass", "") if actual is None else ("value_drift", f"{actual!r} != torch None")
    return "value_drift", f"unhandled torch result type {type(expected).__name__}"


_DTYPE_WORDS = ("dtype", "float16", "bfloat16", "float32", "float64", "int64", "int32", "bool",
                "Half", "BFloat16", "Float", "Double", "Long", "Int", "Bool", "Byte", "uint8")


def classify_exception(ours: BaseException, theirs: BaseException | None) -> tuple[str, str]:
    """Outcome of a sample on which frankentorch raised ``ours`` (torch raised ``theirs``)."""
    msg = f"{type(ours).__name__}: {str(ours)[:200]}"
    if theirs is not None:
        if isinstance(ours, type(theirs)):
            return "pass", ""
        return "exception_drift", f"ours {msg}; torch {type(theirs).__name__}: {str(theirs)[:200]}"
    if isinstance(ours, _MissingOp):
        return "missing_op", str(ours)
    if isinstance(ours, (NotImplementedError, TypeError)) and \
            any(w in str(ours) for w in _DTYPE_WORDS):
        return "unsupported_dtype", msg
    if isinstance(ours, NotImplementedError):
        return "missing_op", msg
    return "exception_drift", f"torch succeeded; ours raised {msg}"


# ------------------------------------------------------------------ calling frankentorch

def _resolve(root, dotted: str):
    """The callable at ``root.<dotted>``, or None (dtypes, classes and modules do not count)."""
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    if isinstance(obj, (type, types.ModuleType)) or not callable(obj):
        return None
    return obj


def _unwrap(obj):
    if isinstance(obj, _Proxy):
        return obj.t
    if isinstance(obj, (list, tuple)):
        items = [_unwrap(o) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict):
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


def _wrap(obj):
    if isinstance(obj, ft.Tensor):
        return _Proxy(obj)
    if isinstance(obj, dict):
        return {k: _wrap(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and not isinstance(obj, ft.Size):
        items = [_wrap(o) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    return obj


def _call_ft(fn, args, kwargs):
    return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))


class _Proxy:
    """Wraps a frankentorch tensor so that torch callables inside OpInfo lambdas (``where``'s
    argument re-ordering, ``x.contiguous()``, ...) are routed to frankentorch through
    ``__torch_function__``; torch's own kernels never see it."""
    __slots__ = ("t",)
    __hash__ = None

    def __init__(self, t):
        self.t = t

    @classmethod
    def __torch_function__(cls, func, types_, args=(), kwargs=None):
        torch = _torch()
        name = torch.overrides.resolve_name(func) or getattr(func, "__name__", repr(func))
        if name.startswith("torch.Tensor."):
            attr = name[len("torch.Tensor."):]
            fn = getattr(_unwrap(args[0]), attr, None)
            if fn is None:
                raise _MissingOp(f"frankentorch has no Tensor.{attr}")
            return _call_ft(fn, args[1:], kwargs or {})
        fn = _resolve(ft, name[len("torch."):]) if name.startswith("torch.") else None
        short = name.rsplit(".", 1)[-1]
        if fn is None and getattr(torch, short, None) is func:  # torch.functional.einsum
            fn = _resolve(ft, short)
        if fn is None:
            raise _MissingOp(f"frankentorch has no {name}")
        return _call_ft(fn, args, kwargs or {})

    def __getattr__(self, name):
        try:
            attr = getattr(self.t, name)
        except AttributeError:
            raise _MissingOp(f"frankentorch has no Tensor.{name}") from None
        if callable(attr):
            return lambda *a, **k: _call_ft(attr, a, k)
        return _wrap(attr)


def _proxy_dunder(name):
    def method(self, *args):
        fn = getattr(self.t, name, None)
        if fn is None:
            raise _MissingOp(f"frankentorch has no Tensor.{name}")
        return _call_ft(fn, args, {})
    method.__name__ = name
    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
            "xor", "lshift", "rshift"):
    for _n in (f"__{_op}__", f"__r{_op}__"):
        setattr(_Proxy, _n, _proxy_dunder(_n))
for _n in ("__neg__", "__pos__", "__abs__", "__invert__", "__getitem__", "__lt__", "__le__",
           "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(_Proxy, _n, _proxy_dunder(_n))
del _op, _n


# ------------------------------------------------------------------ the driver

def _op_db():
    from torch.testing._internal.common_methods_invocations import op_db
    return op_db


def op_key(op) -> str:
    """``name`` or ``name.variant_test_name`` for an OpInfo entry."""
    return f"{op.name}.{op.variant_test_name}" if op.variant_test_name else op.name


def _variants(op) -> dict[str, tuple]:
    """variant -> (torch callable, frankentorch caller or None when frankentorch lacks it)."""
    torch = _torch()
    out = {}
    torch_fn = _resolve(torch, op.name)
    if torch_fn is not None:
        ft_fn = _resolve(ft, op.name)
        if ft_fn is not None and op.op is not torch_fn:
            # a lambda/wrapper around torch callables: route it through the proxy
            def ft_fn(inp, *args, _lam=op.op, **kwargs):
                with _mirrored_seed():
                    return _unwrap(_lam(*_wrap((inp, *args)), **_wrap(kwargs)))
        out["function"] = (op.op, ft_fn)
    if op.method_variant is not None:
        name = op.method_variant.__name__
        # unbound, as torch's method_variant is: error inputs pass non-Tensor ``self``s
        ft_m = getattr(ft.Tensor, name, None)
        if not callable(ft_m):
            ft_m = None
        out["method"] = (op.method_variant, ft_m)
    return out


def _implemented(op) -> bool:
    return any(f is not None for _, f in _variants(op).values())


def implemented_opinfo_names() -> list[str]:
    """Keys (see :func:`op_key`) of the OpInfo entries frankentorch implements, sorted."""
    return sorted({op_key(op) for op in _op_db() if _implemented(op)})


def _wanted(op, names) -> bool:
    return names is None or op.name in names or op_key(op) in names


def _is_skip_or_xfail(dec) -> bool:
    import unittest
    return dec is unittest.expectedFailure or \
        getattr(dec, "__qualname__", "").startswith("skip.")


def _torch_xfail(op, dtype, tests=_TORCH_SELF_TESTS) -> str:
    """``torch_xfail: <test>`` when torch skips/xfails ``op`` at ``dtype`` on CPU itself."""
    from torch.testing._internal.opinfo.core import DecorateInfo
    for info in itertools.chain(op.skips or (), op.decorators or ()):
        if not isinstance(info, DecorateInfo) or info.device_type not in (None, "cpu"):
            continue
        if dtype is not None and info.dtypes is not None and dtype not in info.dtypes:
            continue
        if not info.active_if or (info.test_name and not info.test_name.startswith(tests)):
            continue
        if any(_is_skip_or_xfail(d) for d in info.decorators):
            return f"torch_xfail: {info.cls_name}.{info.test_name}"
    return ""


def _describe(sample) -> str:
    torch = _torch()

    def short(x):
        if isinstance(x, torch.Tensor):
            s = _tensor_desc(x)
            if not x.is_contiguous() or x.storage_offset():
                s += f"s{tuple(x.stride())}+{x.storage_offset()}"
            return s
        if isinstance(x, (list, tuple)) and len(x) > 4:
            return f"{type(x).__name__}[{len(x)}]"
        if isinstance(x, (list, tuple)):
            return type(x)(short(o) for o in x) if not hasattr(x, "_fields") else repr(x)
        return x
    parts = [repr(short(sample.input))] + [repr(short(a)) for a in sample.args]
    parts += [f"{k}={short(v)!r}" for k, v in sample.kwargs.items()]
    desc = f"({', '.join(parts)})"
    return (f"{sample.name}: " if sample.name else "") + desc[:300]


def _run_sample(op, variant, torch_call, ft_call, sample, check_values):
    """(outcome, detail) of one variant on one sample."""
    torch = _torch()
    try:
        f_inp, f_args, f_kwargs = _convert_sample(sample)
    except _Unconvertible as e:
        return e.outcome, f"cannot convert sample: {e}"
    try:
        _seed(torch)
        expected = torch_call(sample.input, *sample.args, **sample.kwargs)
        t_err = None
    except Exception as e:  # noqa: BLE001 - torch's error is the expectation
        expected, t_err = None, e
    try:
        _seed(ft)
        actual = ft_call(f_inp, *f_args, **f_kwargs)
    except Exception as e:  # noqa: BLE001 - classified
        return classify_exception(e, t_err)
    if t_err is not None:
        return "exception_drift", (f"torch raised {type(t_err).__name__}: {str(t_err)[:200]}; "
                                   f"ours returned {type(actual).__name__}")
    check_strides = op.name in VIEW_OPS or _is_view_of(expected, sample.input, torch)
    return compare(actual, expected, check_strides=check_strides, check_values=check_values)


def _tensors(obj) -> list:
    """Tensors inside nested tuples/lists/dicts, in order (either library)."""
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return [obj] if hasattr(obj, "requires_grad") and hasattr(obj, "grad_fn") else []


def grad_output_like(lib, t):
    """A deterministic, non-constant upstream gradient for ``t`` (values in -1 .. 1)."""
    n = t.numel()
    g = (lib.arange(n, dtype=lib.float64) % 5 - 2) * 0.5
    return g.reshape(tuple(t.shape)).to(t.dtype)


def _differentiable(outs) -> list:
    return [o for o in _tensors(outs) if o.requires_grad and o.dtype.is_floating_point]


def _run_backward(torch_call, ft_call, sample):
    """(outcome, detail) of ``autograd.grad`` of the floating outputs w.r.t. the sample's
    leaves, or None when the sample has nothing to differentiate."""
    torch = _torch()
    leaves_t = [t for t in _tensors((sample.input, sample.args, sample.kwargs))
                if t.requires_grad]
    if not leaves_t:
        return None
    try:
        _seed(torch)
        outs_t = _differentiable(torch_call(sample.input, *sample.args, **sample.kwargs))
        if not outs_t:
            return None
        gouts_t = [grad_output_like(torch, o) for o in outs_t]
        expected, t_err = torch.autograd.grad(outs_t, leaves_t, gouts_t, allow_unused=True), None
    except Exception as e:  # noqa: BLE001 - torch's error is the expectation
        expected, t_err = None, e
    leaves = {id(t): to_ft(t).detach().requires_grad_() for t in leaves_t}
    try:
        f_inp, f_args, f_kwargs = _convert_sample(sample, leaves)
    except _Unconvertible as e:
        return e.outcome, f"cannot convert sample: {e}"
    try:
        _seed(ft)
        outs_f = _differentiable(ft_call(f_inp, *f_args, **f_kwargs))
        if t_err is None and len(outs_f) != len(outs_t):
            return "shape_drift", f"{len(outs_f)} differentiable outputs != torch {len(outs_t)}"
        gouts_f = [to_ft(g) for g in gouts_t] if t_err is None else \
            [grad_output_like(ft, o) for o in outs_f]
        actual = ft.autograd.grad(outs_f, [leaves[id(t)] for t in leaves_t], gouts_f,
                                  allow_unused=True)
    except Exception as e:  # noqa: BLE001 - classified
        return classify_exception(e, t_err)
    if t_err is not None:
        return "exception_drift", (f"torch raised {type(t_err).__name__}: {str(t_err)[:200]}; "
                                   "ours computed gradients")
    return compare(list(actual), list(expected))


def _seed(lib) -> None:
    """Put the library's global generator in the same state before each call, so random
    ops (bernoulli, dropout, randint_like, ...) are compared on the same stream."""
    manual_seed = getattr(lib, "manual_seed", None)
    if manual_seed is not None:
        manual_seed(0)


@contextlib.contextmanager
def _mirrored_seed():
    """While an OpInfo lambda runs on frankentorch, its ``torch.manual_seed(n)`` calls (e.g.
    torch's ``wrapper_set_seed``) seed frankentorch's generator too."""
    torch = _torch()
    real = torch.manual_seed
    ours = getattr(ft, "manual_seed", None)

    def both(seed):
        if ours is not None:
            ours(seed)
        return real(seed)
    torch.manual_seed = both
    try:
        yield
    finally:
        torch.manual_seed = real


def _is_view_of(result, inp, torch) -> bool:
    """torch's result (or any tensor in it) is a view sharing ``inp``'s storage."""
    if isinstance(result, (tuple, list)):
        return any(_is_view_of(r, inp, torch) for r in result)
    if not (isinstance(result, torch.Tensor) and isinstance(inp, torch.Tensor)):
        return False
    ptr = inp.untyped_storage().data_ptr()
    return result._is_view() and ptr != 0 and result.untyped_storage().data_ptr() == ptr


def _run_errors(op, key, variants):
    torch = _torch()
    if op.error_inputs_func is None:
        return []
    callers = [(v, f) for v, (_, f) in variants.items() if f is not None]
    if not callers:
        return []
    variant, ft_call = callers[0]
    torch.manual_seed(0)
    out = []
    annotation = _torch_xfail(op, None, ("test_errors",))
    for i, err in enumerate(op.error_inputs("cpu")):
        sample = err.sample_input
        desc = f"expects {err.error_type.__name__}: {err.error_regex[:80]} | {_describe(sample)}"
        try:
            try:
                f_inp, f_args, f_kwargs = _convert_sample(sample)
            except _Unconvertible as e:
                outcome, detail = e.outcome, f"cannot convert sample: {e}"
            else:
                try:
                    actual = ft_call(f_inp, *f_args, **f_kwargs)
                except Exception as e:  # noqa: BLE001 - classified
                    if isinstance(e, err.error_type):
                        outcome, detail = "pass", ""
                    else:
                        outcome, detail = "exception_drift", \
                            f"ours raised {type(e).__name__}: {str(e)[:200]}"
                else:
                    outcome, detail = "exception_drift", \
                        f"ours returned {type(actual).__name__} instead of raising"
        except Exception:  # noqa: BLE001 - the driver's own failure
            outcome, detail = "driver_error", traceback.format_exc(limit=3)
        out.append(SampleResult(key, "error_input", None, i, desc, outcome, detail,
                                annotation if outcome != "pass" else ""))
    return out


def _run_op(op, dtypes, max_samples, backward: bool = False):
    """All results for one OpInfo entry: each variant x dtype x sample (plus ``backward`` on
    floating dtypes when asked and torch differentiates the op), then error inputs."""
    torch = _torch()
    key = op_key(op)
    variants = _variants(op)
    results = [SampleResult(key, v, None, -1, f"torch has {v} variant {getattr(t, '__name__', t)}",
                            "missing_variant")
               for v, (t, f) in variants.items() if f is None]
    supported = op.supported_dtypes("cpu")
    check_values = op.name not in NONDETERMINISTIC_VALUES
    for dname in dtypes:
        tdt = getattr(torch, dname)
        if tdt not in supported:
            continue
        torch.manual_seed(0)
        try:
            samples = list(itertools.islice(
                op.sample_inputs("cpu", tdt, requires_grad=False), max_samples))
        except Exception:  # noqa: BLE001 - torch's generator failing is a driver problem
            results.append(SampleResult(key, "function", dname, -1, "sample generation",
                                        "driver_error", traceback.format_exc(limit=3)))
            continue
        annotation = _torch_xfail(op, tdt)
        for i, sample in enumerate(samples):
            desc = _describe(sample)
            for variant, (torch_call, ft_call) in variants.items():
                if ft_call is None:
                    continue
                try:
                    outcome, detail = _run_sample(op, variant, torch_call, ft_call, sample,
                                                  check_values)
                except Exception:  # noqa: BLE001 - the driver's own failure
                    outcome, detail = "driver_error", traceback.format_exc(limit=3)
                results.append(SampleResult(key, variant, dname, i, desc, outcome, detail,
                                            annotation if outcome != "pass" else ""))
        if backward and op.supports_autograd and tdt.is_floating_point:
            results.extend(_run_op_backward(op, key, variants, tdt, dname, max_samples))
    return results


def _run_op_backward(op, key, variants, tdt, dname, max_samples) -> list[SampleResult]:
    torch = _torch()
    callers = [(t, f) for v, (t, f) in variants.items() if v == "function" and f is not None] \
        or [(t, f) for t, f in variants.values() if f is not None]
    if not callers:
        return []
    torch_call, ft_call = callers[0]
    torch.manual_seed(0)
    try:
        samples = list(itertools.islice(
            op.sample_inputs("cpu", tdt, requires_grad=True), max_samples))
    except Exception:  # noqa: BLE001 - torch's generator failing is a driver problem
        return [SampleResult(key, "backward", dname, -1, "sample generation", "driver_error",
                             traceback.format_exc(limit=3))]
    annotation = _torch_xfail(op, tdt, ("test_fn_grad", "test_variant_consistency_eager"))
    out = []
    for i, sample in enumerate(samples):
        try:
            res = _run_backward(torch_call, ft_call, sample)
        except Exception:  # noqa: BLE001 - the driver's own failure
            res = "driver_error", traceback.format_exc(limit=3)
        if res is not None:
            out.append(SampleResult(key, "backward", dname, i, _describe(sample), *res,
                                    annotation if res[0] != "pass" else ""))
    return out


def run_opinfo(names=None, dtypes=DEFAULT_DTYPES, include_errors: bool = True,
               max_samples_per_op: int | None = None, include_backward: bool = False,
               on_op=None) -> list[SampleResult]:
    """Run every implemented OpInfo entry (or those in ``names``: base names or op keys).

    ``dtypes`` are names (``"float32"``) or torch dtypes; only those the op supports on CPU are
    run. ``max_samples_per_op`` keeps the first N samples per op and dtype (seeded, so the
    same N every time). ``include_backward`` adds the ``backward`` variant on floating dtypes.
    ``on_op(key, results, seconds)`` is called after each entry (progress, timing).
    """
    _torch()
    dnames = tuple(_dname(d) for d in dtypes)
    names = None if names is None else set(names)
    results: list[SampleResult] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn alike (e.g. dof <= 0)
        for op in _op_db():
            if not _wanted(op, names) or not _implemented(op):
                continue
            start = time.perf_counter()
            found = _run_op(op, dnames, max_samples_per_op, include_backward)
            if include_errors:
                found += _run_errors(op, op_key(op), _variants(op))
            results.extend(found)
            if on_op is not None:
                on_op(op_key(op), found, time.perf_counter() - start)
    return results


def summarize(results) -> dict[str, dict]:
    """Per op key: ``samples``/``passed`` (forward samples), ``errors``/``errors_passed``
    (error inputs), ``missing_variants``, ``torch_xfail`` and a count per drift outcome."""
    out: dict[str, dict] = {}
    for r in results:
        s = out.setdefault(r.op, {"samples": 0, "passed": 0, "errors": 0, "errors_passed": 0,
                                  "missing_variants": [], "torch_xfail": 0,
                                  "drifts": Counter(), "error_drifts": Counter()})
        if r.outcome == "missing_variant":
            s["missing_variants"].append(r.variant)
            continue
        if r.annotation:
            s["torch_xfail"] += 1
        if r.variant == "error_input":
            s["errors"] += 1
            if r.outcome == "pass":
                s["errors_passed"] += 1
            else:
                s["error_drifts"][r.outcome] += 1
            continue
        s["samples"] += 1
        if r.outcome == "pass":
            s["passed"] += 1
        else:
            s["drifts"][r.outcome] += 1
    for s in out.values():
        s["drifts"] = dict(s["drifts"].most_common())
        s["error_drifts"] = dict(s["error_drifts"].most_common())
        s["pass_rate"] = s["passed"] / s["samples"] if s["samples"] else None
    return out


def passing_keys(results) -> dict[str, list[str]]:
    """op key -> sorted :attr:`SampleResult.key` of its passing samples (error inputs too)."""
    out: dict[str, set] = {}
    for r in results:
        keys = out.setdefault(r.op, set())
        if r.outcome == "pass":
            keys.add(r.key)
    return {k: sorted(v) for k, v in sorted(out.items())}
