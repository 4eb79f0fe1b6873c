"""Observations: what a conformance program returned (or raised), as plain JSON.

The same program runs against ``torch`` and ``frankentorch``; both results are encoded here
into one JSON form, so a result captured from torch yesterday (a fixture) and a result from
torch now (the live oracle) are compared with frankentorch's by the same code, without torch.

Encoding: tensors become ``{"$tensor": {dtype, shape, stride, offset, requires_grad,
values}}``; an exception becomes ``{"$raises": <type name>, "message": ...}``; dtypes
``{"$dtype": name}``; non-finite floats the strings ``"nan"``, ``"inf"``, ``"-inf"`` inside
``{"$float": ...}``; tuples and lists are lists; dict keys are strings.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np

__all__ = ["encode", "observe", "compare_observations", "TOLERANCES", "DRIFT_CLASSES"]

#: Drift taxonomy, in the order a comparison checks it.
DRIFT_CLASSES = {
    "value_drift": "values differ beyond the dtype's tolerance (torch.testing defaults)",
    "dtype_drift": "result dtype (or Python scalar type) differs",
    "shape_drift": "result shape, or number/structure of results, differs",
    "stride_drift": "strides or storage offset differ where torch's are observable",
    "exception_drift": "one side raised and the other did not, or the exception types differ",
    "missing_op": "frankentorch has no such function, method or variant",
    "unsupported_dtype": "frankentorch refuses a dtype torch supports for this op",
}

#: (rtol, atol) per dtype, as ``torch.testing.assert_close``.
TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
              "float64": (1e-7, 1e-7)}

def _is_tensor(v) -> bool:
    t = type(v)
    return t.__name__ in ("Tensor", "Parameter", "Buffer") and hasattr(v, "stride") and \
        hasattr(v, "storage_offset")


def _float(x: float):
    if math.isfinite(x):
        return x
    return {"$float": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _values(v):
    if isinstance(v, list):
        return [_values(x) for x in v]
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, complex):
        return {"$complex": [_float(v.real), _float(v.imag)]}
    return v


def _dtype_name(dt) -> str:
    return str(dt).rsplit(".", 1)[-1]


def encode(v: Any) -> Any:
    """JSON form of a result from either library (see the module docstring)."""
    if _is_tensor(v):
        dname = _dtype_name(v.dtype)
        geom = {"dtype": dname, "shape": list(v.shape), "stride": list(v.stride()),
                "offset": v.storage_offset(), "requires_grad": bool(v.requires_grad)}
        if v.device.type == "meta":
            geom["values"] = None
        else:
            geom["values"] = _values(v.detach().tolist())
        return {"$tensor": geom}
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, complex):
        return _values(v)
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    if type(v).__name__ == "dtype":
        return {"$dtype": _dtype_name(v)}
    if type(v).__name__ == "device":
        return {"$device": str(v)}
    if isinstance(v, BaseException):
        return {"$raises": type(v).__name__, "message": str(v)[:300]}
    return {"$repr": repr(v)[:300]}


def observe(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn`` and encode its result or its exception; also return the wall time in ms."""
    start = time.perf_counter()
    try:
        value = fn()
        out = encode(value)
    except Exception as e:  # noqa: BLE001 - an exception is an observable outcome
        out = {"$raises": type(e).__name__, "message": str(e)[:300],
               "$mro": [c.__name__ for c in type(e).__mro__]}
    return out, (time.perf_counter() - start) * 1e3


def _raises(obs) -> bool:
    return isinstance(obs, dict) and "$raises" in obs


def _as_float(x):
    if isinstance(x, dict) and "$float" in x:
        return float(x["$float"])
    return x


def _flat(values, out: list) -> list:
    if isinstance(values, list):
        for x in values:
            _flat(x, out)
    else:
        out.append(_as_float(values))
    return out


