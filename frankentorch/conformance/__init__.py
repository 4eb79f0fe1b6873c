"""Conformance drivers that compare frankentorch with the installed PyTorch (the oracle).

This is the only part of the package allowed to import torch, and it does so lazily inside
functions: ``import frankentorch`` (and even ``import frankentorch.conformance``) never loads
torch. See :mod:`frankentorch.conformance.opinfo` for the OpInfo differential driver.
"""
