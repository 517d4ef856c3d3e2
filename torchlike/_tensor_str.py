"""Tensor printing that reproduces ``repr(torch.Tensor)`` character for character, on numpy data."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

_BOOL_DTYPES = frozenset({"bool"})
_INT_DTYPES = frozenset({"uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"})
_COMPLEX_DTYPES = frozenset({"complex32", "complex64", "complex128"})


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

_OPTIONS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the options used to print tensors, like ``torch.set_printoptions``."""
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(_OPTIONS, name, value)
    if precision is not None:
        _OPTIONS.precision = precision
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTIONS.linewidth = linewidth
    # torch resets sci_mode on every call, so omitting it means "choose automatically".
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the print options as a dict, like ``torch._tensor_str.get_printoptions``."""
    return dataclasses.asdict(_OPTIONS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change print options, like ``torch._tensor_str.printoptions``."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


def _value_kind(dtype_name: str) -> str:
    if dtype_name in _BOOL_DTYPES:
        return "bool"
    if dtype_name in _INT_DTYPES:
        return "int"
    if dtype_name in _COMPLEX_DTYPES:
        return "complex"
    return "float"


def _pad(strings: list[str], width: int) -> list[str]:
    return [s.rjust(width) for s in strings]


def _format_integers(values: np.ndarray) -> tuple[list[str], int]:
    """Format bools or integers as ``str`` does; the column width spans every value."""
    strings = [str(v) for v in values.tolist()]
    width = max([1, *map(len, strings)])
    return _pad(strings, width), width


def _float_style(finite_nonzero: np.ndarray) -> tuple[bool, bool]:
    """Return (int_mode, sci_mode) decided from the finite nonzero values, as torch's _Formatter."""
    int_mode = bool(np.all(finite_nonzero == np.ceil(finite_nonzero)))
    if _OPTIONS.sci_mode is not None:
        return int_mode, bool(_OPTIONS.sci_mode)
    magnitudes = np.abs(finite_nonzero)
    # Python floats divide to inf on overflow instead of warning.
    largest, smallest = float(magnitudes.max()), float(magnitudes.min())
    sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
    return int_mode, sci_mode


def _format_floats(values: np.ndarray) -> tuple[list[str], int]:
    """Format float64 values with torch's precision, int-mode and scientific rules."""
    floats = values.tolist()
    finite = np.isfinite(values)
    measured = finite & (values != 0)
    if not measured.any():
        # torch keeps integer style and width 1 when no finite nonzero value exists.
        int_mode, sci_mode = True, False
    else:
        int_mode, sci_mode = _float_style(values[measured])
    precision = _OPTIONS.precision
    if sci_mode:
        strings = [f"{v:.{precision}e}" for v in floats]
    elif int_mode:
        # A trailing dot marks a float tensor whose values are all whole numbers.
        strings = [f"{v:.0f}." if ok else f"{v:.0f}" for v, ok in zip(floats, finite.tolist())]
    else:
        strings = [f"{v:.{precision}f}" for v in floats]
    width = 1
    if measured.any():
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        width = max(width, int(lengths[measured].max()))
    return _pad(strings, width), width


def _join_complex(real: str, imag: str) -> str:
    imag = imag.lstrip() + "j"
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _format_cells(values: np.ndarray, kind: str) -> tuple[list[str], int]:
    """Return the padded text of every flattened value and the width used to lay out rows."""
    flat = values.reshape(-1)
    if kind == "complex":
        flat = flat.astype(np.complex128)
        real_cells, real_width = _format_floats(np.ascontiguousarray(flat.real))
        imag_cells, imag_width = _format_floats(np.ascontiguousarray(flat.imag))
        cells = [_join_complex(r, i) for r, i in zip(real_cells, imag_cells)]
        # torch budgets the imaginary column plus its trailing "j".
        return cells, real_width + imag_width + 1
    if kind == "float":
        return _format_floats(flat.astype(np.float64))
    if kind == "bool":
        return _format_integers(flat.astype(np.bool_))
    # Integer tensors print as Python ints even if handed a float buffer.
    return _format_integers(flat if flat.dtype.kind in "iu" else flat.astype(np.int64))


