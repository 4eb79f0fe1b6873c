"""Resampling: upsample_nearest1d/2d/3d, _upsample_nearest_exact1d/2d/3d, upsample_linear1d,
upsample_bilinear2d, upsample_trilinear3d, upsample_bicubic2d and the antialiased
_upsample_bilinear2d_aa/_upsample_bicubic2d_aa/_upsample_lanczos2d_aa (the kernels behind
``nn.functional.interpolate``).

Source positions are computed per axis with PyTorch's formulas and float widths (nearest
indices in float32; linear and cubic positions in the op's compute type), so the chosen pixels
match bit for bit. Linear and cubic modes interpolate the last axis first, then the ones
before, as PyTorch's kernel does; gradients apply each axis's interpolation matrix
transposed.
"""
from __future__ import annotations

import numpy as np

from .._core import dtype as D
from .._dispatch.dispatcher import defop
from .args import int_list
from .spatial import apply_axes, check_dtype, gather_axes, new_result, one_hot, values

__all__ = ["nearest_indices", "linear_weights", "cubic_weights", "aa_weights"]

_CUBIC_A = -0.75  # the cubic convolution parameter of PyTorch's (and OpenCV's) bicubic


def _scale(in_size: int, out_size: int, scale, dt):
    """compute_scales_value: 1/scale when a positive scale was given, else in/out."""
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(in_size) / dt(out_size)


def _area_scale(in_size: int, out_size: int, align_corners: bool, scale, dt):
    """area_pixel_compute_scale: the input step per output step."""
    if align_corners:
        return dt(in_size - 1) / dt(out_size - 1) if out_size > 1 else dt(0)
    return _scale(in_size, out_size, scale, dt)


def nearest_indices(in_size: int, out_size: int, scale, exact: bool,
                    shortcuts: bool = False) -> np.ndarray:
    """Source index of every output position (``nearest`` or ``nearest-exact``).

    With ``shortcuts`` (PyTorch's nearest_idx: the backward kernels and the 2-d forward),
    an output of the input's size copies it and one of twice its size repeats each element
    twice, whatever the scale factor says."""
    o = np.arange(out_size)
    if shortcuts and out_size == in_size:
        return o
    if shortcuts and out_size == 2 * in_size:
        return o >> 1
    s = _scale(in_size, out_size, scale, np.float32)
    if exact:
        src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(o.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), in_size - 1)


def linear_weights(in_size: int, out_size: int, align_corners: bool, scale, dt):
    """(i0, i1, lambda0, lambda1) per output position, as upsample_linear computes them (an
    axis keeping its size is copied, whatever the scale factor)."""
    if in_size == out_size:
        i = np.arange(out_size)
        return i, i, np.ones(out_size, dt), np.zeros(out_size, dt)
    o = np.arange(out_size).astype(dt)
    s = _area_scale(in_size, out_size, align_corners, scale, dt)
    if align_corners:
        src = s * o
    else:
        src = np.maximum(s * (o + dt(0.5)) - dt(0.5), dt(0))
    i0 = src.astype(np.int64)
    i1 = i0 + (i0 < in_size - 1)
    l1 = np.clip(src - i0.astype(dt), dt(0), dt(1))
    return i0, i1, dt(1) - l1, l1


def cubic_weights(in_size: int, out_size: int, align_corners: bool, scale, dt):
    """(indices, weights), each ``(4, out_size)``: the four taps of every output position,
    as upsample_bicubic2d computes them (Keys' cubic convolution with A = -0.75, source
    positions not clamped, tap indices clamped to the input)."""
    o = np.arange(out_size)
    s = _area_scale(in_size, out_size, align_corners, scale, dt)
    if align_corners:
        src = s * o.astype(dt)
    else:  # in double, rounded once, as the C++ does with its int + 0.5
        src = (np.float64(s) * (o + 0.5) - 0.5).astype(dt)
    i = np.floor(src)
    t = src - i
    a = dt(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + dt(2)) * x - (a + dt(3))) * x * x + dt(1)

    def far(x):  # 1 < |x| < 2
        return ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a
    one = dt(1)
    weights = np.stack([far(t + one), near(t), near(one - t), far(one - t + one)])
    base = i.astype(np.int64) - 1
    indices = np.clip(base[None, :] + np.arange(4)[:, None], 0, in_size - 1)
    return indices, weights


