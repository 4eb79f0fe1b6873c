"""Adagrad (learning-rate decay, initial accumulator value)."""
from __future__ import annotations

from typing import Any

from .optimizer import (FusedOptimizer, ParamUpdate, advance, check_fused, check_nonnegative,
                        new_step, to_scalar)

__all__ = ["Adagrad"]


class Adagrad(FusedOptimizer):
    """torch.optim.Adagrad with the exact float operations of torch's for-loop update; the
    state (``step`` and the ``sum`` accumulator) is created for every parameter up front."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("fused", None))

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_nonnegative(("learning rate", lr), ("lr_decay value", lr_decay),
                          ("weight_decay value", weight_decay),
                          ("initial_accumulator_value value", initial_accumulator_value),
                          ("epsilon value", eps))
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        from .. import full_like
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = new_step()
                state["sum"] = full_like(p, initial_accumulator_value)

    def _update_group(self, group: dict[str, Any]) -> None:
        from .._kernels import optim as K
        lr = to_scalar(group["lr"])
        wd, eps, lr_decay = group["weight_decay"], group["eps"], group["lr_decay"]
        for p, grad, state in self._stateful_params(group):
            u = ParamUpdate(p, grad, state["sum"])
            step = advance(state["step"])
            clr = lr / (1 + (step - 1) * lr_decay)
            a, f = u.arrays, u.scalar
            K.adagrad(a[0], a[1], a[2], f(-1 if group["maximize"] else 1), f(wd), f(eps),
                      f(-clr), wd != 0)
            u.finish()
