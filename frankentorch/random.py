"""``frankentorch.random``: the default CPU generator's seed and state (torch.random's API)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from ._core.generator import Generator, default_generator

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng",
           "thread_safe_generator"]


def manual_seed(seed) -> Generator:
    """Seed the default generator; any int in [-2**63, 2**64) (negatives wrap); returns it."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator nondeterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor (PyTorch's layout)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator from :func:`get_rng_state` (or torch's) output."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type=None) -> Iterator[None]:
    """Run a block and then put the CPU generator back in the state it had before (the only
    device frankentorch has)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def thread_safe_generator() -> Generator | None:
    """The generator of a DataLoader thread worker; frankentorch's workers use the default
    generator, so this is always ``None``."""
    return None
