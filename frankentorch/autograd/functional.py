"""``frankentorch.autograd.functional``: derivatives of whole functions, built on backward.

``vjp`` is one backward pass; ``jvp`` uses the double-backward trick (a vjp of the vjp with
respect to its upstream gradient); ``jacobian`` stacks one vjp per output element and
``hessian`` is the jacobian of the gradient. Inputs and results follow PyTorch's conventions:
a single tensor in gives a single tensor out, tuples give tuples, and results are detached
unless ``create_graph=True``.
"""
from __future__ import annotations

from typing import Callable

from .._tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(value, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i} has type {type(el)}" if is_tuple else \
                f"the given {arg_name} has type {type(el)}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where}.")
    return is_tuple, items


def _unpack(res, is_tuple):
    """Undo ``_as_tuple`` on a result (``is_tuple`` may be a pair for nested results)."""
    if isinstance(is_tuple, tuple):
        if not is_tuple[1]:
            res = tuple(el[0] for el in res)
        is_tuple = is_tuple[0]
    return res if is_tuple else res[0]


def _prepare(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensor objects that require grad: the function's own use of the caller's tensors
    must not be confused with these inputs."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad
                 else x.detach().requires_grad_(need_graph) for x in inputs)


def _finish(tensors: tuple, create_graph: bool) -> tuple:
    if tensors and isinstance(tensors[0], tuple):
        return tuple(_finish(t, create_graph) for t in tensors)
    return tensors if create_graph else tuple(t.detach() for t in tensors)


def _grad(outputs: tuple, inputs: tuple, grad_outputs=None, create_graph=False,
          retain_graph=None) -> tuple:
    """``autograd.grad`` that skips outputs without history and allows unused inputs."""
    from . import grad
    grad_outputs = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True,
                create_graph=create_graph, retain_graph=retain_graph)


def _zeros_for_missing(grads: tuple, refs: tuple, strict: bool, what: str) -> tuple:
    from .. import zeros_like
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            g = zeros_like(ref)
        out.append(g)
    return tuple(out)


def _check_v(v: tuple, refs: tuple, refs_tuple: bool) -> None:
    if len(v) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got "
                           f"{len(v)}." if refs_tuple else
                           "The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, refs)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if refs_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


_NO_V_OUTPUT = ("The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element.")
_NO_V_INPUT = ("The vector v can only be None if the input to the user-provided function is a "
               "single Tensor with a single element.")


def _vector(v, refs: tuple, refs_tuple: bool, fn_name: str, create_graph: bool,
            none_message: str):
    """``v`` as a checked tuple shaped like ``refs``; None only for a single one-element ref."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _prepare(v, create_graph, False)
    _check_v(v, refs, refs_tuple)
    return v


def _call(func: Callable, inputs: tuple, fn_name: str) -> tuple[bool, tuple]:
    return _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)


def _check_outputs_require_grad(outputs: tuple, strict: bool) -> None:
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not "
                                   "require gradients. The outputs must be computed in a "
                                   "differentiable manner from the input when running in "
                                   "strict mode.")


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·J)``: the vector-Jacobian product at ``inputs``."""
    from .grad_mode import enable_grad
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        out_tuple, outputs = _call(func, inputs, "vjp")
        _check_outputs_require_grad(outputs, strict)
        v = _vector(v, outputs, out_tuple, "vjp", create_graph, _NO_V_OUTPUT)
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, "output")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(result, create_graph), in_tuple))


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J·v)``: the Jacobian-vector product, by the double-backward trick."""
    from .grad_mode import enable_grad
    from .. import zeros_like
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _vector(v, inputs, in_tuple, "jvp", create_graph, _NO_V_INPUT)
        out_tuple, outputs = _call(func, inputs, "jvp")
        _check_outputs_require_grad(outputs, strict)
        # u ↦ uᵀJ is linear in u, so differentiating it with respect to u along v gives J·v
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        grads = _grad(outputs, inputs, dummies, create_graph=True)
        grads = _zeros_for_missing(grads, inputs, strict, "output")
        result = _grad(grads, dummies, v, create_graph=create_graph)
        result = _zeros_for_missing(result, outputs, strict, "gradient")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(result, create_graph), out_tuple))


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: one vjp per output element; entry (i, j) has
    shape ``outputs[i].shape + inputs[j].shape``."""
    from .grad_mode import enable_grad
    from .. import stack, zeros
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         "Hint: If your function has more outputs than inputs, "
                         '"forward-mode" tends to be more performant. Otherwise, prefer to '
                         'use "reverse-mode".')
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        out_tuple, outputs = _call(func, inputs, "jacobian")
        _check_outputs_require_grad(outputs, strict)
        rows = []
        for i, out in enumerate(outputs):
            per_input = [[] for _ in inputs]
            flat = out.reshape(-1)
            for j in range(flat.numel()):
                grads = _grad((flat[j],), inputs, retain_graph=True,
                              create_graph=create_graph)
                for k, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {k}. This is not allowed in strict mode.")
                        g = zeros(inp.shape, dtype=inp.dtype)
                    per_input[k].append(g)
            rows.append(tuple(
                (stack(gs) if gs else zeros((0,) + tuple(inp.shape), dtype=inp.dtype))
                .reshape(tuple(out.shape) + tuple(inp.shape))
                for gs, inp in zip(per_input, inputs)))
    return _unpack(_finish(tuple(rows), create_graph), (out_tuple, in_tuple))


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out_tuple, out = _call(func, xs, "hessian")
        if out_tuple or out[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element.")
        out = out[0].reshape(())
        grads = _grad((out,), xs, create_graph=True)
        return _zeros_for_missing(grads, xs, strict, "jacobian")

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   strategy=outer_jacobian_strategy)
    return _unpack(res, (in_tuple, in_tuple))


def _second_order(name: str, func: Callable, inputs, v, create_graph: bool, strict: bool,
                  hessian_first: bool):
    from .grad_mode import enable_grad
    from .. import zeros_like
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _prepare(inputs, create_graph, True)
        v = _vector(v, inputs, in_tuple, name, create_graph, _NO_V_INPUT)
        out_tuple, outputs = _call(func, inputs, name)
        if out_tuple or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hvp should return a single Tensor with "
                               "a single element." if name == "hvp" else
                               "The Tensor returned by the function given to vhp should "
                               "contain a single element")
        _check_outputs_require_grad(outputs, strict)
        jac = _zeros_for_missing(_grad(outputs, inputs, create_graph=True), inputs, strict,
                                 "output")
        if hessian_first:  # H·v = d/du (uᵀH)ᵀ·v at u = 0, by the double-backward trick
            dummies = tuple(zeros_like(x).requires_grad_(True) for x in inputs)
            vh = _zeros_for_missing(_grad(jac, inputs, dummies, create_graph=True), inputs,
                                    strict, "jacobian")
            result = _grad(vh, dummies, v, create_graph=create_graph)
        else:
            result = _grad(jac, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(result, inputs, strict, "jacobian")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(result, create_graph), in_tuple))


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·H)``: vector-Hessian product of a scalar function."""
    return _second_order("vhp", func, inputs, v, create_graph, strict, hessian_first=False)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H·v)``: Hessian-vector product of a scalar function."""
    return _second_order("hvp", func, inputs, v, create_graph, strict, hessian_first=True)
