"""Schema parser and binder tests, checked against torchgen's parser, the TorchScript schema
parser (for default values) and torch's own Python argument parser (for binding outcomes)."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchgen
from torchgen.model import FunctionSchema as TGSchema

from frankentorch._dispatch import schema as schema_mod
from frankentorch._dispatch.schema import (
    NO_DEFAULT,
    BindError,
    SchemaParseError,
    SymbolicDefault,
    parse_schema,
)

YAML = os.path.join(os.path.dirname(torchgen.__file__), "packaged", "ATen", "native", "native_functions.yaml")


def _yaml_entries() -> list[tuple[str, str]]:
    """(func, variants) for every ``- func:`` entry; plain line scanning, no YAML library needed.

    Every entry in this file is a single unquoted line ``- func: <schema>``; ``variants:`` (if
    given) follows within the same entry.
    """
    entries: list[list[str]] = []
    with open(YAML) as fh:
        for line in fh:
            if line.startswith("- func: "):
                entries.append([line[len("- func: "):].rstrip("\n").rstrip(), "function"])
            elif entries and line.startswith("  variants:"):
                entries[-1][1] = line.split(":", 1)[1].strip()
    return [tuple(e) for e in entries]  # type: ignore[misc]


ENTRIES = _yaml_entries()
FUNCS = [f for f, _ in ENTRIES]


def test_yaml_scan_found_every_entry():
    with open(YAML) as fh:
        text = fh.read()
    # Each entry starts a line with "- func:"; commented-out entries start with "#".
    assert len(FUNCS) == text.count("\n- func: ") + text.startswith("- func: ")
    assert len(FUNCS) > 2000


# ---------------------------------------------------------------------------------------------
# Whole native_functions.yaml against torchgen
# ---------------------------------------------------------------------------------------------


def _tg_view(g: TGSchema) -> bool:
    # torchgen NativeFunction.is_view_op without the yaml "inplace_view" tag: a return aliases an
    # input without writing it, or an input's alias set flows into a wildcard.
    non_mutating = len(g.returns) > 0 and any(
        r.annotation is not None and not r.annotation.is_write for r in g.returns
    )
    wildcard = any(
        a.annotation is not None and "*" in a.annotation.alias_set_after for a in g.arguments.flat_non_out
    )
    return non_mutating or wildcard


def test_every_yaml_schema_matches_torchgen():
    mismatches = []
    for f in FUNCS:
        g = TGSchema.parse(f)
        s = parse_schema(f)
        try:
            assert str(s) == str(g)
            assert s.name == str(g.name.name)
            assert s.overload_name == g.name.overload_name
            tg_args = list(g.arguments.flat_all)
            positional = {id(a) for a in g.arguments.flat_positional}
            assert [a.name for a in s.arguments] == [a.name for a in tg_args]
            assert [a.kwarg_only for a in s.arguments] == [id(a) not in positional for a in tg_args]
            assert [str(a.type) for a in s.arguments] == [str(a.type) for a in tg_args]
            assert [a.default_text for a in s.arguments] == [a.default for a in tg_args]
            assert [a.has_default for a in s.arguments] == [a.default is not None for a in tg_args]
            assert [None if a.alias_info is None else str(a.alias_info) for a in s.arguments] == [
                None if a.annotation is None else str(a.annotation) for a in tg_args
            ]
            assert [a.name for a in s.out_arguments] == [a.name for a in g.arguments.out]
            assert len(s.returns) == len(g.returns)
            assert [r.name for r in s.returns] == [r.name for r in g.returns]
            assert [str(r.type) for r in s.returns] == [str(r.type) for r in g.returns]
            assert [None if r.alias_info is None else str(r.alias_info) for r in s.returns] == [
                None if r.annotation is None else str(r.annotation) for r in g.returns
            ]
            assert s.is_inplace == g.name.name.inplace
            assert s.is_out == g.is_out_fn()
            assert s.is_mutable == g.is_mutable
            assert s.kind == g.kind().name
            assert s.is_view == _tg_view(g)
            assert s.tensor_arg_indices == tuple(i for i, a in enumerate(tg_args) if a.type.is_tensor_like())
            assert s.tensor_list_arg_indices == tuple(
                i for i, a in enumerate(tg_args) if a.type.is_tensor_like() and a.type.is_list_like()
            )
        except AssertionError:
            mismatches.append(f)
    assert not mismatches, mismatches[:5]


def test_is_mutable_matches_torchscript():
    for f in FUNCS:
        assert parse_schema(f).is_mutable == torch._C.parse_schema(f).is_mutable, f


def test_parsing_all_of_native_functions_is_fast():
    schema_mod._CACHE.clear()
    t0 = time.perf_counter()
    for f in FUNCS:
        parse_schema(f)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0, elapsed


# ---------------------------------------------------------------------------------------------
# Default values against the TorchScript schema parser
# ---------------------------------------------------------------------------------------------


def _same_value(mine, jit) -> bool:
    if isinstance(mine, SymbolicDefault):
        # TorchScript stores enum defaults as c10 integer codes.
        return mine.code == jit
    if isinstance(mine, tuple):
        return isinstance(jit, list) and len(mine) == len(jit) and all(map(_same_value, mine, jit))
    if type(mine) is not type(jit):
        return False
    if isinstance(mine, float) and math.isnan(mine):
        return math.isnan(jit)
    return mine == jit


def test_every_default_value_matches_torchscript():
    checked = 0
    for f in FUNCS:
        s = parse_schema(f)
        js = torch._C.parse_schema(f)
        assert len(js.arguments) == len(s.arguments)
        for a, j in zip(s.arguments, js.arguments):
            assert a.name == j.name and a.kwarg_only == j.kwarg_only, f
            if a.has_default:
                checked += 1
                assert _same_value(a.default, j.default_value), (f, a.name, a.default, j.default_value)
            else:
                assert a.default is NO_DEFAULT
    assert checked > 1000


def test_list_defaults_are_immutable_tuples():
    s = parse_schema("amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor")
    assert s.arguments[1].default == () and type(s.arguments[1].default) is tuple
    s = parse_schema("f(int[] a=[0,1], int[2] b=1) -> ()")
    # TorchScript: [0, 1] and the scalar default of a fixed-size list broadcast to [1, 1].
    assert [list(a.default) for a in s.arguments] == [
        a.default_value for a in torch._C.parse_schema(str(s)).arguments
    ]


@pytest.mark.parametrize("name", sorted(schema_mod._SCALAR_TYPE_CODES))
def test_scalar_type_default_names_match_torchscript(name):
    mine = parse_schema(f"f(ScalarType a={name}) -> ()").arguments[0].default
    jit = torch._C.parse_schema(f"f(ScalarType a={name}) -> ()").arguments[0].default_value
    assert isinstance(mine, SymbolicDefault) and mine.kind == "ScalarType" and mine.code == jit


@pytest.mark.parametrize(
    "arg",
    ["Layout a=strided", "MemoryFormat a=contiguous_format", "int a=Mean", "float a=-1e-5", "float a=.5",
     "Scalar a=True", "bool[3] m=True", "float[] a=[1.0,2]", "SymInt[2] a=2", "str a='x'"],
)
def test_other_defaults_match_torchscript(arg):
    mine = parse_schema(f"f({arg}) -> ()").arguments[0].default
    jit = torch._C.parse_schema(f"f({arg}) -> ()").arguments[0].default_value
    assert _same_value(mine, jit)


def test_non_finite_float_defaults():
    # TorchScript's schema parser rejects these; Python's float() spelling is the reference.
    s = parse_schema("f(float lo=-inf, float hi=inf, Scalar n=nan) -> ()")
    assert s.arguments[0].default == float("-inf") and s.arguments[1].default == float("inf")
    assert math.isnan(s.arguments[2].default)
    assert str(s) == "f(float lo=-inf, float hi=inf, Scalar n=nan) -> ()"


def test_string_defaults_unescape_like_torchscript():
    f = next(f for f in FUNCS if f.startswith("_test_string_default("))
    mine = [a.default for a in parse_schema(f).arguments[1:]]
    jit = [a.default_value for a in torch._C.parse_schema(f).arguments[1:]]
    assert mine == jit


# ---------------------------------------------------------------------------------------------
# Canonical printing of non-canonical input, namespaces, properties
# ---------------------------------------------------------------------------------------------


def test_whitespace_is_normalised_to_torchgen_canonical_form():
    canonical = "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor"
    messy = "  add.Tensor(  Tensor self ,Tensor other,*,Scalar alpha = 1 )->Tensor "
    assert str(parse_schema(messy)) == str(TGSchema.parse(canonical))
    assert parse_schema(messy) == parse_schema(canonical)
    # torchgen's canonical list default has no spaces (it splits arguments on ", ").
    assert str(parse_schema("f(int[] a=[0, 1]) -> ()")) == str(TGSchema.parse("f(int[] a=[0,1]) -> ()"))
    # A single parenthesised return prints without parentheses, as torchgen does.
    assert str(parse_schema("f(Tensor x) -> (Tensor y)")) == str(TGSchema.parse("f(Tensor x) -> Tensor y"))
    assert str(parse_schema("f(Tensor(a -> *) x) -> Tensor(a)[]")) == "f(Tensor(a -> *) x) -> Tensor(a)[]"


def test_namespace_and_custom_class_print_like_torchscript():
    for text in [
        "aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
        "f(__torch__.torch.classes.quantized.Conv2dPackedParamsBase p) -> ()",
    ]:
        assert str(parse_schema(text)) == str(torch._C.parse_schema(text))
    s = parse_schema("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor")
    assert (s.namespace, s.name, s.overload_name, s.full_name) == ("aten", "add", "Tensor", "aten::add.Tensor")


def test_schema_is_hashable_and_value_equal():
    a = parse_schema("add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor")
    b = schema_mod._Parser("add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor").parse()
    assert a == b and hash(a) == hash(b) and a is not b


def test_argument_tags():
    s = parse_schema(
        "f(Tensor a, Tensor? b, Tensor[] c, Tensor?[] d, SymInt[2] e, int[1]? g, Scalar h, "
        "ScalarType? i, SymInt j, bool[3] k) -> ()"
    )
    # Tags are the type text with list sizes dropped and SymInt folded into int.
    assert s.arg_tags == ("Tensor", "Tensor?", "Tensor[]", "Tensor?[]", "int[]", "int[]?", "Scalar",
                          "ScalarType?", "int", "bool[]")
    assert s.tensor_arg_indices == (0, 1, 2, 3)
    assert s.tensor_list_arg_indices == (2, 3)


# ---------------------------------------------------------------------------------------------
# Malformed schemas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",                                             # nothing at all
        "add",                                          # no argument list
        "add(Tensor self)",                             # no returns
        "add(Tensor self) ->",                          # empty returns
        "add(Tensor self) -> Tensor )",                 # trailing junk
        "add(Tensor self,) -> Tensor",                  # trailing comma
        "add(Tensor) -> Tensor",                        # argument without a name
        "add(Tensr self) -> Tensor",                    # unknown type
        "add(Tensor self, *, *, int a) -> Tensor",      # '*' twice
        "add(Tensor self, *) -> Tensor",                # '*' with nothing after it
        "add(int(a) x) -> Tensor",                      # alias annotation on a non-Tensor
        "add(Tensor?(a) x) -> Tensor",                  # annotation must sit on Tensor itself
        "add(Tensor(a)[][] x) -> Tensor",               # annotation only on Tensor, Tensor?, Tensor[]
        "add(Tensor(a self) -> Tensor",                 # unclosed annotation
        "add(Tensor(a!|b) self) -> Tensor",             # a written alias set has one member
        "add(Tensor self=) -> Tensor",                  # empty default
        "add(int x=1.5) -> Tensor",                     # float default for an int
        "add(int x=None) -> Tensor",                    # None default for a non-optional type
        "add(int[] x=1) -> Tensor",                     # scalar default for an unsized list
        "add(bool b=1) -> Tensor",                      # int default for a bool
        "add(ScalarType? d=longg) -> Tensor",           # unknown dtype name
        "add(str s=\"abc) -> Tensor",                   # unterminated string
        "add(int[] x=[1,2) -> Tensor",                  # unterminated list
        "add(int[0] x) -> Tensor",                      # zero-size list type
        "add(Tensor self, Tensor self) -> Tensor",      # duplicate argument name
        "add.(Tensor self) -> Tensor",                  # empty overload name
        "add.a.b(Tensor self) -> Tensor",               # overload names have no dots
        "add(Tensor self) -> (Tensor a, Tensor a)",     # duplicate return name
        "add(Tensor self) -> (Tensor, Tensor",          # unclosed returns
        "1add(Tensor self) -> Tensor",                  # name must be an identifier
    ],
)
def test_malformed_schema_raises(text):
    with pytest.raises(SchemaParseError) as info:
        parse_schema(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert 0 <= err.pos <= len(text)
    assert "position" in str(err) and text in str(err)


def test_torch_parsers_also_reject_structural_errors():
    # Cross-check some of the cases above: each is rejected by torchgen's parser or by the
    # TorchScript schema parser (torchgen skips an empty argument; TorchScript allows int(a)).
    def rejects(parse, text):
        try:
            parse(text)
        except Exception:
            return True
        return False

    for text in ["add(Tensor self,) -> Tensor", "add(Tensor) -> Tensor", "add(Tensr self) -> Tensor",
                 "add(int(a) x) -> Tensor", "add(Tensor(a!|b) self) -> Tensor", "add(Tensor self) ->",
                 "add(Tensor self, *, *, int a) -> Tensor"]:
        assert rejects(TGSchema.parse, text) or rejects(torch._C.parse_schema, text), text


# ---------------------------------------------------------------------------------------------
# Binders
# ---------------------------------------------------------------------------------------------

ADD = "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor"


def _outcome(fn):
    try:
        fn()
        return "ok"
    except TypeError:
        return "TypeError"


def test_binder_fills_defaults_in_declaration_order():
    s = parse_schema(ADD)
    bind = s.make_binder()
    x, y = object(), object()
    alpha_default = torch._C.parse_schema(ADD).arguments[2].default_value
    assert bind(x, y) == (x, y, alpha_default)
    assert bind(x, y, alpha=2) == (x, y, 2)
    assert bind(input=x, other=y) == (x, y, alpha_default)
    assert bind(x, other=y) == (x, y, alpha_default)
    assert s.make_binder() is bind  # cached per option set


def test_binder_errors_agree_with_torch():
    x = torch.ones(2)
    bind = parse_schema(ADD).make_binder()
    bind_m = parse_schema(ADD).make_binder(method=True)
    calls = [
        # (our call, the same call made on torch)
        (lambda: bind(x, x), lambda: torch.add(x, x)),
        (lambda: bind(x, x, 2), lambda: torch.add(x, x, 2)),                 # alpha is keyword-only
        (lambda: bind(x, x, beta=2), lambda: torch.add(x, x, beta=2)),       # unknown keyword
        (lambda: bind(x, x, x, x), lambda: torch.add(x, x, x, x)),           # too many
        (lambda: bind(x), lambda: torch.add(x)),                             # missing
        (lambda: bind(x, input=x), lambda: torch.add(x, input=x)),           # given twice
        (lambda: bind(input=x, other=x), lambda: torch.add(input=x, other=x)),
        (lambda: bind(self=x, other=x), lambda: torch.add(self=x, other=x)),  # function form says input
        (lambda: bind_m(x, x), lambda: x.add(x)),
        (lambda: bind_m(x, other=x), lambda: x.add(other=x)),
        (lambda: bind_m(x, x, 2), lambda: x.add(x, 2)),
        (lambda: bind_m(x, self=x, other=x), lambda: x.add(self=x, other=x)),
        (lambda: bind_m(x, input=x, other=x), lambda: x.add(input=x, other=x)),
    ]
    for ours, theirs in calls:
        assert _outcome(ours) == _outcome(theirs)


@pytest.mark.parametrize(
    "call, reason",
    [
        (lambda b, x: b(x, x, 2), "takes 2 positional arguments but 3 were given"),
        (lambda b, x: b(x, x, beta=2), "got an unexpected keyword argument 'beta'"),
        (lambda b, x: b(x), 'missing 1 required positional argument: "other"'),
    ],
)
def test_bind_error_names_op_and_signature(call, reason):
    s = parse_schema(ADD)
    with pytest.raises(BindError) as info:
        call(s.make_binder(), object())
    msg = str(info.value)
    assert isinstance(info.value, TypeError)
    assert msg.startswith("add() ") and reason in msg
    # The expected signature is the schema's, with torch's Python name for self.
    assert str(s).replace("Tensor self", "Tensor input") in msg


def test_required_keyword_only_out_argument():
    s = parse_schema("add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)")
    bind = s.make_binder()
    x, y, o = object(), object(), object()
    assert bind(x, y, out=o) == (x, y, 1, o)
    with pytest.raises(BindError, match="keyword-only argument"):
        bind(x, y)
    assert s.tensor_arg_indices == (0, 1, 3) and s.out_indices == (3,)


def test_int_list_of_fixed_size_broadcasts_like_torch():
    f = next(f for f in FUNCS if f.startswith("conv2d("))
    bind = parse_schema(f).make_binder()
    inp, w = torch.randn(1, 1, 6, 6), torch.randn(1, 1, 2, 2)
    for v in [2, np.int64(2)]:
        bound = bind(inp, w, None, v)
        assert bound[3] == (2, 2) and type(bound[3][0]) is int
        # torch treats stride=2 exactly like stride=(2, 2).
        assert torch.equal(F.conv2d(inp, w, None, v), F.conv2d(inp, w, None, bound[3]))
    assert bind(inp, w, stride=[1, 2])[3] == [1, 2]                   # sequences pass through
    assert bind(inp, w, padding=1)[4] == (1, 1)
    assert bind(inp, w, None, True)[3] is True                        # bool is not an int here
    assert _outcome(lambda: F.conv2d(inp, w, None, True)) == "TypeError"
    # int[1]? dim: an int becomes a one-element list, None stays None.
    s = next(f for f in FUNCS if f.startswith("sum.dim_IntList("))
    bind_sum = parse_schema(s).make_binder(method=True)
    t = torch.randn(2, 3)
    assert bind_sum(t, 1)[1] == (1,)
    assert torch.equal(t.sum(1), t.sum((1,)))
    assert bind_sum(t, None)[1] is None


def _schema_of(prefix: str) -> str:
    return next(f for f in FUNCS if f.startswith(prefix))


VARARG_CASES = [
    # (schema prefix, method?, ours(bind, x), torch's call)
    ("view(", True, lambda b, x: b(x, 2, 3), lambda x: x.view(2, 3)),
    ("view(", True, lambda b, x: b(x, (2, 3)), lambda x: x.view((2, 3))),
    ("view(", True, lambda b, x: b(x, [2, 3]), lambda x: x.view([2, 3])),
    ("view(", True, lambda b, x: b(x, size=(2, 3)), lambda x: x.view(size=(2, 3))),
    ("view(", True, lambda b, x: b(x, -1), lambda x: x.view(-1)),
    ("view(", True, lambda b, x: b(x, np.int64(6)), lambda x: x.view(np.int64(6))),
    ("view(", True, lambda b, x: b(x, (6,), 1), lambda x: x.view((6,), 1)),
    ("view(", True, lambda b, x: b(x, 6, size=(6,)), lambda x: x.view(6, size=(6,))),
    ("view(", True, lambda b, x: b(x, self=x, size=(6,)), lambda x: x.view(self=x, size=(6,))),
    ("reshape(", True, lambda b, x: b(x, 3, 2), lambda x: x.reshape(3, 2)),
    ("reshape(", True, lambda b, x: b(x, shape=(3, 2)), lambda x: x.reshape(shape=(3, 2))),
    ("permute(", True, lambda b, x: b(x, 1, 0), lambda x: x.permute(1, 0)),
    ("permute(", False, lambda b, x: b(x, 1, 0), lambda x: torch.permute(x, 1, 0)),
    ("permute(", False, lambda b, x: b(x, (1, 0)), lambda x: torch.permute(x, (1, 0))),
    ("expand(", True, lambda b, x: b(x, 4, 2, 3, implicit=False), lambda x: x.expand(4, 2, 3, implicit=False)),
    ("repeat(", True, lambda b, x: b(x, 2, 1), lambda x: x.repeat(2, 1)),
    ("flip(", True, lambda b, x: b(x, 0, 1), lambda x: x.flip(0, 1)),
    ("flip(", False, lambda b, x: b(x, 0, 1), lambda x: torch.flip(x, 0, 1)),
    ("tile(", True, lambda b, x: b(x, 2, 2), lambda x: x.tile(2, 2)),
    ("squeeze.dims(", True, lambda b, x: b(x, 0, 1), lambda x: x.view(1, 1, 6).squeeze(0, 1)),
    ("new_zeros(", True, lambda b, x: b(x, 2, 3, dtype=None), lambda x: x.new_zeros(2, 3, dtype=None)),
    ("zeros(", False, lambda b, x: b(2, 3), lambda x: torch.zeros(2, 3)),
    ("zeros(", False, lambda b, x: b((2, 3)), lambda x: torch.zeros((2, 3))),
    ("zeros(", False, lambda b, x: b(size=(2, 3)), lambda x: torch.zeros(size=(2, 3))),
    ("zeros(", False, lambda b, x: b(), lambda x: torch.zeros()),
    ("randn(", False, lambda b, x: b(2, 3, dtype=None), lambda x: torch.randn(2, 3, dtype=None)),
]


@pytest.mark.parametrize("prefix, method, ours, theirs", VARARG_CASES)
def test_varargs_binding_agrees_with_torch(prefix, method, ours, theirs):
    bind = parse_schema(_schema_of(prefix)).make_binder(method=method)
    x = torch.randn(2, 3)
    assert _outcome(lambda: ours(bind, x)) == _outcome(lambda: theirs(x))


def test_varargs_forms_bind_the_same_tuple():
    bind = parse_schema(_schema_of("view(")).make_binder(method=True)
    x = object()
    assert bind(x, 2, 3) == bind(x, (2, 3)) == bind(x, size=(2, 3)) == (x, (2, 3))
    assert bind(x, -1) == (x, (-1,))
    assert parse_schema(_schema_of("zeros(")).make_binder()(2, 3) == ((2, 3), None, None, None, None)


def test_varargs_option():
    view = parse_schema(_schema_of("view("))
    with pytest.raises(TypeError):
        view.make_binder(method=True, varargs=False)(object(), 2, 3)
    summed = parse_schema(_schema_of("sum.dim_IntList("))
    # int[1]? is sized: an int there is one dim, not the start of varargs (torch: x.sum(0, True)).
    x = object()
    assert summed.make_binder(method=True)(x, 0, True) == (x, (0,), True, None)
    with pytest.raises(ValueError):
        summed.make_binder(method=True, varargs=True)
    with pytest.raises(ValueError):
        parse_schema("zeros(SymInt[] size) -> Tensor").make_binder(method=True)  # no self


def test_python_keyword_argument_name():
    f = _schema_of("random_.from(")
    bind = parse_schema(f).make_binder(method=True)
    x = torch.zeros(3)
    assert bind(x, 0, 5) == (x, 0, 5, None)
    assert bind(x, **{"from": 0, "to": 5}) == (x, 0, 5, None)
    assert bind(x, 0, to=5) == (x, 0, 5, None)
    for ours, theirs in [
        (lambda: bind(x, **{"from": 0, "to": 5}), lambda: x.random_(**{"from": 0, "to": 5})),
        (lambda: bind(x, from_=0, to=5), lambda: x.random_(from_=0, to=5)),
        (lambda: bind(x, 0, **{"from": 0}), lambda: x.random_(0, **{"from": 0})),
    ]:
        assert _outcome(ours) == _outcome(theirs)
    # A defaulted argument named with a Python keyword still gets its default.
    b = parse_schema("f(Tensor self, int lambda=3, *, bool from=True) -> ()").make_binder()
    assert b(x) == (x, 3, True)
    assert b(x, **{"lambda": 4, "from": False}) == (x, 4, False)
    with pytest.raises(TypeError):
        b(x, 4, **{"lambda": 5})


def test_method_binding_puts_self_first():
    f = _schema_of("where.self(")
    s = parse_schema(f)
    bind = s.make_binder(method=True)
    x, cond, y = torch.randn(3), torch.tensor([True, False, True]), torch.randn(3)
    bound = bind(x, cond, y)
    assert bound == (cond, x, y)
    # torch: x.where(cond, y) is torch.where(cond, x, y).
    assert torch.equal(x.where(cond, y), torch.where(*bound))


def test_symbolic_defaults_and_symbols():
    f = _schema_of("contiguous(")
    s = parse_schema(f)
    d = s.make_binder(method=True)(object())[1]
    assert isinstance(d, SymbolicDefault) and d == "contiguous_format"
    assert d.code == torch._C.parse_schema(f).arguments[1].default_value
    x = object()
    assert s.make_binder(method=True, symbols={"contiguous_format": torch.contiguous_format})(x) == (
        x,
        torch.contiguous_format,
    )


def test_every_yaml_schema_gets_a_working_binder():
    for f in FUNCS:
        s = parse_schema(f)
        args = s.arguments
        given = [object() for _ in args]
        # Function form: required arguments by keyword (torch's name "input" for a Tensor self).
        names = [
            "input" if a.name == "self" and str(a.type) == "Tensor" and not any(b.name == "input" for b in args)
            else a.name
            for a in args
        ]
        kwargs = {names[i]: given[i] for i, a in enumerate(args) if not a.has_default}
        expected = tuple(given[i] if not a.has_default else a.default for i, a in enumerate(args))
        assert s.make_binder()(**kwargs) == expected, f
        # Everything given: positional ones by position, keyword-only ones by keyword.
        pos = [given[i] for i, a in enumerate(args) if not a.kwarg_only]
        kw = {a.name: given[i] for i, a in enumerate(args) if a.kwarg_only}
        assert s.make_binder(varargs=False)(*pos, **kw) == tuple(given), f
        if s.self_index is not None:
            si = s.self_index
            rest = [given[i] for i, a in enumerate(args) if not a.kwarg_only and i != si]
            assert s.make_binder(method=True, varargs=False)(given[si], *rest, **kw) == tuple(given), f


def test_bind_cost_is_about_one_python_call():
    import timeit

    bind = parse_schema(ADD).make_binder(method=True)
    x, y = object(), object()
    n = 20000
    per_call = min(timeit.repeat(lambda: bind(x, y), number=n, repeat=5)) / n
    assert per_call < 5e-6, per_call
