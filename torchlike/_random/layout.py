"""The order in which torch's CPU kernels visit the elements of a strided target."""

from __future__ import annotations

import numpy as np

from .dtypes import as_shape, numel


def fill_order(shape, strides) -> np.ndarray:
    """Logical (C-order) flat indices of a strided tensor, in the order a fill visits them.

    TensorIterator walks dimensions from the largest stride (outermost) to the smallest
    (innermost), so a dense transposed view is filled by increasing memory address.
    `strides` are in elements, as torch's Tensor.stride() reports them.
    """
    shape = as_shape(shape)
    strides = tuple(int(s) for s in strides)
    if len(strides) != len(shape):
        raise ValueError(f"shape {shape} and strides {strides} differ in length")
    # Python's sort is stable, so dims with equal strides keep their logical order.
    outer_to_inner = sorted(range(len(shape)), key=lambda d: strides[d], reverse=True)
    return np.arange(numel(shape)).reshape(shape).transpose(outer_to_inner).ravel()


def place_in_fill_order(values: np.ndarray, shape, strides) -> np.ndarray:
    """Put values drawn in sequence where torch's fill of a strided target stores them (C order)."""
    shape = as_shape(shape)
    order = fill_order(shape, strides)
    out = np.empty(order.size, dtype=values.dtype)
    out[order] = values.ravel()
    return out.reshape(shape)
