"""Type promotion and elementwise add/sub/mul/div, differentially against torch.

Operands are 1-d tensors, 0-d tensors (of each of the 10 dtypes) or Python scalars
(bool/int/float); result dtypes, values, raised exception types and output layouts must all
match torch's.
"""
from __future__ import annotations

import operator
import random

import pytest
import torch

import frankentorch as ft
from conftest import (DTYPE_NAMES, TORCH_DTYPE, dname, random_strided, random_values,
                      run_both)

PY_SCALARS = {"py_bool": True, "py_int": 3, "py_float": 2.5}
SPECS = [f"1d_{d}" for d in DTYPE_NAMES] + [f"0d_{d}" for d in DTYPE_NAMES] + list(PY_SCALARS)
PAIRS = [(a, b) for a in SPECS for b in SPECS if not (a in PY_SCALARS and b in PY_SCALARS)]
OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


def make_operand(spec: str, seed: int):
    """torch operand for ``spec`` (Python scalars are returned as they are)."""
    if spec in PY_SCALARS:
        return PY_SCALARS[spec]
    kind, dt = spec.split("_", 1)
    gen = torch.Generator().manual_seed(seed)
    shape = (5,) if kind == "1d" else ()
    return random_values(gen, shape, TORCH_DTYPE[dt])


def _operands(a_spec, b_spec):
    seed = SPECS.index(a_spec) * 100 + SPECS.index(b_spec)
    return make_operand(a_spec, seed), make_operand(b_spec, seed + 1)


def _call(prog, a, b):
    """``run_both`` with Python scalars passed through untouched (they are not inputs to
    convert); tensors are rebuilt for frankentorch with the same layout."""
    return run_both(lambda m, x, y: prog(m, x, y), a, b)


@pytest.mark.parametrize("a_spec,b_spec", PAIRS)
def test_result_type(a_spec, b_spec):
    a, b = _operands(a_spec, b_spec)
    _call(lambda m, x, y: m.result_type(x, y), a, b)


@pytest.mark.parametrize("a_spec,b_spec", PAIRS)
@pytest.mark.parametrize("op", list(OPS))
def test_binary_operator_dtype_and_values(op, a_spec, b_spec):
    a, b = _operands(a_spec, b_spec)
    fn = OPS[op]
    _call(lambda m, x, y: fn(x, y), a, b)


@pytest.mark.parametrize("a_spec,b_spec", [p for p in PAIRS if p[0] not in PY_SCALARS])
@pytest.mark.parametrize("op", list(OPS))
def test_binary_function_dtype_and_values(op, a_spec, b_spec):
    a, b = _operands(a_spec, b_spec)
    _call(lambda m, x, y: getattr(m, op)(x, y), a, b)
    _call(lambda m, x, y: getattr(x, op)(y), a, b)


@pytest.mark.parametrize("a_dt", DTYPE_NAMES)
def test_promote_types_table(a_dt):
    for b_dt in DTYPE_NAMES:
        assert dname(ft.promote_types(ft.__dict__[a_dt], ft.__dict__[b_dt])) == \
            dname(torch.promote_types(TORCH_DTYPE[a_dt], TORCH_DTYPE[b_dt]))


# ---------------------------------------------------------------- in-place, out=, alpha

@pytest.mark.parametrize("a_dt", DTYPE_NAMES)
@pytest.mark.parametrize("op", list(OPS))
def test_inplace_casting(op, a_dt):
    """``a.op_(b)`` keeps a's dtype; torch refuses results a's dtype cannot hold."""
    for b_spec in SPECS:
        a, b = _operands(f"1d_{a_dt}", b_spec)

        def prog(m, x, y):
            v = x._version
            r = getattr(x, op + "_")(y)
            assert r is x
            return r, x._version - v
        _call(prog, a, b)


@pytest.mark.parametrize("out_dt", DTYPE_NAMES)
@pytest.mark.parametrize("op", list(OPS))
def test_out_argument(op, out_dt):
    for a_spec, b_spec in (("1d_int32", "1d_float32"), ("1d_int8", "py_int"),
                           ("0d_float64", "1d_bfloat16"), ("1d_bool", "1d_bool"),
                           ("1d_uint8", "0d_int16"), ("1d_float16", "py_float")):
        a, b = _operands(a_spec, b_spec)

        def prog(m, x, y):
            out = m.zeros(2, 5, dtype=getattr(m, out_dt))[1]
            r = getattr(m, op)(x, y, out=out)
            assert r is out
            return out

        _call(prog, a, b)


