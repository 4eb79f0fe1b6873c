"""The conformance harness breaks when it should: planted drift is caught and replayable,
missing or corrupted artifacts are named or repaired, unlisted hardened deviations fail."""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import frankentorch as ft
from frankentorch.conformance import artifacts, logs, runner
from frankentorch.conformance.families import FAMILIES, Case, Family, by_packet
from frankentorch.conformance.observe import compare_observations, encode, observe

ROOT = runner.ROOT


def _cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frankentorch", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


# ------------------------------------------------------------------ observations

def test_observations_classify_each_drift():
    t = ft.arange(6.0).reshape(2, 3)
    e = encode(t)
    assert compare_observations(encode(t), e) == ("pass", "")
    assert compare_observations(encode(t + 1e-3), e)[0] == "value_drift"
    assert compare_observations(encode(t.double()), e)[0] == "dtype_drift"
    assert compare_observations(encode(t.reshape(3, 2)), e)[0] == "shape_drift"
    assert compare_observations(encode(t.t().contiguous().t()), e)[0] == "stride_drift"
    raised, _ = observe(lambda: t.view(5))
    assert compare_observations(raised, e)[0] == "exception_drift"
    missing, _ = observe(lambda: ft.definitely_not_an_op(t))
    assert compare_observations(missing, e)[0] == "missing_op"
    assert compare_observations(raised, {"$raises": "RuntimeError"}) == ("pass", "")
    assert compare_observations({"a": [1, 2.0]}, {"a": [1, 2.5]})[0] == "value_drift"
    nan = encode(ft.tensor([float("nan"), float("inf")]))
    assert compare_observations(nan, json.loads(json.dumps(nan))) == ("pass", "")


# ------------------------------------------------------------------ fixtures and logs

@pytest.fixture(scope="module")
def fixture_run():
    fams = [f for f in FAMILIES if f.packet_id in ("FT-P2C-001", "FT-P2C-002", "FT-P2C-004")]
    return runner.run(fams, ("strict", "hardened"), "fixtures")


def test_fixture_families_have_every_kind_and_run_in_both_modes(fixture_run):
    results, not_ready = fixture_run
    assert not not_ready
    by = {}
    for r in results:
        by.setdefault(r.family.packet_id, set()).add((r.mode, r.case["kind"]))
    for pid, seen in by.items():
        assert {(m, k) for m in ("strict", "hardened")
                for k in ("happy", "edge", "adversarial")} <= seen, pid
    assert sum(r.outcome == "pass" for r in results) > 0.8 * len(results)


def test_fixture_expectations_come_from_a_torch_capture():
    for family in FAMILIES[:5]:
        for kind in ("happy", "edge", "adversarial"):
            path = runner.fixture_path(family, kind)
            if path.exists():
                data = json.loads(path.read_text())
                assert data["captured_with"]["command"].startswith(
                    "python tools/capture_fixtures.py")
                assert data["captured_with"]["torch"].startswith("2.")


def test_log_records_conform_to_the_contract(fixture_run):
    results, _ = fixture_run
    records = runner.log_records(results)
    assert all(logs.validate_record(r) == [] for r in records)
    assert tuple(records[0]) == logs.FIELDS
    bad = dict(records[0], seed=-1, extra=1)
    assert logs.validate_record(bad)


