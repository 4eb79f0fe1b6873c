"""In-place writes through views: PyTorch's ``CopySlices`` and view-node regeneration.

Writing in place into a view ``v`` of ``base`` changes ``base`` too, so ``base`` gets a
``CopySlices`` node: the gradient of the new ``base`` flows unchanged to the old ``base``
outside the view's elements, and through the in-place op's own formula inside them. A view
whose storage was written in place since its node was recorded gets a fresh
``AsStridedBackward0`` node reading from its base's current history (the version counter tells
which views are stale), so every view sees the write.
"""
from __future__ import annotations

from .._tensor import Tensor, set_view_regenerator
from .._ops.views import as_strided_grad, geometry
from .graph import Node, gradient_edge

__all__ = ["CopySlices", "AsStridedBackward0", "record_copy_slices"]


class CopySlices(Node):
    """Backward of an in-place op applied to a view, as seen from the view's base."""

    __slots__ = ("_base_geometry", "_view_geometry", "_dtype", "fn")

    def __init__(self, base: Tensor, view: Tensor, fn: Node) -> None:
        super().__init__((gradient_edge(base),) + tuple(fn.next_functions[1:]))
        self._base_geometry = geometry(base)[:3]
        self._view_geometry = geometry(view)[:3]
        self._dtype = base._dtype
        self.fn = fn

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def apply(self, grads: tuple) -> tuple:
        from .. import empty_strided
        shape, stride, offset = self._base_geometry
        result = empty_strided(shape, stride, dtype=self._dtype)
        result.copy_(grads[0])
        vshape, vstride, voffset = self._view_geometry
        grad_slice = result.as_strided(vshape, vstride, voffset - offset)
        res = self.fn.apply((grad_slice.clone(),))
        if res[0] is None:
            grad_slice.zero_()
        else:
            grad_slice.copy_(res[0])
        return (result,) + tuple(res[1:])

    def release_variables(self) -> None:
        super().release_variables()
        self.fn.release_variables()


class AsStridedBackward0(Node):
    """Node of a view whose storage was written in place: the view read as ``as_strided``
    of its base."""

    __slots__ = ("_base_geometry", "_view_geometry")

    def __init__(self, base: Tensor, view: Tensor) -> None:
        super().__init__((gradient_edge(base),))
        self._base_geometry = geometry(base)
        self._view_geometry = geometry(view)[:3]

    def apply(self, grads: tuple) -> tuple:
        return (as_strided_grad(grads[0], self._base_geometry, *self._view_geometry),)


def record_copy_slices(view: Tensor, fn: Node) -> None:
    """After the in-place op recorded as ``fn`` wrote into ``view``, give its base the
    ``CopySlices`` node and the view a node reading from it."""
    base = view._base
    base._grad_fn = CopySlices(base, view, fn)
    base._output_nr = 0
    base._requires_grad = True
    view.grad_fn = AsStridedBackward0(base, view)
    view._output_nr = 0
    view._requires_grad = True


set_view_regenerator(lambda view: AsStridedBackward0(view._base, view))
