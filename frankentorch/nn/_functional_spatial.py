"""Spatial functions of ``nn.functional``: convolutions, pooling, padding, interpolation,
unfold/fold, with PyTorch's Python signatures over the registered ops."""
from __future__ import annotations

import math
import warnings

from .._dispatch.dispatcher import OPS as _OPS
from .._ops.padding import pad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold", "max_pool1d", "max_pool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "pad", "interpolate", "upsample",
           "upsample_nearest", "upsample_bilinear"]


def _op(name: str):
    return _OPS[name].function()


conv1d = _op("conv1d")
conv2d = _op("conv2d")
conv3d = _op("conv3d")
conv_transpose1d = _op("conv_transpose1d")
conv_transpose2d = _op("conv_transpose2d")
conv_transpose3d = _op("conv_transpose3d")
avg_pool1d = _op("avg_pool1d")
adaptive_avg_pool1d = _op("adaptive_avg_pool1d")


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _stride(stride):
    return () if stride is None else stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of a batched (or unbatched) image as columns (im2col)."""
    return _op("im2col")(input, _pair(kernel_size), _pair(dilation), _pair(padding),
                         _pair(stride))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns of local blocks back into an image (col2im)."""
    return _op("col2im")(input, _pair(output_size), _pair(kernel_size), _pair(dilation),
                         _pair(padding), _pair(stride))


def _max_pools(nd: int):
    """``max_pool{nd}d`` and ``max_pool{nd}d_with_indices`` as nn.functional defines them."""
    def with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
        return _op(f"max_pool{nd}d_with_indices")(input, kernel_size, _stride(stride), padding,
                                                  dilation, ceil_mode)

    def plain(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
              return_indices=False):
        if return_indices:
            return with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
        return _op(f"max_pool{nd}d")(input, kernel_size, _stride(stride), padding, dilation,
                                     ceil_mode)
    with_indices.__name__ = f"max_pool{nd}d_with_indices"
    plain.__name__ = f"max_pool{nd}d"
    return with_indices, plain


max_pool1d_with_indices, max_pool1d = _max_pools(1)
max_pool2d_with_indices, max_pool2d = _max_pools(2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _op("avg_pool2d")(input, kernel_size, _stride(stride), padding, ceil_mode,
                             count_include_pad, divisor_override)


def _list_with_default(out_size, defaults):
    """Output sizes where ``None`` keeps the input's size."""
    if isinstance(out_size, int) and not isinstance(out_size, bool):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def adaptive_avg_pool2d(input, output_size):
    return _op("adaptive_avg_pool2d")(input, _list_with_default(output_size, input.shape))


def adaptive_avg_pool3d(input, output_size):
    return _op("adaptive_avg_pool3d")(input, _list_with_default(output_size, input.shape))


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _op("adaptive_max_pool2d")(input, _list_with_default(output_size, input.shape))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out = adaptive_max_pool2d_with_indices(input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _op("adaptive_max_pool1d")(input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = adaptive_max_pool1d_with_indices(input, output_size)
    return out if return_indices else out[0]


# ---------------------------------------------------------------- interpolate

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) or hasattr(x, "__index__")


def _sizes_and_scales(input, size, scale_factor, recompute_scale_factor, mode):
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(x) for x in size]}")
            out = list(size)
        else:
            out = [size] * dim
    elif scale_factor is not None:
        out = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, "
                    "C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = list(scale_factor)
        else:
            scales = [scale_factor] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out = [int(input.shape[i + 2] * scales[i]) for i in range(dim)]
        scales = None
    if out is None:
        out = [int(math.floor(float(input.shape[i + 2]) * scales[i])) for i in range(dim)]
    return out, scales or [None] * dim


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of ``input`` (nearest, nearest-exact, linear, bilinear,
    bicubic, trilinear, area; antialiased bilinear, bicubic and lanczos)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    out, scales = _sizes_and_scales(input, size, scale_factor, recompute_scale_factor, mode)
    nd = input.ndim
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if mode in ("nearest", "nearest-exact") and nd in (3, 4, 5):
        prefix = "upsample_nearest" if mode == "nearest" else "_upsample_nearest_exact"
        return _op(f"{prefix}{nd - 2}d")(input, out, *scales)
    if mode == "area" and nd == 3:
        return adaptive_avg_pool1d(input, out)
    if mode == "area" and nd == 4:
        return adaptive_avg_pool2d(input, out)
    if mode == "area" and nd == 5:
        return adaptive_avg_pool3d(input, out)
    if mode == "linear" and nd == 3:
        return _op("upsample_linear1d")(input, out, align_corners, *scales)
    if mode in ("bilinear", "bicubic") and nd == 4 and antialias:
        return _op(f"_upsample_{mode}2d_aa")(input, out, align_corners, *scales)
    if mode == "bilinear" and nd == 4:
        return _op("upsample_bilinear2d")(input, out, align_corners, *scales)
    if mode == "trilinear" and nd == 5:
        return _op("upsample_trilinear3d")(input, out, align_corners, *scales)
    if mode == "bicubic" and nd == 4:
        return _op("upsample_bicubic2d")(input, out, align_corners, *scales)
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and nd in (3, 4, 5):
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {needs[mode]}D input")
    if mode == "lanczos" and nd == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        return _op("_upsample_lanczos2d_aa")(input, out, align_corners, *scales)
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                              f"{nd}D) for the modes: {_MODES} (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
