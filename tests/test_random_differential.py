"""Seeded sampling against PyTorch: the same seed gives bit-identical values and leaves both
generators in the same state (same number of draws), for every sampler, dtype and size class
(torch changes algorithm with size, dtype and contiguity)."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
import torch

import frankentorch as ft
from conftest import dname, random_shape, random_strided, to_ft

FLOATS = ("float32", "float64", "float16", "bfloat16")
INTS = ("uint8", "int8", "int16", "int32", "int64")
SIZES = (0, 1, 15, 16, 17, 31, 1000, 100003)


def bits_of(x) -> tuple:
    """dtype, shape, strides and raw bytes (in logical order) of a torch or frankentorch
    tensor: equal tuples mean bit-identical values."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        dense = torch.empty(x.shape, dtype=x.dtype).copy_(x).reshape(-1)
        raw = dense.view(torch.uint8).numpy().tobytes() if x.numel() else b""
        return dname(x.dtype), tuple(x.shape), tuple(x.stride()), raw
    arr = np.ascontiguousarray(x.detach()._array())
    return dname(x.dtype), tuple(x.shape), tuple(x.stride()), arr.tobytes()


def same(a_ft, b_t) -> None:
    if isinstance(b_t, torch.Tensor):
        assert isinstance(a_ft, ft.Tensor), type(a_ft)
        fa, fb = bits_of(a_ft), bits_of(b_t)
        assert fa[:3] == fb[:3], (fa[:3], fb[:3])
        if fa[3] != fb[3]:
            diff = np.flatnonzero(np.frombuffer(fa[3], np.uint8) != np.frombuffer(fb[3],
                                                                                   np.uint8))
            raise AssertionError(f"values differ from byte {diff[0]} ({diff.size} bytes)")
    elif isinstance(b_t, (tuple, list)):
        assert len(a_ft) == len(b_t)
        for x, y in zip(a_ft, b_t):
            same(x, y)
    else:
        assert a_ft == b_t, (a_ft, b_t)


