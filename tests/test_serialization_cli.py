"""``python -m frankentorch checkpoint inspect|verify|repair|convert PATH``."""
from __future__ import annotations

import subprocess
import sys

import torch

import frankentorch as ft
from frankentorch.__main__ import main


def torch_checkpoint(path) -> None:
    torch.manual_seed(0)
    torch.save({"model": torch.nn.Linear(3, 2).state_dict(), "epoch": 4}, path)


def test_inspect_lists_tensors(tmp_path, capsys):
    path = tmp_path / "t.pt"
    torch_checkpoint(path)
    assert main(["checkpoint", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "/model/weight" in out and "(2, 3)" in out and "float32" in out
    assert "computed now" in out and "2 tensors in 2 storages" in out


def test_convert_verify_damage_repair(tmp_path, capsys):
    src, dst = tmp_path / "t.pt", tmp_path / "f.pt"
    torch_checkpoint(src)
    assert main(["checkpoint", "convert", str(src), "-o", str(dst), "--sidecar"]) == 0
    assert ft.load(dst)["epoch"] == 4
    assert torch.equal(torch.load(dst, weights_only=True)["model"]["weight"],
                       torch.load(src, weights_only=True)["model"]["weight"])
    assert main(["checkpoint", "verify", str(dst)]) == 0
    assert "checkpoint: intact" in capsys.readouterr().out
    good = dst.read_bytes()
    data = bytearray(good)
    offset = good.index(b"archive/data/0") + 100
    data[offset] ^= 0xFF
    dst.write_bytes(bytes(data))
    assert main(["checkpoint", "verify", str(dst)]) == 1
    out = capsys.readouterr().out
    assert "damaged" in out and "damaged-repairable" in out
    assert main(["checkpoint", "repair", str(dst)]) == 0
    assert "repaired" in capsys.readouterr().out and dst.read_bytes() == good
    assert main(["checkpoint", "verify", str(dst)]) == 0


def test_errors_exit_nonzero(tmp_path, capsys):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"junk" * 100)
    assert main(["checkpoint", "inspect", str(path)]) == 1
    assert "ArchiveError" in capsys.readouterr().out
    assert main(["checkpoint", "repair", str(path)]) == 1
    assert "no sidecar" in capsys.readouterr().out


def test_module_entry_point(tmp_path):
    path = tmp_path / "t.pt"
    torch_checkpoint(path)
    r = subprocess.run([sys.executable, "-m", "frankentorch", "checkpoint", "verify", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "intact" in r.stdout
