"""DispatchKey / DispatchKeySet checked against real c10 through torch's Python bindings.

Expected values come from torch (``torch._C``) wherever it exposes the same fact; the few
others are derived in comments from the rules of c10's headers.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

from frankentorch._dispatch import keys as K
from frankentorch._dispatch.keys import (
    BackendComponent, DispatchKey, DispatchKeyError, DispatchKeySet,
)

C = torch._C
TK = C.DispatchKey
TKS = C.DispatchKeySet


def torch_key(name: str):
    """torch's DispatchKey for a c10 name, or None where torch's parser does not know it."""
    return C._parse_dispatch_key(name)


def ours(torch_ks) -> DispatchKeySet:
    return DispatchKeySet.from_raw(torch_ks.raw_repr())


CANONICAL = sorted(K._NAME_TO_KEY.values())
PARSEABLE = [k for k in CANONICAL if torch_key(k.name) is not None]
# Keys with bits of their own (not Undefined, not aliases).
BIT_KEYS = [k for k in PARSEABLE if int(k) != 0 and not K.is_alias_key(k)]
RUNTIME_KEYS = [k for k in BIT_KEYS if K.is_runtime_key(k)]
ALIASES = [k for k in CANONICAL if K.is_alias_key(k)]


def random_valid_bits(n: int, seed: int) -> list[int]:
    """Random key sets: each bit kept with a small probability so sets stay readable."""
    rng = np.random.default_rng(seed)
    width = K.FULL_KEYSET_MASK.bit_length()
    out = []
    for _ in range(n):
        p = rng.choice([0.03, 0.1, 0.3])
        mask = rng.random(width) < p
        out.append(sum(1 << i for i in np.flatnonzero(mask)))
    return out


RANDOM_BITS = [0, 1, 1 << 16, K.FULL_BACKEND_MASK] + random_valid_bits(600, seed=1234)


# ------------------------------------------------------------------------------------------
# Enumerations and bit layout
# ------------------------------------------------------------------------------------------

def test_enum_values_match_torch_binding():
    for name, tk in TK.__members__.items():
        assert int(DispatchKey[name]) == int(tk), name


def test_every_name_torch_parses_has_the_same_value():
    assert len(PARSEABLE) > 100
    for k in PARSEABLE:
        assert int(torch_key(k.name)) == int(k), k.name


def test_counts_match_torch():
    assert K.NUM_BACKENDS == C._dispatch_num_backends()
    assert K.FULL_KEYSET_MASK == C._dispatch_keyset_full().raw_repr()
    assert DispatchKeySet.full().raw == C._dispatch_keyset_full().raw_repr()


def test_single_key_bits_match_torch():
    for k in BIT_KEYS:
        assert DispatchKeySet(k).raw == TKS(torch_key(k.name)).raw_repr(), k.name


def test_backend_components_are_low_bits_in_c10_order():
    # A dense runtime key is the Dense functionality bit plus its backend bit; subtracting the
    # Dense bit (taken from torch) leaves exactly the backend component's bit.
    dense_bit = TKS(TK.Dense).raw_repr()
    for b in BackendComponent:
        if b is BackendComponent.InvalidBit:
            continue
        dense_key = torch_key(b.name[:-3])
        backend_bit = TKS(dense_key).raw_repr() & ~dense_bit
        assert DispatchKeySet(b).raw == backend_bit == 1 << (int(b) - 1), b.name
    assert K.FULL_BACKEND_MASK == sum(1 << (int(b) - 1) for b in BackendComponent if int(b))


def test_per_backend_runtime_keys_occupy_two_bits():
    per_backend = [k for k in BIT_KEYS if K.to_backend_component(k) != BackendComponent.InvalidBit]
    assert DispatchKey.AutogradCPU in per_backend and DispatchKey.SparseCPU in per_backend
    for k in per_backend:
        raw = TKS(torch_key(k.name)).raw_repr()
        assert bin(raw).count("1") == 2, k.name
        fbits = DispatchKeySet(K.to_functionality_key(k)).raw
        bbits = DispatchKeySet(K.to_backend_component(k)).raw
        assert DispatchKeySet(k).raw == raw == fbits | bbits, k.name


def test_functionality_keys_are_single_bits_above_backends():
    for v in range(1, K.NUM_FUNCTIONALITY_KEYS):
        k = DispatchKey(v)
        raw = DispatchKeySet(k).raw
        assert raw == 1 << (K.NUM_BACKENDS + v - 1)
        tk = torch_key(k.name)
        if tk is not None:
            assert raw == TKS(tk).raw_repr()


def test_str_and_repr_of_keys_match_torch():
    for name in ("CPU", "AutogradCPU", "BackendSelect", "CompositeImplicitAutograd"):
        assert str(DispatchKey[name]) == str(TK.__members__[name])
        assert repr(DispatchKey[name]) == repr(TK.__members__[name])
        assert f"{DispatchKey[name]}" == str(TK.__members__[name])
    assert DispatchKey.AutogradCPU.name == C._dispatch_key_name(TK.AutogradCPU)
    assert str(BackendComponent.CPUBit) == "BackendComponent.CPUBit"


def test_key_from_name_round_trip_and_unknown():
    for k in CANONICAL:
        assert K.key_from_name(k.name) is k
        assert K.key_name(k) == k.name
    for bad in ("cpu", "CPUBit", "Named", "NotAKey", "", "EndOfFunctionalityKeys",
                "StartOfDenseBackends", "CatchAll", "CPUTensorId"):
        assert torch_key(bad) is None  # torch's parser rejects these names too
        with pytest.raises(DispatchKeyError) as ei:
            K.key_from_name(bad)
        assert ei.value.reason == "unknown_key"
    with pytest.raises(DispatchKeyError):
        K.key_from_name(49)


# ------------------------------------------------------------------------------------------
# Set operations against torch's DispatchKeySet
# ------------------------------------------------------------------------------------------

def test_repr_and_iteration_match_torch_on_random_sets():
    for bits in RANDOM_BITS:
        t = TKS.from_raw_repr(bits)
        ks = DispatchKeySet.from_raw(bits)
        assert repr(ks) == repr(t) == str(ks)
        names = [k.name for k in ks]
        assert repr(t) == "DispatchKeySet(" + ", ".join(names) + ")"
        assert len(ks) == len(names)


def test_highest_priority_type_id_matches_torch_on_random_sets():
    for bits in RANDOM_BITS:
        t = TKS.from_raw_repr(bits).highestPriorityTypeId()
        ks = DispatchKeySet.from_raw(bits)
        try:
            got = ks.highest_priority_type_id()
        except DispatchKeyError as e:
            # c10 returns Undefined (no functionality) or a StartOf*Backends sentinel
            # (per-backend functionality without a backend bit); we fail closed instead.
            if e.reason in ("empty_set", "no_type_key"):
                assert t == TK.Undefined
            else:
                assert e.reason == "no_backend_key"
                assert t.name.startswith("StartOf")
            continue
        assert int(got) == int(t)


def test_add_remove_has_match_torch():
    sample = RANDOM_BITS[::7]
    probe = [k for k in BIT_KEYS if k.name in TK.__members__]
    for bits in sample:
        t = TKS.from_raw_repr(bits)
        ks = DispatchKeySet.from_raw(bits)
        for k in probe[::3]:
            tk = TK.__members__[k.name]
            assert ks.has(k) == t.has(tk), (bits, k)
            assert ks.add(k).raw == t.add(tk).raw_repr()
            assert ks.remove(k).raw == t.remove(tk).raw_repr()


def test_has_needs_both_bits_for_per_backend_keys():
    # {AutogradCUDA} = AutogradFunctionality bit + CUDA bit: shares the functionality bit with
    # AutogradCPU but lacks the CPU bit, so c10's has(AutogradCPU) is false.
    t = TKS(TK.AutogradCUDA)
    ks = DispatchKeySet(DispatchKey.AutogradCUDA)
    assert ks.has(DispatchKey.AutogradCPU) is t.has(TK.AutogradCPU) is False
    both = DispatchKeySet(DispatchKey.AutogradCUDA, DispatchKey.CPU)
    assert both.has(DispatchKey.AutogradCPU) is TKS(TK.AutogradCUDA).add(TK.CPU).has(TK.AutogradCPU)
    assert not DispatchKeySet(DispatchKey.AutogradCPU).has(DispatchKey.CPU)
    assert DispatchKey.CPU in DispatchKeySet(DispatchKey.CPU, DispatchKey.AutogradCPU)
    assert DispatchKeySet(DispatchKey.CPU).has_backend(BackendComponent.CPUBit)
    assert not DispatchKeySet(DispatchKey.CPU).has_backend(BackendComponent.MetaBit)


def test_difference_keeps_backend_bits_like_c10():
    # c10 operator-: repr & (full_backend_mask | ~other); removing AutogradCPU keeps CPUBit.
    a = DispatchKeySet(DispatchKey.CPU, DispatchKey.AutogradCPU)
    b = DispatchKeySet(DispatchKey.AutogradCPU)
    assert (a - b) == DispatchKeySet(DispatchKey.CPU)
    assert (b - b).raw == DispatchKeySet(BackendComponent.CPUBit).raw
    assert (b - b).is_empty() is False


def test_union_intersection_and_equality():
    a = DispatchKeySet(DispatchKey.CPU)
    b = DispatchKeySet(DispatchKey.AutogradCPU)
    assert (a | b).raw == (TKS(TK.CPU) | TKS(TK.AutogradCPU)).raw_repr()
    assert (a & b).raw == (TKS(TK.CPU) & TKS(TK.AutogradCPU)).raw_repr()
    assert a | b == DispatchKeySet([DispatchKey.AutogradCPU, DispatchKey.CPU])
    assert a | b == DispatchKeySet("CPU", "AutogradCPU")
    assert hash(a | b) == hash(DispatchKeySet.from_raw((a | b).raw))
    assert a != b and a == a
    assert DispatchKeySet() == DispatchKeySet.empty() and DispatchKeySet().is_empty()
    assert len({a, b, a | b, DispatchKeySet(DispatchKey.CPU)}) == 3
    assert (a | b).raw_repr() == (a | b).bits == (a | b).raw


def test_immutable_and_slots():
    ks = DispatchKeySet(DispatchKey.CPU)
    with pytest.raises(AttributeError):
        ks.raw = 0
    with pytest.raises(AttributeError):
        ks.extra = 1
    assert not hasattr(ks, "__dict__")
    import copy
    import pickle
    assert pickle.loads(pickle.dumps(ks)) == ks
    assert copy.deepcopy(ks) is ks


def test_full_after_matches_torch():
    for k in BIT_KEYS:
        if K.to_backend_component(k) != BackendComponent.InvalidBit:
            continue  # torch's FULL_AFTER is defined on functionality keys
        tk = torch_key(k.name)
        assert DispatchKeySet.full_after(k).raw == C._dispatch_keyset_full_after(tk).raw_repr()
    assert K.after_autograd_keyset.raw == C._dispatch_keyset_full_after(TK.AutogradOther).raw_repr()


# ------------------------------------------------------------------------------------------
# Priority
# ------------------------------------------------------------------------------------------

def torch_highest(keys) -> str:
    """Name of the key torch's highestPriorityTypeId picks from the union of ``keys``."""
    t = TKS(TK.Undefined)
    for k in keys:
        t = t | TKS(torch_key(k.name))
    # torch's binding prints "???" for keys it does not name; go through the value.
    return DispatchKey(int(t.highestPriorityTypeId())).name


