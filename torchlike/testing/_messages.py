"""The mismatch reports torch.testing.assert_close prints, and the closeness test behind them."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt


def _title(rtol: float, atol: float, identifier: str) -> str:
    kind = "equal" if rtol == 0 and atol == 0 else "close"
    return f"{identifier} are not {kind}!\n\n"


def _difference_line(label: str, diff, index, tolerance: float, exact: bool) -> str:
    if index is None:
        line = f"{label.title()} difference: {diff}"
    else:
        line = f"Greatest {label} difference: {diff} at index {index}"
    return line if exact else f"{line} (up to {tolerance} allowed)"


def _report(identifier, extra, abs_diff, abs_index, rel_diff, rel_index, rtol, atol) -> str:
    exact = rtol == 0 and atol == 0
    return (
        _title(rtol, atol, identifier)
        + extra.strip()
        + "\n"
        + _difference_line("absolute", abs_diff, abs_index, atol, exact)
        + "\n"
        + _difference_line("relative", rel_diff, rel_index, rtol, exact)
    )


def scalar_mismatch(actual, expected, *, rtol: float, atol: float) -> str:
    """The report for two Python numbers (or one-element, zero-dimensional tensors)."""
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    extra = f"Expected {expected} but got {actual}."
    return _report("Scalars", extra, abs_diff, None, rel_diff, None, rtol, atol)


def isclose(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, equal_nan: bool):
    """torch.isclose over same-dtype arrays: equal, or a finite error within the tolerance."""
    close = actual == expected
    if equal_nan and actual.dtype.kind in "fcV":
        close |= np.isnan(actual) & np.isnan(expected)
    if rtol == 0 and atol == 0:
        return close
    default = dt.get_default_dtype()._np
    with np.errstate(all="ignore"):
        if actual.dtype.kind == "b":
            actual, expected = actual.astype(default), expected.astype(default)
        if actual.dtype.kind in "fcV":
            return close | _within_float(actual, expected, rtol, atol)
        # An integer tensor times a float scalar is computed in the default float dtype.
        allowed = atol + np.abs(rtol * expected.astype(default))
        return close | (np.abs(actual - expected) <= allowed)


def _within_float(actual, expected, rtol, atol):
    # torch computes 16-bit floats in float32 and rounds each result back to 16 bits.
    half = actual.dtype.itemsize == 2
    compute = np.dtype(np.float32) if half else actual.dtype
    real = np.abs(np.zeros((), compute)).dtype

    def stored(values):
        return values.astype(actual.dtype).astype(compute) if half else values

    wide_actual, wide_expected = actual.astype(compute), expected.astype(compute)
    allowed = stored(real.type(atol) + np.abs(stored(real.type(rtol) * wide_expected)))
    error = np.abs(stored(wide_actual - wide_expected))
    return np.isfinite(error) & (error <= allowed)


def _greatest(values: np.ndarray, shape: tuple):
    flat_index = int(np.argmax(values))
    return values[flat_index].item(), tuple(int(i) for i in np.unravel_index(flat_index, shape))


def tensor_mismatch(actual, expected, matches, *, rtol: float, atol: float) -> str:
    """The report for two arrays of one dtype whose `matches` mask is not all true."""
    total = matches.size
    mismatched = total - int(np.count_nonzero(matches))
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    actual_flat, expected_flat = actual.reshape(-1), expected.reshape(-1)
    if actual.dtype.kind in "biu":
        actual_flat, expected_flat = actual_flat.astype(np.int64), expected_flat.astype(np.int64)
    mask = matches.reshape(-1)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(actual_flat - expected_flat)
        abs_diff[mask] = 0
        denominator = np.abs(expected_flat)
        if abs_diff.dtype.kind in "iu":
            # Integer true division gives the default float dtype in torch.
            default = dt.get_default_dtype()._np
            abs_diff_for_ratio, denominator = abs_diff.astype(default), denominator.astype(default)
        else:
            abs_diff_for_ratio = abs_diff
        rel_diff = abs_diff_for_ratio / denominator
    rel_diff[mask] = 0
    abs_value, abs_index = _greatest(abs_diff, actual.shape)
    rel_value, rel_index = _greatest(rel_diff, actual.shape)
    return _report("Tensor-likes", extra, abs_value, abs_index, rel_value, rel_index, rtol, atol)
