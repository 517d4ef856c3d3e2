"""Small torch.* functions about tensors and dtypes that are not ops."""

from __future__ import annotations

from ._tensor import Tensor


def is_tensor(obj) -> bool:
    """torch.is_tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    """torch.is_floating_point."""
    return input.is_floating_point()


def is_complex(input) -> bool:
    """torch.is_complex."""
    return input.is_complex()


def numel(input) -> int:
    """torch.numel."""
    return input.numel()


def result_type(tensor1, tensor2):
    """torch.result_type."""
    from ._ops.dispatch import compute_dtype
    from ._ops.registry import TABLE

    return compute_dtype(TABLE["add"], [tensor1, tensor2])


def equal(input, other) -> bool:
    """torch.equal: same size and the same values (NaN never equals NaN)."""
    from ._tensor import Tensor

    if not isinstance(other, Tensor):
        raise TypeError(
            f"equal(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    if input.shape != other.shape:
        return False
    return bool((input == other).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """torch.allclose: isclose everywhere."""
    return bool(input.isclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan).all())