def test_fixture_capture_matches_live_torch():
    """Stored expectations still equal what torch gives now (tensor core family)."""
    family = by_packet("FT-P2C-001")
    out = subprocess.run([sys.executable, "tools/capture_fixtures.py", "--check",
                          "--family", family.name], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# ------------------------------------------------------------------ planted drift

def test_planted_wrong_kernel_is_value_drift_with_working_replay(tmp_path):
    """sitecustomize makes frankentorch's add wrong by 1 in a child process: the case is
    reported as value drift, and its replay command reproduces the failure there while it
    passes in a clean process."""
    plant = tmp_path / "plant"
    plant.mkdir()
    (plant / "sitecustomize.py").write_text(
        "import frankentorch as ft\n"
        "_real = ft.Tensor.__add__\n"
        "ft.Tensor.__add__ = lambda a, b: _real(_real(a, b), 1)\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(plant)}
    out = subprocess.run([sys.executable, "-m", "frankentorch", "conformance", "run",
                          "--packet", "FT-P2C-004", "--oracle", "fixtures", "--mode", "strict",
                          "--output", str(tmp_path / "out")],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 1, out.stdout[-2000:]
    records = logs.read_jsonl(tmp_path / "out" / "conformance_log_v1.jsonl")
    drift = [r for r in records if r["reason_code"] == "value_drift"]
    assert drift, [r["reason_code"] for r in records]
    rec = next(r for r in drift if "graph/diamond" in r["scenario_id"])
    assert rec["drift"]["class"] == "value_drift" and "loss" in rec["drift"]["detail"]
    replay = shlex.split(rec["replay_command"])
    assert replay[:5] == ["python", "-m", "frankentorch", "conformance", "run"]
    again = subprocess.run([sys.executable, *replay[1:]], cwd=ROOT, capture_output=True,
                           text=True, env=env, timeout=300)
    assert again.returncode == 1 and "value_drift" in again.stdout
    clean = subprocess.run([sys.executable, *replay[1:]], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert clean.returncode == 0, clean.stdout[-1500:]


def _toy_family(tmp_path: Path, deviation: str) -> tuple[Family, types.ModuleType]:
    """A family whose one program behaves differently in hardened mode."""
    mod = types.ModuleType("frankentorch.conformance.families.toy_hardened")
    mod.FAMILY = "toy_hardened"
    mod.guarded = lambda m: 1 if getattr(m, "get_mode", lambda: "strict")() == "strict" else 2
    mod.cases = lambda: [Case("guarded", "adversarial", "guarded",
                              hardened_deviation=deviation)]
    sys.modules[mod.__name__] = mod
    return Family("toy_hardened", "FT-P2C-001", "toy", "toy_hardened", ()), mod


def test_hardened_deviation_must_be_allowlisted(tmp_path):
    family, _ = _toy_family(tmp_path, "toy.unlisted")
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"packets": {"FT-P2C-001": {"allowed_deviations": [
        {"id": "toy.listed", "reason": "r"}]}}}))
    (tmp_path / "fx" / "toy_hardened").mkdir(parents=True)
    (tmp_path / "fx" / "toy_hardened" / "adversarial.json").write_text(json.dumps(
        {"cases": [dict(Case("guarded", "adversarial", "guarded",
                             hardened_deviation="toy.unlisted").as_dict(), expected=1)]}))
    results, _ = runner.run([family], ("strict", "hardened"), "fixtures", allowlist=allow,
                            fixtures_root=tmp_path / "fx")
    outcome = {r.mode: (r.outcome, r.reason_code) for r in results}
    assert outcome["strict"] == ("pass", "parity_ok")
    assert outcome["hardened"] == ("fail", "hardened_deviation_not_allowlisted:toy.unlisted")
    root = tmp_path / "root"
    diff = runner.differential_report(results, {}, oracle="fixtures",
                                      modes=("strict", "hardened"), command="test")
    (root / "conformance").mkdir(parents=True)
    (root / artifacts.DIFFERENTIAL).write_text(json.dumps(diff))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"flake_budget": {"max_flake_suspects": 0}, "packets": {
        "FT-P2C-001": {"min_cases": 1, "min_pass_ratio": {"strict": 1.0, "hardened": 0.0}}}}))
    verdict = artifacts.gate(root, policy, None)
    assert verdict["status"] == "fail"
    assert [v["budget_id"] for v in verdict["violations"]] == ["hardened_allowlist:FT-P2C-001"]
    allow.write_text(json.dumps({"packets": {"FT-P2C-001": {"allowed_deviations": [
        {"id": "toy.unlisted", "reason": "r"}]}}}))
    results, _ = runner.run([family], ("hardened",), "fixtures", allowlist=allow,
                            fixtures_root=tmp_path / "fx")
    assert results[0].outcome == "allowlisted_drift"


# ------------------------------------------------------------------ artifacts

@pytest.fixture()
def phase2c(tmp_path):
    root = tmp_path / "phase2c"
    shutil.copytree(runner.ARTIFACTS, root, ignore=shutil.ignore_patterns("*.jsonl"))
    return root


def test_validator_names_a_missing_artifact(phase2c):
    assert "missing FT-P2C-002/contract_table.md" not in \
        _cli("artifacts", "validate", "--root", str(phase2c)).stdout
    (phase2c / "FT-P2C-002" / "contract_table.md").unlink()
    out = _cli("artifacts", "validate", "--root", str(phase2c))
    assert out.returncode == 1
    assert "FT-P2C-002 NOT_READY" in out.stdout
    assert "missing FT-P2C-002/contract_table.md" in out.stdout


def test_packets_that_cannot_run_are_not_ready_with_reason(phase2c, tmp_path):
    family = by_packet("FT-P2C-007")
    results, not_ready = runner.run([family], ("strict",), "fixtures",
                                    fixtures_root=tmp_path / "no_fixtures")
    assert not results and "no captured fixtures" in not_ready["FT-P2C-007"]
    diff = json.loads((phase2c / artifacts.DIFFERENTIAL).read_text())
    diff["not_ready"] = not_ready
    (phase2c / artifacts.DIFFERENTIAL).write_text(json.dumps(diff))
    report = {p["packet_id"]: p for p in artifacts.validate(phase2c)["packets"]}
    assert report["FT-P2C-007"]["status"] == "NOT_READY"
    assert "no captured fixtures" in report["FT-P2C-007"]["errors"][0]


