"""Spatial ops, frankentorch / torch side by side (ratios < 1 mean faster).

Main case: Conv2d forward + backward on a 32x3x32x32 float32 batch with 16 filters 3x3
(padding 1, bias; backward from a given gradient), as the first layer of a small CNN
(input without grad) and as an inner layer (input with grad). Also max_pool2d / avg_pool2d
forward + backward and a bilinear upsampling. Reported against torch on its default threads
and on one thread.
Run: python benchmarks/bench_conv.py
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
from timing import compare  # noqa: E402


def _leaves(lib, arrays, grads):
    return [lib.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]


def _conv_step(lib, F, x, w, b):
    grad = lib.ones(32, 16, 32, 32)

    def step():
        for t in (x, w, b):
            t.grad = None
        F.conv2d(x, w, b, padding=1).backward(grad)
    return step


def _pool_step(lib, F, fn, x, **kw):
    grad = lib.ones(tuple(getattr(F, fn)(x.detach(), **kw).shape))

    def step():
        x.grad = None
        getattr(F, fn)(x, **kw).backward(grad)
    return step


def main() -> None:
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((32, 3, 32, 32), dtype=np.float32)
    wa = rng.standard_normal((16, 3, 3, 3), dtype=np.float32)
    ba = rng.standard_normal(16, dtype=np.float32)
    ha = rng.standard_normal((32, 16, 32, 32), dtype=np.float32)
    cases = []
    for label, x_grad in (("input without grad", False), ("input with grad", True)):
        f = _leaves(ft, (xa, wa, ba), (x_grad, True, True))
        t = _leaves(torch, (xa, wa, ba), (x_grad, True, True))
        cases.append((f"conv2d fwd+bwd 32x3x32x32, 16x3x3 ({label})",
                      _conv_step(ft, FF, *f), _conv_step(torch, TF, *t)))
    fh, th = ft.tensor(ha, requires_grad=True), torch.tensor(ha, requires_grad=True)
    cases += [
        ("conv2d forward only", lambda: FF.conv2d(ft.from_numpy(xa), ft.from_numpy(wa),
                                                  padding=1),
         lambda: TF.conv2d(torch.from_numpy(xa), torch.from_numpy(wa), padding=1)),
        ("max_pool2d 2x2 fwd+bwd 32x16x32x32", _pool_step(ft, FF, "max_pool2d", fh, kernel_size=2),
         _pool_step(torch, TF, "max_pool2d", th, kernel_size=2)),
        ("avg_pool2d 2x2 fwd+bwd 32x16x32x32", _pool_step(ft, FF, "avg_pool2d", fh, kernel_size=2),
         _pool_step(torch, TF, "avg_pool2d", th, kernel_size=2)),
        ("bilinear x2 fwd+bwd 32x16x32x32",
         _pool_step(ft, FF, "interpolate", fh, scale_factor=2, mode="bilinear"),
         _pool_step(torch, TF, "interpolate", th, scale_factor=2, mode="bilinear")),
    ]
    print(f"torch on {torch.get_num_threads()} threads")
    compare(cases)
    # frankentorch computes these on one core (BLAS products per sample, serial kernels);
    # the same cases against single-threaded torch separate algorithm cost from thread count
    torch.set_num_threads(1)
    print("torch on 1 thread")
    compare(cases)


if __name__ == "__main__":
    main()
