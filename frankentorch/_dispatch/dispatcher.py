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
import re
from typing import Callable

from .._core import grad_mode as _grad_mode
from .._core import mode as _mode
from . import keys as K
from .schema import parse_schema

__all__ = ["Op", "OpPacket", "Backward", "defop", "overload", "OPS", "tensor_keyset_bits",
           "set_autograd_fallback", "is_out_overload"]

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


class Backward:
    """A derivative formula declared next to its op (the derivatives.yaml entry):
    ``fn(grads, args)`` returns the gradients of the differentiable inputs; ``name`` is
    PyTorch's node name; ``saves`` names the tensor arguments the formula reads; ``outputs``
    (derivatives.yaml's output_differentiability) marks which outputs get gradients."""

    __slots__ = ("name", "fn", "saves", "save_result", "inputs", "outputs")

    def __init__(self, name: str, fn: Callable, saves, save_result: bool, inputs,
                 outputs: tuple[bool, ...] | None = None) -> None:
        self.name, self.fn, self.saves = name, fn, frozenset(saves)
        self.save_result, self.inputs, self.outputs = save_result, inputs, outputs


class Op:
    """One overload: schema, binders, kernels per key and a resolution cache."""

    __slots__ = ("schema", "name", "bind", "bind_method", "kernels", "_cache", "_tensor_pos",
                 "_list_pos", "_device_pos", "_derivative", "_autograd_mask", "tags",
                 "__weakref__")

    def __init__(self, text: str, tags=()) -> None:
        self.name = text.split("(", 1)[0].strip()
        self.tags = frozenset(tags)  # native_functions.yaml tags, e.g. "inplace_view"
        self.schema = text  # parsed on first use: import stays fast with hundreds of ops
        self.bind = self._first_bind
        self.bind_method = self._first_bind_method
        self.kernels: dict[int, Callable] = {}
        self._cache: dict[int, Callable] = {}
        self._derivative: Backward | None = None
        # bits dropped when no argument requires grad: the autograd fallback would only
        # redispatch, so skip it (ops with their own autograd kernels keep c10's routing)
        self._autograd_mask = _NOT_AUTOGRAD

    def backward(self, name: str, *, saves=(), save_result: bool = False,
                 inputs: tuple[str, ...] | None = None,
                 outputs: tuple[bool, ...] | None = None) -> Callable[[Callable], Callable]:
        """Decorator declaring ``fn(grads, args)`` as this op's derivative; ``inputs`` names
        the differentiable tensor arguments (default: all), ``outputs`` flags the
        differentiable outputs (default: all floating ones)."""
        def register(fn: Callable) -> Callable:
            self.derivative = Backward(name, fn, saves, save_result, inputs, outputs)
            return fn
        return register

    @property
    def derivative(self) -> Backward | None:
        return self._derivative

    @derivative.setter
    def derivative(self, formula: Backward | None) -> None:
        self._derivative = formula
        self._cache.clear()  # autograd kernels are built around the formula

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
                key = K.key_from_name(name)
                self.kernels[key] = fn
                if key == DK.Autograd or K.is_runtime_key(key) and K.is_autograd_key(key):
                    self._autograd_mask = -1
            self._cache.clear()
            return fn
        return register

    # ------------------------------------------------------------------ dispatch

    def keyset_bits(self, args: tuple) -> int:
        """Dispatch key set of a bound call: union of the tensor arguments' keys (or the
        ``device`` argument's backend for factories), then the thread-local include/exclude."""
        return self._bits(args)[0]

    def _bits(self, args: tuple) -> tuple[int, bool]:
        """The call's key-set bits and whether any tensor argument requires grad."""
        bits = 0
        grad = False
        for i in self._tensor_pos:
            t = args[i]
            keys = getattr(t, "_keys", None)
            if keys is None:
                continue  # a Python number in a Tensor position
            bits |= keys
            # a view whose base requires grad may have gained history through another view
            if not grad and (t._requires_grad or t._base is not None and t._base._requires_grad):
                grad = True
        for i in self._list_pos:
            seq = args[i]
            if seq is None:
                continue
            if not isinstance(seq, (list, tuple)):
                raise TypeError(f"{self.name.split('.')[0]}(): argument '"
                                f"{self.schema.arguments[i].name}' (position {i + 1}) must be "
                                f"tuple of Tensors, not {type(seq).__name__}")
            for t in seq:
                keys = getattr(t, "_keys", None)
                if keys is None:
                    continue
                bits |= keys
                if not grad and (t._requires_grad or
                                 t._base is not None and t._base._requires_grad):
                    grad = True
        if not bits:
            from .._core.device import as_device
            dev = args[self._device_pos] if self._device_pos is not None else None
            bits = tensor_keyset_bits(as_device(dev))
        return K.compute_dispatch_keyset_bits(bits), grad

    def __call__(self, *args, **kwargs):
        return self.run(self.bind(*args, **kwargs))

    def run(self, a: tuple):
        """Dispatch already-bound arguments (hardened mode re-validates every key set)."""
        bits, grad = self._bits(a)
        if not (grad and _grad_mode._state.enabled):
            bits &= self._autograd_mask
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
        if not others:
            return bits
        rb = others & _ALL_BACKENDS
        if rb & (rb - 1):  # tensors on two devices: torch's device check, as a RuntimeError
            devices = [t.device for t in tensors
                       if hasattr(t, "_keys") and not (t.ndim == 0 and t.device.type == "cpu")]
            other = next(d for d in devices if d != devices[0])
            raise RuntimeError(f"Tensor on device {other} is not on the expected device "
                               f"{devices[0]}!")
        # the call's functionality keys, with the backend of the non-scalar tensors
        return (bits & ~_ALL_BACKENDS) | rb

    def explain(self, *args, **kwargs) -> dict:
        """How a call with these arguments is routed: the call's key set, the key set the
        kernel is resolved for (autograd keys drop out when nothing requires grad) and the
        kernel chosen."""
        a = self.bind(*args, **kwargs)
        bits, grad = self._bits(a)
        used = bits if grad and _grad_mode._state.enabled else bits & self._autograd_mask
        used = self._without_cpu_scalars(used, a)
        kernel = self._cache.get(used) or self._resolve(used)
        return {"keyset": K.DispatchKeySet.from_raw(bits),
                "resolved_for": K.DispatchKeySet.from_raw(used), "kernel": kernel}

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
                fn = self._alias_kernel(key, bits)
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

    def _alias_kernel(self, key, bits: int):
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
            if fn is None and _autograd_fallback is not None:
                fn = _autograd_fallback(self, bits)
            return fn
        return None

    def __repr__(self) -> str:
        return f"<op aten::{self.name}>"