def seeded(prog, seed: int = 1234, *, state: bool = True):
    """Seed both libraries alike, run ``prog(lib)``, compare results bit for bit and the
    generators' states afterwards. Errors must be of torch's type."""
    results = []
    for lib in (torch, ft):
        lib.manual_seed(seed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(prog(lib))
        except Exception as e:  # noqa: BLE001  - the oracle's error is the expectation
            results.append(e)
    r_t, r_ft = results
    if isinstance(r_t, Exception):
        assert isinstance(r_ft, type(r_t)), f"torch: {r_t!r}; frankentorch: {r_ft!r}"
        assert str(r_ft).split("\n")[0] == str(r_t).split("\n")[0] or \
            isinstance(r_t, TypeError), (str(r_t), str(r_ft))
    else:
        assert not isinstance(r_ft, Exception), f"frankentorch raised {r_ft!r}"
        same(r_ft, r_t)
    if state:
        assert bytes(ft.get_rng_state()._array()) == torch.get_rng_state().numpy().tobytes()
    return r_t, r_ft


def dt(lib, name):
    return getattr(lib, name)


# ---------------------------------------------------------------- factories

@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("n", SIZES)
def test_rand_randn(name, n):
    if n == 100003 and name in ("float16", "bfloat16"):
        n = 4099
    seeded(lambda lib: [lib.rand(n, dtype=dt(lib, name)), lib.randn(n, dtype=dt(lib, name)),
                        lib.randn(n, dtype=dt(lib, name)), lib.rand(3, n % 7, dtype=dt(lib, name))])


def test_default_dtype_and_shapes():
    seeded(lambda lib: [lib.rand(2, 3), lib.randn((4, 5)), lib.rand([]), lib.randn(()),
                        lib.rand(0, 3), lib.randn(1, 16), lib.randn(2, 8),
                        lib.rand(size=(2, 3)), lib.randn(size=[17]), lib.randperm(n=4)])
    seeded(lambda lib: lib.rand(2, size=(3,)))
    seeded(lambda lib: lib.rand())
    seeded(lambda lib: lib.randn(-1))


def test_scalar_normal_cache_carries_over():
    # sizes below 16 draw Box-Muller pairs and keep the second sample for the next call
    seeded(lambda lib: [lib.randn(1), lib.randn(1), lib.randn(3), lib.randn(2, dtype=lib.float64),
                        lib.empty(5).normal_(2.0, 0.5), lib.randn(16)])


@pytest.mark.parametrize("low,high", [(0, 10), (-7, 3), (-(1 << 40), 1 << 40), (0, 1 << 28),
                                      (0, (1 << 28) - 1), (5, 6)])
def test_randint_ranges(low, high):
    seeded(lambda lib: [lib.randint(low, high, (1000,)), lib.randint(high, (3, 4))
                        if high > 0 else lib.randint(low, high, (3, 4))])


@pytest.mark.parametrize("name", INTS + ("float32", "float64", "float16", "bfloat16"))
def test_randint_dtypes(name):
    seeded(lambda lib: [lib.randint(0, 100, (257,), dtype=dt(lib, name)),
                        lib.randint(-3, 4, (5, 3), dtype=dt(lib, name))
                        if name != "uint8" else lib.randint(3, 4, (2,), dtype=dt(lib, name))])


def test_randint_argument_forms():
    seeded(lambda lib: [lib.randint(5, size=(3,)), lib.randint(2, 5, size=(3,)),
                        lib.randint(high=5, size=(3,)), lib.randint(low=2, high=5, size=[3]),
                        lib.randint(5, (2, 2)), lib.randint_like(lib.zeros(3), high=4)])
    seeded(lambda lib: lib.randint(5))
    seeded(lambda lib: lib.randint(2, 5, 3))
    seeded(lambda lib: lib.randint(5, 3))


def test_randint_bool_and_errors():
    seeded(lambda lib: lib.randint(0, 2, (40,), dtype=lib.bool))
    seeded(lambda lib: lib.randint(5, 3, (2,)))
    seeded(lambda lib: lib.randint(0, 300, (2,), dtype=lib.int8))
    seeded(lambda lib: lib.randint(0, 2 ** 20, (2,), dtype=lib.float16))


@pytest.mark.parametrize("n", (0, 1, 2, 15, 1000, 100003))
def test_randperm(n):
    seeded(lambda lib: [lib.randperm(n), lib.randperm(n, dtype=lib.int32),
                        lib.randperm(n, dtype=lib.float64)])


def test_randperm_dtypes_and_limits():
    seeded(lambda lib: [lib.randperm(2049, dtype=lib.float16),
                        lib.randperm(257, dtype=lib.bfloat16),
                        lib.randperm(128, dtype=lib.int8), lib.randperm(300, dtype=lib.float32)])
    seeded(lambda lib: lib.randperm(2050, dtype=lib.float16))
    seeded(lambda lib: lib.randperm(1000, dtype=lib.bfloat16))
    seeded(lambda lib: lib.randperm(1000, dtype=lib.int8))
    seeded(lambda lib: lib.randperm(-1))
    seeded(lambda lib: lib.randperm(3, dtype=lib.bool))


def test_like_factories_keep_layout():
    def prog(lib):
        base = lib.zeros(6, 5).t()
        cl = lib.zeros(2, 3, 4).permute(2, 0, 1)
        return [lib.rand_like(base), lib.randn_like(base), lib.randint_like(base, 9),
                lib.randint_like(base, -4, 9), lib.rand_like(cl, dtype=lib.float64),
                lib.randn_like(cl), lib.randint_like(lib.zeros(3, dtype=lib.int16), 3, 7),
                lib.randn_like(lib.zeros(40, 2)[::2])]
    seeded(prog)


def test_out_and_requires_grad():
    def prog(lib):
        o = lib.empty(2)
        r = lib.rand(3, 4, out=o)
        g = lib.randn(5, requires_grad=True)
        return [r is o, o, g.requires_grad, g.detach(),
                lib.normal(0.0, 1.0, (3,), out=lib.empty(0))]
    seeded(prog)


# ---------------------------------------------------------------- normal overloads

@pytest.mark.parametrize("n", (1, 15, 16, 33))
def test_normal_overloads(n):
    def prog(lib):
        mean = lib.arange(float(n))
        std = lib.arange(float(n)) / 4 + 0.5
        return [lib.normal(mean, 2.0), lib.normal(mean), lib.normal(-1.5, std),
                lib.normal(mean, std), lib.normal(mean.reshape(n, 1), std),
                lib.normal(0.5, 3.0, (n, 2)), lib.normal(1.0, 2.0, size=(n,), dtype=lib.float64),
                lib.normal(mean.double(), 1.0), lib.normal(mean, std.double())]
    seeded(prog)


def test_normal_errors():
    seeded(lambda lib: lib.normal(lib.zeros(3), -1.0))
    seeded(lambda lib: lib.normal(0.0, lib.tensor([1.0, -1.0])))
    seeded(lambda lib: lib.normal(lib.zeros(2), lib.ones(3)))
    seeded(lambda lib: lib.normal(lib.zeros(3, dtype=lib.int64), 1.0))
    seeded(lambda lib: lib.empty(3).normal_(0.0, -1e-5))
    seeded(lambda lib: lib.empty(3, dtype=lib.int32).normal_())


# ---------------------------------------------------------------- in-place samplers

def _targets(lib, name):
    """Contiguous and non-contiguous targets of several sizes (fill order follows strides)."""
    d = dt(lib, name)
    return [lib.empty(0, dtype=d), lib.empty(1, dtype=d), lib.empty(17, dtype=d),
            lib.empty(7, 5, dtype=d).t(), lib.empty(40, dtype=d)[::3],
            lib.empty(2, 3, 4, dtype=d).permute(1, 2, 0), lib.empty(8, 9, dtype=d)[1:6, 2:8]]


@pytest.mark.parametrize("name", FLOATS)
def test_uniform_normal_exponential_inplace(name):
    def prog(lib):
        out = []
        for t in _targets(lib, name):
            out.append(t.uniform_())
            out.append(t.uniform_(-2.5, 7.25))
            out.append(t.normal_())
            out.append(t.normal_(0.3, 2.7))
            out.append(t.exponential_())
            out.append(t.exponential_(3.5))
        return out
    seeded(prog)


@pytest.mark.parametrize("name", FLOATS)
def test_cauchy_log_normal_geometric(name):
    def prog(lib):
        out = []
        for t in _targets(lib, name):
            out += [t.cauchy_().clone(), t.cauchy_(1.5, 0.25).clone(), t.log_normal_().clone(),
                    t.log_normal_(0.1, 0.5).clone(), t.geometric_(0.3).clone()]
        out.append(lib.empty(50, dtype=lib.int32).geometric_(0.05))
        return out
    seeded(prog)


def test_cauchy_log_normal_geometric_errors():
    seeded(lambda lib: lib.empty(3).cauchy_(0.0, 0.0))
    seeded(lambda lib: lib.empty(0, dtype=lib.int64).cauchy_())
    seeded(lambda lib: lib.empty(3).geometric_(1.5))
    seeded(lambda lib: lib.empty(3, dtype=lib.bool).geometric_(0.5))
    seeded(lambda lib: lib.empty(3).log_normal_(0.0, 0.0))
    seeded(lambda lib: lib.empty(3, dtype=lib.int64).log_normal_())


@pytest.mark.parametrize("case", range(40))
def test_inplace_on_random_layouts(case):
    # arbitrary strided views (sliced, permuted, offset, gapped, expanded): the fill order
    # is TensorIterator's, so every layout must draw exactly as torch does
    rng = random.Random(case)
    shape = random_shape(rng, max_nd=4, max_size=5)
    dtype = rng.choice((torch.float32, torch.float64, torch.float16, torch.int32))
    base = random_strided(rng, shape, dtype)
    method = rng.choice(("uniform_", "normal_", "bernoulli_", "random_", "exponential_"))
    if dtype == torch.int32 and method in ("uniform_", "normal_", "exponential_"):
        method = "random_"

    def prog(lib):
        t = base if lib is torch else to_ft(base)
        return getattr(t, method)()
    seeded(lambda lib: prog(lib).clone())


@pytest.mark.parametrize("name", FLOATS + INTS + ("bool",))
def test_random_inplace(name):
    def prog(lib):
        out = []
        for t in _targets(lib, name):
            out.append(t.random_())
            out.append(t.random_(2))
            out.append(t.random_(0, 2))
            if name not in ("bool", "uint8"):
                out.append(t.random_(-3, 100))
        return out
    seeded(prog)


@pytest.mark.parametrize("name", ("int64", "float32", "float64", "bfloat16"))
def test_random_full_and_wide_ranges(name):
    def prog(lib):
        t = lib.empty(64, dtype=dt(lib, name))
        return [t.random_(-2 ** 63, None).clone(), t.random_(5, None).clone(),
                t.random_(-(1 << 30), 1 << 32).clone()]
    seeded(prog)


def test_random_errors():
    seeded(lambda lib: lib.empty(3).random_(5, 3))
    seeded(lambda lib: lib.empty(3, dtype=lib.int8).random_(0, 300))
    seeded(lambda lib: lib.empty(3, dtype=lib.int32).random_(-2 ** 40, 0))
    seeded(lambda lib: lib.empty(3, dtype=lib.uint8).random_(-1, 3))
    seeded(lambda lib: lib.empty(3, dtype=lib.int32).random_(-2 ** 63, None))
    seeded(lambda lib: lib.empty(3, dtype=lib.float16).random_(0, 2 ** 20))
    seeded(lambda lib: lib.empty(3, dtype=lib.bool).random_(0, 3))


def test_uniform_exponential_errors():
    seeded(lambda lib: lib.empty(3).uniform_(2.0, 1.0))
    seeded(lambda lib: lib.empty(3).uniform_(-1e300, 1.0))
    seeded(lambda lib: lib.empty(3, dtype=lib.float16).uniform_(-65504.0, 65504.0))
    seeded(lambda lib: lib.empty(3, dtype=lib.int64).uniform_())
    seeded(lambda lib: lib.rand(3, dtype=lib.int64))
    seeded(lambda lib: lib.randn(3, dtype=lib.int32))
    seeded(lambda lib: lib.empty(3).exponential_(0.0))
    seeded(lambda lib: lib.empty(3, dtype=lib.int32).exponential_())
    seeded(lambda lib: lib.zeros(2).expand(3, 2).normal_())
    seeded(lambda lib: lib.zeros(2).expand(3, 2).uniform_())


# ---------------------------------------------------------------- bernoulli

@pytest.mark.parametrize("name", FLOATS + INTS + ("bool",))
def test_bernoulli_float_p(name):
    def prog(lib):
        out = [lib.bernoulli(lib.zeros(33, dtype=dt(lib, name)), 0.3)]
        for t in _targets(lib, name):
            out.append(t.bernoulli_(0.7))
            out.append(t.bernoulli_())
        return out
    seeded(prog)


@pytest.mark.parametrize("pname", ("float32", "float64", "float16", "bfloat16"))
def test_bernoulli_tensor_p(pname):
    def prog(lib):
        p = lib.linspace(0, 1, 24, dtype=dt(lib, pname))
        out = [lib.bernoulli(p), lib.bernoulli(p.reshape(4, 6).t()),
               lib.bernoulli(p, generator=lib.Generator().manual_seed(3))]
        t = lib.empty(6, 4).t()
        out.append(t.bernoulli_(p.reshape(4, 6)))
        out.append(lib.empty(5, 3, dtype=lib.int32).bernoulli_(p[:3]))
        out.append(lib.empty(3, 5, dtype=lib.bool).t().bernoulli_(p[:3]))
        o = lib.empty(0)
        out.append(lib.bernoulli(p, out=o))
        return out
    seeded(prog)


def test_bernoulli_errors():
    seeded(lambda lib: lib.empty(3).bernoulli_(1.5))
    seeded(lambda lib: lib.bernoulli(lib.tensor([0.5, 1.5, 0.2])))
    seeded(lambda lib: lib.bernoulli(lib.tensor([0.5]), 1.3))
    seeded(lambda lib: lib.empty(3).bernoulli_(lib.tensor([1, 0, 1])))
    seeded(lambda lib: lib.empty(3).bernoulli_(lib.rand(4)))


# ---------------------------------------------------------------- multinomial

@pytest.mark.parametrize("name", ("float32", "float64", "float16", "bfloat16"))
def test_multinomial(name):
    def prog(lib):
        p = (lib.arange(40.0).reshape(4, 10) % 7 + 0.5).to(dt(lib, name))
        q = lib.tensor([0.0, 2.0, 0.0, 1.0, 5.0], dtype=dt(lib, name))
        return [lib.multinomial(p, 1), lib.multinomial(p, 4), lib.multinomial(p, 10),
                lib.multinomial(p, 25, replacement=True), lib.multinomial(q, 3),
                lib.multinomial(q, 50, True), p.multinomial(2, True),
                lib.multinomial(p.t(), 3), lib.multinomial(q, 1, True)]
    seeded(prog)


def test_multinomial_errors():
    seeded(lambda lib: lib.multinomial(lib.tensor([0.2, -1.0]), 1))
    seeded(lambda lib: lib.multinomial(lib.tensor([0.2, -1.0]), 2, True))
    seeded(lambda lib: lib.multinomial(lib.tensor([[0.2, 1.0], [1.0, float("inf")]]), 3, True))
    seeded(lambda lib: lib.multinomial(lib.tensor([[0.2, 1.0], [0.0, 0.0]]), 3, True))
    seeded(lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1))
    seeded(lambda lib: lib.multinomial(lib.tensor([0.2, 0.3]), 3))
    seeded(lambda lib: lib.multinomial(lib.tensor([0.2, 0.3]), 0))
    seeded(lambda lib: lib.multinomial(lib.tensor([1, 2]), 1))
    seeded(lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1))


