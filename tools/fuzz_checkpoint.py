"""Coverage-guided fuzzing of ``frankentorch.load`` with atheris (optional dependency).

Every input must load or raise a frankentorch SerializationError; anything else (another
exception, a crash, a hang caught by atheris' timeout) is a finding.
Run: pip install atheris; python tools/fuzz_checkpoint.py [corpus_dir] -timeout=5
"""
from __future__ import annotations

import io
import sys

try:
    import atheris
except ImportError:
    sys.exit("atheris is not installed: pip install atheris")

with atheris.instrument_imports():
    import frankentorch as ft
    from frankentorch.serialization import SerializationError


def one_input(data: bytes) -> None:
    try:
        obj = ft.load(io.BytesIO(data))
    except SerializationError:
        return
    if isinstance(obj, dict):
        for v in obj.values():
            if isinstance(v, ft.Tensor) and v.numel() <= 100_000:
                v.tolist()


def main() -> None:
    seed = io.BytesIO()
    ft.save({"w": ft.arange(4, dtype=ft.float32), "n": 1}, seed)
    atheris.Setup(sys.argv, one_input)
    one_input(seed.getvalue())
    atheris.Fuzz()


if __name__ == "__main__":
    main()
