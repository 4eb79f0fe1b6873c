"""Operator schemas in ``native_functions.yaml`` syntax.

A schema string such as ``add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor``
is the single declaration of an op.  This module parses it into an immutable
:class:`FunctionSchema`, prints it back in canonical form, classifies it (in-place, out=, view,
mutable) and builds fast argument binders that turn a Python call into the full argument tuple
in declaration order, raising ``TypeError`` for calls that do not fit.
"""

from __future__ import annotations

import keyword
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

__all__ = [
    "SchemaParseError",
    "BindError",
    "NO_DEFAULT",
    "SymbolicDefault",
    "SchemaType",
    "BaseType",
    "OptionalType",
    "ListType",
    "AliasInfo",
    "Argument",
    "Return",
    "FunctionSchema",
    "parse_schema",
    "TENSOR_TAGS",
    "TENSOR_LIST_TAGS",
]


# --------------------------------------------------------------------------------------------
# Errors and sentinels
# --------------------------------------------------------------------------------------------


class SchemaParseError(ValueError):
    """Malformed schema text; the message quotes the text and marks the offending position."""

    def __init__(self, reason: str, text: str, pos: int) -> None:
        self.reason = reason
        self.text = text
        self.pos = pos
        super().__init__(f"{reason} at position {pos}:\n  {text}\n  {' ' * pos}^")


class BindError(TypeError):
    """A call whose arguments do not fit a schema (wrong arity, unknown or missing argument)."""

    def __init__(self, op: str, reason: str, expected: str) -> None:
        self.op = op
        self.reason = reason
        self.expected = expected
        super().__init__(f"{op}() {reason} (expected {expected})")


class _NoDefault:
    """Marker for an argument declared without a default (distinct from a ``None`` default)."""

    __slots__ = ()
    _instance: "_NoDefault | None" = None

    def __new__(cls) -> "_NoDefault":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __reduce__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()


class SymbolicDefault(str):
    """A default written as an enum name (``long``, ``contiguous_format``, ``strided``).

    It is the name itself (a ``str``); ``kind`` names the enum (``ScalarType``, ``Layout``,
    ``MemoryFormat``) and ``code`` is c10's integer value for it.  Binders can substitute real
    objects for these names through their ``symbols`` mapping.
    """

    kind: str
    code: int

    def __new__(cls, name: str, kind: str, code: int) -> "SymbolicDefault":
        obj = super().__new__(cls, name)
        obj.kind = kind
        obj.code = code
        return obj

    def __repr__(self) -> str:
        return f"SymbolicDefault({str.__repr__(self)}, {self.kind!r}, {self.code})"

    def __reduce__(self) -> tuple:
        return (SymbolicDefault, (str(self), self.kind, self.code))


# c10::ScalarType codes under the names the schema language accepts for a ScalarType default.
_SCALAR_TYPE_CODES: dict[str, int] = {
    "uint8": 0, "int8": 1, "int16": 2, "short": 2, "int32": 3, "int": 3,
    "int64": 4, "long": 4, "float16": 5, "half": 5, "float32": 6, "float": 6,
    "float64": 7, "double": 7, "complex32": 8, "chalf": 8, "complex64": 9,
    "cfloat": 9, "complex": 9, "complex128": 10, "cdouble": 10, "bool": 11,
    "bfloat16": 15, "uint16": 27, "uint32": 28, "uint64": 29,
}
_LAYOUT_CODES: dict[str, int] = {"strided": 0}
_MEMORY_FORMAT_CODES: dict[str, int] = {"contiguous_format": 0}
# at::Reduction, used by loss functions as an ``int reduction`` argument.
_REDUCTION_CODES: dict[str, int] = {"Mean": 1}


# --------------------------------------------------------------------------------------------
# Types and alias annotations
# --------------------------------------------------------------------------------------------

_BASE_TYPE_NAMES = frozenset(
    {
        "Tensor", "int", "SymInt", "float", "bool", "SymBool", "str", "Scalar", "ScalarType",
        "Layout", "Device", "DeviceIndex", "MemoryFormat", "Generator", "Dimname", "Storage",
        "Stream", "QScheme", "DimVector", "GraphModule", "complex", "Any",
    }
)
_CUSTOM_CLASS_PREFIX = "__torch__.torch.classes."
_INT_LIKE = frozenset({"int", "SymInt"})