# ---------------------------------------------------------------- generators and state

def test_generator_objects_are_independent():
    def prog(lib):
        g = lib.Generator().manual_seed(99)
        h = lib.Generator()
        h.manual_seed(7)
        a = lib.rand(20, generator=g)
        b = lib.randn(20, generator=h)
        c = lib.rand(3)  # default generator, untouched by g and h
        d = lib.randperm(50, generator=g)
        e = lib.randint(0, 9, (30,), generator=h)
        f = lib.empty(40).normal_(generator=g)
        k = lib.multinomial(lib.ones(6), 3, generator=h)
        m = lib.normal(lib.zeros(5), 1.0, generator=g)
        return [a, b, c, d, e, f, k, m, g.initial_seed(), h.initial_seed(),
                bytes(np.asarray(g.get_state())), bytes(np.asarray(h.get_state()))]
    seeded(prog)


def test_manual_seed_values():
    def prog(lib):
        out = []
        for s in (0, 1, -1, 2 ** 32 + 5, 2 ** 64 - 1, -(2 ** 63), 67280421310721):
            lib.manual_seed(s)
            out += [lib.initial_seed(), lib.rand(2)]
        out.append(lib.manual_seed(3) is lib.default_generator)
        out.append(lib.Generator().initial_seed())
        return out
    seeded(prog, state=False)
    seeded(lambda lib: lib.manual_seed(2 ** 64))
    seeded(lambda lib: lib.manual_seed(-(2 ** 63) - 1))
    seeded(lambda lib: lib.Generator().manual_seed(1.5))
    seeded(lambda lib: lib.Generator().manual_seed("3"))


