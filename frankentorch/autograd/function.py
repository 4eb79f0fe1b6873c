"""``autograd.Function``: user-defined forward/backward pairs recorded in the graph."""
from __future__ import annotations

import functools
import weakref

from .._core import grad_mode as _grad_mode
from .._tensor import Tensor
from .graph import Node, SavedTensor, gradient_edge

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` of a custom Function: saved tensors and flags shared by forward/backward."""

    def save_for_backward(self, *tensors) -> None:
        self._saved = tuple(SavedTensor(t, self._node_name) if t is not None else None
                            for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if getattr(self, "_freed", False):
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of "
                "the graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        node = self._node() if hasattr(self, "_node") else None
        return tuple(s.unpack(node) if s is not None else None
                     for s in getattr(self, "_saved", ()))

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class _FunctionBackward(Node):
    """Graph node of one custom Function call (named ``<Class>Backward``)."""

    __slots__ = ("_cls", "ctx", "_output_metas")

    def name(self) -> str:
        return f"{self._cls.__name__}Backward"

    def apply(self, grads: tuple) -> tuple:
        ctx = self.ctx
        if getattr(ctx, "materialize_grads", True):
            from .. import zeros
            grads = tuple(g if g is not None else zeros(m[0], dtype=m[1])
                          for g, m in zip(grads, self._output_metas))
        out = self._cls.backward(ctx, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = len(self.next_functions)
        if len(out) < n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(out)})")
        return tuple(out[:n])

    def release_variables(self) -> None:
        super().release_variables()
        self.ctx._freed = True


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call
    ``apply``. (``setup_context`` style forwards without ctx are supported too.)"""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx._node_name = f"{cls.__name__}Backward"
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = _grad_mode.is_grad_enabled() and any(ctx.needs_input_grad)
        previous = _grad_mode._state.enabled
        _grad_mode._state.enabled = False
        try:
            if _has_setup_context(cls):
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            _grad_mode._state.enabled = previous
        if not record:
            return out
        outputs = out if isinstance(out, tuple) else (out,)
        node = _FunctionBackward(tuple(gradient_edge(a) if isinstance(a, Tensor) else None
                                       for a in args))
        node._cls, node.ctx = cls, ctx
        node.num_outputs = len(outputs)
        node._output_metas = tuple((o.shape, o.dtype) if isinstance(o, Tensor) else None
                                   for o in outputs)
        non_diff = {id(t) for t in getattr(ctx, "_non_differentiable", ())}
        dirty = {id(t) for t in getattr(ctx, "_dirty", ())}
        wrapped = []
        for nr, o in enumerate(outputs):
            if isinstance(o, Tensor):
                differentiable = id(o) not in non_diff
                if any(o is a for a in tensor_args) and id(o) not in dirty:
                    o = o.detach()  # an input returned as is becomes a new output tensor
                if differentiable and o.dtype.is_floating_point:
                    o.grad_fn = node
                    o._output_nr = nr
                    o._requires_grad = True
            wrapped.append(o)
        if getattr(ctx, "_saved", None):  # saved outputs: kept without their history
            ctx._saved = tuple(_saved_output(st, node) for st in ctx._saved)
            ctx._node = weakref.ref(node)
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]


def _saved_output(saved: SavedTensor | None, node: Node) -> SavedTensor | None:
    """``saved`` as an output of ``node`` when it is one (its version as saved)."""
    if saved is None or saved.tensor is None or saved.tensor._grad_fn is not node:
        return saved  # (None, or not an output of node)
    out = SavedTensor(saved.tensor, saved._node_name, True)
    out.version = saved.version
    return out


def _has_setup_context(cls) -> bool:
    return getattr(cls, "setup_context", None) is not None and \
        cls.setup_context is not getattr(Function, "setup_context", None)


def once_differentiable(fn):
    """Mark a backward as not differentiable twice: it runs with grad mode off."""
    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        previous = _grad_mode._state.enabled
        _grad_mode._state.enabled = False
        try:
            return fn(ctx, *grads)
        finally:
            _grad_mode._state.enabled = previous
    return wrapper
