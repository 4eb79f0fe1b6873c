"""Max-pooling kernels over ``(planes, H, W)`` arrays.

A window along each axis is described by per-output start positions, element counts and a
step (dilation): fixed windows (max_pool) and variable ones (adaptive_max_pool) share one
kernel. Positions outside the input are skipped. As in PyTorch, the scan starts from the
lowest value of the dtype (-inf for floats) at the window's first non-negative position, and
an element replaces the maximum when it is greater or NaN; the index is the flat position
``h * W + w`` inside the plane. The NaN test costs ~3x in the inner loop, so inputs without
NaN (checked by the caller) run kernels that leave it out. Callers validate every size
beforehand.
"""
from numba import njit, prange


@njit(inline="always")
def _inside(start, n, step, size):
    """Steps [lo, hi) of a window whose positions start + i*step lie in [0, size); lo is
    the first step at a non-negative position (PyTorch's adjusted window start)."""
    lo = 0
    if start < 0:
        lo = (-start + step - 1) // step
    hi = n
    if start > size - 1:
        hi = 0
    elif (size - 1 - start) // step + 1 < hi:
        hi = (size - 1 - start) // step + 1
    return lo, hi


@njit(inline="always")
def _greater(v, best):
    return v > best


@njit(inline="always")
def _greater_or_nan(v, best):
    return v > best or v != v


@njit(inline="always")
def _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw, lowest, better):
    W = x.shape[2]
    for oh in range(out.shape[1]):
        ilo, ihi = _inside(hs[oh], hn[oh], dh, x.shape[1])
        for ow in range(out.shape[2]):
            jlo, jhi = _inside(ws[ow], wn[ow], dw, W)
            best = lowest
            bi = (hs[oh] + ilo * dh) * W + ws[ow] + jlo * dw
            for i in range(ilo, ihi):
                h = hs[oh] + i * dh
                for j in range(jlo, jhi):
                    w = ws[ow] + j * dw
                    v = x[p, h, w]
                    if better(v, best):
                        best = v
                        bi = h * W + w
            out[p, oh, ow] = best
            ind[p, oh, ow] = bi


@njit(cache=True, error_model="numpy")
def max_pool_serial(x, out, ind, hs, hn, dh, ws, wn, dw, lowest):
    for p in range(x.shape[0]):
        _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw, lowest, _greater)


@njit(cache=True, parallel=True, error_model="numpy")
def max_pool_parallel(x, out, ind, hs, hn, dh, ws, wn, dw, lowest):
    for p in prange(x.shape[0]):
        _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw, lowest, _greater)


@njit(cache=True, error_model="numpy")
def max_pool_nan_serial(x, out, ind, hs, hn, dh, ws, wn, dw, lowest):
    """For inputs holding NaN: a NaN always takes the window (the last one wins)."""
    for p in range(x.shape[0]):
        _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw, lowest, _greater_or_nan)


@njit(cache=True, parallel=True, error_model="numpy")
def max_pool_nan_parallel(x, out, ind, hs, hn, dh, ws, wn, dw, lowest):
    for p in prange(x.shape[0]):
        _plane_max(x, out, ind, p, hs, hn, dh, ws, wn, dw, lowest, _greater_or_nan)


@njit(cache=True, error_model="numpy")
def scatter_max_grad(grad, ind, out):
    """``out[p].flat[ind[p, o]] += grad[p, o]`` for every plane ``p`` (out zero-filled);
    an index outside the plane (a window with no element inside the input) adds nothing."""
    n = out.shape[1]
    for p in range(grad.shape[0]):
        for o in range(grad.shape[1]):
            k = ind[p, o]
            if 0 <= k < n:
                out[p, k] += grad[p, o]
