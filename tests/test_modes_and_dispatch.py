"""strict/hardened modes, the dispatcher (key sets, fail-closed resolution, cache, TLS guards),
meta-device shape computation, and dtype / finfo / iinfo objects.

Expected values come from torch wherever torch has the same fact (``torch._C._dispatch_keys``
and the TLS sets for key sets, meta tensors for shapes and dtypes, ``torch.finfo`` ...).
"""
from __future__ import annotations

import itertools
import os
import pickle
import subprocess
import sys
import threading
import uuid

import pytest
import torch

import frankentorch as ft
from frankentorch._dispatch import dispatcher as D
from frankentorch._dispatch import keys as K

C = torch._C
DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
               "float32", "float64")
FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")


@pytest.fixture(autouse=True)
def _restore_mode():
    before = ft.get_mode()
    yield
    ft.set_mode(before)


# ============================================================================================
# modes
# ============================================================================================

def test_set_and_get_mode():
    for name in ("hardened", "strict", "hardened", "hardened", "strict"):
        ft.set_mode(name)
        assert ft.get_mode() == name


def test_mode_context_manager_restores():
    ft.set_mode("strict")
    with ft.using_mode("hardened"):
        assert ft.get_mode() == "hardened"
        with ft.using_mode("strict"):
            assert ft.get_mode() == "strict"
        assert ft.get_mode() == "hardened"
    assert ft.get_mode() == "strict"


@pytest.mark.parametrize("outer", ["strict", "hardened"])
def test_mode_context_manager_restores_on_exception(outer):
    ft.set_mode(outer)
    inner = "hardened" if outer == "strict" else "strict"
    with pytest.raises(KeyError):
        with ft.using_mode(inner):
            assert ft.get_mode() == inner
            raise KeyError("boom")
    assert ft.get_mode() == outer
    # an error raised by frankentorch itself inside the block
    with pytest.raises(RuntimeError):
        with ft.using_mode(inner):
            ft.zeros(3).view(4)
    assert ft.get_mode() == outer
    # set_mode inside the block is undone too
    with ft.using_mode(inner):
        ft.set_mode(outer)
        ft.set_mode(inner)
    assert ft.get_mode() == outer


@pytest.mark.parametrize("bad", ["Strict", "HARDENED", "permissive", "", " strict", None, 1])
def test_unknown_mode_name_raises_value_error(bad):
    ft.set_mode("hardened")
    with pytest.raises(ValueError):
        ft.set_mode(bad)
    assert ft.get_mode() == "hardened"
    with pytest.raises(ValueError):
        with ft.using_mode(bad):
            pass  # pragma: no cover
    assert ft.get_mode() == "hardened"


def _run_python(code: str, mode_env):
    env = dict(os.environ)
    env.pop("FRANKENTORCH_MODE", None)
    if mode_env is not None:
        env["FRANKENTORCH_MODE"] = mode_env
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("value", ["hardened", "strict", None])
def test_env_var_selects_mode_at_import(value):
    r = _run_python("import frankentorch; print(frankentorch.get_mode())", value)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (value or "strict")


@pytest.mark.parametrize("value", ["paranoid", "Hardened", "strict "])
def test_unknown_env_value_fails_import_with_value_error(value):
    code = ("try:\n    import frankentorch\nexcept ValueError:\n    print('ValueError')\n"
            "else:\n    print('imported', frankentorch.get_mode())")
    r = _run_python(code, value)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ValueError"


# ============================================================================================
# dispatcher: key sets
# ============================================================================================

def _pair(shape, dtype="float32", device="cpu"):
    return (torch.zeros(shape, dtype=getattr(torch, dtype), device=device),
            ft.zeros(shape, dtype=getattr(ft, dtype), device=device))


def _torch_call_keyset(*tensors) -> int:
    """c10's computeDispatchKeySet: (union of the tensors' keys | TLS included) - TLS
    excluded, from torch's own bindings."""
    ks = C._dispatch_keys(tensors[0])
    for t in tensors[1:]:
        ks = ks | C._dispatch_keys(t)
    ks = (ks | C._dispatch_tls_local_include_set()) - C._dispatch_tls_local_exclude_set()
    return ks.raw_repr()


def _overload(packet: str, name: str) -> D.Op:
    return next(op for op in D.OPS[packet].overloads if op.name == name)


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_tensor_keys_equal_torch(device, dtype):
    t, f = _pair((2, 3), dtype, device)
    assert f._keys == C._dispatch_keys(t).raw_repr()
    # views, 0-d and requires_grad tensors carry the same keys as in torch
    assert f.t()._keys == C._dispatch_keys(t.t()).raw_repr()
    assert f[0, 0]._keys == C._dispatch_keys(t[0, 0]).raw_repr()
    if dtype.startswith("float"):
        t.requires_grad_()
        f.requires_grad_()
        assert f._keys == C._dispatch_keys(t).raw_repr()


