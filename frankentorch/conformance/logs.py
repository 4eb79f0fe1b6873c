"""Structured case logs, schema ``ft-conformance-log-v1`` (one JSON object per case and mode).

The fields are fixed (:data:`FIELDS`); ``artifacts/phase2c/TEST_LOG_CONTRACT_V1.md`` documents
them and :func:`validate_record` checks a record against that contract.
"""
from __future__ import annotations

import importlib.metadata
import json
import platform
import shlex
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "FIELDS", "OUTCOMES", "env_fingerprint", "scenario_id",
           "replay_command", "validate_record", "read_jsonl", "write_jsonl"]

SCHEMA_VERSION = "ft-conformance-log-v1"
FIELDS = ("schema_version", "scenario_id", "packet_id", "suite_id", "seed", "mode",
          "env_fingerprint", "artifact_refs", "replay_command", "outcome", "reason_code",
          "duration_ms", "drift")
OUTCOMES = ("pass", "fail", "allowlisted_drift")
MODES = ("strict", "hardened")
_ENV_KEYS = ("python", "numpy", "numba", "torch", "frankentorch", "platform")
_DRIFT_KEYS = ("class", "detail", "expected", "actual")


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def env_fingerprint() -> dict:
    """Versions of what a result depends on (read from package metadata: nothing imported)."""
    return {"python": platform.python_version(), "numpy": _version("numpy"),
            "numba": _version("numba"), "torch": _version("torch"),
            "frankentorch": _version("frankentorch"),
            "platform": f"{platform.system()}-{platform.machine()}"}


def scenario_id(suite_id: str, mode: str, case_id: str) -> str:
    """``<suite>/<mode>:<case id>``: the join key between logs, reports and triage."""
    return f"{suite_id}/{mode}:{case_id}"


def replay_command(packet_id: str, suite_id: str, case_id: str, mode: str, oracle: str) -> str:
    """The command that re-runs exactly this case in this mode against this oracle."""
    args = ["python", "-m", "frankentorch", "conformance", "run", "--packet", packet_id,
            "--case", f"{suite_id}/{case_id}", "--mode", mode, "--oracle", oracle]
    return shlex.join(args)


def validate_record(rec: object) -> list[str]:
    """Contract violations of one log record (empty when it conforms)."""
    if not isinstance(rec, dict):
        return ["record is not a JSON object"]
    errs = []
    if tuple(rec) != FIELDS:
        missing = [f for f in FIELDS if f not in rec]
        extra = [f for f in rec if f not in FIELDS]
        if missing or extra:
            errs.append(f"fields: missing {missing}, unexpected {extra}")
        else:
            errs.append("fields out of the contract's order")
    get = rec.get
    if get("schema_version") != SCHEMA_VERSION:
        errs.append(f"schema_version {get('schema_version')!r} != {SCHEMA_VERSION!r}")
    for f in ("scenario_id", "packet_id", "suite_id", "replay_command", "reason_code"):
        if not isinstance(get(f), str) or not get(f):
            errs.append(f"{f} must be a non-empty string")
    if isinstance(get("packet_id"), str) and not get("packet_id").startswith("FT-P2C-"):
        errs.append("packet_id must look like FT-P2C-00X")
    if get("mode") not in MODES:
        errs.append(f"mode must be one of {MODES}")
    sid, suite, mode = get("scenario_id"), get("suite_id"), get("mode")
    if isinstance(sid, str) and isinstance(suite, str) and not sid.startswith(f"{suite}/{mode}:"):
        errs.append("scenario_id must start with '<suite_id>/<mode>:'")
    seed = get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2 ** 63:
        errs.append("seed must be an integer in [0, 2**63)")
    env = get("env_fingerprint")
    if not isinstance(env, dict) or set(env) != set(_ENV_KEYS):
        errs.append(f"env_fingerprint must have exactly {list(_ENV_KEYS)}")
    refs = get("artifact_refs")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        errs.append("artifact_refs must be a non-empty list of paths")
    cmd = get("replay_command")
    if isinstance(cmd, str) and "python -m frankentorch conformance run" not in cmd:
        errs.append("replay_command must be a 'python -m frankentorch conformance run' command")
    if get("outcome") not in OUTCOMES:
        errs.append(f"outcome must be one of {OUTCOMES}")
    dur = get("duration_ms")
    if not isinstance(dur, (int, float)) or isinstance(dur, bool) or dur < 0:
        errs.append("duration_ms must be a non-negative number")
    drift = get("drift")
    if get("outcome") == "pass":
        if drift is not None:
            errs.append("a passing record has drift null")
    elif not isinstance(drift, dict) or set(drift) != set(_DRIFT_KEYS):
        errs.append(f"a drifting record needs drift with {list(_DRIFT_KEYS)}")
    return errs


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: str | Path, records) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, sort_keys=False) + "\n")

