"""A restricted pickle virtual machine for checkpoint data (``data.pkl``).

The stream is interpreted opcode by opcode; nothing is imported or called because a pickle
names it. A global resolves only through the allowlist given to the machine, calls
(REDUCE/NEWOBJ) only reach callables from that allowlist, ``BUILD`` only updates containers
and user-approved types, and every length, nesting depth and memo index is checked, so a
hostile file ends in :class:`UnpicklingError` and never in code execution or a crash.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

from .errors import SerializationError, UnpicklingError, bounded

__all__ = ["RestrictedUnpickler", "Global", "MAX_DEPTH"]

MAX_DEPTH = 200
_MARK = object()


class Global:
    """What an allowlisted global resolves to.

    ``value`` is what the pickle sees; ``call`` (if any) is what REDUCE may invoke with the
    arguments the stream built; ``build`` (if any) applies a BUILD state; ``newobj`` lets
    NEWOBJ create an instance of ``value`` (a class) with ``value.__new__``.
    """

    __slots__ = ("value", "call", "build", "newobj")

    def __init__(self, value: Any, call: Callable | None = None,
                 build: Callable | None = None, newobj: bool = False) -> None:
        self.value = value
        self.call = call
        self.build = build
        self.newobj = newobj


_RENAMED_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class RestrictedUnpickler:
    """Interprets protocol 2-5 pickles; ``find_global(module, name)`` returns a :class:`Global`
    or raises; ``persistent_load(pid)`` resolves persistent ids (tensor storages)."""

    def __init__(self, data, find_global: Callable[[str, str], Global],
                 persistent_load: Callable[[Any], Any]) -> None:
        self._data = memoryview(data).cast("B")
        self._pos = 0
        self._find_global = find_global
        self._persistent_load = persistent_load
        self._callables: dict[int, Global] = {}
        self._builders: dict[int, Callable] = {}
        self._depth: dict[int, int] = {}
        self._keep: list = []

    # ------------------------------------------------------------------ reading

    def _read(self, n: int) -> memoryview:
        end = self._pos + n
        if n < 0 or end > len(self._data):
            raise UnpicklingError("pickle data was truncated")
        chunk = self._data[self._pos:end]
        self._pos = end
        return chunk

    def _unpack(self, fmt: str, n: int):
        return struct.unpack(fmt, self._read(n))[0]

    def _readline(self) -> str:
        data = self._data
        end = self._pos
        limit = min(len(data), self._pos + 1024)
        while end < limit and data[end] != 0x0A:
            end += 1
        if end >= limit:
            raise UnpicklingError("pickle data was truncated (unterminated global name)")
        line = bytes(data[self._pos:end])
        self._pos = end + 1
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            raise UnpicklingError("pickle global name is not UTF-8") from None

    def _text(self, n: int) -> str:
        try:
            return str(self._read(n), "utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise UnpicklingError("pickle string is not valid UTF-8") from None

    # ------------------------------------------------------------------ structure

    def _track(self, obj, items) -> Any:
        """Record the nesting depth of a hashable container (a deep tuple would overflow the
        C stack when hashed) and refuse streams nested deeper than ``MAX_DEPTH``."""
        depth = 1 + max((self._depth.get(id(x), 0) for x in items), default=0)
        if depth > MAX_DEPTH:
            raise UnpicklingError(f"pickle nests containers deeper than {MAX_DEPTH} levels")
        if depth > 1:
            self._depth[id(obj)] = depth
            self._keep.append(obj)
        return obj

    def _pop_mark(self) -> list:
        if not self._metastack:
            raise UnpicklingError("pickle stream has no MARK to pop to")
        items = self._stack
        self._stack = self._metastack.pop()
        return items

    def _pop(self):
        if not self._stack:
            raise UnpicklingError("pickle stack underflow")
        return self._stack.pop()

    def _top(self):
        if not self._stack:
            raise UnpicklingError("pickle stack underflow")
        return self._stack[-1]

    def _memo_get(self, index: int):
        try:
            return self._memo[index]
        except KeyError:
            raise UnpicklingError(f"pickle memo has no entry {index}") from None

    def _memo_put(self, index: int) -> None:
        if index < 0:
            raise UnpicklingError("negative pickle memo index")
        self._memo[index] = self._top()

    def _set_items(self, target, items: list) -> None:
        if not isinstance(target, dict) or len(items) % 2:
            raise UnpicklingError("pickle SETITEM(S) on a non-dict or with an odd item count")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _global(self, module: str, name: str) -> None:
        module = _RENAMED_MODULES.get(module, module)
        g = self._find_global(module, name)
        value = g.value
        if g.call is not None or g.newobj:
            self._callables[id(value)] = g
            self._keep.append(value)
        if g.build is not None:
            self._builders[id(value)] = g.build
        self._stack.append(value)

    def _allowed(self, obj, what: str) -> Global:
        g = self._callables.get(id(obj))
        ok = g is not None and g.value is obj and (
            g.call is not None if what == "REDUCE" else g.newobj)
        if not ok:
            raise UnpicklingError(f"pickle {what} of an object that is not an allowlisted "
                                  f"callable ({bounded(type(obj).__name__, 60)})")
        return g

    def _reduce(self) -> None:
        args = self._pop()
        func = self._pop()
        call = self._allowed(func, "REDUCE").call
        if not isinstance(args, tuple):
            raise UnpicklingError("pickle REDUCE arguments are not a tuple")
        self._stack.append(self._result(call(*args), func))

    def _newobj(self, kwargs: dict | None = None) -> None:
        args = self._pop()
        cls = self._pop()
        self._allowed(cls, "NEWOBJ")
        if not isinstance(args, tuple) or (kwargs is not None and not isinstance(kwargs, dict)):
            raise UnpicklingError("pickle NEWOBJ arguments are malformed")
        self._stack.append(self._result(cls.__new__(cls, *args, **(kwargs or {})), cls))

    def _result(self, obj, made_by):
        build = self._builders.get(id(made_by))
        if build is not None:
            self._builders[id(obj)] = build
            self._keep.append(obj)
        return obj

    def _build(self) -> None:
        state = self._pop()
        obj = self._top()
        build = self._builders.get(id(obj))
        if build is None:
            raise UnpicklingError(f"pickle BUILD on {bounded(type(obj).__name__, 60)}, which "
                                  "accepts no state")
        build(obj, state)

    # ------------------------------------------------------------------ the machine

    def load(self):
        """Run the stream to STOP and return the object; any failure is an UnpicklingError."""
        self._stack: list = []
        self._metastack: list = []
        self._memo: dict = {}
        try:
            return self._run()
        except SerializationError:
            raise
        except RecursionError:
            raise UnpicklingError("pickle data nests too deeply") from None
        except MemoryError:
            raise UnpicklingError("pickle data needs more memory than is available") from None
        except Exception as e:  # a malformed stream, surfaced as one typed error
            raise UnpicklingError(f"malformed pickle data: {type(e).__name__}: "
                                  f"{bounded(str(e), 200)}") from None

    def _run(self):
        ops = _OPS
        data = self._data
        while True:
            if self._pos >= len(data):
                raise UnpicklingError("pickle data was truncated (no STOP opcode)")
            code = data[self._pos]
            self._pos += 1
            op = ops.get(code)
            if op is None:
                raise UnpicklingError(f"unsupported pickle opcode {bytes([code])!r} at byte "
                                      f"{self._pos - 1}")
            if op is _stop:
                if len(self._stack) != 1 or self._metastack:
                    raise UnpicklingError("pickle stack is not a single object at STOP")
                return self._stack[0]
            op(self)


def _stop(self) -> None:  # marker; handled in the loop
    raise AssertionError


def _proto(self) -> None:
    version = self._read(1)[0]
    if version > 5:
        raise UnpicklingError(f"unsupported pickle protocol {version}")


def _mark(self) -> None:
    self._metastack.append(self._stack)
    self._stack = []


def _tuple_of(self, items) -> None:
    t = tuple(items)
    self._stack.append(self._track(t, t))


def _tuple_n(n: int):
    def op(self) -> None:
        if len(self._stack) < n:
            raise UnpicklingError("pickle stack underflow")
        items = self._stack[len(self._stack) - n:]
        del self._stack[len(self._stack) - n:]
        _tuple_of(self, items)
    return op


def _add_items(cls: type, opcode: str, many: bool):
    """APPEND / APPENDS / ADDITEMS: add stack items to the list or set below them."""
    def op(self) -> None:
        items = self._pop_mark() if many else [self._pop()]
        target = self._top()
        if not isinstance(target, cls):
            raise UnpicklingError(f"pickle {opcode} on a non-{cls.__name__}")
        if cls is list:
            target.extend(items)
        else:
            target.update(items)
    return op


def _frozenset(self) -> None:
    items = self._pop_mark()
    f = frozenset(items)
    self._stack.append(self._track(f, items))


def _dict(self) -> None:
    items = self._pop_mark()
    d: dict = {}
    self._set_items(d, items)
    self._stack.append(d)


def _setitem(self) -> None:
    value = self._pop()
    key = self._pop()
    self._set_items(self._top(), [key, value])


def _setitems(self) -> None:
    items = self._pop_mark()
    self._set_items(self._top(), items)


def _stack_global(self) -> None:
    name = self._pop()
    module = self._pop()
    if not isinstance(module, str) or not isinstance(name, str):
        raise UnpicklingError("pickle STACK_GLOBAL names are not strings")
    self._global(module, name)


def _binpersid(self) -> None:
    pid = self._pop()
    self._stack.append(self._persistent_load(pid))


def _dup(self) -> None:
    self._stack.append(self._top())


def _operand(fmt: str, then: Callable[[Any, Any], None]):
    """An opcode with one fixed-size operand (struct ``fmt``): ``then(machine, value)``."""
    size = struct.calcsize(fmt)

    def op(self) -> None:
        then(self, self._unpack(fmt, size))
    return op


def _push(value):
    def op(self) -> None:
        self._stack.append(value)
    return op


def _push_long(self, size: int) -> None:
    if size < 0:
        raise UnpicklingError("negative LONG byte count")
    self._stack.append(int.from_bytes(self._read(size), "little", signed=True))


_push_value = lambda self, v: self._stack.append(v)  # noqa: E731
_push_text = lambda self, n: self._stack.append(self._text(n))  # noqa: E731
_push_bytes = lambda self, n: self._stack.append(bytes(self._read(n)))  # noqa: E731
_push_memo = lambda self, i: self._stack.append(self._memo_get(i))  # noqa: E731
_put_memo = lambda self, i: self._memo_put(i)  # noqa: E731


_OPS: dict[int, Callable] = {
    ord("."): _stop,
    0x80: _proto,
    0x95: _operand("<Q", lambda self, n: None),
    ord("("): _mark,
    ord("0"): lambda self: self._pop(),
    ord("1"): lambda self: self._pop_mark(),
    ord("2"): _dup,
    ord("N"): _push(None),
    0x88: _push(True),
    0x89: _push(False),
    ord("J"): _operand("<i", _push_value),
    ord("K"): _operand("<B", _push_value),
    ord("M"): _operand("<H", _push_value),
    0x8A: _operand("<B", _push_long),
    0x8B: _operand("<i", _push_long),
    ord("G"): _operand(">d", _push_value),
    ord("X"): _operand("<I", _push_text),
    0x8C: _operand("<B", _push_text),
    0x8D: _operand("<Q", _push_text),
    ord("B"): _operand("<I", _push_bytes),
    ord("C"): _operand("<B", _push_bytes),
    0x8E: _operand("<Q", _push_bytes),
    ord("]"): lambda self: self._stack.append([]),
    ord("l"): lambda self: self._stack.append(self._pop_mark()),
    ord("a"): _add_items(list, "APPEND", False),
    ord("e"): _add_items(list, "APPENDS", True),
    ord(")"): lambda self: self._stack.append(()),
    ord("t"): lambda self: _tuple_of(self, self._pop_mark()),
    0x85: _tuple_n(1),
    0x86: _tuple_n(2),
    0x87: _tuple_n(3),
    ord("}"): lambda self: self._stack.append({}),
    ord("d"): _dict,
    ord("s"): _setitem,
    ord("u"): _setitems,
    0x8F: lambda self: self._stack.append(set()),
    0x90: _add_items(set, "ADDITEMS", True),
    0x91: _frozenset,
    ord("c"): lambda self: self._global(self._readline(), self._readline()),
    0x93: _stack_global,
    ord("R"): lambda self: self._reduce(),
    0x81: lambda self: self._newobj(),
    0x92: lambda self: self._newobj(self._pop()),
    ord("b"): lambda self: self._build(),
    ord("Q"): _binpersid,
    ord("q"): _operand("<B", _put_memo),
    ord("r"): _operand("<I", _put_memo),
    0x94: lambda self: self._memo_put(len(self._memo)),
    ord("h"): _operand("<B", _push_memo),
    ord("j"): _operand("<I", _push_memo),
}
