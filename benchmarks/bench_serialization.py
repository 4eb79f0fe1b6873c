"""Checkpoint speed: a 64 MiB state_dict (16 x 1024^2 float32) saved and loaded by
frankentorch and torch side by side (ratios < 1 mean frankentorch is faster), and RaptorQ
sidecar encode / verify / repair throughput in MB/s.

frankentorch's ``save`` to a path is atomic and durable (temporary file, fsync, rename) and
hashes every storage (CRC-32 and SHA-256); ``torch.save`` does neither fsync nor SHA-256.
Run: python benchmarks/bench_serialization.py
"""
from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import frankentorch as ft  # noqa: E402
from frankentorch.serialization import sidecar  # noqa: E402
from timing import best_time, compare  # noqa: E402

MB = 1e6


def state_dicts():
    rng = np.random.default_rng(0)
    arrays = {f"layer{i}.weight": rng.random((1024, 1024), dtype=np.float32)
              for i in range(16)}
    return ({k: ft.from_numpy(v) for k, v in arrays.items()},
            {k: torch.from_numpy(v) for k, v in arrays.items()})


def main() -> None:
    sd_ft, sd_t = state_dicts()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        p_ft, p_t = os.path.join(d, "ft.pt"), os.path.join(d, "torch.pt")
        ft.save(sd_ft, p_ft)
        torch.save(sd_t, p_t)

        def mem_save(save, sd):
            return lambda: save(sd, io.BytesIO())
        compare([
            ("save 64 MiB to path", lambda: ft.save(sd_ft, p_ft), lambda: torch.save(sd_t, p_t)),
            ("save 64 MiB to BytesIO", mem_save(ft.save, sd_ft), mem_save(torch.save, sd_t)),
            ("load 64 MiB from path", lambda: ft.load(p_ft),
             lambda: torch.load(p_t, weights_only=True)),
            ("load 64 MiB, verify SHA-256", lambda: ft.load(p_ft, verify=True),
             lambda: torch.load(p_t, weights_only=True)),
            ("load 64 MiB, mmap=True", lambda: ft.load(p_ft, mmap=True),
             lambda: torch.load(p_t, weights_only=True, mmap=True)),
        ])
        size = os.path.getsize(p_ft)
        encode = best_time(lambda: sidecar.write_sidecar(p_ft, 0.1), repeat=3)
        check = best_time(lambda: sidecar.verify(p_ft), repeat=3)
        original = open(p_ft, "rb").read()
        damaged = bytearray(original)
        rng = random.Random(0)
        for _ in range(200):  # about 200 of 8,300 symbols, in every block
            i = rng.randrange(len(damaged))
            damaged[i] ^= 0xFF

        def repair():
            with open(p_ft, "wb") as fh:
                fh.write(damaged)
            t0 = time.perf_counter()
            sidecar.repair(p_ft)
            return time.perf_counter() - t0
        fix = min(repair() for _ in range(3))
        assert open(p_ft, "rb").read() == original
        print(f"\nRaptorQ sidecar on {size / MB:.1f} MB (10% repair, "
              f"{os.path.getsize(p_ft + '.raptorq') / MB:.1f} MB sidecar):")
        print(f"  encode {size / encode / MB:8.1f} MB/s   ({encode * 1e3:.0f} ms)")
        print(f"  verify {size / check / MB:8.1f} MB/s   ({check * 1e3:.0f} ms, intact)")
        print(f"  repair {size / fix / MB:8.1f} MB/s   ({fix * 1e3:.0f} ms, 200 damaged bytes)")


if __name__ == "__main__":
    main()