def test_priority_order_of_runtime_keys_matches_torch():
    # Pairwise: the key c10 picks from {a, b} is the one with the larger priority_index,
    # whenever both keys share a backend or at most one is per-backend.
    rng = np.random.default_rng(7)
    keys = RUNTIME_KEYS
    for _ in range(3000):
        a, b = (keys[i] for i in rng.choice(len(keys), 2, replace=False))
        ba, bb = K.to_backend_component(a), K.to_backend_component(b)
        if ba and bb and ba != bb:
            continue
        expected = torch_highest([a, b])
        ours_pick = DispatchKeySet(a, b).highest_priority_type_id()
        assert ours_pick.name == expected
        assert max(a, b, key=K.priority_index).name == expected


def test_priority_of_everyday_keys():
    cpu_keys = ["CPU", "BackendSelect", "Python", "Functionalize", "Conjugate", "Negative",
                "ZeroTensor", "ADInplaceOrView", "AutogradCPU", "AutocastCPU", "FuncTorchBatched",
                "PythonTLSSnapshot", "PythonDispatcher"]
    keys = [DispatchKey[n] for n in cpu_keys]
    # Sort by torch: repeatedly take torch's highest and remove it.
    remaining = list(keys)
    torch_order = []
    while remaining:
        top = torch_highest(remaining)
        torch_order.append(top)
        remaining = [k for k in remaining if k.name != top]
    assert [k.name for k in sorted(keys, key=K.priority_index, reverse=True)] == torch_order
    assert [k.name for k in DispatchKeySet(keys)] == torch_order[::-1]