class OpPacket:
    """All overloads of one public name; a call takes the first overload whose schema binds."""

    __slots__ = ("name", "overloads", "variants", "_function", "__weakref__")

    def __init__(self, name: str, variants) -> None:
        self.name = name
        self.overloads: list[Op] = []
        self.variants = set(variants)
        self._function = None

    def add(self, op: Op) -> None:
        self.overloads.append(op)
        self._function = None

    def function(self) -> Callable:
        """The ``frankentorch.<name>`` callable (built once). A call with ``out=`` goes to the
        out overloads, others to the functional ones (as PyTorch's Python binding does)."""
        if self._function is None:
            self._function = self._make_function()
        return self._function

    def _make_function(self) -> Callable:
        plain = [op for op in self.overloads if not is_out_overload(op)]
        outs = [op for op in self.overloads if is_out_overload(op)]
        if len(plain) == 1 and not outs:
            return plain[0]
        choose_plain = self._chooser("bind", plain)
        choose_out = self._chooser("bind", outs)

        def call(*args, **kwargs):
            if kwargs:
                kwargs = _python_kwargs(kwargs)
                if "out" in kwargs:
                    return choose_out(*args, **kwargs)
            return choose_plain(*args, **kwargs)
        call.__name__ = self.name
        return call

    def method(self) -> Callable:
        """The ``Tensor.<name>`` method (methods take no ``out=``, as in PyTorch)."""
        overloads = [op for op in self.overloads if not is_out_overload(op)] or self.overloads
        if len(overloads) == 1:
            op = overloads[0]
            run = op.run

            def method(*args, **kwargs):
                return run(op.bind_method(*args, **kwargs))
            method.__name__ = self.name
            return method
        choose = self._chooser("bind_method", overloads)

        def call(*args, **kwargs):
            return choose(*args, **_python_kwargs(kwargs)) if kwargs else choose(*args)
        call.__name__ = self.name
        return call

    def _chooser(self, binder: str, ops: list) -> Callable:
        if len(ops) == 1 and not any(is_out_overload(op) for op in ops):
            op = ops[0]
            return lambda *args, **kwargs: op.run(getattr(op, binder)(*args, **kwargs))

        def call(*args, **kwargs):
            bound = []
            for op in ops:
                bind = getattr(op, binder)
                limit = getattr(bind, "max_positional", None)
                if limit is not None and len(args) > limit:
                    continue
                try:
                    a = bind(*args, **_out_kwargs(op, kwargs))
                except TypeError:
                    continue
                if _fits(op.schema, a):
                    return op.run(a)
                bound.append((op, a))
            # as torch's parser: a Python number stands for a Tensor, and a 0-d integer tensor
            # for an int, only when no overload takes it as it is
            for op, a in bound:
                if _fits(op.schema, a, lenient=True):
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


_NOT_AUTOGRAD = ~K.autograd_dispatch_keyset.raw
_ALL_BACKENDS = K.FULL_BACKEND_MASK
_autograd_fallback: Callable | None = None


