"""Fused per-parameter optimizer updates over flat contiguous buffers.

Each kernel performs, element by element, exactly the float operations of PyTorch's
single-tensor (``foreach=False``) CPU update, in the parameter's dtype: PyTorch's vectorised
CPU kernels evaluate ``add(alpha=)``, ``lerp`` and ``addcmul`` with a fused multiply-add, so
those steps use ``fma`` here (one rounding), while ``addcdiv`` and divisions round each step.
Scalars arrive already converted to the buffer's dtype, as PyTorch converts them.
Unused buffers are passed as the parameter itself so each kernel has one signature per dtype.
"""
import math

from numba import njit
from numba.extending import intrinsic


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``llvm.fma``: the FMA instruction or an exact
    software fallback), for three operands of one float type."""
    sig = a(a, b, c)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)
    return sig, codegen


@njit(inline="always")
def _lerp(start, end, weight, one):
    """PyTorch's ``lerp`` with a scalar weight (two formulas around ``|weight| < 0.5``)."""
    if abs(weight) < 0.5:
        return fma(weight, end - start, start)
    return fma(weight - one, end - start, end)


@njit(inline="always")
def _grad(grad, param, i, weight_decay, maximize, use_wd):
    """The gradient as every update starts from it: negated to maximize, plus L2 decay."""
    g = grad[i]
    if maximize:
        g = -g
    if use_wd:
        g = fma(param[i], weight_decay, g)
    return g


@njit(cache=True, error_model="numpy")
def sgd(param, grad, buf, weight_decay, momentum, keep, neg_lr, maximize, use_wd, use_momentum,
        first, nesterov):
    """SGD; ``keep`` is ``1 - dampening``; ``buf`` the momentum buffer (filled when ``first``)."""
    for i in range(param.size):
        g = _grad(grad, param, i, weight_decay, maximize, use_wd)
        if use_momentum:
            if first:
                b = g
            else:
                b = fma(g, keep, buf[i] * momentum)
            buf[i] = b
            g = fma(b, momentum, g) if nesterov else b
        param[i] = fma(g, neg_lr, param[i])


@njit(cache=True, error_model="numpy")
def adam(param, grad, exp_avg, exp_avg_sq, max_sq, weight_decay, decay, w1, beta2, c2,
         bc2_sqrt, eps, neg_step, one, maximize, use_wd, decoupled, amsgrad):
    """Adam/AdamW; ``decay`` is ``1 - lr * weight_decay`` (decoupled), ``w1 = 1 - beta1``,
    ``c2 = 1 - beta2``, ``neg_step = -lr / (1 - beta1 ** t)``."""
    for i in range(param.size):
        g = _grad(grad, param, i, weight_decay, maximize, use_wd and not decoupled)
        p = param[i] * decay if use_wd and decoupled else param[i]
        m = _lerp(exp_avg[i], g, w1, one)
        exp_avg[i] = m
        v = fma(c2 * g, g, exp_avg_sq[i] * beta2)
        exp_avg_sq[i] = v
        if amsgrad:
            mx = max_sq[i]
            if v > mx or v != v:
                mx = v
            max_sq[i] = mx
            v = mx
        denom = math.sqrt(v) / bc2_sqrt + eps
        param[i] = p + (neg_step * m) / denom


@njit(cache=True, error_model="numpy")
def rmsprop(param, grad, square_avg, grad_avg, buf, weight_decay, alpha, c, eps, momentum, neg_lr,
            one, maximize, use_wd, centered, use_momentum):
    """RMSprop; ``c = 1 - alpha`` (also the weight of the centred running mean)."""
    for i in range(param.size):
        g = _grad(grad, param, i, weight_decay, maximize, use_wd)
        sa = fma(c * g, g, square_avg[i] * alpha)
        square_avg[i] = sa
        if centered:
            ga = _lerp(grad_avg[i], g, c, one)
            grad_avg[i] = ga
            avg = math.sqrt(fma(-ga, ga, sa)) + eps
        else:
            avg = math.sqrt(sa) + eps
        if use_momentum:
            b = buf[i] * momentum + (one * g) / avg
            buf[i] = b
            param[i] = fma(b, neg_lr, param[i])
        else:
            param[i] = param[i] + (neg_lr * g) / avg


@njit(cache=True, error_model="numpy")
def adagrad(param, grad, state_sum, weight_decay, eps, neg_clr, maximize, use_wd):
    """Adagrad; ``neg_clr = -lr / (1 + (t - 1) * lr_decay)``."""
    for i in range(param.size):
        g = _grad(grad, param, i, weight_decay, maximize, use_wd)
        s = fma(g, g, state_sum[i])
        state_sum[i] = s
        param[i] = param[i] + (neg_clr * g) / (math.sqrt(s) + eps)
