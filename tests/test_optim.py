"""frankentorch.optim against real torch: updates over many steps, state_dict layout, loading
torch's optimizer state, parameter groups, hooks and learning-rate schedules."""
import math
import warnings

import numpy as np
import pytest
import torch

import frankentorch as ft

SHAPES = ((7, 5), (5,), (130,))

# torch's sqrt (used by Adam, RMSprop and Adagrad) is MKL's, which is not always correctly
# rounded, so those optimizers agree to a few float32 ulps rather than bit for bit.
SQRT_RTOL = {np.float32: 2e-5, np.float64: 1e-12}


def make_params(T, dtype, shapes=SHAPES):
    rng = np.random.default_rng(0)
    return [T.tensor(rng.standard_normal(s).astype(dtype)).requires_grad_() for s in shapes]


def set_grads(T, params, k, dtype):
    """Deterministic gradients that depend on the current parameters and the step."""
    for p in params:
        x = p.detach().numpy()
        p.grad = T.tensor((0.5 * x + np.cos(np.arange(x.size).reshape(x.shape) * 0.37 + k))
                          .astype(dtype))


def run_opt(T, name, kw, steps, dtype, params=None):
    params = make_params(T, dtype) if params is None else params
    opt = getattr(T.optim, name)(params, **kw)
    for k in range(steps):
        set_grads(T, params, k, dtype)
        opt.step()
    return params, opt


def assert_params(a, b, dtype, exact):
    for x, y in zip(a, b):
        x, y = x.detach().numpy(), y.detach().numpy()
        assert x.dtype == y.dtype
        if exact:
            np.testing.assert_array_equal(y, x)
        else:
            np.testing.assert_allclose(y, x, rtol=SQRT_RTOL[dtype], atol=SQRT_RTOL[dtype] * 1e-2)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, betas=(0.3, 0.9))),
    ("Adam", dict(lr=0.01, maximize=True, eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True, weight_decay=0.5)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, alpha=0.9)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True, eps=1e-6)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_updates_match_torch(name, kw, dtype):
    a, _ = run_opt(torch, name, kw, 40, dtype)
    b, _ = run_opt(ft, name, kw, 40, dtype)
    assert_params(a, b, dtype, exact=name == "SGD")


def state_layout(sd):
    """Structure of a state_dict: group keys and values, per-parameter state keys, dtypes
    and shapes."""
    groups = [[(k, v) for k, v in g.items()] for g in sd["param_groups"]]
    state = {i: [(k, str(v.dtype).replace("torch.", ""), tuple(v.shape)) for k, v in s.items()]
             for i, s in sd["state"].items()}
    return groups, state


@pytest.mark.parametrize("name,kw", CASES[1:], ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(CASES[1:])])
def test_state_dict_layout_and_values(name, kw):
    _, ot = run_opt(torch, name, kw, 3, np.float32)
    _, of = run_opt(ft, name, kw, 3, np.float32)
    st, sf = ot.state_dict(), of.state_dict()
    assert state_layout(sf) == state_layout(st)
    for i in st["state"]:
        for key, v in st["state"][i].items():
            np.testing.assert_allclose(sf["state"][i][key].numpy(), v.numpy(), rtol=1e-5, atol=1e-5)


