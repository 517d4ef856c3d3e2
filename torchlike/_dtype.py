"""torch dtypes on top of numpy/JAX dtypes, and torch's type promotion."""

from __future__ import annotations

import threading

import jax.numpy as jnp
import numpy as np

# Promotion categories, ordered: a higher category wins regardless of bit width.
_BOOL, _INT, _FLOAT, _COMPLEX = range(4)


class dtype:
    """A torch dtype (mirrors torch.dtype)."""

    __slots__ = ("_name", "_np", "_category", "itemsize", "is_signed", "_scalar_name", "_cpp_name")

    def __init__(self, name, np_dtype, category, is_signed, scalar_name, cpp_name, itemsize=None):
        self._name = name
        if np_dtype is not None:
            self._np = np.dtype(np_dtype)
        self._category = category
        self.itemsize = self._np.itemsize if itemsize is None else itemsize
        self.is_signed = is_signed
        self._scalar_name = scalar_name  # c10 ScalarType name, used in torch's messages
        self._cpp_name = cpp_name  # C++ element type name, used in torch's messages

    @property
    def is_floating_point(self) -> bool:
        return self._category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self._category == _COMPLEX

    def to_real(self) -> dtype:
        """torch.dtype.to_real."""
        return _COMPLEX_TO_REAL.get(self, self)

    def to_complex(self) -> dtype:
        """torch.dtype.to_complex."""
        if self._category == _COMPLEX:
            return self
        if self not in _REAL_TO_COMPLEX:
            raise RuntimeError(f"Unknown Complex ScalarType for {self._scalar_name}")
        return _REAL_TO_COMPLEX[self]

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return (_by_name, (self._name,))


class _UnholdableDtype(dtype):
    """A torch dtype JAX has no arrays for: it can be named and promoted to, never held."""

    __slots__ = ()

    @property
    def _np(self):
        raise TypeError(f"torchlike cannot hold {self} tensors: JAX has no {self._name} dtype")


def _make(name, np_dtype, category, signed, scalar_name, cpp_name, itemsize=None) -> dtype:
    return dtype(name, np_dtype, category, signed, scalar_name, cpp_name, itemsize)


float32 = _make("float32", jnp.float32, _FLOAT, True, "Float", "float")
float64 = _make("float64", jnp.float64, _FLOAT, True, "Double", "double")
float16 = _make("float16", jnp.float16, _FLOAT, True, "Half", "c10::Half")
bfloat16 = _make("bfloat16", jnp.bfloat16, _FLOAT, True, "BFloat16", "c10::BFloat16")
complex64 = _make("complex64", jnp.complex64, _COMPLEX, True, "ComplexFloat", "c10::complex<float>")
complex128 = _make(
    "complex128", jnp.complex128, _COMPLEX, True, "ComplexDouble", "c10::complex<double>"
)
# JAX has no complex32: the dtype exists for promotion results, no tensor can hold it.
complex32 = _UnholdableDtype(
    "complex32", None, _COMPLEX, True, "ComplexHalf", "c10::complex<c10::Half>", itemsize=4
)
int8 = _make("int8", jnp.int8, _INT, True, "Char", "signed char")
int16 = _make("int16", jnp.int16, _INT, True, "Short", "short int")
int32 = _make("int32", jnp.int32, _INT, True, "Int", "int")
int64 = _make("int64", jnp.int64, _INT, True, "Long", "long int")
uint8 = _make("uint8", jnp.uint8, _INT, False, "Byte", "unsigned char")
uint16 = _make("uint16", jnp.uint16, _INT, False, "UInt16", "short unsigned int")
uint32 = _make("uint32", jnp.uint32, _INT, False, "UInt32", "unsigned int")
uint64 = _make("uint64", jnp.uint64, _INT, False, "UInt64", "long unsigned int")
bool_ = _make("bool", jnp.bool_, _BOOL, False, "Bool", "bool")
float8_e4m3fn = _make(
    "float8_e4m3fn", jnp.float8_e4m3fn, _FLOAT, True, "Float8_e4m3fn", "c10::Float8_e4m3fn"
)
float8_e5m2 = _make("float8_e5m2", jnp.float8_e5m2, _FLOAT, True, "Float8_e5m2", "c10::Float8_e5m2")
float8_e4m3fnuz = _make(
    "float8_e4m3fnuz", jnp.float8_e4m3fnuz, _FLOAT, True, "Float8_e4m3fnuz",
    "c10::Float8_e4m3fnuz",
)  # fmt: skip
float8_e5m2fnuz = _make(
    "float8_e5m2fnuz", jnp.float8_e5m2fnuz, _FLOAT, True, "Float8_e5m2fnuz",
    "c10::Float8_e5m2fnuz",
)  # fmt: skip
float8_e8m0fnu = _make(
    "float8_e8m0fnu", jnp.float8_e8m0fnu, _FLOAT, False, "Float8_e8m0fnu", "c10::Float8_e8m0fnu"
)

