"""In-place variants: compute out of place, check, write through, rebase autograd history.

torch's rules, all here: an in-place op on a tensor records a node that becomes the
tensor's grad_fn; on a differentiable view it records a `CopySlices` node on the view's
base (the op applied to the view's slice of the base) and the view's own grad_fn is
regenerated from the base. In-place view ops (`t_`, `unsqueeze_`) change the tensor's
view of its storage instead of its elements.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .. import _grad_mode
from .._autograd import graph, saved, views
from .._storage import ViewChain
from .._tensor import Tensor, from_array
from . import forward
from .dispatch import RowFn, _ViewStep, compute_dtype, leaf_arrays, parse
from .reduction import type_word


class _CastTo:
    """fn's result cast to the in-place target's dtype."""

    __slots__ = ("fn", "dtype", "key")

    def __init__(self, fn, dtype):
        self.fn, self.dtype = fn, dtype
        self.key = None if fn.key is None else ("cast", fn.key, str(dtype))

    def __call__(self, *arrays):
        return self.fn(*arrays).astype(self.dtype)


_POSITIONS: dict = {}


def _view_positions(read: views.ReadView, shape: tuple) -> np.ndarray:
    """Flat position in the base of each element of the view (computed eagerly, cached)."""
    key = None if read.key is None else (read.key, shape)
    positions = _POSITIONS.get(key) if key is not None else None
    if positions is None:
        with jax.ensure_compile_time_eval():
            index = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
            positions = np.asarray(read(jnp.asarray(index))).reshape(-1)
        if key is not None:
            _POSITIONS[key] = positions
    return positions


class _ThroughView:
    """The base's new value after fn rewrites the elements that one view of it covers."""

    __slots__ = ("fn", "read", "positions", "key")

    def __init__(self, fn, read: views.ReadView, base_shape: tuple):
        self.fn, self.read = fn, read
        self.positions = _view_positions(read, base_shape)
        ok = fn.key is not None and read.key is not None
        self.key = ("through", fn.key, read.key) if ok else None

    def __call__(self, base, *others):
        new_view = self.fn(self.read(base), *others)
        flat = base.reshape(-1).at[self.positions].set(new_view.reshape(-1))
        return flat.reshape(base.shape)


# copy_ and fill_ convert their source to self's dtype; a constant source converted up front
# still shows as a (None, 0) input in next_functions (an integer tensor would not).
_ASSIGNING_ROWS = ("copy", "fill")


def _as_dtype_of(self: Tensor, value):
    if isinstance(value, Tensor) and value.dtype != self.dtype and not value.requires_grad:
        return from_array(value._value.astype(self._value.dtype))
    return value


def _any_requires_grad(leaves) -> bool:
    return any(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves)


def call_inplace(row, self: Tensor, args: tuple, kwargs: dict, grad_fn_name: str | None = None):
    """Tensor.<op>_: self = op(self, *args) in place, recorded for autograd."""
    if row.view:
        return _inplace_view(row, self, args, kwargs)
    if row.name in _ASSIGNING_ROWS:
        args = tuple(_as_dtype_of(self, a) for a in args)
    leaves, template = parse(row, (self, *args), kwargs)
    if row.check is not None:
        row.check(*leaves)
    requires_grad = _grad_mode._state.enabled and _any_requires_grad(leaves)
    views.check_inplace(self, requires_grad)
    _check_dtype_argument(self, kwargs.get("dtype"))
    arrays, casts = leaf_arrays(row, leaves, compute_dtype(row, leaves))
    fn = RowFn(row, template, casts)
    out = forward.run(fn, arrays)
    target = self._value.dtype
    _check_result(out, self, target)
    name = grad_fn_name or (row.grad_fn_name((self, *args), kwargs) if row.differentiable else None)
    name = _INPLACE_NAMES.get(name, name)
    if name is None or not requires_grad:
        self._write(out.astype(target))
        return self
    return _record_and_write(self, _CastTo(fn, target), leaves, arrays, out.astype(target),
                             name, row)  # fmt: skip


