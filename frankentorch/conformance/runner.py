"""Run fixture families in strict and hardened mode against an oracle; build logs and reports.

Oracles: ``fixtures`` compares with the results captured from torch in ``fixtures/<family>/``
(torch need not be installed); ``live`` runs the same programs with the installed torch now
(and, for the kernels family, the whole OpInfo sweep, forward and backward).
"""
from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import frankentorch as ft

from . import logs
from .families import FAMILIES, Case, Family, NotReady, case_seed, load
from .observe import DRIFT_CLASSES, compare_observations, observe

__all__ = ["ROOT", "FIXTURES", "ARTIFACTS", "CaseResult", "fixture_cases", "expected_live",
           "run", "load_allowlist", "differential_report", "log_records"]

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
ARTIFACTS = ROOT / "artifacts" / "phase2c"
ALLOWLIST = ARTIFACTS / "HARDENED_DEVIATION_ALLOWLIST_V1.json"
DIFFERENTIAL_SCHEMA = "ft-conformance-differential-v1"
KINDS = ("happy", "edge", "adversarial")


@dataclass
class CaseResult:
    """The outcome of one case in one mode."""
    family: Family
    case: dict       #: :meth:`Case.as_dict` form
    mode: str
    oracle: str
    outcome: str     #: pass | fail | allowlisted_drift
    reason_code: str
    drift: dict | None
    duration_ms: float

    @property
    def scenario_id(self) -> str:
        return logs.scenario_id(self.family.suite_id, self.mode, self.case["id"])


def fixture_path(family: Family, kind: str, root: Path = FIXTURES) -> Path:
    return root / family.name / f"{kind}.json"


def fixture_cases(family: Family, root: Path = FIXTURES) -> list[dict]:
    """Captured cases of a family (each with its ``expected`` observation)."""
    out = []
    for kind in KINDS:
        path = fixture_path(family, kind, root)
        if path.exists():
            out.extend(json.loads(path.read_text())["cases"])
    if not out:
        raise NotReady(f"{family.packet_id} ({family.name}): no captured fixtures in "
                       f"{root / family.name}; run tools/capture_fixtures.py")
    return out


def load_allowlist(path: Path = ALLOWLIST) -> dict[str, set]:
    """packet id -> allowed hardened deviation ids."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {pid: {d["id"] for d in entry.get("allowed_deviations", [])}
            for pid, entry in data.get("packets", {}).items()}


def _seeded(lib, seed: int) -> None:
    manual_seed = getattr(lib, "manual_seed", None)
    if manual_seed is not None:
        manual_seed(seed % (2 ** 32))


def _execute(module, case: dict, lib):
    api = module.api(lib) if hasattr(module, "api") else lib
    _seeded(lib, case_seed(module.FAMILY, case["id"]))
    program = getattr(module, case["program"])
    return observe(lambda: program(api, **case["params"]))


def expected_live(module, case: dict):
    """torch's observation of a case, now."""
    import torch
    return _execute(module, case, torch)[0]


def _classify(family: Family, case: dict, mode: str, cls: str, detail: str, expected, actual,
              allow: dict) -> tuple[str, str, dict | None]:
    if cls == "pass":
        return "pass", "parity_ok", None
    drift = {"class": cls, "detail": detail, "expected": _trim(expected),
             "actual": _trim(actual)}
    dev = case.get("hardened_deviation")
    if mode == "hardened" and dev:
        if dev in allow.get(family.packet_id, set()):
            return "allowlisted_drift", f"hardened_allowlisted:{dev}", drift
        return "fail", f"hardened_deviation_not_allowlisted:{dev}", drift
    return "fail", cls, drift


def _trim(obs):
    text = json.dumps(obs)
    return obs if len(text) <= 600 else text[:600] + "..."


def _run_cases(family, module, cases, modes, oracle, allow, progress) -> list[CaseResult]:
    results = []
    for case in cases:
        expected = case["expected"] if oracle == "fixtures" else expected_live(module, case)
        for mode in modes:
            with ft.using_mode(mode):
                actual, ms = _execute(module, case, ft)
            cls, detail = compare_observations(actual, expected,
                                               check_strides=case.get("check_strides", True))
            outcome, reason, drift = _classify(family, case, mode, cls, detail, expected,
                                               actual, allow)
            results.append(CaseResult(family, case, mode, oracle, outcome, reason, drift, ms))
        progress(1)
    return results


def _live_cases(module) -> list[dict]:
    return [c.as_dict() if isinstance(c, Case) else c for c in module.cases()]


def _select(cases: list[dict], family: Family, case_ids) -> list[dict]:
    if not case_ids:
        return cases
    wanted = {c.split("/", 1)[1] if c.startswith(family.name + "/") else c for c in case_ids}
    return [c for c in cases if c["id"] in wanted]


