"""FT-P2C-005 CPU kernels, measured on PyTorch's own OpInfo sample inputs.

Live oracle: the whole OpInfo sweep of :mod:`frankentorch.conformance.opinfo` (every
implemented op, function and method variants, error inputs, and gradients on floating
dtypes), in each mode. Fixtures: a slice of the same samples with their inputs stored
(storage values, sizes, strides, offset), so the comparison also runs without torch.
"""
from __future__ import annotations

import itertools
import sys
import warnings

from .. import opinfo
from . import Case

FAMILY = "kernels"
LIVE_DTYPES = opinfo.DEFAULT_DTYPES
#: Fixture slice: samples per op for each dtype, and the dtype whose gradients are stored.
CAPTURE = {"float32": 2, "int64": 1}
CAPTURE_BACKWARD = ("float64", 1)
MAX_STORED_ELEMENTS = 1024


# ------------------------------------------------------------------ inputs as JSON

class _Unstorable(Exception):
    pass


def _store(obj):
    """JSON form of a sample argument; tensors keep their storage, sizes, strides, offset."""
    from ..observe import encode
    if type(obj).__name__ == "Tensor":
        st = obj.untyped_storage()
        n = st.nbytes() // obj.element_size()
        if n > MAX_STORED_ELEMENTS:
            raise _Unstorable(f"{n} elements")
        flat = obj.new_empty(0).set_(st, 0, (n,), (1,)).detach()
        return {"$input": {"dtype": str(obj.dtype).rsplit(".", 1)[-1],
                           "storage": encode(flat)["$tensor"]["values"],
                           "shape": list(obj.shape), "stride": list(obj.stride()),
                           "offset": obj.storage_offset(),
                           "requires_grad": bool(obj.requires_grad)}}
    if isinstance(obj, slice):
        return {"$slice": [obj.start, obj.stop, obj.step]}
    if obj is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return encode(obj)
    if isinstance(obj, (list, tuple)):
        return {"$list" if isinstance(obj, list) else "$tuple": [_store(o) for o in obj]}
    if isinstance(obj, dict):
        return {"$dict": {k: _store(v) for k, v in obj.items()}}
    if type(obj).__name__ == "dtype":
        return {"$dtype": str(obj).rsplit(".", 1)[-1]}
    raise _Unstorable(type(obj).__name__)


def _load(m, obj, leaves: list):
    """The sample argument for library ``m`` (tensors rebuilt with their exact geometry)."""
    if isinstance(obj, dict):
        if "$input" in obj:
            d = obj["$input"]
            dt = getattr(m, d["dtype"])
            vals = [float(v["$float"]) if isinstance(v, dict) else v for v in d["storage"]]
            base = m.tensor(vals, dtype=dt)
            t = base.as_strided(tuple(d["shape"]), tuple(d["stride"]), d["offset"])
            if d["requires_grad"]:
                t = t.detach().requires_grad_()
                leaves.append(t)
            return t
        if "$slice" in obj:
            return slice(*obj["$slice"])
        if "$ellipsis" in obj:
            return Ellipsis
        if "$list" in obj:
            return [_load(m, o, leaves) for o in obj["$list"]]
        if "$tuple" in obj:
            return tuple(_load(m, o, leaves) for o in obj["$tuple"])
        if "$dict" in obj:
            return {k: _load(m, v, leaves) for k, v in obj["$dict"].items()}
        if "$dtype" in obj:
            return getattr(m, obj["$dtype"])
        if "$float" in obj:
            return float(obj["$float"])
    return obj


def _callable(m, op: str, variant: str):
    if variant == "method":
        return lambda inp, *a, **k: getattr(inp, op)(*a, **k)
    fn = m
    for part in op.split("."):
        fn = getattr(fn, part)
    return fn


def call_op(m, op: str, variant: str, inputs: dict):
    """Run one stored sample: the result, or with variant ``backward`` the gradients of the
    floating outputs (upstream gradient :func:`opinfo.grad_output_like`) w.r.t. its leaves."""
    leaves: list = []
    inp, args, kwargs = (_load(m, inputs[k], leaves) for k in ("input", "args", "kwargs"))
    fn = _callable(m, op, "function" if variant == "backward" else variant)
    out = fn(inp, *args, **kwargs)
    if op in opinfo.NONDETERMINISTIC_VALUES:  # uninitialised memory: geometry only
        return {"dtype": str(out.dtype), "shape": list(out.shape), "stride": list(out.stride())}
    if variant != "backward":
        return out
    outs = opinfo._differentiable(out)
    grads = m.autograd.grad(outs, leaves, [opinfo.grad_output_like(m, o) for o in outs],
                            allow_unused=True)
    return list(grads)


