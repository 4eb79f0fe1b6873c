"""PyTorch's structseq return types (``torch.return_types.max`` …): tuples with named fields.

``structseq(name, fields)`` makes one; ops of other families import the ready-made ones.
"""
from __future__ import annotations

__all__ = ["structseq", "max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "aminmax", "cummax", "cummin", "var_mean", "std_mean", "frexp", "slogdet",
           "max_out", "min_out", "sort_out", "topk_out", "kthvalue_out", "median_out",
           "nanmedian_out", "mode_out", "aminmax_out", "cummax_out", "cummin_out"]


class _StructSeq(tuple):
    """Base of the generated classes: ``cls(sequence)`` as in PyTorch."""

    __slots__ = ()
    _fields: tuple = ()
    n_fields = n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, sequence=()):
        seq = tuple(sequence)
        if len(seq) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a "
                            f"{len(cls._fields)}-sequence ({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self) -> str:
        body = ",\n".join(f"{n}={v!r}" for n, v in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


def structseq(name: str, fields) -> type:
    """A structseq class ``torch.return_types.<name>`` with the given field names."""
    fields = tuple(fields)
    ns = {"__slots__": (), "_fields": fields, "n_fields": len(fields),
          "n_sequence_fields": len(fields), "__module__": "torch.return_types",
          "__qualname__": name}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    return type(name, (_StructSeq,), ns)


_VI = ("values", "indices")
max = structseq("max", _VI)  # noqa: A001
min = structseq("min", _VI)  # noqa: A001
sort = structseq("sort", _VI)
topk = structseq("topk", _VI)
kthvalue = structseq("kthvalue", _VI)
median = structseq("median", _VI)
nanmedian = structseq("nanmedian", _VI)
mode = structseq("mode", _VI)
cummax = structseq("cummax", _VI)
cummin = structseq("cummin", _VI)
aminmax = structseq("aminmax", ("min", "max"))
frexp = structseq("frexp", ("mantissa", "exponent"))
slogdet = structseq("slogdet", ("sign", "logabsdet"))
# what the out= forms return (``torch.return_types.sort_out`` …)
max_out, min_out, sort_out, topk_out, kthvalue_out, median_out, nanmedian_out, mode_out, \
    aminmax_out, cummax_out, cummin_out = (
        structseq(c.__name__ + "_out", c._fields)
        for c in (max, min, sort, topk, kthvalue, median, nanmedian, mode, aminmax, cummax,
                  cummin))
# PyTorch returns plain tuples for these; the names exist for callers that want fields.
var_mean = structseq("var_mean", ("var", "mean"))
std_mean = structseq("std_mean", ("std", "mean"))