def test_highest_priority_combines_highest_functionality_and_backend():
    # c10: the type id is the highest functionality; if that is per-backend it takes the
    # highest backend bit in the whole set, even one contributed by another key.
    ks = DispatchKeySet(DispatchKey.AutogradCPU, DispatchKey.CUDA)
    assert ks.highest_priority_type_id().name == torch_highest(
        [DispatchKey.AutogradCPU, DispatchKey.CUDA]) == "AutogradCUDA"
    assert ks.highest_functionality_key() is DispatchKey.AutogradFunctionality
    assert ks.highest_backend_key() is BackendComponent.CUDABit


def test_highest_priority_backend_type_id_matches_c10_rule():
    # highestPriorityBackendTypeId(ks) = (ks & backend_functionality_keys).highestPriorityTypeId()
    for name in ("CPU", "SparseCPU", "QuantizedCPU", "SparseCsrCPU", "Meta"):
        ks = DispatchKeySet(DispatchKey[name]) | K.get_autograd_related_keyset_from_backend(
            K.to_backend_component(DispatchKey[name])) | K.default_included_set
        assert ks.highest_priority_backend_type_id() is DispatchKey[name]
        assert ks.highest_backend_type_id() is DispatchKey[name]
        assert K.highest_priority_backend_type_id(ks) is DispatchKey[name]


