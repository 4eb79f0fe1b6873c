"""The OpInfo differential driver: conversion, classification, and a regression floor.

The floor is ``fixtures/opinfo_expected_passes.json`` (written by
``python tools/opinfo_pass_rates.py --write-expected`` from a real run): every sample that
passed then must still pass; new passes never fail this file.
"""
from __future__ import annotations

import json
import pathlib

import pytest
import torch

import frankentorch as ft
from frankentorch.conformance import opinfo

EXPECTED = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / \
    "opinfo_expected_passes.json"


# ------------------------------------------------------------------ conversion

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool,
                                   torch.float16, torch.bfloat16, torch.uint8])
def test_to_ft_keeps_storage_strides_offset_dtype(dtype):
    base = torch.arange(60, dtype=torch.float64).to(dtype).reshape(3, 4, 5)
    views = [base, base.permute(2, 0, 1), base[1:, ::2, 1:4], base.transpose(0, 2)[1],
             base[0, 0, 0], base[:, :0], base[:1].expand(4, 4, 5)]
    for t in views:
        f = opinfo.to_ft(t)
        assert str(f.dtype) == str(t.dtype)
        assert tuple(f.shape) == tuple(t.shape)
        assert tuple(f.stride()) == tuple(t.stride())
        assert f.storage_offset() == t.storage_offset()
        assert f.untyped_storage().nbytes() == t.untyped_storage().nbytes()
        back = opinfo.ft_to_torch(f)
        assert back.dtype == t.dtype
        assert torch.equal(back, t.contiguous())


def test_to_ft_bfloat16_bits_exact():
    t = torch.tensor([1.0, -0.0, float("inf"), float("nan"), 3.140625, 1e-40],
                     dtype=torch.bfloat16)
    back = opinfo.ft_to_torch(opinfo.to_ft(t))
    assert torch.equal(back.view(torch.int16), t.view(torch.int16))


def test_convert_maps_dtype_device_format_and_rejects_unrepresentable():
    conv = opinfo._convert((torch.float64, torch.device("cpu"), torch.contiguous_format,
                            torch.Size([2, 3]), [torch.ones(2)], {"k": torch.int64}))
    assert conv[0] is ft.float64 and conv[1] == ft.device("cpu")
    assert conv[2] is ft.contiguous_format and conv[3] == (2, 3)
    assert isinstance(conv[4][0], ft.Tensor) and conv[5]["k"] is ft.int64
    with pytest.raises(opinfo._Unconvertible) as e:
        opinfo._convert(torch.ones(2, dtype=torch.complex64))
    assert e.value.outcome == "unsupported_dtype"
    assert opinfo._convert(torch.channels_last) is ft.channels_last
    with pytest.raises(opinfo._Unconvertible) as e:
        opinfo._convert(torch.sparse_coo)
    assert e.value.outcome == "missing_op"


# ------------------------------------------------------------------ classifier

def _ft(t):
    return opinfo.to_ft(t)


def test_compare_classifies_each_drift():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    assert opinfo.compare(_ft(t), t) == ("pass", "")
    assert opinfo.compare(_ft(t.reshape(3, 2)), t)[0] == "shape_drift"
    assert opinfo.compare(_ft(t.double()), t)[0] == "dtype_drift"
    assert opinfo.compare(_ft(t + 1e-3), t)[0] == "value_drift"
    assert opinfo.compare(_ft(t + 1e-7), t)[0] == "pass"  # within float32 tolerance
    nan = torch.tensor([float("nan"), 1.0])
    assert opinfo.compare(_ft(nan), nan)[0] == "pass"  # equal_nan
    tt = t.t()
    assert opinfo.compare(_ft(tt.contiguous()), tt)[0] == "pass"
    assert opinfo.compare(_ft(tt.contiguous()), tt, check_strides=True)[0] == "stride_drift"
    assert opinfo.compare(_ft(tt), tt, check_strides=True)[0] == "pass"
    assert opinfo.compare(_ft(t[1:]), t[1:].clone(), check_strides=True)[0] == "stride_drift"
    # sequences, named tuples, scalars, sizes, dtypes
    mx = t.max(dim=1)
    assert opinfo.compare((_ft(mx.values), _ft(mx.indices)), mx) == ("pass", "")
    out, detail = opinfo.compare((_ft(mx.values), _ft(mx.indices + 1)), mx)
    assert out == "value_drift" and detail.startswith("[1]")
    assert opinfo.compare((_ft(t),), (t, t))[0] == "shape_drift"
    assert opinfo.compare(3, 3) == ("pass", "")
    assert opinfo.compare(3.0, 3)[0] == "dtype_drift"
    assert opinfo.compare(ft.Size([2, 3]), torch.Size([2, 3])) == ("pass", "")
    assert opinfo.compare(ft.float32, torch.float32) == ("pass", "")
    assert opinfo.compare(ft.float32, torch.float64)[0] == "value_drift"
    assert opinfo.compare([1], t)[0] == "value_drift"
    # uninitialised values: only geometry and dtype
    assert opinfo.compare(_ft(t + 5), t, check_values=False) == ("pass", "")


