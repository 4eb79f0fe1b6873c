"""``Optimizer``: parameter groups, per-parameter state, hooks and torch's state_dict layout."""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import _tensor
from .._tensor import flat_data
from .._core import dtype as _dt
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

Tensor = _tensor.Tensor
_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


class _RequiredParameter:
    """Marks a default that every parameter group must set."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap ``step`` so the global and per-optimizer pre/post hooks run around it."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for pre_hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = step(self, *args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(),
                               _global_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


def scalar_dtype():
    """dtype of the ``step`` counters: float64 under a float64 default dtype, else float32."""
    from .. import get_default_dtype
    return _dt.float64 if get_default_dtype() is _dt.float64 else _dt.float32


def new_step() -> Tensor:
    """A fresh 0-d ``step`` counter, as torch stores it."""
    from .. import tensor
    return tensor(0.0, dtype=scalar_dtype())


def advance(step_t: Tensor) -> float:
    """``step_t += 1`` in place; returns the new count as a Python float."""
    arr = step_t._data
    arr[step_t._offset] += 1
    step_t._bump_version()
    return float(arr[step_t._offset])


def step_tensors(opt: "Optimizer") -> None:
    """Turn ``step`` counters saved as Python numbers into tensors, as torch does on load."""
    from .. import tensor
    for st in opt.state.values():
        if "step" in st and not isinstance(st["step"], Tensor):
            st["step"] = tensor(float(st["step"]), dtype=scalar_dtype())


class ParamUpdate:
    """Flat float buffers for one parameter's fused update: ``arrays`` holds the parameter,
    the gradient and the given state tensors, in that order (a tensor given twice shares one
    buffer).

    The parameter and the state tensors are written in place; a non-contiguous one is updated
    through a contiguous copy that ``finish`` writes back. Versions are bumped like in-place ops."""

    __slots__ = ("written", "arrays", "scalar")

    def __init__(self, param: Tensor, grad: Tensor, *state: Tensor) -> None:
        dt = param._dtype
        if dt is not _dt.float32 and dt is not _dt.float64:
            raise NotImplementedError(f"frankentorch optimizers update float32 and float64 "
                                      f"parameters, got {dt}")
        if grad._dtype is not dt:
            grad = grad.to(dt)
        seen: dict[int, np.ndarray] = {}
        self.written = []
        self.arrays = []
        n = param.numel()
        for t in (grad,) + state:  # the kernels walk every buffer over the parameter's length
            if t.numel() != n:
                raise RuntimeError(f"The size of tensor a ({t.numel()}) must match the size of "
                                   f"tensor b ({n}) at non-singleton dimension 0")
        for t in (param, grad) + state:
            arr = seen.get(id(t))
            if arr is None:
                arr = seen[id(t)] = flat_data(t) if t.is_contiguous() else flat_data(t.detach().contiguous())
                if t is not grad:
                    self.written.append((t, arr))
            self.arrays.append(arr)
        self.scalar = dt.np_dtype.type

    def finish(self) -> None:
        """Write back the copies of non-contiguous tensors and bump versions."""
        from .._tensor import from_array
        for t, arr in self.written:
            if t.is_contiguous():
                t._bump_version()
            else:
                t.copy_(from_array(arr.reshape(t._shape)))


def _cast_state(param: Tensor, value: Any, key: Any = None) -> Any:
    """torch's ``load_state_dict`` rule: tensors follow the parameter's float dtype (the
    ``step`` counter is kept as is); containers are rebuilt, other values kept."""
    if isinstance(value, Tensor):
        if key == "step" or not param.dtype.is_floating_point or value.dtype is param.dtype:
            return value
        return value.to(param.dtype)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


class Optimizer:
    """Base class of all optimizers: holds ``param_groups`` (dicts with ``params`` and the
    options), ``defaults`` and ``state`` (a dict of per-parameter dicts keyed by parameter)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---------------------------------------------------------------- hooks

    @staticmethod
    def _register(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before ``step``; it may return new args."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---------------------------------------------------------------- state_dict

    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``:
        parameters are replaced by their position across the groups; state tensors are
        returned by reference, as torch does."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed
        param_groups = [pack(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict`` (ours or torch's, tensors converted) whose groups have the
        same sizes; option values come from the saved groups."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v)
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group
        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ---------------------------------------------------------------- groups and grads

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: ``None`` (default) or zero-filled in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if g.grad_fn is not None:
                            g.detach_()
                        else:
                            g.requires_grad_(False)
                        g.zero_()

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (implemented by each optimizer)."""
        raise NotImplementedError

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group; options it does not set take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        param_set: set = set()
        for group in self.param_groups:
            param_set.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not param_set.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---------------------------------------------------------------- step helpers

    def _check_step_options(self, group: dict[str, Any]) -> None:
        """Options whose torch behaviour frankentorch does not reproduce are refused."""
        if group.get("differentiable"):
            raise RuntimeError("frankentorch optimizers do not support differentiable=True")
        if group.get("capturable"):
            raise AssertionError("If capturable=True, params and state_steps must be on "
                                 "supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone', "
                                 "'xla'].")

    @staticmethod
    def _closure_loss(closure: Callable | None):
        if closure is None:
            return None
        from .. import enable_grad
        with enable_grad():
            return closure()


class FusedOptimizer(Optimizer):
    """An optimizer whose update runs as one fused kernel per parameter (``_update_group``);
    ``_group_defaults`` are the options older saved groups may lack."""

    _group_defaults: tuple = ()

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in self._group_defaults:
                group.setdefault(key, default)
        step_tensors(self)

    def step(self, closure: Callable | None = None):
        """One optimization step over every parameter that has a gradient; ``closure``
        re-evaluates the loss (with gradients on) and its result is returned."""
        loss = self._closure_loss(closure)
        from .. import no_grad
        with no_grad():
            for group in self.param_groups:
                self._check_step_options(group)
                self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _stateful_params(self, group: dict[str, Any]):
        """``(param, grad, state)`` for the parameters of ``group`` that have a gradient."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, p.grad, self.state[p]


def lerp_weight(weight: float, scalar) -> tuple:
    """``(w, end_base)`` for the kernels' ``lerp``: torch uses ``start + weight*(end-start)``
    when ``|weight| < 0.5``, else ``end + (weight-1)*(end-start)`` (``weight - 1`` in the
    buffer's dtype)."""
    w = scalar(weight)
    if abs(w) < 0.5:
        return w, False
    return w - scalar(1), True


def check_fused(fused, foreach, differentiable) -> None:
    """torch's refusals for ``fused=True`` combined with other implementation flags."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "torch." + {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(
            str(obj.dtype).split(".")[-1], "Tensor")
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def to_scalar(x):
    """A hyperparameter as a Python number (a 1-element tensor gives its value)."""
    return x.item() if isinstance(x, Tensor) else x


def check_nonnegative(*checks: tuple[str, Any]) -> None:
    """torch's ``Invalid <what>: <value>`` ValueError for each negative hyperparameter."""
    for what, v in checks:
        if not 0.0 <= v:
            raise ValueError(f"Invalid {what}: {v}")

