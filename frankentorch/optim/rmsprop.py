"""RMSprop (centred and with momentum)."""
from __future__ import annotations

from typing import Any

from .optimizer import (Optimizer, ParamUpdate, advance, check_nonnegative, new_step, no_grad_step,
                        step_tensors, to_scalar)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop with the exact float operations of torch's for-loop update."""

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

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("momentum", 0), ("centered", False), ("foreach", None),
                                 ("maximize", False), ("differentiable", False),
                                 ("capturable", False)):
                group.setdefault(key, default)
        step_tensors(self)

    @no_grad_step
    def step(self, closure=None):
        """One RMSprop step over every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        from .._kernels import optim as K
        from .. import zeros_like
        for group in self.param_groups:
            self._check_step_options(group)
            lr = to_scalar(group["lr"])
            alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_step()
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if centered:
                        state["grad_avg"] = zeros_like(p)
                sa = state["square_avg"]
                u = ParamUpdate(p, grad, sa, state["grad_avg"] if centered else sa,
                                state["momentum_buffer"] if momentum > 0 else sa)
                advance(state["step"])
                a = u.arrays
                f = u.scalar
                K.rmsprop(a[0], a[1], a[2], a[3], a[4], f(wd), f(alpha), f(1 - alpha), f(eps),
                          f(momentum), f(-lr), f(1), group["maximize"], wd != 0, centered,
                          momentum > 0)
                u.finish()
        return loss