# ------------------------------------------------------------------ fixtures

def _samples(op, dname: str, n: int, requires_grad: bool):
    import torch
    torch.manual_seed(0)
    return list(itertools.islice(op.sample_inputs("cpu", getattr(torch, dname),
                                                  requires_grad=requires_grad), n))


def _stored_case(op, key: str, variant: str, dname: str, i: int, sample, name: str):
    from .. import runner
    try:
        kwargs = {k: v for k, v in sample.kwargs.items() if not k.startswith("_")}
        inputs = {"input": _store(sample.input), "args": _store(tuple(sample.args)),
                  "kwargs": _store(kwargs)}
    except _Unstorable:
        return None
    case = Case(f"opinfo/{key}/{variant}:{dname}:{i}", "happy", "call_op",
                {"op": name, "variant": variant, "inputs": inputs}, op=key,
                check_strides=op.name in opinfo.VIEW_OPS).as_dict()
    case["expected"] = runner.expected_live(sys.modules[__name__], case)
    return case


def capture() -> list[dict]:
    """Fixture cases from the first OpInfo samples of every implemented op (torch needed)."""
    import torch
    out = []
    warnings.simplefilter("ignore")  # deprecation notes of the ops themselves
    for op in opinfo._op_db():
        key = opinfo.op_key(op)
        variants = opinfo._variants(op)
        plain = op.op is opinfo._resolve(torch, op.name)
        callers = []
        if plain and variants.get("function", (None, None))[1] is not None:
            callers.append(("function", op.name))
        if variants.get("method", (None, None))[1] is not None:
            callers.append(("method", op.method_variant.__name__))
        if not callers:
            continue
        supported = op.supported_dtypes("cpu")
        for dname, n in CAPTURE.items():
            if getattr(torch, dname) not in supported:
                continue
            for i, sample in enumerate(_samples(op, dname, n, False)):
                for variant, name in callers:
                    case = _stored_case(op, key, variant, dname, i, sample, name)
                    if case is not None:
                        out.append(case)
        dname, n = CAPTURE_BACKWARD
        if plain and callers[0][0] == "function" and op.supports_autograd and \
                getattr(torch, dname) in supported:
            for i, sample in enumerate(_samples(op, dname, n, True)):
                case = _stored_case(op, key, "backward", dname, i, sample, op.name)
                if case is not None and "$raises" not in case["expected"]:
                    out.append(case)
    return out


# ------------------------------------------------------------------ live sweep

_OUTCOME_CLASS = {"missing_variant": "missing_op", "driver_error": "harness_error"}


def live(modes, case_ids, progress, max_samples=None):
    """The OpInfo sweep in each mode: (case, mode, drift class or pass, detail, ms)."""
    import frankentorch as ft
    wanted = None
    if case_ids:
        wanted = {c.split("/", 1)[1] if c.startswith(FAMILY + "/") else c for c in case_ids}
    names = None if wanted is None else sorted({w.split("/")[1] for w in wanted})
    for mode in modes:
        timing: dict[str, float] = {}

        def on_op(key, found, seconds, timing=timing):
            timing[key] = 1e3 * seconds / max(len(found), 1)
            progress(1)
        with ft.using_mode(mode):
            results = opinfo.run_opinfo(names, dtypes=LIVE_DTYPES, include_errors=True,
                                        include_backward=True, on_op=on_op,
                                        max_samples_per_op=max_samples)
        for r in results:
            cid = f"opinfo/{r.op}/{r.key}"
            if wanted is not None and cid not in wanted:
                continue
            kind = "adversarial" if r.variant == "error_input" else "happy"
            case = Case(cid, kind, "opinfo", {"op": r.op, "variant": r.variant,
                                              "dtype": r.dtype, "index": r.index},
                        op=r.op).as_dict()
            cls = _OUTCOME_CLASS.get(r.outcome, r.outcome)
            detail = (f"{r.description[:200]} | {r.detail}" if r.detail else "")[:600]
            yield case, mode, cls, detail, timing.get(r.op, 0.0)


def live_size() -> int:
    """Number of OpInfo entries the live sweep visits per mode (for progress bars)."""
    return len(opinfo.implemented_opinfo_names())
