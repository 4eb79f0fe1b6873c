"""FT-P2C-007 devices and seeded randomness: device objects and placement, refusals of
devices frankentorch cannot run on, and random streams bit-identical to torch's CPU
generator (global seed, explicit Generators, state save/restore, fork_rng)."""
from __future__ import annotations

from . import Case

FAMILY = "device_guard"


def device_facts(m, spec: str):
    d = m.device(spec)
    return {"str": str(d), "type": d.type, "index": d.index, "repr": repr(d)}


def placement(m, target: str):
    x = m.ones(2, 3)
    y = x.to(target)
    return {"device": str(y.device), "is_meta": y.is_meta, "same_object": y is x,
            "shape": list(y.shape), "like": str(m.zeros_like(y).device)}


SAMPLERS = {
    "rand": lambda m, g: m.rand(3, 4, generator=g),
    "randn": lambda m, g: m.randn(5, generator=g, dtype=m.float64),
    "randint": lambda m, g: m.randint(-5, 7, (6,), generator=g),
    "randperm": lambda m, g: m.randperm(10, generator=g),
    "normal": lambda m, g: m.normal(m.zeros(4), m.ones(4), generator=g),
    "bernoulli": lambda m, g: m.bernoulli(m.full((8,), 0.3), generator=g),
    "multinomial": lambda m, g: m.multinomial(m.tensor([0.1, 0.6, 0.3]), 5,
                                              replacement=True, generator=g),
    "uniform_": lambda m, g: m.empty(5).uniform_(-2, 2, generator=g),
    "exponential_": lambda m, g: m.empty(4, dtype=m.float64).exponential_(generator=g),
    "rand_float16": lambda m, g: m.rand(4, dtype=m.float16, generator=g),
}


def seeded(m, sampler: str, seed: int, explicit: bool):
    """The same seed gives the same numbers as torch, twice in a row."""
    if explicit:
        g = m.Generator().manual_seed(seed)
        return [SAMPLERS[sampler](m, g), SAMPLERS[sampler](m, g)]
    m.manual_seed(seed)
    return [SAMPLERS[sampler](m, None), SAMPLERS[sampler](m, None)]


def state_replay(m):
    m.manual_seed(7)
    m.rand(3)
    state = m.get_rng_state()
    a = m.rand(4)
    m.set_rng_state(state)
    b = m.rand(4)
    return {"a": a, "b": b, "state_dtype": str(state.dtype), "state_shape": list(state.shape),
            "initial_seed": m.initial_seed()}


def fork(m):
    m.manual_seed(3)
    with m.random.fork_rng():
        inside = m.rand(2)
    return {"inside": inside, "after": m.rand(2)}


def dropout_seeded(m):
    m.manual_seed(11)
    x = m.ones(4, 5)
    return m.nn.functional.dropout(x, 0.4, training=True)


REFUSED = {
    "cuda_tensor": lambda m: m.zeros(2, device="cuda"),
    "bad_device_string": lambda m: m.device("gpu:0"),
    "negative_index": lambda m: m.device("cpu", -2),
    "bad_seed_type": lambda m: m.manual_seed("x"),
    "short_rng_state": lambda m: m.set_rng_state(m.zeros(10, dtype=m.uint8)),
    "randint_empty_range": lambda m: m.randint(5, 5, (2,)),
    "multinomial_negative": lambda m: m.multinomial(m.tensor([0.5, -0.1]), 1),
    "to_unknown_device": lambda m: m.ones(2).to("tpu"),
}


def refused(m, what: str):
    return REFUSED[what](m)


def cases() -> list[Case]:
    out = [Case(f"device/{s}", "happy", "device_facts", {"spec": s}, op="device")
           for s in ("cpu", "cpu:0", "meta")]
    out += [Case(f"placement/{t}", "happy", "placement", {"target": t}, op="to")
            for t in ("cpu", "meta")]
    out += [Case(f"seeded/{k}/{'generator' if e else 'global'}", "happy", "seeded",
                 {"sampler": k, "seed": 1234, "explicit": e}, op=k)
            for k in SAMPLERS for e in (False, True)]
    out += [Case("seeded/rand/seed_zero", "edge", "seeded",
                 {"sampler": "rand", "seed": 0, "explicit": False}, op="rand"),
            Case("seeded/randn/seed_2_63", "edge", "seeded",
                 {"sampler": "randn", "seed": 2 ** 63 - 1, "explicit": True}, op="randn"),
            Case("state_replay", "edge", "state_replay", op="rng_state"),
            Case("fork_rng", "edge", "fork", op="fork_rng"),
            Case("dropout_seeded", "happy", "dropout_seeded", op="dropout")]
    out += [Case(f"refused/{k}", "adversarial", "refused", {"what": k}, op=k.split("_")[0])
            for k in REFUSED]
    return out
