"""Autograd engine against torch: graph names, gradients through views and copies, custom
Functions, hooks, errors, and the engine's own guarantees (order, depth, reports)."""
import pytest
import torch

import frankentorch as ft


def both(prog):
    """Run ``prog(torch)`` and ``prog(frankentorch)``; results must agree."""
    a, b = prog(torch), prog(ft)
    _same(a, b)


def _same(expected, actual):
    if isinstance(expected, (tuple, list)):
        assert len(expected) == len(actual)
        for e, a in zip(expected, actual):
            _same(e, a)
    elif isinstance(expected, torch.Tensor):
        assert isinstance(actual, ft.Tensor), actual
        assert tuple(actual.shape) == tuple(expected.shape)
        assert str(actual.dtype) == str(expected.dtype)
        torch.testing.assert_close(torch.tensor(actual.tolist(), dtype=expected.dtype),
                                   expected.detach())
    else:
        assert actual == expected, (actual, expected)


def _names(t):
    """grad_fn names along the first edges, down to the leaf."""
    out, node = [], t.grad_fn
    while node is not None:
        out.append(node.name())
        nxt = [e for e in node.next_functions if e is not None and e[0] is not None]
        node = nxt[0][0] if nxt else None
    return out


VIEW_CHAINS = [
    lambda x: x.t().reshape(6).narrow(0, 1, 4).unsqueeze(0).expand(3, 4).clone(),
    lambda x: x.transpose(0, 1).permute(1, 0).select(1, 2).unsqueeze(1).squeeze(),
    lambda x: x.diagonal().unsqueeze(0).squeeze(0).contiguous(),
    lambda x: x.view(3, 2).t().flatten().unflatten(0, (2, 3)).movedim(0, 1),
    lambda x: x.to(torch.float64 if isinstance(x, torch.Tensor) else ft.float64).expand_as(x),
]


@pytest.mark.parametrize("chain", range(len(VIEW_CHAINS)))
def test_view_chain_grads_and_names(chain):
    def prog(m):
        x = m.arange(6.).reshape(2, 3).requires_grad_()
        y = VIEW_CHAINS[chain](x)
        names = _names(y)
        (y * 1 if False else y).backward(m.ones(y.shape, dtype=y.dtype))
        return names, x.grad, y.requires_grad, y.is_leaf, x.is_leaf
    both(prog)


def test_split_unbind_multi_output():
    def prog(m):
        x = m.arange(12.).reshape(3, 4).requires_grad_()
        a, b = x.split([1, 3], dim=1)
        rows = x.unbind(0)
        m.autograd.backward([a, b, rows[2]], [m.ones(3, 1), 2 * m.ones(3, 3), 5 * m.ones(4)])
        return x.grad, a.grad_fn.name(), rows[0].grad_fn.name()
    both(prog)


def test_accumulation_across_backward_calls_and_retain_graph():
    def prog(m):
        x = m.ones(2, 3, requires_grad=True)
        y = x.t().contiguous()
        y.backward(m.ones(3, 2), retain_graph=True)
        y.backward(m.ones(3, 2))
        return x.grad
    both(prog)


def test_second_backward_without_retain_graph_raises():
    for m in (torch, ft):
        class Keep(m.autograd.Function):  # a node that saves a tensor
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                return g * ctx.saved_tensors[0]

        x = m.ones(2, requires_grad=True)
        y = Keep.apply(x)
        y.backward(m.ones(2))
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward(m.ones(2))
        z = x.clone()  # CloneBackward0 saves nothing: a second pass is allowed, as in torch
        z.backward(m.ones(2))
        z.backward(m.ones(2))


def test_errors_like_torch():
    for m in (torch, ft):
        x = m.ones(3)
        with pytest.raises(RuntimeError, match="does not require grad"):
            x.backward()
        y = m.ones(3, requires_grad=True).clone()
        with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
            y.backward()
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            y.backward(m.ones(4))
        with pytest.raises(RuntimeError, match="only Tensors of floating point"):
            m.ones(3, dtype=m.int64).requires_grad_()
        leaf = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.copy_(m.zeros(3))
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
            y.requires_grad_(False)


def test_grad_api_allow_unused_and_materialize():
    def prog(m):
        x = m.ones(2, 2, requires_grad=True)
        z = m.ones(3, requires_grad=True)
        y = x.t().clone()
        (gx,) = m.autograd.grad(y, x, m.full((2, 2), 3.0), retain_graph=True)
        gx2, gz = m.autograd.grad(y, (x, z), m.ones(2, 2), allow_unused=True,
                                  retain_graph=True)
        gx3, gz3 = m.autograd.grad(y, (x, z), m.ones(2, 2), materialize_grads=True)
        return gx, gx2, gz is None, gz3, x.grad is None
    both(prog)
    x = ft.ones(2, requires_grad=True)
    z = ft.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ft.autograd.grad(x.clone(), (x, z), ft.ones(2))


