"""Fixture families: one module per packet, each a list of cases plus the programs they run.

A family module defines

* ``cases() -> list[Case]``: happy, edge and adversarial cases (no torch needed);
* the programs the cases name: ``def program(m, **params)`` runs against a library ``m``
  (``torch`` or ``frankentorch``, or what the module's ``api(lib)`` makes of it) and returns
  what is compared;
* or, where the cases come from elsewhere (the OpInfo samples of the kernels family),
  ``capture()`` returning fixture cases with their expected results, and
  ``live(modes, case_ids, progress)`` / ``live_size()`` for the live oracle.

:data:`FAMILIES` lists every family with its packet; :func:`load` imports one, or raises
:class:`NotReady` naming what frankentorch still lacks for it.
"""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from types import ModuleType

__all__ = ["Case", "Family", "FAMILIES", "NotReady", "load", "by_packet", "case_seed"]


@dataclass(frozen=True)
class Case:
    """One conformance case. ``id`` is unique in its family; ``kind`` is ``happy``, ``edge``
    or ``adversarial``; ``op`` names what it exercises (defaults to the program).
    ``hardened_deviation`` is the allowlist id under which hardened mode may differ."""

    id: str
    kind: str
    program: str
    params: dict = field(default_factory=dict)
    op: str = ""
    hardened_deviation: str | None = None
    check_strides: bool = True

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "op": self.op or self.program,
                "program": self.program, "params": self.params,
                "hardened_deviation": self.hardened_deviation,
                "check_strides": self.check_strides}


@dataclass(frozen=True)
class Family:
    name: str        #: fixture folder and suite id
    packet_id: str
    title: str
    module: str      #: module under ``frankentorch.conformance.families``
    requires: tuple  #: frankentorch modules that must import for the family to run

    @property
    def suite_id(self) -> str:
        return self.name


FAMILIES = (
    Family("tensor_meta", "FT-P2C-001", "tensor core: metadata, views, storage, versions",
           "tensor_meta", ("frankentorch._core.meta",)),
    Family("dispatch_keys", "FT-P2C-002", "dispatch keys and key sets",
           "dispatch_keys", ("frankentorch._dispatch.keys",)),
    Family("op_schema", "FT-P2C-003", "op schemas, binding and dispatcher",
           "op_schema", ("frankentorch._dispatch.schema",)),
    Family("autograd_scheduler", "FT-P2C-004", "autograd graph and engine",
           "autograd_scheduler", ("frankentorch.autograd.engine",)),
    Family("kernels", "FT-P2C-005", "CPU kernels over OpInfo samples", "kernels",
           ("frankentorch._kernels",)),
    Family("serialization", "FT-P2C-006", "save/load, checkpoints and sidecars",
           "serialization", ("frankentorch.serialization",)),
    Family("device_guard", "FT-P2C-007", "devices and seeded randomness",
           "device_guard", ("frankentorch.random", "frankentorch._ops.random")),
    Family("nn_state", "FT-P2C-008", "nn modules, state dicts, optimizers and data",
           "nn_state", ("frankentorch.nn", "frankentorch.optim")),
)


class NotReady(Exception):
    """A family cannot run yet; the message says what is missing."""


def by_packet(packet_id: str) -> Family:
    for f in FAMILIES:
        if f.packet_id == packet_id:
            return f
    raise KeyError(f"unknown packet {packet_id!r}; known: {[f.packet_id for f in FAMILIES]}")


def load(family: Family) -> ModuleType:
    """The family's module, after checking frankentorch has what it exercises."""
    for mod in family.requires:
        try:
            importlib.import_module(mod)
        except ImportError as e:
            raise NotReady(f"{family.packet_id} ({family.name}): {mod} is not importable "
                           f"({e})") from None
    try:
        return importlib.import_module(f"{__name__}.{family.module}")
    except ModuleNotFoundError as e:
        if e.name == f"{__name__}.{family.module}":
            raise NotReady(f"{family.packet_id} ({family.name}): no fixture family module "
                           f"{family.module}") from None
        raise


def case_seed(suite_id: str, case_id: str) -> int:
    """A stable 63-bit seed per case (programs that draw random inputs use it)."""
    digest = hashlib.blake2b(f"{suite_id}/{case_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