def to_ft(obj):
    """A torch state_dict converted tensor by tensor through NumPy."""
    if isinstance(obj, torch.Tensor):
        return ft.tensor(obj.numpy().copy())
    if isinstance(obj, dict):
        return {k: to_ft(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_ft(v) for v in obj]
    return obj


@pytest.mark.parametrize("name,kw", [CASES[3], CASES[6], CASES[9], CASES[14], CASES[16]],
                         ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_load_torch_state_and_continue(name, kw):
    pt, ot = run_opt(torch, name, kw, 10, np.float32)
    pf = [ft.tensor(p.detach().numpy().copy()).requires_grad_() for p in pt]
    of = getattr(ft.optim, name)(pf, lr=123.0)
    of.load_state_dict(to_ft(ot.state_dict()))
    assert of.param_groups[0]["lr"] == kw["lr"]
    assert state_layout(of.state_dict()) == state_layout(ot.state_dict())
    for k in range(10, 25):
        set_grads(torch, pt, k, np.float32)
        set_grads(ft, pf, k, np.float32)
        ot.step()
        of.step()
    assert_params(pt, pf, np.float32, exact=name == "SGD")
    assert float(of.state_dict()["state"][0].get("step", 0)) == float(
        ot.state_dict()["state"][0].get("step", 0))


def test_torch_loads_our_state():
    _, of = run_opt(ft, "Adam", dict(lr=0.01, amsgrad=True), 5, np.float32)
    pt = make_params(torch, np.float32)
    ot = torch.optim.Adam(pt, lr=0.5)

    def to_torch(obj):
        if isinstance(obj, ft.Tensor):
            return torch.tensor(obj.numpy().copy())
        if isinstance(obj, dict):
            return {k: to_torch(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [to_torch(v) for v in obj]
        return obj
    ot.load_state_dict(to_torch(of.state_dict()))
    assert state_layout(ot.state_dict()) == state_layout(of.state_dict())


def groups_prog(T):
    """Two groups with their own options, a parameter without grad, add_param_group."""
    rng = np.random.default_rng(1)
    w = T.tensor(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
    b = T.tensor(rng.standard_normal(3).astype(np.float32)).requires_grad_()
    frozen = T.tensor(np.ones(2, np.float32)).requires_grad_()
    extra = T.tensor(np.full(3, 2.0, np.float32)).requires_grad_()
    opt = T.optim.SGD([{"params": [w]}, {"params": [b, frozen], "lr": 0.5, "momentum": 0.9}],
                      lr=0.1)
    x = T.tensor(rng.standard_normal((6, 4)).astype(np.float32))
    out = []
    for k in range(5):
        if k == 2:
            opt.add_param_group({"params": extra, "weight_decay": 0.1})
        opt.zero_grad(set_to_none=(k % 2 == 0))
        loss = ((x @ w + b) * extra).pow(2).mean()
        loss.backward()
        opt.step()
        out.append(loss.item())
    sd = opt.state_dict()
    return (out, [t.detach().numpy().copy() for t in (w, b, frozen, extra)],
            state_layout(sd), frozen.grad is None, repr(opt))


def test_param_groups_prog():
    a, b = groups_prog(torch), groups_prog(ft)
    np.testing.assert_allclose(b[0], a[0], rtol=1e-6)
    for x, y in zip(a[1], b[1]):
        np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-7)
    assert b[2:] == a[2:]


def test_zero_grad_set_to_none_false_keeps_zeroed_tensor():
    for T in (torch, ft):
        p = T.tensor(np.ones(3, np.float32)).requires_grad_()
        opt = T.optim.SGD([p], lr=0.1)
        (p * 2).sum().backward()
        g = p.grad
        opt.zero_grad(set_to_none=False)
        assert p.grad is g and g.numpy().tolist() == [0.0, 0.0, 0.0]
        opt.zero_grad()
        assert p.grad is None


def errors(T):
    p = T.tensor(np.ones(3, np.float32)).requires_grad_()
    q = p * 2
    calls = [
        lambda: T.optim.SGD([], lr=0.1),
        lambda: T.optim.SGD(p, lr=0.1),
        lambda: T.optim.SGD([q], lr=0.1),
        lambda: T.optim.SGD([p], lr=-1.0),
        lambda: T.optim.SGD([p], lr=0.1, momentum=-0.5),
        lambda: T.optim.SGD([p], lr=0.1, nesterov=True),
        lambda: T.optim.Adam([p], betas=(1.0, 0.9)),
        lambda: T.optim.Adam([p], eps=-1.0),
        lambda: T.optim.RMSprop([p], alpha=-0.1),
        lambda: T.optim.Adagrad([p], lr_decay=-0.1),
        lambda: T.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
        lambda: T.optim.SGD({p}, lr=0.1),
        lambda: T.optim.SGD([1.0], lr=0.1),
        lambda: T.optim.SGD([p], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": [{"params": [0, 1]}]}),
        lambda: T.optim.SGD([p], lr=0.1).load_state_dict({"state": {}, "param_groups": []}),
        lambda: T.optim.lr_scheduler.StepLR(object(), 3),
        lambda: T.optim.lr_scheduler.StepLR(T.optim.SGD([p], lr=0.1), 3, last_epoch=4),
        lambda: T.optim.lr_scheduler.ReduceLROnPlateau(T.optim.SGD([p], lr=0.1), factor=1.0),
        lambda: T.optim.lr_scheduler.OneCycleLR(T.optim.SGD([p], lr=0.1), 0.1),
    ]
    out = []
    for c in calls:
        try:
            c()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            out.append((type(e).__name__, str(e)))
    return out


def test_errors_match_torch():
    assert errors(ft) == errors(torch)


def test_step_hooks_and_closure():
    for T in (torch, ft):
        p = T.tensor(np.ones(2, np.float32)).requires_grad_()
        opt = T.optim.SGD([p], lr=0.1)
        seen = []
        h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append("pre"))
        opt.register_step_post_hook(lambda o, a, k: seen.append("post"))

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            seen.append("closure")
            return loss
        loss = opt.step(closure)
        h1.remove()
        opt.step(closure)
        assert seen == ["pre", "closure", "post", "closure", "post"]
        assert math.isclose(loss.item(), 2.0)
        assert p.detach().numpy().tolist() == pytest.approx([0.64, 0.64])


# ----------------------------------------------------------------------------- schedulers

def sched_prog(T, make, steps=30, metrics=None, epoch_arg=False):
    p = T.tensor(np.ones(2, np.float32)).requires_grad_()
    q = T.tensor(np.ones(2, np.float32)).requires_grad_()
    opt = T.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.3}], lr=0.1, momentum=0.9)
    sched = make(T.optim.lr_scheduler, opt)
    out = [list(sched.get_last_lr())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(steps):
            opt.step()
            if metrics is not None:
                sched.step(metrics[k])
            elif epoch_arg:
                sched.step(k + 1)
            else:
                sched.step()
            out.append(list(sched.get_last_lr()))
            out.append([g.get("momentum") for g in opt.param_groups])
    sd = {k: v for k, v in sched.state_dict().items() if k not in ("lr_lambdas",)}
    return out, sorted(sd)


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-list": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, total_iters=6),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=30),
    "OneCycleLR-3": lambda S, o: S.OneCycleLR(o, max_lr=1.0, epochs=3, steps_per_epoch=10,
                                              three_phase=True, anneal_strategy="linear"),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_sequences(name):
    a = sched_prog(torch, SCHEDULERS[name])
    b = sched_prog(ft, SCHEDULERS[name])
    assert b == a


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "ConstantLR", "LinearLR"])
def test_scheduler_closed_forms(name):
    assert sched_prog(ft, SCHEDULERS[name], 12, epoch_arg=True) == sched_prog(
        torch, SCHEDULERS[name], 12, epoch_arg=True)


