"""torch.nn.utils parameters_to_vector and vector_to_parameters."""

from __future__ import annotations

from ..._tensor import Tensor
from ..modules._utils import typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, first):
    """The first parameter's device; torch refuses parameters spread over devices."""
    device = param.get_device() if param.device.type == "cuda" else -1
    if first is not None and device != first:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )
    return device


def parameters_to_vector(parameters) -> Tensor:
    """torch.nn.utils.parameters_to_vector: every parameter flattened and concatenated."""
    from ..._ops import FUNCTIONS

    device, flat = None, []
    for param in parameters:
        device = _check_device(param, device)
        flat.append(param.view(-1))
    return FUNCTIONS["cat"](flat)


def vector_to_parameters(vec, parameters) -> None:
    """torch.nn.utils.vector_to_parameters: slices of vec become the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    device, start = None, 0
    for param in parameters:
        device = _check_device(param, device)
        count = param.numel()
        param.data = vec[start : start + count].view_as(param).data
        start += count