def test_state_layout_and_exchange():
    # torch's state loads into frankentorch and back, mid-stream and with a cached normal
    for lib in (torch, ft):
        lib.manual_seed(5)
        lib.rand(700)
        lib.randn(3)  # odd count: the second Box-Muller sample is cached
    t_state = torch.get_rng_state()
    f_state = ft.get_rng_state()
    assert tuple(f_state.shape) == (5056,) and dname(f_state.dtype) == "uint8"
    assert bytes(f_state._array()) == t_state.numpy().tobytes()
    ft.manual_seed(0)
    ft.set_rng_state(ft.from_numpy(t_state.numpy().copy()))
    same(ft.randn(5), torch.randn(5))
    torch.manual_seed(0)
    torch.set_rng_state(torch.from_numpy(np.array(ft.get_rng_state()._array())))
    same(ft.rand(40), torch.rand(40))
    g, tg = ft.Generator(), torch.Generator()
    tg.set_state(torch.get_rng_state())
    g.set_state(ft.get_rng_state())
    same(ft.randn(7, generator=g), torch.randn(7, generator=tg))
    assert bytes(g.get_state()._array()) == tg.get_state().numpy().tobytes()


def test_generator_pickles_and_clones():
    import pickle

    def prog(lib):
        g = lib.Generator().manual_seed(21)
        lib.rand(5, generator=g)
        h = pickle.loads(pickle.dumps(g))
        c = g.clone_state()
        return [lib.randn(3, generator=h), lib.randn(3, generator=c), lib.randn(3, generator=g),
                h.initial_seed()]
    seeded(prog)
    seeded(lambda lib: lib.Generator().get_offset(), state=False)


