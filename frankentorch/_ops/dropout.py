"""Dropout family: dropout, feature (channel) dropout, alpha dropout, native_dropout.

On the CPU PyTorch composes dropout from other ops: a noise tensor filled by
``bernoulli_(1 - p)``, scaled, then multiplied into the input. Doing the same here draws the
mask exactly as torch does under the same seed, and autograd records what torch records
(``MulBackward0``, or ``AddBackward0`` for alpha dropout). ``native_dropout`` is the fused op
with its own ``NativeDropoutBackward0``.
"""
from __future__ import annotations

import math

from .._core import dtype as D
from .._dispatch.dispatcher import defop
from .._tensor import Tensor, empty_tensor
from . import iterator as it
from .creation import ones_like, zeros

_ALPHA = 1.7580993408473766  # SELU's alpha * lambda: the saturation value alpha dropout uses


def _noise(input: Tensor, feature: bool) -> Tensor:
    """Uninitialised mask storage: like ``input``, or (N, C, 1, ...) for feature dropout."""
    if not feature:
        return empty_tensor(input._shape, input._dtype, input._device,
                            it.dense_like_strides(input))
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = input._shape[:2] + (1,) * (input.ndim - 2)
    return empty_tensor(shape, input._dtype, input._device)


def _dropout_impl(input: Tensor, p: float, train: bool, *, feature: bool, alpha: bool,
                  inplace: bool) -> Tensor:
    """ATen's _dropout_impl: draw the mask, scale it, multiply (and shift, for alpha)."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p:g}")
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        z = zeros((), dtype=input._dtype, device=input._device)
        return input.mul_(z) if inplace else input.mul(z)
    noise = _noise(input, feature)
    noise.bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
        noise.mul_(a)
        out = input.mul_(noise) if inplace else input.mul(noise)
        return out.add_(b)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else input.mul(noise)


def _define(name: str, feature: bool, alpha: bool) -> None:
    fn = defop(f"{name}(Tensor input, float p, bool train) -> Tensor", ("function",))
    ip = defop(f"{name}_(Tensor(a!) self, float p, bool train) -> Tensor(a!)", ("function",))

    @fn.impl("CompositeImplicitAutograd")
    def functional(input, p, train):
        return _dropout_impl(input, p, train, feature=feature, alpha=alpha, inplace=False)

    @ip.impl("CompositeImplicitAutograd")
    def inplace(self, p, train):
        return _dropout_impl(self, p, train, feature=feature, alpha=alpha, inplace=True)


for _name, _feature, _alpha in (("dropout", False, False), ("feature_dropout", True, False),
                                ("alpha_dropout", False, True),
                                ("feature_alpha_dropout", True, True)):
    _define(_name, _feature, _alpha)


native_dropout = defop("native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)",
                       ("function",))
native_dropout_backward = defop("native_dropout_backward(Tensor grad_output, Tensor mask, "
                                "float scale) -> Tensor", ())


@native_dropout.impl("CPU", "Meta")
def _native_dropout(input, p, train=None):
    """(output, bool mask): mask ~ Bernoulli(1 - p), output = input * mask / (1 - p)."""
    if input.numel() == 0:
        return input, empty_tensor(input._shape, input._dtype, input._device,
                                   it.dense_like_strides(input))
    mask = empty_tensor(input._shape, D.bool_, input._device, it.dense_like_strides(input))
    if train is None or train:
        p1m = 1.0 - p
        mask.bernoulli_(p1m)
        return input.mul(mask).mul_(0.0 if p1m == 0 else 1.0 / p1m), mask
    return input.clone(), ones_like(input, dtype=D.bool_)


@native_dropout_backward.impl("CPU", "Meta")
def _native_dropout_backward(grad_output, mask, scale):
    return grad_output * mask * scale


@native_dropout.backward("NativeDropoutBackward0", save_result=True)
def _native_dropout_grad(grads, args):
    grad = grads[0] if isinstance(grads, tuple) else grads
    p1m = 1.0 - args.p
    scale = 0.0 if p1m == 0 else 1.0 / p1m
    if args.train is None or args.train:
        return native_dropout_backward(grad, args.result[1], scale)
    return grad