def test_dispatch_table_index_follows_runtime_key_order():
    # c10's operator table: slot 0 is Undefined, then one slot per runtime key in the order
    # the full key set iterates (functionality ascending, backends ascending per functionality).
    full = list(DispatchKeySet.full())
    assert K.NUM_RUNTIME_ENTRIES == len(full) + 1
    for i, k in enumerate(full):
        assert DispatchKeySet(k).dispatch_table_index() == i + 1
    assert DispatchKeySet().dispatch_table_index() == 0


# ------------------------------------------------------------------------------------------
# Tensors, TLS and the computed key set of a call
# ------------------------------------------------------------------------------------------

def _torch_tensors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield ("cpu", "Dense", False), torch.ones(2)
        yield ("cpu", "Dense", False), torch.ones(2, requires_grad=True)
        yield ("cpu", "Dense", False), torch.ones(2, dtype=torch.float64)
        yield ("meta", "Dense", False), torch.empty(2, device="meta")
        yield ("cpu", "Sparse", False), torch.ones(2).to_sparse()
        yield ("cpu", "SparseCsr", False), torch.ones(2, 2).to_sparse_csr()
        yield ("cpu", "Quantized", False), torch.quantize_per_tensor(torch.ones(2), 0.1, 0,
                                                                      torch.qint8)
        yield ("cpu", "NestedTensor", False), torch.nested.nested_tensor(
            [torch.ones(2), torch.ones(3)])
        with torch.inference_mode():
            yield ("cpu", "Dense", True), torch.ones(2)


