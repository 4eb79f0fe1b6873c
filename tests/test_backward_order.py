"""The order in which backward runs nodes, checked against torch's own engine.

frankentorch documents its order as PyTorch's CPU ready queue: among ready nodes the most
recently created (highest sequence number) runs first, and a node is ready once every edge
into it has delivered its gradient. Here the execution order is observed the same way in both
libraries (a pre-hook on every node of the graph) for fixed graph shapes, and the
BackwardReport of frankentorch must list exactly that order.
"""
import pytest
import torch

import frankentorch as ft


def _nodes(roots):
    """Every node reachable from the roots' grad_fns (depth-first, each once)."""
    seen, stack, out = set(), [r.grad_fn for r in roots], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(e[0] for e in node.next_functions if e is not None and e[0] is not None)
    return out


def observe(lib, build, retain_reuse=False):
    """Run ``build(lib)`` → (roots, grads), then backward; return node names in run order."""
    roots, grads = build(lib)
    order = []
    for node in _nodes(roots):
        node.register_prehook(lambda g, n=node: order.append(n.name()))
    lib.autograd.backward(roots, grads, retain_graph=retain_reuse)
    if retain_reuse:
        order.append("|")
        lib.autograd.backward(roots, grads)
    return [n.replace("torch::autograd::", "") for n in order]


def _leaf(lib, *shape):
    return lib.ones(*shape, dtype=lib.float64, requires_grad=True)


def diamond(lib):
    x = _leaf(lib, 3)
    a = x.exp()
    b = a.sin()
    c = a.cos()
    d = b * c
    return [d.sum()], None


def fan_in(lib):
    xs = [_leaf(lib, 2) for _ in range(4)]
    y = xs[0] * 1.0
    for x in xs[1:]:
        y = y + x.tanh()
    return [y.sum()], None


def fan_out(lib):
    x = _leaf(lib, 2)
    h = x.sigmoid()
    outs = [h * float(i + 1) for i in range(4)]
    return [o.sum() for o in outs], None


def shared_subexpression(lib):
    x = _leaf(lib, 2, 2)
    w = _leaf(lib, 2, 2)
    s = (x @ w).relu()
    y = (s * s).sum() + s.mean() + (s.t() @ x).sum()
    return [y], None


def two_roots_with_grads(lib):
    x = _leaf(lib, 3)
    y = x.clone()
    a, b = y.unsqueeze(0), y.t()
    return [a.exp(), b.log1p()], [lib.ones(1, 3, dtype=lib.float64),
                                  lib.full((3,), 2.0, dtype=lib.float64)]


def inplace_on_view(lib):
    x = _leaf(lib, 3, 3)
    y = x.clone()
    y[1].mul_(2)
    y[:, 0] = x[0] * 3
    return [y.sum()], None


GRAPHS = {f.__name__: f for f in (diamond, fan_in, fan_out, shared_subexpression,
                                  two_roots_with_grads, inplace_on_view)}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_execution_order_matches_torch(name):
    expected = observe(torch, GRAPHS[name])
    actual = observe(ft, GRAPHS[name])
    assert actual == expected


@pytest.mark.parametrize("name", ["diamond", "shared_subexpression"])
def test_retain_graph_reuse_runs_the_same_order_twice(name):
    expected = observe(torch, GRAPHS[name], retain_reuse=True)
    actual = observe(ft, GRAPHS[name], retain_reuse=True)
    assert actual == expected
    first, second = " ".join(actual).split(" | ")
    assert first == second


@pytest.mark.parametrize("name", list(GRAPHS))
def test_report_lists_the_observed_order(name):
    roots, grads = GRAPHS[name](ft)
    order = []
    for node in _nodes(roots):
        node.register_prehook(lambda g, n=node: order.append(n.name()))
    report = ft.autograd.backward(roots, grads, report=True)
    assert [n.name for n in report.nodes] == order
    again = ft.autograd.backward(*GRAPHS[name](ft), report=True)
    assert again.canonical() == report.canonical()  # deterministic
