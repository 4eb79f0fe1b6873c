"""nll_loss forward and backward in ATen's order (LossNLL.cpp / LossNLL2d.cpp).

Operands are framed as ``x[N, C, M]`` (batch, classes, spatial positions: M is 1 for
nll_loss) with targets ``t[N, M]``; an empty ``w`` means no class weights. A reduced loss is
accumulated with torch's eight-level cascade, so it rounds as torch's does. Targets are
bounds-checked here, so an index never leaves ``x`` or ``grad``: a kernel returns the flat
position of the first bad target, or -1.
"""
import numpy as np
from numba import njit

_LEVELS = 8


@njit(cache=True, error_model="numpy")
def nll_forward(x, t, w, ignore_index, each, mean, losses, loss, total):
    """The loss of each element into ``losses[N, M]`` (``each``: reduction 'none'), else
    their sum, or their mean over the weights, into ``loss[0]`` and the weight total into
    ``total[0]``."""
    n, c, m = x.shape
    has_w = w.shape[0] != 0
    if each:
        for b in range(n):
            for e in range(m):
                k = t[b, e]
                if k == ignore_index:
                    losses[b, e] = 0
                    continue
                if k < 0 or k >= c:
                    return b * m + e
                losses[b, e] = -x[b, k, e] * w[k] if has_w else -x[b, k, e]
        return -1
    numiter = n * m
    log2 = 0
    while (1 << log2) < numiter:
        log2 += 1
    power = max(4, log2 // _LEVELS)
    mask = (1 << power) - 1
    lsum = np.zeros(_LEVELS, x.dtype)
    wsum = np.zeros(_LEVELS, x.dtype)
    ignored = 0
    for i in range(numiter):
        b, e = i // m, i % m
        k = t[b, e]
        if k == ignore_index:
            ignored += 1
            continue
        if k < 0 or k >= c:
            return i
        if has_w:
            lsum[0] -= x[b, k, e] * w[k]
            wsum[0] += w[k]
        else:
            lsum[0] -= x[b, k, e]
        for j in range(_LEVELS - 1):
            if i & (mask << (j * power)):
                break
            wsum[j + 1] += wsum[j]
            lsum[j + 1] += lsum[j]
            wsum[j] = 0
            lsum[j] = 0
    loss[0] = 0
    total[0] = 0
    for j in range(_LEVELS):
        loss[0] += lsum[j]
        if has_w:
            total[0] += wsum[j]
    if not has_w:
        total[0] = numiter - ignored
    if mean:
        loss[0] /= total[0]
    return -1


@njit(cache=True, error_model="numpy")
def nll_backward(t, w, ignore_index, each, mean, g, total, grad):
    """Gradient of nll_loss into the zeroed ``grad[N, C, M]``: ``g[N, M]`` holds the output
    gradient of each element (``each``: reduction 'none'), or ``g[0, 0]`` that of the reduced
    loss (divided by ``total[0]`` for a mean)."""
    n, c, m = grad.shape
    has_w = w.shape[0] != 0
    scale = g[0, 0]
    if not each:
        scale = -(scale / total[0]) if mean else -scale
    for b in range(n):
        for e in range(m):
            k = t[b, e]
            if k == ignore_index:
                continue
            if k < 0 or k >= c:
                return b * m + e
            if each:
                grad[b, k, e] = -w[k] * g[b, e] if has_w else -g[b, e]
            else:
                grad[b, k, e] = w[k] * scale if has_w else scale
    return -1
