"""Packet artifacts under ``artifacts/phase2c``: parity reports with RaptorQ sidecars and
decode proofs (generated from the last differential report), the validator (READY /
NOT_READY per packet), the integrity scrub, the reliability gate and the rollup pages."""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from ..serialization import sidecar
from . import logs
from .families import FAMILIES, Family
from .runner import DIFFERENTIAL_SCHEMA, KINDS

__all__ = ["PACKET_FILES", "GLOBAL_FILES", "publish", "validate", "scrub", "gate",
           "parse_gate", "packet_dir", "write_json"]

PACKET_FILES = ("legacy_anchor_map.md", "contract_table.md", "fixture_manifest.json",
                "parity_gate.yaml", "risk_note.md", "parity_report.json",
                "parity_report.raptorq.json", "parity_report.decode_proof.json",
                "parity_report.json.raptorq")
GLOBAL_FILES = ("SCHEMA_LOCK_V1.md", "TEST_LOG_CONTRACT_V1.md",
                "HARDENED_DEVIATION_ALLOWLIST_V1.json", "RELIABILITY_BUDGET_POLICY_V1.json",
                "conformance/differential_report_v1.json")
PARITY_SCHEMA = "ft-parity-report-v1"
PARITY_FIELDS = ("schema_version", "packet_id", "suite_id", "status", "generated_from",
                 "generated_unix_ms", "oracle", "strict", "hardened", "ops")
DIFFERENTIAL = "conformance/differential_report_v1.json"


def packet_dir(root: Path, packet_id: str) -> Path:
    return root / packet_id


def _read_json(path: Path):
    return json.loads(path.read_text())


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1) + "\n")


# ------------------------------------------------------------------ parity_gate.yaml

def parse_gate(text: str) -> dict:
    """The subset of YAML the gates use: nested mappings by indentation, scalars, ``[a, b]``."""
    root: dict = {}
    stack = [(-1, root)]
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(":")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value.strip() == "":
            parent[key] = {}
            stack.append((indent, parent[key]))
        else:
            parent[key] = _scalar(value.strip())
    return root


def _scalar(v: str):
    if v.startswith("[") and v.endswith("]"):
        return [_scalar(x.strip()) for x in v[1:-1].split(",") if x.strip()]
    if v in ("true", "false"):
        return v == "true"
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v.strip("\"'")


# ------------------------------------------------------------------ publish

