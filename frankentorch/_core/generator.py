"""``Generator``: PyTorch's CPU random generator (mt19937 plus a cached normal sample).

The engine state lives in NumPy arrays the sampling kernels mutate in place: ``_mt`` (624
uint32 words) and ``_pos`` ([left, next]). ``get_state``/``set_state`` use the 5056-byte
layout of ATen's ``CPUGeneratorImplState``, so states move freely between frankentorch and
PyTorch (``torch.set_rng_state(frankentorch.get_rng_state())`` and back).
"""
from __future__ import annotations

import os

import numpy as np

from .device import CPU, as_device

__all__ = ["Generator", "default_generator", "STATE_SIZE"]

# CPUGeneratorImplState: the legacy TH generator record followed by the float normal cache.
_STATE = np.dtype([("seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
                   ("state", "<u8", (624,)), ("normal_x", "<f8"), ("normal_y", "<f8"),
                   ("normal_rho", "<f8"), ("normal_is_valid", "<i4"), ("pad", "V4"),
                   ("next_float_normal", "<f4"), ("float_normal_is_valid", "u1"),
                   ("pad2", "V3")])
STATE_SIZE = _STATE.itemsize  # 5056
_DEFAULT_SEED = 67280421310721
_U64 = (1 << 64) - 1


def _unpack_seed(seed) -> int:
    """A seed as c10 takes it: any int64 or uint64 value, negatives wrapped to uint64."""
    if not hasattr(seed, "__index__"):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = seed.__index__()
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


def _entropy_seed() -> int:
    """A nondeterministic seed of 53 bits (c10 keeps seeds exactly representable as doubles)."""
    return int.from_bytes(os.urandom(8), "little") & ((1 << 53) - 1)


class Generator:
    """A CPU random generator; its draws match ``torch.Generator`` seeded alike."""

    __slots__ = ("_mt", "_pos", "_normal", "_float_normal", "_seed", "_pending", "device")

    def __init__(self, device="cpu") -> None:
        dev = as_device(device)
        if dev.type != "cpu":
            raise RuntimeError(f"Device type {dev.type.upper()} is not supported for torch."
                               "Generator() api.")
        self.device = CPU
        self._mt = np.zeros(624, np.uint32)
        self._pos = np.zeros(2, np.int64)
        self._normal = np.zeros(2, np.float64)  # [valid, value] of the cached double normal
        self._float_normal: float | None = None
        self._reseed(_DEFAULT_SEED)

    def _reseed(self, seed: int) -> None:
        """Seed lazily: the engine words are filled on first use (keeps import light)."""
        self._seed = seed
        self._normal[:] = 0.0
        self._float_normal = None
        self._pending = True

    def engine(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mt, pos, normal cache) for the sampling kernels, seeded if still pending."""
        if self._pending:
            from .._kernels.random import seed as mt_seed
            mt_seed(self._mt, self._pos, self._seed & 0xFFFFFFFF)
            self._pending = False
        return self._mt, self._pos, self._normal

    def manual_seed(self, seed) -> "Generator":
        """Seed the engine (only the low 32 bits reach mt19937; all 64 are remembered)."""
        self._reseed(_unpack_seed(seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed used."""
        s = _entropy_seed()
        self._reseed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state as a 5056-element uint8 tensor in ATen's layout."""
        from .._tensor import from_array
        mt, pos, _ = self.engine()
        rec = np.zeros((), _STATE)
        rec["seed"] = self._seed
        rec["left"] = pos[0]
        rec["seeded"] = 1
        rec["next"] = pos[1]
        rec["state"] = mt
        if self._normal[0]:
            rec["normal_is_valid"] = 1
            rec["normal_y"] = self._normal[1]
        if self._float_normal is not None:
            rec["float_normal_is_valid"] = 1
            rec["next_float_normal"] = self._float_normal
        return from_array(np.frombuffer(rec.tobytes(), np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        """Restore a state from :meth:`get_state` (or from ``torch``'s CPU generator)."""
        from .._tensor import Tensor
        from . import dtype as D
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state._dtype is not D.uint8 or new_state._device.type != "cpu":
            raise TypeError("RNG state must be a torch.ByteTensor")
        if not new_state.is_contiguous():
            raise RuntimeError("RNG state must be contiguous")
        n = new_state.numel()
        if n != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but "
                               f"found the input RNG state size to be {n}")
        rec = np.frombuffer(new_state._array().reshape(-1).tobytes(), _STATE)[0]
        left, nxt = int(rec["left"]), int(rec["next"]) & 0xFFFFFFFF
        # torch also requires the countdown and the read index to agree (every state its
        # engine produces does); the kernels rely on it to stay inside the 624 words
        if not (rec["seeded"] and 0 < left <= 624 and nxt <= 624) or \
                (left + nxt != 625 and (left, nxt) != (1, 0)):
            raise RuntimeError("Invalid mt19937 state")
        self._mt[:] = (rec["state"] & 0xFFFFFFFF).astype(np.uint32)
        self._pos[:] = (left, nxt)
        self._seed = int(rec["seed"])
        self._pending = False
        self._normal[:] = (1.0, rec["normal_y"]) if rec["normal_is_valid"] else (0.0, 0.0)
        self._float_normal = float(rec["next_float_normal"]) \
            if rec["float_normal_is_valid"] else None
        return self

    def clone_state(self) -> "Generator":
        """An independent generator in this one's current state."""
        g = Generator()
        g._mt[:], g._pos[:], g._normal[:] = self.engine()
        g._float_normal, g._seed, g._pending = self._float_normal, self._seed, False
        return g

    def get_offset(self) -> int:
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset: int) -> "Generator":
        raise RuntimeError("CPU Generator does not use offset")

    def __reduce__(self):
        """Pickles as its state, like torch's generators."""
        return _restore, (bytes(self.get_state()._array()),)

    def __repr__(self) -> str:
        return f"<frankentorch.Generator object at {hex(id(self))}>"


def _restore(state: bytes) -> Generator:
    from .._tensor import from_array
    return Generator().set_state(from_array(np.frombuffer(state, np.uint8).copy()))


default_generator = Generator()
default_generator.manual_seed(_entropy_seed())  # as torch: a fresh seed per process