@pytest.mark.parametrize("spec,t", list(_torch_tensors()))
def test_tensor_keyset_matches_torch(spec, t):
    device, functionality, inference = spec
    ks = K.tensor_keyset(device, functionality, inference=inference)
    assert ks == ours(C._dispatch_keys(t))
    assert repr(ks) == repr(C._dispatch_keys(t))


def test_cpu_tensor_requiring_grad_key_names():
    t = torch.ones(3, requires_grad=True)
    names = [k.name for k in K.tensor_keyset("cpu")]
    assert repr(C._dispatch_keys(t)) == "DispatchKeySet(" + ", ".join(names) + ")"


def test_device_mapping_matches_torch():
    for dev in ("cpu", "cuda", "meta", "mps", "xpu", "xla", "hip", "ipu", "hpu", "mtia",
                "privateuseone", "lazy", "ve", "fpga", "maia", "vulkan"):
        assert K.dispatch_key_for_device(dev).name == C._dispatch_key_for_device(dev)
    assert K.backend_component_for_device("cpu:0") is BackendComponent.CPUBit
    with pytest.raises(DispatchKeyError) as ei:
        K.backend_component_for_device("fpga")
    assert ei.value.reason == "unknown_device"


def test_tls_defaults_match_torch():
    inc, exc = K.tls_local_keyset()
    assert inc == ours(C._dispatch_tls_local_include_set())
    assert exc == ours(C._dispatch_tls_local_exclude_set())
    assert inc == K.default_included_set and exc == K.default_excluded_set


def test_below_autograd_guards_match_torch():
    with C._AutoDispatchBelowAutograd():
        torch_exc = C._dispatch_tls_local_exclude_set().raw_repr()
    with K.below_autograd():
        assert K.tls_local_keyset()[1].raw == torch_exc
    with C._AutoDispatchBelowADInplaceOrView():
        torch_exc = C._dispatch_tls_local_exclude_set().raw_repr()
    with K.below_ad_inplace_or_view():
        assert K.tls_local_keyset()[1].raw == torch_exc
    assert K.tls_local_keyset() == (K.default_included_set, K.default_excluded_set)


def test_include_guard_matches_torch():
    with C._IncludeDispatchKeyGuard(TK.Python):
        torch_inc = C._dispatch_tls_local_include_set().raw_repr()
    with K.include_keys(DispatchKey.Python):
        assert K.tls_local_keyset()[0].raw == torch_inc
        assert K.tls_is_dispatch_key_included(DispatchKey.Python)
    assert not K.tls_is_dispatch_key_included(DispatchKey.Python)


def test_compute_dispatch_keyset_for_cpu_tensor():
    t = torch.ones(2, requires_grad=True)
    bits = K.tensor_keyset("cpu").raw
    assert bits == C._dispatch_keys(t).raw_repr()
    # c10: (tensor keys | TLS included) - TLS excluded
    tls_inc = C._dispatch_tls_local_include_set()
    tls_exc = C._dispatch_tls_local_exclude_set()
    expected = (C._dispatch_keys(t) | tls_inc) - tls_exc
    ks = K.compute_dispatch_keyset(bits)
    assert ks.raw == expected.raw_repr()
    assert ks.highest_priority_type_id() is DispatchKey.AutogradCPU
    assert ks.highest_priority_type_id().name == expected.highestPriorityTypeId().name
    assert K.compute_dispatch_keyset_bits(bits) == ks.raw
    # Below autograd the next functionality is ADInplaceOrView, then BackendSelect, then CPU.
    with K.below_autograd():
        assert K.compute_dispatch_keyset(bits).highest_priority_type_id() is \
            DispatchKey.ADInplaceOrView
        with K.below_ad_inplace_or_view():
            below = K.compute_dispatch_keyset(bits)
            assert below.highest_priority_type_id() is DispatchKey.BackendSelect
            assert K.compute_dispatch_keyset(
                bits, key_mask=~DispatchKeySet(DispatchKey.BackendSelect).raw
            ).highest_priority_type_id() is DispatchKey.CPU
    assert K.compute_dispatch_keyset(bits) is ks


