"""Sorting and selection over rows of ``(key, index)`` pairs, step for step as PyTorch's CPU
kernels do them, so that equal keys come out in PyTorch's order.

PyTorch sorts with libstdc++'s ``std::sort`` (introsort: median-of-three quicksort with a
depth limit of ``2 * floor(log2(n))``, heapsort past it, a final insertion sort over runs of
at most 16), selects the top k with ``std::partial_sort`` (heap select + heap sort) or
``std::nth_element`` (introselect), and finds the k-th value with the Sedgewick quickselect
from TH. Which of several equal keys lands where is decided by those exact steps, so they are
reproduced here move for move; the comparator only ever looks at the key.

Keys are int64 with the order the comparator needs (the caller maps floats to integers with
NaN above +inf and -0.0 equal to 0.0, and complements the keys for a descending order), so one
compiled signature serves every dtype. ``plain_nan`` selects the comparator of ``torch.mode``
(a bare ``<``): then the key ``nan_key`` compares false both ways with every key.
Callers validate sizes; each kernel works in place on C-contiguous 2-D ``keys``/``idx``
(one row per slice), ``idx`` prefilled with the positions the keys came from.
"""
import numpy as np
from numba import njit

THRESHOLD = 16  # libstdc++'s _S_threshold


@njit(inline="always")
def _lt(a, b, plain_nan, nan_key):
    if plain_nan and (a == nan_key or b == nan_key):
        return False
    return a < b


@njit(inline="always")
def _swap(k, x, i, j):
    t = k[i]
    k[i] = k[j]
    k[j] = t
    u = x[i]
    x[i] = x[j]
    x[j] = u


@njit(inline="always")
def _lg(n):
    """floor(log2(n)) for n > 0 (libstdc++'s std::__lg)."""
    r = 0
    while n > 1:
        n >>= 1
        r += 1
    return r


# ------------------------------------------------------------------ heap (stl_heap.h)

@njit(inline="always")
def _push_heap(k, x, first, hole, top, vk, vx, pn, nk):
    while hole > top:
        parent = (hole - 1) // 2
        if not _lt(k[first + parent], vk, pn, nk):
            break
        k[first + hole] = k[first + parent]
        x[first + hole] = x[first + parent]
        hole = parent
    k[first + hole] = vk
    x[first + hole] = vx


@njit
def _adjust_heap(k, x, first, hole, length, vk, vx, pn, nk):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _lt(k[first + child], k[first + child - 1], pn, nk):
            child -= 1
        k[first + hole] = k[first + child]
        x[first + hole] = x[first + child]
        hole = child
    if (length & 1) == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        k[first + hole] = k[first + child - 1]
        x[first + hole] = x[first + child - 1]
        hole = child - 1
    _push_heap(k, x, first, hole, top, vk, vx, pn, nk)


@njit(inline="always")
def _pop_heap(k, x, first, last, result, pn, nk):
    vk = k[result]
    vx = x[result]
    k[result] = k[first]
    x[result] = x[first]
    _adjust_heap(k, x, first, 0, last - first, vk, vx, pn, nk)


@njit
def _heap_select(k, x, first, middle, last, pn, nk):
    length = middle - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            _adjust_heap(k, x, first, parent, length, k[first + parent], x[first + parent],
                         pn, nk)
            if parent == 0:
                break
            parent -= 1
    for i in range(middle, last):
        if _lt(k[i], k[first], pn, nk):
            _pop_heap(k, x, first, middle, i, pn, nk)


@njit
def _partial_sort(k, x, first, middle, last, pn, nk):
    _heap_select(k, x, first, middle, last, pn, nk)
    while middle - first > 1:
        middle -= 1
        _pop_heap(k, x, first, middle, middle, pn, nk)


# ------------------------------------------------------------------ quicksort steps (stl_algo.h)

@njit(inline="always")
def _move_median_to_first(k, x, result, a, b, c, pn, nk):
    if _lt(k[a], k[b], pn, nk):
        if _lt(k[b], k[c], pn, nk):
            _swap(k, x, result, b)
        elif _lt(k[a], k[c], pn, nk):
            _swap(k, x, result, c)
        else:
            _swap(k, x, result, a)
    elif _lt(k[a], k[c], pn, nk):
        _swap(k, x, result, a)
    elif _lt(k[b], k[c], pn, nk):
        _swap(k, x, result, c)
    else:
        _swap(k, x, result, b)


@njit
def _partition_pivot(k, x, first, last, pn, nk):
    """Median of (first+1, mid, last-1) to ``first``, then Hoare partition of the rest
    around it; returns the cut. The scans stop inside the range even where a comparator
    that is not a strict weak order (NaN under ``plain_nan``) would let C++ run past it."""
    _move_median_to_first(k, x, first, first + 1, first + (last - first) // 2, last - 1,
                          pn, nk)
    lo = first
    end = last - 1
    pivot = k[first]
    first += 1
    while True:
        while first < end and _lt(k[first], pivot, pn, nk):
            first += 1
        last -= 1
        while last > lo and _lt(pivot, k[last], pn, nk):
            last -= 1
        if not first < last:
            return first
        _swap(k, x, first, last)
        first += 1


@njit(inline="always")
def _linear_insert(k, x, lo, i, pn, nk):
    """libstdc++'s __unguarded_linear_insert (kept above ``lo`` for memory safety only)."""
    vk = k[i]
    vx = x[i]
    j = i - 1
    while j >= lo and _lt(vk, k[j], pn, nk):
        k[i] = k[j]
        x[i] = x[j]
        i = j
        j -= 1
    k[i] = vk
    x[i] = vx


