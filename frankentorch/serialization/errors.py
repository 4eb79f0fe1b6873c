"""The errors serialization raises: every refusal is one of these, never a stray exception.

All derive from :class:`SerializationError` (a ``RuntimeError``, as PyTorch raises for corrupt
archives); pickle-level refusals are also ``pickle.UnpicklingError``, which is what
``torch.load(weights_only=True)`` raises for a forbidden global.
"""
from __future__ import annotations

import pickle

__all__ = ["SerializationError", "ArchiveError", "TruncatedArchiveError", "UnpicklingError",
           "UnsafeGlobalError", "UnsupportedTypeError", "CheckpointError", "UnknownFieldError", "VersionMismatchError",
           "ChecksumMismatchError", "IncompatibleCheckpointError", "SidecarError",
           "RepairError", "bounded"]

MESSAGE_LIMIT = 320


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, so a hostile file cannot flood a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SerializationError(RuntimeError):
    """Base of every error raised while saving, loading, verifying or repairing checkpoints."""


class ArchiveError(SerializationError):
    """The zip container is malformed, inconsistent, or its bytes fail their checks."""


class TruncatedArchiveError(ArchiveError, EOFError):
    """The file ends before the data it declares (empty files included)."""


class UnpicklingError(SerializationError, pickle.UnpicklingError):
    """The pickle stream is malformed or asks for something the restricted loader refuses."""


class UnsafeGlobalError(UnpicklingError):
    """The pickle names a global outside the allowlist; ``global_name`` says which."""

    def __init__(self, global_name: str) -> None:
        self.global_name = global_name
        super().__init__(
            f"Weights only load failed: unsupported global {bounded(global_name, 160)!r} is "
            "not in frankentorch's allowlist. frankentorch never executes arbitrary pickle "
            "code; if you trust this type, register it with "
            "frankentorch.serialization.add_safe_globals([...]).")


class UnsupportedTypeError(SerializationError, TypeError):
    """``save`` was given an object outside the types a checkpoint may hold."""


class CheckpointError(SerializationError):
    """The checkpoint envelope (frankentorch's typed manifest) is refused."""


class UnknownFieldError(CheckpointError):
    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"unknown field {bounded(field, 80)!r}")


class VersionMismatchError(CheckpointError):
    def __init__(self, expected: int, found) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"schema version mismatch: expected={expected} "
                         f"found={bounded(repr(found), 40)}")


class ChecksumMismatchError(CheckpointError):
    def __init__(self, what: str, expected: str, found: str) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"checksum mismatch for {bounded(what, 120)}: expected={expected} "
                         f"found={found}")


class IncompatibleCheckpointError(CheckpointError):
    """A field is missing, mistyped or contradicts the archive."""


class SidecarError(SerializationError):
    """A RaptorQ sidecar is missing, malformed or does not describe the file."""


class RepairError(SidecarError):
    """The damage exceeds what the sidecar can repair; the file was left untouched."""
