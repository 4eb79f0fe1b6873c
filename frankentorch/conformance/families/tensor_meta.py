"""FT-P2C-001 tensor core: shape/stride/offset geometry, contiguity, views sharing storage,
the shared version counter, dtype properties, and metadata that must be refused."""
from __future__ import annotations

from . import Case

FAMILY = "tensor_meta"


def _geometry(x) -> dict:
    return {"shape": list(x.shape), "stride": list(x.stride()), "offset": x.storage_offset(),
            "numel": x.numel(), "dim": x.dim(), "contiguous": x.is_contiguous(),
            "element_size": x.element_size()}


def _base(m, dtype="float32"):
    return m.arange(24, dtype=getattr(m, dtype)).reshape(2, 3, 4)


VIEWS = {
    "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "t_of_2d": lambda x: x[0].t(),
    "narrow": lambda x: x.narrow(2, 1, 2),
    "select": lambda x: x.select(1, 2),
    "slice_step": lambda x: x[:, ::2, 1::2],
    "negative_index": lambda x: x[-1, -1],
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze_dim": lambda x: x[:, :1].squeeze(1),
    "expand": lambda x: x[:, :1, :].expand(2, 5, 4),
    "diagonal": lambda x: x.diagonal(0, 1, 2),
    "unfold": lambda x: x.unfold(2, 2, 1),
    "as_strided": lambda x: x.as_strided((3, 3), (5, 2), 1),
    "view_flat": lambda x: x.view(-1),
    "view_split_dim": lambda x: x.view(2, 3, 2, 2),
    "reshape_of_transpose": lambda x: x.transpose(0, 1).reshape(6, 4),
    "flatten_contiguous": lambda x: x.flatten(1),
    "movedim": lambda x: x.movedim(0, -1),
    "unbind_first": lambda x: x.unbind(1)[1],
    "split_last": lambda x: x.split(3, dim=2)[1],
    "chunk": lambda x: x.chunk(2, dim=1)[1],
    "detach": lambda x: x.detach(),
    "ellipsis_none": lambda x: x[..., None, 1],
    "empty_slice": lambda x: x[:, 3:],
}


def view_geometry(m, view: str, dtype: str = "float32"):
    """A view of a (2, 3, 4) tensor: its geometry, values, and whether it shares storage."""
    x = _base(m, dtype)
    y = VIEWS[view](x)
    shares = y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    return {"geometry": _geometry(y), "value": y, "shares_storage": shares}


def factory_geometry(m, shape, dtype: str = "float32"):
    x = m.zeros(tuple(shape), dtype=getattr(m, dtype))
    return {"geometry": _geometry(x), "nbytes": x.untyped_storage().nbytes()}


def as_strided_geometry(m, size, stride, offset: int, n: int = 16):
    """as_strided of an n-element base: contiguity rules for size-1/size-0 dims, stride 0."""
    x = m.arange(n, dtype=m.float64).as_strided(tuple(size), tuple(stride), offset)
    return {"geometry": _geometry(x), "value": x}


def write_through_view(m, how: str):
    """In-place writes through views land in the base; the version counter is shared."""
    x = m.zeros(3, 4)
    v0 = x._version
    if how == "select_fill":
        y = x[1]
        y.fill_(7)
    elif how == "transpose_setitem":
        y = x.t()
        y[2, 0] = 5.0
    elif how == "slice_add":
        y = x[:, 1:3]
        y.add_(2)
    elif how == "base_mul_after_view":
        y = x.view(12)
        x.add_(1)
        x.mul_(3)
    else:
        y = x.diagonal()
        y.copy_(m.tensor([1.0, 2.0, 3.0]))
    return {"base": x, "view": y, "base_version": x._version - v0,
            "view_version": y._version - v0}


def out_of_place_is_new(m):
    """Out-of-place results own new storage; clone keeps strides; contiguous() copies."""
    x = m.arange(6.0).reshape(2, 3)
    t = x.t()
    return {"add_shares": (x + 1).untyped_storage().data_ptr() == x.untyped_storage().data_ptr(),
            "clone_of_t": _geometry(t.clone()),
            "contiguous_of_t": _geometry(t.contiguous()),
            "contiguous_is_self": x.contiguous().data_ptr() == x.data_ptr(),
            "reshape_of_t_copies": t.reshape(6).data_ptr() != x.data_ptr()}


def dtype_properties(m, dtype: str):
    dt = getattr(m, dtype)
    x = m.zeros(2, dtype=dt)
    return {"element_size": x.element_size(), "itemsize": dt.itemsize,
            "is_floating_point": dt.is_floating_point, "is_signed": dt.is_signed,
            "tensor_is_floating": x.is_floating_point(), "str": str(dt)}