def test_set_state_errors():
    seeded(lambda lib: lib.set_rng_state(lib.zeros(10, dtype=lib.uint8)), state=False)
    seeded(lambda lib: lib.set_rng_state(lib.zeros(5056, dtype=lib.uint8)), state=False)
    seeded(lambda lib: lib.set_rng_state(lib.zeros(5056)), state=False)
    seeded(lambda lib: lib.Generator().set_state(lib.zeros(10112, dtype=lib.uint8)[::2]),
           state=False)
    seeded(lambda lib: lib.rand(3, generator=5), state=False)


def test_seed_and_fork_rng():
    s = ft.seed()
    assert ft.initial_seed() == s and 0 <= s < 2 ** 53
    ft.manual_seed(11)
    before = ft.rand(4)
    ft.manual_seed(11)
    with ft.random.fork_rng():
        ft.randn(100)
    same(ft.rand(4), torch.from_numpy(np.array(before._array())))
    assert ft.random.thread_safe_generator() is None
    assert set(torch.random.__all__) <= set(ft.random.__all__)


def test_meta_device_draws_nothing():
    def prog(lib):
        return [tuple(lib.rand(3, 4, device="meta").shape), lib.randn(5, device="meta").device.type,
                tuple(lib.randint(0, 5, (2,), device="meta").shape), lib.rand(2)]
    seeded(prog)


