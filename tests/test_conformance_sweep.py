"""The live differential sweep of every packet, regenerated against the installed torch: the
conformance run writes a fresh log and differential report, the parity reports are rebuilt
from it, and the packets must still validate and pass their reliability gates."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

from frankentorch.conformance import runner

ROOT = runner.ROOT


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frankentorch", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def test_live_sweep_regenerates_reports_that_pass_the_gates(tmp_path):
    root = tmp_path / "phase2c"
    shutil.copytree(ROOT / "artifacts" / "phase2c", root)
    out = root / "conformance"
    for stale in ("differential_report_v1.json", "conformance_log_v1.jsonl"):
        (out / stale).unlink(missing_ok=True)
    run = _cli("conformance", "run", "--oracle", "live", "--mode", "both", "--max-samples", "3",
               "--output", str(out))
    # exit 1 means strict drift exists (reported per case); anything else is a failure
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((out / "differential_report_v1.json").read_text())
    assert report and (out / "conformance_log_v1.jsonl").stat().st_size > 0
    for step in ("rollup", "validate", "gate"):
        res = _cli("artifacts", step, "--root", str(root))
        assert res.returncode == 0, (step, res.stdout[-3000:], res.stderr[-3000:])
