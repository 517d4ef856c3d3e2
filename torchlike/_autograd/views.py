"""Differentiable views: torch's autograd rules for views and in-place writes through them.

Every output of a view op remembers its base (the first non-view tensor it was cut from),
the version it last synchronised its grad_fn at, and how it was created. When the shared
version counter has moved on (the base or another view was written in place), reading
the view's grad_fn makes a fresh `AsStridedBackward0` node that reads the view out of the
base's current history, as torch does.
"""

from __future__ import annotations

import numpy as np

from .. import _grad_mode
from .._storage import chain_key

DEFAULT = "default"
NO_GRAD = "no_grad"
INFERENCE = "inference"
MULTIPLE_OUTPUTS = "multiple_outputs"
IN_CUSTOM_FUNCTION = "in_custom_function"


class ViewMeta:
    """What a differentiable view knows about its base."""

    __slots__ = ("base", "attr_version", "creation")

    def __init__(self, base, attr_version: int, creation: str):
        self.base, self.attr_version, self.creation = base, attr_version, creation


def mark_views(views, source, multiple: bool) -> None:
    """Record that `views` are differentiable views of `source` (called by view ops)."""
    source_meta = source._view_meta
    base = source if source_meta is None else source_meta.base
    if _grad_mode._state.inference:
        creation = INFERENCE
    elif not _grad_mode._state.enabled:
        creation = NO_GRAD
    else:
        creation = MULTIPLE_OUTPUTS if multiple else DEFAULT
    if source_meta is not None and source_meta.creation != DEFAULT and creation == DEFAULT:
        creation = source_meta.creation
    for view in views:
        view._view_meta = ViewMeta(base, view._storage.version, creation)


def view_grad_fn(tensor):
    """The grad_fn of a view, regenerated when the shared version counter moved."""
    meta = tensor._view_meta
    if tensor._grad_fn is None and not meta.base.requires_grad:
        return None
    version = tensor._storage.version
    if meta.attr_version != version:
        check_view_rebase(tensor, indirect=True)
        regenerate(tensor)
    return tensor._grad_fn


def regenerate(tensor) -> None:
    """Give a view a fresh AsStridedBackward0 grad_fn reading it out of its base."""
    from .graph import move_retained, record

    meta = tensor._view_meta
    old = tensor._grad_fn
    base = meta.base
    meta.attr_version = tensor._storage.version
    record(ReadView(tensor, base), [base], [base._value], [tensor], "AsStridedBackward0",
           saves="none")  # fmt: skip
    move_retained(tensor, old)


class ReadView:
    """base value -> view value: the view steps taken after the base's own steps."""

    __slots__ = ("steps", "positions", "key")

    def __init__(self, view, base):
        steps = view._view.steps if view._view is not None else ()
        prefix = base._view.steps if base._view is not None else ()
        self.positions = None
        if steps[: len(prefix)] == prefix and view._storage is base._storage:
            self.steps = steps[len(prefix) :]
            self.key = chain_key(self.steps)
        else:
            self.steps, self.key = (), None
            self.positions = _positions_in_base(view, base)

    def __call__(self, base_value):
        if self.positions is not None:
            return base_value.reshape(-1)[self.positions]
        for step in self.steps:
            base_value = step(base_value)
        return base_value


def _positions_in_base(view, base) -> np.ndarray:
    """For each view element, its flat position in the base (when chains do not nest)."""
    shape = view._storage.array.shape
    base_index = _flat_index(base, shape).reshape(-1)
    view_index = _flat_index(view, shape)
    lookup = np.full(int(np.prod(shape)), -1, np.int64)
    lookup[base_index] = np.arange(base_index.size)
    return lookup[view_index]


def _flat_index(tensor, storage_shape) -> np.ndarray:
    if tensor._view is None:
        return np.arange(int(np.prod(storage_shape))).reshape(storage_shape)
    return tensor._view.flat_index(storage_shape)


_FORBIDDEN = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the {block} block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked)."
)
_REASONS = {
    MULTIPLE_OUTPUTS: " This view is the output of a function that returns multiple views. Such "
    "functions do not allow the output views to be modified inplace. You should replace the "
    "inplace operation by an out-of-place one.",
    NO_GRAD: _FORBIDDEN.format(block="no_grad"),
    INFERENCE: _FORBIDDEN.format(block="inference_mode"),
    IN_CUSTOM_FUNCTION: " This view was created inside a custom Function (or because an input "
    "was returned as-is) and the autograd logic to handle view+inplace would override the custom "
    "backward associated with the custom Function, leading to incorrect gradients. This "
    "behavior is forbidden. You can fix this by cloning the output of the custom Function.",
}


def check_view_rebase(tensor, indirect: bool) -> None:
    """torch's errors for in-place writes that autograd cannot attribute to a view."""
    from .saved import friendly_name

    creation = tensor._view_meta.creation
    if creation == DEFAULT:
        return
    node = tensor._grad_fn
    modified = "its base or another view of its base has been" if indirect else "is being"
    output = "" if node is None else f"Output {tensor._output_nr} of {friendly_name(node)}"
    if creation in (NO_GRAD, INFERENCE) or node is None:
        prefix = (
            f"{output} is a view of a view which was created in"
            if output
            else ("A view was created in")
        )
        if creation == INFERENCE:
            text = f"{prefix} inference mode and {modified} modified inplace in normal mode."
        else:
            text = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        text = f"{output} is a view and {modified} modified inplace."
    raise RuntimeError(text + _REASONS[creation])


def check_inplace(tensor, any_requires_grad: bool) -> None:
    """torch's check_inplace: which in-place writes autograd refuses."""
    if not (any_requires_grad and _grad_mode._state.enabled):
        return
    meta = tensor._view_meta
    if meta is not None:
        check_view_rebase(tensor, indirect=False)
        if tensor.requires_grad and meta.base.is_leaf:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
    if tensor.requires_grad and tensor.is_leaf:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