def test_compute_dispatch_keyset_fails_closed_on_unknown_bits():
    with pytest.raises(DispatchKeyError) as ei:
        K.compute_dispatch_keyset(1 << 62)
    assert ei.value.reason == "unknown_bits"
    assert "0x4000000000000000" in str(ei.value)


def test_tls_guards_nest_and_restore():
    base = K.tls_local_keyset()
    py = DispatchKeySet(DispatchKey.Python)
    with K.exclude_keys(K.autograd_dispatch_keyset):
        with K.exclude_keys(K.autograd_dispatch_keyset):  # already excluded: no delta
            with K.include_keys(py):
                inc, exc = K.tls_local_keyset()
                assert inc.has(DispatchKey.Python) and exc.has_all(K.autograd_dispatch_keyset)
            assert not K.tls_local_keyset()[0].has(DispatchKey.Python)
        # the inner guard must not have removed the outer guard's exclusion
        assert K.tls_local_keyset()[1].has_all(K.autograd_dispatch_keyset)
        assert K.tls_is_dispatch_key_excluded(DispatchKey.AutogradOther)
    assert K.tls_local_keyset() == base
    # exceptions inside a guard still restore
    with pytest.raises(ValueError):
        with K.include_keys(py):
            raise ValueError
    assert K.tls_local_keyset() == base


def test_tls_is_per_thread():
    seen = {}
    started = threading.Event()
    release = threading.Event()

    def worker():
        seen["start"] = K.tls_local_keyset()
        with K.exclude_keys(K.autograd_dispatch_keyset):
            started.set()
            release.wait(5)
            seen["inside"] = K.tls_local_keyset()

    th = threading.Thread(target=worker)
    th.start()
    started.wait(5)
    # the main thread is untouched while the worker holds its guard
    assert K.tls_local_keyset() == (K.default_included_set, K.default_excluded_set)
    release.set()
    th.join(5)
    assert seen["start"] == (K.default_included_set, K.default_excluded_set)
    assert seen["inside"][1].has_all(K.autograd_dispatch_keyset)


def test_tls_set_and_force():
    base = K.tls_local_keyset()
    try:
        K.tls_set_dispatch_key_excluded(DispatchKey.ADInplaceOrView, True)
        assert K.tls_is_dispatch_key_excluded(DispatchKey.ADInplaceOrView)
        K.tls_set_dispatch_key_excluded(DispatchKey.ADInplaceOrView, False)
        K.tls_set_dispatch_key_included(DispatchKey.Python, True)
        assert K.tls_is_dispatch_key_included(DispatchKey.Python)
        K.set_tls_local_keyset(DispatchKeySet(), DispatchKeySet())
        assert K.compute_dispatch_keyset(K.tensor_keyset("cpu").raw) == K.tensor_keyset("cpu")
    finally:
        K.set_tls_local_keyset(*base)
    assert K.tls_local_keyset() == base


# ------------------------------------------------------------------------------------------
# Alias keys
# ------------------------------------------------------------------------------------------

def test_is_included_in_alias_matches_torch():
    for alias in ALIASES:
        ta = torch_key(alias.name)
        for k in BIT_KEYS:
            expected = C._dispatch_is_included_in_alias(torch_key(k.name), ta)
            assert K.is_included_in_alias(k, alias) == expected, (k.name, alias.name)


