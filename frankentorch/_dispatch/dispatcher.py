"""Operator registry and dispatcher.

An op is declared once by its schema (PyTorch's native_functions syntax); kernels are
registered per dispatch key (runtime keys such as CPU/Meta, or alias keys such as
CompositeExplicitAutograd). A call binds arguments with the schema, unions the key sets of
its tensor arguments, applies the thread-local include/exclude sets, and runs the kernel
of the highest-priority key. Resolutions are cached per key-set bits, so the steady-state
cost of dispatch is one bind call, a few integer ops and one dict lookup.
"""
from __future__ import annotations

import functools
from typing import Callable

from .._core import mode as _mode
from . import keys as K
from .schema import parse_schema, FunctionSchema

__all__ = ["Op", "OpPacket", "defop", "OPS", "tensor_keyset_bits"]

DK = K.DispatchKey

_TENSOR_BITS: dict[str, int] = {}


def tensor_keyset_bits(dev) -> int:
    """Raw key-set bits of a dense tensor on ``dev``: the backend plus the autograd-related
    (and autocast) keys c10 gives every tensor of that backend."""
    bits = _TENSOR_BITS.get(dev.type)
    if bits is None:
        bits = _TENSOR_BITS[dev.type] = K.tensor_keyset(dev.type).raw
    return bits


@functools.cache
def _symbols() -> dict:
    """Objects that stand for symbolic schema defaults (``contiguous_format``, ``long``, …)."""
    from .._core import dtype as D
    from .._core.layout import contiguous_format, preserve_format, strided
    return {"contiguous_format": contiguous_format, "preserve_format": preserve_format,
            "strided": strided, "long": D.int64, "int": D.int32, "float": D.float32,
            "double": D.float64, "Mean": 1, "Sum": 2, "None_": 0}


