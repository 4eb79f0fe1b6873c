"""``python -m frankentorch conformance ...`` and ``python -m frankentorch artifacts ...``."""
from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from pathlib import Path

from .artifacts import write_json

__all__ = ["add_subcommands", "dispatch"]

PACKETS = [f"FT-P2C-00{i}" for i in range(1, 9)]
TRIAGE_CLASSES = (  # reason-code prefix -> (class, severity)
    ("hardened_deviation_not_allowlisted", "hardened_policy", "critical"),
    ("harness_error", "harness", "critical"),
    ("exception_drift", "exception_contract", "high"),
    ("value_drift", "numerics", "high"),
    ("dtype_drift", "type_promotion", "high"),
    ("shape_drift", "shape_contract", "high"),
    ("stride_drift", "layout_contract", "medium"),
    ("missing_op", "coverage_gap", "medium"),
    ("unsupported_dtype", "coverage_gap", "medium"),
)
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def add_subcommands(sub) -> None:
    """Register ``conformance`` and ``artifacts`` on an argparse subparsers object."""
    from .runner import ARTIFACTS
    conf = sub.add_parser("conformance", help="run conformance cases against torch or fixtures")
    csub = conf.add_subparsers(dest="conformance_command", metavar="ACTION", required=True)
    for name, helptext in (("run", "run fixture families; write log and differential report"),
                           ("e2e", "run families and write the forensic JSONL matrix")):
        p = csub.add_parser(name, help=helptext)
        p.add_argument("--packet", action="append", choices=PACKETS,
                       help="limit to a packet (repeatable)")
        p.add_argument("--mode", choices=("strict", "hardened", "both"), default="both")
        p.add_argument("--oracle", choices=("live", "fixtures"), default="fixtures")
        p.add_argument("--case", action="append", help="only this case id (repeatable)")
        p.add_argument("--max-samples", type=int, metavar="N",
                       help="live OpInfo sweep: first N samples per op and dtype (default all)")
        if name == "run":
            p.add_argument("--output", type=Path,
                           help=f"directory for the log and report (default "
                                f"{ARTIFACTS.relative_to(ARTIFACTS.parents[1])}/conformance; "
                                "none when --case is given)")
        else:
            p.add_argument("--output", type=Path, required=True, help="JSONL file")
    t = csub.add_parser("triage", help="group failed log records into incidents")
    t.add_argument("--input", type=Path, required=True)
    t.add_argument("--output", type=Path, required=True)
    f = csub.add_parser("forensics", help="index failures with their evidence per packet")
    f.add_argument("--e2e", type=Path, required=True)
    f.add_argument("--triage", type=Path, required=True)
    f.add_argument("--output", type=Path, required=True)
    v = csub.add_parser("validate-log", help="check a JSONL log against ft-conformance-log-v1")
    v.add_argument("path", type=Path)

    art = sub.add_parser("artifacts", help="validate, seal, scrub and roll up packet artifacts")
    asub = art.add_subparsers(dest="artifacts_command", metavar="ACTION", required=True)
    for name, helptext in (("validate", "READY / NOT_READY per packet (exit 1 if any not)"),
                           ("rollup", "parity reports, sidecars, proofs, ROLLUP.md/rollup.html"),
                           ("scrub", "verify sidecars, repair damage, re-run decodes"),
                           ("gate", "reliability budgets (exit 2 on a violation)")):
        p = asub.add_parser(name, help=helptext)
        p.add_argument("--root", type=Path, default=ARTIFACTS)
        if name == "gate":
            p.add_argument("--policy", type=Path)
            p.add_argument("--e2e", type=Path)
        if name == "rollup":
            p.add_argument("--fixtures", type=Path)


def dispatch(args) -> int:
    if args.command == "conformance":
        return {"run": _run, "e2e": _e2e, "triage": _triage, "forensics": _forensics,
                "validate-log": _validate_log}[args.conformance_command](args)
    return {"validate": _validate, "rollup": _rollup, "scrub": _scrub,
            "gate": _gate}[args.artifacts_command](args)


# ------------------------------------------------------------------ conformance

def _families(packets):
    from .families import FAMILIES
    return [f for f in FAMILIES if not packets or f.packet_id in packets]


def _execute(args):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn
    from . import runner
    modes = ("strict", "hardened") if args.mode == "both" else (args.mode,)
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        state = {}

        def on_family(family, total):
            state["task"] = bar.add_task(f"{family.packet_id} {family.name}", total=total)

        results, not_ready = runner.run(
            _families(args.packet), modes, args.oracle, args.case, on_family=on_family,
            progress=lambda n: bar.advance(state["task"], n), max_samples=args.max_samples)
    return modes, results, not_ready