def test_runtime_expansion_agrees_with_torch_membership():
    for alias in ALIASES:
        ta = torch_key(alias.name)
        expansion = K.get_runtime_dispatch_keyset(alias)
        for k in RUNTIME_KEYS:
            expected = C._dispatch_is_included_in_alias(torch_key(k.name), ta)
            assert expansion.has(k) == expected, (k.name, alias.name)


def test_alias_expansion_shapes():
    # Autograd covers every Autograd<Backend> runtime key plus AutogradOther/NestedTensor.
    ag = K.get_runtime_dispatch_keyset(DispatchKey.Autograd)
    assert DispatchKey.AutogradCPU in ag and DispatchKey.AutogradMeta in ag
    assert DispatchKey.CPU not in ag
    cia = K.get_runtime_dispatch_keyset("CompositeImplicitAutograd")
    cea = K.get_runtime_dispatch_keyset("CompositeExplicitAutograd")
    assert DispatchKey.AutogradCPU in cia and DispatchKey.AutogradCPU not in cea
    assert DispatchKey.CPU in cea and DispatchKey.Meta in cea
    nf = K.get_runtime_dispatch_keyset("CompositeExplicitAutogradNonFunctional")
    assert DispatchKey.XLA not in nf and DispatchKey.SparseCPU not in nf and DispatchKey.CPU in nf
    assert K.get_runtime_dispatch_keyset(DispatchKey.CPU) == DispatchKeySet(DispatchKey.CPU)
    for alias in ALIASES:
        assert K.is_alias_key(alias)
        assert not K.is_runtime_key(alias)


def test_backend_keyset_from_autograd_matches_torch():
    for k in BIT_KEYS:
        if not k.name.startswith("Autograd"):
            continue
        expected = C._dispatch_get_backend_keyset_from_autograd(torch_key(k.name)).raw_repr()
        assert K.get_backend_keyset_from_autograd(k).raw == expected, k.name


def test_autograd_keys_from_backend():
    # getAutogradRelatedKeySetFromBackend(CPUBit) = {ADInplaceOrView, AutogradCPU}; matches
    # the autograd part of a torch CPU tensor's keys.
    t_keys = C._dispatch_keys(torch.ones(1))
    rel = K.get_autograd_related_keyset_from_backend(BackendComponent.CPUBit)
    assert rel == DispatchKeySet(DispatchKey.ADInplaceOrView, DispatchKey.AutogradCPU)
    assert ours(t_keys).has_all(rel)
    assert K.get_autograd_key_from_backend(BackendComponent.CPUBit) is DispatchKey.AutogradCPU
    assert K.get_autograd_key_from_backend(DispatchKey.Meta) is DispatchKey.AutogradMeta
    # HIP and VE have no autograd key in getAutogradRelatedKeySetFromBackend: AutogradOther.
    assert K.get_autograd_key_from_backend(BackendComponent.HIPBit) is DispatchKey.AutogradOther
    assert K.get_autocast_related_keyset_from_backend("CPUBit") == DispatchKeySet(
        DispatchKey.AutocastCPU)
    assert K.get_autocast_related_keyset_from_backend(BackendComponent.MetaBit).is_empty()


def test_autograd_fallthrough_checks():
    cpu = K.compute_dispatch_keyset(K.tensor_keyset("cpu").raw)
    assert cpu.has_any(K.autograd_dispatch_keyset)
    assert K.is_autograd_key(cpu.highest_priority_type_id())
    below = cpu & K.after_autograd_keyset
    assert not below.has_any(K.autograd_dispatch_keyset)
    assert below.highest_priority_type_id() is DispatchKey.ADInplaceOrView
    assert not K.is_autograd_key(DispatchKey.CPU)
    with pytest.raises(DispatchKeyError):
        cpu.has_any(DispatchKeySet(DispatchKey.CPU))  # c10 forbids mixing here


