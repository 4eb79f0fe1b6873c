"""FT-P2C-004 autograd: graph structure (node names, edges), gradients through shared and
diamond-shaped graphs, the engine's execution order (seen through hooks), accumulation,
retain_graph, custom Functions, reentrant backward, and the errors torch raises."""
from __future__ import annotations

from . import Case

FAMILY = "autograd_scheduler"


def _names(t) -> list:
    """grad_fn names breadth-first from ``t`` (each node once, in discovery order)."""
    out, seen, queue = [], set(), [t.grad_fn]
    while queue:
        node = queue.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node.name())
        queue.extend(e[0] for e in node.next_functions if e is not None)
    return out


def _leaves(m, n=2):
    return [m.tensor([1.5, -2.0, 0.5], requires_grad=True) * (i + 1) for i in range(n)]


GRAPHS = {
    "chain": lambda m, x, y: ((x * 2).exp().sum() + 1).log(),
    "shared_input": lambda m, x, y: (x * x + x).sum(),
    "diamond": lambda m, x, y: ((x + y) * (x - y)).mean(),
    "views_inside": lambda m, x, y: (x.unsqueeze(0).expand(2, 3) * y).t().sum(),
    "reductions": lambda m, x, y: (x.softmax(0) * y.tanh()).sum() + x.max(),
    "matmul": lambda m, x, y: (x.reshape(3, 1) @ y.reshape(1, 3)).relu().sum(),
    "inplace_on_intermediate": lambda m, x, y: (x * 1).mul_(y).add_(2).sum(),
    "detach_cuts": lambda m, x, y: (x.detach() * y + x).sum(),
}


def graph_grads(m, graph: str):
    """Loss, node names of the graph, and the leaves' gradients after backward."""
    x = m.tensor([1.5, -2.0, 0.5], requires_grad=True)
    y = m.tensor([0.25, 3.0, -1.0], requires_grad=True)
    loss = GRAPHS[graph](m, x, y)
    names = _names(loss)
    loss.backward()
    return {"loss": loss, "names": names, "x_grad": x.grad, "y_grad": y.grad,
            "is_leaf": [x.is_leaf, loss.is_leaf], "requires_grad": loss.requires_grad}


def hook_order(m, graph: str):
    """The order in which intermediate tensors' gradients are computed (the ready queue)."""
    order = []
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    b = x + 1
    c = a * b
    d = a.exp()
    e = (c + d) if graph == "fan_in" else c.sin()
    for name, t in (("a", a), ("b", b), ("c", c), ("d", d), ("e", e)):
        t.register_hook(lambda g, n=name: order.append(n))
    e.sum().backward()
    return {"order": order, "x_grad": x.grad}


def accumulation(m, retain: bool):
    x = m.tensor([1.0, -1.0], requires_grad=True)
    y = (x ** 2).sum()
    y.backward(retain_graph=retain)
    first = x.grad.clone()
    y.backward()
    return {"first": first, "second": x.grad}


def autograd_grad(m, allow_unused: bool, create_graph: bool):
    x = m.tensor([0.5, 1.5], requires_grad=True)
    z = m.tensor([2.0], requires_grad=True)
    y = (x ** 3).sum()
    gx, gz = m.autograd.grad(y, (x, z), allow_unused=allow_unused, create_graph=create_graph)
    out = {"gx": gx, "gz": gz, "x_grad_untouched": x.grad}
    if create_graph:
        (ggx,) = m.autograd.grad(gx.sum(), x)
        out["ggx"] = ggx
    return out


def _square_function(m):
    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g
    return Square


def custom_function(m):
    x = m.tensor([1.0, -3.0, 2.0], requires_grad=True)
    y = _square_function(m).apply(x)
    y.sum().backward()
    return {"y": y, "grad": x.grad, "name": y.grad_fn.name().rsplit(".", 1)[-1]}


def reentrant(m, depth: int):
    """A custom Function whose backward runs backward again, ``depth`` levels deep."""
    class Nest(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, level):
            ctx.level = level
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if ctx.level > 1:
                with m.enable_grad():
                    inner = m.ones(1, requires_grad=True)
                    Nest.apply(inner, ctx.level - 1).sum().backward()
            return g * 2, None

    x = m.ones(2, requires_grad=True)
    Nest.apply(x, depth).sum().backward()
    return x.grad


def long_chain(m, n: int):
    """A chain of n nodes: the engine must not recurse."""
    x = m.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001
    y.backward()
    return x.grad


def no_grad_blocks(m):
    x = m.ones(2, requires_grad=True)
    with m.no_grad():
        y = x * 2
    z = x * 2
    with m.enable_grad():
        w = x.detach() * 3
    return {"y_rg": y.requires_grad, "z_rg": z.requires_grad, "w_rg": w.requires_grad,
            "y_fn": y.grad_fn is None, "grad_enabled": m.is_grad_enabled()}


REFUSED = {
    "second_backward_freed": lambda m: _twice(m),
    "backward_non_scalar": lambda m: (m.ones(2, requires_grad=True) * 2).backward(),
    "backward_no_grad_tensor": lambda m: m.ones(2).sum().backward(),
    "saved_tensor_modified": lambda m: _modified_saved(m),
    "grad_of_unused_input": lambda m: m.autograd.grad(
        (m.ones(2, requires_grad=True) * 2).sum(), m.ones(1, requires_grad=True)),
    "inplace_on_leaf": lambda m: m.ones(2, requires_grad=True).add_(1),
    "grad_shape_mismatch": lambda m: (m.ones(2, requires_grad=True) * 2).backward(m.ones(3)),
    "requires_grad_on_int": lambda m: m.ones(2, dtype=m.int64).requires_grad_(),
}


def _twice(m):
    y = (m.ones(2, requires_grad=True) * m.ones(2, requires_grad=True)).sum()
    y.backward()
    y.backward()


def _modified_saved(m):
    x = m.ones(3, requires_grad=True)
    a = x * 1
    y = a.exp()
    a.add_(1)
    y.sum().backward()


def refused(m, what: str):
    return REFUSED[what](m)


def cases() -> list[Case]:
    out = [Case(f"graph/{g}", "happy", "graph_grads", {"graph": g}, op=g) for g in GRAPHS]
    out += [Case(f"hook_order/{g}", "happy", "hook_order", {"graph": g}, op="ready_queue")
            for g in ("fan_in", "chain")]
    out += [Case("custom_function", "happy", "custom_function", op="Function"),
            Case("no_grad_blocks", "happy", "no_grad_blocks", op="grad_mode"),
            Case("accumulate_retained", "edge", "accumulation", {"retain": True},
                 op="accumulate_grad")]
    out += [Case(f"autograd_grad/unused_{u}_create_{c}", "edge", "autograd_grad",
                 {"allow_unused": u, "create_graph": c}, op="autograd.grad")
            for u, c in ((True, False), (True, True))]
    out += [Case(f"reentrant/depth_{d}", "edge", "reentrant", {"depth": d}, op="reentrant")
            for d in (2, 8)]
    out.append(Case("reentrant/past_max_depth", "adversarial", "reentrant", {"depth": 70},
                    op="reentrant"))
    out.append(Case("long_chain", "edge", "long_chain", {"n": 5000}, op="engine"))
    out += [Case(f"refused/{k}", "adversarial", "refused", {"what": k}, op=k)
            for k in REFUSED]
    out.append(Case("refused/accumulate_freed", "adversarial", "accumulation",
                    {"retain": False}, op="accumulate_grad"))
    return out
