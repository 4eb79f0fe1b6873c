"""gradcheck / gradgradcheck: analytical gradients against central finite differences."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Analytical and numerical Jacobians disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical(func, inputs, i: int, eps: float) -> list[np.ndarray]:
    """d outputs / d inputs[i] by central differences, one input element at a time (grad mode
    stays on: ``func`` may itself differentiate, as in gradgradcheck)."""
    x = inputs[i]
    if not x.is_contiguous():
        raise ValueError("gradcheck expects contiguous inputs")
    flat = x.detach()._array().reshape(-1)  # shares memory: perturbs the input in place

    def values():
        return [o.detach()._array().astype(np.float64).reshape(-1).copy()
                for o in _outputs(func, inputs)]
    jac = [np.zeros((x.numel(), v.size)) for v in values()]
    for k in range(x.numel()):
        orig = float(flat[k])
        flat[k] = orig + eps
        plus = values()
        flat[k] = orig - eps
        minus = values()
        flat[k] = orig
        for j, (p, m) in enumerate(zip(plus, minus)):
            jac[j][k] = (p - m) / (2 * eps)
    return jac


def _analytical(func, inputs, i: int) -> list[np.ndarray]:
    """d outputs / d inputs[i] row by row from one-hot output gradients."""
    from . import grad
    from .. import zeros
    outs = _outputs(func, inputs)
    x = inputs[i]
    jac = []
    for o in outs:
        j = np.zeros((x.numel(), o.numel()))
        for c in range(o.numel()):
            g = zeros(o.shape, dtype=o.dtype)
            g.view(-1)[c] = 1
            (gi,) = grad(o, x, g, retain_graph=True, allow_unused=True)
            if gi is not None:
                j[:, c] = gi._array().astype(np.float64).reshape(-1)
        jac.append(j)
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """Check ``func``'s gradients with respect to every input that requires grad."""
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            continue
        for o_nr, (num, ana) in enumerate(zip(_numerical(func, inputs, i, eps),
                                              _analytical(func, inputs, i))):
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(f"Jacobian mismatch for output {o_nr} with respect to "
                                         f"input {i},\nnumerical:{num}\nanalytical:{ana}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **_ignored) -> bool:
    """gradcheck of the first-order gradients (built with create_graph=True)."""
    from . import grad
    from .. import tensor
    inputs = _as_tuple(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype,
                                    requires_grad=True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)

    def first_order(*args):
        n = len(inputs)
        xs, gs = args[:n], args[n:]
        os = _outputs(func, xs)
        return grad(os, [x for x in xs if isinstance(x, Tensor) and x.requires_grad], gs,
                    create_graph=True, allow_unused=True)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception) if diff else True