def test_legacy_extract_dispatch_key():
    # Removing autograd, ADInplaceOrView, autocast and wrapper keys leaves the backend key.
    assert K.legacy_extract_dispatch_key(K.tensor_keyset("cpu")) is DispatchKey.CPU
    assert K.legacy_extract_dispatch_key(K.tensor_keyset("cpu", "Sparse")) is DispatchKey.SparseCPU


# ------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [1 << 62, 1 << 63, (1 << 62) | 1, -1, 1 << 64])
def test_unknown_bits_raise(bits):
    with pytest.raises(DispatchKeyError) as ei:
        DispatchKeySet.from_raw(bits)
    assert ei.value.reason == "unknown_bits"
    assert isinstance(ei.value, RuntimeError)


def test_alias_and_sentinel_keys_have_no_bits():
    with pytest.raises(DispatchKeyError) as ei:
        DispatchKeySet(DispatchKey.CompositeImplicitAutograd)
    assert ei.value.reason == "alias_key"
    for sentinel in (DispatchKey.EndOfFunctionalityKeys, DispatchKey.StartOfDenseBackends,
                     DispatchKey.StartOfAutogradFunctionalityBackends):
        with pytest.raises(DispatchKeyError) as ei:
            DispatchKeySet(sentinel)
        assert ei.value.reason == "invalid_key"
    with pytest.raises(DispatchKeyError):
        DispatchKeySet(49)  # a bare int is ambiguous (key value or bits): refused
    with pytest.raises(DispatchKeyError):
        DispatchKeySet(DispatchKey.CPU).has(DispatchKey.Undefined)


def test_type_id_errors():
    with pytest.raises(DispatchKeyError) as ei:
        DispatchKeySet().highest_priority_type_id()
    assert ei.value.reason == "empty_set" and "empty" in str(ei.value)
    with pytest.raises(DispatchKeyError) as ei:
        DispatchKeySet(BackendComponent.CPUBit).highest_priority_type_id()
    assert ei.value.reason == "no_type_key"
    with pytest.raises(DispatchKeyError) as ei:
        DispatchKeySet(DispatchKey.AutogradFunctionality).highest_priority_type_id()
    assert ei.value.reason == "no_backend_key"
    with pytest.raises(DispatchKeyError) as ei:
        DispatchKeySet(DispatchKey.BackendSelect).highest_priority_backend_type_id()
    assert ei.value.reason == "empty_set"


def test_validate_for_kernel():
    assert K.validate_for_kernel(K.compute_dispatch_keyset(K.tensor_keyset("cpu").raw)) is \
        DispatchKey.AutogradCPU
    mixed = K.tensor_keyset("cpu") | K.tensor_keyset("meta")
    with pytest.raises(DispatchKeyError) as ei:
        K.validate_for_kernel(mixed)
    assert ei.value.reason == "mixed_backends"
    assert "CPU" in str(ei.value) and "Meta" in str(ei.value)
    with pytest.raises(DispatchKeyError) as ei:
        K.validate_for_kernel(DispatchKeySet())
    assert ei.value.reason == "empty_set"


# ------------------------------------------------------------------------------------------
# Import cost
# ------------------------------------------------------------------------------------------

def test_import_does_not_load_numba():
    # The module's own import cost (``-X importtime`` self time) must stay small, and importing
    # it must not pull in numba (or torch).
    code = ("import sys; import frankentorch._dispatch.keys; "
            "assert 'numba' not in sys.modules, 'numba imported'; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                         text=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(ln for ln in out.stderr.splitlines()
                if ln.rstrip().endswith("frankentorch._dispatch.keys"))
    self_us = int(line.split(":", 1)[1].split("|")[0])
    assert self_us < 100_000, line


def test_error_type_shapes():
    e = DispatchKeyError("empty_set", "dispatch keyset is empty")
    assert e.reason == "empty_set" and str(e) == "dispatch keyset is empty"
    e = DispatchKeyError("no kernel")
    assert e.reason == "unspecified" and str(e) == "no kernel"
    assert issubclass(DispatchKeyError, RuntimeError)