class Op:
    """One overload: schema, binders, kernels per key and a resolution cache."""

    __slots__ = ("schema", "name", "bind", "bind_method", "kernels", "_cache", "_tensor_pos",
                 "_list_pos", "_device_pos", "__weakref__")

    def __init__(self, text: str) -> None:
        self.name = text.split("(", 1)[0].strip()
        self.schema = text  # parsed on first use: import stays fast with hundreds of ops
        self.bind = self._first_bind
        self.bind_method = self._first_bind_method
        self.kernels: dict[int, Callable] = {}
        self._cache: dict[int, Callable] = {}

    def _materialize(self) -> None:
        if not isinstance(self.schema, str):
            return
        schema = parse_schema(self.schema)
        symbols = _symbols()
        self.schema = schema
        self.bind = schema.make_binder(symbols=symbols)
        self.bind_method = schema.make_binder(method=True, symbols=symbols) \
            if schema.arguments and schema.arguments[0].name == "self" else None
        self._tensor_pos = schema.tensor_arg_indices
        self._list_pos = schema.tensor_list_arg_indices
        self._device_pos = next((i for i, a in enumerate(schema.arguments)
                                 if a.name == "device"), None)

    def _first_bind(self, *args, **kwargs) -> tuple:
        self._materialize()
        return self.bind(*args, **kwargs)

    def _first_bind_method(self, *args, **kwargs) -> tuple:
        self._materialize()
        if self.bind_method is None:
            raise TypeError(f"{self.name} has no Tensor method form")
        return self.bind_method(*args, **kwargs)

    def impl(self, *keys: str) -> Callable[[Callable], Callable]:
        """Decorator registering ``fn`` as this op's kernel for the named dispatch keys."""
        def register(fn: Callable) -> Callable:
            for name in keys:
                self.kernels[K.key_from_name(name)] = fn
            self._cache.clear()
            return fn
        return register

    # ------------------------------------------------------------------ dispatch

    def keyset_bits(self, args: tuple) -> int:
        """Dispatch key set of a bound call: union of the tensor arguments' keys (or the
        ``device`` argument's backend for factories), then the thread-local include/exclude."""
        bits = 0
        for i in self._tensor_pos:
            bits |= getattr(args[i], "_keys", 0)
        for i in self._list_pos:
            for t in args[i] or ():
                bits |= getattr(t, "_keys", 0)
        if not bits:
            from .._core.device import as_device
            dev = args[self._device_pos] if self._device_pos is not None else None
            bits = tensor_keyset_bits(as_device(dev))
        return K.compute_dispatch_keyset_bits(bits)

    def __call__(self, *args, **kwargs):
        return self.run(self.bind(*args, **kwargs))

    def run(self, a: tuple):
        """Dispatch already-bound arguments (hardened mode re-validates every key set)."""
        bits = self.keyset_bits(a)
        kernel = self._cache.get(bits)
        if kernel is None:
            bits = self._without_cpu_scalars(bits, a)
            kernel = self._cache.get(bits) or self._resolve(bits)
        if _mode._current == "hardened":
            K.validate_for_kernel(K.DispatchKeySet.from_raw(bits))
        return kernel(*a)

    def _without_cpu_scalars(self, bits: int, a: tuple) -> int:
        """PyTorch lets 0-d CPU tensors join a call on another device: when the key set mixes
        backends, recompute it without them (any other mix still fails closed)."""
        if len(K.DispatchKeySet.from_raw(bits).backends()) < 2:
            return bits
        others = 0
        tensors = [a[i] for i in self._tensor_pos] + [t for i in self._list_pos
                                                      for t in (a[i] or ())]
        for t in tensors:
            if hasattr(t, "_keys") and not (t.ndim == 0 and t.device.type == "cpu"):
                others |= t._keys
        return K.compute_dispatch_keyset_bits(others) if others else bits

    def redispatch(self, a: tuple, bits: int):
        """Run with already-bound arguments and an explicit key set (e.g. below autograd)."""
        kernel = self._cache.get(bits)
        if kernel is None:
            kernel = self._resolve(bits)
        return kernel(*a)

    def _resolve(self, bits: int) -> Callable:
        self._materialize()
        ks = K.DispatchKeySet.from_raw(bits)
        K.validate_for_kernel(ks)
        kernels = self.kernels
        for key in reversed(tuple(ks)):  # highest priority first
            fn = kernels.get(key)
            if fn is None:
                fn = self._alias_kernel(key)
            if fn is not None:
                self._cache[bits] = fn
                return fn
            if not K.is_backend_dispatch_key(key):
                continue  # autograd-related and other functionality keys fall through
            break
        raise NotImplementedError(
            f"Could not run 'aten::{self.name}' with arguments from the "
            f"'{K.key_name(K.highest_priority_backend_type_id(ks))}' backend. "
            f"'aten::{self.name}' is only available for these backends: "
            f"[{', '.join(K.key_name(k) for k in self.kernels)}].")

    def _alias_kernel(self, key):
        """c10's precedence for a key with no direct kernel: a backend key takes
        CompositeExplicitAutograd then CompositeImplicitAutograd; an autograd key takes the
        Autograd alias, then CompositeImplicitAutograd when no backend kernel exists."""
        kernels = self.kernels
        if K.is_backend_dispatch_key(key):
            return kernels.get(DK.CompositeExplicitAutograd) or \
                kernels.get(DK.CompositeImplicitAutograd)
        if K.is_autograd_key(key):
            fn = kernels.get(DK.Autograd)
            if fn is None and not any(K.is_backend_dispatch_key(k) or
                                      k == DK.CompositeExplicitAutograd for k in kernels):
                fn = kernels.get(DK.CompositeImplicitAutograd)
            return fn
        return None

    def __repr__(self) -> str:
        return f"<op aten::{self.name}>"