def test_allowlist_entries_need_a_reason(phase2c):
    path = phase2c / "HARDENED_DEVIATION_ALLOWLIST_V1.json"
    data = json.loads(path.read_text())
    assert not artifacts.validate(phase2c)["global_errors"]
    data["packets"]["FT-P2C-004"]["allowed_deviations"].append({"id": "x.y", "reason": " "})
    path.write_text(json.dumps(data))
    errors = artifacts.validate(phase2c)["global_errors"]
    assert errors == [f"{path.name}: a deviation of FT-P2C-004 lacks an id or a reason"]


def test_scrub_repairs_a_corrupted_report_from_its_sidecar(phase2c):
    report = phase2c / "FT-P2C-001" / "parity_report.json"
    good = report.read_bytes()
    damaged = bytearray(good)
    damaged[40:120] = b"#" * 80
    report.write_bytes(bytes(damaged))
    out = _cli("artifacts", "validate", "--root", str(phase2c))
    assert "does not match its RaptorQ sidecar" in out.stdout
    out = _cli("artifacts", "scrub", "--root", str(phase2c))
    assert out.returncode == 0, out.stdout
    assert "FT-P2C-001/parity_report.json: repaired" in out.stdout
    assert report.read_bytes() == good
    proof = json.loads((phase2c / "FT-P2C-001" / "parity_report.decode_proof.json").read_text())
    assert proof["status"] == "decode_verified" and proof["destroyed_source_symbols"]


def test_gate_fails_when_a_floor_is_missed(phase2c):
    assert artifacts.gate(phase2c, phase2c / "RELIABILITY_BUDGET_POLICY_V1.json",
                          None)["status"] in ("pass", "fail")
    policy = json.loads((phase2c / "RELIABILITY_BUDGET_POLICY_V1.json").read_text())
    policy["packets"]["FT-P2C-001"]["min_cases"] = 10 ** 6
    (phase2c / "strict_policy.json").write_text(json.dumps(policy))
    out = _cli("artifacts", "gate", "--root", str(phase2c), "--policy",
               str(phase2c / "strict_policy.json"))
    assert out.returncode == 2
    assert "coverage_floor:FT-P2C-001:strict:cases" in out.stdout


def test_parity_gate_yaml_is_parsed():
    cfg = artifacts.parse_gate((runner.ARTIFACTS / "FT-P2C-001" / "parity_gate.yaml")
                               .read_text())
    assert cfg["packet_id"] == "FT-P2C-001"
    assert cfg["strict"]["min_pass_ratio"] == 1.0 and cfg["hardened"]["min_cases"] > 0


# ------------------------------------------------------------------ live oracle

def test_live_oracle_on_a_subset_including_opinfo_backward(tmp_path):
    """torch as the oracle, now: the tensor core family and OpInfo forward+backward of add."""
    out = _cli("conformance", "run", "--packet", "FT-P2C-005", "--oracle", "live",
               "--mode", "strict", "--case", "kernels/opinfo/add/backward:float32:0",
               "--case", "kernels/opinfo/add/function:float32:0",
               "--output", str(tmp_path))
    assert out.returncode == 0, out.stdout[-2000:]
    recs = logs.read_jsonl(tmp_path / "conformance_log_v1.jsonl")
    assert {r["scenario_id"] for r in recs} == {
        "kernels/strict:opinfo/add/backward:float32:0",
        "kernels/strict:opinfo/add/function:float32:0"}
    results, _ = runner.run([by_packet("FT-P2C-001")], ("strict",), "live")
    assert len(results) > 50 and all(r.oracle == "live" for r in results)


def test_triage_groups_failures_with_replay_commands(tmp_path, fixture_run):
    results, _ = fixture_run
    log = tmp_path / "e2e.jsonl"
    recs = runner.log_records(results)
    recs.append(dict(recs[0], outcome="fail", reason_code="value_drift",
                     drift={"class": "value_drift", "detail": "x", "expected": 1,
                            "actual": 2}))
    logs.write_jsonl(log, recs)
    assert _cli("conformance", "validate-log", str(log)).returncode == 0
    assert _cli("conformance", "triage", "--input", str(log), "--output",
                str(tmp_path / "t.json")).returncode == 0
    triage = json.loads((tmp_path / "t.json").read_text())
    inc = next(i for i in triage["incidents"] if i["reason_code"] == "value_drift")
    assert inc["replay_commands"] and inc["class"] == "numerics"
    assert _cli("conformance", "forensics", "--e2e", str(log), "--triage",
                str(tmp_path / "t.json"), "--output", str(tmp_path / "f.json")).returncode == 0
