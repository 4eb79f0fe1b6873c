#!/usr/bin/env python
"""Gradient pass rate per OpInfo op: frankentorch's input gradients against the installed
torch's, on torch's own float64 samples (forward + backward, same upstream gradient).

    python tools/opinfo_grad_pass_rates.py [--ops add,sum] [--max-samples N] [--json out.json]
    python tools/opinfo_grad_pass_rates.py --write-expected   # regenerate the test fixture

Prints, per op, samples run / passed / pass rate and the drift classes, then a total line.
``--write-expected`` runs the fixture's settings (``FIXTURE_MAX_SAMPLES`` samples per op) and
writes the passing sample keys per op to ``fixtures/opinfo_grad_expected_passes.json``, which
``tests/test_opinfo_grad.py`` checks as a floor. Exit status is non-zero only when the driver
itself crashes.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from frankentorch.conformance import opinfo, opinfo_grad

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPECTED = ROOT / "fixtures" / "opinfo_grad_expected_passes.json"
sys.path.insert(0, str(ROOT / "tools"))
from opinfo_pass_rates import _print  # noqa: E402 - the forward tool's table


def _write(path: pathlib.Path, payload: dict) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", help="comma-separated op names or keys (default: all "
                    "differentiable implemented ops)")
    ap.add_argument("--max-samples", type=int, default=None,
                    help="samples per op (default: all; with --write-expected: "
                    f"{opinfo_grad.FIXTURE_MAX_SAMPLES})")
    ap.add_argument("--json", metavar="PATH", help="write summary and every sample result")
    ap.add_argument("--write-expected", action="store_true",
                    help=f"write {EXPECTED.relative_to(ROOT)} from this run")
    ap.add_argument("--quiet", action="store_true", help="no table")
    args = ap.parse_args(argv)

    if args.write_expected and args.ops:
        ap.error("--write-expected records every differentiable implemented op")
    names = args.ops.split(",") if args.ops else None
    max_samples = args.max_samples
    if max_samples is None and args.write_expected:
        max_samples = opinfo_grad.FIXTURE_MAX_SAMPLES

    t0 = time.perf_counter()
    results = opinfo_grad.run_opinfo_grad(names, max_samples_per_op=max_samples)
    print(f"{len(results)} gradient results in {time.perf_counter() - t0:.1f} s; dtype "
          f"{opinfo_grad.GRAD_DTYPE}; max samples per op {max_samples}")
    summary = opinfo.summarize(results)
    if not args.quiet:
        _print(summary)

    import torch
    settings = {"torch_version": torch.__version__, "dtype": opinfo_grad.GRAD_DTYPE,
                "max_samples_per_op": max_samples}
    if args.json:
        _write(pathlib.Path(args.json), {**settings, "summary": summary,
                                         "results": [r.as_dict() for r in results]})
    if args.write_expected:
        passes = opinfo.passing_keys(results)
        _write(EXPECTED, {"generated_by": "python tools/opinfo_grad_pass_rates.py "
                          "--write-expected", **settings, "passes": passes})
        print(f"wrote {EXPECTED.relative_to(ROOT)}: {sum(map(len, passes.values()))} passing "
              f"samples over {len(passes)} ops")

    crashes = [r for r in results if r.outcome == "driver_error"]
    for r in crashes[:5]:
        print(f"driver error in {r.op} #{r.index}:\n{r.detail}", file=sys.stderr)
    return 2 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
