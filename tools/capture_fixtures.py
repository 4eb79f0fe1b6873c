#!/usr/bin/env python
"""Capture the expected results of every fixture family from the installed torch.

    python tools/capture_fixtures.py [--family tensor_meta,kernels] [--check]

Each case of a family runs once with ``torch`` (the oracle); its encoded result is written to
``fixtures/<family>/<kind>.json`` (kind = happy, edge, adversarial) with the torch version
and this command. ``--check`` writes nothing and exits non-zero when a stored fixture differs
from what torch gives now. Families whose frankentorch packages are missing are skipped
with the reason.
"""
from __future__ import annotations

import argparse
import json
import sys

import torch

from frankentorch.conformance import logs, runner
from frankentorch.conformance.families import FAMILIES, NotReady, load

FIXTURE_SCHEMA = "ft-fixture-family-v1"
COMPACT_ABOVE = 1 << 20  #: bytes; larger fixture files are written without indentation


def capture(family) -> list[dict]:
    module = load(family)
    if hasattr(module, "capture"):
        return module.capture()
    out = []
    for case in module.cases():
        d = case.as_dict()
        d["expected"] = runner.expected_live(module, d)
        out.append(d)
    return out


def payload(family, kind: str, cases: list[dict]) -> dict:
    env = logs.env_fingerprint()
    return {"schema_version": FIXTURE_SCHEMA, "family": family.name,
            "packet_id": family.packet_id, "kind": kind,
            "captured_with": {"torch": torch.__version__, "python": env["python"],
                              "numpy": env["numpy"], "platform": env["platform"],
                              "command": "python tools/capture_fixtures.py"},
            "cases": cases}


def _comparable(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "captured_with"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", help="comma-separated family names (default: all)")
    ap.add_argument("--check", action="store_true",
                    help="compare with the stored fixtures instead of writing them")
    args = ap.parse_args(argv)
    wanted = set(args.family.split(",")) if args.family else None
    stale = 0
    for family in FAMILIES:
        if wanted and family.name not in wanted:
            continue
        try:
            cases = capture(family)
        except NotReady as e:
            print(f"skip {family.name}: {e}")
            continue
        by_kind: dict[str, list] = {}
        for c in cases:
            by_kind.setdefault(c["kind"], []).append(c)
        for kind, group in sorted(by_kind.items()):
            path = runner.fixture_path(family, kind)
            data = payload(family, kind, group)
            if args.check:
                old = json.loads(path.read_text()) if path.exists() else None
                if old is None or _comparable(old) != _comparable(
                        json.loads(json.dumps(data))):
                    stale += 1
                    print(f"stale: {path.relative_to(runner.ROOT)}")
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(data, indent=1)
            if len(text) > COMPACT_ABOVE:
                text = json.dumps(data, separators=(",", ":"))
            path.write_text(text + "\n")
            print(f"wrote {path.relative_to(runner.ROOT)}: {len(group)} cases")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
