"""Gradient differential driver over PyTorch's OpInfo database.

For every OpInfo entry that frankentorch implements and torch differentiates
(``supports_autograd``), generate torch's float64 sample inputs with ``requires_grad``,
convert them with :mod:`frankentorch.conformance.opinfo` (identical storage, strides and
offsets), mark the same inputs as requiring grad on the frankentorch side, run forward and
backward in both libraries with the same seeded upstream gradients, and compare the outputs
and the input gradients. One :class:`~frankentorch.conformance.opinfo.SampleResult` per
sample, with ``variant="grad"``; outcomes are those of the forward driver (a ``[0]`` detail
prefix is a forward drift, ``[1]`` a gradient drift).

torch is loaded lazily, so ``import frankentorch`` stays torch-free.
"""
from __future__ import annotations

import itertools
import traceback
import warnings

import frankentorch as ft

from . import opinfo
from .opinfo import SampleResult

__all__ = ["GRAD_DTYPE", "FIXTURE_MAX_SAMPLES", "grad_opinfo_names", "run_opinfo_grad"]

#: Samples run in float64 (finite, well-conditioned gradients; torch's gradcheck dtype).
GRAD_DTYPE = "float64"
#: Samples per op in the expected-pass fixture (``fixtures/opinfo_grad_expected_passes.json``).
FIXTURE_MAX_SAMPLES = 3
_SEED = 1234


def _differentiable(op) -> bool:
    torch = opinfo._torch()
    return bool(op.supports_autograd) and torch.float64 in op.supported_backward_dtypes("cpu")


def _caller(op):
    """(torch callable, frankentorch callable): the function variant, else the method."""
    variants = opinfo._variants(op)
    for name in ("function", "method"):
        torch_fn, ft_fn = variants.get(name, (None, None))
        if ft_fn is not None:
            return torch_fn, ft_fn
    return None, None


def grad_opinfo_names() -> list[str]:
    """Keys of the OpInfo entries frankentorch implements and torch differentiates."""
    return sorted({opinfo.op_key(op) for op in opinfo._op_db()
                   if _differentiable(op) and _caller(op)[1] is not None})


def _tensors(obj) -> list:
    """Every tensor inside ``obj`` (nested tuples, lists and dicts), in a fixed order."""
    if isinstance(obj, dict):
        return [t for k in obj for t in _tensors(obj[k])]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    return [obj] if hasattr(obj, "requires_grad") and hasattr(obj, "shape") else []


def _float_outputs(out) -> list:
    return [o for o in _tensors(out) if o.dtype.is_floating_point and o.requires_grad]


def _torch_side(torch_fn, sample):
    """(inputs needing grad, differentiable outputs, upstream gradients, input gradients)."""
    torch = opinfo._torch()
    inputs = [t for t in _tensors((sample.input, sample.args, sample.kwargs))
              if t.requires_grad]
    outs = _float_outputs(torch_fn(sample.input, *sample.args, **sample.kwargs))
    gen = torch.Generator().manual_seed(_SEED)
    upstream = [torch.randn(o.shape, dtype=o.dtype, generator=gen) for o in outs]
    grads = torch.autograd.grad(outs, inputs, upstream, allow_unused=True,
                                materialize_grads=True) if outs and inputs else ()
    return inputs, outs, upstream, grads


def _ft_side(ft_fn, sample, upstream):
    f_inp, f_args, f_kwargs = opinfo._convert_sample(sample)
    torch_tensors = _tensors((sample.input, sample.args, {k: v for k, v in sample.kwargs.items()
                                                          if not k.startswith("_")}))
    ft_tensors = _tensors((f_inp, f_args, f_kwargs))
    inputs = []
    for t, f in zip(torch_tensors, ft_tensors):
        if t.requires_grad:
            f.requires_grad_(True)
            inputs.append(f)
    outs = _float_outputs(ft_fn(f_inp, *f_args, **f_kwargs))
    if len(outs) != len(upstream):
        return outs, None
    grads = ft.autograd.grad(outs, inputs, [opinfo.to_ft(u) for u in upstream],
                             allow_unused=True, materialize_grads=True) \
        if outs and inputs else ()
    return outs, grads


def _run_sample(torch_fn, ft_fn, sample) -> tuple[str, str]:
    try:
        opinfo._convert_sample(sample)
    except opinfo._Unconvertible as e:
        return e.outcome, f"cannot convert sample: {e}"
    try:
        _, outs_t, upstream, grads_t = _torch_side(torch_fn, sample)
        t_err = None
    except Exception as e:  # noqa: BLE001 - torch's error is the expectation
        upstream, t_err = None, e
    try:
        if t_err is not None:
            upstream = [opinfo._torch().ones(o.shape, dtype=o.dtype) for o in
                        _float_outputs(torch_fn(sample.input, *sample.args, **sample.kwargs))]
        outs_f, grads_f = _ft_side(ft_fn, sample, upstream)
    except Exception as e:  # noqa: BLE001 - classified
        return opinfo.classify_exception(e, t_err)
    if t_err is not None:
        return "exception_drift", (f"torch raised {type(t_err).__name__}: {str(t_err)[:200]}; "
                                   "frankentorch differentiated the sample")
    if grads_f is None:
        return "shape_drift", (f"{len(outs_f)} differentiable outputs != torch "
                               f"{len(outs_t)}")
    return opinfo.compare(([o.detach() for o in outs_f], [g.detach() for g in grads_f]),
                          (outs_t, list(grads_t)))


def _run_op(op, max_samples) -> list[SampleResult]:
    torch = opinfo._torch()
    key = opinfo.op_key(op)
    torch_fn, ft_fn = _caller(op)
    torch.manual_seed(0)
    try:
        samples = list(itertools.islice(
            op.sample_inputs("cpu", torch.float64, requires_grad=True), max_samples))
    except Exception:  # noqa: BLE001 - torch's generator failing is a driver problem
        return [SampleResult(key, "grad", GRAD_DTYPE, -1, "sample generation", "driver_error",
                             traceback.format_exc(limit=3))]
    annotation = opinfo._torch_xfail(op, torch.float64, ("test_fn_grad", "test_fn_gradgrad"))
    results = []
    for i, sample in enumerate(samples):
        try:
            outcome, detail = _run_sample(torch_fn, ft_fn, sample)
        except Exception:  # noqa: BLE001 - the driver's own failure
            outcome, detail = "driver_error", traceback.format_exc(limit=3)
        results.append(SampleResult(key, "grad", GRAD_DTYPE, i, opinfo._describe(sample),
                                    outcome, detail, annotation if outcome != "pass" else ""))
    return results


def run_opinfo_grad(names=None, max_samples_per_op: int | None = None) -> list[SampleResult]:
    """Gradient results of every differentiable implemented OpInfo entry (or those in
    ``names``: base names or op keys), the first ``max_samples_per_op`` float64 samples each."""
    opinfo._torch()
    names = None if names is None else set(names)
    results: list[SampleResult] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in opinfo._op_db():
            if not opinfo._wanted(op, names) or not _differentiable(op) or \
                    _caller(op)[1] is None:
                continue
            results.extend(_run_op(op, max_samples_per_op))
    return results
