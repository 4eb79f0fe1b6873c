"""Operator registry and dispatcher.

An op is declared once by its schema (PyTorch's native_functions syntax); kernels are
registered per dispatch key (runtime keys such as CPU/Meta, or alias keys such as
CompositeExplicitAutograd). A call binds arguments with the schema, unions the key sets of
its tensor arguments, applies the thread-local include/exclude sets, and runs the kernel
of the highest-priority key. Resolutions are cached per key-set bits, so the steady-state
cost of dispatch is one bind call, a few integer ops and one dict lookup.
"""
from __future__ import annotations

from typing import Callable

from . import keys as K
from .schema import parse_schema, FunctionSchema

__all__ = ["Op", "OpPacket", "defop", "OPS", "tensor_keyset_bits"]

DK = K.DispatchKey

# Runtime key sets per device type: a tensor carries its backend key plus the autograd keys
# c10 gives every tensor of that backend.
_DEVICE_BACKEND = {"cpu": DK.CPU, "meta": DK.Meta}
_TENSOR_BITS: dict[str, int] = {}


def tensor_keyset_bits(dev) -> int:
    """Raw key-set bits of a dense tensor on ``dev`` (backend + autograd-related keys)."""
    bits = _TENSOR_BITS.get(dev.type)
    if bits is None:
        backend = _DEVICE_BACKEND.get(dev.type)
        if backend is None:
            raise K.DispatchKeyError(f"no dispatch key for device type '{dev.type}'")
        ks = K.DispatchKeySet(backend) | K.get_autograd_related_keyset_from_backend(backend)
        bits = _TENSOR_BITS[dev.type] = ks.raw
    return bits


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

    def __init__(self, schema: FunctionSchema) -> None:
        self.schema = schema
        self.name = schema.name if not schema.overload_name else \
            f"{schema.name}.{schema.overload_name}"
        symbols = _symbols()
        self.bind = schema.make_binder(symbols=symbols)
        self.bind_method = schema.make_binder(method=True, symbols=symbols) \
            if schema.arguments and schema.arguments[0].name == "self" else None
        self.kernels: dict[int, Callable] = {}
        self._cache: dict[int, Callable] = {}
        self._tensor_pos = schema.tensor_arg_indices
        self._list_pos = schema.tensor_list_arg_indices
        self._device_pos = next((i for i, a in enumerate(schema.arguments)
                                 if a.name == "device"), None)

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
        """Dispatch already-bound arguments."""
        bits = self.keyset_bits(a)
        kernel = self._cache.get(bits)
        if kernel is None:
            kernel = self._resolve(bits)
        return kernel(*a)

    def redispatch(self, a: tuple, bits: int):
        """Run with already-bound arguments and an explicit key set (e.g. below autograd)."""
        kernel = self._cache.get(bits)
        if kernel is None:
            kernel = self._resolve(bits)
        return kernel(*a)

    def _resolve(self, bits: int) -> Callable:
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
        """The ``frankentorch.<name>`` callable."""
        if len(self.overloads) == 1:
            return self.overloads[0]
        return self._chooser([op.bind for op in self.overloads])

    def method(self) -> Callable:
        """The ``Tensor.<name>`` method."""
        binders = [op.bind_method for op in self.overloads]
        if len(binders) == 1:
            op = self.overloads[0]
            bind, run = binders[0], op.run

            def method(*args, **kwargs):
                return run(bind(*args, **kwargs))
            method.__name__ = self.name
            return method
        return self._chooser(binders)

    def _chooser(self, binders) -> Callable:
        ops = self.overloads

        def call(*args, **kwargs):
            for op, bind in zip(ops, binders):
                try:
                    a = bind(*args, **kwargs)
                except TypeError:
                    continue
                return op.run(a)
            raise TypeError(self._mismatch(args, kwargs))
        call.__name__ = self.name
        return call

    def _mismatch(self, args, kwargs) -> str:
        got = [type(x).__name__ for x in args] + [f"{k}={type(v).__name__}"
                                                  for k, v in kwargs.items()]
        sigs = "\n".join(f" * ({str(op.schema).split('(', 1)[1].rsplit(') ->', 1)[0]})"
                         for op in self.overloads)
        return (f"{self.name}() received an invalid combination of arguments - got "
                f"({', '.join(got)}), but expected one of:\n{sigs}")

    def __repr__(self) -> str:
        return f"<op packet aten::{self.name} ({len(self.overloads)} overloads)>"


OPS: dict[str, OpPacket] = {}


def defop(schema: str, variants=("function", "method")) -> Op:
    """Declare an op overload from its schema string and add it to its name's packet.

    ``variants`` says where PyTorch exposes it: ``frankentorch.<name>`` and/or ``Tensor.<name>``.
    """
    parsed = parse_schema(schema)
    op = Op(parsed)
    packet = OPS.get(parsed.name)
    if packet is None:
        packet = OPS[parsed.name] = OpPacket(parsed.name, variants)
    else:
        packet.variants |= set(variants)
    packet.overloads.append(op)
    return op