CALLS = {
    "add.Tensor": ("add", lambda a, b: (a, b)),
    "sub.Tensor": ("sub", lambda a, b: (a, b)),
    "mul.Tensor": ("mul", lambda a, b: (a, b)),
    "div.Tensor": ("div", lambda a, b: (a, b)),
    "view": ("view", lambda a, b: (a, [6])),
    "transpose.int": ("transpose", lambda a, b: (a, 0, 1)),
    "sum.dim_IntList": ("sum", lambda a, b: (a, [1])),
}


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize("name", list(CALLS))
def test_call_keyset_equals_torch(name, device):
    packet, args = CALLS[name]
    ta, fa = _pair((2, 3), "float32", device)
    tb, fb = _pair((2, 3), "int64", device)
    op = _overload(packet, name)
    bound = op.bind(*args(fa, fb))
    n_tensors = sum(isinstance(x, ft.Tensor) for x in args(fa, fb))
    expected = _torch_call_keyset(*[ta, tb][:n_tensors])
    assert op.keyset_bits(bound) == expected
    # ...and under TLS guards, applied the same way in both libraries
    with C._ExcludeDispatchKeyGuard(C.DispatchKeySet(C.DispatchKey.AutogradCPU)), \
            K.exclude_keys(K.DispatchKeySet("AutogradCPU")):
        assert op.keyset_bits(bound) == _torch_call_keyset(*[ta, tb][:n_tensors])
    with C._IncludeDispatchKeyGuard(C.DispatchKey.Functionalize), \
            K.include_keys(K.DispatchKeySet("Functionalize")):
        assert op.keyset_bits(bound) == _torch_call_keyset(*[ta, tb][:n_tensors])
    assert op.keyset_bits(bound) == expected


def test_tls_sets_equal_torch_under_guards():
    def both():
        inc, exc = K.tls_local_keyset()
        return (inc.raw, exc.raw) == (C._dispatch_tls_local_include_set().raw_repr(),
                                      C._dispatch_tls_local_exclude_set().raw_repr())
    assert both()
    with C._ExcludeDispatchKeyGuard(C.DispatchKeySet(C.DispatchKey.AutogradCPU)), \
            K.exclude_keys(K.DispatchKeySet("AutogradCPU")):
        assert both()
        with C._IncludeDispatchKeyGuard(C.DispatchKey.Python), \
                K.include_keys(K.DispatchKeySet("Python")):
            assert both()
        assert both()
    assert both()


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_factory_keyset_comes_from_device(device):
    op = _overload("empty", "empty.memory_format")
    bound = op.bind([2, 3], device=device)
    assert op.keyset_bits(bound) == _torch_call_keyset(torch.empty(0, device=device))


# ============================================================================================
# dispatcher: devices
# ============================================================================================

MIXED = {
    "add(cpu, meta)": lambda L, c, m: L.add(c, m),
    "add(meta, cpu)": lambda L, c, m: L.add(m, c),
    "mul(cpu, meta 0-d)": lambda L, c, m: L.mul(c, m[0]),
    "add(meta 0-d, cpu)": lambda L, c, m: L.add(m[0], c),
    "sub(cpu, meta) alpha": lambda L, c, m: L.sub(c, m, alpha=2),
    "add(cpu, meta, out=cpu)": lambda L, c, m: L.add(c, m, out=L.empty(3)),
    "add(meta, meta, out=cpu)": lambda L, c, m: L.add(m, m, out=L.empty(3)),
    "add(meta, meta, out=meta)": lambda L, c, m: L.add(m, m, out=L.empty(3, device="meta")),
    # a CPU 0-d tensor is a wrapped scalar: torch lets it join a meta computation
    "add(cpu 0-d, meta)": lambda L, c, m: L.add(c[0], m),
    "sub(meta, cpu 0-d)": lambda L, c, m: L.sub(m, c[0]),
    "meta.add_(cpu 0-d)": lambda L, c, m: m.add_(c[0]),
}


@pytest.mark.parametrize("fn", list(MIXED.values()), ids=list(MIXED))
def test_mixing_cpu_and_meta_like_torch(fn):
    tc, fc = _pair((3,), "float32", "cpu")
    tm, fm = _pair((3,), "float32", "meta")
    try:
        expected = fn(torch, tc, tm)
    except Exception as e:  # noqa: BLE001  - torch's error is the expectation
        with pytest.raises(type(e)):
            fn(ft, fc, fm)
        return
    got = fn(ft, fc, fm)
    assert str(got.device) == str(expected.device)
    assert tuple(got.shape) == tuple(expected.shape)
    assert str(got.dtype) == str(expected.dtype)