def _summary(results, not_ready) -> None:
    from rich.console import Console
    from rich.table import Table
    from collections import Counter
    table = Table(title="conformance summary")
    for col in ("packet", "mode", "cases", "pass", "drift", "allowlisted", "drift classes"):
        table.add_column(col)
    groups: dict = {}
    for r in results:
        groups.setdefault((r.family.packet_id, r.mode), []).append(r)
    for (pid, mode), rs in sorted(groups.items()):
        c = Counter(r.outcome for r in rs)
        classes = Counter(r.drift["class"] for r in rs if r.drift)
        table.add_row(pid, mode, str(len(rs)), str(c["pass"]), str(c["fail"]),
                      str(c["allowlisted_drift"]),
                      ", ".join(f"{k} {v}" for k, v in classes.most_common()),
                      style="green" if not c["fail"] else "red")
    for pid, why in sorted(not_ready.items()):
        table.add_row(pid, "-", "-", "-", "-", "-", f"NOT READY: {why}", style="yellow")
    Console(width=150).print(table)


def _command(argv=None) -> str:
    return "python -m frankentorch " + shlex.join(sys.argv[1:] if argv is None else argv)


def _run(args) -> int:
    from . import logs, runner
    modes, results, not_ready = _execute(args)
    _summary(results, not_ready)
    for r in results:
        if r.outcome != "pass" and args.case:
            print(f"{r.scenario_id}: {r.outcome} ({r.reason_code}) {r.drift['detail']}")
    out = args.output or (None if args.case else runner.ARTIFACTS / "conformance")
    if out is not None:
        records = runner.log_records(results)
        logs.write_jsonl(out / "conformance_log_v1.jsonl", records)
        report = runner.differential_report(results, not_ready, oracle=args.oracle,
                                            modes=modes, command=_command())
        write_json(out / "differential_report_v1.json", report)
        print(f"wrote {out / 'conformance_log_v1.jsonl'} ({len(records)} records) and "
              f"{out / 'differential_report_v1.json'}")
    strict_drift = sum(r.outcome == "fail" and r.mode == "strict" for r in results)
    hardened_drift = sum(r.outcome == "fail" and r.mode == "hardened" for r in results)
    print(f"{len(results)} case-runs; strict drift {strict_drift}; hardened drift outside "
          f"the allowlist {hardened_drift}")
    if not results:
        print("no case ran", file=sys.stderr)
        return 1
    return 1 if strict_drift or hardened_drift else 0


def _e2e(args) -> int:
    from . import logs, runner
    _, results, not_ready = _execute(args)
    records = runner.log_records(results)
    logs.write_jsonl(args.output, records)
    failed = sum(r["outcome"] == "fail" for r in records)
    print(json.dumps({"status": "ok" if not failed else "needs_attention",
                      "output_path": str(args.output), "log_entries": len(records),
                      "failed_entries": failed, "not_ready": not_ready}))
    return 0


def _stable_id(prefix: str, *parts: str) -> str:
    return f"{prefix}:" + hashlib.blake2b("\x1f".join(parts).encode(),
                                          digest_size=8).hexdigest()


def _classify(reason: str) -> tuple[str, str]:
    for prefix, cls, severity in TRIAGE_CLASSES:
        if reason.startswith(prefix):
            return cls, severity
    return "unclassified", "high"


def _triage(args) -> int:
    from . import logs
    records = logs.read_jsonl(args.input)
    incidents: dict = {}
    for rec in records:
        if rec["outcome"] != "fail":
            continue
        cls, severity = _classify(rec["reason_code"])
        key = (rec["packet_id"], rec["reason_code"])
        inc = incidents.setdefault(key, {
            "incident_id": _stable_id("triage", *key), "class": cls, "severity": severity,
            "packet_id": rec["packet_id"], "reason_code": rec["reason_code"],
            "occurrences": 0, "scenarios": [], "replay_commands": []})
        inc["occurrences"] += 1
        if len(inc["scenarios"]) < 25:
            inc["scenarios"].append(rec["scenario_id"])
            inc["replay_commands"].append(rec["replay_command"])
    ordered = sorted(incidents.values(),
                     key=lambda i: (SEVERITY_RANK[i["severity"]], -i["occurrences"]))
    report = {"schema_version": "ft-crash-triage-v1", "generated_unix_ms": int(time.time() * 1e3),
              "input_log_path": str(args.input), "total_entries": len(records),
              "failed_entries": sum(r["outcome"] == "fail" for r in records),
              "incidents": ordered}
    write_json(args.output, report)
    print(f"{len(ordered)} incidents from {report['failed_entries']} failed entries -> "
          f"{args.output}")
    return 0


