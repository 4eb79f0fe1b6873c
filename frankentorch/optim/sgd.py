"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, ParamUpdate, check_nonnegative, no_grad_step, to_scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """torch.optim.SGD: ``v = momentum * v + (1 - dampening) * g``; ``p -= lr * v`` (or the
    Nesterov form), with the exact float operations of torch's for-loop update."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        check_nonnegative(("learning rate", lr), ("momentum value", momentum),
                          ("weight_decay value", weight_decay))
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @no_grad_step
    def step(self, closure=None):
        """One SGD step over every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        from .._kernels import optim as K
        from .. import zeros_like
        for group in self.param_groups:
            self._check_step_options(group)
            wd = group["weight_decay"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            lr = to_scalar(group["lr"])
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    first = buf is None
                    if first:
                        buf = state["momentum_buffer"] = zeros_like(p)
                    u = ParamUpdate(p, grad, buf)
                    a = u.arrays
                    f = u.scalar
                    K.sgd(a[0], a[1], a[2], f(wd), f(momentum), f(1 - dampening), f(-lr),
                          maximize, wd != 0, True, first, nesterov)
                else:
                    u = ParamUpdate(p, grad)
                    a = u.arrays
                    f = u.scalar
                    K.sgd(a[0], a[1], a[0], f(wd), f(0), f(1), f(-lr), maximize, wd != 0, False,
                          False, False)
                u.finish()
        return loss
