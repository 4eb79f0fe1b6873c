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
compiled signature serves every dtype. ``pn`` selects the comparator of ``torch.mode`` on
floats (a bare ``<``): then the key ``nk`` (NaN) compares false both ways with every key.
Callers validate sizes; ``select_rows`` works in place on C-contiguous 2-D ``keys``/``idx``
(one row per slice), ``idx`` prefilled with the positions the keys came from.
"""
import numpy as np
from numba import njit

THRESHOLD = 16  # libstdc++'s _S_threshold
# a typed zero: a literal 0 argument would compile a second specialization of every callee
_ZERO = np.int64(0)


@njit
def _lt(a, b, pn, nk):
    if pn and (a == nk or b == nk):
        return False
    return a < b


@njit
def _swap(k, x, i, j):
    t = k[i]
    k[i] = k[j]
    k[j] = t
    u = x[i]
    x[i] = x[j]
    x[j] = u


@njit
def _lg(n):
    """floor(log2(n)) for n > 0 (libstdc++'s std::__lg)."""
    r = 0
    while n > 1:
        n >>= 1
        r += 1
    return r


# ------------------------------------------------------------------ heap (stl_heap.h)

@njit
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


@njit
def _pop_heap(k, x, first, last, result, pn, nk):
    vk = k[result]
    vx = x[result]
    k[result] = k[first]
    x[result] = x[first]
    _adjust_heap(k, x, first, _ZERO, last - first, vk, vx, pn, nk)


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

@njit
def _move_median_to_first(k, x, result, a, b, c, pn, nk):
    if _lt(k[a], k[b], pn, nk):
        m = b if _lt(k[b], k[c], pn, nk) else (c if _lt(k[a], k[c], pn, nk) else a)
    else:
        m = a if _lt(k[a], k[c], pn, nk) else (c if _lt(k[b], k[c], pn, nk) else b)
    _swap(k, x, result, m)


@njit
def _partition_pivot(k, x, first, last, pn, nk):
    """Median of (first+1, mid, last-1) to ``first``, then Hoare partition of the rest
    around it; returns the cut. The scans stop inside the range even where a comparator
    that is not a strict weak order (NaN under ``pn``) would let C++ run past it."""
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


@njit
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

@njit
def _topk_row(k, x, count, sorted_, stack, pn, nk):
    """PyTorch's topk loop (keys ordered so the wanted ones come first): a partial sort when
    64 * count <= n, else nth_element at count - 1 and, when ``sorted_``, a sort of the
    count - 1 before it."""
    n = k.shape[0]
    if count * 64 <= n:
        _partial_sort(k, x, _ZERO, count, n, pn, nk)
    else:
        _nth_element(k, x, _ZERO, count - 1, n, pn, nk)
        if sorted_:
            _std_sort(k, x, _ZERO, count - 1, stack, pn, nk)


@njit
def _quickselect_row(a, x, k):
    """TH's quickselect of position ``k``, ascending (Sedgewick's partitioning, median of
    three pivot): PyTorch's kthvalue."""
    lo = _ZERO
    hi = a.shape[0] - 1
    while hi > lo:
        if hi == lo + 1:
            if a[hi] < a[lo]:
                _swap(a, x, lo, hi)
            return
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


@njit
def _mode_row(k, x, stack, pn, nk):
    """PyTorch's mode: std::sort, then the position of the last element of the first
    longest run of equal keys (NaNs, under ``pn``, never equal)."""
    n = k.shape[0]
    _std_sort(k, x, _ZERO, n, stack, pn, nk)
    best = 0
    best_freq = 0
    freq = 0
    for i in range(n):
        freq += 1
        if i == n - 1 or k[i] != k[i + 1] or (pn and k[i] == nk):
            if freq > best_freq:
                best = x[i]
                best_freq = freq
            freq = 0
    return best


SORT, TOPK, TOPK_SORTED, KTHVALUE, MODE, MODE_NAN = range(6)


@njit(cache=True, error_model="numpy")
def select_rows(op, keys, idx, k, nan_key, out):
    """``op`` on every row of ``keys``/``idx``: SORT (std::sort), TOPK / TOPK_SORTED (the k
    first), KTHVALUE (position k), MODE / MODE_NAN (``out[r]`` = the mode's position; with
    MODE_NAN the key ``nan_key`` is NaN, unordered against every key). One entry point, so
    the shared steps compile once."""
    stack = np.empty(3 * 128, np.int64)  # pending ranges: at most depth limit + 1 <= 127
    pn = op == MODE_NAN
    for r in range(keys.shape[0]):
        if op == SORT:
            _std_sort(keys[r], idx[r], _ZERO, keys.shape[1], stack, pn, nan_key)
        elif op == TOPK or op == TOPK_SORTED:
            _topk_row(keys[r], idx[r], k, op == TOPK_SORTED, stack, pn, nan_key)
        elif op == KTHVALUE:
            _quickselect_row(keys[r], idx[r], k)
        else:
            out[r] = _mode_row(keys[r], idx[r], stack, pn, nan_key)
