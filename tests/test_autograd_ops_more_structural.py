"""Gradients of shape, indexing, scatter/gather and linear-algebra ops against torch (harness
in ``test_autograd_ops_more.py``): index tensors are built inside the programs, so each
library gets its own."""
from __future__ import annotations

import torch

from frankentorch._dispatch.dispatcher import OPS

from test_autograd_ops_more import Case, make_tests


def _idx(m, *values):
    return m.tensor(list(values), dtype=m.int64)


def _index(m, a, indices):
    """``aten::index.Tensor`` (advanced indexing) called as an op."""
    if m is torch:
        return torch.ops.aten.index.Tensor(a, indices)
    return OPS["index"].overloads[0](a, indices)


def _spd(m, a):
    """A symmetric positive definite matrix (batch) built from ``a``."""
    n = a.shape[-1]
    return a.matmul(a.transpose(-2, -1)) + n * m.eye(n, dtype=a.dtype)


CASES = {
    # shape
    "cat_concat": Case([(2, 3), (1, 3)], lambda m, a, b: m.concat([a, b.t().t()])
                       + m.concatenate((b, a), dim=0)),
    "hstack": Case([(2, 3), (2, 1)], lambda m, a, b: m.hstack([a, b, a.t().t()])),
    "hstack_1d": Case([(3,), (2,), ()], lambda m, a, b, c: m.hstack([a, b, c])),
    "vstack": Case([(2, 3), (3,)], lambda m, a, b: m.vstack([a, b, a[:1]])),
    "flip": Case([(2, 3, 4)], lambda m, a: a.flip(0, 2)),
    "flip_list": Case([(3, 4)], lambda m, a: m.flip(a.t(), dims=[-1])),
    "roll": Case([(3, 4)], lambda m, a: a.roll(1, 0) + m.roll(a, shifts=(-1, 2), dims=(1, 0))),
    "roll_flat": Case([(3, 4)], lambda m, a: a.roll(5)),
    "repeat": Case([(2, 3)], lambda m, a: a.repeat(2, 1, 3)),
    "repeat_same_rank": Case([(2, 3)], lambda m, a: a.t().repeat(2, 2)),
    "tile": Case([(2, 3)], lambda m, a: m.tile(a, (2,))),
    "repeat_interleave": Case([(2, 3)], lambda m, a: m.repeat_interleave(a, 2)),
    "repeat_interleave_dim": Case([(2, 3)], lambda m, a: a.repeat_interleave(3, dim=1)),
    "repeat_interleave_tensor": Case([(3, 2)], lambda m, a: m.repeat_interleave(
        a, _idx(m, 1, 0, 2), dim=0)),
    "tril": Case([(3, 4)], lambda m, a: a.tril() + a.tril(-1) + m.tril(a, diagonal=1)),
    "triu": Case([(2, 3, 4)], lambda m, a: a.triu(1) + m.triu(a.transpose(1, 2).transpose(1, 2))),
    "sort": Case([(3, 5)], lambda m, a: a.sort(1), "distinct"),
    "sort_desc_stable": Case([(3, 5)], lambda m, a: m.sort(a, dim=0, descending=True,
                                                            stable=True), "distinct"),
    "topk": Case([(3, 5)], lambda m, a: a.topk(2), "distinct"),
    "topk_smallest": Case([(3, 5)], lambda m, a: m.topk(a.t(), 2, dim=0, largest=False),
                          "distinct"),
    "kthvalue": Case([(3, 5)], lambda m, a: a.kthvalue(2, 1), "distinct"),
    "kthvalue_keepdim": Case([(3, 5)], lambda m, a: m.kthvalue(a, 3, dim=0, keepdim=True),
                             "distinct"),
    # composites that record their inner ops
    "movedim_narrow_unflatten": Case([(2, 3, 4)], lambda m, a: m.movedim(a, 0, 2)
                                     .narrow(0, 1, 2).unflatten(1, (2, 2)), name=False),
    "chunk_contiguous": Case([(4, 3)], lambda m, a: a.t().chunk(2, 1)[1].contiguous()),
    "as_strided": Case([(3, 4)], lambda m, a: m.as_strided(a, (2, 2), (1, 2), 1)),
    "max_other": Case([(3, 4), (4,)], lambda m, a, b: m.max(a, b)),
    "linear": Case([(3, 4), (2, 4), (2,)], lambda m, a, w, b: m.nn.functional.linear(a, w, b)),
    "linear_no_bias": Case([(2, 3, 4), (2, 4)], lambda m, a, w: m.nn.functional.linear(a, w),
                           name=False),
    "narrow_diagonal": Case([(3, 4)], lambda m, a: a.narrow(1, 1, 3).diagonal()),
    # indexing
    "index_select": Case([(4, 3)], lambda m, a: a.index_select(0, _idx(m, 2, 0, 2))),
    "index_select_dim": Case([(4, 3)], lambda m, a: m.index_select(a.t(), dim=1,
                                                                  index=_idx(m, 3, 3, 1))),
    "gather": Case([(3, 4)], lambda m, a: a.gather(1, _idx(m, 0, 0, 3, 1, 2, 2).reshape(3, 2))),
    "take_along_dim": Case([(3, 4)], lambda m, a: m.take_along_dim(
        a, _idx(m, 1, 3, 3).reshape(3, 1), dim=1)),
    "take_along_dim_broadcast": Case([(1, 4)], lambda m, a: m.take_along_dim(
        a, _idx(m, 1, 3, 0).reshape(3, 1), 1)),
    "take_along_dim_flat": Case([(3, 4)], lambda m, a: m.take_along_dim(a, _idx(m, 11, 0, 0))),
    "take": Case([(3, 4)], lambda m, a: m.take(a, _idx(m, 0, -1, 5, 5).reshape(2, 2))),
    "index_tensor": Case([(4, 3)], lambda m, a: _index(m, a.t(), [_idx(m, 1, 1, 2)])),
    "index_two_tensors": Case([(4, 3)], lambda m, a: _index(m, a, [_idx(m, 1, 1, 3),
                                                                   _idx(m, 0, 0, 2)])),
    "index_bool": Case([(4, 3)], lambda m, a: _index(m, a, [a > 0])),
    "masked_select": Case([(3, 4), (4,)], lambda m, a, b: m.masked_select(b, a > 0)),
    "masked_scatter": Case([(3, 4), (13,)], lambda m, a, s: a.masked_scatter(a > 0, s)),
    "scatter": Case([(3, 4), (3, 2)], lambda m, a, s: a.scatter(
        1, _idx(m, 0, 3, 1, 2, 2, 0).reshape(3, 2), s)),
    "scatter_value": Case([(3, 4)], lambda m, a: m.scatter(a, 0, _idx(m, 2, 0).reshape(1, 2),
                                                          value=1.5)),
    "scatter_add": Case([(3, 4), (2, 4)], lambda m, a, s: a.scatter_add(
        0, _idx(m, 0, 0, 2, 1, 0, 0, 0, 1).reshape(2, 4), s)),
    "scatter_inplace": Case([(3, 4), (3, 2)], lambda m, a, s: (a * 1).scatter_(
        1, _idx(m, 0, 3, 1, 2, 2, 0).reshape(3, 2), s)),
}