def size_and_stride_queries(m):
    x = _base(m)
    return {"size_neg": x.size(-1), "stride_neg": x.stride(-2), "size": list(x.size()),
            "shape_type": type(x.shape).__name__, "ndim": x.ndim, "nelement": x.nelement(),
            "len": len(x)}


def meta_large_numel(m, shape):
    x = m.empty(tuple(shape), device="meta")
    return {"numel": x.numel(), "stride": list(x.stride()), "contiguous": x.is_contiguous()}


REFUSALS = {
    "as_strided_past_end": lambda m: m.zeros(4).as_strided((3,), (2,), 0),
    "as_strided_negative_stride": lambda m: m.zeros(4).as_strided((2,), (-1,), 3),
    "as_strided_negative_offset": lambda m: m.zeros(4).as_strided((2,), (1,), -1),
    "negative_size": lambda m: m.zeros(2, -1),
    "view_incompatible_strides": lambda m: m.zeros(3, 4).t().view(12),
    "view_two_inferred": lambda m: m.zeros(3, 4).view(-1, -1),
    "view_wrong_numel": lambda m: m.zeros(3, 4).view(5),
    "reshape_wrong_numel": lambda m: m.zeros(3, 4).reshape(2, 5),
    "select_out_of_range": lambda m: m.zeros(3, 4).select(0, 3),
    "index_out_of_range": lambda m: m.zeros(3)[5],
    "narrow_past_end": lambda m: m.zeros(3, 4).narrow(1, 2, 3),
    "dim_out_of_range": lambda m: m.zeros(3, 4).size(2),
    "transpose_dim_out_of_range": lambda m: m.zeros(3, 4).transpose(0, 2),
    "expand_non_singleton": lambda m: m.zeros(3, 4).expand(2, 4),
    "inplace_on_expanded": lambda m: m.zeros(1, 4).expand(3, 4).add_(1),
    "permute_repeated_dim": lambda m: m.zeros(2, 3).permute(0, 0),
    "squeeze_dim_out_of_range": lambda m: m.zeros(2, 3).squeeze(3),
    "unfold_too_large": lambda m: m.zeros(3).unfold(0, 5, 1),
    "meta_numel_overflow": lambda m: m.empty((2 ** 62, 2 ** 62), device="meta"),
    "copy_to_smaller": lambda m: m.zeros(3).copy_(m.ones(4)),
}


def refused(m, what: str):
    """Metadata that cannot describe valid memory, or a call that does not fit the shape."""
    return REFUSALS[what](m)


def cases() -> list[Case]:
    out = [Case(f"view/{v}", "happy", "view_geometry", {"view": v}, op=v) for v in VIEWS]
    out += [Case(f"view_int64/{v}", "happy", "view_geometry", {"view": v, "dtype": "int64"},
                 op=v) for v in ("transpose", "slice_step", "expand", "as_strided")]
    out += [Case(f"write_through/{h}", "happy", "write_through_view", {"how": h},
                 op="version_counter")
            for h in ("select_fill", "transpose_setitem", "slice_add", "base_mul_after_view",
                      "diagonal_copy")]
    out.append(Case("out_of_place_is_new", "happy", "out_of_place_is_new", op="storage"))
    out.append(Case("size_and_stride_queries", "happy", "size_and_stride_queries", op="size"))
    out += [Case(f"dtype/{d}", "happy", "dtype_properties", {"dtype": d}, op="dtype")
            for d in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                      "bfloat16", "float32", "float64")]
    shapes = {"scalar": [], "vector": [5], "matrix": [3, 4], "empty_2d": [2, 0],
              "empty_3d": [0, 3, 4], "ones": [1, 1, 1], "5d": [2, 1, 3, 1, 2]}
    out += [Case(f"factory/{k}", "happy" if 0 not in s else "edge", "factory_geometry",
                 {"shape": s}, op="zeros") for k, s in shapes.items()]
    strided = {"size1_any_stride": ([1, 3], [7, 1], 0), "size0_any_stride": ([2, 0], [5, 1], 0),
               "stride0_broadcast": ([3, 2], [0, 1], 2), "column_major": ([3, 2], [1, 3], 0),
               "overlapping": ([4, 3], [1, 1], 0), "offset_tail": ([2], [1], 14),
               "scalar_offset": ([], [], 9), "gapped": ([2, 2], [8, 2], 1)}
    out += [Case(f"as_strided/{k}", "edge", "as_strided_geometry",
                 {"size": s, "stride": st, "offset": o}, op="as_strided")
            for k, (s, st, o) in strided.items()]
    out.append(Case("meta/large_numel", "edge", "meta_large_numel",
                    {"shape": [2 ** 31, 2 ** 31]}, op="empty"))
    out += [Case(f"refused/{k}", "adversarial", "refused", {"what": k}, op=k.split("_")[0])
            for k in REFUSALS]
    return out
