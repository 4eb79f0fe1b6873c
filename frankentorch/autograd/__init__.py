"""Autograd: record ops on tensors that require grad, then run them backward.

``backward``/``grad`` follow PyTorch; with ``report=True`` they also say exactly what the
engine did (a :class:`BackwardReport`).
"""
from __future__ import annotations

from .._tensor import Tensor
from . import derivatives  # noqa: F401  (installs the autograd kernel)
from .engine import (BackwardReport, ReentrantDepthError, _accumulate_leaf,
                     get_max_reentrant_depth, run_backward, set_max_reentrant_depth)
from .function import Function, FunctionCtx, once_differentiable
from . import functional  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, Node, gradient_edge
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "BackwardReport", "ReentrantDepthError", "set_max_reentrant_depth",
           "get_max_reentrant_depth", "Node", "AccumulateGrad", "gradcheck", "gradgradcheck",
           "GradcheckError"]


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _root_grads(outputs: tuple, grads: tuple, create_graph: bool) -> list:
    from .. import ones_like
    out = []
    for i, t in enumerate(outputs):
        g = grads[i] if i < len(grads) else None
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError("grad can be implicitly created only for real scalar "
                                   f"outputs but got {t.dtype}")
            g = ones_like(t)
        elif isinstance(g, Tensor):
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {t.shape}.")
            if g.dtype is not t.dtype and t.dtype.is_floating_point:
                g = g.to(t.dtype)  # the engine computes in each output's dtype, as torch's
        out.append(g)
    return out


def _root_edges(outputs: tuple) -> list:
    edges = []
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"outputs must be tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        edges.append(gradient_edge(t))
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             grad_variables=None, inputs=None, *, report: bool = False):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad`` (or only ``inputs``').

    With ``report=True`` returns the :class:`BackwardReport` of this pass.
    """
    outputs = _as_tuple(tensors)
    edges = _root_edges(outputs)
    grads = _root_grads(outputs, _as_tuple(grad_tensors), create_graph)
    keep = create_graph if retain_graph is None else retain_graph
    rep = BackwardReport() if report else None
    input_list = _as_tuple(inputs)
    if inputs is not None and not input_list:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    if input_list:
        in_edges = [gradient_edge(t) for t in input_list]
        captured = run_backward(edges, grads, keep_graph=keep, create_graph=create_graph,
                                inputs=in_edges, accumulate=False, report=rep)
        for t, g in zip(input_list, captured):
            if g is not None:
                _accumulate_leaf(t, g, create_graph)
    else:
        run_backward(edges, grads, keep_graph=keep, create_graph=create_graph, report=rep)
    return rep


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False, *, report: bool = False):
    """Gradients of ``outputs`` with respect to ``inputs`` (returned, not accumulated)."""
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    edges = _root_edges(outs)
    grads = _root_grads(outs, _as_tuple(grad_outputs), create_graph)
    keep = create_graph if retain_graph is None else retain_graph
    rep = BackwardReport() if report else None
    captured = run_backward(edges, grads, keep_graph=keep,
                            create_graph=create_graph, inputs=[gradient_edge(t) for t in ins],
                            accumulate=False, report=rep)
    result = []
    for t, g in zip(ins, captured):
        if g is None:
            if materialize_grads:
                from .. import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
        result.append(g)
    return (tuple(result), rep) if report else tuple(result)
