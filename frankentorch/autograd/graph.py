"""The autograd graph: nodes, edges, saved tensors and gradient accumulators.

A node's ``next_functions`` are (node, input_nr) edges toward the inputs of the op it
differentiates; leaves that require grad end in an ``AccumulateGrad`` node. Sequence numbers
grow with creation, which is the order PyTorch's engine uses to break ties (highest first).
"""
from __future__ import annotations

import itertools
import weakref

from .._tensor import make_tensor

__all__ = ["Node", "AccumulateGrad", "SavedTensor", "gradient_edge", "next_sequence_nr"]

_sequence = itertools.count()
# AccumulateGrad runs as soon as it is ready, as in PyTorch (it gets the largest number)
_ACCUMULATE_SEQUENCE_NR = (1 << 64) - 1


def next_sequence_nr() -> int:
    return next(_sequence)


class Node:
    """A backward function: gradients of its op's outputs in, gradients of its inputs out."""

    __slots__ = ("next_functions", "sequence_nr", "_metadata", "_released", "__weakref__",
                 "__dict__")

    # hooks and metadata are rare: nodes share these empty defaults until one is added
    _pre_hooks: list | tuple = ()
    _hooks: list | tuple = ()
    num_outputs = 1  # gradients the node takes (outputs of the op it differentiates)

    def __init__(self, next_functions: tuple = ()) -> None:
        self.next_functions = next_functions
        self.sequence_nr = next(_sequence)
        self._released = False

    @property
    def metadata(self) -> dict:
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def name(self) -> str:
        return type(self).__name__

    def apply(self, grads: tuple) -> tuple:
        raise NotImplementedError

    def release_variables(self) -> None:
        """Drop saved tensors after a backward without retain_graph."""
        self._released = True

    def register_hook(self, hook):
        if not self._hooks:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_prehook(self, hook):
        if not self._pre_hooks:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        return _RemovableHandle(self._pre_hooks, hook)

    def __call__(self, *grads):
        return self.apply(grads)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class _RemovableHandle:
    __slots__ = ("_list", "_item")

    def __init__(self, lst: list, item) -> None:
        self._list, self._item = lst, item

    def remove(self) -> None:
        if self._item in self._list:
            self._list.remove(self._item)


class AccumulateGrad(Node):
    """Sink of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, leaf) -> None:
        super().__init__(())
        self.sequence_nr = _ACCUMULATE_SEQUENCE_NR
        self.variable = leaf

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def apply(self, grads: tuple) -> tuple:
        return ()


class SavedTensor:
    """A tensor kept for backward, with the version it had when saved.

    An output of the node that saves it (``is_output``) is held weakly with the storage and
    geometry it had, as torch's SavedVariable keeps an output without its history: a node
    holding its own output strongly would be a cycle (output -> grad_fn -> node -> output)
    that only the garbage collector frees. Unpacking returns that output while it is alive
    and unchanged, else an alias of the saved elements (with ``node`` as its grad_fn when
    given)."""

    __slots__ = ("tensor", "version", "_node_name", "_output_nr", "_output")

    def __init__(self, tensor, node_name: str, is_output: bool = False) -> None:
        self.version = tensor._storage.version if tensor is not None else 0
        self._node_name = node_name
        self._output_nr = getattr(tensor, "_output_nr", 0)
        if is_output and tensor is not None:
            self.tensor = None
            self._output = (weakref.ref(tensor), tensor._storage, tensor._shape,
                            tensor._stride, tensor._offset, tensor._dtype, tensor._device,
                            tensor._base, tensor._data)
        else:
            self.tensor = tensor
            self._output = None

    def unpack(self, node: Node | None = None):
        """The saved tensor, version-checked; an output gets ``node`` as its grad_fn."""
        out = self._output
        if out is None:
            t = self.tensor
            if t is None:
                return None
            storage = t._storage
        else:
            ref, storage, shape, stride, offset, dt, dev, base, data = out
            t = ref()
            if t is None or t._storage is not storage or t._shape is not shape or \
                    t._stride is not stride or t._offset != offset or \
                    node is not None and t._grad_fn is not node:
                t = make_tensor(storage, shape, stride, offset, dt, dev, base=base,
                                check=False, data=data)
                if node is not None:
                    t._grad_fn, t._output_nr, t._requires_grad = node, self._output_nr, True
        if storage.version != self.version:
            shape = "x".join(str(s) for s in t._shape)
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [torch.{_TYPE_NAMES[t._dtype.name]} [{shape}]], which is "
                f"output {self._output_nr} of {self._node_name}, is at version "
                f"{storage.version}; expected version {self.version} instead. Hint: enable "
                "anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True).")
        return t


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}


def grad_accumulator(leaf) -> AccumulateGrad:
    """The one AccumulateGrad of a leaf (kept weakly, as PyTorch does)."""
    ref = leaf.__dict__.get("_grad_accumulator")
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf.__dict__["_grad_accumulator"] = weakref.ref(node)
    return node


def gradient_edge(t):
    """The edge a gradient for ``t`` flows along: its grad_fn, its accumulator, or none."""
    if t is None or not getattr(t, "_requires_grad", False):
        return None
    fn = t._grad_fn if t._base is None else t.grad_fn  # views may need a fresh node
    if fn is not None:
        return (fn, t._output_nr)
    return (grad_accumulator(t), 0)
