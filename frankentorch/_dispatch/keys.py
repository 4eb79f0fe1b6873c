"""Dispatch keys and key sets with c10's layout, priorities and alias expansion.

A :class:`DispatchKeySet` is a 64-bit set laid out like ``c10::DispatchKeySet``:

* bits ``0 .. NUM_BACKENDS-1`` hold one *backend component* each (``CPUBit`` is bit 0, then
  CUDA, HIP, XLA, MPS, IPU, XPU, HPU, VE, Lazy, MTIA, MAIA, PrivateUse1..3, Meta);
* bit ``NUM_BACKENDS - 1 + k`` holds *functionality* key ``k`` (``Dense`` = 1 is bit 16).
  Functionality bits are ordered by priority: a higher bit wins.

A per-backend runtime key such as ``AutogradCPU`` has no bit of its own: it is the
``AutogradFunctionality`` bit plus the ``CPUBit`` bit, exactly as in c10.  Alias keys
(``Autograd``, ``CompositeImplicitAutograd``, ...) have no bits at all; they expand to a set of
runtime keys with :func:`get_runtime_dispatch_keyset`.

Everything is fail-closed: unknown names, unknown bits, alias or sentinel keys used as bits,
empty sets where a key must be picked and sets mixing backends raise :class:`DispatchKeyError`.

The values below follow the c10 headers shipped with torch 2.13 (``c10/core/DispatchKey.h``,
``c10/core/DispatchKeySet.h``).
"""
from __future__ import annotations

import threading
from enum import IntEnum
from typing import Iterable, Iterator, Union

__all__ = [
    "DispatchKeyError", "BackendComponent", "DispatchKey", "DispatchKeySet",
    "NUM_BACKENDS", "NUM_FUNCTIONALITY_KEYS", "NUM_RUNTIME_ENTRIES",
    "FULL_BACKEND_MASK", "FUNCTIONALITY_MASK", "FULL_KEYSET_MASK",
    "key_from_name", "key_name", "is_alias_key", "is_per_backend_functionality_key",
    "is_runtime_key", "is_backend_dispatch_key", "is_autograd_key",
    "to_backend_component", "to_functionality_key", "to_runtime_per_backend_functionality_key",
    "backend_component_for_device", "dispatch_key_for_device", "priority_index",
    "get_runtime_dispatch_keyset", "runtime_dispatch_keyset_has", "is_included_in_alias",
    "get_backend_keyset_from_autograd", "get_autograd_key_from_backend",
    "get_autograd_related_keyset_from_backend", "get_autocast_related_keyset_from_backend",
    "tensor_keyset", "validate_for_kernel", "highest_priority_backend_type_id",
    "legacy_extract_dispatch_key",
    "autograd_dispatch_keyset", "autocast_dispatch_keyset", "default_included_set",
    "default_excluded_set", "autograd_dispatch_keyset_with_ADInplaceOrView", "python_ks",
    "sparse_ks", "sparse_csr_ks", "mkldnn_ks", "autogradother_backends",
    "after_autograd_keyset", "after_ADInplaceOrView_keyset", "after_func_keyset",
    "backend_bitset_mask", "functorch_transforms_ks", "functorch_batched_ks",
    "backend_functionality_keys", "backend_dispatch_keyset", "math_dispatch_keyset",
    "nested_dispatch_keyset", "non_functional_backend_dispatch_keyset",
    "tls_local_keyset", "set_tls_local_keyset", "tls_is_dispatch_key_included",
    "tls_is_dispatch_key_excluded", "tls_set_dispatch_key_included",
    "tls_set_dispatch_key_excluded", "include_keys", "exclude_keys", "below_autograd",
    "below_ad_inplace_or_view", "compute_dispatch_keyset", "compute_dispatch_keyset_bits",
]