def _compare_tensor(a: dict, e: dict, check_strides: bool) -> tuple[str, str]:
    if a["shape"] != e["shape"]:
        return "shape_drift", f"shape {a['shape']} != torch {e['shape']}"
    if a["dtype"] != e["dtype"]:
        return "dtype_drift", f"dtype {a['dtype']} != torch {e['dtype']}"
    if a["requires_grad"] != e["requires_grad"]:
        return "value_drift", f"requires_grad {a['requires_grad']} != torch {e['requires_grad']}"
    if e["values"] is not None and a["values"] is not None:
        av, ev = _flat(a["values"], []), _flat(e["values"], [])
        if any(isinstance(x, dict) for x in av + ev):  # complex
            same = av == ev
        elif e["dtype"] in TOLERANCES:
            rtol, atol = TOLERANCES[e["dtype"]]
            aa, ee = np.asarray(av, dtype=np.float64), np.asarray(ev, dtype=np.float64)
            close = np.isclose(aa, ee, rtol=rtol, atol=atol, equal_nan=True)
            same = bool(close.all())
            if not same:
                i = int(np.flatnonzero(~close)[0])
                return "value_drift", (f"{int((~close).sum())}/{close.size} elements differ; "
                                       f"first at flat index {i}: {float(aa[i])!r} != torch "
                                       f"{float(ee[i])!r}")
        else:
            same = av == ev
        if not same:
            diff = next(i for i, (x, y) in enumerate(zip(av, ev)) if x != y)
            return "value_drift", f"flat index {diff}: {av[diff]!r} != torch {ev[diff]!r}"
    if check_strides and (a["stride"], a["offset"]) != (e["stride"], e["offset"]):
        return "stride_drift", (f"stride/offset {a['stride']}+{a['offset']} != torch "
                                f"{e['stride']}+{e['offset']}")
    return "pass", ""


def _missing(actual: dict) -> str | None:
    name, msg = actual["$raises"], actual.get("message", "")
    if name == "AttributeError" and ("frankentorch" in msg or "'Tensor'" in msg):
        return "missing_op"
    if name in ("NotImplementedError", "TypeError"):
        from .opinfo import classify_exception
        exc_type = NotImplementedError if name == "NotImplementedError" else TypeError
        outcome, _ = classify_exception(exc_type(msg), None)
        return outcome if outcome in ("missing_op", "unsupported_dtype") else None
    return None


def compare_observations(actual: Any, expected: Any, *, check_strides: bool = True,
                         path: str = "") -> tuple[str, str]:
    """Classify frankentorch's observation against torch's: (outcome, detail).

    ``outcome`` is ``pass`` or one of :data:`DRIFT_CLASSES`; the first drift found wins and its
    detail names the path inside the result (``[1].grad``).
    """
    where = f"at {path}: " if path else ""
    if _raises(expected) or _raises(actual):
        if _raises(expected) and _raises(actual):
            ok = expected["$raises"] in actual.get("$mro", [actual["$raises"]])
            return ("pass", "") if ok else (
                "exception_drift", f"{where}ours raised {actual['$raises']}: "
                f"{actual.get('message', '')[:160]}; torch {expected['$raises']}: "
                f"{expected.get('message', '')[:160]}")
        if _raises(expected):
            return "exception_drift", (f"{where}torch raised {expected['$raises']}: "
                                       f"{expected.get('message', '')[:160]}; ours returned")
        return (_missing(actual) or "exception_drift"), (
            f"{where}torch succeeded; ours raised {actual['$raises']}: "
            f"{actual.get('message', '')[:200]}")
    if isinstance(expected, dict) and "$tensor" in expected:
        if not (isinstance(actual, dict) and "$tensor" in actual):
            return "value_drift", f"{where}expected a tensor, got {str(actual)[:80]}"
        outcome, detail = _compare_tensor(actual["$tensor"], expected["$tensor"], check_strides)
        return outcome, (where + detail if detail else "")
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return "shape_drift", f"{where}expected a sequence, got {str(actual)[:80]}"
        if len(actual) != len(expected):
            return "shape_drift", f"{where}{len(actual)} items != torch {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            res = compare_observations(a, e, check_strides=check_strides, path=f"{path}[{i}]")
            if res[0] != "pass":
                return res
        return "pass", ""
    if isinstance(expected, dict) and not ({"$float", "$dtype", "$device", "$repr",
                                            "$complex"} & expected.keys()):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            got = sorted(actual) if isinstance(actual, dict) else actual
            return "shape_drift", f"{where}keys {got!r:.120} != torch {sorted(expected)}"
        for k in expected:
            res = compare_observations(actual[k], expected[k], check_strides=check_strides,
                                       path=f"{path}.{k}" if path else k)
            if res[0] != "pass":
                return res
        return "pass", ""
    if isinstance(expected, float) or (isinstance(expected, dict) and "$float" in expected):
        a, e = _as_float(actual), _as_float(expected)
        if type(a) is not float:
            return "dtype_drift", f"{where}{type(a).__name__} != torch float"
        same = (math.isnan(a) and math.isnan(e)) or math.isclose(a, e, rel_tol=1.3e-6,
                                                                 abs_tol=1e-5)
        return ("pass", "") if same else ("value_drift", f"{where}{a!r} != torch {e!r}")
    if type(actual) is not type(expected):
        return "dtype_drift", f"{where}{type(actual).__name__} {actual!r:.60} != torch " \
            f"{type(expected).__name__} {expected!r:.60}"
    return ("pass", "") if actual == expected else (
        "value_drift", f"{where}{str(actual)[:120]} != torch {str(expected)[:120]}")
