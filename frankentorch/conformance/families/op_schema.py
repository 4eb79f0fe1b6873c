"""FT-P2C-003 op schemas and the dispatcher's argument binding.

Every op frankentorch registers is checked twice: its schema text parses to the same
structure under torchgen's parser (the one that reads ``native_functions.yaml``), and torch's
operator registry has the same overload with the same argument names. Binding is checked
through the public functions: the same calls succeed, and wrong calls raise the same type.
"""
from __future__ import annotations

from . import Case

FAMILY = "op_schema"


class _TorchSchemas:
    def __init__(self, torch):
        from torchgen.model import FunctionSchema
        self.m, self._parse = torch, FunctionSchema.parse

    def parse(self, text: str) -> dict:
        g = self._parse(text)
        positional = {id(a) for a in g.arguments.flat_positional}
        return {"str": str(g), "name": str(g.name.name), "overload": g.name.overload_name,
                "args": [[a.name, str(a.type), a.default, id(a) not in positional]
                         for a in g.arguments.flat_all],
                "returns": [[r.name, str(r.type)] for r in g.returns],
                "is_mutable": g.is_mutable, "is_out": g.is_out_fn(), "kind": g.kind().name}

    def registered(self, name: str, overload: str):
        for s in self.m._C._jit_get_schemas_for_operator(f"aten::{name}"):
            if s.overload_name == overload:
                return [a.name for a in s.arguments]
        return None


class _OurSchemas:
    def __init__(self, ft):
        from frankentorch._dispatch.schema import parse_schema
        self.m, self._parse = ft, parse_schema

    def parse(self, text: str) -> dict:
        s = self._parse(text)
        return {"str": str(s), "name": s.name, "overload": s.overload_name,
                "args": [[a.name, str(a.type), a.default_text, a.kwarg_only]
                         for a in s.arguments],
                "returns": [[r.name, str(r.type)] for r in s.returns],
                "is_mutable": s.is_mutable, "is_out": s.is_out, "kind": s.kind}

    def registered(self, name: str, overload: str):
        from frankentorch._dispatch.dispatcher import OPS
        for op in OPS[name].overloads:
            s = self._parse(_text(op))
            if s.overload_name == overload:
                return [a.name for a in s.arguments]
        return None


def api(lib):
    return _TorchSchemas(lib) if lib.__name__ == "torch" else _OurSchemas(lib)


def _text(op) -> str:
    return op.schema if isinstance(op.schema, str) else str(op.schema)


def parse(a, text: str):
    """The parsed structure of a schema, or ``rejected`` when the parser refuses it."""
    try:
        return a.parse(text)
    except Exception:  # noqa: BLE001 - both parsers signal malformed text differently
        return "rejected"


def registered(a, name: str, overload: str):
    """Argument names of ``aten::name.overload`` in the operator registry."""
    return a.registered(name, overload)


CALLS = {
    "add_alpha_kw": lambda m, x: m.add(x, x, alpha=2),
    "add_out_kw": lambda m, x: m.add(x, x, out=m.empty(2, 3)),
    "sum_dim_keepdim": lambda m, x: m.sum(x, 1, True),
    "sum_dtype_kw": lambda m, x: m.sum(x, dtype=m.float64),
    "method_varargs": lambda m, x: x.permute(1, 0),
    "method_list": lambda m, x: x.permute([1, 0]),
    "view_varargs": lambda m, x: x.view(3, 2),
    "int_list_broadcast": lambda m, x: m.nn.functional.pad(x, (1, 1)),
    "dim_name_kw": lambda m, x: m.transpose(x, dim0=0, dim1=1),
    "clamp_only_max": lambda m, x: m.clamp(x, max=1.0),
}

BAD_CALLS = {
    "missing_arg": lambda m, x: m.add(x),
    "too_many": lambda m, x: m.add(x, x, 1, 2),
    "unknown_kw": lambda m, x: m.add(x, x, beta=2),
    "kw_only_positional": lambda m, x: m.sum(x, 1, True, m.float64),
    "wrong_type_dim": lambda m, x: m.sum(x, "a"),
    "duplicate_kw": lambda m, x: m.add(x, other=x, input=x),
    "float_for_int": lambda m, x: x.view(2.5, 2),
    "tensor_for_int_list": lambda m, x: x.permute(x),
    "none_for_tensor": lambda m, x: m.mul(x, None),
}


def bind_call(a, call: str, bad: bool = False):
    m = a.m
    x = m.arange(6.0).reshape(2, 3)
    return (BAD_CALLS if bad else CALLS)[call](m, x)


MALFORMED = {
    "unclosed_args": "add(Tensor self -> Tensor",
    "no_return": "add(Tensor self) ->",
    "bad_type": "add(Tensr self) -> Tensor",
    "two_stars": "add(Tensor self, *, *, int a) -> Tensor",
    "bad_alias": "add(Tensor(a!|b) self) -> Tensor",
    "unclosed_returns": "add(Tensor self) -> (Tensor, Tensor",
}


def _registry():
    from frankentorch._dispatch.dispatcher import OPS
    from frankentorch._dispatch.schema import parse_schema
    out = []
    for name in sorted(OPS):
        for op in OPS[name].overloads:
            s = parse_schema(_text(op))
            out.append((f"{name}.{s.overload_name}" if s.overload_name else name, s))
    return out


def cases() -> list[Case]:
    out = []
    for key, s in _registry():
        out.append(Case(f"parse/{key}", "happy", "parse", {"text": str(s)}, op=s.name))
        if not s.overload_name.startswith("ft_"):  # frankentorch-only bindings
            out.append(Case(f"registered/{key}", "happy", "registered",
                            {"name": s.name, "overload": s.overload_name}, op=s.name))
    out += [Case(f"bind/{k}", "edge", "bind_call", {"call": k}, op=k) for k in CALLS]
    out += [Case(f"bind_refused/{k}", "adversarial", "bind_call", {"call": k, "bad": True},
                 op=k) for k in BAD_CALLS]
    out += [Case(f"malformed/{k}", "adversarial", "parse", {"text": t}, op="parse_schema")
            for k, t in MALFORMED.items()]
    return out
