"""Python data to host arrays the way torch.tensor reads it: shape, dtype inference, checks.

torch walks nested sequences in three passes (sizes from the first elements, dtype over every
element, then a checked store), and each pass has its own error; the functions below follow
the same order so the same mistake raises the same exception.
"""

from __future__ import annotations

import collections.abc
import math

import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor

_PY_SCALARS = frozenset({bool, int, float, complex})
# C++ type names torch uses in "value cannot be converted to type ... without overflow".
_CHECKED_NAMES = {
    dt.int8: "int8_t", dt.int16: "int16_t", dt.int32: "int", dt.int64: "int64_t",
    dt.uint8: "uint8_t", dt.uint16: "uint16_t", dt.uint32: "uint32_t", dt.uint64: "uint64_t",
    dt.float16: "c10::Half", dt.bfloat16: "c10::BFloat16", dt.float32: "float",
    dt.float64: "double", dt.complex64: "c10::complex<float>",
    dt.complex128: "c10::complex<double>",
}  # fmt: skip


def parser_type_name(value) -> str:
    """The type name torch's argument parser prints for a value."""
    from .._device import device

    if isinstance(value, dt.dtype):
        return "torch.dtype"
    if isinstance(value, device):
        return "torch.device"
    return type(value).__name__


def invalid_arguments(function: str, args, kwargs, expected: str) -> TypeError:
    """torch's "received an invalid combination of arguments" TypeError."""
    got = [parser_type_name(a) for a in args]
    got += [f"{k}={parser_type_name(v)}" for k, v in kwargs.items()]
    return TypeError(
        f"{function}() received an invalid combination of arguments - got ({', '.join(got)}), "
        f"but expected one of:\n{expected}"
    )


def is_sequence(obj) -> bool:
    if isinstance(obj, np.ndarray):
        return obj.ndim > 0
    return isinstance(obj, collections.abc.Sequence) and not isinstance(obj, str | bytes)


def compute_sizes(data) -> list[int]:
    """The shape, read from the first element at each depth."""
    sizes, seq = [], data
    while is_sequence(seq) or (sizes and isinstance(seq, str)):
        if isinstance(seq, str):
            raise ValueError("too many dimensions 'str'")
        sizes.append(len(seq))
        if not sizes[-1]:
            break
        seq = seq[0]
    return sizes


def _scalar_dtype(obj) -> dt.dtype:
    if isinstance(obj, np.generic | np.ndarray):
        return dt.numpy_input_dtype(obj.dtype)
    if isinstance(obj, Tensor):
        return obj.dtype
    if isinstance(obj, bool):
        return dt.bool_
    if isinstance(obj, int):
        return dt.int64
    if isinstance(obj, float):
        return dt.get_default_dtype()
    if isinstance(obj, complex):
        if dt.get_default_dtype() is dt.bfloat16:
            raise RuntimeError("invalid default scalar type for complex")
        return dt.default_complex_dtype()
    if isinstance(obj, str):
        raise TypeError(f"new(): invalid data type '{type(obj).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(obj).__name__}")


def infer_dtype(data) -> dt.dtype:
    """torch.tensor's dtype for data: promote_types over every element.

    An empty sequence counts as the default dtype, so [[], [1]] is float32 like torch's.
    """
    if not is_sequence(data) or isinstance(data, np.ndarray):
        return _scalar_dtype(data)
    if not len(data):
        return dt.get_default_dtype()
    kinds = set(map(type, data))
    if kinds <= _PY_SCALARS:
        # Fast path for a flat list of Python numbers.
        found = [_scalar_dtype(k()) for k in (bool, int, float, complex) if k in kinds]
    else:
        found = list(map(infer_dtype, data))
    result = None
    for d in found:
        result = d if result is None else dt.promote_types(result, d)
    return result


def flatten(data, sizes: list[int]) -> list:
    """The leaves in row-major order, checking every sequence against the shape."""
    leaves: list = []
    if not sizes:
        return [data]
    if math.prod(sizes) == 0:
        return leaves

    def store(seq, depth):
        if not is_sequence(seq):
            raise TypeError("not a sequence")
        if len(seq) != sizes[depth]:
            raise ValueError(
                f"expected sequence of length {sizes[depth]} at dim {depth} (got {len(seq)})"
            )
        if depth == len(sizes) - 1:
            leaves.extend(seq)
        else:
            for item in seq:
                store(item, depth + 1)

    store(data, 0)
    return leaves


