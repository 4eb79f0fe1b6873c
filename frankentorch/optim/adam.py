"""Adam and AdamW (amsgrad, maximize, L2 or decoupled weight decay)."""
from __future__ import annotations

from typing import Any

from .optimizer import (FusedOptimizer, ParamUpdate, advance, check_fused, check_nonnegative,
                        lerp_weight, new_step, to_scalar)

__all__ = ["Adam", "AdamW"]


class Adam(FusedOptimizer):
    """torch.optim.Adam with the exact float operations of torch's for-loop update: the
    moments in the parameter's dtype, the bias corrections in Python floats."""

    _group_defaults = (("amsgrad", False), ("maximize", False), ("foreach", None),
                       ("capturable", False), ("differentiable", False),
                       ("decoupled_weight_decay", False), ("fused", None))

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        check_nonnegative(("learning rate", lr), ("epsilon value", eps))
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        check_nonnegative(("weight_decay value", weight_decay))
        betas = tuple(to_scalar(b) for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _update_group(self, group: dict[str, Any]) -> None:
        from .._kernels import optim as K
        from .. import zeros_like
        beta1, beta2 = group["betas"]
        lr = to_scalar(group["lr"])
        wd, eps, amsgrad = group["weight_decay"], group["eps"], group["amsgrad"]
        decoupled = group["decoupled_weight_decay"] and wd != 0
        for p, grad, state in self._stateful_params(group):
            if len(state) == 0:
                state["step"] = new_step()
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_like(p)
            u = ParamUpdate(p, grad, state["exp_avg"], state["exp_avg_sq"],
                            state["max_exp_avg_sq"] if amsgrad else p)
            step = advance(state["step"])
            step_size = lr / (1 - beta1 ** step)
            bias_correction2 = 1 - beta2 ** step
            a, f = u.arrays, u.scalar
            w1, end_base = lerp_weight(1 - beta1, f)
            K.adam(a[0], a[1], a[2], a[3], a[4], f(-1 if group["maximize"] else 1), f(wd),
                   f(1 - lr * wd) if decoupled else f(1), w1, end_base, f(beta2), f(1 - beta2),
                   f(bias_correction2 ** 0.5), f(eps), f(-step_size), wd != 0 and not decoupled,
                   amsgrad)
            u.finish()


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