def set_autograd_fallback(factory: Callable) -> None:
    """Install ``factory(op, bits) -> kernel`` for the autograd key sets ``bits`` of ops
    without their own autograd kernel (c10's autograd fallback); set once by
    ``frankentorch.autograd``."""
    global _autograd_fallback
    _autograd_fallback = factory
    for packet in OPS.values():
        for op in packet.overloads:
            op._cache.clear()


def _is_int(v) -> bool:
    return hasattr(v, "__index__") and not isinstance(v, bool) and not hasattr(v, "_keys")


def _is_int_tensor(v) -> bool:
    return _is_int(v) or hasattr(v, "_keys") and not v._dtype.is_floating_point and \
        v.ndim == 0 and v._dtype.name != "bool"


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) or hasattr(v, "dtype") and not hasattr(v, "_keys")


_TAG_CHECKS = {
    "Tensor": lambda v: hasattr(v, "_keys"),
    "int": _is_int,
    "int[]": lambda v: _is_int(v) or isinstance(v, (tuple, list)) and all(map(_is_int, v)),
    "bool": lambda v: isinstance(v, bool),
    "float": _is_number,
    "Scalar": _is_number,
    "str": lambda v: isinstance(v, str),
    "Tensor[]": lambda v: isinstance(v, (tuple, list)),
}


_LENIENT_CHECKS = dict(_TAG_CHECKS, **{
    "Tensor": lambda v: hasattr(v, "_keys") or _is_number(v),
    "int": _is_int_tensor,
    "int[]": lambda v: _is_int_tensor(v) or isinstance(v, (tuple, list)) and
    all(map(_is_int_tensor, v))})


def _fits(schema, bound: tuple, lenient: bool = False) -> bool:
    """Whether bound values have the kinds their schema types ask for; overload selection uses
    it where arity alone cannot tell overloads apart (``squeeze(dim)`` vs ``squeeze(dims)``).
    ``lenient``: Tensor arguments other than ``self`` also take Python numbers and ints take
    0-d integer tensors."""
    if schema.arguments and schema.arguments[0].name == "self" and \
            schema.arg_tags[0] == "Tensor" and not hasattr(bound[0], "_keys"):
        return False
    checks = _LENIENT_CHECKS if lenient else _TAG_CHECKS
    for tag, v in zip(schema.arg_tags, bound):
        if v is None and tag.endswith("?"):
            continue
        check = checks.get(tag.rstrip("?"))
        if check is not None and not check(v):
            return False
    return True


def _python_kwargs(kwargs: dict) -> dict:
    """Keyword conventions of PyTorch's Python binding: ``out=None`` means no out tensor and
    ``axis=`` is another name for ``dim=``."""
    if "out" in kwargs and kwargs["out"] is None or "axis" in kwargs:
        kwargs = dict(kwargs)
        if kwargs.get("out", 0) is None:
            del kwargs["out"]
        if "axis" in kwargs and "dim" not in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
    return kwargs


def _out_kwargs(op: Op, kwargs: dict) -> dict:
    """``out=(a, b)`` given to an op with several out arguments names them one by one."""
    out = kwargs.get("out")
    if isinstance(out, (tuple, list)):
        op._materialize()
        names = [op.schema.arguments[i].name for i in op.schema.out_indices]
        if len(names) == len(out) and names != ["out"]:
            kwargs = {k: v for k, v in kwargs.items() if k != "out"}
            kwargs.update(zip(names, out))
    return kwargs


_KWARG_MARK = re.compile(r"(?:\(|, )\*(?:,|\))")


def overload(name: str) -> Op:
    """The registered overload ``name`` of an op (``"round.decimals"``), e.g. to declare its
    derivative."""
    return next(op for op in OPS[name.split(".")[0]].overloads if op.name == name)


def is_out_overload(op: Op) -> bool:
    """Out overloads write keyword-only arguments (``add.out``'s ``out``, ``sort.values``'
    ``values, indices``); read from the schema text, so nothing is parsed at import."""
    text = op.schema if isinstance(op.schema, str) else str(op.schema)
    args = text.split(") ->", 1)[0]
    parts = _KWARG_MARK.split(args, 1)
    return len(parts) == 2 and "!)" in parts[1]


OPS: dict[str, OpPacket] = {}


def defop(schema: str, variants=("function", "method"), tags=()) -> Op:
    """Declare an op overload from its schema string and add it to its name's packet.

    ``variants`` says where PyTorch exposes it: ``frankentorch.<name>`` and/or ``Tensor.<name>``;
    ``tags`` are its native_functions.yaml tags.
    """
    op = Op(schema, tags)
    base = op.name.split(".", 1)[0]
    packet = OPS.get(base)
    if packet is None:
        packet = OPS[base] = OpPacket(base, variants)
    else:
        packet.variants |= set(variants)
    packet.add(op)
    return op