_SR_INDEX = (0, 0, 2, 1, 0, 0, 0, 1)
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _incl in (True, False):
        CASES[f"scatter_reduce_{_reduce}_{'incl' if _incl else 'excl'}"] = Case(
            [(3, 4), (2, 4)],
            lambda m, a, s, r=_reduce, i=_incl: a.scatter_reduce(
                0, _idx(m, *_SR_INDEX).reshape(2, 4), s, r, include_self=i), "distinct")

CASES.update({
    "index_add": Case([(4, 3), (2, 3)], lambda m, a, s: a.index_add(0, _idx(m, 3, 3), s,
                                                                     alpha=2.0)),
    "index_add_dim": Case([(4, 3), (4, 2)], lambda m, a, s: m.index_add(a, 1, _idx(m, 0, 2), s)),
    "index_copy": Case([(4, 3), (2, 3)], lambda m, a, s: a.index_copy(0, _idx(m, 3, 1), s)),
    "index_fill": Case([(4, 3)], lambda m, a: a.index_fill(1, _idx(m, 0, 2), -1.0)),
    "index_fill_tensor": Case([(4, 3), ()], lambda m, a, v: a.index_fill(0, _idx(m, 1, 3), v)),
    # linear algebra
    "addmv": Case([(3,), (3, 4), (4,)], lambda m, a, b, c: m.addmv(a, b, c, beta=0.5,
                                                                    alpha=2.0)),
    "baddbmm": Case([(2, 3, 5), (2, 3, 4), (2, 4, 5)],
                    lambda m, a, b, c: m.baddbmm(a, b, c, beta=0.5, alpha=-1.5)),
    "baddbmm_broadcast": Case([(5,), (2, 3, 4), (2, 4, 5)],
                              lambda m, a, b, c: a.baddbmm(b, c)),
    "outer": Case([(3,), (4,)], lambda m, a, b: m.outer(a, b)),
    "ger": Case([(3,), (4,)], lambda m, a, b: a.ger(b)),
    "vdot": Case([(4,), (4,)], lambda m, a, b: m.vdot(a, b)),
    "det": Case([(3, 3)], lambda m, a: m.det(a)),
    "linalg_det_batch": Case([(2, 3, 3)], lambda m, a: m.linalg.det(a)),
    "det_singular": Case([(3, 3)], lambda m, a: m.det(a * m.tensor([1.0, 1.0, 0.0],
                                                                  dtype=a.dtype)),
                         gradcheck=False),
    "inverse": Case([(3, 3)], lambda m, a: m.inverse(a + 3 * m.eye(3, dtype=a.dtype))),
    "linalg_inv_batch": Case([(2, 3, 3)], lambda m, a: m.linalg.inv(a)),
    "solve": Case([(3, 3), (3, 2)], lambda m, a, b: m.linalg.solve(a, b)),
    "solve_vector": Case([(3, 3), (3,)], lambda m, a, b: m.linalg.solve(a, b)),
    "solve_batch_broadcast": Case([(2, 3, 3), (3, 2)], lambda m, a, b: m.linalg.solve(a, b)),
    "solve_right": Case([(3, 3), (2, 3)], lambda m, a, b: m.linalg.solve(a, b, left=False)),
    "cholesky": Case([(3, 3)], lambda m, a: m.linalg.cholesky(_spd(m, a))),
    "cholesky_upper_batch": Case([(2, 3, 3)], lambda m, a: m.linalg.cholesky(_spd(m, a),
                                                                            upper=True)),
    "cholesky_deprecated": Case([(3, 3)], lambda m, a: m.cholesky(_spd(m, a))),
})