FLOAT8_DTYPES = (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu)
# torch refuses to promote these with any other dtype (only floats are allowed for the uints).
_BAREBONES_UNSIGNED = (uint16, uint32, uint64)
ALL_DTYPES = (
    float32, float64, float16, bfloat16, complex64, complex128,
    int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool_, *FLOAT8_DTYPES,
)  # fmt: skip
# torch.<alias> -> dtype, for the names torch gives a second spelling.
ALIASES = {
    "float": float32, "double": float64, "half": float16, "cfloat": complex64,
    "cdouble": complex128, "chalf": complex32, "short": int16, "int": int32, "long": int64,
    "bool": bool_,
}  # fmt: skip
_BY_NAME = {d._name: d for d in (*ALL_DTYPES, complex32)}
_BY_NP = {d._np: d for d in ALL_DTYPES}
_COMPLEX_TO_REAL = {complex32: float16, complex64: float32, complex128: float64}
_REAL_TO_COMPLEX = {
    float16: complex32,
    bfloat16: complex64,
    float32: complex64,
    float64: complex128,
}
_NUMPY_SUPPORTED = (
    "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, "
    "uint32, uint16, uint8, and bool"
)


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def _numpy_type_error(np_dtype) -> TypeError:
    return TypeError(
        f"can't convert np.ndarray of type numpy.{np_dtype.type.__name__}. The only "
        f"supported types are: {_NUMPY_SUPPORTED}."
    )


def from_numpy_dtype(np_dtype) -> dtype:
    """The torch dtype of a numpy/JAX dtype (bfloat16 and float8 included)."""
    np_dtype = np.dtype(np_dtype)
    found = _BY_NP.get(np_dtype)
    if found is None:
        raise _numpy_type_error(np_dtype)
    return found


def numpy_input_dtype(np_dtype) -> dtype:
    """The torch dtype of a user's numpy array; torch's TypeError for what numpy can't share."""
    np_dtype = np.dtype(np_dtype)
    found = _BY_NP.get(np_dtype)
    if found is None or found is bfloat16 or found in FLOAT8_DTYPES:
        raise _numpy_type_error(np_dtype)
    return found


# torch's promotion among integer dtypes: a signed type wide enough for both.
_INT_RANK = {uint8: 1, int8: 1, int16: 2, int32: 3, int64: 4}


def _promotion_error(kind: str, a: dtype, b: dtype) -> RuntimeError:
    return RuntimeError(
        f"Promotion for {kind} is not supported, attempted to promote {a._scalar_name} and "
        f"{b._scalar_name}"
    )


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both inputs convert to without losing range."""
    a, b = type1, type2
    if a is b:
        return a
    if a in FLOAT8_DTYPES or b in FLOAT8_DTYPES:
        raise _promotion_error("Float8 Types", a, b)
    if a in _BAREBONES_UNSIGNED or b in _BAREBONES_UNSIGNED:
        for candidate in (a, b):
            if candidate._category == _FLOAT:
                return candidate
        raise _promotion_error("uint16, uint32, uint64 types", a, b)
    if a._category != b._category:
        low, high = (a, b) if a._category < b._category else (b, a)
        if high._category == _COMPLEX and low._category == _FLOAT:
            # float + complex: the complex type of the wider of the two real parts.
            return promote_types(low, high.to_real()).to_complex()
        return high
    if a._category == _INT:
        if {a, b} == {uint8, int8}:
            return int16
        return a if _INT_RANK[a] > _INT_RANK[b] else b
    if a._category == _FLOAT and {a, b} == {float16, bfloat16}:
        return float32
    return a if a.itemsize > b.itemsize else b


_promote_pair = promote_types


class _DefaultDtype(threading.local):
    value = float32


_default = _DefaultDtype()


def get_default_dtype() -> dtype:
    """torch.get_default_dtype."""
    return _default.value


def set_default_dtype(d) -> None:
    """torch.set_default_dtype."""
    if not isinstance(d, dtype):
        raise TypeError(
            "invalid dtype object: only floating-point types are supported as the default type"
        )
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _default.value = d


def default_complex_dtype() -> dtype:
    """The complex dtype torch pairs with the default dtype (complex32 for float16)."""
    return {float64: complex128, float16: complex32}.get(_default.value, complex64)


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


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """Merge a higher-priority result with a lower one: the lower counts only across categories."""
    if higher is None:
        return lower
    if lower is None or higher._category == _COMPLEX:
        return higher
    if lower._category == _COMPLEX:
        return higher.to_complex() if higher._category == _FLOAT else lower
    if higher._category == _FLOAT:
        return higher
    if higher is bool_ or lower._category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def _promote_all(dtypes) -> dtype | None:
    result = None
    for d in dtypes:
        result = d if result is None else promote_types(result, d)
    return result


def result_type(tensor_dtypes, zero_dim_dtypes=(), scalars=()) -> dtype:
    """torch.result_type over dimensioned tensors, 0-d tensors and Python scalars.

    Each group is promoted on its own; a lower-priority group (0-d tensors, then scalars)
    only changes the result when it is of a higher category (bool < int < float < complex).
    """
    dims = _promote_all(tensor_dtypes)
    zero_dims = _promote_all(zero_dim_dtypes)
    wrapped = _promote_all(scalar_dtype(s) for s in scalars)
    result = _combine_categories(dims, _combine_categories(zero_dims, wrapped))
    return result if result is not None else get_default_dtype()


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: casting never goes down a category (complex > float > int > bool)."""
    return from_._category <= to._category


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


def dtype_arg(value, function: str) -> dtype:
    """A factory's dtype= argument: a torch dtype or a Python type, as torch's parser allows."""
    if isinstance(value, dtype) or value in (float, int, bool, complex):
        return as_dtype(value)
    raise TypeError(
        f"{function}(): argument 'dtype' must be torch.dtype, not {type(value).__name__}"
    )