class SchemaType:
    """Base of the schema type tree: :class:`BaseType`, :class:`OptionalType`, :class:`ListType`."""

    __slots__ = ()

    @property
    def base_name(self) -> str:
        """Innermost base type name (``Tensor`` for ``Tensor?[]``)."""
        t: Any = self
        while not isinstance(t, BaseType):
            t = t.elem
        return t.name

    @property
    def is_optional(self) -> bool:
        return isinstance(self, OptionalType)

    @property
    def is_tensor_like(self) -> bool:
        return self.base_name == "Tensor"

    def unwrap_optional(self) -> "SchemaType":
        """The type with one outer ``?`` removed, if present."""
        return self.elem if isinstance(self, OptionalType) else self  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class BaseType(SchemaType):
    """An atomic type such as ``Tensor``, ``int``, ``ScalarType``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class OptionalType(SchemaType):
    """``T?``: the value may also be ``None``."""

    elem: SchemaType

    def __str__(self) -> str:
        return f"{self.elem}?"


@dataclass(frozen=True, slots=True)
class ListType(SchemaType):
    """``T[]`` or fixed-size ``T[N]`` (``size`` is ``None`` when unsized)."""

    elem: SchemaType
    size: int | None

    def __str__(self) -> str:
        return f"{self.elem}[{self.size if self.size else ''}]"


@dataclass(frozen=True, slots=True)
class AliasInfo:
    """An alias annotation: ``a``, ``a!`` (written), ``a -> *`` (aliases flow into a list)."""

    before: tuple[str, ...]
    is_write: bool
    after: tuple[str, ...] = ()

    def __str__(self) -> str:
        s = "|".join(self.before) + ("!" if self.is_write else "")
        if self.after:
            s += " -> " + "|".join(self.after)
        return s


# Tags: a compact, printable description of how the dispatcher treats a value.
TENSOR_TAGS = frozenset({"Tensor", "Tensor?", "Tensor[]", "Tensor?[]", "Tensor[]?"})
TENSOR_LIST_TAGS = frozenset({"Tensor[]", "Tensor?[]", "Tensor[]?"})
_SIZE_RE = re.compile(r"\[\d+\]")


def _tag_of(t: SchemaType) -> str:
    """``str(type)`` with list sizes dropped and ``SymInt``/``SymBool`` folded into int/bool."""
    s = _SIZE_RE.sub("[]", str(t))
    return s.replace("SymInt", "int").replace("SymBool", "bool")


def _type_with_alias(t: SchemaType, alias: AliasInfo | None) -> str:
    s = str(t)
    if alias is None:
        return s
    return s.replace("Tensor", f"Tensor({alias})", 1)


# --------------------------------------------------------------------------------------------
# Arguments, returns, schema
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Argument:
    """One declared argument.

    ``default`` is the Python value of the default (``NO_DEFAULT`` when there is none; list
    defaults are tuples, fixed-size list defaults written as a scalar are already broadcast);
    ``default_text`` is the default as written in canonical form (``None`` when absent).
    """

    name: str
    type: SchemaType
    default: Any = NO_DEFAULT
    kwarg_only: bool = False
    alias_info: AliasInfo | None = None
    default_text: str | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def is_write(self) -> bool:
        return self.alias_info is not None and self.alias_info.is_write

    @property
    def is_out(self) -> bool:
        """A keyword-only argument that the op writes: an ``out=`` argument."""
        return self.kwarg_only and self.is_write

    @property
    def tag(self) -> str:
        return _tag_of(self.type)

    def __str__(self) -> str:
        s = f"{_type_with_alias(self.type, self.alias_info)} {self.name}"
        if self.default_text is not None:
            s += f"={self.default_text}"
        return s


@dataclass(frozen=True, slots=True)
class Return:
    """One declared return value (``name`` is ``None`` when unnamed)."""

    name: str | None
    type: SchemaType
    alias_info: AliasInfo | None = None

    @property
    def is_write(self) -> bool:
        return self.alias_info is not None and self.alias_info.is_write

    def __str__(self) -> str:
        s = _type_with_alias(self.type, self.alias_info)
        return s if self.name is None else f"{s} {self.name}"


_AUGMENTED = frozenset({"add", "sub", "mul", "div", "mod", "pow", "lshift", "rshift", "and", "xor", "or"})
_DUNDER_RE = re.compile(r"^__([^_]+)__$")


@dataclass(frozen=True)
class FunctionSchema:
    """A parsed operator schema; ``str()`` gives the canonical text.

    ``arguments`` holds every argument in declaration order (positional first, then keyword-only,
    each flagged by ``kwarg_only``); a bound call is a tuple in exactly this order.
    """

    name: str
    overload_name: str
    arguments: tuple[Argument, ...]
    returns: tuple[Return, ...]
    namespace: str = ""

    # Derived, precomputed for the dispatcher's hot path.
    arg_tags: tuple[str, ...] = field(init=False, repr=False, compare=False)
    tensor_arg_indices: tuple[int, ...] = field(init=False, repr=False, compare=False)
    tensor_list_arg_indices: tuple[int, ...] = field(init=False, repr=False, compare=False)
    out_indices: tuple[int, ...] = field(init=False, repr=False, compare=False)
    mutable_arg_indices: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _binders: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        tags = tuple(a.tag for a in self.arguments)
        setattr_ = object.__setattr__
        setattr_(self, "arg_tags", tags)
        setattr_(self, "tensor_arg_indices", tuple(i for i, t in enumerate(tags) if t in TENSOR_TAGS))
        setattr_(
            self, "tensor_list_arg_indices", tuple(i for i, t in enumerate(tags) if t in TENSOR_LIST_TAGS)
        )
        setattr_(self, "out_indices", tuple(i for i, a in enumerate(self.arguments) if a.is_out))
        setattr_(self, "mutable_arg_indices", tuple(i for i, a in enumerate(self.arguments) if a.is_write))
        setattr_(self, "_binders", {})

    # ---- naming -------------------------------------------------------------------------
    @property
    def full_name(self) -> str:
        """``name.overload`` (just ``name`` without an overload), namespace included if any."""
        ns = f"{self.namespace}::" if self.namespace else ""
        return f"{ns}{self.name}.{self.overload_name}" if self.overload_name else f"{ns}{self.name}"

    @property
    def is_dunder(self) -> bool:
        return _DUNDER_RE.match(self.name) is not None

    @property
    def base_name(self) -> str:
        """Name without in-place marking: ``add_`` -> ``add``, ``__iand__`` -> ``and``, ``__and__`` -> ``and``."""
        m = _DUNDER_RE.match(self.name)
        if m is not None:
            b = m.group(1)
            return b[1:] if b[0] == "i" and b[1:] in _AUGMENTED else b
        return self.name[:-1] if self.name.endswith("_") else self.name

    # ---- argument views -----------------------------------------------------------------
    @property
    def positional_arguments(self) -> tuple[Argument, ...]:
        return tuple(a for a in self.arguments if not a.kwarg_only)

    @property
    def kwarg_only_arguments(self) -> tuple[Argument, ...]:
        return tuple(a for a in self.arguments if a.kwarg_only)

    @property
    def out_arguments(self) -> tuple[Argument, ...]:
        return tuple(self.arguments[i] for i in self.out_indices)

    @property
    def self_index(self) -> int | None:
        """Position of the positional argument named ``self``, if any."""
        for i, a in enumerate(self.arguments):
            if a.name == "self" and not a.kwarg_only:
                return i
        return None

    # ---- classification -----------------------------------------------------------------
    @property
    def is_inplace(self) -> bool:
        """``add_`` style (trailing underscore, not a dunder) or an augmented dunder (``__iadd__``)."""
        m = _DUNDER_RE.match(self.name)
        if m is not None:
            b = m.group(1)
            return b[0] == "i" and b[1:] in _AUGMENTED
        return self.name.endswith("_")

    @property
    def is_out(self) -> bool:
        """Has keyword-only arguments that it writes (``out=``)."""
        return bool(self.out_indices)

    @property
    def is_mutable(self) -> bool:
        """Writes any of its arguments."""
        return bool(self.mutable_arg_indices)

    @property
    def is_view(self) -> bool:
        """Returns an alias of an input without writing it (``view``, ``split``, ``transpose``...)."""
        if any(r.alias_info is not None and not r.alias_info.is_write for r in self.returns):
            return True
        return any(
            a.alias_info is not None and "*" in a.alias_info.after
            for a in self.arguments
            if not a.is_out
        )

    @property
    def kind(self) -> str:
        """One of ``functional``, ``inplace``, ``out``, ``scratch``, ``mutable``."""
        if self.is_inplace:
            return "inplace"
        if self.out_indices:
            if any(self.arguments[i].name.startswith("_scratch_") for i in self.out_indices):
                return "scratch"
            return "out"
        if any(a.is_write and a.name != "self" for a in self.arguments if not a.kwarg_only):
            return "mutable"
        return "functional"

    # ---- printing -----------------------------------------------------------------------
    def _arguments_str(self, args: tuple[Argument, ...] | None = None, names: Mapping[str, str] | None = None) -> str:
        parts: list[str] = []
        star = False
        for a in self.arguments if args is None else args:
            if a.kwarg_only and not star:
                parts.append("*")
                star = True
            s = str(a)
            if names and a.name in names:
                s = s.replace(f" {a.name}", f" {names[a.name]}", 1)
            parts.append(s)
        return ", ".join(parts)

    def _returns_str(self) -> str:
        if len(self.returns) == 1:
            return str(self.returns[0])
        return "(" + ", ".join(map(str, self.returns)) + ")"

    def __str__(self) -> str:
        return f"{self.full_name}({self._arguments_str()}) -> {self._returns_str()}"

    # ---- binding ------------------------------------------------------------------------
    def make_binder(
        self,
        *,
        method: bool = False,
        varargs: bool | None = None,
        self_name: str | None = None,
        symbols: Mapping[str, Any] | None = None,
    ) -> Callable[..., tuple]:
        """Return ``bind(*args, **kwargs) -> tuple`` (all arguments, declaration order, defaults filled).

        ``method=True`` binds the Tensor-method form: the receiver is the first positional
        argument and maps to the argument named ``self`` (which then cannot be passed by keyword);
        the remaining positional arguments follow in declaration order.  In the function form the
        keyword name of a ``Tensor self`` is ``input``, as in torch (override with ``self_name``).

        ``varargs`` lets the int list be passed as separate ints (``t.view(2, 3)``); ``None``
        enables it exactly where the Python signature has one positional argument (besides the
        receiver) and it is an unsized int list (``int[]``/``SymInt[]``).

        ``symbols`` maps :class:`SymbolicDefault` names (``long``, ``contiguous_format``...) to
        the objects passed in their place.  Fixed-size int lists (``int[2] stride``) given a
        single int are broadcast to ``N`` copies.  Calls that do not fit raise :class:`BindError`
        (a ``TypeError``); an argument given both by position and by keyword raises Python's
        own ``TypeError`` ("got multiple values for argument").
        """
        key = (method, varargs, self_name, None if symbols is None else tuple((k, id(v)) for k, v in symbols.items()))
        b = self._binders.get(key)
        if b is None:
            b = _build_binder(self, method, varargs, self_name, symbols)
            if symbols is None:
                self._binders[key] = b
        return b

    def bind(self, *args: Any, **kwargs: Any) -> tuple:
        """Bind a function-form call (convenience; hot paths should keep ``make_binder()``)."""
        return self.make_binder()(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_RE = re.compile(r"(?:([A-Za-z_][A-Za-z0-9_]*)::)?([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_]+))?")
_TYPE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_ALIAS_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
_NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)$")
_INT_RE = re.compile(r"-?\d+$")
_WS = " \t\n\r"


class _Parser:
    __slots__ = ("s", "i", "n")

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.n = len(s)

    def error(self, reason: str, pos: int | None = None) -> SchemaParseError:
        return SchemaParseError(reason, self.s, self.i if pos is None else pos)

    def ws(self) -> None:
        s, i, n = self.s, self.i, self.n
        while i < n and s[i] in _WS:
            i += 1
        self.i = i

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    def expect(self, tok: str, what: str | None = None) -> None:
        if not self.s.startswith(tok, self.i):
            found = repr(self.s[self.i]) if self.i < self.n else "end of text"
            raise self.error(f"expected {what or repr(tok)}, found {found}")
        self.i += len(tok)

    def match(self, rx: re.Pattern, what: str) -> re.Match:
        m = rx.match(self.s, self.i)
        if m is None:
            found = repr(self.s[self.i]) if self.i < self.n else "end of text"
            raise self.error(f"expected {what}, found {found}")
        self.i = m.end()
        return m

    # schema := [ns '::'] name ['.' overload] '(' args ')' '->' returns
    def parse(self) -> FunctionSchema:
        self.ws()
        m = self.match(_NAME_RE, "operator name")
        ns, name, overload = m.group(1) or "", m.group(2), m.group(3) or ""
        if self.peek() == ".":
            raise self.error("malformed overload name")
        self.ws()
        self.expect("(")
        args = self.parse_arguments()
        self.expect(")")
        self.ws()
        self.expect("->")
        self.ws()
        rets = self.parse_returns()
        self.ws()
        if self.i != self.n:
            raise self.error("unexpected text after the returns")
        return FunctionSchema(name=name, overload_name=overload, arguments=args, returns=rets, namespace=ns)

    def parse_arguments(self) -> tuple[Argument, ...]:
        args: list[Argument] = []
        seen: set[str] = set()
        kwarg_only = False
        star_pos = -1
        self.ws()
        if self.peek() == ")":
            return ()
        while True:
            self.ws()
            start = self.i
            if self.peek() == "*":
                if kwarg_only:
                    raise self.error("keyword-only marker '*' given twice")
                self.i += 1
                kwarg_only = True
                star_pos = start
            else:
                a = self.parse_argument(kwarg_only)
                if a.name in seen:
                    raise self.error(f"duplicate argument name {a.name!r}", start)
                seen.add(a.name)
                args.append(a)
            self.ws()
            c = self.peek()
            if c == ",":
                self.i += 1
                continue
            if c == ")":
                break
            raise self.error("expected ',' or ')' in the argument list")
        if kwarg_only and not args or kwarg_only and not args[-1].kwarg_only:
            raise self.error("'*' must be followed by keyword-only arguments", star_pos)
        return tuple(args)

    def parse_type(self) -> tuple[SchemaType, AliasInfo | None]:
        start = self.i
        name = self.match(_TYPE_NAME_RE, "a type").group(0)
        t: SchemaType
        if "." in name:
            if not name.startswith(_CUSTOM_CLASS_PREFIX) or name.endswith("."):
                raise self.error(f"unknown type {name!r}", start)
            t = BaseType(name)
        elif name in _BASE_TYPE_NAMES:
            t = BaseType(name)
        else:
            raise self.error(f"unknown type {name!r}", start)
        alias = None
        if self.peek() == "(":
            alias_pos = self.i
            self.i += 1
            alias = self.parse_alias()
            self.expect(")", "')' closing the alias annotation")
            if name != "Tensor":
                raise self.error(f"alias annotation on non-Tensor type {name!r}", alias_pos)
        suffix_start = self.i
        while True:
            c = self.peek()
            if c == "?":
                self.i += 1
                t = OptionalType(t)
            elif c == "[":
                self.i += 1
                m = re.compile(r"\d*").match(self.s, self.i)
                digits = m.group(0) if m else ""
                self.i += len(digits)
                self.expect("]", "']' closing the list type")
                size = int(digits) if digits else None
                if size == 0:
                    raise self.error("list size must be positive", suffix_start)
                t = ListType(t, size)
            else:
                break
        if alias is not None and self.s[suffix_start : self.i] not in ("", "?", "[]"):
            raise self.error("alias annotation allowed only on Tensor, Tensor? and Tensor[]", start)
        return t, alias

    # alias := set ['!'] [' -> ' (set | '*')]
    def parse_alias(self) -> AliasInfo:
        self.ws()
        before = self.parse_alias_set()
        is_write = False
        if self.peek() == "!":
            self.i += 1
            is_write = True
            if len(before) > 1:
                raise self.error("a written alias set must have one member")
        self.ws()
        after: tuple[str, ...] = ()
        if self.s.startswith("->", self.i):
            self.i += 2
            self.ws()
            if self.peek() == "*":
                self.i += 1
                after = ("*",)
            else:
                after = self.parse_alias_set()
            self.ws()
        return AliasInfo(before, is_write, after)

    def parse_alias_set(self) -> tuple[str, ...]:
        names = [self.match(_ALIAS_NAME_RE, "an alias name").group(0)]
        while self.peek() == "|":
            self.i += 1
            names.append(self.match(_ALIAS_NAME_RE, "an alias name").group(0))
        return tuple(names)

    def parse_argument(self, kwarg_only: bool) -> Argument:
        t, alias = self.parse_type()
        c = self.peek()
        if not c or c not in _WS:
            raise self.error("expected whitespace and an argument name after the type")
        self.ws()
        name = self.match(_IDENT_RE, "an argument name").group(0)
        self.ws()
        default: Any = NO_DEFAULT
        text = None
        if self.peek() == "=":
            self.i += 1
            self.ws()
            pos = self.i
            raw = self.scan_default()
            default, text = _convert_default(raw, t, self, pos)
        return Argument(name, t, default, kwarg_only, alias, text)

    def scan_default(self) -> str:
        """Consume a default value up to the next top-level ',' or ')'."""
        s, n = self.s, self.n
        start = i = self.i
        depth = 0
        while i < n:
            c = s[i]
            if c == '"' or c == "'":
                i = self.skip_string(i)
                continue
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth < 0:
                    raise self.error("unbalanced ']' in default value", i)
            elif depth == 0 and (c == "," or c == ")"):
                break
            i += 1
        if depth:
            raise self.error("unterminated list in default value", start)
        self.i = i
        raw = s[start:i].rstrip(_WS)
        if not raw:
            raise self.error("missing default value after '='", start)
        return raw

    def skip_string(self, i: int) -> int:
        s, n = self.s, self.n
        q = s[i]
        j = i + 1
        while j < n:
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == q:
                return j + 1
            j += 1
        raise self.error("unterminated string literal", i)

    # returns := '()' | '(' ret (',' ret)* ')' | ret
    def parse_returns(self) -> tuple[Return, ...]:
        if self.peek() == "(":
            self.i += 1
            self.ws()
            if self.peek() == ")":
                self.i += 1
                return ()
            rets = [self.parse_return()]
            while True:
                self.ws()
                c = self.peek()
                if c == ",":
                    self.i += 1
                    self.ws()
                    rets.append(self.parse_return())
                elif c == ")":
                    self.i += 1
                    break
                else:
                    raise self.error("expected ',' or ')' in the returns")
            names = [r.name for r in rets if r.name is not None]
            if len(set(names)) != len(names):
                raise self.error("duplicate return name")
            return tuple(rets)
        return (self.parse_return(),)

    def parse_return(self) -> Return:
        t, alias = self.parse_type()
        save = self.i
        self.ws()
        name = None
        if self.i > save:
            m = _IDENT_RE.match(self.s, self.i)
            if m is not None:
                name = m.group(0)
                self.i = m.end()
            else:
                self.i = save
        return Return(name, t, alias)


def _split_list(body: str) -> list[str]:
    """Split the inside of a list default at top-level commas (strings may hold commas)."""
    items: list[str] = []
    depth = 0
    start = i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c in "\"'":
            j = i + 1
            while j < n and body[j] != c:
                j += 2 if body[j] == "\\" else 1
            i = j + 1
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
        i += 1
    items.append(body[start:].strip())
    return items


def _scalar_value(raw: str, t: SchemaType) -> Any:
    """Python value of a scalar default ``raw`` for base type ``t``; raises ValueError if invalid."""
    name = t.base_name if isinstance(t, BaseType) else None
    if name is None:
        raise ValueError(f"a default of type {t} must be written as a list")
    if name in _INT_LIKE or name == "DeviceIndex":
        if _INT_RE.match(raw):
            return int(raw)
        if name == "int" and raw in _REDUCTION_CODES:
            return _REDUCTION_CODES[raw]
    elif name == "float":
        if _NUMBER_RE.match(raw) or raw in ("inf", "-inf", "nan"):
            return float(raw)
    elif name == "Scalar":
        if _INT_RE.match(raw):
            return int(raw)
        if _NUMBER_RE.match(raw) or raw in ("inf", "-inf", "nan"):
            return float(raw)
        if raw in ("True", "False"):
            return raw == "True"
    elif name in ("bool", "SymBool"):
        if raw in ("True", "False"):
            return raw == "True"
    elif name in ("str", "Device"):
        if raw[:1] in ("'", '"'):
            import ast  # only string defaults need it; keeps module import light

            v = ast.literal_eval(raw)
            if isinstance(v, str):
                return v
    elif name == "ScalarType":
        if raw in _SCALAR_TYPE_CODES:
            return SymbolicDefault(raw, "ScalarType", _SCALAR_TYPE_CODES[raw])
    elif name == "Layout":
        if raw in _LAYOUT_CODES:
            return SymbolicDefault(raw, "Layout", _LAYOUT_CODES[raw])
    elif name == "MemoryFormat":
        if raw in _MEMORY_FORMAT_CODES:
            return SymbolicDefault(raw, "MemoryFormat", _MEMORY_FORMAT_CODES[raw])
    raise ValueError(f"invalid default {raw!r} for type {t}")


def _convert_default(raw: str, t: SchemaType, p: _Parser, pos: int) -> tuple[Any, str]:
    """Validate ``raw`` against ``t``; return (Python value, canonical text)."""
    try:
        if raw == "None":
            if not isinstance(t, OptionalType):
                raise ValueError(f"default None needs an optional type, not {t}")
            return None, raw
        inner = t.unwrap_optional()
        if isinstance(inner, ListType):
            if raw.startswith("["):
                if not raw.endswith("]"):
                    raise ValueError(f"malformed list default {raw!r}")
                body = raw[1:-1].strip()
                items = _split_list(body) if body else []
                if any(not x for x in items):
                    raise ValueError(f"empty element in list default {raw!r}")
                values = tuple(_scalar_value(x, inner.elem) for x in items)
                return values, "[" + ",".join(items) + "]"
            if inner.size is None:
                raise ValueError(f"default of unsized list type {t} must be a list")
            v = _scalar_value(raw, inner.elem)
            return (v,) * inner.size, raw
        return _scalar_value(raw, inner), raw
    except (ValueError, SyntaxError) as e:
        raise p.error(str(e), pos) from None


_CACHE: dict[str, FunctionSchema] = {}


def parse_schema(text: str) -> FunctionSchema:
    """Parse one schema in ``native_functions.yaml`` syntax; raise :class:`SchemaParseError` if malformed."""
    if not isinstance(text, str):
        raise TypeError(f"parse_schema() expects a str, got {type(text).__name__}")
    s = _CACHE.get(text)
    if s is None:
        s = _Parser(text).parse()
        if len(_CACHE) < 8192:
            _CACHE[text] = s
    return s


# --------------------------------------------------------------------------------------------
# Binder generation
# --------------------------------------------------------------------------------------------


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def _is_index(v: Any) -> bool:
    """True for int-like values (ints, NumPy ints, objects with ``__index__``), not bools or sequences."""
    t = type(v)
    if t is int:
        return True
    if t is bool or t is tuple or t is list:
        return False
    return hasattr(t, "__index__") and not hasattr(t, "__len__")


def _broadcast(v: Any, n: int) -> Any:
    """An int for a fixed-size int list becomes ``n`` copies; anything else is left as given."""
    if _is_index(v):
        return (operator.index(v),) * n
    return v


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _is_unsized_int_list(t: SchemaType) -> bool:
    t = t.unwrap_optional()
    return isinstance(t, ListType) and t.size is None and isinstance(t.elem, BaseType) and t.elem.name in _INT_LIKE


def _sized_int_list(t: SchemaType) -> int | None:
    t = t.unwrap_optional()
    if isinstance(t, ListType) and t.size and isinstance(t.elem, BaseType) and t.elem.name in _INT_LIKE:
        return t.size
    return None


class _Plan:
    """Everything the generated binder's slow path needs to finish or reject a call."""

    def __init__(
        self,
        op: str,
        expected: str,
        n: int,
        py_order: list[int],
        n_visible_pos: int,
        kw_slot: dict[str, int],
        defaults: list[Any],
        pub_names: list[str],
        kwarg_only: list[bool],
        varargs_slot: int | None,
        bcast: list[tuple[int, int]],
    ) -> None:
        self.op = op
        self.expected = expected
        self.n = n
        self.py_order = py_order
        self.n_visible_pos = n_visible_pos
        self.kw_slot = kw_slot
        self.defaults = defaults
        self.pub_names = pub_names
        self.kwarg_only = kwarg_only
        self.varargs_slot = varargs_slot
        self.bcast = bcast
        inv = [0] * n
        for slot, decl in enumerate(py_order):
            inv[decl] = slot
        self.slot_of_decl = inv

    def fail(self, reason: str) -> BindError:
        return BindError(self.op, reason, self.expected)

    def slow(self, va: tuple, kw: dict, vals: tuple) -> tuple:
        v = list(vals)
        if self.varargs_slot is not None and va:
            first = va[0]
            if _is_index(first):
                v[self.varargs_slot] = va
            elif len(va) == 1:
                v[self.varargs_slot] = first
            else:
                raise self.fail(
                    f"takes {_plural(self.n_visible_pos, 'positional argument')} but {len(va)} were given"
                )
        elif va:
            given = self.n_visible_pos + len(va)
            raise self.fail(
                f"takes {_plural(self.n_visible_pos, 'positional argument')} but {given} were given"
            )
        for k, x in kw.items():
            j = self.kw_slot.get(k)
            if j is None:
                raise self.fail(f"got an unexpected keyword argument '{k}'")
            if v[j] is not _UNSET:
                raise self.fail(f"got multiple values for argument '{k}'")
            v[j] = x
        missing_pos: list[str] = []
        missing_kw: list[str] = []
        for j, x in enumerate(v):
            if x is _UNSET:
                d = self.defaults[j]
                if d is not NO_DEFAULT:
                    v[j] = d
                elif self.kwarg_only[j]:
                    missing_kw.append(self.pub_names[j])
                else:
                    missing_pos.append(self.pub_names[j])
        if missing_pos:
            names = ", ".join(f'"{m}"' for m in missing_pos)
            raise self.fail(f"missing {_plural(len(missing_pos), 'required positional argument')}: {names}")
        if missing_kw:
            names = ", ".join(f'"{m}"' for m in missing_kw)
            raise self.fail(f"missing {_plural(len(missing_kw), 'required keyword-only argument')}: {names}")
        for j, size in self.bcast:
            x = v[j]
            if x is not None and x.__class__ is not tuple and x.__class__ is not list:
                v[j] = _broadcast(x, size)
        return tuple(v[j] for j in self.slot_of_decl)