def _taps_matrix(indices, weights, in_size: int) -> np.ndarray:
    """The ``(out, in)`` matrix of one axis: row ``o`` adds ``weights[k][o]`` at
    ``indices[k][o]`` for every tap ``k`` (repeated indices accumulate)."""
    m = np.zeros((len(indices[0]), in_size), weights[0].dtype)
    rows = np.arange(len(indices[0]))
    for i, w in zip(indices, weights):
        np.add.at(m, (rows, i), w)
    return m


_DENSE_AXIS = 128  # measured: below this input size a BLAS product beats gathering taps


def _interpolate_axes(a: np.ndarray, taps) -> np.ndarray:
    """``a`` resampled along its trailing ``len(taps)`` axes, the last axis first, from each
    axis's ``(indices, weights)`` taps: a product with the axis's matrix when the axis is
    short, else a sum of gathered taps."""
    nd = len(taps)
    for k in reversed(range(nd)):
        indices, weights = taps[k]
        ax = a.ndim - nd + k
        if a.shape[ax] < _DENSE_AXIS:
            m = _taps_matrix(indices, weights, a.shape[ax])
            a = np.moveaxis(apply_axes(np.moveaxis(a, ax, -1), [m]), -1, ax)
        else:
            bshape = [1] * a.ndim
            bshape[ax] = -1
            acc = weights[0].reshape(bshape) * np.take(a, indices[0], axis=ax)
            for i, w in zip(indices[1:], weights[1:]):
                acc = acc + w.reshape(bshape) * np.take(a, i, axis=ax)
            a = acc
    return a


def _filter(x: np.ndarray, cubic: bool, a: float = _CUBIC_A) -> np.ndarray:
    """The linear (triangle) or cubic-convolution kernel at offsets ``x``, in their type."""
    dt = x.dtype.type
    x = np.abs(x)
    if not cubic:
        return np.maximum(dt(1) - x, dt(0))
    a = dt(a)
    near = ((a + dt(2)) * x - (a + dt(3))) * x * x + dt(1)
    far = ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a
    return np.where(x < 1, near, np.where(x < 2, far, dt(0)))


def _lanczos(x: np.ndarray) -> np.ndarray:
    """Lanczos-3: sinc(x) sinc(x / 3) for |x| < 3, in ``x``'s type."""
    dt = x.dtype.type

    def sinc(v):
        pv = v * dt(np.pi)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(v == 0, dt(1), np.sin(pv) / pv)
    x = np.abs(x)
    return np.where(x < 3, sinc(x) * sinc(x / dt(3)), dt(0))


# antialiased filters: half their support, and the kernel at offsets x (in x's type)
_AA_FILTERS = {"bilinear": (1, lambda x: _filter(x, False)),
               "bicubic": (2, lambda x: _filter(x, True, -0.5)),
               "lanczos": (3, _lanczos)}


def aa_weights(in_size: int, out_size: int, align_corners: bool, scale, dt, mode: str):
    """(first index, weights (out, K)) of PyTorch's antialiased resampling: the filter
    (triangle, cubic with A = -0.5 or Lanczos-3, as in PIL) stretched by the downscale
    factor, taps cut at the input's edges and normalised to sum 1."""
    half, filter_fn = _AA_FILTERS[mode]
    s = _area_scale(in_size, out_size, align_corners, scale, dt)
    support = dt(half) * (s if s >= 1 else dt(1))
    k = int(np.ceil(support)) * 2 + 1
    center = (np.float64(s) * (np.arange(out_size) + 0.5)).astype(dt)
    inv = dt(1) / s if s >= 1 else dt(1)
    first = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    size = np.clip(np.minimum(np.trunc(center + support + 0.5).astype(np.int64), in_size)
                   - first, 0, k)
    w = np.zeros((out_size, k), dt)
    total = np.zeros(out_size, dt)
    for j in range(k):
        offset = ((j + first - center) + 0.5) * np.float64(inv)
        wj = np.where(j < size, filter_fn(offset.astype(dt)), dt(0))
        w[:, j] = wj
        total = total + wj
    return first, np.where(total[:, None] != 0, w / np.where(total == 0, 1, total)[:, None], w)


def _aa_taps(mode: str):
    def taps(in_size: int, out_size: int, align_corners: bool, scale, dt):
        first, w = aa_weights(in_size, out_size, align_corners, scale, dt, mode)
        idx = np.minimum(first[:, None] + np.arange(w.shape[1]), in_size - 1)
        return list(idx.T), list(w.T)
    return taps