@pytest.mark.parametrize("kw", [dict(patience=2), dict(mode="max", factor=0.5, patience=1,
                                                       cooldown=2, threshold_mode="abs",
                                                       min_lr=[0.01, 0.05])])
def test_reduce_lr_on_plateau(kw):
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.89, 0.89, 0.89, 0.95, 0.5, 0.5, 0.5, 0.5, 0.6,
               0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    make = lambda S, o: S.ReduceLROnPlateau(o, **kw)  # noqa: E731
    assert sched_prog(ft, make, len(metrics), metrics) == sched_prog(torch, make, len(metrics),
                                                                     metrics)


def test_scheduler_state_dict_resume():
    def prog(T):
        p = T.tensor(np.ones(2, np.float32)).requires_grad_()
        opt = T.optim.SGD([p], lr=0.1)
        s = T.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
        for _ in range(4):
            opt.step()
            s.step()
        sd = s.state_dict()
        opt2 = T.optim.SGD([p], lr=0.1)
        opt2.load_state_dict(opt.state_dict())
        s2 = T.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
        s2.load_state_dict(sd)
        out = []
        for _ in range(8):
            opt2.step()
            s2.step()
            out.append(s2.get_last_lr()[0])
        return out, sorted(sd)
    assert prog(ft) == prog(torch)


