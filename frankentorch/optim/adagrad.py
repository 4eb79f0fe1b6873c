"""Adagrad (learning-rate decay, initial accumulator value)."""
from __future__ import annotations

from typing import Any

from .optimizer import (Optimizer, ParamUpdate, advance, check_nonnegative, new_step, no_grad_step,
                        step_tensors, to_scalar)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """torch.optim.Adagrad with the exact float operations of torch's for-loop update; the
    state (``step`` and the ``sum`` accumulator) is created for every parameter up front."""

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
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        from .. import full_like
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = new_step()
                state["sum"] = full_like(p, initial_accumulator_value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False),
                                 ("differentiable", False), ("fused", None)):
                group.setdefault(key, default)
        step_tensors(self)

    @no_grad_step
    def step(self, closure=None):
        """One Adagrad step over every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        from .._kernels import optim as K
        for group in self.param_groups:
            self._check_step_options(group)
            lr = to_scalar(group["lr"])
            wd, eps, lr_decay = group["weight_decay"], group["eps"], group["lr_decay"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                state = self.state[p]
                u = ParamUpdate(p, grad, state["sum"])
                step = advance(state["step"])
                clr = lr / (1 + (step - 1) * lr_decay)
                a = u.arrays
                f = u.scalar
                K.adagrad(a[0], a[1], a[2], f(wd), f(eps), f(-clr), group["maximize"], wd != 0)
                u.finish()
        return loss