class DispatchKeyError(RuntimeError):
    """A dispatch key or key set that cannot be used; ``reason`` is a stable code.

    Codes: ``unknown_key``, ``invalid_key``, ``alias_key``, ``unknown_bits``, ``empty_set``,
    ``no_type_key``, ``no_backend_key``, ``mixed_backends``, ``unknown_device``; a bare
    ``DispatchKeyError(message)`` gets ``unspecified``.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str, message: str | None = None) -> None:
        if message is None:
            reason, message = "unspecified", reason
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------------------------

class _NamedIntEnum(IntEnum):
    """IntEnum printed as ``Type.Name`` (like torch's binding) instead of a bare integer."""

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


# c10's BackendComponent order; bit (value - 1) of a key set.
_BACKENDS = ("CPU", "CUDA", "HIP", "XLA", "MPS", "IPU", "XPU", "HPU", "VE", "Lazy", "MTIA",
             "MAIA", "PrivateUse1", "PrivateUse2", "PrivateUse3", "Meta")

# c10's functionality keys, lowest priority first; value = position (Undefined = 0).
_FUNCTIONALITIES = (
    "Undefined", "Dense", "FPGA", "Vulkan", "Metal", "Quantized", "CustomRNGKeyId", "MkldnnCPU",
    "Sparse", "SparseCsr", "NestedTensor", "BackendSelect", "Fake", "Python",
    "FuncTorchDynamicLayerBackMode", "Functionalize", "Conjugate", "Negative", "ZeroTensor",
    "ADInplaceOrView", "AutogradOther", "AutogradFunctionality", "AutogradNestedTensor",
    "Tracer", "AutocastCPU", "AutocastMTIA", "AutocastMAIA", "AutocastXPU", "AutocastIPU",
    "AutocastHPU", "AutocastXLA", "AutocastMPS", "AutocastCUDA", "AutocastPrivateUse1",
    "FuncTorchBatched", "BatchedNestedTensor", "FuncTorchVmapMode", "Batched", "VmapMode",
    "FuncTorchGradWrapper", "DeferredInit", "PythonTLSSnapshot",
    "FuncTorchDynamicLayerFrontMode", "TESTING_ONLY_GenericWrapper",
    "TESTING_ONLY_GenericMode", "PreDispatch", "PythonDispatcher",
)

# Per-backend ("building block") functionalities in c10's order, with the runtime-key prefix.
_PER_BACKEND = (("Dense", ""), ("Quantized", "Quantized"), ("Sparse", "Sparse"),
                ("SparseCsr", "SparseCsr"), ("NestedTensor", "NestedTensor"),
                ("AutogradFunctionality", "Autograd"))

_ALIASES = ("Autograd", "CompositeImplicitAutograd", "FuncTorchBatchedDecomposition",
            "CompositeImplicitAutogradNestedTensor", "CompositeExplicitAutograd",
            "CompositeExplicitAutogradNonFunctional")

BackendComponent = _NamedIntEnum(
    "BackendComponent",
    [("InvalidBit", 0)] + [(b + "Bit", i + 1) for i, b in enumerate(_BACKENDS)]
    + [("EndOfBackendKeys", len(_BACKENDS))],
    module=__name__,
)
BackendComponent.__doc__ = "c10's backend components; component ``b`` is key-set bit ``b - 1``."


def _build_dispatch_key_members() -> tuple[list, dict, set]:
    members: list[tuple[str, int]] = []
    v = 0
    for name in _FUNCTIONALITIES:
        members.append((name, v))
        v += 1
    members.insert(1, ("CatchAll", 0))
    members.append(("EndOfFunctionalityKeys", v))
    sentinels = {v}
    v += 1
    starts: dict[str, int] = {}
    for full, prefix in _PER_BACKEND:
        members.append((f"StartOf{full}Backends", v))
        starts[full] = v
        sentinels.add(v)
        v += 1
        for b in _BACKENDS:
            members.append((prefix + b, v))
            v += 1
        members.append((f"EndOf{full}Backends", v - 1))
    members.append(("EndOfRuntimeBackendKeys", v - 1))
    for name in _ALIASES:
        members.append((name, v))
        v += 1
    d = dict(members)
    members += [("StartOfAliasKeys", d["Autograd"]),
                ("EndOfAliasKeys", d["CompositeExplicitAutogradNonFunctional"]),
                ("CPUTensorId", d["CPU"]), ("CUDATensorId", d["CUDA"]),
                ("DefaultBackend", d["CompositeExplicitAutograd"]),
                ("PrivateUse1_PreAutograd", d["AutogradPrivateUse1"]),
                ("PrivateUse2_PreAutograd", d["AutogradPrivateUse2"]),
                ("PrivateUse3_PreAutograd", d["AutogradPrivateUse3"]),
                ("Autocast", d["AutocastCUDA"])]
    return members, starts, sentinels


_members, _START_OF, _SENTINEL_VALUES = _build_dispatch_key_members()
DispatchKey = _NamedIntEnum("DispatchKey", _members, module=__name__)
DispatchKey.__doc__ = ("c10's DispatchKey with c10's integer values; aliases such as CatchAll or "
                       "EndOfDenseBackends share a value with the key they name.")
del _members

NUM_BACKENDS: int = len(_BACKENDS)                                   # 16
NUM_FUNCTIONALITY_KEYS: int = int(DispatchKey.EndOfFunctionalityKeys)  # 47 (incl. Undefined)
FULL_BACKEND_MASK: int = (1 << NUM_BACKENDS) - 1
FULL_KEYSET_MASK: int = (1 << (NUM_BACKENDS + NUM_FUNCTIONALITY_KEYS - 1)) - 1
FUNCTIONALITY_MASK: int = FULL_KEYSET_MASK & ~FULL_BACKEND_MASK
_PER_BACKEND_FUNC_VALUES = frozenset(int(DispatchKey[f]) for f, _ in _PER_BACKEND)
# c10: num_functionality_keys + per_backend_count * (num_backends - 1)
NUM_RUNTIME_ENTRIES: int = NUM_FUNCTIONALITY_KEYS + len(_PER_BACKEND) * (NUM_BACKENDS - 1)

_FIRST_RUNTIME_BACKEND_KEY = int(DispatchKey.StartOfDenseBackends)
_LAST_RUNTIME_BACKEND_KEY = int(DispatchKey.EndOfRuntimeBackendKeys)
_FIRST_ALIAS = int(DispatchKey.StartOfAliasKeys)
_LAST_ALIAS = int(DispatchKey.EndOfAliasKeys)

# Lookup tables (plain lists indexed by int; no Enum construction on hot paths).
_KEY_BY_VALUE: list = [None] * (_LAST_ALIAS + 1)
for _k in DispatchKey:            # iteration yields canonical members only
    _KEY_BY_VALUE[int(_k)] = _k
_BC_BY_VALUE: list = [BackendComponent(i) for i in range(NUM_BACKENDS + 1)]

# _START_BY_FUNC[f]: value of StartOf<f>Backends for per-backend functionality f, else 0.
_START_BY_FUNC: list[int] = [0] * NUM_FUNCTIONALITY_KEYS
_FUNC_BY_START: dict[int, int] = {}
for _f, _ in _PER_BACKEND:
    _START_BY_FUNC[int(DispatchKey[_f])] = _START_OF[_f]
    _FUNC_BY_START[_START_OF[_f]] = int(DispatchKey[_f])

# _BITS_BY_VALUE[k]: the raw bits of DispatchKeySet(k), or None if k may not be used as bits.
_BITS_BY_VALUE: list = [None] * (_LAST_ALIAS + 1)
_BITS_BY_VALUE[0] = 0
for _v in range(1, NUM_FUNCTIONALITY_KEYS):
    _BITS_BY_VALUE[_v] = 1 << (NUM_BACKENDS + _v - 1)
for _start, _f in _FUNC_BY_START.items():
    for _b in range(1, NUM_BACKENDS + 1):
        _BITS_BY_VALUE[_start + _b] = (1 << (NUM_BACKENDS + _f - 1)) | (1 << (_b - 1))

# Canonical names accepted by key_from_name (c10 toString names; no sentinels or legacy aliases).
_NAME_TO_KEY: dict[str, "DispatchKey"] = {
    k.name: k for k in DispatchKey if int(k) not in _SENTINEL_VALUES
}
_BC_NAME_TO_BC: dict[str, "BackendComponent"] = {
    b.name: b for b in BackendComponent if b is not BackendComponent.InvalidBit
}

KeyLike = Union["DispatchKey", "BackendComponent", str]


# --------------------------------------------------------------------------------------------
# Key-level helpers
# --------------------------------------------------------------------------------------------

def key_from_name(name: str) -> "DispatchKey":
    """Parse a c10 dispatch key name (``"AutogradCPU"``); unknown names raise."""
    k = _NAME_TO_KEY.get(name) if isinstance(name, str) else None
    if k is None:
        raise DispatchKeyError("unknown_key", f"could not parse dispatch key: {name!r}")
    return k


def key_name(key: "DispatchKey") -> str:
    """c10's ``toString`` of a key (the bare name, e.g. ``"AutogradCPU"``)."""
    return _as_key(key).name


def _as_key(key) -> "DispatchKey":
    if isinstance(key, DispatchKey):
        return key
    if isinstance(key, str):
        return key_from_name(key)
    raise DispatchKeyError("unknown_key", f"not a DispatchKey: {key!r}")


def is_alias_key(key: KeyLike) -> bool:
    """True for alias keys (Autograd, Composite*, FuncTorchBatchedDecomposition)."""
    return _FIRST_ALIAS <= int(_as_key(key)) <= _LAST_ALIAS


def is_per_backend_functionality_key(key: KeyLike) -> bool:
    """True for the building blocks Dense, Quantized, Sparse, SparseCsr, NestedTensor, Autograd."""
    return int(_as_key(key)) in _PER_BACKEND_FUNC_VALUES


def is_runtime_key(key: KeyLike) -> bool:
    """True for keys that name one slot of an operator table (not Undefined, building blocks,
    sentinels or aliases)."""
    v = int(_as_key(key))
    if 0 < v < NUM_FUNCTIONALITY_KEYS:
        return v not in _PER_BACKEND_FUNC_VALUES
    return _FIRST_RUNTIME_BACKEND_KEY <= v <= _LAST_RUNTIME_BACKEND_KEY and v not in _SENTINEL_VALUES


def to_backend_component(key: KeyLike) -> "BackendComponent":
    """Backend component of a per-backend runtime key (``CPU`` -> ``CPUBit``), else InvalidBit."""
    v = int(_as_key(key))
    if _FIRST_RUNTIME_BACKEND_KEY <= v <= _LAST_RUNTIME_BACKEND_KEY:
        return _BC_BY_VALUE[(v - _FIRST_RUNTIME_BACKEND_KEY) % (NUM_BACKENDS + 1)]
    return BackendComponent.InvalidBit


def to_functionality_key(key: KeyLike) -> "DispatchKey":
    """Functionality of a key (``AutogradCPU`` -> ``AutogradFunctionality``); c10 semantics."""
    v = int(_as_key(key))
    if v <= NUM_FUNCTIONALITY_KEYS:
        return DispatchKey(v)
    if v <= _LAST_RUNTIME_BACKEND_KEY:
        start = _FIRST_RUNTIME_BACKEND_KEY + (
            (v - _FIRST_RUNTIME_BACKEND_KEY) // (NUM_BACKENDS + 1)) * (NUM_BACKENDS + 1)
        return _KEY_BY_VALUE[_FUNC_BY_START[start]]
    return DispatchKey.Undefined


def to_runtime_per_backend_functionality_key(functionality: KeyLike,
                                             backend: "BackendComponent") -> "DispatchKey":
    """Combine a per-backend functionality and a backend (``Dense`` + ``CPUBit`` -> ``CPU``)."""
    f = int(_as_key(functionality))
    b = _as_backend(backend)
    if f not in _PER_BACKEND_FUNC_VALUES:
        raise DispatchKeyError("invalid_key",
                               f"{_KEY_BY_VALUE[f].name} is not a per-backend functionality key")
    if b == 0:
        raise DispatchKeyError("no_backend_key",
                               f"no backend component given for {_KEY_BY_VALUE[f].name}")
    return _KEY_BY_VALUE[_START_BY_FUNC[f] + b]


def _as_backend(b) -> int:
    if isinstance(b, BackendComponent):
        return int(b)
    if isinstance(b, str):
        bc = _BC_NAME_TO_BC.get(b)
        if bc is None:
            raise DispatchKeyError("unknown_key", f"unknown backend component: {b!r}")
        return int(bc)
    if isinstance(b, DispatchKey):
        bc = to_backend_component(b)
        if bc == 0:
            raise DispatchKeyError("no_backend_key", f"{b.name} has no backend component")
        return int(bc)
    raise DispatchKeyError("unknown_key", f"not a BackendComponent: {b!r}")


_DEVICE_TO_BACKEND = {
    "cpu": "CPUBit", "cuda": "CUDABit", "hip": "HIPBit", "xla": "XLABit", "mps": "MPSBit",
    "ipu": "IPUBit", "xpu": "XPUBit", "hpu": "HPUBit", "ve": "VEBit", "lazy": "LazyBit",
    "mtia": "MTIABit", "maia": "MAIABit", "privateuseone": "PrivateUse1Bit", "meta": "MetaBit",
}
# Device types whose dense key is a non-customizable backend (a functionality key, no bit).
_DEVICE_TO_FUNCTIONALITY_KEY = {"fpga": "FPGA", "vulkan": "Vulkan", "metal": "Metal"}


def _device_type(device) -> str:
    t = device if isinstance(device, str) else getattr(device, "type", None)
    if not isinstance(t, str):
        raise DispatchKeyError("unknown_device", f"not a device: {device!r}")
    return t.partition(":")[0]


def backend_component_for_device(device) -> "BackendComponent":
    """Backend component of a device type (``"cpu"`` -> ``CPUBit``); others raise."""
    t = _device_type(device)
    name = _DEVICE_TO_BACKEND.get(t)
    if name is None:
        raise DispatchKeyError("unknown_device",
                               f"device type {t!r} has no dispatch backend component")
    return BackendComponent[name]


def dispatch_key_for_device(device) -> "DispatchKey":
    """Dense dispatch key of a device type (``"cpu"`` -> ``CPU``), like c10's computeDispatchKey."""
    t = _device_type(device)
    fk = _DEVICE_TO_FUNCTIONALITY_KEY.get(t)
    if fk is not None:
        return DispatchKey[fk]
    return _KEY_BY_VALUE[_START_OF["Dense"] + int(backend_component_for_device(t))]


def priority_index(key: KeyLike) -> tuple[int, int]:
    """Sort key giving c10's dispatch priority of a runtime key: (functionality, backend).

    A larger tuple wins, matching which key ``highest_priority_type_id`` picks from a union.
    """
    bits = _key_bits(_as_key(key))
    return ((bits >> NUM_BACKENDS).bit_length(), (bits & FULL_BACKEND_MASK).bit_length())


def _key_bits(k) -> int:
    """Raw bits of one key or backend component; fails closed for aliases and sentinels."""
    if isinstance(k, DispatchKey):
        v = int(k)
        bits = _BITS_BY_VALUE[v]
        if bits is None:
            if _FIRST_ALIAS <= v <= _LAST_ALIAS:
                raise DispatchKeyError(
                    "alias_key", f"alias key {k.name} has no bits; expand it with "
                    "get_runtime_dispatch_keyset()")
            raise DispatchKeyError("invalid_key",
                                   f"{k.name} is an enum sentinel, not a dispatch key")
        return bits
    if isinstance(k, BackendComponent):
        v = int(k)
        return 0 if v == 0 else 1 << (v - 1)
    if isinstance(k, str):
        bc = _BC_NAME_TO_BC.get(k)
        if bc is not None:
            return 1 << (int(bc) - 1)
        return _key_bits(key_from_name(k))
    if isinstance(k, DispatchKeySet):
        return k.raw
    raise DispatchKeyError("unknown_key", f"not a DispatchKey or BackendComponent: {k!r}")


def _check_bits(bits) -> int:
    if type(bits) is not int:
        if isinstance(bits, bool) or not hasattr(bits, "__index__"):
            raise DispatchKeyError("unknown_bits", f"raw dispatch key set must be an int: {bits!r}")
        bits = bits.__index__()
    if bits < 0 or bits >> 64:
        raise DispatchKeyError("unknown_bits",
                               f"dispatch keyset bits must fit in 64 unsigned bits, got {bits}")
    if bits & ~FULL_KEYSET_MASK:
        raise DispatchKeyError("unknown_bits", "dispatch keyset has unknown bitmask "
                               f"0x{bits & ~FULL_KEYSET_MASK:016x}")
    return bits


# --------------------------------------------------------------------------------------------
# DispatchKeySet
# --------------------------------------------------------------------------------------------

_INTERN: dict[int, "DispatchKeySet"] = {}


class DispatchKeySet:
    """Immutable 64-bit set of dispatch keys with c10's layout and semantics.

    ``DispatchKeySet(k1, k2, ...)`` takes DispatchKey, BackendComponent, key names or other
    key sets (or iterables of them); ``DispatchKeySet.from_raw(bits)`` takes raw bits.
    Instances are interned by their bits (compare with ``==``, not ``is``).
    """

    __slots__ = ("raw", "_keys")

    def __new__(cls, *keys) -> "DispatchKeySet":
        bits = 0
        for k in keys:
            if isinstance(k, (DispatchKey, BackendComponent, str, DispatchKeySet)):
                bits |= _key_bits(k)
            elif isinstance(k, Iterable):
                for kk in k:
                    bits |= _key_bits(kk)
            else:
                bits |= _key_bits(k)
        return _from_checked_bits(bits)

    @staticmethod
    def from_raw(bits: int) -> "DispatchKeySet":
        """Key set from raw bits; bits outside c10's layout raise ``unknown_bits``."""
        ks = _INTERN.get(bits) if type(bits) is int else None
        if ks is not None:
            return ks
        return _from_checked_bits(_check_bits(bits))

    from_raw_repr = from_raw

    @staticmethod
    def full() -> "DispatchKeySet":
        """Every backend and functionality bit (c10's ``DispatchKeySet(FULL)``)."""
        return _from_checked_bits(FULL_KEYSET_MASK)

    @staticmethod
    def full_after(key: KeyLike) -> "DispatchKeySet":
        """All functionality keys below ``key``'s functionality, all backends, plus
        PythonDispatcher (c10's ``DispatchKeySet(FULL_AFTER, key)``)."""
        f = int(to_functionality_key(_as_key(key)))
        if f == 0:
            raise DispatchKeyError("invalid_key", f"full_after needs a functionality: {key!r}")
        bits = (1 << (NUM_BACKENDS + f - 1)) - 1
        return _from_checked_bits(bits | _BITS_BY_VALUE[int(DispatchKey.PythonDispatcher)])

    @staticmethod
    def empty() -> "DispatchKeySet":
        """The empty set (an undefined tensor's key set)."""
        return _EMPTY

    # -- immutability ---------------------------------------------------------------------
    def __setattr__(self, name, value):
        raise AttributeError("DispatchKeySet is immutable")

    def __delattr__(self, name):
        raise AttributeError("DispatchKeySet is immutable")

    def __reduce__(self):
        return (DispatchKeySet.from_raw, (self.raw,))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    # -- raw access -----------------------------------------------------------------------
    @property
    def bits(self) -> int:
        """The raw 64-bit representation."""
        return self.raw

    def raw_repr(self) -> int:
        """The raw 64-bit representation (c10's ``raw_repr()``)."""
        return self.raw

    def is_empty(self) -> bool:
        """True for the empty set."""
        return self.raw == 0

    def __bool__(self) -> bool:
        return self.raw != 0

    # -- membership -----------------------------------------------------------------------
    def has(self, key: KeyLike) -> bool:
        """c10 ``has``: every bit of the key is present (``AutogradCPU`` needs both bits)."""
        if isinstance(key, DispatchKey) and int(key) == 0:
            raise DispatchKeyError("invalid_key", "has(Undefined) is meaningless")
        kb = _key_bits(key)
        return self.raw & kb == kb

    __contains__ = has

    def has_backend(self, backend: "BackendComponent") -> bool:
        """True when the backend component bit is set."""
        b = _as_backend(backend)
        return b != 0 and bool(self.raw & (1 << (b - 1)))

    def has_all(self, other: "DispatchKeySet") -> bool:
        """True when every bit of ``other`` is present."""
        o = other.raw
        return self.raw & o == o

    is_superset_of = has_all

    def has_any(self, other: "DispatchKeySet") -> bool:
        """True when any bit of ``other`` is present.

        As in c10, ``other`` must not mix backend bits with per-backend functionality bits
        (``{AutogradCPU}.has_any({CPU})`` would wrongly be true).
        """
        o = other.raw
        if o & FULL_BACKEND_MASK and o & _PER_BACKEND_FUNC_BITS:
            raise DispatchKeyError(
                "invalid_key", "has_any() argument mixes backend bits and per-backend "
                "functionality bits; use has() per key")
        return bool(self.raw & o)

    # -- algebra (all return new interned sets) -------------------------------------------
    def __or__(self, other: "DispatchKeySet") -> "DispatchKeySet":
        if not isinstance(other, DispatchKeySet):
            return NotImplemented
        return _from_checked_bits(self.raw | other.raw)

    def __and__(self, other: "DispatchKeySet") -> "DispatchKeySet":
        if not isinstance(other, DispatchKeySet):
            return NotImplemented
        return _from_checked_bits(self.raw & other.raw)

    def __sub__(self, other: "DispatchKeySet") -> "DispatchKeySet":
        """c10 difference: removes only functionality bits; backend bits of self remain."""
        if not isinstance(other, DispatchKeySet):
            return NotImplemented
        return _from_checked_bits(self.raw & (FULL_BACKEND_MASK | ~other.raw))

    def __xor__(self, other: "DispatchKeySet") -> "DispatchKeySet":
        if not isinstance(other, DispatchKeySet):
            return NotImplemented
        return _from_checked_bits(self.raw ^ other.raw)

    def union(self, other: "DispatchKeySet") -> "DispatchKeySet":
        return self | other

    def intersection(self, other: "DispatchKeySet") -> "DispatchKeySet":
        return self & other

    def add(self, key) -> "DispatchKeySet":
        """Set with ``key`` (a key, backend component or key set) added."""
        return _from_checked_bits(self.raw | _key_bits(key))

    def remove(self, key) -> "DispatchKeySet":
        """Set with ``key``'s functionality bit removed; backend bits stay (c10 semantics)."""
        return _from_checked_bits(self.raw & ~(_key_bits(key) & ~FULL_BACKEND_MASK))

    def remove_backend(self, backend: "BackendComponent") -> "DispatchKeySet":
        """Set with one backend component bit removed."""
        b = _as_backend(backend)
        return self if b == 0 else _from_checked_bits(self.raw & ~(1 << (b - 1)))

    def __eq__(self, other) -> bool:
        if isinstance(other, DispatchKeySet):
            return self.raw == other.raw
        return NotImplemented

    def __ne__(self, other) -> bool:
        if isinstance(other, DispatchKeySet):
            return self.raw != other.raw
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.raw)

    # -- priority -------------------------------------------------------------------------
    def index_of_highest_bit(self) -> int:
        """c10 ``indexOfHighestBit``: ``64 - clz(repr)`` (0 for the empty set)."""
        return self.raw.bit_length()

    def highest_functionality_key(self) -> "DispatchKey":
        """Highest functionality key present (Undefined when none)."""
        idx = self.raw.bit_length()
        return _KEY_BY_VALUE[idx - NUM_BACKENDS] if idx > NUM_BACKENDS else DispatchKey.Undefined

    def highest_backend_key(self) -> "BackendComponent":
        """Highest backend component present (InvalidBit when none)."""
        return _BC_BY_VALUE[(self.raw & FULL_BACKEND_MASK).bit_length()]

    def highest_priority_type_id(self) -> "DispatchKey":
        """c10 ``highestPriorityTypeId``: highest functionality, combined with the highest
        backend bit when that functionality is per-backend.

        Raises ``empty_set`` for the empty set, ``no_type_key`` when only backend bits are set
        and ``no_backend_key`` for a per-backend functionality without a backend bit (c10 would
        return Undefined or a ``StartOf*Backends`` sentinel there).
        """
        r = self.raw
        idx = r.bit_length()
        if idx > NUM_BACKENDS:
            f = idx - NUM_BACKENDS
            start = _START_BY_FUNC[f]
            if start == 0:
                return _KEY_BY_VALUE[f]
            b = (r & FULL_BACKEND_MASK).bit_length()
            if b:
                return _KEY_BY_VALUE[start + b]
            raise DispatchKeyError(
                "no_backend_key", f"dispatch keyset {self!r} has per-backend functionality "
                f"{_KEY_BY_VALUE[f].name} but no backend bit")
        if r == 0:
            raise DispatchKeyError("empty_set", "dispatch keyset is empty")
        raise DispatchKeyError("no_type_key",
                               f"dispatch keyset {self!r} has backend bits but no functionality")

    def highest_priority_backend_type_id(self) -> "DispatchKey":
        """c10 ``highestPriorityBackendTypeId``: the highest key among the backend
        functionalities (Dense, Quantized, Sparse, SparseCsr and the non-customizable backends)
        restricted to this set."""
        return _from_checked_bits(self.raw & _BACKEND_FUNCTIONALITY_BITS).highest_priority_type_id()

    highest_backend_type_id = highest_priority_backend_type_id

    def backends(self) -> tuple:
        """The backend components present, lowest bit first."""
        r = self.raw & FULL_BACKEND_MASK
        out = []
        b = 1
        while r:
            if r & 1:
                out.append(_BC_BY_VALUE[b])
            r >>= 1
            b += 1
        return tuple(out)

    def dispatch_table_index(self) -> int:
        """c10 ``getDispatchTableIndexForDispatchKeySet``: slot of the highest-priority runtime
        key in an operator table of ``NUM_RUNTIME_ENTRIES`` slots (0 = Undefined)."""
        r = self.raw
        f = (r >> NUM_BACKENDS).bit_length()
        off = _TABLE_OFFSETS[f]
        if f and _START_BY_FUNC[f]:
            b = (r & FULL_BACKEND_MASK).bit_length()
            return off + (b - 1 if b else 0)
        return off

    # -- iteration / printing -------------------------------------------------------------
    def __iter__(self) -> Iterator["DispatchKey"]:
        """Runtime keys in c10 order: functionality low to high, then backend low to high.

        Per-backend functionality bits without any backend bit yield nothing (as in c10).
        """
        keys = self._keys if _has_keys(self) else _compute_keys(self)
        return iter(keys)

    def __len__(self) -> int:
        keys = self._keys if _has_keys(self) else _compute_keys(self)
        return len(keys)

    def __repr__(self) -> str:
        keys = self._keys if _has_keys(self) else _compute_keys(self)
        return "DispatchKeySet(" + ", ".join(k.name for k in keys) + ")"

    __str__ = __repr__


def _has_keys(ks: DispatchKeySet) -> bool:
    try:
        ks._keys
        return True
    except AttributeError:
        return False


def _compute_keys(ks: DispatchKeySet) -> tuple:
    r = ks.raw
    backends = []
    b = 1
    rb = r & FULL_BACKEND_MASK
    while rb:
        if rb & 1:
            backends.append(b)
        rb >>= 1
        b += 1
    out = []
    rf = r >> NUM_BACKENDS
    f = 1
    while rf:
        if rf & 1:
            start = _START_BY_FUNC[f]
            if start:
                out.extend(_KEY_BY_VALUE[start + bb] for bb in backends)
            else:
                out.append(_KEY_BY_VALUE[f])
        rf >>= 1
        f += 1
    keys = tuple(out)
    object.__setattr__(ks, "_keys", keys)
    return keys


_INTERN_LIMIT = 1 << 16


def _from_checked_bits(bits: int) -> DispatchKeySet:
    ks = _INTERN.get(bits)
    if ks is None:
        ks = object.__new__(DispatchKeySet)
        object.__setattr__(ks, "raw", bits)
        if len(_INTERN) < _INTERN_LIMIT:
            _INTERN[bits] = ks
    return ks


_EMPTY = _from_checked_bits(0)

_PER_BACKEND_FUNC_BITS = 0
for _f in _PER_BACKEND_FUNC_VALUES:
    _PER_BACKEND_FUNC_BITS |= _BITS_BY_VALUE[_f]

# Operator-table offsets per functionality index (c10 initializeFunctionalityOffsetsAndMasks).
_TABLE_OFFSETS: list[int] = [0] * NUM_FUNCTIONALITY_KEYS
for _f in range(1, NUM_FUNCTIONALITY_KEYS):
    _TABLE_OFFSETS[_f] = _TABLE_OFFSETS[_f - 1] + (
        NUM_BACKENDS if _START_BY_FUNC[_f - 1] else 1)


# --------------------------------------------------------------------------------------------
# c10's named key sets
# --------------------------------------------------------------------------------------------

def _ks(*names: str) -> DispatchKeySet:
    return DispatchKeySet(*(DispatchKey[n] for n in names))


_K = DispatchKey
_ALL_BACKENDS = DispatchKeySet.from_raw(FULL_BACKEND_MASK)

autograd_dispatch_keyset = _ks("AutogradFunctionality", "AutogradOther", "AutogradNestedTensor")
autocast_dispatch_keyset = _ks("AutocastCPU", "AutocastMPS", "AutocastCUDA", "AutocastXPU",
                               "AutocastIPU", "AutocastHPU", "AutocastXLA", "AutocastPrivateUse1",
                               "AutocastMTIA", "AutocastMAIA")
default_included_set = _ks("BackendSelect", "ADInplaceOrView")
default_excluded_set = autocast_dispatch_keyset
autograd_dispatch_keyset_with_ADInplaceOrView = autograd_dispatch_keyset | _ks("ADInplaceOrView")
python_ks = _ks("Python", "PythonTLSSnapshot")
sparse_ks = _ks("Sparse")
sparse_csr_ks = _ks("SparseCsr")
mkldnn_ks = _ks("MkldnnCPU")
autogradother_backends = _ks("FPGA", "Vulkan", "Metal", "CustomRNGKeyId", "MkldnnCPU", "Sparse",
                             "SparseCsr", "Quantized") | _ALL_BACKENDS
# "after AutogradOther": AutogradOther is the lowest autograd functionality.
after_autograd_keyset = DispatchKeySet.full_after(_K.AutogradOther)
after_ADInplaceOrView_keyset = DispatchKeySet.full_after(_K.ADInplaceOrView)
after_func_keyset = DispatchKeySet.full_after(_K.Functionalize).remove(_K.ADInplaceOrView)
backend_bitset_mask = _ALL_BACKENDS
functorch_transforms_ks = _ks("FuncTorchBatched", "FuncTorchVmapMode", "Batched", "VmapMode",
                              "FuncTorchGradWrapper")
functorch_batched_ks = _ks("FuncTorchBatched")
backend_functionality_keys = _ks("Dense", "Quantized", "Sparse", "SparseCsr") | _ALL_BACKENDS
_BACKEND_FUNCTIONALITY_BITS = backend_functionality_keys.raw

# DispatchKeySet.cpp: alias expansions.
backend_dispatch_keyset = autogradother_backends | _ks("Dense")
non_functional_backend_dispatch_keyset = (backend_dispatch_keyset.remove(_K.Sparse)
                                          .remove_backend(BackendComponent.XLABit)
                                          .remove_backend(BackendComponent.LazyBit))
# torch 2.13's CompositeImplicitAutograd does not cover Functionalize (later c10 adds it).
math_dispatch_keyset = backend_dispatch_keyset | autograd_dispatch_keyset | _ks("NestedTensor")
nested_dispatch_keyset = _ks("AutogradNestedTensor", "NestedTensor") | _ALL_BACKENDS

_ALIAS_EXPANSION = {
    _K.Autograd: autograd_dispatch_keyset | _ALL_BACKENDS,
    _K.CompositeImplicitAutograd: math_dispatch_keyset,
    _K.CompositeImplicitAutogradNestedTensor: nested_dispatch_keyset,
    _K.CompositeExplicitAutograd: backend_dispatch_keyset,
    _K.CompositeExplicitAutogradNonFunctional: non_functional_backend_dispatch_keyset,
    # c10's getRuntimeDispatchKeySet has no case for this alias (it would yield the empty set);
    # runtimeDispatchKeySetHas / isIncludedInAlias map it to FuncTorchBatched, used here.
    _K.FuncTorchBatchedDecomposition: functorch_batched_ks,
}


def get_runtime_dispatch_keyset(key: KeyLike) -> DispatchKeySet:
    """Runtime keys an alias expands to (c10 ``getRuntimeDispatchKeySet``); a non-alias key
    gives its own set."""
    k = _as_key(key)
    if int(k) == 0:
        raise DispatchKeyError("invalid_key", "Undefined has no runtime dispatch keys")
    ks = _ALIAS_EXPANSION.get(k)
    return ks if ks is not None else DispatchKeySet(k)


def runtime_dispatch_keyset_has(alias: KeyLike, key: KeyLike) -> bool:
    """c10 ``runtimeDispatchKeySetHas``: is ``key`` covered by ``alias`` (or equal to it)."""
    t = _as_key(alias)
    k = _as_key(key)
    if int(t) == 0:
        raise DispatchKeyError("invalid_key", "Undefined is not an alias")
    if t is _K.Autograd:
        f = int(to_functionality_key(k))
        return f != 0 and _BITS_BY_VALUE[f] is not None and bool(
            autograd_dispatch_keyset.raw & _BITS_BY_VALUE[f])
    if t is _K.FuncTorchBatchedDecomposition:
        return k is _K.FuncTorchBatched
    if t in _ALIAS_EXPANSION:
        if int(k) == 0 or _BITS_BY_VALUE[int(k)] is None:
            return False
        if k is _K.NestedTensor and t in (_K.CompositeExplicitAutograd,
                                          _K.CompositeExplicitAutogradNonFunctional):
            return False
        return _ALIAS_EXPANSION[t].has(k)
    return t is k


def is_included_in_alias(key: KeyLike, alias: KeyLike) -> bool:
    """c10 ``isIncludedInAlias``: ``key`` is not Undefined and ``alias`` covers it."""
    k = _as_key(key)
    return int(k) != 0 and runtime_dispatch_keyset_has(alias, k)


def is_backend_dispatch_key(key: KeyLike) -> bool:
    """c10 ``isBackendDispatchKey``: a backend kernel key (CompositeExplicitAutograd covers it)."""
    k = _as_key(key)
    v = int(k)
    return (v != 0 and not (_FIRST_ALIAS <= v <= _LAST_ALIAS) and k is not _K.NestedTensor
            and _BITS_BY_VALUE[v] is not None and backend_dispatch_keyset.has(k))


def is_autograd_key(key: KeyLike) -> bool:
    """True for runtime keys covered by the ``Autograd`` alias (AutogradCPU, AutogradOther, ...)."""
    return runtime_dispatch_keyset_has(_K.Autograd, key)


_AUTOGRAD_BACKENDS = ("CPU", "IPU", "MTIA", "MAIA", "XPU", "CUDA", "XLA", "Lazy", "Meta", "MPS",
                      "HPU", "PrivateUse1", "PrivateUse2", "PrivateUse3")
_AUTOCAST_BACKENDS = ("CPU", "MTIA", "MAIA", "XPU", "IPU", "HPU", "CUDA", "XLA",
                      "PrivateUse1", "MPS")
_AUTOGRAD_RELATED: list[DispatchKeySet] = []
_AUTOCAST_RELATED: list[DispatchKeySet] = []
for _b in range(NUM_BACKENDS + 1):
    _name = _BC_BY_VALUE[_b].name[:-3]
    _AUTOGRAD_RELATED.append(_ks("ADInplaceOrView", "Autograd" + _name)
                             if _name in _AUTOGRAD_BACKENDS
                             else _ks("ADInplaceOrView", "AutogradOther"))
    _AUTOCAST_RELATED.append(_ks("Autocast" + _name) if _name in _AUTOCAST_BACKENDS else _EMPTY)


def get_autograd_related_keyset_from_backend(backend) -> DispatchKeySet:
    """c10 ``getAutogradRelatedKeySetFromBackend``: ADInplaceOrView plus the backend's autograd
    key (AutogradOther for backends without one, e.g. HIP, VE)."""
    return _AUTOGRAD_RELATED[_as_backend(backend)]


def get_autograd_key_from_backend(backend) -> "DispatchKey":
    """c10 ``getAutogradKeyFromBackend`` (``CPUBit`` or ``CPU`` -> ``AutogradCPU``)."""
    return _AUTOGRAD_RELATED[_as_backend(backend)].highest_priority_type_id()


def get_autocast_related_keyset_from_backend(backend) -> DispatchKeySet:
    """c10 ``getAutocastRelatedKeySetFromBackend`` (empty for backends without autocast)."""
    return _AUTOCAST_RELATED[_as_backend(backend)]


_BACKEND_FROM_AUTOGRAD = {
    **{_K["Autograd" + b]: DispatchKeySet(_K[b]) for b in
       ("CPU", "CUDA", "XLA", "Lazy", "Meta", "MPS", "HPU", "IPU", "XPU",
        "PrivateUse1", "PrivateUse2", "PrivateUse3")},
    _K.AutogradNestedTensor: _ks("NestedTensor") | _ALL_BACKENDS,
    _K.AutogradOther: autogradother_backends,
}


def get_backend_keyset_from_autograd(key: KeyLike) -> DispatchKeySet:
    """c10 ``getBackendKeySetFromAutograd``: backend keys served by an autograd key (empty for
    other keys)."""
    return _BACKEND_FROM_AUTOGRAD.get(_as_key(key), _EMPTY)


def highest_priority_backend_type_id(ks: DispatchKeySet) -> "DispatchKey":
    """Module-level form of :meth:`DispatchKeySet.highest_priority_backend_type_id`."""
    return ks.highest_priority_backend_type_id()


def legacy_extract_dispatch_key(ks: DispatchKeySet) -> "DispatchKey":
    """c10 ``legacyExtractDispatchKey``: the tensor's backend-ish key once autograd, autocast and
    wrapper keys are removed."""
    return (ks - autograd_dispatch_keyset_with_ADInplaceOrView - autocast_dispatch_keyset
            - _ks("Functionalize", "PythonTLSSnapshot", "FuncTorchGradWrapper",
                  "FuncTorchVmapMode", "FuncTorchBatched", "Python")).highest_priority_type_id()


def tensor_keyset(device="cpu", functionality: KeyLike = "Dense", *,
                  inference: bool = False) -> DispatchKeySet:
    """Key set a tensor carries, as c10's TensorImpl builds it.

    ``functionality`` (Dense, Sparse, SparseCsr, Quantized, NestedTensor) + the device's backend
    bit, plus ADInplaceOrView and the backend's autograd key unless ``inference`` (every
    non-inference tensor has them, whatever ``requires_grad``), plus the backend's autocast key.
    Nested tensors also carry AutogradNestedTensor.
    """
    bc = device if isinstance(device, BackendComponent) else backend_component_for_device(device)
    f = _as_key(functionality)
    ks = DispatchKeySet(to_runtime_per_backend_functionality_key(f, bc))
    if not inference:
        ks = ks | _AUTOGRAD_RELATED[int(bc)]
        if f is _K.NestedTensor:
            ks = ks.add(_K.AutogradNestedTensor)
    return ks | _AUTOCAST_RELATED[int(bc)]


def validate_for_kernel(ks: DispatchKeySet) -> "DispatchKey":
    """Check a computed key set can select one kernel and return its highest-priority key.

    Raises for the empty set, a set without any functionality, a per-backend functionality
    without a backend, and a set holding two different backend components.
    """
    if not isinstance(ks, DispatchKeySet):
        raise DispatchKeyError("unknown_bits", f"not a DispatchKeySet: {ks!r}")
    rb = ks.raw & FULL_BACKEND_MASK
    if rb & (rb - 1):
        names = [b.name[:-3] for b in ks.backends()]
        raise DispatchKeyError(
            "mixed_backends", f"dispatch keyset {ks!r} mixes backends "
            + " and ".join(names) + "; one kernel cannot serve more than one backend")
    return ks.highest_priority_type_id()


# --------------------------------------------------------------------------------------------
# Thread-local include / exclude sets (c10 LocalDispatchKeySet)
# --------------------------------------------------------------------------------------------

_DEFAULT_INCLUDED = default_included_set.raw
_DEFAULT_EXCLUDED = default_excluded_set.raw


class _LocalState(threading.local):
    """Per-thread ``state`` = (included bits, keep-mask, excluded bits); one tuple so the hot
    path reads a single attribute and a guard writes a single attribute."""

    def __init__(self) -> None:
        self.state = (_DEFAULT_INCLUDED, ~(_DEFAULT_EXCLUDED & ~FULL_BACKEND_MASK),
                      _DEFAULT_EXCLUDED)


_tls = _LocalState()


def _set_tls(included: int, excluded: int) -> None:
    # Exclusion removes functionality bits only (c10 operator-), so backend bits are kept.
    _tls.state = (included, ~(excluded & ~FULL_BACKEND_MASK), excluded)


def tls_local_keyset() -> tuple[DispatchKeySet, DispatchKeySet]:
    """This thread's (included, excluded) key sets; defaults as c10: included BackendSelect and
    ADInplaceOrView, excluded the autocast keys."""
    inc, _, exc = _tls.state
    return _from_checked_bits(inc), _from_checked_bits(exc)


def set_tls_local_keyset(included: DispatchKeySet, excluded: DispatchKeySet) -> None:
    """Replace this thread's included and excluded sets (c10 ``_force_tls_local_dispatch_key_set``)."""
    _set_tls(_check_bits(included.raw), _check_bits(excluded.raw))


def tls_is_dispatch_key_included(key: KeyLike) -> bool:
    """True when every bit of ``key`` is in this thread's included set."""
    kb = _key_bits(_as_key(key))
    return _tls.state[0] & kb == kb


def tls_is_dispatch_key_excluded(key: KeyLike) -> bool:
    """True when every bit of ``key`` is in this thread's excluded set."""
    kb = _key_bits(_as_key(key))
    return _tls.state[2] & kb == kb


def tls_set_dispatch_key_included(key: KeyLike, state: bool) -> None:
    """Add (``state``) or remove a key in this thread's included set."""
    kb = _key_bits(_as_key(key))
    inc, _, exc = _tls.state
    _set_tls(inc | kb if state else inc & ~kb, exc)


def tls_set_dispatch_key_excluded(key: KeyLike, state: bool) -> None:
    """Add (``state``) or remove a key in this thread's excluded set."""
    kb = _key_bits(_as_key(key))
    inc, _, exc = _tls.state
    _set_tls(inc, exc | kb if state else exc & ~kb)


def _keyset_arg_bits(keys) -> int:
    if isinstance(keys, DispatchKeySet):
        return keys.raw
    return DispatchKeySet(keys).raw


class include_keys:
    """Context manager adding keys to this thread's included set (c10 IncludeDispatchKeyGuard).

    Only keys not already included are added, and exactly those are removed on exit, so guards
    nest and interleave correctly.
    """

    __slots__ = ("_bits", "_delta")

    def __init__(self, keys) -> None:
        self._bits = _keyset_arg_bits(keys)
        self._delta = 0

    def __enter__(self) -> "include_keys":
        st = _tls.state
        self._delta = d = self._bits & ~st[0]
        if d:
            _tls.state = (st[0] | d, st[1], st[2])
        return self

    def __exit__(self, *exc_info) -> None:
        d = self._delta
        if d:
            st = _tls.state
            _tls.state = (st[0] & ~d, st[1], st[2])


class exclude_keys:
    """Context manager adding keys to this thread's excluded set (c10 ExcludeDispatchKeyGuard).

    Only keys not already excluded are added, and exactly those are removed on exit.
    """

    __slots__ = ("_bits", "_delta")

    def __init__(self, keys) -> None:
        self._bits = _keyset_arg_bits(keys)
        self._delta = 0

    def __enter__(self) -> "exclude_keys":
        st = _tls.state
        self._delta = d = self._bits & ~st[2]
        if d:
            _tls.state = (st[0], st[1] & ~(d & FUNCTIONALITY_MASK), st[2] | d)
        return self

    def __exit__(self, *exc_info) -> None:
        d = self._delta
        if d:
            st = _tls.state
            _tls.state = (st[0], st[1] | (d & FUNCTIONALITY_MASK), st[2] & ~d)


class below_autograd(exclude_keys):
    """Exclude the autograd keys (c10 AutoDispatchBelowAutograd): re-dispatch past autograd."""

    __slots__ = ()

    def __init__(self) -> None:
        self._bits = _AUTOGRAD_BITS
        self._delta = 0


class below_ad_inplace_or_view(exclude_keys):
    """Exclude autograd and ADInplaceOrView (c10 AutoDispatchBelowADInplaceOrView)."""

    __slots__ = ()

    def __init__(self) -> None:
        self._bits = _AUTOGRAD_ADIOV_BITS
        self._delta = 0


_AUTOGRAD_BITS = autograd_dispatch_keyset.raw
_AUTOGRAD_ADIOV_BITS = autograd_dispatch_keyset_with_ADInplaceOrView.raw


def compute_dispatch_keyset_bits(union_bits: int, key_mask: int = -1) -> int:
    """``((union | included) - excluded) & key_mask`` on raw bits for this thread (no
    validation); ``key_mask`` drops keys whose kernels fall through (c10 nonFallthroughKeys)."""
    inc, keep, _ = _tls.state
    return (union_bits | inc) & keep & key_mask


def compute_dispatch_keyset(union_bits: int, key_mask: int = -1) -> DispatchKeySet:
    """Key set of a call: the union of the tensor arguments' raw bits, plus this thread's
    included keys, minus its excluded keys (functionality bits only, as c10), restricted to
    ``key_mask`` (c10 masks out fall-through keys here). Unknown bits raise ``unknown_bits``."""
    inc, keep, _ = _tls.state
    b = (union_bits | inc) & keep & key_mask
    ks = _INTERN.get(b)
    if ks is None:
        ks = DispatchKeySet.from_raw(b)
    return ks


del _k, _v, _f, _b, _start, _name
