"""dtype facts the random kernels need: torch's names in error messages and integer bounds."""

from __future__ import annotations

import numpy as np

# torch's ScalarType names, as printed in "not implemented for 'Long'" messages.
SCALAR_TYPE_NAMES = {
    np.dtype(np.float32): "Float",
    np.dtype(np.float64): "Double",
    np.dtype(np.float16): "Half",
    np.dtype(np.int64): "Long",
    np.dtype(np.int32): "Int",
    np.dtype(np.int16): "Short",
    np.dtype(np.int8): "Char",
    np.dtype(np.uint8): "Byte",
    np.dtype(np.uint16): "UInt16",
    np.dtype(np.uint32): "UInt32",
    np.dtype(np.uint64): "UInt64",
    np.dtype(np.bool_): "Bool",
}

# C++ type names, as printed in "from is out of bounds for int" messages.
CPP_TYPE_NAMES = {
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
    np.dtype(np.int64): "long int",
    np.dtype(np.int32): "int",
    np.dtype(np.int16): "short int",
    np.dtype(np.int8): "signed char",
    np.dtype(np.uint8): "unsigned char",
    np.dtype(np.uint16): "short unsigned int",
    np.dtype(np.uint32): "unsigned int",
    np.dtype(np.uint64): "long unsigned int",
    np.dtype(np.bool_): "bool",
}

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def scalar_type_name(dtype) -> str:
    dtype = np.dtype(dtype)
    return SCALAR_TYPE_NAMES.get(dtype, str(dtype))


def is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def float_dtype(dtype, kernel: str) -> np.dtype:
    """Check a continuous kernel's dtype; torch's NotImplementedError for integer dtypes."""
    dtype = np.dtype(dtype)
    if dtype in FLOAT_DTYPES:
        return dtype
    if dtype.kind == "f":
        raise NotImplementedError(
            f"random numbers for {dtype} are not reproduced; use float32 or float64"
        )
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(dtype)}'")


def integer_bounds(dtype) -> tuple[int, int]:
    """(lowest, max) of an integer or bool dtype."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return 0, 1
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def numel(shape) -> int:
    count = 1
    for size in shape:
        count *= int(size)
    return count


def as_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def fmt_double(value: float) -> str:
    """A double as C++ streams print it (like printf's %g), which torch's messages use."""
    return f"{float(value):g}"
