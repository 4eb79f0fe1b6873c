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
from .._core.size import Size, size_of
from .._dispatch import dispatcher as _dispatch
from .._dispatch import keys as K
from .._ops.reduction import sum_to
from .._tensor import Tensor
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
        return size_of(self._shape)

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def geometry(self) -> tuple:
        """As ``_ops.views.geometry`` of the tensor."""
        return (self._shape, self._stride, self._offset,
                self._storage_bytes // self.dtype.itemsize)


class _Plan:
    """What the autograd kernel of one op needs, worked out once from its schema and formula:
    where the differentiable tensors are, which arguments are saved, and names to positions."""

    __slots__ = ("formula", "index", "diff_pos", "list_pos", "input_names", "slot", "save_pos",
                 "meta_pos", "has_saves", "clone_self")

    def __init__(self, op: "_dispatch.Op", formula) -> None:
        schema = op.schema
        names = [a.name for a in schema.arguments]
        tensor_pos = sorted(schema.tensor_arg_indices)
        saves = formula.saves
        self.formula = formula
        self.index = {n: i for i, n in enumerate(names)}
        self.diff_pos = tuple(i for i in tensor_pos if formula.inputs is None or
                              names[i] in formula.inputs)
        lists = set(schema.tensor_list_arg_indices)
        self.list_pos = frozenset(i for i in self.diff_pos if i in lists)
        self.input_names = tuple(names[i] for i in self.diff_pos)
        self.slot = {n: i for i, n in enumerate(self.input_names)}  # when there is no list
        self.save_pos = tuple(i for i in tensor_pos if names[i] in saves)
        self.meta_pos = tuple(i for i in tensor_pos if names[i] not in saves)
        self.has_saves = bool(saves) or formula.save_result
        # an in-place op keeps a copy of the self it overwrites (recorded, so that double
        # backward sees its history)
        self.clone_self = schema.is_inplace and names[0] == "self" and "self" in saves

    def values(self, args: tuple, original) -> list:
        """The bound arguments as the node keeps them: saved tensors (version-checked;
        ``original`` stands for the ``self`` an in-place op overwrites), shape-only stand-ins
        for other tensors, plain values."""
        values = list(args)
        name = self.formula.name
        for i in self.save_pos:
            v = args[i]
            if isinstance(v, Tensor):
                values[i] = SavedTensor(original if i == 0 and original is not None else v,
                                        name)
        for i in self.meta_pos:
            v = args[i]
            if isinstance(v, Tensor):
                values[i] = _Meta(v)
        return values


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
            # its history matters only to a formula that records (create_graph)
            owner = node if _grad_mode._state.enabled else None
            return tuple(x.unpack(owner) for x in r) if isinstance(r, tuple) else \
                r.unpack(owner)
        i = node._plan.index.get(name)
        if i is None:
            raise AttributeError(name)
        value = node._values[i]
        return value.unpack() if value.__class__ is SavedTensor else value

    def needs_grad(self, name: str) -> bool:
        """Whether the tensor argument ``name`` takes a gradient (torch's output mask): a
        formula may skip the work for the others."""
        node = self._node
        if node._list_lengths is None:
            slot = node._plan.slot.get(name)
            return slot is not None and node._input_metas[slot] is not None
        slot = 0
        for arg, n in zip(node._plan.input_names, node._list_lengths):
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

    __slots__ = ("_plan", "_values", "_result", "_input_metas", "_list_lengths", "num_outputs",
                 "_output_metas")

    def name(self) -> str:
        return self._plan.formula.name

    def apply(self, grads: tuple) -> tuple:
        plan = self._plan
        if self._released and plan.has_saves:
            raise RuntimeError(_FREED)
        if len(grads) == 1:
            g = grads[0]
            out = plan.formula.fn(g if g is not None else _zeros(self._output_metas[0]),
                                  _Args(self))
        else:  # outputs without gradients (non-differentiable ones) get None
            out = plan.formula.fn(tuple(g if g is not None or m is None else _zeros(m)
                                        for g, m in zip(grads, self._output_metas)),
                                  _Args(self))
        if out.__class__ is not tuple:
            out = (out,)
        metas = self._input_metas
        if self._list_lengths is not None and (len(out) != len(metas) or
                                               any(isinstance(g, (tuple, list)) for g in out)):
            flat = []
            for g, n in zip(out, self._list_lengths):
                if n is None:
                    flat.append(g)
                else:
                    flat.extend(g if g is not None else (None,) * n)
            out = flat
        result = []
        for g, m in zip(out, metas):
            if g is None or m is None:
                result.append(None)
            elif g._shape is m[0] or g._shape == m[0] and g._dtype is m[1]:
                result.append(g if g._dtype is m[1] else g.to(m[1]))
            else:
                result.append(_fit(g, m))
        return tuple(result)

    def release_variables(self) -> None:
        self._released = True
        if self._plan.has_saves:  # apply refuses to run again, so nothing is read any more
            self._values = ()
            self._result = None

    @property
    def saved_tensors(self):
        if self._released and self._plan.has_saves:
            raise RuntimeError(_FREED)
        return tuple(v.unpack() for v in self._values if isinstance(v, SavedTensor))


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


def _autograd_kernel(op: "_dispatch.Op", bits: int) -> Callable:
    """The kernel for the autograd key set ``bits``: run the kernel below autograd, then
    record a node for the outputs."""
    schema = op.schema
    is_inplace = schema.is_inplace and schema.arguments[0].name == "self"
    inplace_view = "inplace_view" in op.tags  # changes self's geometry, not its elements
    is_out = bool(schema.out_indices)
    formula = op.derivative or (_inplace_formula(op) if is_inplace else None) or \
        _dispatch.Backward(f"{_camel(op.name)}NotImplemented", _not_implemented(op.name), (),
                           False, None)
    plan = _Plan(op, formula)
    diff_pos, list_pos = plan.diff_pos, plan.list_pos
    differentiable = formula.outputs  # None: every floating output
    below_bits = bits & _AFTER_AUTOGRAD
    below = op._cache.get(below_bits) or op._resolve(below_bits)
    state = _grad_mode._state

    def kernel(*args):
        # the differentiable tensors, flat (a Tensor[] argument gives one per element)
        if list_pos:
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
        else:
            inputs = [args[i] for i in diff_pos]
            lengths = None
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
        if not requires:
            previous = state.enabled
            state.enabled = False  # below autograd: nested ops do not record
            try:
                return below(*args)
            finally:
                state.enabled = previous
        # inputs as they are before the op (an in-place op may change self)
        input_metas = tuple([(t._shape, t._dtype) if getattr(t, "_requires_grad", False)
                             else None for t in inputs])
        edges = tuple([gradient_edge(t) for t in inputs])
        original = args[0].clone() if plan.clone_self else None
        previous = state.enabled
        state.enabled = False
        try:
            values = plan.values(args, original)
            out = below(*args)
        finally:
            state.enabled = previous
        if out.__class__ is Tensor:
            if not out._dtype.is_floating_point or differentiable and not differentiable[0]:
                return out
            outputs = (out,)
            output_metas = ((out._shape, out._dtype),)
        else:
            outputs = out if isinstance(out, tuple) else (out,)
            output_metas = tuple([
                (o._shape, o._dtype) if d and isinstance(o, Tensor) and
                o._dtype.is_floating_point else None
                for o, d in zip(outputs, differentiable or (True,) * len(outputs))])
            if not any(output_metas):
                return out
        node = OpBackward(edges)
        node._plan = plan
        node._values = values
        node._input_metas = input_metas
        node._list_lengths = lengths
        node.num_outputs = len(outputs)
        node._output_metas = output_metas
        for nr, o in enumerate(outputs):
            if output_metas[nr] is not None:
                o._grad_fn = node
                o._output_nr = nr
                o._requires_grad = True
        node._result = None
        if formula.save_result:
            saved_out = tuple(SavedTensor(o, formula.name, True) for o in outputs)
            node._result = saved_out if len(saved_out) > 1 else saved_out[0]
        if is_inplace and args[0]._base is not None and not inplace_view:
            record_copy_slices(args[0], node)
        return out
    return kernel


def _inplace_formula(op: "_dispatch.Op"):
    """An in-place op differentiates like its functional overload (same arguments), as
    derivatives.yaml's in-place entries do; ``None`` when there is none. (Looked up when
    the op's autograd kernel is built, once per key set.)"""
    signature = [(a.name, str(a.type)) for a in op.schema.arguments]
    packet = _dispatch.OPS.get(op.name.split(".", 1)[0][:-1])
    for candidate in packet.overloads if packet is not None else ():
        candidate._materialize()
        if candidate.derivative is not None and not candidate.schema.is_inplace and \
                [(a.name, str(a.type)) for a in candidate.schema.arguments] == signature:
            return candidate.derivative
    return None


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
