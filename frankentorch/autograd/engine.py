"""The backward engine: dependency counting from the roots, then a ready queue.

Order is deterministic and documented: among ready nodes the one with the highest sequence
number (the most recently created) runs first, exactly as PyTorch's CPU ready queue;
AccumulateGrad nodes carry the largest number, so a leaf's gradient lands as soon as it is
complete. The engine is iterative (no recursion), so graphs of any depth run; a backward
started from inside a backward (reentrant) is counted against a maximum depth.
"""
from __future__ import annotations

import heapq
import threading
import time
from dataclasses import dataclass, field

from .._core import grad_mode
from .._core.meta import contiguous_strides
from .._core.mode import is_hardened
from .._ops.iterator import non_overlapping_and_dense
from .._ops.views import detached
from .graph import AccumulateGrad, Node

__all__ = ["run_backward", "BackwardReport", "ReentrantDepthError", "set_max_reentrant_depth",
           "get_max_reentrant_depth"]


class ReentrantDepthError(RuntimeError):
    """A backward nested inside backward passes went deeper than the allowed maximum."""


@dataclass
class NodeRecord:
    name: str
    sequence_nr: int
    dependencies: int


@dataclass
class BackwardReport:
    """What one backward did: nodes in execution order, dependency counts, queue peak,
    reentrant depth, fallbacks and wall time. ``canonical()`` drops what varies between runs
    of the same program (timings, absolute sequence numbers)."""

    nodes: list[NodeRecord] = field(default_factory=list)
    peak_ready_queue: int = 0
    reentrant_depth: int = 0
    max_reentrant_depth_reached: int = 0
    fallbacks: list[str] = field(default_factory=list)
    wall_time_s: float = 0.0

    def canonical(self) -> dict:
        ranks = {s: i for i, s in enumerate(sorted({n.sequence_nr for n in self.nodes}))}
        return {"nodes": [(n.name, ranks[n.sequence_nr], n.dependencies) for n in self.nodes],
                "peak_ready_queue": self.peak_ready_queue,
                "reentrant_depth": self.reentrant_depth,
                "max_reentrant_depth_reached": self.max_reentrant_depth_reached,
                "fallbacks": list(self.fallbacks)}

    def to_dict(self) -> dict:
        d = self.canonical()
        d["nodes"] = [{"name": n.name, "sequence_nr": n.sequence_nr,
                       "dependencies": n.dependencies} for n in self.nodes]
        d["wall_time_s"] = self.wall_time_s
        return d


class _Local(threading.local):
    depth = 0
    report = None  # the report of the outermost backward that asked for one


_local = _Local()
_max_depth = 60


def set_max_reentrant_depth(depth: int) -> None:
    global _max_depth
    if depth < 1:
        raise ValueError("the maximum reentrant depth must be at least 1")
    _max_depth = depth


def get_max_reentrant_depth() -> int:
    return _max_depth


def _collect_dependencies(roots: list[Node]) -> dict[Node, int]:
    """compute_dependencies: how many edges point at each node reachable from the roots."""
    deps: dict[Node, int] = {}
    seen = set()
    stack = list(roots)
    for r in roots:
        seen.add(r)
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            nxt = edge[0]
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _needed(roots: list[Node], targets: set[Node]) -> set[Node]:
    """Nodes that must run when inputs= is given: those with an edge toward a target or
    toward another needed node. A target itself only has its incoming gradient captured."""
    order: list[Node] = []
    seen = set(roots)
    stack = [(r, iter(r.next_functions)) for r in roots]
    needed: set[Node] = set()
    while stack:
        node, it = stack[-1]
        advanced = False
        for edge in it:
            if edge is None:
                continue
            nxt = edge[0]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(nxt.next_functions)))
                advanced = True
                break
        if not advanced:
            stack.pop()
            order.append(node)
    for node in order:  # children before parents
        if any(e is not None and (e[0] in needed or e[0] in targets)
               for e in node.next_functions):
            needed.add(node)
    return needed


def run_backward(root_edges: list, root_grads: list, *, keep_graph: bool, create_graph: bool,
                 inputs: list | None = None, accumulate: bool = True,
                 report: BackwardReport | None = None) -> list:
    """Run backward from ``root_edges`` (node, input_nr) seeded with ``root_grads``.

    With ``inputs`` (a list of edges), gradients reaching them are captured and returned in
    that order; with ``accumulate`` they are also (or only, when inputs is None) added into
    leaves' ``.grad``.
    """
    if report is None:
        report = _local.report  # nested passes are part of the outer pass's report
    depth = _local.depth + 1
    if depth > _max_depth:
        if not is_hardened():
            raise ReentrantDepthError(
                f"reentrant backward depth {depth} exceeds the maximum {_max_depth} "
                "(frankentorch.autograd.set_max_reentrant_depth raises it)")
        return _run_in_fresh_thread(root_edges, root_grads, keep_graph, create_graph, inputs,
                                    accumulate, report)
    _local.depth = depth
    outer_report = _local.report
    _local.report = report
    start = time.perf_counter()
    try:
        return _execute(root_edges, root_grads, keep_graph, create_graph, inputs, accumulate,
                        report, depth)
    finally:
        _local.depth = depth - 1
        _local.report = outer_report
        if report is not None and outer_report is None:
            report.wall_time_s = time.perf_counter() - start
        if report is not None:
            report.reentrant_depth = max(report.reentrant_depth, depth)
            report.max_reentrant_depth_reached = max(report.max_reentrant_depth_reached, depth)