@njit
def _insertion_sort(k, x, first, last, pn, nk):
    for i in range(first + 1, last):
        if _lt(k[i], k[first], pn, nk):
            vk = k[i]
            vx = x[i]
            for j in range(i, first, -1):
                k[j] = k[j - 1]
                x[j] = x[j - 1]
            k[first] = vk
            x[first] = vx
        else:
            _linear_insert(k, x, first, i, pn, nk)


@njit
def _std_sort(k, x, first, last, stack, pn, nk):
    """std::sort of [first, last): the introsort loop (its recursion on the right part run
    from an explicit stack; the parts are disjoint, so the order of work does not matter),
    then the final insertion sort."""
    if last - first < 2:
        return
    stack[0] = first
    stack[1] = last
    stack[2] = 2 * _lg(last - first)
    top = 1
    while top:
        top -= 1
        lo = stack[3 * top]
        hi = stack[3 * top + 1]
        depth = stack[3 * top + 2]
        while hi - lo > THRESHOLD:
            if depth == 0:
                _partial_sort(k, x, lo, hi, hi, pn, nk)
                break
            depth -= 1
            cut = _partition_pivot(k, x, lo, hi, pn, nk)
            stack[3 * top] = cut
            stack[3 * top + 1] = hi
            stack[3 * top + 2] = depth
            top += 1
            hi = cut
    if last - first > THRESHOLD:
        _insertion_sort(k, x, first, first + THRESHOLD, pn, nk)
        for i in range(first + THRESHOLD, last):
            _linear_insert(k, x, first, i, pn, nk)
    else:
        _insertion_sort(k, x, first, last, pn, nk)


@njit
def _nth_element(k, x, first, nth, last, pn, nk):
    if first == last or nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(k, x, first, nth + 1, last, pn, nk)
            _swap(k, x, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(k, x, first, last, pn, nk)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(k, x, first, last, pn, nk)


# ------------------------------------------------------------------ row kernels

@njit(inline="always")
def _stack():
    """Room for the pending ranges of one sort: at most depth limit + 1 <= 2 * 63 + 1."""
    return np.empty(3 * 128, np.int64)


@njit(cache=True, error_model="numpy")
def sort_rows(keys, idx, plain_nan, nan_key):
    """std::sort of every row."""
    stack = _stack()
    n = keys.shape[1]
    for r in range(keys.shape[0]):
        _std_sort(keys[r], idx[r], 0, n, stack, plain_nan, nan_key)


@njit(cache=True, error_model="numpy")
def topk_rows(keys, idx, k, sorted_):
    """PyTorch's topk loop on every row (keys ordered so the wanted ones come first): a
    partial sort when 64 * k <= n, else nth_element at k - 1 and, when ``sorted_``, a sort
    of the k - 1 before it."""
    stack = _stack()
    n = keys.shape[1]
    for r in range(keys.shape[0]):
        kr = keys[r]
        xr = idx[r]
        if k * 64 <= n:
            _partial_sort(kr, xr, 0, k, n, False, 0)
        else:
            _nth_element(kr, xr, 0, k - 1, n, False, 0)
            if sorted_:
                _std_sort(kr, xr, 0, k - 1, stack, False, 0)


@njit(cache=True, error_model="numpy")
def quickselect_rows(keys, idx, k):
    """TH's quickselect (Sedgewick's partitioning, median-of-three pivot) of position ``k``
    in every row, ascending; PyTorch's kthvalue."""
    n = keys.shape[1]
    for r in range(keys.shape[0]):
        a = keys[r]
        x = idx[r]
        lo = 0
        hi = n - 1
        while hi > lo:
            if hi == lo + 1:
                if a[hi] < a[lo]:
                    _swap(a, x, lo, hi)
                break
            _swap(a, x, (lo + hi) >> 1, lo + 1)
            if a[hi] < a[lo + 1]:
                _swap(a, x, lo + 1, hi)
            if a[hi] < a[lo]:
                _swap(a, x, lo, hi)
            if a[lo] < a[lo + 1]:
                _swap(a, x, lo + 1, lo)
            i = lo + 1
            j = hi
            piv = a[lo]
            while True:
                i += 1
                while a[i] < piv:
                    i += 1
                j -= 1
                while piv < a[j]:
                    j -= 1
                if j < i:
                    break
                _swap(a, x, i, j)
            _swap(a, x, lo, j)
            if j <= k:
                lo = i
            if j >= k:
                hi = j - 1


@njit(cache=True, error_model="numpy")
def mode_rows(keys, idx, plain_nan, nan_key, out):
    """PyTorch's mode on every row: std::sort by a bare ``<`` (NaN unordered where
    ``plain_nan``), then the position of the last element of the first longest run of equal
    keys (NaNs never equal)."""
    stack = _stack()
    n = keys.shape[1]
    for r in range(keys.shape[0]):
        kr = keys[r]
        xr = idx[r]
        _std_sort(kr, xr, 0, n, stack, plain_nan, nan_key)
        best = 0
        best_freq = 0
        freq = 0
        for i in range(n):
            freq += 1
            if i == n - 1 or kr[i] != kr[i + 1] or (plain_nan and kr[i] == nan_key):
                if freq > best_freq:
                    best = xr[i]
                    best_freq = freq
                freq = 0
        out[r] = best
