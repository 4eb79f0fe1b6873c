#!/usr/bin/env python
"""Packet artifacts without the package CLI: validate | rollup | scrub | gate.

    python tools/phase2c_artifacts.py validate [--root artifacts/phase2c]

Same as ``python -m frankentorch artifacts ...``.
"""
import sys

from frankentorch.conformance.cli import main

if __name__ == "__main__":
    sys.exit(main(["artifacts", *sys.argv[1:]]))
