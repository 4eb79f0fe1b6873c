"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any

from .optimizer import FusedOptimizer, ParamUpdate, check_fused, check_nonnegative, to_scalar

__all__ = ["SGD"]


class SGD(FusedOptimizer):
    """torch.optim.SGD: ``v = momentum * v + (1 - dampening) * g``; ``p -= lr * v`` (or the
    Nesterov form), with the exact float operations of torch's for-loop update."""

    _group_defaults = (("nesterov", False), ("maximize", False), ("foreach", None),
                       ("differentiable", False), ("fused", False))

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
        check_fused(fused, foreach, differentiable)

    def _update_group(self, group: dict[str, Any]) -> None:
        from .._kernels import optim as K
        from .. import zeros_like
        wd, momentum = group["weight_decay"], group["momentum"]
        keep = 1 - group["dampening"]
        neg_lr = -to_scalar(group["lr"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            first = False
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    first = True
                    buf = state["momentum_buffer"] = zeros_like(p)
                u = ParamUpdate(p, grad, buf)
            else:
                u = ParamUpdate(p, grad, p)
            a, f = u.arrays, u.scalar
            K.sgd(a[0], a[1], a[2], f(-1 if maximize else 1), f(wd), f(momentum), f(keep),
                  f(neg_lr), wd != 0, momentum != 0, first, nesterov)
            u.finish()
