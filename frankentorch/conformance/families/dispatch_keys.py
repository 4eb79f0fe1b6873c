"""FT-P2C-002 dispatch keys: the key set each tensor carries, set algebra and priority,
thread-local include/exclude guards, alias membership, and calls that must fail closed.

torch answers through ``torch._C`` (c10's own bindings); frankentorch through
``frankentorch._dispatch.keys``. :func:`api` puts both behind the same small interface.
"""
from __future__ import annotations

import contextlib

from . import Case

FAMILY = "dispatch_keys"


class _TorchKeys:
    def __init__(self, torch):
        self.m, self.C = torch, torch._C

    def tensor_bits(self, t) -> int:
        return self.C._dispatch_keys(t).raw_repr()

    def keyset(self, names):
        ks = self.C.DispatchKeySet(self.C.DispatchKey.Undefined)
        for n in names:
            ks = ks | self.C.DispatchKeySet(getattr(self.C.DispatchKey, n))
        return ks

    def from_bits(self, bits):
        return self.C.DispatchKeySet.from_raw_repr(bits)

    def bits(self, ks) -> int:
        return ks.raw_repr()

    def highest(self, ks) -> str:
        return ks.highestPriorityTypeId().name

    def has(self, ks, name: str) -> bool:
        return ks.has(getattr(self.C.DispatchKey, name))

    def parse(self, name):
        key = self.C._parse_dispatch_key(name)
        return None if key is None else int(key)

    def in_alias(self, key: str, alias: str) -> bool:
        return self.C._dispatch_is_included_in_alias(self.C._parse_dispatch_key(key),
                                                     self.C._parse_dispatch_key(alias))

    def tls(self) -> list:
        return [self.C._dispatch_tls_local_include_set().raw_repr(),
                self.C._dispatch_tls_local_exclude_set().raw_repr()]

    def guard(self, kind: str, key: str):
        if kind == "exclude":
            return self.C._ExcludeDispatchKeyGuard(self.keyset([key]))
        if kind == "include":
            return self.C._IncludeDispatchKeyGuard(getattr(self.C.DispatchKey, key))
        if kind == "below_autograd":
            return self.C._AutoDispatchBelowAutograd()
        return contextlib.nullcontext()


class _OurKeys:
    def __init__(self, ft):
        from frankentorch._dispatch import keys
        self.m, self.K = ft, keys

    def tensor_bits(self, t) -> int:
        return t._keys

    def keyset(self, names):
        return self.K.DispatchKeySet(*names)

    def from_bits(self, bits):
        return self.K.DispatchKeySet.from_raw(bits)

    def bits(self, ks) -> int:
        return ks.raw

    def highest(self, ks) -> str:
        return ks.highest_priority_type_id().name

    def has(self, ks, name: str) -> bool:
        return ks.has(self.K.key_from_name(name))

    def parse(self, name):
        try:
            return int(self.K.key_from_name(name))
        except self.K.DispatchKeyError:
            return None

    def in_alias(self, key: str, alias: str) -> bool:
        return self.K.is_included_in_alias(self.K.key_from_name(key), self.K.key_from_name(alias))

    def tls(self) -> list:
        inc, exc = self.K.tls_local_keyset()
        return [inc.raw, exc.raw]

    def guard(self, kind: str, key: str):
        if kind == "exclude":
            return self.K.exclude_keys(self.K.DispatchKeySet(key))
        if kind == "include":
            return self.K.include_keys(self.K.DispatchKeySet(key))
        if kind == "below_autograd":
            return self.K.below_autograd()
        return contextlib.nullcontext()


def api(lib):
    return _TorchKeys(lib) if lib.__name__ == "torch" else _OurKeys(lib)


TENSORS = {
    "cpu_float": lambda m: m.zeros(2, 3),
    "cpu_int64": lambda m: m.zeros(2, 3, dtype=m.int64),
    "cpu_bool": lambda m: m.zeros(2, dtype=m.bool),
    "cpu_bfloat16": lambda m: m.zeros(2, dtype=m.bfloat16),
    "meta_float": lambda m: m.zeros(2, 3, device="meta"),
    "requires_grad": lambda m: m.zeros(2, 3, requires_grad=True),
    "view_of_grad": lambda m: m.zeros(2, 3, requires_grad=True).t(),
    "scalar_0d": lambda m: m.tensor(1.5),
    "detached": lambda m: m.zeros(2, requires_grad=True).detach(),
    "under_no_grad": lambda m: _no_grad_result(m),
}


