"""In-place variants: compute out of place, check the dtype, write through, rebase history."""

from __future__ import annotations

from .. import _grad_mode
from .._autograd import graph
from .._tensor import Tensor
from .dispatch import RowFn, compute_dtype, leaf_arrays, parse
from .reduction import type_word


class _CastTo:
    """fn's result cast to the in-place target's dtype."""

    __slots__ = ("fn", "dtype", "key")

    def __init__(self, fn, dtype):
        self.fn, self.dtype = fn, dtype
        self.key = None if fn.key is None else ("cast", fn.key, str(dtype))

    def __call__(self, *arrays):
        return self.fn(*arrays).astype(self.dtype)


class _ThroughView:
    """The base's new value after fn rewrites the elements one view of it covers."""

    __slots__ = ("fn", "chain", "key")

    def __init__(self, fn, chain):
        self.fn, self.chain, self.key = fn, chain, None

    def __call__(self, base, *others):
        return self.chain.scatter(base, self.fn(self.chain.apply(base), *others))


def check_inplace_allowed(tensor: Tensor) -> None:
    if not _grad_mode._state.enabled:
        return
    if tensor._grad_fn is None and tensor._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = tensor._base
    if tensor._view is not None and base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def call_inplace(row, self: Tensor, args: tuple, kwargs: dict, grad_fn_name: str | None = None):
    """Tensor.<op>_: self = op(self, *args) in place, recorded for autograd."""
    check_inplace_allowed(self)
    leaves, template = parse(row, (self, *args), kwargs)
    arrays, casts = leaf_arrays(row, leaves, compute_dtype(row, leaves))
    fn = RowFn(row, template, casts)
    out = fn(*arrays)
    target = self._value.dtype
    if _category(out.dtype) > _category(target):
        raise RuntimeError(
            f"result type {type_word(out.dtype)} can't be cast to the desired output type "
            f"{type_word(target)}"
        )
    if out.shape != self._value.shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, self.shape))}] doesn't match the broadcast "
            f"shape [{', '.join(map(str, out.shape))}]"
        )
    fn = _CastTo(fn, target)
    name = grad_fn_name or (row.grad_fn_name((self, *args), kwargs) if row.differentiable else None)
    record = (
        name is not None
        and _grad_mode._state.enabled
        and any(isinstance(l, Tensor) and l.requires_grad for l in leaves)
    )
    node = None
    if record and self._view is None:
        node = graph.record(fn, leaves, arrays, [self], name, row)
    elif record:
        base = self._base
        through = _ThroughView(fn, self._view)
        node = graph.record(through, [base, *leaves[1:]], [base._value, *arrays[1:]], [base],
                            "CopySlices", row)  # fmt: skip
    self._write(out.astype(target))
    if node is not None:
        _refresh_checks(node, self)
        if self._view is not None:
            view_node = graph.record(self._view.apply, [self._base], [self._base._value], [self],
                                     "AsStridedBackward0")  # fmt: skip
            view_node.saved_checks = []
    return self


def _refresh_checks(node, tensor: Tensor) -> None:
    """The op's own write must not count as a later modification of what it saved."""
    storage = tensor._storage
    node.saved_checks = [
        (s, storage.version if s is storage else v, *rest) for s, v, *rest in node.saved_checks
    ]


def _category(np_dtype) -> int:
    kind = np_dtype.kind
    if kind == "b":
        return 0
    if kind in "iu":
        return 1
    if kind == "c":
        return 3
    return 2
