"""``frankentorch.nn.functional``: PyTorch's functional API over the op registry."""
from __future__ import annotations

# ---------------------------------------------------------------- activations (unary family)
# Thin bindings over the registry entries of ``_ops/unary.py`` with torch's Python signatures.

from .._dispatch.dispatcher import OPS as _OPS


def _op(name: str):
    return _OPS[name].function()


def relu(input, inplace=False):
    return _op("relu_" if inplace else "relu")(input)


def relu_(input):
    return _op("relu_")(input)


def gelu(input, approximate="none"):
    return _op("gelu")(input, approximate=approximate)


def silu(input, inplace=False):
    return _op("silu_" if inplace else "silu")(input)


def mish(input, inplace=False):
    return _op("mish_" if inplace else "mish")(input)


def hardsigmoid(input, inplace=False):
    return _op("hardsigmoid_" if inplace else "hardsigmoid")(input)


def hardswish(input, inplace=False):
    return _op("hardswish_" if inplace else "hardswish")(input)


def softplus(input, beta=1.0, threshold=20.0):
    return _op("softplus")(input, beta, threshold)


def elu(input, alpha=1.0, inplace=False):
    return _op("elu_" if inplace else "elu")(input, alpha)


def elu_(input, alpha=1.0):
    return _op("elu_")(input, alpha)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _op("leaky_relu_" if inplace else "leaky_relu")(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _op("leaky_relu_")(input, negative_slope)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _op("hardtanh_" if inplace else "hardtanh")(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _op("hardtanh_")(input, min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def sigmoid(input):
    return _op("sigmoid")(input)


def tanh(input):
    return _op("tanh")(input)


def logsigmoid(input):
    return _op("log_sigmoid")(input)

# ---------------------------------------------------------------- end of activations


# ---------------------------------------------------------------- softmax family (reductions)

def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    import warnings
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax over ``dim`` (computed in ``dtype`` when given)."""
    from .._dispatch.dispatcher import OPS
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return OPS["softmax"].function()(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log-softmax over ``dim`` (computed in ``dtype`` when given)."""
    from .._dispatch.dispatcher import OPS
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return OPS["log_softmax"].function()(input, dim, dtype=dtype)


from ._functional_layers import *  # noqa: E402,F401,F403
from ._functional_spatial import *  # noqa: E402,F401,F403
from ._functional_dropout import *  # noqa: E402,F401,F403
from ._functional_attention import multi_head_attention_forward  # noqa: E402,F401