def _build_binder(
    schema: FunctionSchema,
    method: bool,
    varargs: bool | None,
    self_name: str | None,
    symbols: Mapping[str, Any] | None,
) -> Callable[..., tuple]:
    args = schema.arguments
    n = len(args)
    op = schema.name
    pos = [i for i, a in enumerate(args) if not a.kwarg_only]
    kwo = [i for i, a in enumerate(args) if a.kwarg_only]
    self_i = schema.self_index
    if method:
        if self_i is None:
            raise ValueError(f"{schema.full_name}: a method binder needs an argument named 'self'")
        pos = [self_i] + [i for i in pos if i != self_i]

    # Public (keyword) names: torch calls a Tensor ``self`` ``input`` in the function form.
    pub = [a.name for a in args]
    if self_i is not None and not method:
        if self_name is None:
            if str(args[self_i].type) == "Tensor" and "input" not in pub:
                pub[self_i] = "input"
        else:
            if self_name in pub and self_name != "self":
                raise ValueError(f"{schema.full_name}: self_name {self_name!r} clashes with an argument")
            pub[self_i] = self_name

    # Varargs: one visible positional argument and it is an unsized int list.
    visible_pos = pos[1:] if method else pos
    eligible = len(visible_pos) == 1 and _is_unsized_int_list(args[visible_pos[0]].type)
    if varargs is None:
        varargs = eligible
    elif varargs and not eligible:
        raise ValueError(
            f"{schema.full_name}: varargs binding needs exactly one positional argument of "
            f"unsized int list type{' besides self' if method else ''}"
        )
    va_decl = visible_pos[0] if varargs else None

    # Python parameter order: positional (self first for methods), then keyword-only.
    py_order = pos + kwo
    slot_of = {d: s for s, d in enumerate(py_order)}
    ident: dict[int, str] = {}
    renamed: list[int] = []
    for i in range(n):
        nm = pub[i]
        if (
            nm.isidentifier()
            and not keyword.iskeyword(nm)
            and not nm.startswith("__ft")
            and not (method and i == self_i)
            and i != va_decl
        ):
            ident[i] = nm
        else:
            ident[i] = f"__ft_a{i}"
            if not (method and i == self_i):
                renamed.append(i)

    def default_of(i: int) -> Any:
        d = args[i].default
        if symbols is not None and isinstance(d, SymbolicDefault) and str(d) in symbols:
            return symbols[str(d)]
        return d

    defaults = [default_of(i) for i in range(n)]
    ns: dict[str, Any] = {
        "__ft_M": _UNSET,
        "__ft_int": int,
        "__ft_tuple": tuple,
        "__ft_list": list,
        "__ft_len": len,
        "__ft_isidx": _is_index,
        "__ft_bcast": _broadcast,
        "__builtins__": {},
    }
    # Parameters whose value must be checked on the fast path (required, renamed, varargs list).
    checked: list[int] = []

    def param(i: int) -> str:
        if i in renamed or defaults[i] is NO_DEFAULT:
            checked.append(i)
            return f"{ident[i]}=__ft_M"
        ns[f"__ft_d{i}"] = defaults[i]
        return f"{ident[i]}=__ft_d{i}"

    params: list[str] = []
    if method:
        params.append(f"{ident[self_i]}, /")
    if varargs:
        params.append("*__ft_va")
    else:
        params.extend(param(i) for i in visible_pos)
        params.append("*__ft_va")
    params.extend(param(i) for i in kwo)
    params.append("**__ft_kw")

    vals_expr = ", ".join("__ft_M" if i == va_decl else ident[i] for i in py_order)
    slow_call = f"return __ft_slow(__ft_va, __ft_kw, ({vals_expr}{',' if n == 1 else ''}))"
    bcast = [(i, sz) for i in range(n) if (sz := _sized_int_list(args[i].type)) is not None]
    body: list[str] = []
    if varargs:
        cond = ["__ft_kw", "not __ft_va"] + [f"{ident[i]} is __ft_M" for i in checked]
        body.append(f"if {' or '.join(cond)}:")
        body.append(f"    {slow_call}")
        v = ident[va_decl]
        body.append(f"{v} = __ft_va[0]")
        body.append(f"__ft_c = {v}.__class__")
        body.append(
            f"if __ft_c is __ft_int or (__ft_c is not __ft_tuple and __ft_c is not __ft_list and __ft_isidx({v})):"
        )
        body.append(f"    {v} = __ft_va")
        body.append("elif __ft_len(__ft_va) != 1:")
        body.append(f"    {slow_call}")
    else:
        cond = ["__ft_va", "__ft_kw"] + [f"{ident[i]} is __ft_M" for i in checked]
        body.append(f"if {' or '.join(cond)}:")
        body.append(f"    {slow_call}")
    for i, sz in bcast:
        if i == va_decl:
            continue
        v = ident[i]
        body.append(f"__ft_c = {v}.__class__")
        body.append("if __ft_c is __ft_int:")
        body.append(f"    {v} = ({', '.join([v] * sz)},)")
        body.append(f"elif __ft_c is not __ft_tuple and __ft_c is not __ft_list and {v} is not None:")
        body.append(f"    {v} = __ft_bcast({v}, {sz})")
    body.append(f"return ({', '.join(ident[i] for i in range(n))}{',' if n == 1 else ''})")
    src = f"def __ft_bind({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)

    # Keywords Python cannot bind itself: renamed arguments and the varargs list.
    kw_slot = {pub[i]: slot_of[i] for i in renamed}
    shown = {args[i].name: pub[i] for i in range(n) if pub[i] != args[i].name}
    shown_args = tuple(args[i] for i in range(n) if not (method and i == self_i))
    prefix = f"Tensor.{schema.full_name}" if method else schema.full_name
    expected = f"{prefix}({schema._arguments_str(shown_args, shown)}) -> {schema._returns_str()}"
    plan = _Plan(
        op=op,
        expected=expected,
        n=n,
        py_order=py_order,
        n_visible_pos=len(visible_pos),
        kw_slot=kw_slot,
        defaults=[defaults[d] for d in py_order],
        pub_names=[pub[d] for d in py_order],
        kwarg_only=[args[d].kwarg_only for d in py_order],
        varargs_slot=None if va_decl is None else slot_of[va_decl],
        bcast=[(slot_of[i], sz) for i, sz in bcast],
    )
    ns["__ft_slow"] = plan.slow
    exec(compile(src, f"<binder {schema.full_name}>", "exec"), ns)
    fn = ns["__ft_bind"]
    fn.__name__ = op
    fn.__qualname__ = op
    fn.__doc__ = f"Bind a call of {expected}."
    fn.__ft_source__ = src
    # most positional values a call can have (None: unbounded), so overload selection can
    # pass over an overload without a failed bind
    fn.max_positional = None if varargs else len(pos)
    return fn
