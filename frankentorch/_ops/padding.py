"""Padding: constant_pad_nd, reflection_pad1d/2d/3d, replication_pad1d/2d/3d, and ``pad``
(``nn.functional.pad``) choosing among them and circular padding.

Reflection and replication are gathers along each padded axis (an index array per axis);
their gradients are the adjoint gathers, one-hot matrices applied per axis.
"""
from __future__ import annotations

import numpy as np

from .._dispatch.dispatcher import defop
from .._tensor import Tensor
from .args import int_list
from .spatial import apply_axes, gather_axes, new_result, one_hot, values

__all__ = ["pad"]


# ---------------------------------------------------------------- constant

constant_pad_nd = defop("constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0) -> Tensor",
                        variants=("function",))


@constant_pad_nd.impl("CPU", "Meta")
def _constant_pad_nd(self, pad, value=0):
    pad = int_list("constant_pad_nd", "pad", pad)
    if len(pad) % 2:
        raise RuntimeError("Length of pad must be even but instead it equals "
                           f"{len(pad)}")
    if len(pad) // 2 > self.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of "
                           f"dimensions of the input. Pad length is {len(pad)} while the input "
                           f"has {self.ndim} dimensions.")
    nd = len(pad) // 2
    before = [pad[2 * (nd - 1 - i)] for i in range(nd)]
    after = [pad[2 * (nd - 1 - i) + 1] for i in range(nd)]
    lead = self._shape[:self.ndim - nd]
    sp = self._shape[self.ndim - nd:]
    if any(s + min(b, 0) + min(a, 0) < 0 for s, b, a in zip(sp, before, after)):
        raise RuntimeError("narrow(): length must be non-negative.")  # crops come first
    shape = lead + tuple(s + b + a for s, b, a in zip(sp, before, after))

    def compute():
        x = values(self)
        out = np.full(shape, value, x.dtype)
        src = tuple(slice(max(-b, 0), s - max(-a, 0)) for s, b, a in zip(sp, before, after))
        dst = tuple(slice(max(b, 0), max(b, 0) + max(sl.stop - sl.start, 0))
                    for sl, b in zip(src, before))
        if all(sl.stop > sl.start for sl in src):
            out[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
        return out
    return new_result(shape, self, compute)


@constant_pad_nd.backward("ConstantPadNdBackward0")
def _constant_pad_nd_grad(grad, args):
    return constant_pad_nd(grad, [-p for p in args.pad])


# ---------------------------------------------------------------- reflection / replication

def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Input index of every output position along one padded axis."""
    i = np.arange(-before, size + after)
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i >= size, 2 * (size - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    lo, hi = max(-before, 0), size - max(-after, 0)  # crop first, then wrap the rest
    return lo + (np.arange(-max(before, 0), hi - lo + max(after, 0)) % (hi - lo))


def _gather_pad(self: Tensor, pad, nd: int, mode: str, name: str):
    pad = int_list(name, "padding", pad)
    if len(pad) != 2 * nd:
        raise RuntimeError(f"padding size is expected to be {2 * nd}, but got: {len(pad)}")
    dim_ok = self.ndim in (nd + 1, nd + 2) and all(n for n in self._shape[1:])
    if not dim_ok:
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{list(self.shape)}")
    sp = self._shape[self.ndim - nd:]
    before = [pad[2 * (nd - 1 - i)] for i in range(nd)]
    after = [pad[2 * (nd - 1 - i) + 1] for i in range(nd)]
    for i, (s, b, a) in enumerate(zip(sp, before, after)):
        if mode == "reflect" and (b >= s or a >= s):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({b}, {a}) at dimension "
                               f"{self.ndim - nd + i} of input {list(self.shape)}")
    out_sp = [s + b + a for s, b, a in zip(sp, before, after)]
    if mode != "circular" and (min(out_sp) < 0 or max(out_sp) < 1):
        names = "DHW"[3 - nd:]
        raise RuntimeError(f"input ({', '.join(f'{n}: {v}' for n, v in zip(names, sp))}) is too "
                           f"small. Calculated output "
                           f"{' '.join(f'{n}: {v}' for n, v in zip(names, out_sp))}")
    idx = [_source_index(s, b, a, mode) for s, b, a in zip(sp, before, after)]
    shape = self._shape[:self.ndim - nd] + tuple(len(i) for i in idx)
    return new_result(shape, self, lambda: gather_axes(values(self), idx))


def _gather_pad_grad(grad: Tensor, self, pad, nd: int, mode: str) -> Tensor:
    sp = self.shape[self.ndim - nd:]
    idx = [_source_index(s, pad[2 * (nd - 1 - i)], pad[2 * (nd - 1 - i) + 1], mode)
           for i, s in enumerate(sp)]

    def compute():
        g = values(grad)
        return apply_axes(g, [one_hot(i, s, g.dtype).T for i, s in zip(idx, sp)])
    return new_result(tuple(self.shape), grad, compute)


def _define_gather_pads() -> dict:
    ops = {}
    for mode, family in (("reflect", "reflection"), ("replicate", "replication")):
        for nd in (1, 2, 3):
            name = f"{family}_pad{nd}d"
            op = defop(f"{name}(Tensor self, SymInt[{2 * nd}] padding) -> Tensor",
                       variants=("function",))
            op.impl("CPU", "Meta")(
                lambda self, padding, _nd=nd, _m=mode, _n=name: _gather_pad(self, padding, _nd,
                                                                            _m, _n))
            op.backward(f"{family.capitalize()}Pad{nd}DBackward0")(
                lambda grad, args, _nd=nd, _m=mode: _gather_pad_grad(grad, args.self,
                                                                     args.padding, _nd, _m))
            ops[(mode, nd)] = op
    return ops


_GATHER_PADS = _define_gather_pads()


# ---------------------------------------------------------------- circular and pad()

_pad_circular = defop("_pad_circular(Tensor self, SymInt[] pad) -> Tensor",
                      variants=("function",))


@_pad_circular.impl("CPU", "Meta")
def _pad_circular_kernel(self, pad):
    """Circular padding (one wrap at most; negative values crop)."""
    pad = int_list("_pad_circular", "pad", pad)
    nd = len(pad) // 2
    sp = self._shape[self.ndim - nd:]
    for i, s in enumerate(sp):
        b, a = pad[2 * (nd - 1 - i)], pad[2 * (nd - 1 - i) + 1]
        if b > s or a > s:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        kept = s - max(-b, 0) - max(-a, 0)
        if s + b + a < 0 or (kept <= 0 and s + b + a > 0):
            raise RuntimeError(f"Circular padding of dimension {self.ndim - nd + i} needs "
                               f"elements to wrap, but cropping ({b}, {a}) leaves {kept} of "
                               f"{s}")
    return _gather_pad(self, pad, nd, "circular", "_pad_circular")


@_pad_circular.backward("torch::autograd::CopySlices")
def _pad_circular_grad(grad, args):
    return _gather_pad_grad(grad, args.self, args.pad, len(args.pad) // 2, "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """``nn.functional.pad``: constant, reflect, replicate or circular padding of the last
    ``len(pad) // 2`` dims (negative values crop)."""
    pad = int_list("pad", "pad", pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    nd = len(pad) // 2
    if not (1 <= nd <= 3 and input.ndim in (nd + 1, nd + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "circular":
        return _pad_circular(input, pad)
    return _GATHER_PADS[(mode, nd)](input, pad)