def _forensics(args) -> int:
    from . import logs
    from .families import FAMILIES
    from .runner import ROOT
    records = logs.read_jsonl(args.e2e)
    triage = json.loads(args.triage.read_text())

    def link(category: str, ref: str) -> dict:
        return {"category": category, "ref": ref,
                "exists": category == "unit" or (ROOT / ref).exists()}
    packets = {}
    for fam in FAMILIES:
        pid = fam.packet_id
        packets[pid] = {"suite_id": fam.suite_id, "evidence": [
            link("unit", "python -m pytest tests/test_conformance_harness.py -q"),
            link("differential", "artifacts/phase2c/conformance/differential_report_v1.json"),
            link("e2e", str(args.e2e)),
            link("performance", "benchmarks/bench_kernels.py"),
            link("sidecar", f"artifacts/phase2c/{pid}/parity_report.raptorq.json"),
            link("decode_proof", f"artifacts/phase2c/{pid}/parity_report.decode_proof.json")]}
    failures = [{"failure_id": _stable_id("ffx", r["scenario_id"], r["reason_code"]),
                 "packet_id": r["packet_id"], "scenario_id": r["scenario_id"],
                 "reason_code": r["reason_code"], "replay_command": r["replay_command"],
                 "artifact_refs": r["artifact_refs"]}
                for r in records if r["outcome"] == "fail"]
    index = {"schema_version": "ft-failure-forensics-index-v1",
             "generated_unix_ms": int(time.time() * 1e3),
             "sources": {"e2e": str(args.e2e), "triage": str(args.triage)},
             "summary": {"e2e_entries": len(records), "failed_entries": len(failures),
                         "incidents": len(triage["incidents"])},
             "packets": packets, "failures": failures[:2000]}
    write_json(args.output, index)
    print(f"forensics index: {len(failures)} failures over {len(packets)} packets -> "
          f"{args.output}")
    return 0


def _validate_log(args) -> int:
    from . import logs
    bad = 0
    for n, rec in enumerate(logs.read_jsonl(args.path), 1):
        for err in logs.validate_record(rec):
            bad += 1
            print(f"{args.path}:{n}: {err}")
    print(f"{args.path}: {'conforms to' if not bad else 'violates'} {logs.SCHEMA_VERSION}")
    return 1 if bad else 0


# ------------------------------------------------------------------ artifacts

def _validate(args) -> int:
    from . import artifacts
    report = artifacts.validate(args.root)
    for p in report["packets"]:
        print(f"{p['packet_id']} {p['status']}")
        for e in p["errors"]:
            print(f"  - {e}")
    for e in report["global_errors"]:
        print(f"global: {e}")
    return 0 if report["ok"] else 1


def _rollup(args) -> int:
    from . import artifacts, rollup
    from .runner import FIXTURES
    done = artifacts.publish(args.root, args.fixtures or FIXTURES)
    report = artifacts.validate(args.root)
    diff = json.loads((args.root / artifacts.DIFFERENTIAL).read_text())
    md, page = rollup.write(args.root, diff, report)
    print(f"sealed parity reports of {', '.join(done) or 'no packet'}; wrote {md} and {page}")
    return 0


def _scrub(args) -> int:
    from . import artifacts
    report = artifacts.scrub(args.root)
    write_json(args.root / "RAPTORQ_INTEGRITY_SCRUB_REPORT_V1.json", report)
    for e in report["entries"]:
        print(f"{e['artifact']}: {e['status']} {e['message']}"
              + (f" (repaired symbols {e['repaired']})" if e["repaired"] else ""))
    return 1 if report["summary"]["failed"] else 0


def _gate(args) -> int:
    from . import artifacts
    policy = args.policy or args.root / "RELIABILITY_BUDGET_POLICY_V1.json"
    report = artifacts.gate(args.root, policy, args.e2e)
    write_json(args.root / "conformance" / "reliability_gate_report_v1.json", report)
    for v in report["violations"]:
        print(f"{v['budget_id']}: {v['message']}")
    print(f"reliability gate: {report['status']}")
    return 2 if report["status"] == "fail" else 0


def main(argv=None) -> int:
    """Stand-alone entry (``tools/phase2c.py``): the same subcommands."""
    ap = argparse.ArgumentParser(prog="phase2c")
    sub = ap.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    return dispatch(ap.parse_args(argv))
