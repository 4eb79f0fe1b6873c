"""Bicubic and 3-d area resampling, frankentorch / torch side by side (ratios < 1 mean faster).

Cases: bicubic x2 upsampling and 0.5x downsampling of a 32x16x32x32 float32 batch, its
antialiased bilinear downscaling to 10x10, and area (adaptive average) resampling of an
8x8x16x16x16 volume to 8x8x8, each forward + backward from a given gradient; also the
bicubic forward alone. Reported against torch on
its default threads and on one thread.
Run: python benchmarks/bench_resample.py
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import frankentorch as ft  # noqa: E402
import frankentorch.nn.functional as FF  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from bench_conv import _pool_step  # noqa: E402
from timing import compare  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    image = rng.standard_normal((32, 16, 32, 32), dtype=np.float32)
    volume = rng.standard_normal((8, 8, 16, 16, 16), dtype=np.float32)
    fi, ti = ft.tensor(image, requires_grad=True), torch.tensor(image, requires_grad=True)
    fv, tv = ft.tensor(volume, requires_grad=True), torch.tensor(volume, requires_grad=True)
    cases = [
        ("bicubic x2 forward 32x16x32x32",
         lambda: FF.interpolate(ft.from_numpy(image), scale_factor=2, mode="bicubic"),
         lambda: TF.interpolate(torch.from_numpy(image), scale_factor=2, mode="bicubic")),
        ("bicubic x2 fwd+bwd 32x16x32x32",
         _pool_step(ft, FF, "interpolate", fi, scale_factor=2, mode="bicubic"),
         _pool_step(torch, TF, "interpolate", ti, scale_factor=2, mode="bicubic")),
        ("bicubic x0.5 fwd+bwd (align_corners)",
         _pool_step(ft, FF, "interpolate", fi, size=(16, 16), mode="bicubic",
                    align_corners=True),
         _pool_step(torch, TF, "interpolate", ti, size=(16, 16), mode="bicubic",
                    align_corners=True)),
        ("antialiased bilinear x0.3 fwd+bwd",
         _pool_step(ft, FF, "interpolate", fi, size=(10, 10), mode="bilinear", antialias=True),
         _pool_step(torch, TF, "interpolate", ti, size=(10, 10), mode="bilinear",
                    antialias=True)),
        ("area 3-d fwd+bwd 8x8x16^3 -> 8^3",
         _pool_step(ft, FF, "interpolate", fv, size=(8, 8, 8), mode="area"),
         _pool_step(torch, TF, "interpolate", tv, size=(8, 8, 8), mode="area")),
    ]
    for threads in (torch.get_num_threads(), 1):
        torch.set_num_threads(threads)
        print(f"torch on {threads} thread(s)")
        compare(cases)


if __name__ == "__main__":
    main()