def _folded_weights(in_size: int, out_size: int, align_corners: bool, scale, cubic: bool):
    """(first index, double weights (out, K), largest partial weight) of PyTorch's uint8
    bilinear/bicubic kernel without antialiasing: taps outside the input folded onto the
    edge taps."""
    k = 4 if cubic else 2
    support = k // 2
    o = np.arange(out_size)
    s = _area_scale(in_size, out_size, align_corners, scale, np.float64)
    if align_corners:
        src = s * o
    else:
        src = s * (o + 0.5) - 0.5
        if not cubic:
            src = np.maximum(src, 0.0)
    # floorf: the double position is floored as a float
    index = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), in_size - 1)
    lam = np.clip(src - index, 0.0, 1.0)
    unbound = index - support + 1
    first = np.maximum(unbound, 0)
    size = np.clip(np.minimum(unbound + k, in_size) - first, 0, k)
    w = np.zeros((out_size, k))
    slot = np.zeros(out_size, np.int64)
    rows = np.arange(out_size)
    top = 0.0
    for j in range(k):
        pos = unbound + j
        slot = np.where(pos <= 0, 0, np.where(pos >= in_size - 1, size - 1, slot))
        w[rows, slot] += _filter(j + 1 - support - lam, cubic)
        top = max(top, w[rows, slot].max(initial=0.0))
        slot = slot + 1
    return first, w, top


def _byte_taps(in_size: int, out_size: int, align_corners: bool, scale, mode: str,
               antialias: bool):
    """(first index, int16 weights (out, K), precision) of one axis of PyTorch's uint8
    kernel: double weights scaled to fixed point with as many bits as keep them in int16."""
    if antialias:
        first, w = aa_weights(in_size, out_size, align_corners, scale, np.float64, mode)
        top = w.max(initial=0.0)
    else:
        first, w, top = _folded_weights(in_size, out_size, align_corners, scale,
                                        mode == "bicubic")
    precision = 0
    while precision < 22 and int(0.5 + top * (1 << (precision + 1))) < 1 << 15:
        precision += 1
    v = w * (1 << precision)
    return first, np.trunc(np.where(v < 0, v - 0.5, v + 0.5)).astype(np.int64), precision


def _byte_resample(a: np.ndarray, out_shape, align_corners: bool, scales, mode: str,
                   antialias: bool):
    """uint8 bilinear/bicubic/lanczos as PyTorch computes it: a horizontal then a vertical pass (an
    axis keeping its size is skipped), each a fixed-point sum rounded to 0..255."""
    a = a.astype(np.int64)  # a copy: the result never shares the input's memory
    for ax in (-1, -2):
        n, m = a.shape[ax], out_shape[ax]
        if n == m:
            continue
        first, w, precision = _byte_taps(n, m, align_corners, scales[ax], mode, antialias)
        idx = np.minimum(first[:, None] + np.arange(w.shape[1]), n - 1)
        taken = np.take(np.moveaxis(a, ax, -1), idx, axis=-1)
        total = (taken * w).sum(-1) + (1 << (precision - 1))
        a = np.moveaxis(np.clip(total >> precision, 0, 255), -1, ax)
    return a


def _check_input(name: str, self, nd: int, size, kernel: str | None = None,
                 integers=(D.uint8,)) -> tuple[int, ...]:
    size = int_list(name, "output_size", size)
    if len(size) != nd:
        raise RuntimeError(f"It is expected output_size equals to {nd}, but got size "
                           f"{len(size)}")
    if self.ndim != nd + 2:
        raise RuntimeError(f"It is expected input_size equals to {nd + 2}, but got size "
                           f"{self.ndim}")
    if any(n <= 0 for n in self._shape[2:]) or any(n <= 0 for n in size):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, self._shape[2:]))}) and output "
                           f"({', '.join(map(str, size))})")
    if self._shape[1] == 0:
        raise RuntimeError(f"Non-empty {nd + 2}D data tensor expected but got a tensor with "
                           f"sizes {list(self._shape)}")
    check_dtype(self, kernel or name, integers)
    return self._shape[:2] + size


def _compute_dt(self):
    return np.float64 if self._dtype is D.float64 else np.float32


def _nearest(name: str, nd: int, exact: bool):
    def forward(self, output_size, *scales):
        shape = _check_input(name, self, nd, output_size)
        idx = [nearest_indices(i, o, s, exact, not exact and nd == 2) for i, o, s in
               zip(self._shape[2:], shape[2:], scales)]
        return new_result(shape, self, lambda: gather_axes(values(self), idx))

    def backward(grad, args):
        self, scales = args.self, [getattr(args, n) for n in _SCALE_NAMES[nd]]
        idx = [nearest_indices(i, o, s, exact, not exact) for i, o, s in
               zip(self.shape[2:], grad.shape[2:], scales)]

        def compute():
            g = values(grad)
            return apply_axes(g, [one_hot(i, n, g.dtype).T for i, n in zip(idx, self.shape[2:])])
        return new_result(tuple(self.shape), grad, compute)
    return forward, backward


