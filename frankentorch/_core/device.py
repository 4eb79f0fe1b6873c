"""Device objects: ``cpu`` computes, ``meta`` carries shapes only, ``cuda`` is nameable but absent."""
from __future__ import annotations

__all__ = ["device", "CPU", "META", "as_device"]

_KNOWN_TYPES = ("cpu", "cuda", "meta", "mps", "xpu", "xla", "hip", "ipu", "hpu", "mtia",
                "privateuseone", "lazy", "ve", "fpga", "maia", "vulkan", "ort", "mkldnn", "opengl",
                "opencl", "ideep")


class device:
    """A device, printed and compared like ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None) -> None:
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): unexpected index for a device object")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("frankentorch has no accelerator: an integer device ordinal "
                               f"({type}) names a CUDA device, which is not available")
        if not isinstance(type, str):
            raise TypeError("device() received an invalid combination of arguments - got "
                            f"({type.__class__.__name__}), but expected one of: (str type, "
                            "int index = None)")
        name, sep, idx = type.partition(":")
        if name not in _KNOWN_TYPES:
            raise RuntimeError("Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, "
                               "hip, ve, fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, "
                               f"privateuseone device type at start of device string: {type}")
        if sep:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
META = device("meta")


def as_device(value) -> device:
    """Normalise a ``device=`` argument (None means cpu); refuse devices frankentorch lacks."""
    if value is None:
        return CPU
    d = value if isinstance(value, device) else device(value)
    if d.type == "cpu":
        return CPU
    if d.type == "meta":
        return META
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    raise RuntimeError(f"frankentorch has no backend for device type '{d.type}'")
