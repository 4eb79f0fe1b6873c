"""Dense linear-algebra kernels over NumPy arrays (never Tensors).

Products go to NumPy's BLAS (``np.matmul`` picks the transposed-operand flags itself, so
strided views of a transposed matrix are not copied); factorizations go to NumPy's LAPACK.
Halves are widened to float32, computed there and rounded once, as PyTorch's CPU kernels do.
The LAPACK error codes (which diagonal element of U is zero, which leading minor is not
positive-definite) are recovered by the small pure-NumPy factorizations below, which only
run after LAPACK has reported a failure.
"""
from __future__ import annotations

import numpy as np

_WIDE = {np.dtype(np.float16)}


def widen(a: np.ndarray) -> np.ndarray:
    """float16/bfloat16 arrays as float32 (other dtypes unchanged)."""
    if a.dtype in _WIDE or a.dtype.name == "bfloat16":
        return a.astype(np.float32)
    return a


def matmul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = a @ b`` with NumPy's matmul broadcasting; halves accumulate in float32."""
    if out.dtype == a.dtype and a.dtype not in _WIDE and a.dtype.name != "bfloat16":
        np.matmul(a, b, out=out)
    else:
        out[...] = np.matmul(widen(a), widen(b))


def lu_zero_pivot(a: np.ndarray) -> int:
    """getrf's info for one square matrix: 1-based index of the first exactly-zero pivot of
    LU with partial pivoting, 0 when there is none."""
    a = np.array(a, dtype=np.float64 if a.dtype == np.float64 else np.float32)
    n = a.shape[0]
    info = 0
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            if info == 0:
                info = k + 1
            continue
        if p != k:
            a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return info


def cholesky_bad_minor(a: np.ndarray) -> int:
    """potrf's info for one matrix (lower triangle read): order of the first leading minor
    that is not positive-definite, 0 when there is none."""
    a = np.array(a, dtype=np.float64 if a.dtype == np.float64 else np.float32)
    n = a.shape[0]
    L = np.zeros_like(a)
    for j in range(n):
        d = a[j, j] - np.dot(L[j, :j], L[j, :j])
        if not d > 0:
            return j + 1
        L[j, j] = np.sqrt(d)
        L[j + 1:, j] = (a[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return 0


def _first_failure(stack: np.ndarray, finder) -> tuple[int, int]:
    """(batch index, info) of the first matrix in a (B, n, n) stack that the finder rejects."""
    for i in range(stack.shape[0]):
        info = finder(stack[i])
        if info:
            return i, info
    return 0, 0


def inv(a: np.ndarray):
    """Inverse of a stack (..., n, n). Returns (result, None) or (None, (batch, info))."""
    try:
        return np.linalg.inv(a), None
    except np.linalg.LinAlgError:
        n = a.shape[-1]
        return None, _first_failure(a.reshape(-1, n, n), lu_zero_pivot)


def solve(a: np.ndarray, b: np.ndarray):
    """Solve a @ x = b for stacks a (..., n, n), b (..., n, k) (batch dims already equal)."""
    try:
        return np.linalg.solve(a, b), None
    except np.linalg.LinAlgError:
        n = a.shape[-1]
        return None, _first_failure(a.reshape(-1, n, n), lu_zero_pivot)


def det(a: np.ndarray) -> np.ndarray:
    return np.linalg.det(a)


def cholesky(a: np.ndarray):
    """Lower Cholesky factor of a stack (..., n, n), reading the lower triangle."""
    try:
        return np.linalg.cholesky(a), None
    except np.linalg.LinAlgError:
        n = a.shape[-1]
        return None, _first_failure(a.reshape(-1, n, n), cholesky_bad_minor)