# ============================================================================================
# dispatcher: temporary ops
# ============================================================================================

@pytest.fixture
def temp_op():
    """Declare uniquely named ops for one test and remove them from OPS afterwards."""
    made = []

    def make(signature_tail="(Tensor self) -> Tensor"):
        name = f"zz_ft_test_{uuid.uuid4().hex[:12]}"
        assert name not in D.OPS
        op = D.defop(name + signature_tail)
        made.append(name)
        return op, name

    yield make
    for name in made:
        D.OPS.pop(name, None)
    assert not any(n.startswith("zz_ft_test_") for n in D.OPS)


def test_missing_kernel_fails_closed(temp_op):
    op, name = temp_op()
    calls = []
    op.impl("CPU")(lambda self: calls.append("cpu") or self)
    x = ft.zeros(2)
    assert op(x) is x and calls == ["cpu"]
    meta = ft.zeros(2, device="meta")
    with pytest.raises(NotImplementedError) as info:
        op(meta)
    assert name in str(info.value)
    assert "Meta" in str(info.value)
    assert calls == ["cpu"]
    # a failed resolution is not cached: registering the kernel makes the call work
    op.impl("Meta")(lambda self: calls.append("meta") or self)
    assert op(meta) is meta and calls == ["cpu", "meta"]


def test_op_without_any_kernel_fails_closed(temp_op):
    op, name = temp_op()
    for dev in ("cpu", "meta"):
        with pytest.raises(NotImplementedError, match=name):
            op(ft.zeros(1, device=dev))


def test_mixed_backends_fail_before_any_kernel(temp_op):
    op, _ = temp_op("(Tensor self, Tensor other) -> Tensor")
    calls = []
    op.impl("CompositeExplicitAutograd")(lambda a, b: calls.append(1) or a)
    with pytest.raises(RuntimeError, match="Tensor on device meta is not on the expected "
                                           "device cpu!"):  # torch's device check
        op(ft.zeros(2), ft.zeros(2, device="meta"))
    assert calls == []
    with pytest.raises(RuntimeError) as expected:
        torch.zeros(2, device="meta") + torch.zeros(2)
    with pytest.raises(RuntimeError, match=str(expected.value)):
        ft.zeros(2, device="meta") + ft.zeros(2)


def test_resolution_is_cached(temp_op, monkeypatch):
    op, _ = temp_op()
    op.impl("CPU")(lambda self: self)
    resolves = []
    real = D.Op._resolve

    def counting(self, bits):
        resolves.append(bits)
        return real(self, bits)
    x = ft.zeros(2)
    y = ft.ones(3, dtype=ft.int64)
    monkeypatch.setattr(D.Op, "_resolve", counting)
    op(x)
    assert len(resolves) == 1
    bits = resolves[0]
    # the resolution key is the call's key set, minus the autograd keys when no argument
    # requires grad (the autograd fallback would only pass the call through)
    assert bits == op.keyset_bits(op.bind(x)) & ~K.autograd_dispatch_keyset.raw
    assert op._cache[bits] is op.kernels[K.key_from_name("CPU")]
    op(x)
    op(y)  # same key set: same cache entry
    assert len(resolves) == 1
    # another key set resolves once more; registering a kernel clears the cache
    with K.below_ad_inplace_or_view():
        op(x)
    assert len(resolves) == 2
    op.impl("Meta")(lambda self: self)
    assert op._cache == {}
    op(x)
    assert len(resolves) == 3


def test_real_ops_cache_their_resolution(monkeypatch):
    op = _overload("add", "add.Tensor")
    x = ft.zeros(3)
    op(x, x)
    bits = op.keyset_bits(op.bind(x, x)) & ~K.autograd_dispatch_keyset.raw  # nothing needs grad
    assert bits in op._cache
    resolves = []
    real = D.Op._resolve
    monkeypatch.setattr(D.Op, "_resolve", lambda self, b: resolves.append(b) or real(self, b))
    for _ in range(3):
        ft.add(x, x)
    assert resolves == []


