"""Op families. Importing this package registers every op and binds the Tensor methods."""
from __future__ import annotations

from .._dispatch.dispatcher import OPS
from .._tensor import Tensor
from . import (arith, binary, copy, creation, dropout, index_ops, indexing, linalg, random,
               reduction, shape, unary, views)
from . import conv, padding, pooling, upsample
from . import loss, nn_misc, nn_norm

_FAMILIES = (arith, binary, copy, creation, dropout, index_ops, indexing, linalg, random,
             reduction, shape, unary, views) + (conv, padding, pooling, upsample) + (loss, nn_misc, nn_norm)

__all__ = ["public_functions", "ALIASES"]

# Other names PyTorch gives the same op (function and method alike).
ALIASES = {"divide": "div", "multiply": "mul", "subtract": "sub", "true_divide": "div",
           "swapaxes": "transpose", "swapdims": "transpose", "moveaxis": "movedim",
           "swapaxes_": "transpose_", "swapdims_": "transpose_"}


def _bind_methods() -> None:
    for name, packet in OPS.items():
        if "method" in packet.variants:
            setattr(Tensor, name, packet.method())
    for alias, target in ALIASES.items():
        if hasattr(Tensor, target):
            setattr(Tensor, alias, getattr(Tensor, target))
    _bind_operators()
    Tensor.__getitem__ = indexing.getitem
    Tensor.__setitem__ = indexing.setitem
    Tensor.to = copy.to
    Tensor.type_as = lambda self, other: self.to(other.dtype)
    for name, dt in (("float", "float32"), ("double", "float64"), ("half", "float16"),
                     ("bfloat16", "bfloat16"), ("long", "int64"), ("int", "int32"),
                     ("short", "int16"), ("char", "int8"), ("byte", "uint8"), ("bool", "bool_")):
        setattr(Tensor, name, _converter(dt))


# Operators PyTorch implements in C: called unbound with a self that is not a Tensor they
# raise TypeError, as a C descriptor does (torch's other operators are Python functions).
_DESCRIPTORS = frozenset((
    "__add__", "__sub__", "__mul__", "__truediv__", "__mod__", "__and__", "__or__", "__xor__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__matmul__", "__radd__",
    "__rmul__", "__rand__", "__ror__", "__rxor__"))


def _descriptor(name: str, fn):
    def op(self, other):
        if not isinstance(self, Tensor):
            raise TypeError(f"descriptor '{name}' for 'Tensor' objects doesn't apply to a "
                            f"'{type(self).__name__}' object")
        return fn(self, other)
    op.__name__ = name
    return op


def _bind_operators() -> None:
    """Python operators of Tensor: each op family lists the ones it provides."""
    for module in _FAMILIES:
        for name, fn in getattr(module, "OPERATORS", {}).items():
            setattr(Tensor, name, _descriptor(name, fn) if name in _DESCRIPTORS else fn)


def _converter(dt_name: str):
    from .._core import dtype as D
    dt = getattr(D, dt_name)
    return lambda self, memory_format=None: self.to(dt)


def public_functions() -> dict:
    """``frankentorch.<name>`` callables: every op with a function variant, plus factories."""
    out = {name: packet.function() for name, packet in OPS.items()
           if "function" in packet.variants}
    for module in _FAMILIES:  # Python-level functions over the ops (einsum, tensordot, ...)
        out.update(getattr(module, "FUNCTIONS", {}))
    out.update({alias: out[target] for alias, target in ALIASES.items() if target in out})
    return out


_bind_methods()
