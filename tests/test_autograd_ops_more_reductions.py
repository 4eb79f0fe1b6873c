"""Gradients of reductions, scans, norms and statistics against torch (harness in
``test_autograd_ops_more.py``): ties, zeros, NaN, dims/keepdim/dtype keywords and every
overload of var/std/norm."""
from __future__ import annotations


from test_autograd_ops_more import Case, make_tests


def _with_zeros(m, a, *zeros):
    """``a`` with the flat positions ``zeros`` set to 0 (differentiably)."""
    mask = m.ones(a.numel(), dtype=a.dtype)
    for z in zeros:
        mask[z] = 0.0
    return a * mask.reshape(a.shape)


def _ties(m, a):
    """``a`` (3x4) with its row maxima repeated: ties for max/min/amax/median."""
    return m.cat([a, a[:, :1] * 0 + a.detach().amax(1, keepdim=True)], 1)


CASES = {
    "prod": Case([(3, 4)], lambda m, a: a.prod()),
    "prod_dim": Case([(3, 4)], lambda m, a: a.t().prod(1, keepdim=True)),
    "prod_dtype": Case([(3, 4)], lambda m, a: m.prod(a, 0, dtype=m.float64)),
    "prod_one_zero": Case([(3, 4)], lambda m, a: _with_zeros(m, a, 5).prod()),
    "prod_two_zeros": Case([(3, 4)], lambda m, a: _with_zeros(m, a, 1, 6).prod()),
    "prod_dim_zeros": Case([(3, 4)], lambda m, a: _with_zeros(m, a, 1, 2, 4).prod(1)),
    "prod_scalar": Case([()], lambda m, a: a.prod()),
    "nansum": Case([(3, 4)], lambda m, a: (a * 3).log().nansum(1)),
    "nansum_all": Case([(3, 4)], lambda m, a: m.nansum(a.log(), dim=(0, 1), keepdim=True)),
    "nanmean": Case([(3, 4)], lambda m, a: m.nanmean(a.log(), 0), name=False),
    "nanmean_all": Case([(3, 4)], lambda m, a: a.log().nanmean()),
    "amax": Case([(3, 4)], lambda m, a: a.amax(1)),
    "amax_ties": Case([(3, 4)], lambda m, a: _ties(m, a).amax((0, 1), keepdim=True),
                      gradcheck=False),
    "amin": Case([(3, 4)], lambda m, a: m.amin(a.t(), dim=0)),
    "amin_ties": Case([(3, 4)], lambda m, a: _ties(m, -a).amin(1), gradcheck=False),
    "max_all": Case([(3, 4)], lambda m, a: a.max()),
    "max_all_ties": Case([(3, 4)], lambda m, a: _ties(m, a).max(), gradcheck=False),
    "max_nan": Case([(3, 4)], lambda m, a: (a.log() * 0 + a).max(), gradcheck=False),
    "min_all": Case([(3, 4)], lambda m, a: a.min()),
    "max_dim": Case([(3, 4)], lambda m, a: a.max(1)),
    "max_dim_keepdim": Case([(3, 4)], lambda m, a: m.max(a.t(), dim=0, keepdim=True)),
    "min_dim": Case([(3, 4)], lambda m, a: a.min(0).values),
    "aminmax": Case([(3, 4)], lambda m, a: m.aminmax(a, dim=1)),
    "aminmax_all": Case([(3, 4)], lambda m, a: m.aminmax(a)),
    "median": Case([(3, 5)], lambda m, a: a.median(), "distinct"),
    "median_ties": Case([(3, 4)], lambda m, a: m.cat([a, a]).median(), gradcheck=False),
    "median_dim": Case([(3, 5)], lambda m, a: a.median(1), "distinct"),
    "mode": Case([(3, 5)], lambda m, a: m.cat([a, a[:, :2]], 1).mode(1), "distinct",
                 gradcheck=False),
    "cumsum": Case([(3, 4)], lambda m, a: a.t().cumsum(1)),
    "cumsum_dtype": Case([(3, 4)], lambda m, a: m.cumsum(a, dim=-1, dtype=m.float64)),
    "cumsum_scalar": Case([()], lambda m, a: a.cumsum(0)),
    "cumprod": Case([(3, 4)], lambda m, a: a.cumprod(1)),
    "cumprod_zeros": Case([(3, 4)], lambda m, a: _with_zeros(m, a, 1, 3, 6, 8, 9).cumprod(1)),
    "cumprod_zeros_dim0": Case([(4, 3)], lambda m, a: _with_zeros(m, a, 0, 4, 5).cumprod(0)),
    "cummax": Case([(3, 5)], lambda m, a: a.cummax(1), "distinct"),
    "cummin": Case([(3, 5)], lambda m, a: m.cummin(a.t(), dim=0), "distinct"),
    "var": Case([(3, 4)], lambda m, a: a.var()),
    "var_unbiased": Case([(3, 4)], lambda m, a: a.var(False) + a.var(1, unbiased=False)),
    "var_dim": Case([(3, 4)], lambda m, a: a.var(1, keepdim=True)),
    "var_correction": Case([(3, 4)], lambda m, a: m.var(a, (0, 1), correction=2)
                           + a.var(dim=0, correction=0)),
    "var_dof0": Case([(1, 4)], lambda m, a: a.var(0), gradcheck=False),
    "std": Case([(3, 4)], lambda m, a: a.std()),
    "std_dim": Case([(3, 4)], lambda m, a: m.std(a.t(), 1, correction=0, keepdim=True)),
    "std_zero": Case([(3, 4)], lambda m, a: (a * 0 + 1).std(1), gradcheck=False),
    "var_mean": Case([(3, 4)], lambda m, a: m.var_mean(a, 1)),
    "var_mean_all": Case([(3, 4)], lambda m, a: m.var_mean(a, unbiased=False)),
    "std_mean": Case([(3, 4)], lambda m, a: m.std_mean(a, dim=(0,), correction=0, keepdim=True)),
    "norm": Case([(3, 4)], lambda m, a: a.norm()),
    "norm_p": Case([(3, 4)], lambda m, a: a.norm(3) + a.norm(1.5) + a.norm(p=0.5)),
    "norm_dim": Case([(3, 4)], lambda m, a: a.norm(2, 1) + m.norm(a, 1, dim=1, keepdim=False)),
    "norm_fro": Case([(3, 4)], lambda m, a: a.norm("fro") + m.norm(a, p="fro", dim=(0, 1))),
    "norm_inf": Case([(3, 4)], lambda m, a: a.norm(float("inf"), 0)
                     + a.norm(float("-inf"), 0)),
    "norm_dtype": Case([(3, 4)], lambda m, a: m.norm(a, 2, dim=[0], keepdim=True,
                                                     dtype=m.float64)),
    "vector_norm": Case([(3, 4)], lambda m, a: m.linalg.vector_norm(a)),
    "vector_norm_ords": Case([(3, 4)], lambda m, a: m.linalg.vector_norm(a, 0, 1)
                             + m.linalg.vector_norm(a, 1, 1) + m.linalg.vector_norm(a, 4, 1)
                             + m.linalg.vector_norm(a, 0.7, 1)),
    "vector_norm_inf": Case([(3, 4)], lambda m, a: m.linalg.vector_norm(a, float("inf"), (0, 1))
                            + m.linalg.vector_norm(a, -float("inf"), dim=1, keepdim=True)
                            .sum()),
    "vector_norm_zero_vector": Case([(3, 4)], lambda m, a: m.linalg.vector_norm(a * 0, 2, 1)
                                    + m.linalg.vector_norm(a * 0, 3, 1)
                                    + m.linalg.vector_norm(a * 0, 1.5, 1)
                                    + m.linalg.vector_norm(a * 0, 0.5, 1)
                                    + m.linalg.vector_norm(a * 0, float("inf"), 1),
                                    gradcheck=False),
    "_softmax": Case([(3, 4)], lambda m, a: m._softmax(a, 1, False)),
    "_log_softmax": Case([(3, 4)], lambda m, a: m._log_softmax(a.t(), 0, False)),
}


SECOND_ORDER = ["prod", "prod_dim_zeros", "nansum", "amax", "max_dim", "cumsum", "cumprod",
                "cumprod_zeros", "var_dim", "std", "var_mean", "norm_p", "norm_inf",
                "vector_norm", "_softmax", "cummax"]
test_grads_match_torch, test_gradcheck, test_gradgradcheck = make_tests(CASES, SECOND_ORDER)
