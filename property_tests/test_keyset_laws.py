"""Algebraic laws of DispatchKeySet and agreement of the Numba bulk helpers with it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frankentorch._dispatch import keys as K
from frankentorch._dispatch.keys import DispatchKey, DispatchKeyError, DispatchKeySet

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

RUNTIME_KEYS = sorted(k for k in K._NAME_TO_KEY.values() if K.is_runtime_key(k))
FUNCTIONALITY_ONLY = [k for k in RUNTIME_KEYS if K.to_backend_component(k) == 0]
PER_BACKEND = [k for k in RUNTIME_KEYS if K.to_backend_component(k) != 0]

raw_bits = st.integers(min_value=0, max_value=K.FULL_KEYSET_MASK)
keysets = raw_bits.map(DispatchKeySet.from_raw)
runtime_key = st.sampled_from(RUNTIME_KEYS)
# Sets built from runtime keys, as tensors and TLS produce them: never empty, and a
# per-backend functionality always comes with a backend bit.
key_built_sets = st.lists(runtime_key, min_size=1, max_size=8).map(DispatchKeySet)


@SETTINGS
@given(keysets, keysets)
def test_union_intersection_commutative(a, b):
    assert a | b == b | a
    assert a & b == b & a


@SETTINGS
@given(keysets, keysets, keysets)
def test_union_intersection_associative(a, b, c):
    assert (a | b) | c == a | (b | c)
    assert (a & b) & c == a & (b & c)


@SETTINGS
@given(keysets, keysets)
def test_idempotent_absorption_and_difference(a, b):
    assert a | a == a and a & a == a
    assert a | (a & b) == a and a & (a | b) == a
    assert (a - b) | (a & b) | (a & DispatchKeySet.from_raw(K.FULL_BACKEND_MASK)) == a
    assert not ((a - b) & b).raw & K.FUNCTIONALITY_MASK


@SETTINGS
@given(keysets, keysets)
def test_highest_functionality_of_union_is_max(a, b):
    assert (a | b).highest_functionality_key() == max(a.highest_functionality_key(),
                                                      b.highest_functionality_key())
    assert (a | b).highest_backend_key() == max(a.highest_backend_key(), b.highest_backend_key())


@SETTINGS
@given(key_built_sets, key_built_sets)
def test_highest_priority_of_union_is_max_of_highest(a, b):
    u = a | b
    ha, hb, hu = (s.highest_priority_type_id() for s in (a, b, u))
    # The functionality part always follows the max rule.
    assert K.priority_index(hu)[0] == max(K.priority_index(ha)[0], K.priority_index(hb)[0])
    # With at most one backend in play, the whole key does (c10 otherwise pairs the winning
    # per-backend functionality with the highest backend of the union).
    if len(u.backends()) <= 1:
        assert hu == max(ha, hb, key=K.priority_index)


@SETTINGS
@given(key_built_sets)
def test_highest_priority_is_max_over_members(s):
    if len(s.backends()) <= 1:
        assert s.highest_priority_type_id() == max(s, key=K.priority_index)
        assert list(s) == sorted(s, key=K.priority_index)


@SETTINGS
@given(keysets, st.sampled_from(FUNCTIONALITY_ONLY))
def test_add_remove_inverse_for_functionality_keys(s, k):
    if not s.has(k):
        assert s.add(k).remove(k) == s
    else:
        assert s.remove(k).add(k) == s
    assert s.add(k).has(k) and not s.remove(k).has(k)


@SETTINGS
@given(keysets, st.sampled_from(PER_BACKEND))
def test_add_remove_per_backend_keys_keep_backend_bit(s, k):
    # remove() only clears the functionality bit (c10), so the backend bit of k stays.
    backend_bit = DispatchKeySet(K.to_backend_component(k))
    func = K.to_functionality_key(k)
    if not s.has(func):
        assert s.add(k).remove(k) == s | backend_bit
    assert s.add(k).has(k) and not s.remove(k).has(k)


@SETTINGS
@given(keysets)
def test_iteration_rebuilds_set_when_functionalities_have_backends(s):
    rebuilt = DispatchKeySet(list(s))
    # Per-backend functionality bits without backends, and backend bits without any
    # per-backend functionality, do not show up as runtime keys.
    lost_func = 0 if s.raw & K.FULL_BACKEND_MASK else s.raw & K._PER_BACKEND_FUNC_BITS
    lost_backend = 0 if s.raw & K._PER_BACKEND_FUNC_BITS else s.raw & K.FULL_BACKEND_MASK
    assert rebuilt.raw | lost_func | lost_backend == s.raw


@SETTINGS
@given(raw_bits)
def test_from_raw_round_trip_and_interning(bits):
    s = DispatchKeySet.from_raw(bits)
    assert s.raw == bits and DispatchKeySet.from_raw(bits) == s and hash(s) == hash(bits)


@SETTINGS
@given(st.integers(min_value=K.FULL_KEYSET_MASK + 1, max_value=(1 << 64) - 1))
def test_unknown_bits_always_rejected(bits):
    with pytest.raises(DispatchKeyError):
        DispatchKeySet.from_raw(bits)


# ------------------------------------------------------------------------------------------
# Numba bulk helpers == scalar methods
# ------------------------------------------------------------------------------------------

bulk = pytest.importorskip("frankentorch._kernels.keyset_bulk")

bits_lists = st.lists(raw_bits, min_size=0, max_size=40)


def _hpt_scalar(bits: int) -> int:
    try:
        return int(DispatchKeySet.from_raw(bits).highest_priority_type_id())
    except DispatchKeyError as e:
        return {"empty_set": bulk.HPT_EMPTY_SET, "no_type_key": bulk.HPT_NO_TYPE_KEY,
                "no_backend_key": bulk.HPT_NO_BACKEND_KEY}[e.reason]


@SETTINGS
@given(st.data(), st.sampled_from([np.int64, np.uint64]))
def test_bulk_binary_ops_match_scalar(data, dtype):
    xs = data.draw(bits_lists)
    ys = data.draw(st.lists(raw_bits, min_size=len(xs), max_size=len(xs)))
    a, b = np.array(xs, dtype=dtype), np.array(ys, dtype=dtype)
    sa = [DispatchKeySet.from_raw(x) for x in xs]
    sb = [DispatchKeySet.from_raw(y) for y in ys]
    assert bulk.union(a, b).tolist() == [(p | q).raw for p, q in zip(sa, sb)]
    assert bulk.intersection(a, b).tolist() == [(p & q).raw for p, q in zip(sa, sb)]
    assert bulk.difference(a, b).tolist() == [(p - q).raw for p, q in zip(sa, sb)]


@SETTINGS
@given(bits_lists, st.sampled_from([np.int64, np.uint64]))
def test_bulk_highest_match_scalar(xs, dtype):
    a = np.array(xs, dtype=dtype)
    sets = [DispatchKeySet.from_raw(x) for x in xs]
    assert bulk.highest_functionality_index(a).tolist() == [
        int(s.highest_functionality_key()) for s in sets]
    assert bulk.highest_backend_index(a).tolist() == [int(s.highest_backend_key()) for s in sets]
    assert bulk.highest_priority_type_id(a).tolist() == [_hpt_scalar(x) for x in xs]


@SETTINGS
@given(st.lists(key_built_sets, min_size=1, max_size=20))
def test_bulk_highest_priority_on_tensor_like_sets(sets):
    a = np.array([s.raw for s in sets], dtype=np.int64)
    assert bulk.highest_priority_type_id(a).tolist() == [
        int(s.highest_priority_type_id()) for s in sets]


def test_bulk_broadcast_and_shape():
    a = np.array([[K.tensor_keyset("cpu").raw], [K.tensor_keyset("meta").raw]], dtype=np.int64)
    b = np.int64(K.autograd_dispatch_keyset.raw)
    out = bulk.difference(a, b)
    assert out.shape == (2, 1)
    assert out[0, 0] == (K.tensor_keyset("cpu") - K.autograd_dispatch_keyset).raw


@pytest.mark.parametrize("bad", [1 << 62, 1 << 63])
def test_bulk_rejects_unknown_bits(bad):
    with pytest.raises(DispatchKeyError):
        bulk.union(np.array([bad], dtype=np.uint64), np.array([0], dtype=np.uint64))
    if bad < (1 << 63):
        with pytest.raises(DispatchKeyError):
            bulk.highest_priority_type_id(np.array([bad], dtype=np.int64))
    with pytest.raises(DispatchKeyError):
        bulk.highest_backend_index(np.array([-1], dtype=np.int64))