def _fixture_manifest(family: Family, fixtures_root: Path) -> dict:
    files = []
    for kind in KINDS:
        path = fixtures_root / family.name / f"{kind}.json"
        if path.exists():
            data = _read_json(path)
            files.append({"file": f"fixtures/{family.name}/{kind}.json", "kind": kind,
                          "cases": len(data["cases"]),
                          "captured_with": data["captured_with"],
                          "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    return {"schema_version": "ft-fixture-manifest-v1", "packet_id": family.packet_id,
            "suite_id": family.suite_id, "family": family.name,
            "capture_command": f"python tools/capture_fixtures.py --family {family.name}",
            "modes": ["strict", "hardened"], "fixtures": files,
            "status": "captured" if files else "missing"}


def _parity_report(family: Family, diff: dict) -> dict | None:
    entry = diff["packets"].get(family.packet_id)
    if entry is None:
        return None
    modes = entry["modes"]
    strict, hardened = modes.get("strict"), modes.get("hardened")
    green = all(m is not None and m["failed"] == 0 for m in (strict, hardened))
    return {"schema_version": PARITY_SCHEMA, "packet_id": family.packet_id,
            "suite_id": family.suite_id, "status": "parity_green" if green else "drift",
            "generated_from": diff["generated_from"],
            "generated_unix_ms": diff["generated_unix_ms"], "oracle": diff["oracle"],
            "strict": strict, "hardened": hardened, "kinds": entry["kinds"],
            "ops": {o["op"]: o["modes"] for o in diff["ops"]
                    if o["packet_id"] == family.packet_id}}


def publish(root: Path, fixtures_root: Path) -> list[str]:
    """Write each packet's fixture manifest, and parity report + sidecar + decode proof from
    the differential report; returns the packets that got a parity report."""
    diff = _read_json(root / DIFFERENTIAL)
    done = []
    for family in FAMILIES:
        pdir = packet_dir(root, family.packet_id)
        write_json(pdir / "fixture_manifest.json", _fixture_manifest(family, fixtures_root))
        report = _parity_report(family, diff)
        if report is None:
            continue
        write_json(pdir / "parity_report.json", report)
        seal(pdir / "parity_report.json", f"{family.packet_id}/parity_report")
        done.append(family.packet_id)
    return done


LOSS_FRACTION = 0.08  #: share of source symbols destroyed before the proof's decode


def seal(path: Path, artifact_id: str) -> None:
    """RaptorQ-seal ``path``: the sidecar ``<file>.raptorq``, its manifest
    ``<name>.raptorq.json`` and ``<name>.decode_proof.json``, a real decode of a copy whose
    source symbols were partly destroyed."""
    manifest = sidecar.write_sidecar(path)
    write_json(path.with_suffix(".raptorq.json"), {
        "schema_version": "ft-raptorq-sidecar-manifest-v1", "artifact_id": artifact_id,
        "source_path": path.name, "sidecar_path": Path(sidecar.sidecar_path(path)).name,
        "source_sha256": manifest["file_sha256"], "raptorq": manifest})
    write_json(path.with_suffix(".decode_proof.json"), decode_proof(path, artifact_id))


def decode_proof(path: Path, artifact_id: str) -> dict:
    """Destroy every n-th source symbol of a copy of ``path``, repair the copy from the
    sidecar, and record what the decode used; status ``decode_verified`` only when the
    repaired bytes equal the original."""
    original = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        copy.write_bytes(original)
        shutil.copy(sidecar.sidecar_path(path), sidecar.sidecar_path(copy))
        t = json.loads(path.with_suffix(".raptorq.json").read_text())["raptorq"]["symbol_size"]
        k = -(-len(original) // t)
        stride = max(1, round(1 / LOSS_FRACTION))
        destroyed = list(range(0, k, stride))
        damaged = bytearray(original)
        for i in destroyed:
            damaged[i * t:min((i + 1) * t, len(original))] = b"\xff" * \
                (min((i + 1) * t, len(original)) - i * t)
        copy.write_bytes(bytes(damaged))
        proof = sidecar.repair(copy)
        recovered = copy.read_bytes()
    ok = recovered == original and proof["status"] == "repaired"
    return {"schema_version": "ft-raptorq-decode-proof-v1", "artifact_id": artifact_id,
            "source_path": path.name, "status": "decode_verified" if ok else "decode_failed",
            "source_sha256": hashlib.sha256(original).hexdigest(),
            "recovered_sha256": hashlib.sha256(recovered).hexdigest(),
            "destroyed_source_symbols": destroyed, "generated_unix_ms": int(time.time() * 1e3),
            "decode": proof}


# ------------------------------------------------------------------ validate

def _check_packet(root: Path, family: Family, allow: dict) -> dict:
    pdir = packet_dir(root, family.packet_id)
    errors, checks = [], {}
    for name in PACKET_FILES:
        checks[f"exists:{name}"] = (pdir / name).exists()
        if not checks[f"exists:{name}"]:
            errors.append(f"missing {family.packet_id}/{name}")
    for name in ("legacy_anchor_map.md", "contract_table.md", "risk_note.md"):
        path = pdir / name
        if path.exists() and family.packet_id not in path.read_text():
            errors.append(f"{name} does not name {family.packet_id}")
    report = gate_cfg = None
    if (pdir / "parity_report.json").exists():
        errors += _sidecar_errors(pdir)
        try:
            report = _read_json(pdir / "parity_report.json")
        except ValueError as e:
            report = {"unreadable": str(e)}
        missing = [f for f in PARITY_FIELDS if f not in report]
        if missing or report.get("packet_id") != family.packet_id:
            errors.append(f"parity_report.json: missing fields {missing} or wrong packet_id")
            report = None
    if (pdir / "parity_gate.yaml").exists():
        gate_cfg = parse_gate((pdir / "parity_gate.yaml").read_text())
        for key in ("packet_id", "strict", "hardened"):
            if key not in gate_cfg:
                errors.append(f"parity_gate.yaml lacks {key}")
    if report and gate_cfg and "strict" in gate_cfg and "hardened" in gate_cfg:
        errors += _gate_errors(family.packet_id, report, gate_cfg)
    if (pdir / "fixture_manifest.json").exists():
        man = _read_json(pdir / "fixture_manifest.json")
        if man.get("status") != "captured":
            errors.append("fixture_manifest.json: no captured fixtures")
    return {"packet_id": family.packet_id, "suite_id": family.suite_id,
            "status": "READY" if not errors else "NOT_READY", "errors": errors,
            "checks": checks}


def _gate_errors(pid: str, report: dict, cfg: dict) -> list[str]:
    errs = []
    for mode in ("strict", "hardened"):
        got, want = report.get(mode), cfg[mode]
        if got is None:
            errs.append(f"parity_report has no {mode} run")
            continue
        if got["cases"] < want.get("min_cases", 1):
            errs.append(f"{mode}: {got['cases']} cases < gate min_cases {want['min_cases']}")
        ratio = got["pass_ratio"] or 0.0
        if ratio < want.get("min_pass_ratio", 1.0):
            errs.append(f"{mode}: pass ratio {ratio:.4f} < gate min_pass_ratio "
                        f"{want['min_pass_ratio']}")
    hard = report.get("hardened") or {}
    limit = cfg["hardened"].get("max_unallowlisted_drift", 0)
    if hard.get("unallowlisted_deviations", 0) > limit:
        errs.append(f"hardened: {hard['unallowlisted_deviations']} deviations from torch "
                    f"outside the allowlist > {limit}")
    return errs


def _sidecar_errors(pdir: Path) -> list[str]:
    sc_path, proof_path = pdir / "parity_report.raptorq.json", pdir / "parity_report.decode_proof.json"
    if not sc_path.exists() or not proof_path.exists():
        return []
    target = pdir / "parity_report.json"
    sc, proof = _read_json(sc_path), _read_json(proof_path)
    errs = []
    try:
        state = sidecar.verify(target, decode=False).status
    except (sidecar.SidecarError, OSError) as e:
        return [f"parity_report.json.raptorq unusable: {e}"]
    if state != "intact":
        errs.append(f"parity_report.json does not match its RaptorQ sidecar ({state}; "
                    "run scrub)")
    if sc.get("source_sha256") != hashlib.sha256(target.read_bytes()).hexdigest() and \
            state == "intact":
        errs.append("parity_report.raptorq.json describes another version of the report")
    if proof.get("status") != "decode_verified" or \
            proof.get("recovered_sha256") != sc.get("source_sha256"):
        errs.append("parity_report.decode_proof.json is not a verified decode of this report")
    return errs


def _allowlist_errors(path: Path) -> list[str]:
    """Every allowed hardened deviation needs an id and a reason."""
    if not path.exists():
        return []
    data = _read_json(path)
    errs = [] if data.get("schema_version") == "hardened-deviation-allowlist-v1" else \
        [f"{path.name}: schema_version must be hardened-deviation-allowlist-v1"]
    for pid, entry in data.get("packets", {}).items():
        for dev in entry.get("allowed_deviations", []):
            if not dev.get("id") or not str(dev.get("reason", "")).strip():
                errs.append(f"{path.name}: a deviation of {pid} lacks an id or a reason")
    return errs


def validate(root: Path) -> dict:
    """READY / NOT_READY for every packet, and the global files."""
    from .runner import load_allowlist
    allow = load_allowlist(root / "HARDENED_DEVIATION_ALLOWLIST_V1.json")
    packets = [_check_packet(root, f, allow) for f in FAMILIES]
    global_errors = [f"missing {g}" for g in GLOBAL_FILES if not (root / g).exists()]
    global_errors += _allowlist_errors(root / "HARDENED_DEVIATION_ALLOWLIST_V1.json")
    if (root / DIFFERENTIAL).exists():
        diff = _read_json(root / DIFFERENTIAL)
        if diff.get("schema_version") != DIFFERENTIAL_SCHEMA:
            global_errors.append(f"{DIFFERENTIAL}: wrong schema_version")
        for p in packets:
            reason = diff.get("not_ready", {}).get(p["packet_id"])
            if reason:
                p["errors"].insert(0, f"last run could not run it: {reason}")
                p["status"] = "NOT_READY"
    ok = not global_errors and all(p["status"] == "READY" for p in packets)
    return {"schema_version": "ft-phase2c-validation-v1", "root": str(root), "ok": ok,
            "global_errors": global_errors, "packets": packets}


# ------------------------------------------------------------------ scrub

def scrub(root: Path) -> dict:
    """Verify every sealed artifact against its sidecar, repair damage, re-run a decode."""
    entries = []
    for sc_path in sorted(root.glob("*/*.raptorq.json")):
        target = sc_path.with_name(sc_path.name.replace(".raptorq.json", ".json"))
        manifest = _read_json(sc_path)
        entry = {"artifact": str(target.relative_to(root)), "status": "ok", "repaired": [],
                 "message": ""}
        try:
            fixed = sidecar.repair(target)
            Path(sidecar.proof_path(target)).unlink(missing_ok=True)
            entry["repaired"] = [s for b in fixed["blocks"] for s in b["lost_source_symbols"]]
            proof = decode_proof(target, manifest["artifact_id"])
            if fixed["status"] == "repaired":
                proof["scrub_repair"] = fixed
            write_json(target.with_suffix(".decode_proof.json"), proof)
            entry["status"] = "repaired" if entry["repaired"] else "ok"
            if proof["status"] != "decode_verified":
                entry["status"], entry["message"] = "fail", "re-run decode did not verify"
        except (sidecar.SidecarError, OSError, ValueError, KeyError) as e:
            entry["status"], entry["message"] = "fail", str(e)
        entries.append(entry)
    failed = sum(e["status"] == "fail" for e in entries)
    return {"schema_version": "ft-raptorq-integrity-scrub-v1",
            "generated_unix_ms": int(time.time() * 1000),
            "summary": {"total": len(entries), "repaired": sum(e["status"] == "repaired"
                                                               for e in entries),
                        "failed": failed},
            "entries": entries}


# ------------------------------------------------------------------ reliability gate

def gate(root: Path, policy_path: Path, e2e_path: Path | None) -> dict:
    """Coverage floors per packet (from the differential report) and the flake budget (a
    scenario both passing and failing in the e2e log): ``status`` pass or fail."""
    policy = _read_json(policy_path)
    diff = _read_json(root / DIFFERENTIAL)
    violations = []
    for pid, floor in policy["packets"].items():
        entry = diff["packets"].get(pid)
        if entry is None:
            if floor.get("enforced", True):
                violations.append({"budget_id": f"coverage_floor:{pid}:missing_packet",
                                   "message": diff.get("not_ready", {}).get(pid, "not run")})
            continue
        for mode, m in entry["modes"].items():
            if m.get("unallowlisted_deviations"):
                violations.append({"budget_id": f"hardened_allowlist:{pid}",
                                   "message": f"{m['unallowlisted_deviations']} hardened "
                                              "deviations not in the allowlist"})
            if m["cases"] < floor["min_cases"]:
                violations.append({"budget_id": f"coverage_floor:{pid}:{mode}:cases",
                                   "message": f"{m['cases']} < {floor['min_cases']}"})
            if (m["pass_ratio"] or 0) < floor["min_pass_ratio"][mode]:
                violations.append({"budget_id": f"pass_ratio:{pid}:{mode}",
                                   "message": f"{m['pass_ratio']} < "
                                              f"{floor['min_pass_ratio'][mode]}"})
        for kind in floor.get("required_kinds", []):
            if not entry["kinds"].get(kind):
                violations.append({"budget_id": f"required_kind:{pid}:{kind}",
                                   "message": f"no {kind} cases"})
    flakes = []
    if e2e_path is not None and e2e_path.exists():
        seen: dict[str, set] = {}
        for rec in logs.read_jsonl(e2e_path):
            seen.setdefault(rec["scenario_id"], set()).add(rec["outcome"])
        flakes = sorted(s for s, outs in seen.items() if "pass" in outs and len(outs) > 1)
    if len(flakes) > policy["flake_budget"]["max_flake_suspects"]:
        violations.append({"budget_id": "flake_budget:max_flake_suspects",
                           "message": f"{len(flakes)} flaky scenarios: {flakes[:10]}"})
    return {"schema_version": "ft-reliability-gate-report-v1",
            "generated_unix_ms": int(time.time() * 1000), "policy": str(policy_path),
            "status": "fail" if violations else "pass", "flake_suspects": flakes,
            "violations": violations}
