"""The OpInfo gradient sweep: the driver catches wrong derivatives, and every sample that
passed when ``fixtures/opinfo_grad_expected_passes.json`` was written (``python
tools/opinfo_grad_pass_rates.py --write-expected``) still passes; new passes never fail."""
from __future__ import annotations

import json
import pathlib

import pytest

from frankentorch._ops.unary import overload
from frankentorch.conformance import opinfo, opinfo_grad

EXPECTED = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / \
    "opinfo_grad_expected_passes.json"


def test_sweep_passes_a_correct_derivative():
    results = opinfo_grad.run_opinfo_grad(["sin", "mul"], max_samples_per_op=2)
    assert {r.op for r in results} == {"sin", "mul"}
    assert [r.outcome for r in results] == ["pass"] * len(results)
    assert {r.variant for r in results} == {"grad"} and {r.dtype for r in results} == {"float64"}


def test_sweep_catches_a_wrong_derivative(monkeypatch):
    formula = overload("sin").derivative
    monkeypatch.setattr(formula, "fn", lambda grad, args: grad * args.self.cos() * 1.01)
    results = opinfo_grad.run_opinfo_grad(["sin"], max_samples_per_op=2)
    assert results and all(r.outcome == "value_drift" for r in results)
    assert all(r.detail.startswith("[1]") for r in results)  # the gradients, not the forward


def test_sweep_reports_a_missing_derivative(monkeypatch):
    monkeypatch.setattr(overload("cos"), "derivative", None)
    results = opinfo_grad.run_opinfo_grad(["cos"], max_samples_per_op=1)
    assert [r.outcome for r in results] == ["exception_drift"]
    assert "not implemented" in results[0].detail


@pytest.fixture(scope="module")
def expected():
    return json.loads(EXPECTED.read_text())


@pytest.fixture(scope="module")
def run(expected):
    results = opinfo_grad.run_opinfo_grad(max_samples_per_op=expected["max_samples_per_op"])
    return results, opinfo.passing_keys(results)


def test_differentiable_ops_discovered(run):
    results, _ = run
    names = set(opinfo_grad.grad_opinfo_names())
    assert {"add", "sin", "cumprod", "linalg.solve", "scatter_reduce.amax"} <= names
    assert {r.op for r in results} == names


def test_no_driver_crashes(run):
    results, _ = run
    crashes = [f"{r.op} #{r.index}: {r.detail}" for r in results if r.outcome == "driver_error"]
    assert not crashes, "\n".join(crashes[:5])


def test_no_regression_against_recorded_passes(run, expected):
    _, passing = run
    regressions = {op: sorted(set(keys) - set(passing.get(op, ())))
                   for op, keys in expected["passes"].items()}
    regressions = {op: lost for op, lost in regressions.items() if lost}
    assert not regressions, (
        "gradient samples that passed when fixtures/opinfo_grad_expected_passes.json was "
        f"written now fail (or the op vanished): {json.dumps(regressions)[:2000]}")


def test_import_does_not_load_torch():
    import subprocess
    import sys
    code = ("import sys, frankentorch.conformance.opinfo_grad; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
