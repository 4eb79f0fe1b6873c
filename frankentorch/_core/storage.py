"""Untyped storage: one flat byte buffer, its identity, and the version counter of all its views."""
from __future__ import annotations

import ctypes

import numpy as np

from .device import CPU, META, device

__all__ = ["Storage", "allocate", "store", "cast"]


def allocate(n: int, np_dtype: np.dtype) -> np.ndarray:
    """``np.empty(n)``, with PyTorch's RuntimeError when the memory cannot be had."""
    try:
        return np.empty(n, dtype=np_dtype)
    except (MemoryError, ValueError):
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                           f"{n * np_dtype.itemsize} bytes.") from None


def store(dst: np.ndarray, values) -> None:
    """``dst[...] = values`` with C-cast semantics and no NumPy warnings: values out of a
    narrower float type's range become inf silently, as in PyTorch."""
    with np.errstate(over="ignore", invalid="ignore"):
        dst[...] = values


def cast(values: np.ndarray, np_dtype) -> np.ndarray:
    """``values.astype(np_dtype)`` with the same silent C-cast semantics as :func:`store`."""
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(np_dtype, copy=False)


class Storage:
    """Bytes shared by every tensor viewing them.

    ``raw`` is a 1-D uint8 NumPy array (None on the meta device, which keeps only the size).
    ``version`` counts in-place writes; all views see the same counter, which autograd uses
    to detect tensors modified after being saved.
    """

    __slots__ = ("raw", "_nbytes", "device", "version", "_owner", "__weakref__")

    def __init__(self, nbytes: int, dev: device = CPU, raw: np.ndarray | None = None,
                 owner=None) -> None:
        self._nbytes = nbytes
        self.device = dev
        if raw is None and dev is not META:
            raw = allocate(nbytes, np.dtype(np.uint8))
        self.raw = raw
        self.version = 0
        self._owner = owner  # keeps foreign memory (e.g. a NumPy array) alive

    @classmethod
    def wrap(cls, array: np.ndarray) -> tuple["Storage", int]:
        """Share the memory of a NumPy array; returns the storage and the array's element offset.

        Covers exactly the bytes the array can reach (from its lowest to its highest element).
        """
        item = array.itemsize
        if array.size == 0:
            return cls(0), 0
        hi = 0
        for n, st in zip(array.shape, array.strides):
            if st < 0:
                raise ValueError("At least one stride in the given numpy array is negative, and "
                                 "tensors with negative strides are not currently supported. "
                                 "(You can probably work around this by making a copy of your "
                                 "array  with array.copy().) ")
            hi += (n - 1) * st
        nbytes = hi + item
        if array.flags.c_contiguous:
            raw = array.reshape(-1).view(np.uint8)
        else:
            ptr = array.__array_interface__["data"][0]
            buf = (ctypes.c_uint8 * nbytes).from_address(ptr)
            raw = np.frombuffer(buf, dtype=np.uint8)
            if not array.flags.writeable:
                raw.flags.writeable = False
        return cls(nbytes, CPU, raw, owner=array), 0

    def nbytes(self) -> int:
        return self._nbytes

    def size(self) -> int:
        return self._nbytes

    __len__ = size

    def data_ptr(self) -> int:
        if self.raw is None:
            return 0
        return self.raw.__array_interface__["data"][0]

    def typed(self, np_dtype: np.dtype) -> np.ndarray | None:
        """The whole storage viewed as a flat array of ``np_dtype`` (whole elements only)."""
        if self.raw is None:
            return None
        n = self._nbytes // np_dtype.itemsize
        return self.raw[: n * np_dtype.itemsize].view(np_dtype)

    def __repr__(self) -> str:
        return f"frankentorch.UntypedStorage(nbytes={self._nbytes}, device={self.device})"
