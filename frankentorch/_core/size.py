"""``Size``: the tuple subclass PyTorch returns for shapes."""
from __future__ import annotations

__all__ = ["Size", "size_of"]


class Size(tuple):
    """A shape; prints as ``torch.Size([2, 3])`` like PyTorch."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = tuple(sizes)
        for s in items:
            if not isinstance(s, int) or isinstance(s, bool):
                if hasattr(s, "__index__") and not isinstance(s, bool):
                    continue
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item {items.index(s)} "
                                f"is '{type(s).__name__}')")
        return super().__new__(cls, (int(s) for s in items))

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))


def size_of(shape: tuple) -> Size:
    """A ``Size`` of a shape tuple already known to hold ints (a tensor's own shape), without
    the checks of ``Size(...)``."""
    return tuple.__new__(Size, shape)
