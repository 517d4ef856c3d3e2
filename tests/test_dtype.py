"""torchlike dtypes against fixed facts of torch 2.13: names, attributes, promotion, can_cast,
result_type tiers and the default dtype.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

import torchlike
from torchlike import _dtype as dt

SHORT = {
    "f4": dt.float32, "f8": dt.float64, "f2": dt.float16, "bf": dt.bfloat16, "c8": dt.complex64,
    "c16": dt.complex128, "i1": dt.int8, "i2": dt.int16, "i4": dt.int32, "i8": dt.int64,
    "u1": dt.uint8, "b1": dt.bool_,
}  # fmt: skip
ORDER = ("f4", "f8", "f2", "bf", "c8", "c16", "i1", "i2", "i4", "i8", "u1", "b1")
# torch.promote_types(row, column), printed from torch 2.13.
PROMOTE_TABLE = {
    "f4": "f4 f8 f4 f4 c8 c16 f4 f4 f4 f4 f4 f4",
    "f8": "f8 f8 f8 f8 c16 c16 f8 f8 f8 f8 f8 f8",
    "f2": "f4 f8 f2 f4 c8 c16 f2 f2 f2 f2 f2 f2",
    "bf": "f4 f8 f4 bf c8 c16 bf bf bf bf bf bf",
    "c8": "c8 c16 c8 c8 c8 c16 c8 c8 c8 c8 c8 c8",
    "c16": "c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16",
    "i1": "f4 f8 f2 bf c8 c16 i1 i2 i4 i8 i2 i1",
    "i2": "f4 f8 f2 bf c8 c16 i2 i2 i4 i8 i2 i2",
    "i4": "f4 f8 f2 bf c8 c16 i4 i4 i4 i8 i4 i4",
    "i8": "f4 f8 f2 bf c8 c16 i8 i8 i8 i8 i8 i8",
    "u1": "f4 f8 f2 bf c8 c16 i2 i2 i4 i8 u1 u1",
    "b1": "f4 f8 f2 bf c8 c16 i1 i2 i4 i8 u1 b1",
}
PROMOTE_CASES = [
    (row, column, result)
    for row, results in PROMOTE_TABLE.items()
    for column, result in zip(ORDER, results.split())
]


@pytest.mark.parametrize("row,column,result", PROMOTE_CASES)
def test_promote_types_table(row, column, result):
    assert torchlike.promote_types(SHORT[row], SHORT[column]) is SHORT[result]


def test_promote_types_with_complex32():
    assert dt.promote_types(dt.float16, dt.complex32) is dt.complex32
    assert dt.promote_types(dt.bfloat16, dt.complex32) is dt.complex64
    assert dt.promote_types(dt.float64, dt.complex32) is dt.complex128
    assert dt.promote_types(dt.int8, dt.complex32) is dt.complex32


@pytest.mark.parametrize("unsigned", [dt.uint16, dt.uint32, dt.uint64])
def test_promote_types_wide_unsigned(unsigned):
    assert dt.promote_types(unsigned, unsigned) is unsigned
    assert dt.promote_types(unsigned, dt.float16) is dt.float16
    assert dt.promote_types(dt.bfloat16, unsigned) is dt.bfloat16
    name = unsigned._scalar_name
    message = (
        "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
        f"{name} and Char"
    )
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        dt.promote_types(unsigned, dt.int8)
    with pytest.raises(RuntimeError, match="UInt16 and ComplexFloat"):
        dt.promote_types(dt.uint16, dt.complex64)


def test_promote_types_float8():
    assert dt.promote_types(dt.float8_e4m3fn, dt.float8_e4m3fn) is dt.float8_e4m3fn
    with pytest.raises(RuntimeError, match="^Promotion for Float8 Types is not supported, "
                       "attempted to promote Float8_e4m3fn and Float$"):  # fmt: skip
        dt.promote_types(dt.float8_e4m3fn, dt.float32)


DTYPE_FACTS = {
    # name: (is_floating_point, is_complex, is_signed, itemsize)
    "float32": (True, False, True, 4), "float64": (True, False, True, 8),
    "float16": (True, False, True, 2), "bfloat16": (True, False, True, 2),
    "complex32": (False, True, True, 4), "complex64": (False, True, True, 8),
    "complex128": (False, True, True, 16), "int8": (False, False, True, 1),
    "int16": (False, False, True, 2), "int32": (False, False, True, 4),
    "int64": (False, False, True, 8), "uint8": (False, False, False, 1),
    "uint16": (False, False, False, 2), "uint32": (False, False, False, 4),
    "uint64": (False, False, False, 8), "bool": (False, False, False, 1),
    "float8_e4m3fn": (True, False, True, 1), "float8_e5m2": (True, False, True, 1),
    "float8_e8m0fnu": (True, False, False, 1),
}  # fmt: skip


@pytest.mark.parametrize("name,facts", DTYPE_FACTS.items())
def test_dtype_attributes(name, facts):
    d = dt._BY_NAME[name]
    assert (d.is_floating_point, d.is_complex, d.is_signed, d.itemsize) == facts
    assert repr(d) == str(d) == f"torch.{name}"
    assert pickle.loads(pickle.dumps(d)) is d


ALIASES = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64",
    "int": "int32", "short": "int16", "bool": "bool", "cfloat": "complex64",
    "cdouble": "complex128",
}  # fmt: skip


@pytest.mark.parametrize("alias,name", ALIASES.items())
def test_aliases(alias, name):
    assert getattr(torchlike, alias) is dt._BY_NAME[name]
    assert dt.ALIASES[alias] is dt._BY_NAME[name]


def test_to_real_and_to_complex():
    assert dt.complex64.to_real() is dt.float32
    assert dt.float16.to_complex() is dt.complex32
    assert dt.bfloat16.to_complex() is dt.complex64
    assert dt.int8.to_real() is dt.int8
    with pytest.raises(RuntimeError, match="^Unknown Complex ScalarType for Char$"):
        dt.int8.to_complex()


def test_can_cast_never_goes_down_a_category():
    ranks = {dt.bool_: 0, dt.uint8: 1, dt.int64: 1, dt.float16: 2, dt.float64: 2, dt.complex64: 3}
    for a, b in itertools.product(ranks, ranks):
        assert torchlike.can_cast(a, b) == (ranks[a] <= ranks[b])


RESULT_TYPE_FACTS = [
    # (dimensioned, zero-dim, scalars, result): the tiers of torch.result_type
    ([dt.int32], [], [2.5], dt.float32),
    ([dt.int8], [dt.int64], [], dt.int8),
    ([dt.uint8], [dt.int8], [], dt.uint8),
    ([dt.float16], [dt.float64], [], dt.float16),
    ([dt.int32], [dt.float64], [], dt.float64),
    ([dt.bool_], [dt.int8], [], dt.int8),
    ([dt.float32], [dt.complex128], [], dt.complex64),
    ([dt.float64], [], [1j], dt.complex128),
    ([dt.float16], [], [1j], dt.complex32),
    ([dt.bfloat16], [dt.complex128], [], dt.complex64),
    ([dt.int8], [], [1j], dt.complex64),
    ([dt.uint8], [], [300], dt.uint8),
    ([dt.bool_], [], [True, 2], dt.int64),
    ([], [dt.int16], [2.5], dt.float32),
    ([], [], [2, 2.5], dt.float32),
    ([], [], [True], dt.bool_),
    ([dt.uint16], [dt.int64], [], dt.uint16),
]


@pytest.mark.parametrize("dims,zero_dims,scalars,result", RESULT_TYPE_FACTS)
def test_result_type_tiers(dims, zero_dims, scalars, result):
    assert dt.result_type(dims, zero_dims, scalars) is result


def test_result_type_follows_the_default_dtype():
    try:
        torchlike.set_default_dtype(torchlike.float64)
        assert dt.result_type([dt.int8], [], [2.5]) is dt.float64
        assert dt.result_type([dt.int8], [], [1j]) is dt.complex128
        assert dt.result_type([dt.float16], [], [2.5]) is dt.float16
    finally:
        torchlike.set_default_dtype(torchlike.float32)


def test_default_dtype_set_and_restore():
    assert torchlike.get_default_dtype() is torchlike.float32
    try:
        for d in (torchlike.float64, torchlike.float16, torchlike.bfloat16):
            torchlike.set_default_dtype(d)
            assert torchlike.get_default_dtype() is d
            assert torchlike.tensor([1.0]).dtype is d
            assert torchlike.tensor([1]).dtype is torchlike.int64
    finally:
        torchlike.set_default_dtype(torchlike.float32)
    assert torchlike.zeros(1).dtype is torchlike.float32


@pytest.mark.parametrize(
    "value,message",
    [
        (torchlike.int64, "only floating-point types are supported as the default type"),
        (torchlike.complex64, "only floating-point types are supported as the default type"),
        (float, "invalid dtype object: only floating-point types are supported as the default"),
    ],
)
def test_set_default_dtype_errors(value, message):
    with pytest.raises(TypeError, match=f"^{message}"):
        torchlike.set_default_dtype(value)
    assert torchlike.get_default_dtype() is torchlike.float32


def test_numpy_dtype_mapping():
    assert dt.numpy_input_dtype(np.uint16) is dt.uint16
    assert dt.from_numpy_dtype(dt.bfloat16._np) is dt.bfloat16
    with pytest.raises(TypeError, match=r"^can't convert np.ndarray of type numpy.str_\. The"):
        dt.numpy_input_dtype(np.dtype("<U1"))
    with pytest.raises(TypeError, match="numpy.longdouble"):
        dt.numpy_input_dtype(np.longdouble)
    with pytest.raises(TypeError, match="bfloat16"):
        dt.numpy_input_dtype(dt.bfloat16._np)


def test_complex32_cannot_be_held():
    with pytest.raises(TypeError, match="^torchlike cannot hold torch.complex32 tensors"):
        torchlike.ones(2, dtype=dt.complex32)
    with pytest.raises(TypeError, match="complex32"):
        torchlike.ones(2, dtype=torchlike.float16) + 1j


def test_dtype_argument_must_be_a_dtype():
    with pytest.raises(TypeError, match="^zeros\\(\\): argument 'dtype' must be torch.dtype, "):
        torchlike.zeros(2, dtype="float32")
    assert torchlike.tensor([1], dtype=float).dtype is torchlike.float64