def test_hooks_and_retain_grad():
    def prog(m):
        x = m.ones(2, 3, requires_grad=True)
        y = x.t()
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(g.sum().item()))
        x.register_hook(lambda g: g * 2)
        z = y.clone()
        z.backward(m.ones(3, 2))
        return x.grad, y.grad, seen, y.retains_grad
    both(prog)


def test_no_grad_enable_grad_inference_mode():
    def prog(m):
        x = m.ones(2, requires_grad=True)
        with m.no_grad():
            a = x.clone()
            with m.enable_grad():
                b = x.clone()
        with m.set_grad_enabled(False):
            c = x.clone()
        with m.inference_mode():
            d = x.clone()
        return (a.requires_grad, b.requires_grad, c.requires_grad, d.requires_grad,
                m.is_grad_enabled())
    both(prog)

    @ft.no_grad()
    def f(x):
        return x.clone()
    assert not f(ft.ones(2, requires_grad=True)).requires_grad


def test_saved_tensor_modified_inplace_raises():
    # copy_'s backward saves nothing in torch either, so use a custom Function that saves
    for m in (torch, ft):
        class Square(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x * 2

        a = m.ones(3, requires_grad=True)
        x = a.clone()
        y = Square.apply(x)
        x.copy_(m.zeros(3))
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward(m.ones(3))


def test_custom_function():
    def prog(m):
        class Scale(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.k = k
                ctx.save_for_backward(x)
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                assert ctx.needs_input_grad == (True, False)
                return g * ctx.k, None

        x = m.ones(3, requires_grad=True)
        y = Scale.apply(x, 4.0)
        y.backward(m.ones(3))
        return x.grad, y.grad_fn.name()
    both(prog)


def test_mark_non_differentiable_and_once_differentiable():
    def prog(m):
        class Pair(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x.clone(), x.clone()
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            @m.autograd.function.once_differentiable
            def backward(ctx, ga, gb):
                return ga * 3

        x = m.ones(2, requires_grad=True)
        a, b = Pair.apply(x)
        a.backward(m.ones(2))
        return x.grad, a.requires_grad, b.requires_grad
    both(prog)


# ---------------------------------------------------------------- engine guarantees

class _Twice(ft.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_long_chain_is_iterative():
    x = ft.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = _Ident.apply(y)
    y.backward(ft.ones(1))
    assert x.grad.tolist() == [1.0]


class _Ident(ft.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.detach()

    @staticmethod
    def backward(ctx, g):
        return g


def test_wide_fan_in():
    x = ft.ones(1, requires_grad=True)
    outs = [_Twice.apply(x) for _ in range(10_000)]
    ft.autograd.backward(outs, [ft.ones(1)] * len(outs))
    assert x.grad.tolist() == [20_000.0]


def test_order_is_highest_sequence_first_and_report_is_deterministic():
    def run():
        x = ft.ones(2, requires_grad=True)
        a = x.t()            # created first
        b = x.unsqueeze(0)   # created second
        c = a.clone()
        d = b.clone()
        return ft.autograd.backward([c, d], [ft.ones(2), ft.ones(1, 2)], report=True)
    r1, r2 = run(), run()
    names = [n.name for n in r1.nodes]
    # creation order: t (0), unsqueeze (1), clone of a (2), clone of b (3). Both clones are
    # ready first; the highest number (3, d's clone) runs, which readies unsqueeze (1); the
    # clone of a (2) now outranks it, then unsqueeze, then t; the accumulator runs last once
    # both of its inputs have arrived.
    assert names == ["CloneBackward0", "CloneBackward0", "UnsqueezeBackward0",
                     "TBackward0", "torch::autograd::AccumulateGrad"]
    assert r1.canonical() == r2.canonical()
    assert r1.nodes[-1].dependencies == 2  # the leaf's accumulator is reached twice
    assert r1.peak_ready_queue >= 2


def test_reentrant_depth_strict_raises_hardened_falls_back():
    class Reenter(ft.autograd.Function):
        @staticmethod
        def forward(ctx, x, depth):
            ctx.depth = depth
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            if ctx.depth > 0:
                with ft.enable_grad():
                    inner = ft.ones(1, requires_grad=True)
                    Reenter.apply(inner, ctx.depth - 1).backward(ft.ones(1))
            return g, None

    old = ft.autograd.get_max_reentrant_depth()
    ft.autograd.set_max_reentrant_depth(3)
    try:
        x = ft.ones(1, requires_grad=True)
        with pytest.raises(ft.autograd.ReentrantDepthError):
            Reenter.apply(x, 5).backward(ft.ones(1))
        with ft.using_mode("hardened"):
            x = ft.ones(1, requires_grad=True)
            rep = ft.autograd.backward(Reenter.apply(x, 5), ft.ones(1), report=True)
        assert x.grad.tolist() == [1.0]
        assert rep.fallbacks
    finally:
        ft.autograd.set_max_reentrant_depth(old)


def test_explain_shows_autograd_routing_only_when_needed():
    from frankentorch._dispatch.dispatcher import OPS
    op = OPS["add"].overloads[0]
    plain = op.explain(ft.ones(2), ft.ones(2))
    graded = op.explain(ft.ones(2, requires_grad=True), ft.ones(2))
    # the call's key set is torch's either way; autograd keys only route when needed
    assert str(plain["keyset"]) == str(graded["keyset"])
    assert "AutogradCPU" not in str(plain["resolved_for"])
    assert "AutogradCPU" in str(graded["resolved_for"])
    assert plain["kernel"] is not graded["kernel"]
    with ft.no_grad():
        assert op.explain(ft.ones(2, requires_grad=True), 1)["kernel"] is plain["kernel"]


def test_out_variants_refuse_grad_inputs_like_torch():
    for m in (torch, ft):
        x = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            m.add(x, x, out=m.empty(2))


def test_mark_non_differentiable_on_an_input_returned_as_is():
    def prog(lib):
        class PassThrough(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.mark_non_differentiable(x)
                return x, y * 2

            @staticmethod
            def backward(ctx, gx, gy):
                return None, gy * 2
        x = lib.ones(2, requires_grad=True)
        y = lib.ones(2, requires_grad=True)
        a, b = PassThrough.apply(x, y)
        return a.requires_grad, a.grad_fn is None, a is x, b.requires_grad
    assert prog(ft) == prog(torch)


def test_root_gradient_is_cast_to_the_output_dtype():
    def prog(lib):
        x = lib.tensor([1.0 / 3.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(x.exp(), x, lib.tensor([0.1, 0.7], dtype=lib.float32))
        return g
    _same(prog(torch), prog(ft))
    torch.testing.assert_close(torch.tensor(prog(ft).tolist(), dtype=torch.float64),
                               prog(torch), rtol=1e-15, atol=0)


def test_grad_layout_contract_and_no_aliasing():
    """.grad takes the leaf's strides (dense leaves) or is contiguous, and no two leaves'
    gradients share memory."""
    def prog(lib):
        w = lib.ones(4, 3, requires_grad=True)
        wt = lib.ones(3, 4).t().requires_grad_()
        a, b = lib.ones(3, requires_grad=True), lib.ones(3, requires_grad=True)
        odd = lib.cat([lib.ones(4, 3), lib.ones(4, 3)], 1)[:, :3]

        class Strided(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return odd[:, :3]
        (Strided.apply(w).sum() + (wt * 2).sum() + (a + b).sum()).backward()
        shared = a.grad.data_ptr() == b.grad.data_ptr()
        a.grad.add_(1)
        return w.grad.stride(), wt.grad.stride(), shared, b.grad
    expected, actual = prog(torch), prog(ft)
    assert expected[:3] == actual[:3]
    _same(expected[3], actual[3])


def test_stored_grad_is_not_a_view():
    """AccumulateGrad stores a gradient without history and not as a view of another
    tensor, as torch's does (a linear weight's gradient arrives as ``t()`` of a product)."""
    def prog(lib):
        w, b = lib.ones(3, 2, requires_grad=True), lib.ones(3, requires_grad=True)
        x = lib.arange(8.0).reshape(4, 2)
        lib.nn.functional.linear(x, w, b).sum().backward()
        return w.grad._base is None, b.grad._base is None, w.grad.stride(), w.grad
    expected, actual = prog(torch), prog(ft)
    assert expected[:3] == actual[:3] == (True, True, (2, 1))
    _same(expected[3], actual[3])


def test_saved_outputs_make_no_reference_cycles():
    """A node that saves its own output (relu, tanh, a custom Function) keeps it without
    history, as torch does: dropping the graph frees it without the garbage collector."""
    import gc
    import weakref

    class Exp(ft.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y
    gc.disable()
    try:
        x = ft.randn(4, 3, requires_grad=True)
        outs = [x.relu(), x.tanh(), x.log_softmax(1), Exp.apply(x)]
        refs = [weakref.ref(o.grad_fn) for o in outs]
        del outs
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()


def test_grad_with_respect_to_a_non_leaf_runs_nothing_below_it():
    def prog(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        (g1,) = lib.autograd.grad((b * b).sum(), [b])
        (g2,) = lib.autograd.grad((b * 3).sum(), [b])  # b's own node was not run or freed
        (ga,) = lib.autograd.grad((b * b).sum(), [a])
        return g1, g2, ga, a.grad is None
    _same(prog(torch), prog(ft))
