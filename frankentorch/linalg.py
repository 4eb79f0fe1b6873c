"""``frankentorch.linalg``: PyTorch's linear-algebra namespace over the op registry."""
from __future__ import annotations

from ._dispatch.dispatcher import OPS as _OPS
from ._ops.linalg import LinAlgError

__all__ = ["LinAlgError", "solve", "inv", "det", "cholesky", "matmul", "vector_norm",
           "matrix_norm", "svdvals"]

solve = _OPS["linalg_solve"].function()
inv = _OPS["linalg_inv"].function()
det = _OPS["linalg_det"].function()
cholesky = _OPS["linalg_cholesky"].function()
matmul = _OPS["matmul"].function()
vector_norm = _OPS["linalg_vector_norm"].function()
matrix_norm = _OPS["linalg_matrix_norm"].function()
svdvals = _OPS["linalg_svdvals"].function()