def _leaf_error(obj, target: dt.dtype) -> TypeError:
    name = type(obj).__name__
    if target._category in (dt._INT, dt._BOOL):
        return TypeError(f"'{name}' object cannot be interpreted as an integer")
    return TypeError(f"must be real number, not {name}")


def _python_value(obj, target: dt.dtype):
    if type(obj) in _PY_SCALARS:
        return obj
    if isinstance(obj, Tensor):
        if obj.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return obj.item()
    if isinstance(obj, np.generic):
        return obj.item()
    raise _leaf_error(obj, target)


def leaves_to_array(leaves: list, target: dt.dtype) -> np.ndarray:
    """Convert Python leaves to `target` with torch.tensor's per-element checks."""
    if not set(map(type, leaves)) <= _PY_SCALARS:
        leaves = [_python_value(v, target) for v in leaves]
    kinds = set(map(type, leaves))
    if target is dt.bool_:
        return np.array([bool(v) for v in leaves], np.bool_)
    if target.is_complex:
        return np.array(leaves, np.complex128).astype(target._np)
    if complex in kinds:
        raise _leaf_error(0j, target)
    if target.is_floating_point:
        with np.errstate(over="ignore"):
            host = np.array(leaves, np.float64)
            if target.itemsize < 4:
                host = host.astype(np.float32)  # c10's half types round through float
            return host.astype(target._np)
    if float in kinds and int in kinds:
        return np.array([_checked_int(v, target, target._name) for v in leaves], target._np)
    if float in kinds:
        return _floats_to_int(np.array(leaves, np.float64), target, target._name)
    return _ints_to_int(leaves, target, target._name)


def _overflow(name: str) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


def _int_bounds(target: dt.dtype) -> tuple[int, int]:
    info = np.iinfo(target._np)
    return int(info.min), int(info.max)


def _ints_to_int(values: list, target: dt.dtype, name: str) -> np.ndarray:
    low, high = _int_bounds(target)
    if target is dt.uint64:
        if any(v < 0 for v in values):
            raise OverflowError("can't convert negative int to unsigned")
        if any(v > high for v in values):
            raise ValueError("Overflow when unpacking long long")
        return np.array(values, np.uint64)
    try:
        host = np.array(values, np.int64)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    # Unsigned targets accept negatives down to -max: torch wraps them (two's complement).
    too_low = (host < -high) if low == 0 else (host < low)
    if np.any(too_low | (host > high)):
        raise _overflow(name)
    return host.astype(target._np)


def _floats_to_int(host: np.ndarray, target: dt.dtype, name: str) -> np.ndarray:
    low, high = _int_bounds(target)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(host) | (host < float(low)) | (host > float(high))
    if np.any(bad):
        raise _overflow(name)
    return np.trunc(host).astype(target._np)


def _checked_int(value, target: dt.dtype, name: str):
    if isinstance(value, float):
        return _floats_to_int(np.array([value]), target, name)[0]
    return _ints_to_int([value], target, name)[0]


def checked_name(target: dt.dtype) -> str:
    """The C++ type name torch's checked conversions print for `target`."""
    return _CHECKED_NAMES.get(target, target._name)


def checked_scalar(value, target: dt.dtype) -> np.ndarray:
    """A Python number as a 0-d array of `target`, with c10's checked_convert overflow errors."""
    name = checked_name(target)
    if isinstance(value, np.generic):
        value = value.item()
    if target is dt.bool_:
        return np.array(bool(value))
    if isinstance(value, complex) and not target.is_complex:
        if value.imag != 0:
            raise _overflow(name)
        value = value.real
    if target.is_complex:
        return np.array(complex(value)).astype(target._np)
    if target.is_floating_point:
        value = float(value)
        if math.isfinite(value) and abs(value) > float(_float_max(target)):
            raise _overflow(name)
        host = np.array(value, np.float64)
        if target.itemsize < 4:
            host = host.astype(np.float32)
        return host.astype(target._np)
    return np.array(_checked_int(value, target, name))


def _float_max(target: dt.dtype):
    return jnp.finfo(target._np).max