def _record_and_write(self: Tensor, fn, leaves, arrays, out, name: str, row=None) -> Tensor:
    """Record fn as self's new history (CopySlices on the base for a view), then write out."""
    meta = self._view_meta
    if meta is None:
        old = self._grad_fn
        node = graph.record(fn, leaves, arrays, [self], name, row)
        self._write(out)
        _after_write(node, self, None)
        graph.move_retained(self, old)
        return self
    base = meta.base
    old = graph.grad_fn_of(base)
    through = _ThroughView(fn, views.ReadView(self, base), tuple(base.shape))
    node = graph.record(through, [base, *leaves[1:]], [base._value, *arrays[1:]], [base],
                        "CopySlices", row)  # fmt: skip
    self._write(out)
    _after_write(node, self, self)
    graph.move_retained(base, old)
    views.view_grad_fn(self)
    return self


def check_inplace_allowed(tensor: Tensor) -> None:
    """torch's refusal of in-place writes on leaves that require grad (and their views)."""
    views.check_inplace(tensor, tensor.requires_grad)


def overwrite(target: Tensor, fn, grad_fn_name: str) -> Tensor:
    """target = fn(target's value) in place, recorded as torch records an in-place op.

    For writers outside the op table (in-place samplers): fn(array) -> array of target's shape.
    """
    out = fn(target._value)
    if not (_grad_mode._state.enabled and target.requires_grad):
        target._write(out)
        return target
    return _record_and_write(target, fn, [target], [target._value], out, grad_fn_name)


def _after_write(node, tensor: Tensor, view) -> None:
    """torch saves an in-place op's input `self` as a copy and its result after the write."""
    if node is None:
        return
    saved.forget_input(node, 0)
    if node.saved_output is not None:
        node.saved_output[1] = tensor._storage.version
        node.saved_output[2] = view


def _check_dtype_argument(self: Tensor, dtype) -> None:
    """cumsum_(dim, dtype=...): torch refuses a result dtype other than self's."""
    if dtype is None:
        return
    dtype = dt.as_dtype(dtype)
    if dtype != self.dtype:
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {self.dtype._cpp_name} and output tensor "
            f"dtype {dtype._cpp_name} should match"
        )


def _check_result(out, self: Tensor, target) -> None:
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


# In-place overloads torch numbers after the out-of-place ones (torch.fill vs Tensor.fill_).
_INPLACE_NAMES = {
    "FillBackward0": "FillBackward2", "FillBackward1": "FillBackward3",
    "EluBackward0": "EluBackward1", "CeluBackward0": "CeluBackward1",
    "ThresholdBackward0": "ThresholdBackward1", "LeakyReluBackward0": "LeakyReluBackward1",
}  # fmt: skip


def _inplace_view_name(name: str) -> str:
    """torch names in-place view nodes by a later overload: TBackward1, SqueezeBackward3."""
    stem, _, index = name.rpartition("Backward")
    if stem == "Squeeze":
        return f"SqueezeBackward{int(index) + 3}"
    return f"{stem}Backward1"


def _inplace_view(row, self: Tensor, args: tuple, kwargs: dict):
    """Tensor.t_ / unsqueeze_ / squeeze_ / transpose_: self becomes a new view of its storage."""
    leaves, template = parse(row, (self, *args), kwargs)
    requires_grad = _grad_mode._state.enabled and self.requires_grad
    views.check_inplace(self, requires_grad)
    arrays, casts = leaf_arrays(row, leaves, None)
    fn = RowFn(row, template, casts)
    value = fn(*arrays)
    graph.grad_fn_of(self)  # a view brings its grad_fn up to date before it changes
    storage = self._storage
    self._view = (self._view or ViewChain(())).then(_ViewStep(fn, arrays[1:], None))
    storage.version += 1
    self._cache = value  # valid while _cache_source is the (unchanged) storage array
    if self._view_meta is not None:
        self._view_meta.attr_version = storage.version
    if requires_grad and row.differentiable:
        old = self._grad_fn
        name = _inplace_view_name(row.grad_fn_name((self, *args), kwargs))
        graph.record(fn, [self, *leaves[1:]], arrays, [self], name, row, saves="none")
        graph.move_retained(self, old)
    return self


def _category(np_dtype) -> int:
    kind = np_dtype.kind
    if kind == "b":
        return 0
    if kind in "iu":
        return 1
    if kind == "c":
        return 3
    return 2
