"""save/load against real torch: every dtype, views, containers, parameters, state_dicts,
refusal of hostile or damaged files, the checkpoint envelope and atomic replacement."""
from __future__ import annotations

import collections
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import frankentorch as ft
from frankentorch.serialization import errors as E
from frankentorch.serialization.envelope import MAX_DIAGNOSTICS, decode_envelope
from frankentorch.serialization.loader import ENVELOPE_RECORD
from frankentorch.serialization.zipfmt import ZipWriter
from conftest import DTYPE_NAMES, TORCH_DTYPE, assert_same, dname, random_values, to_ft


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def ft_bytes(obj) -> bytes:
    buf = io.BytesIO()
    ft.save(obj, buf)
    return buf.getvalue()


def ft_load(data: bytes, **kw):
    return ft.load(io.BytesIO(data), **kw)


def torch_load(data: bytes):
    return torch.load(io.BytesIO(data), weights_only=True)


def to_ft_tree(obj, memo=None):
    """The same object with torch tensors replaced by frankentorch tensors of the same
    geometry; tensors sharing a torch storage share one frankentorch storage."""
    memo = {} if memo is None else memo
    if isinstance(obj, torch.Tensor):
        st = obj.untyped_storage()
        base = memo.get(st.data_ptr())
        if base is None:
            base = memo[st.data_ptr()] = to_ft(obj)
        t = base.as_strided(tuple(obj.shape), tuple(obj.stride()), obj.storage_offset())
        if isinstance(obj, torch.nn.Parameter):
            return ft.nn.Parameter(t, obj.requires_grad)
        return t.requires_grad_(obj.requires_grad) if obj.requires_grad else t
    if isinstance(obj, collections.OrderedDict):
        out = collections.OrderedDict((k, to_ft_tree(v, memo)) for k, v in obj.items())
        out.__dict__.update({k: to_ft_tree(v, memo) for k, v in obj.__dict__.items()})
        return out
    if isinstance(obj, dict):
        return {k: to_ft_tree(v, memo) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and not isinstance(obj, torch.Size):
        return type(obj)(to_ft_tree(v, memo) for v in obj)
    if isinstance(obj, torch.Size):
        return ft.Size(obj)
    if isinstance(obj, torch.dtype):
        return getattr(ft, dname(obj))
    if isinstance(obj, torch.device):
        return ft.device(str(obj))
    return obj


def assert_tree(ours, theirs) -> None:
    """Same structure, types, tensor values and geometry; storage sharing identical."""
    ft_ptr, t_ptr = {}, {}

    def walk(a, b):
        if isinstance(b, torch.Tensor):
            assert isinstance(a, ft.Tensor)
            assert isinstance(a, ft.nn.Parameter) == isinstance(b, torch.nn.Parameter)
            assert a.requires_grad == b.requires_grad
            assert_same(a.detach(), b.detach(), check_offset=True, rtol=0, atol=0)
            ft_ptr.setdefault(id(a.untyped_storage()), set()).add(b.untyped_storage().data_ptr())
            t_ptr.setdefault(b.untyped_storage().data_ptr(), set()).add(id(a.untyped_storage()))
        elif isinstance(b, dict):
            assert type(a).__name__ == type(b).__name__ and list(a) == list(b)
            for k in b:
                walk(a[k], b[k])
            if isinstance(b, collections.OrderedDict):
                assert set(vars(a)) == set(vars(b))
                for k in vars(b):
                    walk(vars(a)[k], vars(b)[k])
        elif isinstance(b, (list, tuple)):
            assert type(a).__name__ == type(b).__name__ and len(a) == len(b), (a, b)
            for x, y in zip(a, b):
                walk(x, y)
        elif isinstance(b, (torch.dtype, torch.device)):
            assert str(a) == str(b)
        else:
            assert type(a) is type(b) and a == b, (a, b)
    walk(ours, theirs)
    assert all(len(v) == 1 for v in ft_ptr.values()), "sharing differs"
    assert all(len(v) == 1 for v in t_ptr.values()), "sharing differs"


def both_ways(obj_t) -> None:
    """torch.save -> frankentorch.load, and frankentorch.save -> torch.load."""
    assert_tree(ft_load(torch_bytes(obj_t)), obj_t)
    assert_tree(ft_load(ft_bytes(to_ft_tree(obj_t))), obj_t)
    back = torch_load(ft_bytes(to_ft_tree(obj_t)))
    assert_tree(to_ft_tree(back), obj_t)


def layouts(dtype: torch.dtype) -> dict:
    gen = torch.Generator().manual_seed(7)
    base = random_values(gen, (4, 6), dtype)
    return {"matrix": base, "scalar": random_values(gen, (), dtype),
            "empty": torch.empty(0, 3, dtype=dtype), "transposed": base.t(),
            "sliced": base[1:, ::2], "row": base[2], "expanded": base[:1].expand(3, 6)}


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_every_dtype_and_layout_both_ways(name):
    both_ways(layouts(TORCH_DTYPE[name]))


def test_views_share_storage_both_ways():
    base = torch.arange(24, dtype=torch.float32)
    obj = {"base": base, "view": base.view(4, 6), "narrow": base[5:17].view(3, 4).t(),
           "other": torch.ones(2), "again": [base]}
    both_ways(obj)
    loaded = ft_load(torch_bytes(obj))
    loaded["base"][0] = 100.0
    assert loaded["view"][0, 0].item() == 100.0
    assert loaded["again"][0] is loaded["base"]


def test_nested_checkpoint_values_both_ways():
    sd = torch.nn.Linear(3, 2).state_dict()
    obj = {"epoch": 7, "step": 2 ** 40, "neg": -3, "big": -(2 ** 70), "lr": 1e-3,
           "metrics": {"loss": [0.5, 0.25], "acc": (0.9, float("inf"))}, "ok": True,
           "nothing": None, "name": "run-ü", "blob": b"\x00\xffab", "empty": b"",
           "tags": {1, 2}, "z": 1 + 2j,
           "size": torch.Size([2, 3]), "dtype": torch.bfloat16, "device": torch.device("cpu"),
           "model": sd, 3: "int key", (1, "t"): "tuple key", "ba": bytearray(b"xy")}
    both_ways(obj)


def test_parameters_and_nn_state_dict_both_ways():
    torch.manual_seed(0)
    model_t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    both_ways({"p": torch.nn.Parameter(torch.randn(2, 2)),
               "frozen": torch.nn.Parameter(torch.ones(3), requires_grad=False)})
    both_ways(model_t.state_dict())
    model_ft = ft.nn.Sequential(ft.nn.Linear(4, 3), ft.nn.BatchNorm1d(3))
    model_ft.load_state_dict(ft_load(torch_bytes(model_t.state_dict())))
    model_t2 = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    model_t2.load_state_dict(torch_load(ft_bytes(model_ft.state_dict())))
    for k, v in model_t.state_dict().items():
        assert torch.equal(model_t2.state_dict()[k], v), k
    assert model_ft.state_dict()._metadata == model_t.state_dict()._metadata


def test_optimizer_state_dict_both_ways():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    both_ways(sd)
    assert list(ft_load(torch_bytes(sd))["state"]) == [0, 1]


def test_requires_grad_and_non_leaf():
    x = torch.ones(3, requires_grad=True)
    both_ways({"leaf": x, "nonleaf": x * 2})


def test_same_content_same_bytes_and_hash_ignores_dict_order():
    a, b = ft.ones(3), ft.arange(4)
    one, two = ft_bytes({"a": a, "b": b, "n": 1}), ft_bytes({"n": 1, "b": b, "a": a})
    assert one == ft_bytes({"a": a, "b": b, "n": 1})

    def chash(data):
        env = decode_envelope(zipfile.ZipFile(io.BytesIO(data)).read("archive/" +
                                                                      ENVELOPE_RECORD))
        return env.envelope["content_hash"]
    assert one != two and chash(one) == chash(two)
    od1 = collections.OrderedDict([("a", a), ("b", b)])
    od2 = collections.OrderedDict([("b", b), ("a", a)])
    assert chash(ft_bytes(od1)) != chash(ft_bytes(od2))


def test_save_refuses_what_torch_load_would_refuse():
    import numpy as np
    with pytest.raises(E.UnsupportedTypeError, match="numpy"):
        ft_bytes({"x": np.float32(1.0)})
    x = ft.ones(4)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        ft_bytes([x, x.view(ft.int32)])
    with pytest.raises(TypeError):
        ft_bytes(object())
    with pytest.raises(E.UnsupportedTypeError):  # torch.load(weights_only=True) refuses it
        ft_bytes(frozenset({1}))


# ------------------------------------------------------------------ hostile input

def rebuild(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The archive with some records replaced (fresh CRCs), as an attacker would write it."""
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    zw = ZipWriter(out)
    for info in z.infolist():
        short = info.filename.split("/", 1)[1]
        zw.write_record(info.filename, replace.get(short, z.read(info.filename)))
    zw.finish()
    return out.getvalue()


class _Call:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "subprocess.Popen", "exec"])
def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    shell = f"touch {marker}"
    payload = {"os.system": _Call(os.system, shell),
               "builtins.eval": _Call(eval, f"open({str(marker)!r}, 'w')"),
               "subprocess.Popen": _Call(subprocess.Popen, ["touch", str(marker)]),
               "exec": _Call(exec, f"open({str(marker)!r}, 'w')")}[kind]
    data = torch_bytes({"weights": torch.ones(2), "evil": payload})
    for weights_only in (True, False):
        with pytest.raises(E.UnsafeGlobalError) as info:
            ft_load(data, weights_only=weights_only)
        assert isinstance(info.value, pickle.UnpicklingError)
        assert info.value.global_name.split(".")[-1] in kind.split(".")[-1] + "Popen"
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # torch agrees the file is hostile
        torch_load(data)


def test_damaged_archives_raise_typed_errors():
    good = torch_bytes({"w": torch.arange(10, dtype=torch.float32)})
    with pytest.raises(E.TruncatedArchiveError):
        ft_load(b"")
    with pytest.raises(EOFError):
        ft_load(b"")
    for cut in (10, len(good) // 2, len(good) - 30):
        with pytest.raises(E.ArchiveError):
            ft_load(good[:cut])
    flipped = bytearray(good)
    flipped[good.index(b"\x00\x00\x80?") + 3] ^= 1  # inside the storage bytes
    with pytest.raises(E.ArchiveError, match="CRC"):
        ft_load(bytes(flipped))
    with pytest.raises(E.ArchiveError, match="holds 40 bytes but the pickle declares"):
        pkl = zipfile.ZipFile(io.BytesIO(good)).read("archive/data.pkl")
        ft_load(rebuild(good, {"data.pkl": pkl.replace(b"K\nt", b"K\x0bt")}))
    with pytest.raises(E.ArchiveError, match="legacy"):
        buf = io.BytesIO()
        torch.save(torch.ones(1), buf, _use_new_zipfile_serialization=False)
        ft_load(buf.getvalue())
    with pytest.raises(E.ArchiveError):
        ft_load(b"not a checkpoint at all" * 10)


def test_out_of_bounds_geometry_is_refused():
    good = torch_bytes(torch.arange(4, dtype=torch.float32))
    pkl = zipfile.ZipFile(io.BytesIO(good)).read("archive/data.pkl")
    # size (4,) -> (200,): the tensor would read past its 16-byte storage
    bad = pkl.replace(b"K\x04\x85", b"K\xc8\x85", 1)
    assert bad != pkl
    with pytest.raises(E.UnpicklingError, match="out of bounds"):
        ft_load(rebuild(good, {"data.pkl": bad}))
    with pytest.raises(E.UnpicklingError):
        ft_load(rebuild(good, {"data.pkl": pkl.replace(b"K\x00K\x04", b"J\xff\xff\xff\xffK\x04")}))


def test_map_location_and_devices():
    data = torch_bytes({"w": torch.ones(2)})
    for loc in ("cpu", ft.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage):
        assert ft_load(data, map_location=loc)["w"].tolist() == [1.0, 1.0]
    pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    cuda = rebuild(data, {"data.pkl": pkl.replace(b"X\x03\x00\x00\x00cpu",
                                                  b"X\x06\x00\x00\x00cuda:0")})
    with pytest.raises(RuntimeError, match="CUDA"):
        ft_load(cuda)
    assert ft_load(cuda, map_location="cpu")["w"].tolist() == [1.0, 1.0]
    assert ft_load(cuda, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0, 1.0]


def test_mmap_load_shares_the_file(tmp_path):
    path = tmp_path / "m.pt"
    ft.save({"w": ft.arange(6, dtype=ft.float64)}, path)
    w = ft.load(path, mmap=True)["w"]
    w[0] = 5.0  # private copy-on-write map: the file is unchanged
    assert w.tolist()[:2] == [5.0, 1.0]
    assert ft.load(path)["w"].tolist()[0] == 0.0


class Point:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return type(other) is Point and other.x == self.x


def test_safe_globals_allow_user_types():
    data = torch_bytes({"c": Point(1)})
    with pytest.raises(E.UnsafeGlobalError, match="test_serialization.Point"):
        ft_load(data)
    with ft.serialization.safe_globals([Point]):
        assert ft_load(data)["c"] == Point(1)
    with pytest.raises(E.UnsafeGlobalError):
        ft_load(data)


# ------------------------------------------------------------------ envelope

def envelope_of(data: bytes) -> dict:
    return decode_envelope(zipfile.ZipFile(io.BytesIO(data)).read(
        "archive/" + ENVELOPE_RECORD)).envelope


def with_envelope(data: bytes, env: dict) -> bytes:
    return rebuild(data, {ENVELOPE_RECORD: json.dumps(env).encode()})


def test_envelope_lists_tensors():
    x = ft.arange(12, dtype=ft.float32).reshape(3, 4)
    env = envelope_of(ft_bytes({"x": x, "t": x.t(), "opt": {"state": {0: {"m": ft.zeros(2)}}}}))
    names = [t["name"] for t in env["tensors"]]
    assert names == ["/opt/state/0/m", "/t", "/x"]
    t = env["tensors"][1]
    assert (t["shape"], t["stride"], t["offset"], t["storage"], t["nbytes"]) == \
        ([4, 3], [1, 4], 0, "0", 48)
    assert len(env["storages"]) == 2 and env["storages"][0]["nbytes"] == 48


def test_envelope_strict_and_hardened_decode():
    data = ft_bytes({"x": ft.ones(2)})
    env = envelope_of(data)
    unknown = dict(env, **{f"extra{i}": i for i in range(MAX_DIAGNOSTICS + 5)})
    with pytest.raises(E.UnknownFieldError):
        ft_load(with_envelope(data, unknown))
    with ft.using_mode("hardened"):
        with pytest.warns(RuntimeWarning):
            assert ft_load(with_envelope(data, unknown))["x"].tolist() == [1.0, 1.0]
        diags = decode_envelope(json.dumps(unknown).encode()).diagnostics
        assert len(diags) == MAX_DIAGNOSTICS + 1 and "suppressed" in diags[-1]
    for mode in ("strict", "hardened"):
        with ft.using_mode(mode):
            with pytest.raises(E.VersionMismatchError):
                ft_load(with_envelope(data, dict(env, schema_version=2)))
            with pytest.raises(E.IncompatibleCheckpointError):
                ft_load(with_envelope(data, {k: v for k, v in env.items() if k != "tensors"}))
            with pytest.raises(E.ChecksumMismatchError):
                ft_load(with_envelope(data, dict(env, content_hash="sha256:" + "0" * 64)))


def test_envelope_detects_tampering():
    data = ft_bytes({"x": ft.ones(4), "epoch": 3})
    z = zipfile.ZipFile(io.BytesIO(data))
    pkl = z.read("archive/data.pkl")
    with pytest.raises(E.ChecksumMismatchError):  # the pickle changed, CRC recomputed
        ft_load(rebuild(data, {"data.pkl": pkl.replace(b"K\x03", b"K\x04")}))
    tampered = rebuild(data, {"data/0": b"\x00" * 16})
    assert ft_load(tampered)["x"].tolist() == [0.0] * 4  # CRC is fine: only SHA-256 knows
    with pytest.raises(E.ChecksumMismatchError):
        ft_load(tampered, verify=True)
    ft_load(data, verify=True)


# ------------------------------------------------------------------ atomic replacement

def test_failed_save_leaves_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    ft.save({"v": ft.ones(2)}, path)
    with pytest.raises(E.UnsupportedTypeError):
        ft.save({"v": ft.zeros(2), "bad": object()}, path)
    assert ft.load(path)["v"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.pt"]


_KILLED_SAVER = textwrap.dedent("""
    import os, sys, time
    import frankentorch as ft
    from frankentorch.serialization import zipfmt
    write = zipfmt.ZipWriter.write_data
    def slow(self, data):
        write(self, data)
        os.write(1, b"writing\\n")
        time.sleep(60)
    zipfmt.ZipWriter.write_data = slow
    ft.save({"v": ft.zeros(1 << 20)}, sys.argv[1])
""")


def test_sigkill_during_save_leaves_old_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    ft.save({"v": ft.ones(3)}, path)
    before = path.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVER, str(path)],
                            stdout=subprocess.PIPE, cwd=os.path.dirname(ft.__path__[0]))
    assert proc.stdout.readline() == b"writing\n"  # in the middle of the data record
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == before
    assert ft.load(path)["v"].tolist() == [1.0, 1.0, 1.0]
    assert torch.load(path, weights_only=True)["v"].tolist() == [1.0, 1.0, 1.0]


def test_big_endian_archives_are_byteswapped():
    obj = {"f": torch.arange(6, dtype=torch.float64).reshape(2, 3).t(),
           "i": torch.tensor([1, -2, 300], dtype=torch.int16), "b": torch.tensor([True])}
    data = torch_bytes(obj)
    z = zipfile.ZipFile(io.BytesIO(data))
    swapped = {"byteorder": b"big"}
    for key, dt in (("0", "<f8"), ("1", "<i2")):
        raw = np.frombuffer(z.read(f"archive/data/{key}"), dtype=dt)
        swapped[f"data/{key}"] = raw.byteswap().tobytes()
    big = rebuild(data, swapped)
    assert_tree(ft_load(big), obj)
    assert_tree(to_ft_tree(torch.load(io.BytesIO(big), weights_only=True)), obj)


def test_our_archives_are_valid_zips_that_torch_can_mmap(tmp_path):
    path = tmp_path / "m.pt"
    ft.save({"w": ft.arange(1000, dtype=ft.float32), "h": ft.ones(3, dtype=ft.float16)}, path)
    assert zipfile.ZipFile(path).testzip() is None
    loaded = torch.load(path, weights_only=True, mmap=True)
    assert torch.equal(loaded["w"], torch.arange(1000, dtype=torch.float32))
    assert torch.equal(loaded["h"], torch.ones(3, dtype=torch.float16))


def test_limits_are_typed_errors():
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(E.SerializationError, match="deep"):
        ft_bytes(deep)
    huge = {"n": 7 ** 10_000, "m": -(3 ** 9_000)}  # past Python's int/str digit limit
    assert ft_load(ft_bytes(huge)) == huge


def test_overlapping_records_are_refused():
    """A record whose bytes lie inside another's would let a small file claim a lot of
    memory: refused even when every header and CRC is consistent."""
    import struct
    name = b"archive/data/1"
    fake = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, 0, 0, 0, len(name), 0)
    inner = (fake + name + bytes(64)).ljust(256, b"\0")
    data = bytearray(rebuild(torch_bytes({"a": torch.ones(64), "b": torch.zeros(16)}),
                             {"data/0": inner}))
    a = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("archive/data/0")
    inside = data.index(fake + name)
    assert a.header_offset < inside
    entry = data.index(name, data.index(b"PK\x01\x02")) - 46
    data[entry + 42:entry + 46] = inside.to_bytes(4, "little")
    with pytest.raises(E.ArchiveError, match="overlaps"):
        ft_load(bytes(data))


def test_frankentorch_optimizer_state_loads_into_torch_and_back():
    torch.manual_seed(0)
    model_t = torch.nn.Linear(3, 2)
    model_f = ft.nn.Linear(3, 2)
    model_f.load_state_dict(ft_load(torch_bytes(model_t.state_dict())))
    opt_f = ft.optim.Adam(model_f.parameters(), lr=0.01)
    x = torch.randn(4, 3)
    model_f(to_ft(x)).sum().backward()
    opt_f.step()
    opt_t = torch.optim.Adam(model_t.parameters(), lr=0.01)
    opt_t.load_state_dict(torch_load(ft_bytes(opt_f.state_dict())))
    assert_tree(ft_load(torch_bytes(opt_t.state_dict())), opt_t.state_dict())
    opt_f2 = ft.optim.Adam(model_f.parameters(), lr=0.5)
    opt_f2.load_state_dict(ft_load(torch_bytes(opt_t.state_dict())))
    assert opt_f2.param_groups[0]["lr"] == 0.01
    assert_tree(opt_f2.state_dict(), opt_t.state_dict())


def test_content_hash_sees_every_state_dict_metadata():
    """Each OrderedDict's attributes count, even when built from short-lived copies."""
    def sd(key, version):
        od = collections.OrderedDict({key: ft.ones(1)})
        od._metadata = {"": {"version": version}}
        return od

    def chash(obj):
        return envelope_of(ft_bytes(obj))["content_hash"]
    assert chash([sd("a", 1), sd("b", 2)]) != chash([sd("a", 1), sd("b", 3)])
