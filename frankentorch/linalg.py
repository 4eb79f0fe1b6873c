"""``frankentorch.linalg``: PyTorch's linear-algebra namespace over the op registry."""
from __future__ import annotations

from ._dispatch.dispatcher import OPS as _OPS
from ._ops.linalg import LinAlgError

__all__ = ["LinAlgError", "solve", "inv", "det", "cholesky", "matmul", "vector_norm"]

solve = _OPS["linalg_solve"].function()
inv = _OPS["linalg_inv"].function()
det = _OPS["linalg_det"].function()
cholesky = _OPS["linalg_cholesky"].function()
matmul = _OPS["matmul"].function()


def __getattr__(name: str):
    """``vector_norm`` comes from the reduction family's ``linalg_vector_norm`` op, looked up
    when first asked for (that family may register it after this module loads)."""
    if name == "vector_norm" and "linalg_vector_norm" in _OPS:
        fn = _OPS["linalg_vector_norm"].function()
        globals()["vector_norm"] = fn
        return fn
    raise AttributeError(f"module 'frankentorch.linalg' has no attribute '{name}'")
