"""``python -m frankentorch demo`` runs end to end: training matches torch epoch by epoch, the
damaged checkpoint is repaired and the reloaded model predicts the same."""
import re

from frankentorch.__main__ import main


def test_demo_runs_and_agrees_with_torch(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "verify after: intact" in out
    assert "reloaded model predicts the same classes\nTrue" in out
    diffs = [float(d) for d in re.findall(r"^\s+\d+\s+\S+\s+\S+\s+(\S+)$", out, re.M)]
    assert len(diffs) == 12 and max(diffs) < 1e-5
