#!/usr/bin/env python
"""Pass rate per OpInfo op: frankentorch against the installed torch on torch's own samples.

    python tools/opinfo_pass_rates.py [--ops add,sum] [--dtypes float32,int64]
                                      [--max-samples N] [--no-errors] [--json out.json]
    python tools/opinfo_pass_rates.py --write-expected   # regenerate the test fixture

Prints, per op, forward samples run / passed / pass rate, the drift classes, error-input
parity and missing variants, then a total line (a rich table when ``rich`` is installed).
``--write-expected`` runs the fixture's settings (dtypes, samples per op; see
``frankentorch.conformance.opinfo.FIXTURE_*``) and writes the passing sample keys per op to
``fixtures/opinfo_expected_passes.json``, which ``tests/test_opinfo.py`` checks as a floor.
Exit status is non-zero only when the driver itself crashes (``driver_error`` samples count).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from frankentorch.conformance import opinfo

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPECTED = ROOT / "fixtures" / "opinfo_expected_passes.json"


def _fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _rows(summary: dict) -> list[tuple]:
    rows = []
    for op, s in summary.items():
        rate = "-" if s["pass_rate"] is None else f"{100 * s['pass_rate']:.1f}%"
        errors = f"{s['errors_passed']}/{s['errors']}" if s["errors"] else "-"
        extra = _fmt_counts(s["drifts"])
        if s["error_drifts"]:
            extra += ("; " if extra else "") + "errors: " + _fmt_counts(s["error_drifts"])
        if s["missing_variants"]:
            extra += ("; " if extra else "") + "missing " + "/".join(s["missing_variants"])
        if s["torch_xfail"]:
            extra += f"; torch_xfail {s['torch_xfail']}"
        rows.append((op, str(s["samples"]), str(s["passed"]), rate, errors, extra))
    return rows


def _total(summary: dict) -> tuple:
    n = sum(s["samples"] for s in summary.values())
    p = sum(s["passed"] for s in summary.values())
    e = sum(s["errors"] for s in summary.values())
    ep = sum(s["errors_passed"] for s in summary.values())
    full = sum(1 for s in summary.values() if s["samples"] and s["passed"] == s["samples"])
    rate = f"{100 * p / n:.1f}%" if n else "-"
    return (f"TOTAL ({len(summary)} ops, {full} at 100%)", str(n), str(p), rate,
            f"{ep}/{e}" if e else "-", "")


HEADER = ("op", "samples", "passed", "pass rate", "errors ok", "drifts")


def _print(summary: dict) -> None:
    rows = _rows(summary)
    total = _total(summary)
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(r[i]) for r in [HEADER, total, *rows]) for i in range(5)]
        for r in [HEADER, *rows, total]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[5])
        return
    table = Table(show_footer=False)
    for i, h in enumerate(HEADER):
        table.add_column(h, justify="right" if 0 < i < 5 else "left", overflow="fold")
    for r in rows:
        style = "green" if r[1] == r[2] and r[1] != "0" else ("red" if r[2] == "0" else None)
        table.add_row(*r, style=style)
    table.add_section()
    table.add_row(*total, style="bold")
    Console(width=160).print(table)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", help="comma-separated op names or keys (default: all implemented)")
    ap.add_argument("--dtypes", help="comma-separated dtype names (default: "
                    f"{','.join(opinfo.DEFAULT_DTYPES)}; with --write-expected: "
                    f"{','.join(opinfo.FIXTURE_DTYPES)})")
    ap.add_argument("--max-samples", type=int, default=None,
                    help="samples per op and dtype (default: all; with --write-expected: "
                    f"{opinfo.FIXTURE_MAX_SAMPLES})")
    ap.add_argument("--no-errors", action="store_true", help="skip op.error_inputs")
    ap.add_argument("--json", metavar="PATH", help="write summary and every sample result")
    ap.add_argument("--write-expected", action="store_true",
                    help=f"write {EXPECTED.relative_to(ROOT)} from this run")
    ap.add_argument("--quiet", action="store_true", help="no table")
    args = ap.parse_args(argv)

    if args.write_expected and (args.ops or args.no_errors):
        ap.error("--write-expected records every implemented op with error inputs")
    names = args.ops.split(",") if args.ops else None
    if args.dtypes:
        dtypes = tuple(args.dtypes.split(","))
    else:
        dtypes = opinfo.FIXTURE_DTYPES if args.write_expected else opinfo.DEFAULT_DTYPES
    max_samples = args.max_samples
    if max_samples is None and args.write_expected:
        max_samples = opinfo.FIXTURE_MAX_SAMPLES

    t0 = time.perf_counter()
    results = opinfo.run_opinfo(names, dtypes=dtypes, include_errors=not args.no_errors,
                                max_samples_per_op=max_samples)
    elapsed = time.perf_counter() - t0
    summary = opinfo.summarize(results)
    if not args.quiet:
        _print(summary)
    print(f"{len(results)} results in {elapsed:.1f} s; dtypes {','.join(dtypes)}; "
          f"max samples per op {max_samples}")

    if args.json:
        import torch
        payload = {"torch_version": torch.__version__, "dtypes": list(dtypes),
                   "max_samples_per_op": max_samples, "include_errors": not args.no_errors,
                   "summary": summary, "results": [r.as_dict() for r in results]}
        pathlib.Path(args.json).write_text(json.dumps(payload, indent=1) + "\n")
    if args.write_expected:
        import torch
        payload = {"generated_by": "python tools/opinfo_pass_rates.py --write-expected",
                   "torch_version": torch.__version__, "dtypes": list(dtypes),
                   "max_samples_per_op": max_samples, "include_errors": True,
                   "passes": opinfo.passing_keys(results)}
        EXPECTED.parent.mkdir(exist_ok=True)
        EXPECTED.write_text(json.dumps(payload, indent=1) + "\n")
        print(f"wrote {EXPECTED.relative_to(ROOT)}: "
              f"{sum(map(len, payload['passes'].values()))} passing samples over "
              f"{len(payload['passes'])} ops")

    crashes = [r for r in results if r.outcome == "driver_error"]
    for r in crashes[:5]:
        print(f"driver error in {r.op} {r.variant} {r.dtype} #{r.index}:\n{r.detail}",
              file=sys.stderr)
    return 2 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
