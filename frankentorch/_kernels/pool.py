"""Max-pooling kernels over ``(planes, H, W)`` arrays.

A window along each axis is described by per-output start positions, element counts and a
step (dilation): fixed windows (max_pool) and variable ones (adaptive_max_pool) share one
kernel. Positions outside the input are skipped. As in PyTorch, the first in-bounds element
starts the scan and a later one replaces the maximum when it is greater or NaN; the index is
the flat position ``h * W + w`` inside the plane. Callers validate every size beforehand.
"""
import numpy as np
from numba import njit, prange


@njit(inline="always")
def _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw):
    H, W = x.shape[1], x.shape[2]
    for oh in range(out.shape[1]):
        for ow in range(out.shape[2]):
            found = False
            best = x[p, 0, 0]
            bi = 0
            for i in range(hn[oh]):
                h = hs[oh] + i * dh
                if h < 0 or h >= H:
                    continue
                for j in range(wn[ow]):
                    w = ws[ow] + j * dw
                    if w < 0 or w >= W:
                        continue
                    v = x[p, h, w]
                    if not found or v > best or v != v:
                        best = v
                        bi = h * W + w
                        found = True
            out[p, oh, ow] = best
            ind[p, oh, ow] = bi


@njit(cache=True, error_model="numpy")
def max_pool_serial(x, out, ind, hs, hn, dh, ws, wn, dw):
    for p in range(x.shape[0]):
        _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw)


@njit(cache=True, parallel=True, error_model="numpy")
def max_pool_parallel(x, out, ind, hs, hn, dh, ws, wn, dw):
    for p in prange(x.shape[0]):
        _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw)


@njit(cache=True, error_model="numpy")
def scatter_max_grad(grad, ind, out):
    """``out[p].flat[ind[p, o]] += grad[p, o]`` for every plane ``p`` (out zero-filled)."""
    for p in range(grad.shape[0]):
        for o in range(grad.shape[1]):
            out[p, ind[p, o]] += grad[p, o]