def test_exclude_and_include_keys_change_the_kernel(temp_op):
    op, _ = temp_op()
    calls = []
    op.impl("CPU")(lambda self: calls.append("CPU") or self)
    op.impl("AutogradCPU")(lambda self: calls.append("AutogradCPU") or self)
    op.impl("Functionalize")(lambda self: calls.append("Functionalize") or self)
    x = ft.zeros(2)

    def run():
        calls.clear()
        op(x)
        return calls[-1]

    # torch's key set for this call says which kernel c10 would pick: the highest key
    # with a kernel.
    def torch_pick():
        ks = C.DispatchKeySet.from_raw_repr(_torch_call_keyset(torch.zeros(2)))
        for name in ("Functionalize", "AutogradCPU", "CPU"):
            if ks.has(getattr(C.DispatchKey, name)):
                return name

    assert run() == "AutogradCPU" == torch_pick()
    with K.exclude_keys(K.autograd_dispatch_keyset), \
            C._ExcludeDispatchKeyGuard(C.DispatchKeySet(C.DispatchKey.AutogradCPU)):
        assert run() == "CPU" == torch_pick()
        with K.include_keys(K.DispatchKeySet("Functionalize")), \
                C._IncludeDispatchKeyGuard(C.DispatchKey.Functionalize):
            assert run() == "Functionalize" == torch_pick()
        assert run() == "CPU"
    assert run() == "AutogradCPU"
    with K.below_autograd():
        assert run() == "CPU"
    with K.below_ad_inplace_or_view():
        assert run() == "CPU"
    assert run() == "AutogradCPU"


def test_tls_guards_are_thread_local(temp_op):
    op, _ = temp_op()
    op.impl("CPU")(lambda self: "CPU")
    op.impl("AutogradCPU")(lambda self: "AutogradCPU")
    x = ft.zeros(2)
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        seen["worker"] = op(x)

    with K.below_autograd():
        assert op(x) == "CPU"
        th = threading.Thread(target=worker)
        th.start()
        th.join()
    assert seen["worker"] == "AutogradCPU"

    def excluding_worker():
        with K.below_autograd():
            seen["excluding"] = op(x)
            inside.set()
            release.wait(10)

    th = threading.Thread(target=excluding_worker)
    th.start()
    inside.wait(10)
    seen["main"] = op(x)
    release.set()
    th.join()
    assert seen["excluding"] == "CPU" and seen["main"] == "AutogradCPU"


# ============================================================================================
# meta tensors
# ============================================================================================

META_PROGRAMS = {
    "add": lambda L, a, b: L.add(a, b),
    "add alpha": lambda L, a, b: L.add(a, b, alpha=3),
    "add broadcast": lambda L, a, b: a[:, :1] + b[0],
    "add scalar": lambda L, a, b: a + 2.5,
    "sub": lambda L, a, b: a - b,
    "mul promote": lambda L, a, b: a * b.to(L.int64),
    "div int": lambda L, a, b: a.to(L.int32) / b.to(L.int32),
    "add_": lambda L, a, b: a.add_(b),
    "add_ broadcast error": lambda L, a, b: a[0].add_(b),
    "add out": lambda L, a, b: L.add(a, b, out=L.empty(0, device="meta")),
    "sum": lambda L, a, b: a.sum(),
    "sum dim keepdim": lambda L, a, b: a.sum(1, keepdim=True),
    "sum dims": lambda L, a, b: a.sum((0, 2)),
    "sum int": lambda L, a, b: a.to(L.int16).sum(0),
    "sum bool": lambda L, a, b: a.to(L.bool).sum(),
    "sum dtype": lambda L, a, b: a.sum(-1, dtype=L.float64),
    "sum bad dim": lambda L, a, b: a.sum(3),
    "mean": lambda L, a, b: a.mean(),
    "mean dim": lambda L, a, b: a.mean((1, 2), keepdim=True),
    "mean int": lambda L, a, b: a.to(L.int64).mean(),
    "mean half": lambda L, a, b: a.to(L.float16).mean(0),
    "view": lambda L, a, b: a.view(6, 4),
    "transpose": lambda L, a, b: a.transpose(0, 2),
    "permute": lambda L, a, b: a.permute(1, 2, 0),
    "narrow": lambda L, a, b: a.narrow(2, 1, 2),
    "select": lambda L, a, b: a.select(1, 2),
    "expand": lambda L, a, b: a[:, :1].expand(2, 7, 4),
    "diagonal": lambda L, a, b: a.diagonal(0, 0, 2),
    "unfold": lambda L, a, b: a.unfold(2, 2, 1),
    "getitem": lambda L, a, b: a[1, ::2, None],
    "as_strided": lambda L, a, b: a.as_strided((3, 3), (1, 2), 4),
    "reshape copy": lambda L, a, b: a.transpose(0, 1).reshape(-1),
    "contiguous": lambda L, a, b: a.transpose(1, 2).contiguous(),
    "clone": lambda L, a, b: a.transpose(1, 2).clone(),
    "view error": lambda L, a, b: a.transpose(0, 1).view(-1),
}