def _run_in_fresh_thread(*args) -> list:
    """Hardened fallback past the maximum depth: continue in a new thread (a fresh stack,
    depth counted from zero there), as PyTorch hands deep reentrant work to another thread."""
    report = args[-1]
    if report is not None:
        report.fallbacks.append(f"reentrant depth above {_max_depth}: continued in a new thread")
    result: dict = {}

    def work() -> None:
        try:
            result["value"] = run_backward(*args[:2], keep_graph=args[2], create_graph=args[3],
                                           inputs=args[4], accumulate=args[5], report=report)
        except BaseException as e:  # re-raised in the caller
            result["error"] = e

    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _execute(root_edges, root_grads, keep_graph, create_graph, inputs, accumulate, report,
             depth) -> list:
    # A synthetic root collects the user's outputs, as the engine's GraphRoot does.
    graph_root = Node(tuple(root_edges))
    deps = _collect_dependencies([graph_root])
    initial_deps = dict(deps)
    # storages a stored .grad may not share: the caller's gradients, other leaves' grads
    claimed = {id(g._storage) for g in root_grads if g is not None}
    captures: dict[tuple, int] = {}
    if inputs is not None:
        for i, edge in enumerate(inputs):
            if edge is not None:
                captures.setdefault((edge[0], edge[1]), i)
        targets = {e[0] for e in inputs if e is not None}
        needed = _needed([graph_root], targets)
    else:
        needed = targets = None
    captured = [None] * (len(inputs) if inputs is not None else 0)
    buffers: dict[Node, list] = {graph_root: []}
    ready: list = [(0, 0, graph_root)]  # runs first, handing out the root gradients
    tie = 1
    push, pop = heapq.heappush, heapq.heappop
    peak = 1
    previous = grad_mode.is_grad_enabled()
    grad_mode.set_grad_enabled_flag(create_graph)
    try:
        while ready:
            if len(ready) > peak:
                peak = len(ready)
            node = pop(ready)[2]
            grads = buffers.pop(node)
            if node is graph_root:
                outs = root_grads
                wanted = None  # every root gets its gradient
            else:
                if report is not None:
                    report.nodes.append(_record(node, initial_deps))
                for hook in node._pre_hooks:
                    out = hook(tuple(grads))
                    if out is not None:
                        grads = list(out)
                if captures:
                    for i, g in enumerate(grads):
                        key = (node, i)
                        if key in captures:
                            captured[captures[key]] = g
                if needed is not None and node not in needed:
                    continue
                if node.__class__ is AccumulateGrad:
                    if inputs is None or accumulate:
                        g = grads[0]
                        if g is not None:
                            if id(g._storage) in claimed:
                                g = g.clone()
                            claimed.add(id(g._storage))
                        _accumulate_leaf(node.variable, g, create_graph)
                    continue
                outs = node.apply(tuple(grads))
                for hook in node._hooks:
                    r = hook(outs, tuple(grads))
                    if r is not None:
                        outs = r
                if not keep_graph:
                    node.release_variables()
                wanted = needed
            for edge, g in zip(node.next_functions, outs):
                if edge is None:
                    continue
                nxt, nr = edge
                if wanted is not None and nxt not in wanted and nxt not in targets:
                    continue
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * max(nxt.num_outputs, nr + 1)
                if g is not None:
                    prev = buf[nr]
                    buf[nr] = g if prev is None else prev + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    push(ready, (-nxt.sequence_nr, tie, nxt))
                    tie += 1
    finally:
        grad_mode.set_grad_enabled_flag(previous)
    if report is not None:
        report.peak_ready_queue = max(report.peak_ready_queue, peak)
    return captured


def _record(node: Node, initial_deps: dict) -> NodeRecord:
    return NodeRecord(node.name(), node.sequence_nr, initial_deps.get(node, 0))


def _accumulate_leaf(leaf, grad, create_graph: bool) -> None:
    """AccumulateGrad: the first gradient is stored (detached unless create_graph), later ones
    are added (in place unless create_graph, which builds a graph of the sum)."""
    if grad is None:
        return
    for hook in leaf.__dict__.get("_tensor_hooks", ()):
        r = hook(grad)
        if r is not None:
            grad = r
    if not create_graph and (grad._requires_grad or grad._grad_fn is not None or
                             grad._base is not None):
        grad = detached(grad)  # .grad is no view and has no history, as torch stores it
    if leaf._grad is None:  # (the gradient has the leaf's shape and dtype)
        leaf._grad = _in_layout_of(leaf, grad)
    elif create_graph:
        leaf._grad = leaf._grad + grad
    else:
        leaf._grad.add_(grad)


def _in_layout_of(leaf, grad):
    """torch's layout contract for .grad: the leaf's strides when it is dense without
    overlap, else contiguous."""
    shape = leaf._shape
    if grad._stride == leaf._stride and leaf.is_contiguous():
        return grad
    want = leaf._stride if non_overlapping_and_dense(shape, leaf._stride) else \
        contiguous_strides(shape)
    if grad._stride == want or grad._shape != shape or grad.numel() <= 1:
        return grad
    from .. import empty_strided
    return empty_strided(shape, want, dtype=grad.dtype).copy_(grad)
