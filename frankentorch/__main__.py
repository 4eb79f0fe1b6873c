"""Command line: ``python -m frankentorch demo|checkpoint|conformance|artifacts``."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frankentorch",
        description="frankentorch: a PyTorch-compatible CPU tensor library.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="a tour of frankentorch and a training run compared with torch")
    from .conformance import cli as conformance_cli
    conformance_cli.add_subcommands(sub)
    from .serialization import cli as checkpoint_cli
    checkpoint_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import demo
        return demo()
    if args.command in ("conformance", "artifacts"):
        return conformance_cli.dispatch(args)
    if args.command == "checkpoint":
        return checkpoint_cli.run(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