@pytest.mark.parametrize("fn", list(META_PROGRAMS.values()), ids=list(META_PROGRAMS))
def test_meta_computes_shapes_and_dtypes(fn):
    ta = torch.empty(2, 3, 4, device="meta")
    tb = torch.empty(3, 4, device="meta")
    fa = ft.empty(2, 3, 4, device="meta")
    fb = ft.empty(3, 4, device="meta")
    try:
        expected = fn(torch, ta, tb)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(ft, fa, fb)
        return
    got = fn(ft, fa, fb)
    assert got.device == ft.device("meta") and got.is_meta
    assert tuple(got.shape) == tuple(expected.shape)
    assert str(got.dtype) == str(expected.dtype)
    assert tuple(got.stride()) == tuple(expected.stride())
    assert got.storage_offset() == expected.storage_offset()


def test_meta_tensors_have_no_data():
    t, f = torch.empty(2 ** 40, device="meta"), ft.empty(2 ** 40, device="meta")
    assert tuple((f + f).sum(0, keepdim=True).shape) == tuple((t + t).sum(0, keepdim=True).shape)
    for fn in (lambda x: x.tolist(), lambda x: x[0].item()):
        try:
            fn(t[:4])
        except Exception as e:  # noqa: BLE001
            with pytest.raises(type(e)):
                fn(f[:4])
        else:  # pragma: no cover - torch always refuses
            raise AssertionError("torch read a meta tensor")


# ============================================================================================
# dtypes, finfo, iinfo
# ============================================================================================

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_attributes_equal_torch(name):
    f, t = getattr(ft, name), getattr(torch, name)
    assert repr(f) == repr(t)
    assert str(f) == str(t)
    assert f.itemsize == t.itemsize
    assert f.is_floating_point == t.is_floating_point
    assert f.is_signed == t.is_signed
    assert f.is_complex == t.is_complex
    assert pickle.loads(pickle.dumps(f)) is f
    assert ft.empty(1, dtype=f).element_size() == torch.empty(1, dtype=t).element_size()


def test_dtype_aliases_equality_and_hash_like_torch():
    # every dtype name torch has for the supported dtypes (torch has no `byte`/`char`)
    aliases = [a for a in ("half", "float", "double", "long", "int", "short", "byte", "char",
                           "bool", "bfloat16", "float16", "float32", "float64", "int8", "int16",
                           "int32", "int64", "uint8") if hasattr(torch, a)]
    for a, b in itertools.product(aliases, repeat=2):
        same_t = getattr(torch, a) == getattr(torch, b)
        fa, fb = getattr(ft, a), getattr(ft, b)
        assert (fa == fb) == same_t, (a, b)
        assert (fa != fb) == (not same_t), (a, b)
        if same_t:
            assert hash(fa) == hash(fb)
    assert len({getattr(ft, a) for a in aliases}) == len({getattr(torch, a) for a in aliases})
    assert (ft.float32 == "float32") == (torch.float32 == "float32")
    assert (ft.int64 == 8) == (torch.int64 == 8)
    assert {ft.float32: 1}[ft.float] == 1


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_finfo_equals_torch(name):
    f, t = ft.finfo(getattr(ft, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution",
                  "dtype"):
        assert getattr(f, field) == getattr(t, field), field


def test_finfo_default_is_default_dtype():
    f, t = ft.finfo(), torch.finfo()
    for field in ("bits", "eps", "max", "min", "tiny", "resolution", "dtype"):
        assert getattr(f, field) == getattr(t, field), field


@pytest.mark.parametrize("name", [n for n in DTYPE_NAMES if n not in FLOAT_NAMES])
def test_iinfo_equals_torch(name):
    try:
        t = torch.iinfo(getattr(torch, name))
    except Exception as e:  # noqa: BLE001  (torch.iinfo(torch.bool) is refused)
        with pytest.raises(type(e)):
            ft.iinfo(getattr(ft, name))
        return
    f = ft.iinfo(getattr(ft, name))
    for field in ("bits", "max", "min", "dtype"):
        assert getattr(f, field) == getattr(t, field), field


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_finfo_iinfo_refuse_like_torch(name):
    for info in ("finfo", "iinfo"):
        try:
            getattr(torch, info)(getattr(torch, name))
        except Exception as e:  # noqa: BLE001
            with pytest.raises(type(e)):
                getattr(ft, info)(getattr(ft, name))
        else:
            getattr(ft, info)(getattr(ft, name))
