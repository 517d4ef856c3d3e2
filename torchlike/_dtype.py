"""torch dtypes on top of numpy/JAX dtypes, and torch's type promotion."""

from __future__ import annotations

import threading

import jax.numpy as jnp
import numpy as np

# Promotion categories, ordered: a higher category wins regardless of bit width.
_BOOL, _INT, _FLOAT, _COMPLEX = range(4)


class dtype:
    """A torch dtype (mirrors torch.dtype)."""

    __slots__ = ("_name", "_np", "_category", "itemsize", "is_signed")

    def __init__(self, name: str, np_dtype, category: int, is_signed: bool):
        self._name = name
        self._np = np.dtype(np_dtype)
        self._category = category
        self.itemsize = self._np.itemsize
        self.is_signed = is_signed

    @property
    def is_floating_point(self) -> bool:
        return self._category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self._category == _COMPLEX

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float64: complex128, float16: complex64, bfloat16: complex64}.get(self, complex64)

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return (_by_name, (self._name,))


float32 = dtype("float32", jnp.float32, _FLOAT, True)
float64 = dtype("float64", jnp.float64, _FLOAT, True)
float16 = dtype("float16", jnp.float16, _FLOAT, True)
bfloat16 = dtype("bfloat16", jnp.bfloat16, _FLOAT, True)
complex64 = dtype("complex64", jnp.complex64, _COMPLEX, True)
complex128 = dtype("complex128", jnp.complex128, _COMPLEX, True)
int8 = dtype("int8", jnp.int8, _INT, True)
int16 = dtype("int16", jnp.int16, _INT, True)
int32 = dtype("int32", jnp.int32, _INT, True)
int64 = dtype("int64", jnp.int64, _INT, True)
uint8 = dtype("uint8", jnp.uint8, _INT, False)
bool_ = dtype("bool", jnp.bool_, _BOOL, False)

ALL_DTYPES = (
    float32, float64, float16, bfloat16, complex64, complex128,
    int8, int16, int32, int64, uint8, bool_,
)  # fmt: skip
ALIASES = {
    "float": float32, "double": float64, "half": float16, "cfloat": complex64,
    "cdouble": complex128, "short": int16, "int": int32, "long": int64, "bool": bool_,
    "complex32": None,
}  # fmt: skip
_BY_NAME = {d._name: d for d in ALL_DTYPES}
_BY_NP = {d._np: d for d in ALL_DTYPES}


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The torch dtype of a numpy/JAX dtype."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


# torch's promotion among same-category dtypes of different kinds.
_INT_ORDER = {uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4}


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    if a._category == _INT:
        if {a, b} == {uint8, int8}:
            return int16
        return a if _INT_ORDER[a] > _INT_ORDER[b] else b
    if a._category == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    return a if a.itemsize > b.itemsize else b


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types."""
    return _promote_pair(a, b)


class _DefaultDtype(threading.local):
    value = float32


_default = _DefaultDtype()


def get_default_dtype() -> dtype:
    """torch.get_default_dtype."""
    return _default.value


def set_default_dtype(d: dtype) -> None:
    """torch.set_default_dtype."""
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _default.value = d


def default_complex_dtype() -> dtype:
    return complex128 if _default.value is float64 else complex64


def scalar_dtype(value) -> dtype:
    """The dtype torch gives a Python scalar when it becomes a tensor."""
    if isinstance(value, bool | np.bool_):
        return bool_
    if isinstance(value, int | np.integer):
        return int64
    if isinstance(value, float | np.floating):
        return get_default_dtype()
    if isinstance(value, complex | np.complexfloating):
        return default_complex_dtype()
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def result_type(tensor_dtypes, zero_dim_dtypes=(), scalars=()) -> dtype:
    """torch.result_type over dimensioned tensors, 0-d tensors and Python scalars.

    Dimensioned tensors outrank 0-d tensors, which outrank scalars, unless the lower
    tier belongs to a higher category (bool < int < float < complex).
    """
    result = None
    for tier in (tensor_dtypes, zero_dim_dtypes, [scalar_dtype(s) for s in scalars]):
        tier_type = None
        for d in tier:
            tier_type = d if tier_type is None else _promote_pair(tier_type, d)
        if tier_type is None:
            continue
        if result is None:
            result = tier_type
        elif tier_type._category > result._category:
            if tier is tensor_dtypes:
                result = _promote_pair(result, tier_type)
            elif tier_type._category == _COMPLEX and result._category == _FLOAT:
                result = result.to_complex() if tier is scalars else tier_type
            elif tier is zero_dim_dtypes:
                result = tier_type
            else:
                result = tier_type
    return result if result is not None else get_default_dtype()


def as_dtype(value) -> dtype:
    """Accept a torch dtype, numpy dtype or Python type where torch accepts a dtype."""
    if isinstance(value, dtype):
        return value
    if value is float:
        return float64
    if value is int:
        return int64
    if value is bool:
        return bool_
    if value is complex:
        return complex128
    return from_numpy_dtype(value)