@pytest.mark.parametrize("alpha", [2, -1, 0.5, True, False])
@pytest.mark.parametrize("op", ["add", "sub"])
def test_alpha(op, alpha):
    for spec in ("1d_bool", "1d_uint8", "1d_int16", "1d_int64", "1d_float16", "1d_bfloat16",
                 "1d_float32", "0d_float64"):
        a, b = _operands(spec, spec)
        _call(lambda m, x, y: getattr(m, op)(x, y, alpha=alpha), a, b)
        _call(lambda m, x, y: getattr(m, op)(x, 3, alpha=alpha), a, b)


@pytest.mark.parametrize("dt", DTYPE_NAMES)
def test_scalar_wraparound_and_overflow(dt):
    """Python ints outside the tensor's range: torch wraps them into the dtype."""
    a = make_operand(f"1d_{dt}", 7)
    for s in (-3, 200, 300, -300, 2 ** 40, -0.5, 1e10):
        for fn in OPS.values():
            _call(lambda m, x, y: fn(x, y), a, s)
            _call(lambda m, x, y: fn(y, x), a, s)


def test_bool_subtraction_errors():
    t = torch.tensor([True, False])
    i = torch.tensor([1, 2])
    for x, y in ((t, t), (t, True), (True, t), (i, True), (True, i), (t, i), (i, t),
                 (t, 1), (1, t), (t, 1.5), (t[:1].reshape(()), t)):
        _call(lambda m, a, b: a - b, x, y)
        if isinstance(x, torch.Tensor):
            _call(lambda m, a, b: m.sub(a, b), x, y)
            _call(lambda m, a, b: a.sub(b, alpha=1), x, y)


def test_broadcast_errors():
    a = torch.ones(2, 3)
    for b in (torch.ones(4), torch.ones(3, 2), torch.ones(2, 1, 4)):
        for fn in OPS.values():
            _call(lambda m, x, y: fn(x, y), a, b)
        _call(lambda m, x, y: x.add_(y), a, b)
    _call(lambda m, x, y: x.add_(y), torch.ones(3), torch.ones(2, 3))


# ---------------------------------------------------------------- output layouts

def _layouts(seed: int, dt: str):
    gen = torch.Generator().manual_seed(seed)
    base = random_values(gen, (4, 6, 5), TORCH_DTYPE[dt])
    return {
        "contig": base,
        "transposed": base.transpose(0, 2),
        "permuted": base.permute(1, 2, 0),
        "sliced": base[:, ::2, 1:],
        "expanded": base[:, :1, :].expand(4, 6, 5),
        "size1": base[:1, :1, :1],
        "row": base[0, 0],
        "channels_last_like": base.permute(0, 2, 1).contiguous().permute(0, 2, 1),
    }


LAYOUT_NAMES = list(_layouts(0, "float32"))


@pytest.mark.parametrize("b_layout", LAYOUT_NAMES)
@pytest.mark.parametrize("a_layout", LAYOUT_NAMES)
def test_output_strides(a_layout, b_layout):
    seed = LAYOUT_NAMES.index(a_layout) * 10 + LAYOUT_NAMES.index(b_layout)
    if a_layout == b_layout == "row":
        b_layout = "permuted"
    for a_dt, b_dt in (("float32", "float32"), ("int32", "float64"), ("float16", "int64"),
                       ("bfloat16", "bfloat16")):
        x = _layouts(seed, a_dt)[a_layout]
        y = _layouts(seed + 1, b_dt)[b_layout]
        for fn in OPS.values():
            _call(lambda m, p, q: fn(p, q), x, y)
        _call(lambda m, p, q: p * 2, x, y)
        _call(lambda m, p, q: 1.5 - q, x, y)
        _call(lambda m, p, q: m.add(p, q[(0,) * q.dim()]), x, y)


@pytest.mark.parametrize("seed", range(30))
def test_output_strides_random(seed):
    rng = random.Random(seed)
    nd = rng.randint(1, 4)
    shape = tuple(rng.choice((1, 2, 3, 4)) for _ in range(nd))
    b_shape = tuple(n if rng.random() < 0.7 else 1 for n in shape[rng.randint(0, nd - 1):])
    dts = rng.sample(DTYPE_NAMES[1:], 2)
    a = random_strided(rng, shape, TORCH_DTYPE[dts[0]])
    b = random_strided(rng, b_shape, TORCH_DTYPE[dts[1]])
    for fn in OPS.values():
        _call(lambda m, p, q: fn(p, q), a, b)
        _call(lambda m, p, q: fn(q, p), a, b)