def run(families=FAMILIES, modes=("strict", "hardened"), oracle: str = "fixtures",
        case_ids=None, allowlist: Path = ALLOWLIST, fixtures_root: Path = FIXTURES,
        on_family=None, progress=lambda n: None, max_samples: int | None = None
        ) -> tuple[list[CaseResult], dict]:
    """Run the families; returns (results, not_ready) where ``not_ready`` maps packet ids to
    the reason their family could not run. ``on_family(family, n_cases)`` is called before a
    family runs (for progress display); ``max_samples`` caps the OpInfo samples per op and
    dtype of a live sweep (None: all)."""
    allow = load_allowlist(allowlist)
    results: list[CaseResult] = []
    not_ready: dict[str, str] = {}
    for family in families:
        try:
            module = load(family)
            if oracle == "live" and hasattr(module, "live"):
                if on_family:
                    on_family(family, module.live_size() * len(modes))
                for case, mode, cls, detail, ms in module.live(modes, case_ids, progress,
                                                                  max_samples):
                    outcome, reason, drift = _classify(family, case, mode, cls, detail,
                                                       None, None, allow)
                    if drift:
                        drift["expected"] = drift["actual"] = None
                    results.append(CaseResult(family, case, mode, oracle, outcome, reason,
                                              drift, ms))
                continue
            cases = fixture_cases(family, fixtures_root) if oracle == "fixtures" \
                else _live_cases(module)
        except NotReady as e:
            not_ready[family.packet_id] = str(e)
            continue
        cases = _select(cases, family, case_ids)
        if on_family:
            on_family(family, len(cases))
        results.extend(_run_cases(family, module, cases, modes, oracle, allow, progress))
    return results, not_ready


def _artifact_refs(r: CaseResult) -> list[str]:
    fam = r.family
    refs = [f"fixtures/{fam.name}/{r.case.get('kind', 'happy')}.json"]
    if r.oracle == "live" and fam.name == "kernels":
        refs = ["fixtures/opinfo_expected_passes.json"]
    return refs + [f"artifacts/phase2c/{fam.packet_id}/parity_report.json",
                   "artifacts/phase2c/conformance/differential_report_v1.json"]


def log_records(results: list[CaseResult]) -> list[dict]:
    """One ``ft-conformance-log-v1`` record per result."""
    env = logs.env_fingerprint()
    out = []
    for r in results:
        fam, cid = r.family, r.case["id"]
        out.append({
            "schema_version": logs.SCHEMA_VERSION, "scenario_id": r.scenario_id,
            "packet_id": fam.packet_id, "suite_id": fam.suite_id,
            "seed": case_seed(fam.suite_id, cid), "mode": r.mode, "env_fingerprint": env,
            "artifact_refs": _artifact_refs(r),
            "replay_command": logs.replay_command(fam.packet_id, fam.suite_id, cid, r.mode,
                                                  r.oracle),
            "outcome": r.outcome, "reason_code": r.reason_code,
            "duration_ms": round(r.duration_ms, 3), "drift": r.drift})
    return out


def _counts() -> dict:
    return {"cases": 0, "passed": 0, "failed": 0, "allowlisted": 0,
            "unallowlisted_deviations": 0, "drift": Counter()}


def _add(c: dict, r: CaseResult) -> None:
    c["cases"] += 1
    if r.outcome == "pass":
        c["passed"] += 1
    elif r.outcome == "allowlisted_drift":
        c["allowlisted"] += 1
        c["drift"][r.drift["class"]] += 1
    else:
        c["failed"] += 1
        c["drift"][r.drift["class"]] += 1
        if r.reason_code.startswith("hardened_deviation_not_allowlisted"):
            c["unallowlisted_deviations"] += 1


def _finish(c: dict) -> dict:
    c["drift"] = dict(sorted(c["drift"].items()))
    c["pass_ratio"] = round(c["passed"] / c["cases"], 6) if c["cases"] else None
    return c


def differential_report(results: list[CaseResult], not_ready: dict, *, oracle: str,
                        modes, command: str) -> dict:
    """Per packet and per op, counts of cases and drift by class, for each mode."""
    packets: dict = {}
    ops: dict = defaultdict(lambda: defaultdict(_counts))
    for r in results:
        p = packets.setdefault(r.family.packet_id, {
            "suite_id": r.family.suite_id, "title": r.family.title,
            "modes": defaultdict(_counts), "kinds": Counter()})
        _add(p["modes"][r.mode], r)
        if r.mode == modes[0]:
            p["kinds"][r.case.get("kind", "happy")] += 1
        _add(ops[(r.family.packet_id, r.case.get("op") or r.case["program"])][r.mode], r)
    for p in packets.values():
        p["modes"] = {m: _finish(c) for m, c in p["modes"].items()}
        p["kinds"] = dict(p["kinds"])
    blocking = [{"scenario_id": r.scenario_id, "packet_id": r.family.packet_id,
                 "class": r.drift["class"], "reason_code": r.reason_code,
                 "detail": r.drift["detail"][:300],
                 "replay_command": logs.replay_command(r.family.packet_id, r.family.suite_id,
                                                       r.case["id"], r.mode, r.oracle)}
                for r in results if r.outcome == "fail"]
    torch_version = logs.env_fingerprint()["torch"]
    return {
        "schema_version": DIFFERENTIAL_SCHEMA,
        "generated_from": command,
        "generated_unix_ms": int(time.time() * 1000),
        "oracle": {"kind": oracle, "torch_version": torch_version},
        "env_fingerprint": logs.env_fingerprint(),
        "modes": list(modes),
        "taxonomy": DRIFT_CLASSES,
        "totals": _finish(_totals(results)),
        "packets": dict(sorted(packets.items())),
        "not_ready": dict(sorted(not_ready.items())),
        "ops": [{"packet_id": pid, "op": op, "modes": {m: _finish(c) for m, c in cs.items()}}
                for (pid, op), cs in sorted(ops.items())],
        "hardened_allowlisted": sorted({r.reason_code for r in results
                                        if r.outcome == "allowlisted_drift"}),
        "blocking_drifts": blocking,
    }


def _totals(results) -> dict:
    c = _counts()
    for r in results:
        _add(c, r)
    return c