def test_classify_exception():
    c = opinfo.classify_exception
    assert c(RuntimeError("x"), RuntimeError("y")) == ("pass", "")
    assert c(IndexError("x"), IndexError("y"))[0] == "pass"
    assert c(ValueError("x"), RuntimeError("y"))[0] == "exception_drift"
    assert c(RuntimeError("x"), None)[0] == "exception_drift"
    assert c(NotImplementedError("add: dtype Half is not supported"), None)[0] == \
        "unsupported_dtype"
    assert c(TypeError("unsupported dtype float16"), None)[0] == "unsupported_dtype"
    assert c(NotImplementedError("aten::foo is not available"), None)[0] == "missing_op"
    assert c(opinfo._MissingOp("frankentorch has no torch.where"), None)[0] == "missing_op"


def test_lambda_routing_through_proxy():
    a, b = torch.arange(4.0), torch.ones(4)
    lam = lambda x, y: torch.add(y, x, alpha=2).mul(x)  # noqa: E731 - like OpInfo lambdas
    got = opinfo._unwrap(lam(opinfo._Proxy(opinfo.to_ft(a)), opinfo._Proxy(opinfo.to_ft(b))))
    assert isinstance(got, ft.Tensor)
    assert opinfo.compare(got, lam(a, b)) == ("pass", "")
    with pytest.raises(opinfo._MissingOp):
        opinfo._Proxy(opinfo.to_ft(a)).definitely_not_a_tensor_method()


def test_sample_result_key_and_summary():
    R = opinfo.SampleResult
    rs = [R("add", "function", "float32", 0, "", "pass"),
          R("add", "method", "float32", 0, "", "value_drift", "x", "torch_xfail: T.t"),
          R("add", "error_input", None, 0, "", "pass"),
          R("add", "out", None, -1, "", "missing_variant")]
    s = opinfo.summarize(rs)["add"]
    assert (s["samples"], s["passed"], s["errors"], s["errors_passed"]) == (2, 1, 1, 1)
    assert s["drifts"] == {"value_drift": 1} and s["missing_variants"] == ["out"]
    assert s["torch_xfail"] == 1 and s["pass_rate"] == 0.5
    assert opinfo.passing_keys(rs) == {"add": ["error_input:None:0", "function:float32:0"]}


def test_import_frankentorch_does_not_load_torch():
    import subprocess
    import sys
    code = ("import sys, frankentorch, frankentorch.conformance.opinfo; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ------------------------------------------------------------------ the OpInfo run

@pytest.fixture(scope="module")
def expected():
    return json.loads(EXPECTED.read_text())


@pytest.fixture(scope="module")
def run(expected):
    results = opinfo.run_opinfo(dtypes=expected["dtypes"], include_errors=True,
                                max_samples_per_op=expected["max_samples_per_op"])
    return results, opinfo.passing_keys(results)


def test_implemented_ops_discovered(run, expected):
    from torch.testing._internal.common_methods_invocations import op_db
    results, _ = run
    names = set(opinfo.implemented_opinfo_names())
    assert {"add", "sum"} <= names
    seen = {r.op for r in results}
    assert seen <= names
    # every implemented entry supporting a fixture dtype was run
    runnable = {opinfo.op_key(op) for op in op_db if opinfo.op_key(op) in names and any(
        getattr(torch, d) in op.supported_dtypes("cpu") for d in expected["dtypes"])}
    assert runnable <= seen, sorted(runnable - seen)


def test_no_driver_crashes(run):
    results, _ = run
    crashes = [f"{r.op} {r.variant} {r.dtype} #{r.index}: {r.detail}" for r in results
               if r.outcome == "driver_error"]
    assert not crashes, "\n".join(crashes[:5])


def test_outcomes_are_known(run):
    results, _ = run
    assert {r.outcome for r in results} <= set(opinfo.OUTCOMES)


def test_no_regression_against_recorded_passes(run, expected):
    _, passing = run
    regressions = {}
    for op, keys in expected["passes"].items():
        lost = sorted(set(keys) - set(passing.get(op, ())))
        if lost:
            regressions[op] = lost
    assert not regressions, (
        "samples that passed when fixtures/opinfo_expected_passes.json was written now fail "
        f"(or the op vanished): {json.dumps(regressions)[:2000]}")