def _linear_taps(in_size: int, out_size: int, align_corners: bool, scale, dt):
    i0, i1, l0, l1 = linear_weights(in_size, out_size, align_corners, scale, dt)
    return (i0, i1), (l0, l1)


def _interpolating(name: str, nd: int, taps_of, dtype_check: tuple, byte_kind=None):
    """Forward and backward of a linear/cubic resampling op; ``taps_of(in, out,
    align_corners, scale, dt)`` gives one axis's (indices, weights); ``dtype_check`` holds
    the trailing arguments of :func:`_check_input`; ``byte_kind`` (mode, antialias) selects
    the fixed-point kernel of uint8 inputs."""
    def taps(self_shape, out_shape, align_corners, scales, dt):
        return [taps_of(i, o, align_corners, s, dt) for i, o, s in
                zip(self_shape, out_shape, scales)]

    def forward(self, output_size, align_corners, *scales):
        shape = _check_input(name, self, nd, output_size, *dtype_check)
        if name.endswith("_aa") and self._dtype in (D.float16, D.bfloat16):
            raise NotImplementedError(f"\"{dtype_check[0]}\" not implemented for "
                                      f"'{self._dtype.scalar_type_name}'")
        dt = _compute_dt(self)

        def compute():
            if self._dtype is D.uint8:
                return _byte_resample(values(self), shape, align_corners, scales, *byte_kind)
            a = values(self).astype(dt, copy=False)
            return _interpolate_axes(a, taps(self._shape[2:], shape[2:], align_corners, scales,
                                             dt))
        return new_result(shape, self, compute)

    def backward(grad, args):
        self = args.self
        scales = [getattr(args, n) for n in _SCALE_NAMES[nd]]

        def compute():
            g = values(grad)
            ts = taps(self.shape[2:], grad.shape[2:], args.align_corners, scales, g.dtype.type)
            return apply_axes(g, [_taps_matrix(*t, n).T for t, n in zip(ts, self.shape[2:])])
        return new_result(tuple(self.shape), grad, compute)
    return forward, backward


_SCALE_NAMES = {1: ("scales",), 2: ("scales_h", "scales_w"),
                3: ("scales_d", "scales_h", "scales_w")}
# name, autograd node, (kernel named by the dtype error, integer dtypes accepted)
_LINEAR = {1: ("upsample_linear1d", "UpsampleLinear1DBackward0",
               ("compute_indices_weights_linear", ())),
           2: ("upsample_bilinear2d", "UpsampleBilinear2DBackward0", ()),
           3: ("upsample_trilinear3d", "UpsampleTrilinear3DBackward0",
               ("compute_indices_weights_linear", ()))}


def _define() -> None:
    for nd, dims in ((1, "1d"), (2, "2d"), (3, "3d")):
        scales = ", ".join(f"float? {n}=None" for n in _SCALE_NAMES[nd])
        for prefix, exact, node in (("upsample_nearest", False, "UpsampleNearest"),
                                    ("_upsample_nearest_exact", True, "UpsampleNearestExact")):
            op = defop(f"{prefix}{dims}(Tensor self, SymInt[{nd}] output_size, {scales}) "
                       "-> Tensor", variants=("function",))
            fwd, bwd = _nearest(f"{prefix}{dims}", nd, exact)
            op.impl("CPU", "Meta")(fwd)
            op.backward(f"{node}{nd}DBackward0")(bwd)
        interpolating = [(*_LINEAR[nd], _linear_taps, ("bilinear", False))]
        if nd == 2:
            interpolating.append(("upsample_bicubic2d", "UpsampleBicubic2DBackward0",
                                  ("compute_indices_weights_cubic",), cubic_weights,
                                  ("bicubic", False)))
            interpolating += [(f"_upsample_{mode}2d_aa", f"Upsample{mode.title()}2DAaBackward0",
                               ("compute_index_ranges_weights",), _aa_taps(mode), (mode, True))
                              for mode in _AA_FILTERS]
        for name, node, kernel, taps_of, byte_kind in interpolating:
            op = defop(f"{name}(Tensor self, SymInt[{nd}] output_size, bool align_corners, "
                       f"{scales}) -> Tensor", variants=("function",))
            fwd, bwd = _interpolating(name, nd, taps_of, kernel, byte_kind)
            op.impl("CPU", "Meta")(fwd)
            op.backward(node)(bwd)


_define()
