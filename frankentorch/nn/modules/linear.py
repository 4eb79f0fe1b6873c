"""Affine layers: ``Identity``, ``Linear``, ``Bilinear``."""
from __future__ import annotations

import math
from typing import Any

from ... import empty
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "NonDynamicallyQuantizableLinear"]


def _register_weight_bias(module: Module, weight_shape: tuple, bias_size: int, bias: bool,
                          factory_kwargs: dict) -> None:
    """An uninitialised ``weight`` and (unless disabled) ``bias`` parameter."""
    module.weight = Parameter(empty(weight_shape, **factory_kwargs))
    if bias:
        module.bias = Parameter(empty(bias_size, **factory_kwargs))
    else:
        module.register_parameter("bias", None)


def _reset_kaiming(module: Module) -> None:
    """Linear and convolution defaults: weight ~ kaiming_uniform(a=sqrt(5)), bias ~
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias`` with weight ``(out_features, in_features)``."""

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _register_weight_bias(self, (out_features, in_features), out_features, bias,
                              factory_kwargs)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_kaiming(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` (the output projection of attention layers)."""


class Bilinear(Module):
    """``y = x1ᵀ A x2 + b`` with weight ``(out_features, in1_features, in2_features)``."""

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _register_weight_bias(self, (out_features, in1_features, in2_features), out_features,
                              bias, factory_kwargs)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features="
                             f"{self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