# torch decomposes these (the final node is a view/bmm/...): values only
NAMELESS = {
    "einsum_matmul": Case([(3, 4), (4, 2)], lambda m, a, b: m.einsum("ij,jk->ik", a, b),
                          name=False),
    "einsum_implicit_trace_outer": Case([(3, 3), (2,)], lambda m, a, b: m.einsum("ii,j", a, b),
                                        name=False),
    "einsum_diagonal_broadcast": Case([(3, 3), (4,)], lambda m, a, b: m.einsum("ii->i", a)
                                      .sum() * m.einsum("j->", b), name=False),
    "einsum_ellipsis": Case([(2, 1, 3, 4), (5, 4, 2)], lambda m, a, b: m.einsum(
        "...ij,...jk->...ik", a, b), name=False),
    "einsum_single_summed": Case([(3, 4)], lambda m, a: m.einsum("ij->j", a), name=False),
    "tensordot": Case([(2, 3, 4), (4, 3, 5)], lambda m, a, b: m.tensordot(a, b, ([1, 2], [1, 0])),
                      name=False),
    "tensordot_int": Case([(2, 3, 4), (3, 4, 5)], lambda m, a, b: m.tensordot(a, b, 2),
                          name=False),
}
CASES.update(NAMELESS)


SECOND_ORDER = ["flip", "roll", "repeat", "repeat_interleave_tensor", "sort", "gather",
                "index_select", "index_tensor", "scatter", "scatter_add", "masked_select",
                "scatter_reduce_prod_incl", "scatter_reduce_mean_excl", "addmv", "baddbmm",
                "outer", "det", "inverse", "solve", "cholesky", "einsum_matmul", "tensordot",
                "take"]
test_grads_match_torch, test_gradcheck, test_gradgradcheck = make_tests(CASES, SECOND_ORDER)
