"""Fused per-parameter optimizer updates over flat contiguous buffers.

Each kernel performs, element by element, exactly the float operations of PyTorch's
single-tensor (``foreach=False``) CPU update, in the parameter's dtype: PyTorch's vectorised
CPU kernels evaluate ``add(alpha=)``, ``lerp`` and ``addcmul`` with a fused multiply-add, so
those steps use ``fma`` here (one rounding), while ``addcdiv`` and divisions round each step.
Scalars arrive already converted to the buffer's dtype, as PyTorch converts them.

Loops stay branch-light and free of helper calls so LLVM vectorises them: maximizing
multiplies by ``sign`` (±1, an exact negation), decoupled decay multiplies by ``decay`` (1 when
off, exact), and ``lerp``'s two formulas (``start + w*(end-start)`` for ``|w| < 0.5``, else
``end + (w-1)*(end-start)``) are one ``fma(w', end - start, base)`` with ``w'`` and the base
chosen once (``end_base``).
Unused buffers are passed as the parameter itself so each kernel has one signature per dtype.
"""
import math

from numba import njit

from .intrinsics import fma


@njit(cache=True, error_model="numpy")
def sgd(param, grad, buf, sign, weight_decay, momentum, keep, neg_lr, use_wd, use_momentum,
        first, nesterov):
    """SGD; ``keep`` is ``1 - dampening``; ``buf`` the momentum buffer (filled when ``first``)."""
    for i in range(param.size):
        g = grad[i] * sign
        if use_wd:
            g = fma(param[i], weight_decay, g)
        if use_momentum:
            if first:
                b = g
            else:
                b = fma(g, keep, buf[i] * momentum)
            buf[i] = b
            g = fma(b, momentum, g) if nesterov else b
        param[i] = fma(g, neg_lr, param[i])


@njit(cache=True, error_model="numpy")
def adam(param, grad, exp_avg, exp_avg_sq, max_sq, sign, weight_decay, decay, w1, end_base,
         beta2, c2, bc2_sqrt, eps, neg_step, use_l2, amsgrad):
    """Adam/AdamW; ``decay`` is ``1 - lr * weight_decay`` when decoupled (else 1), ``w1`` the
    lerp weight ``1 - beta1``, ``c2 = 1 - beta2``, ``neg_step = -lr / (1 - beta1 ** t)``."""
    for i in range(param.size):
        p = param[i]
        g = grad[i] * sign
        if use_l2:
            g = fma(p, weight_decay, g)
        p = p * decay
        e = exp_avg[i]
        m = fma(w1, g - e, g if end_base else e)
        exp_avg[i] = m
        v = fma(c2 * g, g, exp_avg_sq[i] * beta2)
        exp_avg_sq[i] = v
        if amsgrad:
            mx = max_sq[i]
            if v > mx or v != v:
                mx = v
            max_sq[i] = mx
            v = mx
        param[i] = p + (neg_step * m) / (math.sqrt(v) / bc2_sqrt + eps)


@njit(cache=True, error_model="numpy")
def rmsprop(param, grad, square_avg, grad_avg, buf, sign, weight_decay, alpha, c, w, end_base,
            eps, momentum, neg_lr, one, use_wd, centered, use_momentum):
    """RMSprop; ``c = 1 - alpha``; ``w`` the lerp weight of the centred running mean."""
    for i in range(param.size):
        g = grad[i] * sign
        if use_wd:
            g = fma(param[i], weight_decay, g)
        sa = fma(c * g, g, square_avg[i] * alpha)
        square_avg[i] = sa
        if centered:
            ga = grad_avg[i]
            ga = fma(w, g - ga, g if end_base else ga)
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
def adagrad(param, grad, state_sum, sign, weight_decay, eps, neg_clr, use_wd):
    """Adagrad; ``neg_clr = -lr / (1 + (t - 1) * lr_decay)``."""
    for i in range(param.size):
        g = grad[i] * sign
        if use_wd:
            g = fma(param[i], weight_decay, g)
        s = fma(g, g, state_sum[i])
        state_sum[i] = s
        param[i] = param[i] + (neg_clr * g) / (math.sqrt(s) + eps)
