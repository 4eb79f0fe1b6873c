"""FT-P2C-008 nn modules, state dicts, optimizers and data loading: seeded initialisation,
state_dict keys and values, strict/non-strict loading, train/eval, buffers, optimizer steps
and state, DataLoader batching, and the errors torch raises on misuse."""
from __future__ import annotations

from . import Case

FAMILY = "nn_state"


def _model(m):
    m.manual_seed(0)
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2))
    net.register_buffer("scale", m.ones(2))
    net.register_buffer("scratch", m.zeros(1), persistent=False)
    return net


def seeded_init(m, layer: str):
    m.manual_seed(42)
    mod = {"linear": lambda: m.nn.Linear(5, 3), "conv2d": lambda: m.nn.Conv2d(2, 3, 3),
           "embedding": lambda: m.nn.Embedding(6, 4),
           "layernorm": lambda: m.nn.LayerNorm(4)}[layer]()
    return {k: v for k, v in mod.state_dict().items()}


def state_dict(m):
    net = _model(m)
    sd = net.state_dict()
    return {"keys": list(sd), "values": list(sd.values()),
            "params": [n for n, _ in net.named_parameters()],
            "buffers": [n for n, _ in net.named_buffers()],
            "modules": [n for n, _ in net.named_modules()]}


def load_state(m, strict: bool, change: str):
    net = _model(m)
    sd = dict(net.state_dict())
    if change == "missing":
        sd.pop("2.bias")
    elif change == "unexpected":
        sd["extra"] = m.zeros(1)
    elif change == "shape":
        sd["0.weight"] = m.zeros(4, 4)
    elif change == "values":
        sd = {k: v + 1 for k, v in sd.items()}
    result = net.load_state_dict(sd, strict=strict)
    return {"missing": list(result.missing_keys), "unexpected": list(result.unexpected_keys),
            "after": list(net.state_dict().values())}


def modes(m):
    net = _model(m)
    net.eval()
    flags = [mod.training for mod in net.modules()]
    net[0].train()
    return {"after_eval": flags, "mixed": [mod.training for mod in net.modules()],
            "top": net.training}


def forward_backward(m):
    net = _model(m)
    x = m.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    out = net(x)
    out.sum().backward()
    return {"out": out, "grads": [p.grad for p in net.parameters()]}


OPTIMIZERS = {
    "sgd_momentum": lambda m, ps: m.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda m, ps: m.optim.Adam(ps, lr=0.01, weight_decay=0.1),
    "adamw": lambda m, ps: m.optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda m, ps: m.optim.RMSprop(ps, lr=0.01, centered=True),
    "adagrad": lambda m, ps: m.optim.Adagrad(ps, lr=0.1),
}


def optimizer_steps(m, name: str):
    """Three steps on a quadratic: parameters and the optimizer's state_dict."""
    w = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = OPTIMIZERS[name](m, [w])
    for _ in range(3):
        opt.zero_grad()
        ((w - 0.5) ** 2).sum().backward()
        opt.step()
    sd = opt.state_dict()
    return {"w": w, "state": sd["state"], "param_groups": sd["param_groups"]}


def lr_schedule(m):
    w = m.zeros(1, requires_grad=True)
    opt = m.optim.SGD([w], lr=1.0)
    sched = m.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def data_loader(m, shuffle: bool, drop_last: bool):
    ds = m.utils.data.TensorDataset(m.arange(10.0), m.arange(10) * 2)
    g = m.Generator().manual_seed(5)
    dl = m.utils.data.DataLoader(ds, batch_size=3, shuffle=shuffle, drop_last=drop_last,
                                 generator=g)
    return {"batches": [list(b) for b in dl], "len": len(dl)}


REFUSED = {
    "load_missing_strict": lambda m: load_state(m, True, "missing"),
    "load_unexpected_strict": lambda m: load_state(m, True, "unexpected"),
    "load_shape_non_strict": lambda m: load_state(m, False, "shape"),
    "dotted_param_name": lambda m: m.nn.Module().register_parameter(
        "a.b", m.nn.Parameter(m.ones(1))),
    "buffer_name_taken": lambda m: _buffer_over_param(m),
    "linear_wrong_input": lambda m: m.nn.Linear(3, 2)(m.ones(2, 4)),
    "optimizer_no_params": lambda m: m.optim.SGD([], lr=0.1),
    "negative_lr": lambda m: m.optim.Adam([m.zeros(1, requires_grad=True)], lr=-1.0),
    "loader_bad_batch": lambda m: m.utils.data.DataLoader([1, 2], batch_size=0),
}


def _buffer_over_param(m):
    lin = m.nn.Linear(2, 2)
    lin.register_buffer("weight", m.zeros(2, 2))


def refused(m, what: str):
    return REFUSED[what](m)


def cases() -> list[Case]:
    out = [Case(f"init/{k}", "happy", "seeded_init", {"layer": k}, op=k)
           for k in ("linear", "conv2d", "embedding", "layernorm")]
    out += [Case("state_dict", "happy", "state_dict", op="state_dict"),
            Case("modes", "happy", "modes", op="train_eval"),
            Case("forward_backward", "happy", "forward_backward", op="Sequential"),
            Case("lr_schedule", "happy", "lr_schedule", op="StepLR")]
    out += [Case(f"load/{c}_{'strict' if s else 'lenient'}", "edge", "load_state",
                 {"strict": s, "change": c}, op="load_state_dict")
            for s, c in ((True, "values"), (False, "missing"), (False, "unexpected"))]
    out += [Case(f"optimizer/{k}", "happy", "optimizer_steps", {"name": k}, op=k)
            for k in OPTIMIZERS]
    out += [Case(f"data_loader/shuffle_{s}_drop_{d}", "edge" if d else "happy",
                 "data_loader", {"shuffle": s, "drop_last": d}, op="DataLoader")
            for s, d in ((False, False), (True, False), (True, True))]
    out += [Case(f"refused/{k}", "adversarial", "refused", {"what": k}, op=k)
            for k in REFUSED]
    return out