def _no_grad_result(m):
    x = m.ones(2, requires_grad=True)
    with m.no_grad():
        return x * 2


def tensor_keys(a, tensor: str):
    """The raw key set of a tensor and its repr (c10's bit layout)."""
    t = TENSORS[tensor](a.m)
    bits = a.tensor_bits(t)
    return {"raw": bits, "repr": repr(a.from_bits(bits))}


def set_algebra(a, left, right):
    x, y = a.keyset(left), a.keyset(right)
    return {"union": a.bits(x | y), "intersection": a.bits(x & y),
            "difference": a.bits(x - y), "highest_left": a.highest(x),
            "highest_union": a.highest(x | y), "repr_union": repr(x | y),
            "has": [a.has(x, n) for n in right]}


def parse_key(a, name: str):
    return a.parse(name)


def alias_membership(a, alias: str, keys):
    return {k: a.in_alias(k, alias) for k in keys}


def tls_under_guard(a, kind: str, key: str = "AutogradCPU"):
    """Thread-local included/excluded key sets inside a guard, and after it."""
    with a.guard(kind, key):
        inside = a.tls()
    return {"inside": inside, "after": a.tls()}


MIXED = {
    "cpu_plus_meta": lambda m: m.ones(2) + m.ones(2, device="meta"),
    "meta_matmul_cpu": lambda m: m.ones(2, 2, device="meta") @ m.ones(2, 2),
    "cpu_where_meta": lambda m: m.where(m.ones(2, dtype=m.bool), m.ones(2),
                                        m.zeros(2, device="meta")),
}


def mixed_devices(a, what: str):
    """A call mixing CPU and meta tensors has no kernel: refused before any work."""
    return MIXED[what](a.m)


def cpu_scalar_joins_meta(a):
    """A 0-d CPU tensor may join a meta call (c10's CPU-scalar exception)."""
    m = a.m
    return m.ones(2, device="meta") + m.tensor(3.0)


SETS = {
    "dense_autograd": (["CPU"], ["AutogradCPU"]),
    "meta_vs_cpu": (["Meta"], ["CPU", "ADInplaceOrView"]),
    "python_layers": (["CPU", "Python"], ["PythonTLSSnapshot", "AutogradCPU"]),
    "sparse_dense": (["SparseCPU"], ["CPU", "AutocastCPU"]),
    "functionalize": (["Functionalize", "CPU"], ["ADInplaceOrView", "BackendSelect"]),
    "batched": (["FuncTorchBatched", "CPU"], ["FuncTorchDynamicLayerFrontMode"]),
}


def cases() -> list[Case]:
    out = [Case(f"tensor/{k}", "happy", "tensor_keys", {"tensor": k}, op="tensor_keyset")
           for k in TENSORS]
    out += [Case(f"algebra/{k}", "happy", "set_algebra", {"left": lft, "right": rgt},
                 op="keyset_algebra") for k, (lft, rgt) in SETS.items()]
    out += [Case(f"parse/{n}", "happy", "parse_key", {"name": n}, op="parse_dispatch_key")
            for n in ("CPU", "AutogradCPU", "Meta", "CompositeImplicitAutograd",
                      "BackendSelect", "PythonDispatcher")]
    out += [Case(f"alias/{al}", "happy", "alias_membership",
                 {"alias": al, "keys": ["CPU", "AutogradCPU", "Meta", "AutogradMeta",
                                        "SparseCPU", "BackendSelect", "AutogradOther"]},
                 op="alias_expansion")
            for al in ("Autograd", "CompositeImplicitAutograd", "CompositeExplicitAutograd",
                       "CompositeExplicitAutogradNonFunctional")]
    out += [Case(f"tls/{k}", "edge", "tls_under_guard", {"kind": k, "key": key},
                 op="tls_guard")
            for k, key in (("none", "AutogradCPU"), ("exclude", "AutogradCPU"),
                           ("include", "Python"), ("below_autograd", "AutogradCPU"))]
    out.append(Case("cpu_scalar_joins_meta", "edge", "cpu_scalar_joins_meta",
                    op="compute_dispatch_keyset"))
    out += [Case(f"parse_unknown/{n}", "adversarial", "parse_key", {"name": n},
                 op="parse_dispatch_key")
            for n in ("NotAKey", "cpu", "", "AutogradCPU ")]
    out += [Case(f"mixed/{k}", "adversarial", "mixed_devices", {"what": k},
                 op="compute_dispatch_keyset") for k in MIXED]
    return out