def test_scheduler_warns_before_optimizer_step():
    for T in (torch, ft):
        p = T.tensor(np.ones(2, np.float32)).requires_grad_()
        opt = T.optim.SGD([p], lr=0.1)
        s = T.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            s.step()


def test_onecycle_adam_betas():
    def prog(T):
        p = T.tensor(np.ones(2, np.float32)).requires_grad_()
        opt = T.optim.Adam([p], lr=0.1)
        s = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=12)
        out = []
        for _ in range(12):
            p.grad = T.tensor(np.ones(2, np.float32))
            opt.step()
            s.step()
            out.append((s.get_last_lr()[0], opt.param_groups[0]["betas"]))
        return out, p.detach().numpy().tolist()
    a, b = prog(torch), prog(ft)
    assert b[0] == a[0]
    np.testing.assert_allclose(b[1], a[1], rtol=1e-6)


@pytest.mark.parametrize("name,kw", [CASES[2], CASES[6], CASES[14]], ids=["SGD", "Adam",
                                                                          "RMSprop"])
def test_checkpoint_files_both_ways(tmp_path, name, kw):
    """torch.save'd optimizer state loads with frankentorch.load and continues like torch;
    frankentorch.save'd state loads in torch.load(weights_only=True)."""
    pt, ot = run_opt(torch, name, kw, 6, np.float32)
    torch.save(ot.state_dict(), tmp_path / "torch.pt")
    pf = [ft.tensor(p.detach().numpy().copy()).requires_grad_() for p in pt]
    of = getattr(ft.optim, name)(pf, lr=1.0)
    of.load_state_dict(ft.load(tmp_path / "torch.pt"))
    for k in range(6, 12):
        set_grads(torch, pt, k, np.float32)
        set_grads(ft, pf, k, np.float32)
        ot.step()
        of.step()
    assert_params(pt, pf, np.float32, exact=name == "SGD")
    ft.save(of.state_dict(), tmp_path / "ft.pt")
    back = torch.load(tmp_path / "ft.pt", weights_only=True)
    assert state_layout(back) == state_layout(ot.state_dict())
    ot.load_state_dict(back)


def test_deepcopy_and_pickle_keep_state():
    import copy
    import pickle
    _, of = run_opt(ft, "Adam", dict(lr=0.01), 3, np.float32)
    for clone in (copy.deepcopy(of), pickle.loads(pickle.dumps(of))):
        assert state_layout(clone.state_dict()) == state_layout(of.state_dict())
        assert float(clone.state_dict()["state"][0]["step"]) == 3.0


def test_named_parameters_groups():
    def prog(T):
        T.manual_seed(0)
        m = T.nn.Linear(3, 2)
        opt = T.optim.SGD(m.named_parameters(), lr=0.1, momentum=0.9)
        m(T.ones(1, 3)).sum().backward()
        opt.step()
        try:
            opt.add_param_group({"params": [T.ones(2).requires_grad_()]})
            err = None
        except ValueError as e:
            err = str(e)
        return state_layout(opt.state_dict()), err
    assert prog(ft) == prog(torch)


def test_user_defined_optimizer_subclass():
    """A custom optimizer written against the torch API gets groups, state and hooks."""
    def prog(T):
        class MySGD(T.optim.Optimizer):
            def __init__(self, params, lr=0.1):
                super().__init__(params, dict(lr=lr))

            @T.no_grad()
            def step(self, closure=None):
                for g in self.param_groups:
                    for p in g["params"]:
                        if p.grad is not None:
                            p.add_(p.grad, alpha=-g["lr"])
                            self.state[p]["n"] = self.state[p].get("n", 0) + 1
        p = T.tensor(np.ones(3, np.float32)).requires_grad_()
        opt = MySGD([p])
        seen = []
        opt.register_step_post_hook(lambda *a: seen.append(1))
        (p * p).sum().backward()
        opt.step()
        return p.detach().numpy().tolist(), opt.state_dict()["state"], seen, repr(opt)
    assert prog(ft) == prog(torch)