# ---------------------------------------------------------------- autograd

def test_sampler_derivatives_are_zero():
    def prog(lib):
        x = lib.rand(4, requires_grad=True)
        y = lib.normal(x, x + 1) + lib.normal(x, 1.0) + lib.normal(1.0, x + 1) + lib.bernoulli(x)
        z = (x * 1).uniform_() + (x * 1).normal_() + (x * 1).exponential_() + \
            (x * 1).bernoulli_(0.5) + (x * 1).bernoulli_(x) + (x * 1).random_(3)
        names = [t.grad_fn.name() for t in (
            lib.normal(x, 1.0), lib.normal(1.0, x + 1), lib.normal(x, x + 1), lib.bernoulli(x),
            lib.bernoulli(x, 0.5), (x * 1).normal_(), (x * 1).uniform_(), (x * 1).exponential_(),
            (x * 1).bernoulli_(0.5), (x * 1).bernoulli_(x), (x * 1).random_(),
            (x * 1).random_(3), (x * 1).random_(1, 3), (x * 1).cauchy_(),
            (x * 1).geometric_(0.5), (x * 1).log_normal_())]
        (y.sum() + z.sum()).backward()
        return [x.grad, names]
    seeded(prog)
    seeded(lambda lib: lib.rand(3, requires_grad=True).normal_())
    seeded(lambda lib: lib.bernoulli(lib.rand(3, requires_grad=True), 0.5).sum().backward())
