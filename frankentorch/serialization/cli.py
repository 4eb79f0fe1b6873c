"""``python -m frankentorch checkpoint inspect|verify|repair|convert PATH``."""
from __future__ import annotations

import argparse
import contextlib
import os

from .errors import SerializationError

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    p = sub.add_parser("checkpoint", help="inspect, verify, repair or convert a .pt checkpoint")
    p.add_argument("action", choices=("inspect", "verify", "repair", "convert"))
    p.add_argument("path", help="a checkpoint written by torch.save or frankentorch.save")
    p.add_argument("-o", "--output", help="convert: where to write (default: replace PATH)")
    p.add_argument("--sidecar", action="store_true",
                   help="convert: also write a RaptorQ repair sidecar (PATH.raptorq)")
    p.add_argument("--repair-overhead", type=float, default=0.1,
                   help="convert: sidecar redundancy (default 0.1)")


@contextlib.contextmanager
def _progress(console, label: str, total: int):
    """A progress bar for files over 16 MiB; yields a callback taking a byte count."""
    if total < (16 << 20):
        yield None
        return
    from rich.progress import Progress
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _inspect(console, path: str) -> int:
    from rich.table import Table
    from .audit import describe
    env, stored = describe(path)
    console.print(f"[bold]{path}[/bold]  {os.path.getsize(path):,} bytes  byteorder="
                  f"{env['byteorder']}")
    kind = f"stored, schema {env['schema_version']}" if stored else "none (computed now)"
    console.print(f"envelope: {kind}")
    console.print(f"content hash: {env['content_hash']}", soft_wrap=True)
    table = Table(show_edge=False)
    for col in ("name", "dtype", "shape", "stride", "offset", "storage", "bytes"):
        table.add_column(col, justify="right" if col in ("offset", "bytes") else "left")
    for t in env["tensors"]:
        table.add_row(t["name"], t["dtype"], str(tuple(t["shape"])), str(tuple(t["stride"])),
                      str(t["offset"]), t["storage"], f"{t['nbytes']:,}")
    console.print(table)
    total = sum(s["nbytes"] for s in env["storages"])
    console.print(f"{len(env['tensors'])} tensors in {len(env['storages'])} storages, "
                  f"{total:,} bytes of tensor data")
    return 0


def _verify(console, path: str) -> int:
    from .audit import verify_checkpoint
    with _progress(console, "verifying", os.path.getsize(path)) as tick:
        report = verify_checkpoint(path, progress=tick)
    console.print(f"checkpoint: {report.status} ({report.records} records, envelope "
                  f"{'present' if report.has_envelope else 'absent'})")
    for line in report.problems + report.diagnostics:
        console.print(f"  - {line}")
    if report.sidecar is not None:
        console.print(f"sidecar: {report.sidecar.summary()}")
    ok = report.status == "intact" and not report.problems
    return 0 if ok and (report.sidecar is None or report.sidecar.status == "intact") else 1


def _repair(console, path: str) -> int:
    from .sidecar import proof_path, repair
    proof = repair(path)
    lost = sum(len(b["lost_source_symbols"]) for b in proof["blocks"])
    console.print(f"{proof['status']}: {lost} damaged symbol(s) in {len(proof['blocks'])} "
                  f"block(s); sha256 {proof['sha256_before'][:12]} -> "
                  f"{proof['sha256_after'][:12]}")
    console.print(f"decode proof: {proof_path(path)}")
    return 0


def _convert(console, args) -> int:
    from .loader import load
    from .saver import save
    from .sidecar import write_sidecar
    out = args.output or args.path
    save(load(args.path), out)
    console.print(f"wrote {out} ({os.path.getsize(out):,} bytes, with envelope)")
    if args.sidecar:
        with _progress(console, "encoding sidecar", os.path.getsize(out)) as tick:
            m = write_sidecar(out, args.repair_overhead, progress=tick)
        console.print(f"wrote {out}.raptorq ({len(m['blocks'])} blocks, symbol size "
                      f"{m['symbol_size']})")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run one checkpoint action; exit status 0 on success, 1 when damaged or refused."""
    from rich.console import Console
    console = Console(highlight=False)
    try:
        if args.action == "inspect":
            return _inspect(console, args.path)
        if args.action == "verify":
            return _verify(console, args.path)
        if args.action == "repair":
            return _repair(console, args.path)
        return _convert(console, args)
    except (SerializationError, OSError) as e:
        console.print(f"[red]error:[/red] {type(e).__name__}: {e}")
        return 1