def _edge_indices(length: int, edgeitems: int) -> np.ndarray:
    return np.concatenate([np.arange(edgeitems), np.arange(length - edgeitems, length)])


def _summarized(values: np.ndarray, edgeitems: int) -> tuple[np.ndarray, tuple[bool, ...]]:
    """Keep the first and last ``edgeitems`` of each long axis; report which axes were cut."""
    cut_axes = tuple(size > 2 * edgeitems for size in values.shape)
    for axis, cut in enumerate(cut_axes):
        if cut:
            values = np.take(values, _edge_indices(values.shape[axis], edgeitems), axis=axis)
    return values, cut_axes


def _vector_str(
    cells: list[str], cut: bool, indent: int, element_width: int, edgeitems: int
) -> str:
    # Each element also takes a comma and a space.
    per_line = max(1, math.floor((_OPTIONS.linewidth - indent) / (element_width + 2)))
    if cut:
        cells = [*cells[:edgeitems], " ...", *cells[edgeitems:]]
    lines = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(
    cells: np.ndarray,
    cut_axes: tuple[bool, ...],
    indent: int,
    element_width: int,
    edgeitems: int,
) -> str:
    """Lay out an object array of cell strings as torch's nested, wrapped brackets."""
    if cells.ndim == 1:
        return _vector_str(cells.tolist(), cut_axes[0], indent, element_width, edgeitems)
    rows = [_nested_str(row, cut_axes[1:], indent + 1, element_width, edgeitems) for row in cells]
    if cut_axes[0]:
        rows.insert(edgeitems, "...")
    separator = "," + "\n" * (cells.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(rows) + "]"


def _body_str(values: np.ndarray, kind: str, indent: int) -> str:
    """Return the bracketed contents torch prints between ``tensor(`` and the suffixes."""
    if values.size == 0:
        return "[]"
    edgeitems = _OPTIONS.edgeitems
    summarize = values.size > _OPTIONS.threshold
    if summarize and not edgeitems and values.ndim > 0:
        return "[...]"
    cut_axes = tuple(values.ndim * [False])
    if summarize:
        values, cut_axes = _summarized(values, edgeitems)
    cells, element_width = _format_cells(values, kind)
    if values.ndim == 0:
        return cells[0]
    grid = np.empty(len(cells), dtype=object)
    grid[:] = cells
    return _nested_str(grid.reshape(values.shape), cut_axes, indent, element_width, edgeitems)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, wrapping onto an indented line past the line width."""
    pieces = [text]
    # Mirrors torch's count, which is two more than the last line's visible length.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _OPTIONS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def _suffixes(
    shape: tuple[int, ...],
    dtype_name: str,
    default_dtype_name: str,
    device: str,
    requires_grad: bool,
    grad_fn_name: str | None,
) -> list[str]:
    suffixes = []
    if device != "cpu":
        suffixes.append(f"device='{device}'")
    numel = math.prod(shape)
    if numel == 0:
        # An empty tensor has no values to reveal its dtype, so anything but the default shows.
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        if dtype_name != default_dtype_name:
            suffixes.append(f"dtype=torch.{dtype_name}")
    else:
        if not _OPTIONS.edgeitems:
            suffixes.append(f"size={shape}")
        default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
        if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
            suffixes.append(f"dtype=torch.{dtype_name}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return suffixes


def tensor_repr(
    values: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str = "float32",
    device: str = "cpu",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    is_nested_in_parameter: bool = False,
) -> str:
    """Return the text of ``repr(tensor)`` / ``str(tensor)``, as ``torch.Tensor.__repr__``."""
    values = np.asarray(values)
    dtype_name = dtype_name.removeprefix("torch.")
    default_dtype_name = default_dtype_name.removeprefix("torch.")
    prefix = "tensor("
    body = _body_str(values, _value_kind(dtype_name), len(prefix))
    suffixes = _suffixes(
        tuple(values.shape), dtype_name, default_dtype_name, device, requires_grad, grad_fn_name
    )
    text = _add_suffixes(prefix + body, suffixes, len(prefix))
    if is_nested_in_parameter:
        return "Parameter containing:\n" + text
    return text
