"""Random autograd DAGs: every node runs exactly once, only after every node that feeds it a
gradient, and in the same order as torch's engine."""
from hypothesis import given, settings, strategies as st
import torch

import frankentorch as ft

UNARY = ["sin", "exp", "tanh", "clone", "neg"]
BINARY = ["add", "mul", "sub"]


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 3))
    steps = []
    for i in range(draw(st.integers(1, 12))):
        avail = n_leaves + i
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(UNARY)), draw(st.integers(0, avail - 1))))
        else:
            steps.append(("b", draw(st.sampled_from(BINARY)), draw(st.integers(0, avail - 1)),
                          draw(st.integers(0, avail - 1))))
    total = n_leaves + len(steps)
    roots = draw(st.lists(st.integers(n_leaves, total - 1), min_size=1, max_size=3,
                          unique=True))
    return n_leaves, steps, roots


def build(lib, program):
    n_leaves, steps, roots = program
    values = [lib.full((2,), 0.1 * (i + 1), dtype=lib.float64, requires_grad=True)
              for i in range(n_leaves)]
    for step in steps:
        if step[0] == "u":
            values.append(getattr(values[step[2]], step[1])())
        else:
            values.append(getattr(values[step[2]], step[1])(values[step[3]]))
    return [values[r].sum() for r in roots]


def run(lib, program):
    outs = build(lib, program)
    order, consumers, seen, stack = [], {}, set(), [o.grad_fn for o in outs]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node.register_prehook(lambda g, n=node: order.append(n))
        for edge in node.next_functions:
            if edge is not None and edge[0] is not None:
                consumers.setdefault(id(edge[0]), []).append(node)
                stack.append(edge[0])
    lib.autograd.backward(outs)
    return order, consumers


@settings(max_examples=60, deadline=None)
@given(programs())
def test_each_node_once_after_its_consumers_and_in_torchs_order(program):
    order, consumers = run(ft, program)
    ids = [id(n) for n in order]
    assert len(ids) == len(set(ids))  # exactly once
    position = {i: k for k, i in enumerate(ids)}
    for node in order:
        for consumer in consumers.get(id(node), ()):
            assert position[id(consumer)] < position[id(node)]
    expected, _ = run(torch, program)
    assert [n.name() for n in order] == [n.name() for n in expected]
