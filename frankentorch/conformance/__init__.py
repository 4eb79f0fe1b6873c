"""Conformance: proof, case by case, that frankentorch behaves like PyTorch.

This is the only part of the package allowed to import torch, and it does so lazily inside
functions: ``import frankentorch`` (and even ``import frankentorch.conformance``) never loads
torch, and the fixture oracle runs without torch installed.

* :mod:`.families` - one fixture family per packet (FT-P2C-001 .. 008): cases and programs;
* :mod:`.observe` - results of either library as JSON, and the drift taxonomy;
* :mod:`.runner` - strict/hardened runs against captured fixtures or live torch, the
  hardened allowlist, ``ft-conformance-log-v1`` records and the differential report;
* :mod:`.opinfo` - the differential driver over PyTorch's OpInfo samples (forward, backward,
  error inputs);
* :mod:`.artifacts`, :mod:`.rollup` - packet artifacts, validator, RaptorQ seal and scrub,
  reliability gate, rollup pages;
* :mod:`.cli` - ``python -m frankentorch conformance ...`` and ``... artifacts ...``.
"""
