"""RMSprop (centred and with momentum)."""
from __future__ import annotations

from typing import Any

from .optimizer import (FusedOptimizer, ParamUpdate, advance, check_nonnegative, lerp_weight,
                        new_step, to_scalar)

__all__ = ["RMSprop"]


class RMSprop(FusedOptimizer):
    """torch.optim.RMSprop with the exact float operations of torch's for-loop update."""

    _group_defaults = (("momentum", 0), ("centered", False), ("foreach", None),
                       ("maximize", False), ("differentiable", False), ("capturable", False))

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_nonnegative(("learning rate", lr), ("epsilon value", eps),
                          ("momentum value", momentum), ("weight_decay value", weight_decay),
                          ("alpha value", alpha))
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        from .._kernels import optim as K
        from .. import zeros_like
        lr = to_scalar(group["lr"])
        alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered = group["momentum"], group["centered"]
        for p, grad, state in self._stateful_params(group):
            if len(state) == 0:
                state["step"] = new_step()
                state["square_avg"] = zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_like(p)
                if centered:
                    state["grad_avg"] = zeros_like(p)
            u = ParamUpdate(p, grad, state["square_avg"],
                            state["grad_avg"] if centered else p,
                            state["momentum_buffer"] if momentum > 0 else p)
            advance(state["step"])
            a, f = u.arrays, u.scalar
            w, end_base = lerp_weight(1 - alpha, f)
            K.rmsprop(a[0], a[1], a[2], a[3], a[4], f(-1 if group["maximize"] else 1), f(wd),
                      f(alpha), f(1 - alpha), w, end_base, f(eps), f(momentum), f(-lr), f(1),
                      wd != 0, centered, momentum > 0)
            u.finish()
