"""nn.Module semantics against PyTorch: registration, traversal, state_dict, errors, hooks,
conversion, containers and printing. Each program runs under torch and frankentorch."""
from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import frankentorch as ft
from conftest import run_both as _run_both


def _detached(r):
    """Tensors in a (nested) result, detached so their values can be compared."""
    if isinstance(r, (torch.Tensor, ft.Tensor)):
        return r.detach()
    if isinstance(r, (list, tuple)):
        return [_detached(x) for x in r]
    return r


def run_both(prog):
    """Both libraries run ``prog`` to the end (its expected errors are caught inside it) and
    return the same results."""
    expected, _ = _run_both(lambda lib: _detached(prog(lib)))
    assert not isinstance(expected, Exception), expected


def _net(torch):
    """A model with a shared submodule, a shared parameter, a None parameter, persistent and
    non-persistent buffers, and every container."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, scale):
            super().__init__()
            self.w = nn.Parameter(torch.arange(6, dtype=torch.float32).reshape(2, 3) * scale)
            self.register_parameter("unused", None)
            self.register_buffer("stat", torch.zeros(3))
            self.register_buffer("scratch", torch.ones(2), persistent=False)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(x @ self.w)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Block(1.0)
            self.b = Block(-0.5)
            self.shared = self.a
            self.seq = nn.Sequential(OrderedDict(first=nn.Tanh(), second=self.b))
            self.layers = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Sigmoid()])
            self.heads = nn.ModuleDict({"z": nn.Identity(), "y": nn.Flatten()})
            self.plist = nn.ParameterList([torch.ones(2), torch.zeros(3, dtype=torch.float64)])
            self.pdict = nn.ParameterDict({"k": torch.ones(1), "j": torch.ones(2)})
            self.tied = self.a.w
            self.register_buffer("count", torch.tensor(3))

        def forward(self, x):
            return self.seq(self.a(x).sum(1, keepdim=True).expand(-1, 2))

    return Net()


def test_named_members_prefix_recurse_and_duplicates():
    def prog(torch):
        net = _net(torch)
        names = lambda it: [n for n, _ in it]  # noqa: E731
        return [names(net.named_parameters()),
                names(net.named_parameters(prefix="m", remove_duplicate=False)),
                names(net.named_parameters(recurse=False)),
                names(net.named_buffers()),
                names(net.named_buffers(prefix="p", recurse=False)),
                names(net.named_modules()),
                names(net.named_modules(remove_duplicate=False, prefix="root")),
                names(net.named_children()),
                len(list(net.parameters())), len(list(net.buffers())),
                len(list(net.children())), len(list(net.modules())),
                len(list(net.modules(remove_duplicate=False)))]
    run_both(prog)


def test_state_dict_keys_order_metadata_and_keep_vars():
    def prog(torch):
        net = _net(torch)
        sd = net.state_dict()
        sd_pref = net.state_dict(prefix="outer.", keep_vars=True)
        return [list(sd.keys()), type(sd).__name__,
                [(k, dict(v)) for k, v in sd._metadata.items()],
                [v.requires_grad for v in sd.values()],
                [v.requires_grad for v in sd_pref.values()], list(sd_pref.keys()),
                list(sd_pref._metadata.keys()),
                [sd[k] for k in sd]]
    run_both(prog)


def test_state_dict_values_share_storage_and_are_detached():
    for lib in (torch, ft):
        net = _net(lib)
        sd = net.state_dict()
        assert sd["a.w"].data_ptr() == net.a.w.data_ptr()
        assert not sd["a.w"].requires_grad and sd["a.w"].grad_fn is None
        assert sd["tied"].data_ptr() == net.a.w.data_ptr()


def test_load_state_dict_round_trip_copies_in_place():
    def prog(torch):
        src, dst = _net(torch), _net(torch)
        with torch.no_grad():
            for p in src.parameters():
                p.add_(1.5)
        w = dst.a.w
        res = dst.load_state_dict(src.state_dict())
        return [repr(res), res.missing_keys, res.unexpected_keys, dst.a.w is w,
                w.requires_grad, w.is_leaf, w.grad_fn is None, dst.a.w, dst.plist[1],
                dst.state_dict()["count"]]
    run_both(prog)


def test_load_state_dict_errors_are_worded_like_torch():
    def prog(torch):
        net = _net(torch)
        out = []
        sd = net.state_dict()
        del sd["b.w"]
        sd["extra"] = torch.ones(1)
        sd["a.nested.x"] = torch.ones(1)
        sd["pdict.j"] = torch.ones(5)
        sd["a.stat"] = [1, 2, 3]
        try:
            net.load_state_dict(sd)
        except RuntimeError as e:
            out.append(str(e))
        try:
            net.load_state_dict(sd, strict=False)
        except RuntimeError as e:
            out.append(str(e))
        del sd["pdict.j"], sd["a.stat"]
        res = net.load_state_dict(sd, strict=False)
        out += [repr(res), str(res)]
        good = net.state_dict()
        del good["count"]
        res = net.load_state_dict(good, strict=False)
        out += [res.missing_keys, res.unexpected_keys]
        try:
            net.load_state_dict([1, 2])
        except TypeError as e:
            out.append(str(e))
        return out
    run_both(prog)


def test_load_state_dict_scalar_from_one_element_and_assign():
    def prog(torch):
        nn = torch.nn

        class S(nn.Module):
            def __init__(self):
                super().__init__()
                self.s = nn.Parameter(torch.tensor(2.0))
                self.v = nn.Parameter(torch.ones(3), requires_grad=False)
        m = S()
        m.load_state_dict({"s": torch.tensor([5.0]), "v": torch.full((3,), 4.0)})
        first = [m.s, m.v]
        new_v = torch.arange(3.0)
        m.load_state_dict({"s": torch.tensor(7.0), "v": new_v}, assign=True)
        return first + [m.s, m.v, type(m.v).__name__, m.v.requires_grad,
                        m.v.data_ptr() == new_v.data_ptr()]
    run_both(prog)


def test_state_dict_interchange_with_torch_via_numpy():
    tnet, fnet = _net(torch), _net(ft)
    with torch.no_grad():
        for i, p in enumerate(tnet.parameters()):
            p.mul_(i + 2)
    fnet.load_state_dict({k: ft.from_numpy(v.numpy().copy())
                          for k, v in tnet.state_dict().items()})
    for (k1, v1), (k2, v2) in zip(tnet.state_dict().items(), fnet.state_dict().items()):
        assert k1 == k2 and np.array_equal(v1.numpy(), v2.numpy())
    back = _net(torch)
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                          for k, v in fnet.state_dict().items()})
    for v1, v2 in zip(tnet.state_dict().values(), back.state_dict().values()):
        assert torch.equal(v1, v2)


def _msg(e: Exception) -> str:
    return f"{type(e).__name__}: {e}".replace("frankentorch", "torch")


def test_setattr_getattr_delattr_rules():
    def prog(torch):
        nn = torch.nn
        out = []

        def attempt(fn):
            try:
                fn()
                out.append("ok")
            except Exception as e:  # noqa: BLE001
                out.append(_msg(e))
        m = nn.Module()
        m.p = nn.Parameter(torch.ones(2))
        m.sub = nn.ReLU()
        m.register_buffer("buf", torch.zeros(2))
        attempt(lambda: setattr(m, "p", torch.ones(2)))
        attempt(lambda: setattr(m, "sub", 3))
        attempt(lambda: setattr(m, "buf", "text"))
        attempt(lambda: m.register_parameter("a.b", None))
        attempt(lambda: m.register_parameter("", None))
        attempt(lambda: m.register_parameter("training", None))
        attempt(lambda: m.register_parameter("q", torch.ones(1)))
        attempt(lambda: m.register_parameter(3, None))
        attempt(lambda: m.register_buffer("x.y", None))
        attempt(lambda: m.register_buffer("sub", torch.ones(1)))
        attempt(lambda: m.register_buffer("nb", 5))
        attempt(lambda: m.add_module("a.b", nn.ReLU()))
        attempt(lambda: m.add_module("", nn.ReLU()))
        attempt(lambda: m.add_module("p", nn.ReLU()))
        attempt(lambda: m.add_module("z", 4))
        attempt(lambda: m.missing)
        attempt(lambda: m.register_parameter(
            "nl", nn.Parameter(torch.ones(1, requires_grad=True) * 2)))
        out.append(hasattr(m, "p"))
        m.p = None
        out.append([list(m._parameters), m.p])
        m.sub = nn.Parameter(torch.zeros(1))
        out.append([list(m._parameters), list(m._modules)])
        m.buf = torch.full((2,), 7.0)
        out.append([list(m._buffers), m.buf])
        m.register_buffer("tmp", torch.ones(1), persistent=False)
        m.tmp = torch.ones(2)
        out.append(list(m.state_dict().keys()))
        m.plain = 5
        del m.sub, m.buf, m.plain
        out.append([list(m._parameters), list(m._buffers), "plain" in m.__dict__])
        m.newbuf = nn.Buffer(torch.ones(2), persistent=False)
        m.p2 = nn.Parameter(torch.ones(1))
        attempt(lambda: setattr(m, "p2", nn.ReLU()))
        m.p2 = None
        out.append(list(m._parameters))
        del m.p2
        m.p2 = nn.ReLU()
        out.append([list(m._buffers), list(m._parameters), list(m._modules),
                    list(m.state_dict().keys())])
        out.append([k for k in dir(m) if k in ("newbuf", "p2", "tmp", "training", "forward")])

        class Early(nn.Module):
            def __init__(self, kind):
                if kind == 0:
                    self.p = nn.Parameter(torch.ones(1))
                elif kind == 1:
                    self.m = nn.ReLU()
                else:
                    self.register_buffer("b", torch.ones(1))
        for kind in range(3):
            attempt(lambda: Early(kind))
        attempt(lambda: nn.Module(3))
        attempt(lambda: nn.Module(foo=1))
        attempt(lambda: nn.Module()(1))
        return out
    run_both(prog)


def test_submodule_parameter_buffer_lookup():
    def prog(torch):
        net = _net(torch)
        out = [net.get_submodule("seq.second") is net.b, net.get_submodule("") is net,
               net.get_parameter("seq.second.w") is net.b.w,
               net.get_buffer("a.stat") is net.a.stat]
        for fn, target in ((net.get_submodule, "seq.nope"), (net.get_submodule, "a.w"),
                           (net.get_parameter, "a.stat"), (net.get_parameter, "a.zzz"),
                           (net.get_buffer, "a.w")):
            try:
                fn(target)
            except AttributeError as e:
                out.append(str(e))
        return out
    run_both(prog)


def test_train_eval_requires_grad_zero_grad_apply():
    def prog(torch):
        net = _net(torch)
        out = [net.training, net.eval() is net, [m.training for m in net.modules()]]
        net.seq.train()
        out.append([m.training for m in net.modules()])
        try:
            net.train("yes")
        except ValueError as e:
            out.append(str(e))
        net.train()
        net(torch.ones(2, 2)).sum().backward()
        out.append([p.grad is None for p in net.parameters()])
        net.zero_grad(set_to_none=False)
        out.append([None if p.grad is None else p.grad.abs().sum().item()
                    for p in net.parameters()])
        net.zero_grad()
        out.append([p.grad is None for p in net.parameters()])
        net.requires_grad_(False)
        out.append([p.requires_grad for p in net.parameters()])
        seen = []
        out.append(net.apply(lambda m: seen.append(type(m).__name__)) is net)
        out.append(seen)
        return out
    run_both(prog)


def test_forward_hooks_and_handles():
    def prog(torch):
        nn = torch.nn
        log = []

        class Add(nn.Module):
            def forward(self, x, y=1.0):
                log.append(("forward", y))
                return x + y
        m = Add()
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_pre_hook(lambda mod, args, kw: (args, {"y": 10.0}),
                                         with_kwargs=True)
        h3 = m.register_forward_hook(lambda mod, args, out: out + 100)
        h4 = m.register_forward_hook(lambda mod, args, kw, out: log.append(("kw", kw)),
                                     with_kwargs=True, prepend=True)
        x = torch.ones(2)
        results = [m(x)]
        h2.remove()
        results.append(m(x, y=3.0))
        with h1:
            results.append(m(x))
        results.append(m(x))
        h3.remove()
        h4.remove()
        h4.remove()
        results.append(m(x))
        results.append([len(m._forward_pre_hooks), len(m._forward_hooks),
                        len(m._forward_hooks_with_kwargs)])
        bad = m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        try:
            m(x)
        except RuntimeError as e:
            results.append(str(e))
        bad.remove()

        class Boom(nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        b = Boom()
        b.register_forward_hook(lambda mod, args, out: log.append("always"), always_call=True)
        b.register_forward_hook(lambda mod, args, out: log.append("never"))
        try:
            b(x)
        except ValueError as e:
            results.append(str(e))
        return results + [log]
    run_both(prog)


def test_to_and_dtype_casts_keep_parameter_identity():
    def prog(torch):
        net = _net(torch)
        w = net.a.w
        net(torch.ones(2, 2)).sum().backward()
        out = [net.double() is net, net.a.w is w, w.dtype, w.grad.dtype, net.count.dtype,
               net.a.stat.dtype, net.plist[1].dtype, w.requires_grad, w.is_leaf]
        net.to(torch.float32)
        out += [w.dtype, w.grad.dtype, net.a.stat.dtype]
        net.to("cpu", torch.float64)
        out.append(w.dtype)
        net.to(device="cpu", dtype=torch.float32)
        out.append(w.dtype)
        net.to(torch.ones(1, dtype=torch.float64))
        out.append(w.dtype)
        net.float()
        out.append([p.dtype for p in net.parameters()])
        try:
            net.to(torch.int32)
        except TypeError as e:
            out.append(str(e))
        out.append(net(torch.ones(2, 2)))
        return out
    run_both(prog)


def test_sequential_and_module_list_behave_like_lists():
    def prog(torch):
        nn = torch.nn
        acts = [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()]
        s = nn.Sequential(*acts)
        out = [len(s), s[1] is acts[1], s[-1] is acts[3], type(s[1:3]).__name__,
               list(s[1:3]._modules), [type(m).__name__ for m in s[::-1]]]
        s.append(nn.ReLU())
        s.insert(1, nn.ELU())
        del s[0]
        out.append([(k, type(m).__name__) for k, m in s._modules.items()])
        s[0] = nn.GELU()
        out.append(type(s.pop(1)).__name__)
        out.append([type(m).__name__ for m in s + nn.Sequential(nn.Tanh())])
        out.append(len(s * 2))
        s2 = nn.Sequential(nn.Tanh())
        s2 *= 3
        s2 += nn.Sequential(nn.ReLU())
        s2.extend([nn.Identity()])
        out.append([(k, type(m).__name__) for k, m in s2._modules.items()])
        out.append(s(torch.tensor([-1.0, 0.5])))
        for bad in (lambda: s[10], lambda: s.insert(50, nn.ReLU()), lambda: s + [1],
                    lambda: s * 0, lambda: s.insert(0, 3)):
            try:
                bad()
            except Exception as e:  # noqa: BLE001
                out.append(_msg(e))
        ml = nn.ModuleList([nn.ReLU()])
        ml += [nn.Tanh(), nn.Tanh()]
        ml.insert(0, nn.Sigmoid())
        ml.append(nn.Identity())
        del ml[1]
        out.append([(k, type(m).__name__) for k, m in ml._modules.items()])
        out.append([type(m).__name__ for m in ml[1:]])
        out.append(type((ml + nn.ModuleList([nn.ReLU()]))[-1]).__name__)
        try:
            ml.extend(5)
        except TypeError as e:
            out.append(str(e))
        md = nn.ModuleDict([("b", nn.ReLU()), ("a", nn.Tanh())])
        md.update({"c": nn.Sigmoid()})
        out += [list(md), list(md.keys()), "a" in md, type(md.pop("b")).__name__, len(md)]
        try:
            md.update([("x", nn.ReLU(), 3)])
        except ValueError as e:
            out.append(str(e))
        return out
    run_both(prog)


def test_parameter_list_and_dict():
    def prog(torch):
        nn = torch.nn
        pl = nn.ParameterList([torch.ones(2), nn.Parameter(torch.zeros(1)), "text"])
        pl.append(torch.ones(2, 3, dtype=torch.float64))
        out = [len(pl), type(pl[0]).__name__, pl[2], [n for n, _ in pl.named_parameters()],
               type(pl[1:]).__name__, len(pl[1:]), repr(pl)]
        try:
            pl()
        except RuntimeError as e:
            out.append(str(e))
        pd = nn.ParameterDict({"b": torch.ones(2), "a": torch.zeros(3)})
        pd["c"] = torch.ones(1)
        pd.update(OrderedDict([("z", torch.ones(1)), ("y", torch.ones(1))]))
        out += [list(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()],
                "a" in pd, pd.get("nope", 4), pd.setdefault("d", torch.ones(2)).shape,
                pd.popitem()[0], list(reversed(pd)), repr(pd),
                list((pd | nn.ParameterDict({"q": torch.ones(1)})).keys())]
        del pd["a"]
        out.append(list(pd))
        try:
            pd[3] = torch.ones(1)
        except TypeError as e:
            out.append(str(e))
        return out
    run_both(prog)


def test_repr_of_nested_model_is_identical():
    def prog(torch):
        nn = torch.nn
        net = _net(torch)
        net.extra = nn.Sequential(nn.Flatten(0), nn.Unflatten(1, (2, 3)), nn.Dropout(0.2),
                                  nn.Softmax(dim=-1), nn.LeakyReLU(0.2, inplace=True),
                                  nn.ModuleList(), nn.Sequential())
        return repr(net)
    run_both(prog)


def test_extra_repr_multiline_and_custom():
    def prog(torch):
        nn = torch.nn

        class Multi(nn.Module):
            def extra_repr(self):
                return "first line\nsecond line"

        class One(nn.Module):
            def extra_repr(self):
                return "only=1"
        outer = nn.Sequential(Multi(), One())
        outer[1].child = Multi()
        return [repr(Multi()), repr(One()), repr(outer), repr(nn.Module())]
    run_both(prog)


def test_deepcopy_and_parameter_basics():
    def prog(torch):
        nn = torch.nn
        net = _net(torch)
        twin = copy.deepcopy(net)
        p = nn.Parameter(torch.ones(2, 2))
        out = [twin.a.w is not net.a.w, torch.equal(twin.a.w, net.a.w),
               twin.tied is twin.a.w, twin.shared is twin.a, type(twin.a.w).__name__,
               twin.a.w.data_ptr() != net.a.w.data_ptr(), repr(p), repr(nn.Parameter()),
               repr(nn.Parameter(torch.ones(1), requires_grad=False)),
               isinstance(p, torch.Tensor), type(p * 2).__name__, p.is_leaf,
               isinstance(nn.Buffer(torch.ones(1)), nn.Buffer),
               isinstance(torch.ones(1), nn.Buffer), type(nn.Buffer(torch.ones(1))).__name__]
        with torch.no_grad():
            out.append(nn.Parameter(torch.ones(1)).requires_grad)
        try:
            nn.Parameter(torch.tensor([1, 2]))
        except RuntimeError as e:
            out.append(str(e))
        return out
    run_both(prog)


def test_state_dict_and_load_hooks():
    def prog(torch):
        nn = torch.nn
        log = []
        net = _net(torch)
        net.a.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix)))
        h = net.register_state_dict_post_hook(
            lambda m, sd, prefix, meta: log.append(("post", len(sd))))
        sd = net.state_dict()
        h.remove()
        net.b.register_load_state_dict_pre_hook(
            lambda m, sd, prefix, *rest: log.append(("lpre", prefix)))
        net.register_load_state_dict_post_hook(
            lambda m, keys: log.append(("lpost", list(keys.missing_keys))))
        del sd["b.w"]
        net.load_state_dict(sd, strict=False)
        return log
    run_both(prog)


def test_incompatible_keys_is_a_named_tuple():
    for lib in (torch, ft):
        net = _net(lib)
        res = net.load_state_dict(net.state_dict())
        missing, unexpected = res
        assert missing == [] and unexpected == [] and res._fields == ("missing_keys",
                                                                      "unexpected_keys")


@pytest.mark.parametrize("lib", [torch, ft], ids=["torch", "frankentorch"])
def test_module_pickles(lib):
    import pickle
    nn = lib.nn
    net = nn.Sequential(nn.ReLU(), nn.ParameterList([lib.ones(2)]), nn.Flatten(0))
    net[0].register_forward_hook(print)
    clone = pickle.loads(pickle.dumps(net))
    assert list(clone.state_dict()) == list(net.state_dict())
    assert repr(clone) == repr(net)
    assert lib.equal(clone[1][0], net[1][0]) and clone[1][0] is not net[1][0]


def test_full_backward_hooks():
    def prog(torch):
        nn = torch.nn
        log = []

        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.tensor([2.0, -3.0]))

            def forward(self, x, y):
                return x * self.w, (y * self.w).sum()
        m = Scale()
        h = m.register_full_backward_hook(
            lambda mod, gi, go: log.append(("post", gi, go)))
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", go)))
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10, go[1]), prepend=True)
        x = torch.tensor([1.0, 4.0], requires_grad=True)
        a, b = m(x, torch.ones(2))
        (a.sum() + b).backward()
        out = [x.grad, m.w.grad, a.grad_fn.name(), b.grad_fn.name(), log[:]]
        h.remove()
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 100, gi[1]))
        x.grad = None
        a, _ = m(x, torch.ones(2))
        a.sum().backward()
        out.append(x.grad)
        log.clear()
        frozen = nn.Sequential(nn.Tanh())
        frozen.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        w = nn.Parameter(torch.tensor([0.5]))
        frozen(torch.ones(1)) .mul(w).backward()
        out.append(log[:])
        return out
    run_both(prog)


def test_meta_device_and_missing_cuda():
    def prog(torch):
        nn = torch.nn
        out = []
        m = nn.Sequential(nn.Linear(2, 3, device="meta"), nn.ReLU())
        out += [str(m[0].weight.device), m[0].weight.shape, m(torch.empty(4, 2, device="meta")).shape]
        real = nn.Linear(2, 3).to("meta")
        out += [str(real.weight.device), type(real.weight).__name__, real.weight.requires_grad]
        for fn in (lambda: nn.Linear(2, 3).to("cuda"), lambda: nn.Linear(2, 3).cuda()):
            try:
                fn()
            except (AssertionError, RuntimeError) as e:
                out.append(type(e).__name__)
        return out
    run_both(prog)


def test_set_submodule_and_to_empty():
    def prog(torch):
        nn = torch.nn
        net = _net(torch)
        out = []
        net.set_submodule("seq.first", nn.Sigmoid())
        net.set_submodule("seq.third", nn.ReLU())
        out.append(list(net.seq._modules))
        for target, mod, strict in (("", nn.ReLU(), False), ("seq.first", 3, False),
                                    ("seq.fourth", nn.ReLU(), True), ("a.w", nn.ReLU(), False),
                                    ("nope.x", nn.ReLU(), False)):
            try:
                net.set_submodule(target, mod, strict)
            except (ValueError, AttributeError) as e:
                out.append(f"{type(e).__name__}: {e}")
        w = net.a.w
        w.grad = torch.ones(2, 3)
        net.to_empty(device="meta")
        out += [str(w.device), w is net.a.w, str(net.count.device), net.count.dtype,
                str(net.a.w.grad.device), str(net.a.w.device), net.tied is net.a.w,
                type(net.a.w).__name__, net.a.w.requires_grad]
        return out
    run_both(prog)


def test_legacy_backward_hooks():
    import warnings

    def prog(torch):
        nn = torch.nn
        log = []
        m = nn.Sigmoid()
        m.register_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        try:
            m.register_full_backward_hook(print)
        except RuntimeError as e:
            log.append(str(e))
        x = torch.tensor([0.5, -1.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = m(x * 2)
        y.sum().backward()
        scaled = nn.Tanh()
        scaled.register_backward_hook(lambda mod, gi, go: (gi[0] * 3,))
        x2 = torch.tensor([0.25], requires_grad=True)
        scaled(x2 + 0).backward()
        full = nn.Tanh()
        full.register_full_backward_hook(lambda mod, gi, go: None)
        try:
            full.register_backward_hook(print)
        except RuntimeError as e:
            log.append(str(e))
        with warnings.catch_warnings(record=True) as caught2:
            warnings.simplefilter("always")
            lin = nn.Linear(2, 2)
            lin.register_backward_hook(lambda mod, gi, go: None)
            lin(x)
        return [log, x.grad, x2.grad, [str(w.message) for w in caught],
                [type(w.message).__name__ for w in caught2]]
    run_both(prog)