class OpPacket:
    """All overloads of one public name; a call takes the first overload whose schema binds."""

    __slots__ = ("name", "overloads", "variants", "__weakref__")

    def __init__(self, name: str, variants) -> None:
        self.name = name
        self.overloads: list[Op] = []
        self.variants = set(variants)

    def function(self) -> Callable:
        """The ``frankentorch.<name>`` callable. A call with ``out=`` goes to the out
        overloads, others to the functional ones (as PyTorch's Python binding does)."""
        plain = [op for op in self.overloads if not _is_out(op)]
        outs = [op for op in self.overloads if _is_out(op)]
        if len(plain) == 1 and not outs:
            return plain[0]
        choose_plain = self._chooser("bind", plain)
        choose_out = self._chooser("bind", outs)
        if len(plain) == 1:
            op = plain[0]

            def call(*args, **kwargs):
                if "out" in kwargs:
                    return choose_out(*args, **kwargs)
                return op.run(op.bind(*args, **kwargs))
        else:
            def call(*args, **kwargs):
                if "out" in kwargs:
                    return choose_out(*args, **kwargs)
                return choose_plain(*args, **kwargs)
        call.__name__ = self.name
        return call

    def method(self) -> Callable:
        """The ``Tensor.<name>`` method."""
        if len(self.overloads) == 1:
            op = self.overloads[0]
            run = op.run

            def method(*args, **kwargs):
                return run(op.bind_method(*args, **kwargs))
            method.__name__ = self.name
            return method
        return self._chooser("bind_method", self.overloads)

    def _chooser(self, binder: str, ops: list) -> Callable:

        def call(*args, **kwargs):
            for op in ops:
                try:
                    a = getattr(op, binder)(*args, **kwargs)
                except TypeError:
                    continue
                if _fits(op.schema.arg_tags, a):
                    return op.run(a)
            raise TypeError(self._mismatch(args, kwargs))
        call.__name__ = self.name
        return call

    def _mismatch(self, args, kwargs) -> str:
        got = [type(x).__name__ for x in args] + [f"{k}={type(v).__name__}"
                                                  for k, v in kwargs.items()]
        for op in self.overloads:
            op._materialize()
        sigs = "\n".join(f" * ({str(op.schema).split('(', 1)[1].rsplit(') ->', 1)[0]})"
                         for op in self.overloads)
        return (f"{self.name}() received an invalid combination of arguments - got "
                f"({', '.join(got)}), but expected one of:\n{sigs}")

    def __repr__(self) -> str:
        return f"<op packet aten::{self.name} ({len(self.overloads)} overloads)>"


def _is_int(v) -> bool:
    return hasattr(v, "__index__") and not isinstance(v, bool) and not hasattr(v, "_keys") \
        or hasattr(v, "_keys") and not v._dtype.is_floating_point and v.ndim == 0 \
        and v._dtype.name != "bool"


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) or hasattr(v, "dtype") and not hasattr(v, "_keys")


_TAG_CHECKS = {
    "Tensor": lambda v: hasattr(v, "_keys") or _is_number(v),
    "int": _is_int,
    "int[]": lambda v: _is_int(v) or isinstance(v, (tuple, list)) and all(map(_is_int, v)),
    "bool": lambda v: isinstance(v, bool),
    "float": _is_number,
    "Scalar": lambda v: _is_number(v) or hasattr(v, "_keys") and v.ndim == 0,
    "str": lambda v: isinstance(v, str),
    "Tensor[]": lambda v: isinstance(v, (tuple, list)),
}


def _fits(tags, bound: tuple) -> bool:
    """Whether bound values have the kinds their schema types ask for; overload selection uses
    it where arity alone cannot tell overloads apart (``squeeze(dim)`` vs ``squeeze(dims)``)."""
    for tag, v in zip(tags, bound):
        if v is None and tag.endswith("?"):
            continue
        check = _TAG_CHECKS.get(tag.rstrip("?"))
        if check is not None and not check(v):
            return False
    return True


def _is_out(op: Op) -> bool:
    """Out overloads end in ``out`` (``add.out``, ``sum.IntList_out``)."""
    return op.name.endswith("out") and "." in op.name


OPS: dict[str, OpPacket] = {}


def defop(schema: str, variants=("function", "method")) -> Op:
    """Declare an op overload from its schema string and add it to its name's packet.

    ``variants`` says where PyTorch exposes it: ``frankentorch.<name>`` and/or ``Tensor.<name>``.
    """
    op = Op(schema)
    base = op.name.split(".", 1)[0]
    packet = OPS.get(base)
    if packet is None:
        packet = OPS[base] = OpPacket(base, variants)
    else:
        packet.variants |= set(variants)
    packet.overloads.append(op)
    return op
