"""The autograd kernel: runs an op below autograd and records its derivative formula.

Formulas are declared next to their ops with ``@op.backward("MulBackward0", saves=...)``
(``_dispatch.dispatcher.Backward``); a formula gets the output gradients and the bound
arguments by name (saved tensors unpacked with their version checked, other tensors as
shape-only stand-ins). Ops without a formula get PyTorch's behaviour: outputs that need grad
carry a node that raises when backward reaches it.
"""
from __future__ import annotations

from typing import Callable

from .._core import grad_mode as _grad_mode
from .._dispatch import dispatcher as _dispatch
from .._dispatch import keys as K
from .._core.size import Size
from .._tensor import Tensor
from .._ops.iterator import sum_to
from .graph import Node, SavedTensor, gradient_edge
from .view_inplace import record_copy_slices

__all__ = ["OpBackward"]

_AFTER_AUTOGRAD = ~K.autograd_dispatch_keyset.raw


class _Meta:
    """Shape, dtype, device and geometry of a tensor argument that was not saved."""

    __slots__ = ("_shape", "_stride", "_offset", "dtype", "device", "_storage_bytes")

    def __init__(self, t: Tensor) -> None:
        self._shape, self._stride, self._offset = t._shape, t._stride, t._offset
        self.dtype, self.device, self._storage_bytes = t._dtype, t._device, t._storage._nbytes

    @property
    def shape(self) -> Size:
        return Size(self._shape)

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def geometry(self) -> tuple:
        """As ``_ops.views.geometry`` of the tensor."""
        return (self._shape, self._stride, self._offset,
                self._storage_bytes // self.dtype.itemsize)


class _Args:
    """The bound arguments of the forward call, by schema name, for a formula (saved
    tensors are unpacked, with their version checked, when the formula reads them)."""

    __slots__ = ("_node",)

    def __init__(self, node: "OpBackward") -> None:
        self._node = node

    def __getattr__(self, name: str):
        node = self._node
        if name == "result":
            r = node._result
            if r is None:
                raise AttributeError("result")
            return tuple(x.unpack() for x in r) if isinstance(r, tuple) else r.unpack()
        try:
            value = node._args[name]
        except KeyError:
            raise AttributeError(name) from None
        return value.unpack() if isinstance(value, SavedTensor) else value

    def needs_grad(self, name: str) -> bool:
        """Whether the tensor argument ``name`` takes a gradient (torch's output mask): a
        formula may skip the work for the others."""
        node = self._node
        slot = 0
        for arg, n in zip(node._input_names, node._list_lengths):
            count = 1 if n is None else n
            if arg == name:
                return any(m is not None for m in node._input_metas[slot:slot + count])
            slot += count
        return False


class OpBackward(Node):
    """Backward node of one op call (named as PyTorch names it, e.g. ``MulBackward0``).

    Its edges are the differentiable tensor arguments in schema order, a ``Tensor[]``
    argument contributing one edge per element; a formula returns one gradient per
    differentiable argument (a sequence of them for a ``Tensor[]``, or all of them flat)."""

    __slots__ = ("_formula", "_args", "_result", "_input_metas", "_input_names",
                 "_list_lengths", "num_outputs", "_output_metas")

    def name(self) -> str:
        return self._formula.name

    def apply(self, grads: tuple) -> tuple:
        if self._released and (self._formula.saves or self._formula.save_result):
            raise RuntimeError(_FREED)
        grads = tuple(g if g is not None else _zeros(m) for g, m in zip(grads,
                                                                        self._output_metas))
        out = self._formula.fn(grads if len(grads) > 1 else grads[0], _Args(self))
        if not isinstance(out, tuple):
            out = (out,)
        flat = out
        if len(out) != len(self._input_metas) or any(isinstance(g, (tuple, list)) for g in out):
            flat = []
            for g, n in zip(out, self._list_lengths):
                if n is None:
                    flat.append(g)
                else:
                    flat.extend(g if g is not None else (None,) * n)
        return tuple(_fit(g, m) if g is not None and m is not None else None
                     for g, m in zip(flat, self._input_metas))

    def release_variables(self) -> None:
        super().release_variables()
        if self._formula.saves:
            self._args = {k: v for k, v in self._args.items()
                          if not isinstance(v, SavedTensor)}
        self._result = None

    @property
    def saved_tensors(self):
        return tuple(v.unpack() for v in self._args.values() if isinstance(v, SavedTensor))


def _zeros(meta):
    from .. import zeros
    return zeros(meta[0], dtype=meta[1])


def _fit(grad: Tensor, meta) -> Tensor:
    """Reduce a broadcast gradient back to its input's shape and cast it to its dtype."""
    shape, dt = meta
    if grad._shape != shape:
        grad = sum_to(grad, shape)
    if grad._dtype is not dt:
        grad = grad.to(dt)
    return grad


def _autograd_kernel(op: "_dispatch.Op") -> Callable:
    """The kernel for autograd keys: run below autograd, then record a node for outputs."""
    schema = op.schema
    names = [a.name for a in schema.arguments]
    tensor_pos = sorted(schema.tensor_arg_indices)
    list_pos = set(schema.tensor_list_arg_indices)
    is_inplace = schema.is_inplace and names[0] == "self"
    inplace_view = "inplace_view" in op.tags  # changes self's geometry, not its elements
    is_out = bool(schema.out_indices)

    positions: dict = {}  # formula -> positions of its differentiable arguments

    def kernel(*args):
        formula = op.derivative or (_inplace_formula(op) if is_inplace else None)
        bits = op.keyset_bits(args) & _AFTER_AUTOGRAD
        diff_pos = positions.get(formula)
        if diff_pos is None:
            diff_pos = positions[formula] = [
                i for i in tensor_pos
                if formula is None or formula.inputs is None or names[i] in formula.inputs]
        # the differentiable tensors, flat (a Tensor[] argument gives one per element)
        inputs = []
        lengths = []
        for i in diff_pos:
            a = args[i]
            if i in list_pos:
                a = list(a or ())
                lengths.append(len(a))
                inputs.extend(a)
            else:
                lengths.append(None)
                inputs.append(a)
        requires = False
        for t in inputs:
            if getattr(t, "_requires_grad", False) or \
                    getattr(t, "_base", None) is not None and t.requires_grad:
                requires = True
                break
        if is_out and requires:
            raise RuntimeError(f"{op.name.split('.')[0]}(): functions with out=... arguments "
                               "don't support automatic differentiation, but one of the "
                               "arguments requires grad.")
        if is_inplace:
            _check_inplace(args[0])
        if requires:  # inputs as they are before the op (an in-place op may change self)
            input_metas = tuple((t._shape, t._dtype) if getattr(t, "_requires_grad", False)
                                else None for t in inputs)
            # an in-place op keeps a copy of the self it overwrites (recorded, so that
            # double backward sees its history)
            original = args[0].clone() if is_inplace and formula is not None and \
                "self" in formula.saves else None
        previous = _grad_mode._state.enabled
        _grad_mode._state.enabled = False  # below autograd: nested ops do not record
        try:
            saved = _save_inputs(args, names, formula, original) if requires else None
            out = op.redispatch(args, bits)
        finally:
            _grad_mode._state.enabled = previous
        if not requires:
            return out
        outputs = out if isinstance(out, tuple) else (out,)
        if not any(isinstance(o, Tensor) and o._dtype.is_floating_point for o in outputs):
            return out
        node = OpBackward(tuple(gradient_edge(t) for t in inputs))
        node._formula = formula or _dispatch.Backward(f"{_camel(op.name)}NotImplemented",
                                                      _not_implemented(op.name), (), False,
                                                      None)
        node._args = saved
        node._input_metas = input_metas
        node._list_lengths = lengths
        node._input_names = [names[i] for i in diff_pos]
        node.num_outputs = len(outputs)
        node._output_metas = tuple((o._shape, o._dtype) if isinstance(o, Tensor) else None
                                   for o in outputs)
        for nr, o in enumerate(outputs):
            if isinstance(o, Tensor) and o._dtype.is_floating_point:
                o.grad_fn = node
                o._output_nr = nr
                o._requires_grad = True
        node._result = None
        if node._formula.save_result:
            saved_out = tuple(SavedTensor(o, node._formula.name, True) for o in outputs)
            node._result = saved_out if len(saved_out) > 1 else saved_out[0]
        if is_inplace and args[0]._base is not None and not inplace_view:
            record_copy_slices(args[0], node)
        return out
    return kernel


def _save_inputs(args: tuple, names: list, formula, original) -> dict:
    """The bound arguments a formula reads: saved tensors (version-checked; ``original``
    stands for the ``self`` an in-place op overwrites), shape-only stand-ins for other
    tensors, plain values."""
    saves = formula.saves if formula is not None else ()
    node_name = formula.name if formula is not None else ""
    saved = {}
    for i, (name, value) in enumerate(zip(names, args)):
        if isinstance(value, Tensor):
            if name not in saves:
                value = _Meta(value)
            else:
                value = SavedTensor(original if i == 0 and original is not None else value,
                                    node_name)
        saved[name] = value
    return saved


_INPLACE_FORMULAS: dict = {}


def _inplace_formula(op: "_dispatch.Op"):
    """An in-place op differentiates like its functional overload (same arguments), as
    derivatives.yaml's in-place entries do; ``None`` when there is none."""
    if op in _INPLACE_FORMULAS:
        return _INPLACE_FORMULAS[op]
    signature = [(a.name, str(a.type)) for a in op.schema.arguments]
    formula = None
    packet = _dispatch.OPS.get(op.name.split(".", 1)[0][:-1])
    for candidate in packet.overloads if packet is not None else ():
        candidate._materialize()
        if candidate.derivative is not None and not candidate.schema.is_inplace and \
                [(a.name, str(a.type)) for a in candidate.schema.arguments] == signature:
            formula = candidate.derivative
            break
    _INPLACE_FORMULAS[op] = formula
    return formula


_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


def _check_inplace(t: Tensor) -> None:
    base = t._base
    if base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if t._grad_fn is None and t._requires_grad and base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def _camel(name: str) -> str:
    base = name.split(".", 1)[0].strip("_")
    return "".join(part.capitalize() for part in base.split("_"))


def _not_implemented(name: str) -> Callable:
    def fn(grads, args):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return fn


_dispatch.set_autograd_fallback(_autograd_kernel)
