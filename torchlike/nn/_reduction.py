"""Reduction arguments of the loss functions (torch.nn._reduction): the reduction string, the
deprecated size_average/reduce flags and the target-size warning."""

from __future__ import annotations

import warnings

_REDUCTIONS = ("none", "mean", "sum")


def legacy_get_string(size_average, reduce, stacklevel: int = 3) -> str:
    """The reduction torch's deprecated size_average/reduce flags stand for (with its warning)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{legacy}' "
        "instead.",
        stacklevel=stacklevel,
    )
    return legacy


def reduction_arg(size_average, reduce, reduction: str) -> str:
    """The reduction to apply, from `reduction` or the deprecated flags (with torch's warning)."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce, stacklevel=4)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def warn_size_mismatch(input, target) -> None:
    """torch's warning when a loss's target will broadcast against its input."""
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
