"""Tensor basics against torch 2.13: creation, attributes, conversions, Python protocol, printing.

Every case is one function of the module (`T` is torch or torchlike); `assert_same` runs it
under both and compares what comes back (reprs, dtypes, shapes, exact element bytes) or the
exception (type and first line of the message).
"""

from __future__ import annotations

import copy
import math
import operator
import pickle
import warnings

import numpy as np
import pytest
import torch

import torchlike

NAN, INF = math.nan, math.inf
# JAX holds these; torch.<name> for them needs torchlike/__init__.py to export them.
EXTRA_DTYPES = ("uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2")
NEEDS_EXPORT = pytest.mark.xfail(
    not all(hasattr(torchlike, name) for name in EXTRA_DTYPES),
    reason="torchlike/__init__.py does not export the uint16/32/64 and float8 dtypes yet",
    strict=True,
)


# ----- the comparison ---------------------------------------------------------------------------
def _element_bytes(t) -> bytes:
    """The elements' exact bytes; NaNs made canonical (their payload and sign never show)."""
    t = t.detach()
    if str(t.dtype) == "torch.bfloat16" or str(t.dtype).startswith("torch.float8"):
        t = t.float()
    array = np.array(t.numpy())
    if array.dtype.kind in "fc":
        parts = array.view(array.real.dtype) if array.dtype.kind == "c" else array
        parts[np.isnan(parts)] = np.nan
    return array.tobytes()


def describe(value):
    """A comparable picture of a result: equal for torch and torchlike iff they agree."""
    if isinstance(value, torch.Tensor | torchlike.Tensor):
        return ("tensor", repr(value), str(value.dtype), tuple(value.shape), _element_bytes(value))
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, torch.Size | torchlike.Size):
        return ("Size", repr(value))
    if isinstance(value, list | tuple):
        return (type(value).__name__, [describe(v) for v in value])
    if value is None or isinstance(value, bool | int | float | complex | str):
        return (type(value).__name__, repr(value))
    return ("object", repr(value))


def outcome(case, module):
    """What case(module) gives: ("value", picture) or ("error", type name, first line)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("value", describe(case(module)))
        except Exception as error:  # noqa: BLE001 - the exception is the result compared
            return ("error", type(error).__name__, str(error).split("\n")[0])


def assert_same(case):
    assert outcome(case, torchlike) == outcome(case, torch)


def cases(table: dict):
    """Parametrize a test over a {id: case} table."""
    return pytest.mark.parametrize("case", list(table.values()), ids=list(table))


@pytest.fixture(autouse=True)
def default_dtype_restored():
    yield
    torch.set_default_dtype(torch.float32)
    torchlike.set_default_dtype(torchlike.float32)


# ----- torch.tensor ------------------------------------------------------------------------------
TENSOR_CASES = {
    "nested": lambda T: T.tensor([[1, 2], [3, 4]]),
    "mixed_int_float_bool": lambda T: T.tensor([1, 2.5, True]),
    "int_bool": lambda T: T.tensor([1, True]),
    "bools": lambda T: T.tensor([True, False]),
    "complex": lambda T: T.tensor([1, 2j]),
    "zero_dim_float": lambda T: T.tensor(3.5),
    "zero_dim_int": lambda T: T.tensor(-3),
    "zero_dim_bool": lambda T: T.tensor(True),
    "empty": lambda T: T.tensor([]),
    "empty_nested": lambda T: T.tensor([[]]),
    "empty_second_row_ragged": lambda T: T.tensor([[], [1]]),
    "tuple": lambda T: T.tensor((1.5, 2)),
    "range": lambda T: T.tensor(range(4)),
    "list_of_ranges": lambda T: T.tensor([range(2), range(2)]),
    "size": lambda T: T.tensor(T.Size([2, 3])),
    "tuple_and_list": lambda T: T.tensor([(1, 2), [3, 4]]),
    "dtype_float64": lambda T: T.tensor([1, 2], dtype=T.float64),
    "dtype_float16": lambda T: T.tensor([1.5, 2.1, 65519.0], dtype=T.float16),
    "dtype_bfloat16": lambda T: T.tensor([1.5, 2.1, 3e38], dtype=T.bfloat16),
    "dtype_int8": lambda T: T.tensor([1.9, -1.9, 127], dtype=T.int8),
    "dtype_complex128": lambda T: T.tensor([1, 2.5], dtype=T.complex128),
    "dtype_bool": lambda T: T.tensor([0.0, -0.0, NAN, 2, 1j], dtype=T.bool),
    "dtype_python_float": lambda T: T.tensor([1], dtype=float),
    "dtype_python_int": lambda T: T.tensor([1.7], dtype=int),
    "dtype_python_bool": lambda T: T.tensor([2], dtype=bool),
    "dtype_string_error": lambda T: T.tensor([1.5], dtype="float32"),
    "dtype_numpy_error": lambda T: T.tensor([1.5], dtype=np.float32),
    "uint8_wraps_negative_ints": lambda T: T.tensor([-1, -255, 255], dtype=T.uint8),
    "uint8_overflow": lambda T: T.tensor([256], dtype=T.uint8),
    "uint8_too_negative": lambda T: T.tensor([-256], dtype=T.uint8),
    "uint8_negative_float": lambda T: T.tensor([-1.5], dtype=T.uint8),
    "int8_overflow": lambda T: T.tensor([-129], dtype=T.int8),
    "int8_float_in_range": lambda T: T.tensor([-1.5, 127.9], dtype=T.int8),
    "int32_float_overflow": lambda T: T.tensor([2.0**31], dtype=T.int32),
    "int64_nan": lambda T: T.tensor([NAN], dtype=T.int64),
    "int64_inf": lambda T: T.tensor([INF], dtype=T.int64),
    "int_mixed_list": lambda T: T.tensor([-1, 2.5], dtype=T.uint8),
    "big_int_overflow": lambda T: T.tensor(2**63),
    "big_int_in_list": lambda T: T.tensor([2**63, 1]),
    "very_negative_int": lambda T: T.tensor([-(2**63) - 1]),
    "big_int_as_float": lambda T: T.tensor(2**63, dtype=T.float32),
    "float32_overflow_is_inf": lambda T: T.tensor([1e39, -1e39]),
    "float16_overflow_is_inf": lambda T: T.tensor([1e10], dtype=T.float16),
    "complex_into_float": lambda T: T.tensor([1, 2.5j], dtype=T.float32),
    "complex_into_int": lambda T: T.tensor([1j], dtype=T.int64),
    "requires_grad": lambda T: T.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_complex": lambda T: T.tensor([1j], requires_grad=True),
    "requires_grad_int_error": lambda T: T.tensor([1, 2], requires_grad=True),
    "requires_grad_int_dtype_error": lambda T: T.tensor([1.5], dtype=T.int32, requires_grad=True),
    "ragged_short_row": lambda T: T.tensor([[1, 2], [3]]),
    "ragged_long_row": lambda T: T.tensor([[1], [2, 3]]),
    "ragged_deep": lambda T: T.tensor([[[1], [2]], [[3], [4, 5]]]),
    "ragged_empty_row": lambda T: T.tensor([[1], []]),
    "ragged_scalar_row": lambda T: T.tensor([[1, 2], 3]),
    "ragged_list_leaf": lambda T: T.tensor([1, [2, 3]]),
    "ragged_list_leaf_float": lambda T: T.tensor([1.5, [2]]),
    "ragged_list_leaf_dtype": lambda T: T.tensor([1, [2, 3]], dtype=T.float32),
    "string": lambda T: T.tensor("abc"),
    "string_in_list": lambda T: T.tensor(["a"]),
    "string_after_number": lambda T: T.tensor([1, "a"]),
    "string_after_number_dtype": lambda T: T.tensor([1, "a"], dtype=T.float32),
    "string_deep": lambda T: T.tensor([[1], ["a"]]),
    "none": lambda T: T.tensor(None),
    "none_in_list": lambda T: T.tensor([1, None]),
    "object": lambda T: T.tensor(object()),
    "generator": lambda T: T.tensor(x for x in range(3)),
    "set": lambda T: T.tensor({1, 2}),
    "dict": lambda T: T.tensor({1: 2}),
    "one_element_tensors": lambda T: T.tensor([T.tensor([1.0]), T.tensor(2.0)]),
    "tensors_promote": lambda T: T.tensor([T.tensor(1, dtype=T.int8), T.tensor(2, dtype=T.int32)]),
    "multi_element_tensors": lambda T: T.tensor([T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])]),
    "numpy_scalars_promote": lambda T: T.tensor([np.int32(2), 1]),
    "numpy_float16_scalar": lambda T: T.tensor([np.float16(2), 1]),
    "numpy_float64_scalar": lambda T: T.tensor([np.float64(2.5), 1.5]),
    "numpy_scalar_top": lambda T: T.tensor(np.float32(2.5)),
    "numpy_int16_scalar_top": lambda T: T.tensor(np.int16(-2)),
    "numpy_bool_scalar_top": lambda T: T.tensor(np.bool_(True)),
    "list_of_numpy_arrays": lambda T: T.tensor(
        [np.array([1, 2], np.int8), np.array([3, 4], np.int8)]
    ),
    "numpy_array_and_list": lambda T: T.tensor([np.array([1, 2], np.int8), [3, 4]]),
    "numpy_array_ragged": lambda T: T.tensor([np.array([1, 2]), [3]]),
    "from_tensor": lambda T: T.tensor(T.tensor([1.5, 2.5])),
    "from_tensor_dtype": lambda T: T.tensor(T.tensor([1.7, -1.7]), dtype=T.int32),
    "from_tensor_drops_grad": lambda T: T.tensor(T.ones(2, requires_grad=True) * 2),
    "device_cpu": lambda T: T.tensor([1.0], device="cpu"),
}


@cases(TENSOR_CASES)
def test_tensor(case):
    assert_same(case)


def test_tensor_of_tensor_warns_like_torch():
    with pytest.warns(UserWarning) as torch_record:
        torch.tensor(torch.ones(2))
    with pytest.warns(UserWarning) as torchlike_record:
        torchlike.tensor(torchlike.ones(2))
    assert str(torchlike_record[0].message) == str(torch_record[0].message)
    assert torchlike_record[0].filename == __file__


NUMPY_DTYPES = (
    np.float16, np.float32, np.float64, np.complex64, np.complex128, np.int8, np.int16,
    np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_,
)  # fmt: skip


def _numpy_values(np_dtype):
    values = np.array([[0, 1, -2.5], [3.25, -128, 1e4]])
    if np.issubdtype(np_dtype, np.unsignedinteger):
        values = np.abs(values)
    if np.issubdtype(np_dtype, np.complexfloating):
        values = values + 1j * values[::-1]
    return values.astype(np_dtype)


@pytest.mark.parametrize("np_dtype", NUMPY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("factory", ["tensor", "as_tensor", "from_numpy"])
def test_from_numpy_array(np_dtype, factory):
    array = _numpy_values(np_dtype)
    assert_same(lambda T: getattr(T, factory)(array))


@pytest.mark.parametrize("np_dtype", [np.float32, np.complex64, np.int64, np.bool_])
@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "uint8", "int8", "bool"])
def test_numpy_array_with_dtype_casts_like_to(np_dtype, dtype):
    values = np.array([1.7, -1.7, 300.0, -300.0, 0.0, 2.0**40, NAN, INF])
    if np_dtype is np.complex64:
        values = values + 2j
    array = values.astype(np_dtype) if np_dtype is not np.int64 else np.array([1, -1, 300, 2**40])
    assert_same(lambda T: T.tensor(array, dtype=getattr(T, dtype)))


UNSUPPORTED_NUMPY = {
    "longdouble": np.zeros(2, np.longdouble),
    "str": np.array(["a"]),
    "object": np.array([None]),
    "datetime": np.array(["2020-01-01"], dtype="datetime64[D]"),
}


@pytest.mark.parametrize("array", UNSUPPORTED_NUMPY.values(), ids=list(UNSUPPORTED_NUMPY))
@pytest.mark.parametrize("factory", ["tensor", "from_numpy"])
def test_unsupported_numpy_dtype(array, factory):
    assert_same(lambda T: getattr(T, factory)(array))


@pytest.mark.parametrize("np_dtype", NUMPY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_legacy_constructor_from_numpy(np_dtype):
    assert_same(lambda T: T.Tensor(_numpy_values(np_dtype)))


@pytest.mark.xfail(strict=True, reason="JAX arrays are immutable: the data is copied, not shared")
@pytest.mark.parametrize("factory", ["from_numpy", "as_tensor"])
def test_numpy_memory_is_shared(factory):
    def write_after_wrapping(T):
        array = np.zeros(3, np.float32)
        wrapped = getattr(T, factory)(array)
        array[0] = 7.0
        return wrapped

    assert_same(write_after_wrapping)


def test_from_numpy_rejects_lists():
    assert_same(lambda T: T.from_numpy([1, 2]))


def test_as_tensor_shares_when_nothing_changes():
    for T in (torch, torchlike):
        x = T.ones(3)
        assert T.as_tensor(x) is x
        assert T.as_tensor(x, dtype=T.float32) is x
        assert T.as_tensor(x, device="cpu") is x
        assert T.as_tensor(x, dtype=T.float64) is not x


AS_TENSOR_CASES = {
    "list": lambda T: T.as_tensor([1, 2]),
    "dtype": lambda T: T.as_tensor([1, 2], dtype=T.float16),
    "tensor_dtype": lambda T: T.as_tensor(T.tensor([1.5, -2.5]), dtype=T.int64),
    "scalar": lambda T: T.as_tensor(3.5),
}


@cases(AS_TENSOR_CASES)
def test_as_tensor(case):
    assert_same(case)


# ----- shape factories ---------------------------------------------------------------------------
FACTORY_CASES = {
    "zeros": lambda T: T.zeros(2, 3),
    "zeros_tuple": lambda T: T.zeros((2, 3)),
    "zeros_list": lambda T: T.zeros([2, 3]),
    "zeros_size": lambda T: T.zeros(T.Size([2, 3])),
    "zeros_size_keyword": lambda T: T.zeros(size=(2,)),
    "zeros_scalar_shape": lambda T: T.zeros(()),
    "zeros_no_size": lambda T: T.zeros(),
    "zeros_negative": lambda T: T.zeros(2, -1),
    "zeros_float_size": lambda T: T.zeros(2.5),
    "zeros_float_in_list": lambda T: T.zeros([2, 2.5]),
    "zeros_tensor_size": lambda T: T.zeros(T.tensor([2, 3])),
    "zeros_two_tuples": lambda T: T.zeros((2,), (3,)),
    "zeros_dtype": lambda T: T.zeros(2, dtype=T.int32),
    "zeros_dtype_string": lambda T: T.zeros(2, dtype="float32"),
    "zeros_requires_grad": lambda T: T.zeros(2, requires_grad=True),
    "zeros_requires_grad_int": lambda T: T.zeros(2, dtype=T.int64, requires_grad=True),
    "ones": lambda T: T.ones(2, 1, 3),
    "ones_bool": lambda T: T.ones(2, dtype=T.bool),
    "ones_complex": lambda T: T.ones(2, dtype=T.complex64),
    "ones_negative": lambda T: T.ones((2, -3)),
    "ones_empty_dim": lambda T: T.ones(0, 3),
    "empty_shape": lambda T: (T.empty(2, 3).shape, T.empty(2, 3).dtype),
    "empty_dtype": lambda T: T.empty(4, dtype=T.int16).dtype,
    "empty_negative": lambda T: T.empty(-1),
    "full_int_fill": lambda T: T.full((2,), 3),
    "full_float_fill": lambda T: T.full((2,), 3.0),
    "full_bool_fill": lambda T: T.full((2,), True),
    "full_complex_fill": lambda T: T.full((2,), 1j),
    "full_list_size": lambda T: T.full([2, 2], 7),
    "full_int_size": lambda T: T.full(2, 7),
    "full_zero_dim_tensor_fill": lambda T: T.full((2,), T.tensor(1.5, dtype=T.float64)),
    "full_one_element_tensor_fill": lambda T: T.full((2,), T.tensor([1.5])),
    "full_string_fill": lambda T: T.full((2,), "a"),
    "full_none_fill": lambda T: T.full((2,), None),
    "full_negative": lambda T: T.full((-2,), 1),
    "full_dtype_truncates": lambda T: T.full((2,), 2.7, dtype=T.int64),
    "full_uint8_wraps": lambda T: T.full((2,), -1, dtype=T.uint8),
    "full_uint8_overflow": lambda T: T.full((2,), 300, dtype=T.uint8),
    "full_int_nan": lambda T: T.full((2,), NAN, dtype=T.int64),
    "full_float32_overflow": lambda T: T.full((2,), 1e39, dtype=T.float32),
    "full_float32_inf": lambda T: T.full((2,), -INF, dtype=T.float32),
    "full_float16_overflow": lambda T: T.full((2,), 70000, dtype=T.float16),
    "full_complex_into_float": lambda T: T.full((2,), 1 + 1j, dtype=T.float32),
    "full_size_keyword": lambda T: T.full(size=(2,), fill_value=1),
    "eye": lambda T: T.eye(3),
    "eye_rectangular": lambda T: T.eye(2, 4, dtype=T.int32),
    "eye_keywords": lambda T: T.eye(n=2, m=3),
    "eye_empty": lambda T: T.eye(0),
    "eye_negative": lambda T: T.eye(-1),
    "eye_negative_m": lambda T: T.eye(2, -1),
    "eye_float": lambda T: T.eye(2.5),
    "eye_bool": lambda T: T.eye(2, dtype=T.bool),
    "eye_requires_grad": lambda T: T.eye(2, requires_grad=True),
    "eye_requires_grad_int": lambda T: T.eye(2, dtype=T.int8, requires_grad=True),
    "zeros_like": lambda T: T.zeros_like(T.tensor([1, 2])),
    "ones_like_dtype": lambda T: T.ones_like(T.tensor([1, 2]), dtype=T.float64),
    "full_like": lambda T: T.full_like(T.tensor([1, 2]), 2.7),
    "full_like_float": lambda T: T.full_like(T.tensor([1.0, 2.0]), 2.7),
    "full_like_uint8": lambda T: T.full_like(T.ones(2, dtype=T.uint8), -1),
    "full_like_overflow": lambda T: T.full_like(T.ones(2, dtype=T.uint8), 300),
    "full_like_requires_grad": lambda T: T.full_like(T.ones(2), 2.5, requires_grad=True),
    "zeros_like_keeps_no_grad": lambda T: T.zeros_like(T.ones(2, requires_grad=True)),
    "zeros_like_requires_grad_int": lambda T: T.zeros_like(T.tensor([1]), requires_grad=True),
    "zeros_like_list": lambda T: T.zeros_like([1, 2]),
    "empty_like": lambda T: (T.empty_like(T.ones(2, 3)).shape, T.empty_like(T.ones(2)).dtype),
}


@cases(FACTORY_CASES)
def test_factory(case):
    assert_same(case)


# ----- arange, linspace, logspace ---------------------------------------------------------------
ARANGE_CASES = {
    "end": lambda T: T.arange(5),
    "float_end": lambda T: T.arange(5.0),
    "start_end": lambda T: T.arange(2, 7),
    "negative_step": lambda T: T.arange(5, 0, -1),
    "negative_float_step": lambda T: T.arange(1, 0, -0.1),
    "tenth": lambda T: T.arange(0, 1, 0.1),
    "tenth_float64": lambda T: T.arange(0, 1, 0.1, dtype=T.float64),
    "tenth_float16": lambda T: T.arange(0, 1, 0.1, dtype=T.float16),
    "tenth_bfloat16": lambda T: T.arange(0, 1, 0.1, dtype=T.bfloat16),
    "long_float32": lambda T: T.arange(-5, 5, 0.013),
    "long_float64": lambda T: T.arange(-5, 5, 0.013, dtype=T.float64),
    "long_float16": lambda T: T.arange(-5, 5, 0.013, dtype=T.float16),
    "third": lambda T: T.arange(0, 10, 1 / 3),
    "odd_steps": lambda T: T.arange(-3.3, 7.7, 0.37),
    "odd_steps_float64": lambda T: T.arange(0.1, 100.3, 0.7, dtype=T.float64),
    "keywords": lambda T: T.arange(start=1, end=4),
    "end_keyword": lambda T: T.arange(end=4),
    "step_keyword": lambda T: T.arange(0, 3, step=1.0),
    "zero_dim_tensor": lambda T: T.arange(T.tensor(3)),
    "zero_dim_float_tensor": lambda T: T.arange(T.tensor(3.0)),
    "one_element_tensor": lambda T: T.arange(T.tensor([3.0])),
    "bool_end": lambda T: T.arange(True),
    "empty": lambda T: T.arange(0),
    "empty_same_bounds": lambda T: T.arange(3, 3),
    "requires_grad": lambda T: T.arange(3.0, requires_grad=True),
    "requires_grad_int": lambda T: T.arange(3, requires_grad=True),
    "dtype_float": lambda T: T.arange(5, dtype=T.float32),
    "dtype_int8": lambda T: T.arange(0, 5, dtype=T.int8),
    "uint8_wraps": lambda T: T.arange(250, 260, dtype=T.uint8),
    "int32_wraps": lambda T: T.arange(0, 10**10, 10**9, dtype=T.int32),
    "int64_truncates_bounds": lambda T: T.arange(0.7, 5, 1.5, dtype=T.int64),
    "int8_float_bounds": lambda T: T.arange(-0.7, 5, 1.5, dtype=T.int8),
    "int32_zero_int_step": lambda T: T.arange(0, 2.5, 0.5, dtype=T.int32),
    "int64_zero_int_step": lambda T: T.arange(0, 2.5, 0.5, dtype=T.int64),
    "zero_step": lambda T: T.arange(0, 1, 0),
    "nan_step": lambda T: T.arange(0, 1.5, NAN),
    "inf_step": lambda T: T.arange(0, 1.5, INF),
    "wrong_sign": lambda T: T.arange(0, 10, -1),
    "wrong_sign_reversed": lambda T: T.arange(3, 0),
    "nan_end": lambda T: T.arange(0, NAN),
    "inf_end": lambda T: T.arange(INF),
    "size_overflow": lambda T: T.arange(0, 2**63 - 1, 2**62),
    "huge_float_size": lambda T: T.arange(0, 1e20, 1e-3),
    "bool_dtype": lambda T: T.arange(0, 2, dtype=T.bool),
    "complex_dtype": lambda T: T.arange(0, 2, dtype=T.complex64),
    "complex_bound": lambda T: T.arange(1 + 1j),
    "string_bound": lambda T: T.arange("3"),
    "none_bound": lambda T: T.arange(None),
    "no_bounds": lambda T: T.arange(),
    "too_many_bounds": lambda T: T.arange(1, 2, 3, 4),
}


@cases(ARANGE_CASES)
def test_arange(case):
    assert_same(case)


LINSPACE_ENDS = [(0, 1), (-3.7, 11.3), (1, 0), (0, 2 * math.pi), (-1e3, 1e-3), (5, 5), (0.1, 0.7)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("steps", [0, 1, 2, 3, 25, 100, 1000])
@pytest.mark.parametrize("ends", LINSPACE_ENDS, ids=str)
def test_linspace_values_are_bit_exact(dtype, steps, ends):
    assert_same(lambda T: T.linspace(*ends, steps, dtype=getattr(T, dtype)))


LINSPACE_CASES = {
    "default": lambda T: T.linspace(0, 1, 5),
    "steps_keyword": lambda T: T.linspace(0, 1, steps=3),
    "float16": lambda T: T.linspace(-3, 10, 25, dtype=T.float16),
    "bfloat16": lambda T: T.linspace(-3, 10, 25, dtype=T.bfloat16),
    "int64": lambda T: T.linspace(-3, 10, 25, dtype=T.int64),
    "int32": lambda T: T.linspace(-3, 10, 7, dtype=T.int32),
    "int8": lambda T: T.linspace(-3, 10, 7, dtype=T.int8),
    "uint8_wrapped_start": lambda T: T.linspace(-3, 10, 25, dtype=T.uint8),
    "uint8_start_overflow": lambda T: T.linspace(300, 1, 3, dtype=T.uint8),
    "uint8_one_step_overflow": lambda T: T.linspace(-1.5, 1, 1, dtype=T.uint8),
    "int_one_step": lambda T: T.linspace(0.7, 1, 1, dtype=T.int64),
    "complex64": lambda T: T.linspace(-3, 10, 7, dtype=T.complex64),
    "complex_ends": lambda T: T.linspace(0, 1 + 1j, 5),
    "complex_end_real_dtype": lambda T: T.linspace(0, 1j, 3, dtype=T.float32),
    "tensor_ends": lambda T: T.linspace(T.tensor(0.0), T.tensor(1.0), 5),
    "tensor_steps": lambda T: T.linspace(0, 1, T.tensor(3)),
    "one_dim_tensor_end": lambda T: T.linspace(T.tensor([0.0]), 1, 3),
    "float_steps": lambda T: T.linspace(0, 1, 5.0),
    "missing_steps": lambda T: T.linspace(0, 1),
    "negative_steps": lambda T: T.linspace(0, 1, -1),
    "nan_end": lambda T: T.linspace(0.0, NAN, 3),
    "inf_end": lambda T: T.linspace(0.0, INF, 3),
    "bool": lambda T: T.linspace(0, 1, 2, dtype=T.bool),
    "requires_grad": lambda T: T.linspace(0, 1, 3, requires_grad=True),
}


@cases(LINSPACE_CASES)
def test_linspace(case):
    assert_same(case)


LOGSPACE_CASES = {
    "default": lambda T: T.logspace(0, 2, 7),
    "float64": lambda T: T.logspace(-2, 2, 25, dtype=T.float64),
    "base2": lambda T: T.logspace(0, 10, 11, base=2),
    "base3_5": lambda T: T.logspace(-1, 3, 9, base=3.5),
    "negative_base": lambda T: T.logspace(0, 3, 4, base=-2),
    "int64": lambda T: T.logspace(0, 3, 4, dtype=T.int64),
    "uint8_wraps": lambda T: T.logspace(0, 3, 4, dtype=T.uint8),
    "float16": lambda T: T.logspace(0, 3, 7, dtype=T.float16),
    "one_step": lambda T: T.logspace(1, 3, 1),
    "one_step_int": lambda T: T.logspace(1.5, 3, 1, base=2, dtype=T.int32),
    "no_steps": lambda T: T.logspace(1, 3, 0),
    "negative_steps": lambda T: T.logspace(0, 1, -1),
    "bool": lambda T: T.logspace(0, 3, 4, dtype=T.bool),
}


@cases(LOGSPACE_CASES)
def test_logspace(case):
    assert_same(case)


# ----- legacy constructor, new_* -----------------------------------------------------------------
LEGACY_CASES = {
    "empty": lambda T: T.Tensor(),
    "sizes": lambda T: T.Tensor(2, 3).shape,
    "size_object": lambda T: T.Tensor(T.Size([2])).shape,
    "list": lambda T: T.Tensor([1, 2]),
    "tuple": lambda T: T.Tensor((1, 2.5)),
    "nested": lambda T: T.Tensor([[1], [2]]),
    "numpy": lambda T: T.Tensor(np.array([1, 2])),
    "float_tensor": lambda T: T.Tensor(T.tensor([1.0, 2.0])),
    "scalar": lambda T: T.Tensor(2.5),
    "negative_size": lambda T: T.Tensor(-1),
    "string": lambda T: T.Tensor("a"),
    "ragged": lambda T: T.Tensor([[1], [2, 3]]),
    "dtype_keyword": lambda T: T.Tensor([1], dtype=T.float64),
}


@cases(LEGACY_CASES)
def test_legacy_constructor(case):
    assert_same(case)


NEW_CASES = {
    "new_zeros": lambda T: T.tensor([1, 2]).new_zeros(2, 3),
    "new_zeros_tuple": lambda T: T.tensor([1, 2]).new_zeros((2, 3)),
    "new_ones_keeps_dtype": lambda T: T.tensor([1.0], dtype=T.float64).new_ones(2),
    "new_ones_dtype": lambda T: T.tensor([1.0]).new_ones(2, dtype=T.int8),
    "new_empty": lambda T: (T.tensor([1.0]).new_empty(3).shape, T.tensor([1]).new_empty(3).dtype),
    "new_full": lambda T: T.tensor([1, 2]).new_full((2,), 3.7),
    "new_full_half": lambda T: T.tensor([1.0], dtype=T.float16).new_full((2,), 3),
    "new_tensor": lambda T: T.tensor([1.0], dtype=T.float64).new_tensor([1, 2]),
    "new_tensor_bool": lambda T: T.tensor([True]).new_tensor([1.5, 0]),
    "new_tensor_from_leaf": lambda T: T.ones(2, requires_grad=True).new_tensor([1, 2]),
    "new_zeros_not_requiring_grad": lambda T: T.ones(2, requires_grad=True).new_zeros(2),
    "new_zeros_requires_grad": lambda T: T.tensor([1.0]).new_zeros(2, requires_grad=True),
    "new_zeros_bool": lambda T: T.tensor([1.0]).new_zeros(2, dtype=T.bool),
}


@cases(NEW_CASES)
def test_new_methods(case):
    assert_same(case)


@pytest.mark.xfail(strict=True, reason="Tensor.new_zeros drops size= (torchlike/_ops/__init__.py)")
def test_new_zeros_size_keyword():
    assert_same(lambda T: T.tensor([1.0]).new_zeros(size=(2,)))


@pytest.mark.xfail(strict=True, reason="Tensor.new (legacy) is not implemented yet")
def test_legacy_new_method():
    assert_same(lambda T: T.tensor([1], dtype=T.int32).new([1, 2]))


# ----- default dtype -------------------------------------------------------------------------
def _under_default(dtype_name, case):
    def run(T):
        T.set_default_dtype(getattr(T, dtype_name))
        try:
            return case(T)
        finally:
            T.set_default_dtype(T.float32)

    return run


DEFAULT_DTYPE_CASES = {
    "float_list": lambda T: T.tensor([1.0, 2.0]),
    "float32_under_float64": lambda T: T.tensor([1.0, 2.0], dtype=T.float32),
    "float_arange": lambda T: T.arange(3.0),
    "int_arange": lambda T: T.arange(3),
    "zeros": lambda T: T.zeros(2),
    "full_float": lambda T: T.full((1,), 1.5),
    "full_int": lambda T: T.full((1,), 1),
    "linspace": lambda T: T.linspace(0, 1, 3),
    "legacy": lambda T: T.Tensor([1]),
    "python_float_scalar": lambda T: (T.ones(2, dtype=T.int32) * 2.5).dtype,
    "get": lambda T: T.get_default_dtype(),
}


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
@cases(DEFAULT_DTYPE_CASES)
def test_default_dtype(default, case):
    assert_same(_under_default(default, case))
    assert torchlike.get_default_dtype() is torchlike.float32


@pytest.mark.parametrize("default", ["float64", "bfloat16"])
def test_default_dtype_complex_inference(default):
    assert_same(_under_default(default, lambda T: T.tensor([1j])))


@pytest.mark.xfail(strict=True, reason="float16's complex partner is complex32, which JAX lacks")
def test_default_float16_complex_inference():
    assert_same(_under_default("float16", lambda T: T.tensor([1j])))


SET_DEFAULT_CASES = {
    "int64": lambda T: T.set_default_dtype(T.int64),
    "complex64": lambda T: T.set_default_dtype(T.complex64),
    "python_float": lambda T: T.set_default_dtype(float),
    "string": lambda T: T.set_default_dtype("float64"),
}


@cases(SET_DEFAULT_CASES)
def test_set_default_dtype_errors(case):
    assert_same(case)


# ----- attributes ------------------------------------------------------------------------------
def _cube(T):
    return T.arange(24.0).reshape(2, 3, 4)


def _leaf(T):
    return T.tensor([1.0, 2.0], requires_grad=True)


def _set(obj, name, value):
    setattr(obj, name, value)
    return getattr(obj, name)


ATTRIBUTE_CASES = {
    "shape": lambda T: _cube(T).shape,
    "size": lambda T: _cube(T).size(),
    "size_dims": lambda T: [_cube(T).size(d) for d in (0, 1, 2, -1, -2, -3)],
    "size_too_big": lambda T: _cube(T).size(3),
    "size_too_negative": lambda T: _cube(T).size(-4),
    "size_zero_dim": lambda T: T.tensor(1.0).size(0),
    "size_zero_dim_negative": lambda T: T.tensor(1.0).size(-1),
    "size_float_dim": lambda T: _cube(T).size(1.0),
    "size_string_dim": lambda T: _cube(T).size("a"),
    "dims": lambda T: (_cube(T).dim(), _cube(T).ndim, _cube(T).ndimension()),
    "numel": lambda T: (_cube(T).numel(), _cube(T).nelement(), T.numel(_cube(T))),
    "numel_zero_dim": lambda T: T.tensor(5).numel(),
    "dtype_and_device": lambda T: (_cube(T).dtype, _cube(T).device),
    "is_leaf": lambda T: (_cube(T).is_leaf, _leaf(T).is_leaf, (_leaf(T) * 2).is_leaf),
    "detached_is_leaf": lambda T: (_leaf(T) * 2).detach().is_leaf,
    "requires_grad": lambda T: (T.ones(1).requires_grad, (_leaf(T) * 2).requires_grad),
    "set_requires_grad": lambda T: _set(T.ones(2), "requires_grad", True),
    "set_requires_grad_int": lambda T: _set(T.tensor([1]), "requires_grad", True),
    "set_requires_grad_non_bool": lambda T: _set(T.ones(2), "requires_grad", 1),
    "set_requires_grad_none": lambda T: _set(T.ones(2), "requires_grad", None),
    "set_requires_grad_non_leaf_true": lambda T: _set(_leaf(T) * 2, "requires_grad", True),
    "set_requires_grad_non_leaf_false": lambda T: _set(_leaf(T) * 2, "requires_grad", False),
    "requires_grad_method": lambda T: T.ones(2).requires_grad_(),
    "requires_grad_method_false": lambda T: _leaf(T).requires_grad_(False),
    "requires_grad_method_int": lambda T: T.tensor([1]).requires_grad_(),
    "requires_grad_method_int_false": lambda T: T.tensor([1]).requires_grad_(False),
    "requires_grad_method_complex": lambda T: T.tensor([1j]).requires_grad_(),
    "requires_grad_method_non_bool": lambda T: T.ones(1).requires_grad_(1),
    "requires_grad_method_non_leaf": lambda T: (_leaf(T) * 2).requires_grad_(),
    "requires_grad_method_non_leaf_false": lambda T: (_leaf(T) * 2).requires_grad_(False),
    "grad_unset": lambda T: _leaf(T).grad,
    "grad_after_backward": lambda T: (lambda a: ((a * a).sum().backward(), a.grad)[1])(_leaf(T)),
    "set_grad": lambda T: _set(_leaf(T), "grad", T.ones(2)),
    "set_grad_wrong_size": lambda T: _set(T.ones(2, 3, requires_grad=True), "grad", T.ones(3, 2)),
    "set_grad_wrong_dtype": lambda T: _set(_leaf(T), "grad", T.ones(2, dtype=T.float64)),
    "set_grad_int": lambda T: _set(_leaf(T), "grad", T.ones(2, dtype=T.int64)),
    "set_grad_half_complex": lambda T: _set(
        T.ones(2, dtype=T.float16, requires_grad=True), "grad", T.ones(2, dtype=T.complex64)
    ),
    "set_grad_non_tensor": lambda T: _set(_leaf(T), "grad", 3),
    "grad_fn_name": lambda T: (_leaf(T) * 2).grad_fn.name(),
    "grad_fn_leaf": lambda T: _leaf(T).grad_fn,
    "output_nr": lambda T: (_leaf(T) * 2).output_nr,
    "data": lambda T: _leaf(T).data,
    "data_shares_storage": lambda T: (lambda a: (a.data.add_(1), a)[1])(_leaf(T)),
    "data_of_result": lambda T: (_leaf(T) * 2).data,
    "stride": lambda T: _cube(T).stride(),
    "stride_dims": lambda T: (_cube(T).stride(0), _cube(T).stride(-1)),
    "stride_bad_dim": lambda T: _cube(T).stride(3),
    "stride_t": lambda T: T.ones(3, 4).t().stride(),
    "stride_transpose": lambda T: _cube(T).transpose(0, 2).stride(),
    "stride_permute": lambda T: _cube(T).permute(1, 2, 0).stride(),
    "stride_slices": lambda T: [_cube(T)[:, 1:].stride(), _cube(T)[..., ::2].stride()],
    "stride_select": lambda T: _cube(T)[0].stride(),
    "stride_expand": lambda T: T.ones(3, 1).expand(3, 4).stride(),
    "stride_zero_dim": lambda T: T.tensor(1.0).stride(),
    "stride_fresh_size_one": lambda T: T.ones(3, 1, 2).stride(),
    "contiguous_fresh": lambda T: _cube(T).is_contiguous(),
    "contiguous_t": lambda T: T.ones(3, 4).t().is_contiguous(),
    "contiguous_transpose": lambda T: _cube(T).transpose(0, 2).is_contiguous(),
    "contiguous_slices": lambda T: [
        _cube(T)[:, 1:].is_contiguous(),
        _cube(T)[1:].is_contiguous(),
        _cube(T)[..., ::2].is_contiguous(),
        _cube(T)[0].is_contiguous(),
    ],
    "contiguous_expand": lambda T: T.ones(3, 1).expand(3, 4).is_contiguous(),
    "contiguous_after_contiguous": lambda T: T.ones(3, 4).t().contiguous().is_contiguous(),
    "storage_offset": lambda T: (_cube(T)[1, 1:].storage_offset(), _cube(T).storage_offset()),
    # the same view ops again with other arguments or on other shapes: layouts are remembered
    # per chain of view ops and storage shape, so each must still get its own
    "layouts_of_similar_views": lambda T: [
        (v.stride(), v.storage_offset(), v.is_contiguous())
        for v in (
            _cube(T)[:, 1:],
            _cube(T)[:, 2:],
            _cube(T)[1, 1:],
            _cube(T)[0, 1:],
            _cube(T).transpose(0, 2),
            _cube(T).transpose(1, 2),
            _cube(T).transpose(0, 1),
            _cube(T).narrow(2, 1, 2),
            _cube(T).narrow(2, 0, 2),
            _cube(T).narrow(1, 0, 3),
            T.ones(4, 6).t(),
            T.ones(6, 4).t(),
            T.ones(2, 3, 4).unflatten(-1, (2, 2))[..., 1],
            T.ones(2, 3, 4).unflatten(-1, (2, 2))[..., 0],
            T.ones(2, 3, 6).unflatten(-1, (3, 2)),
            T.ones(3, 1).expand(3, 4),
            T.ones(3, 1).expand(3, 5),
            _cube(T)[..., ::2],
            _cube(T)[..., 1::2],
            _cube(T).diagonal(0, 1, 2),
            _cube(T).diagonal(1, 1, 2),
        )
    ],
    "element_size": lambda T: [
        T.ones(1, dtype=getattr(T, d)).element_size()
        for d in ("float32", "float64", "float16", "bfloat16", "int8", "bool", "complex128")
    ],
    "itemsize_nbytes": lambda T: (T.ones(3).itemsize, T.ones(3).nbytes),
    "type_names": lambda T: [
        T.ones(1, dtype=getattr(T, d)).type()
        for d in ("float32", "float64", "float16", "bfloat16", "int8", "int16", "int32")
        + ("int64", "uint8", "bool", "complex64", "complex128")
    ],
    "is_floating_point": lambda T: (
        T.ones(1).is_floating_point(),
        T.ones(1, dtype=T.int8).is_floating_point(),
        T.is_floating_point(T.ones(1, dtype=T.float16)),
    ),
    "is_complex": lambda T: (T.ones(1).is_complex(), T.is_complex(T.ones(1, dtype=T.complex64))),
    "get_device": lambda T: T.ones(1).get_device(),
    "is_cuda_is_cpu": lambda T: (T.ones(1).is_cuda, T.ones(1).is_cpu),
    "is_sparse": lambda T: (T.ones(1).is_sparse, T.ones(1).is_quantized, T.ones(1).is_meta),
    "is_tensor": lambda T: (T.is_tensor(T.ones(1)), T.is_tensor(1), T.is_tensor([1])),
    "version_counter": lambda T: (lambda a: (a.add_(1), a._version)[1])(T.ones(2)),
}


@cases(ATTRIBUTE_CASES)
def test_attribute(case):
    assert_same(case)


SIZE_CASES = {
    "repr": lambda T: [repr(T.Size(s)) for s in ([2, 3], [], [5])],
    "str": lambda T: (str(T.Size([2, 3])), f"{T.ones(2, 3).shape}"),
    "index": lambda T: (T.Size([2, 3, 4])[-1], T.Size([2, 3, 4])[1:]),
    "concatenate": lambda T: (T.Size([2]) + T.Size([3]), T.Size([2]) + (3,), (3,) + T.Size([2])),
    "repeat": lambda T: (T.Size([2]) * 2, 2 * T.Size([2])),
    "equal_tuple": lambda T: (T.Size([2, 3]) == (2, 3), T.Size([2, 3]) == [2, 3]),
    "hash_like_tuple": lambda T: hash(T.Size([2, 3])) == hash((2, 3)),
    "numel": lambda T: (T.Size([2, 3]).numel(), T.Size([]).numel()),
    "from_tensor_elements": lambda T: T.Size([T.tensor(3)]),
    "float_element": lambda T: T.Size([2.5]),
    "string_element": lambda T: T.Size(["a"]),
    "not_iterable": lambda T: T.Size(3),
    "pickle": lambda T: pickle.loads(pickle.dumps(T.Size([2, 3]))),
    "reshape_with_size": lambda T: T.ones(6).reshape(T.Size([2]) + (3,)).shape,
}


@cases(SIZE_CASES)
def test_size(case):
    assert_same(case)


# ----- conversions to Python and numpy ---------------------------------------------------------
CONVERSION_CASES = {
    "item_float": lambda T: T.tensor([2.5]).item(),
    "item_zero_dim_int": lambda T: T.tensor(3).item(),
    "item_bool": lambda T: T.tensor([[True]]).item(),
    "item_complex": lambda T: T.tensor(1 + 2j).item(),
    "item_requires_grad": lambda T: T.ones(1, requires_grad=True).item(),
    "item_many": lambda T: T.ones(2).item(),
    "item_empty": lambda T: T.ones(0).item(),
    "tolist": lambda T: T.arange(6).reshape(2, 3).tolist(),
    "tolist_zero_dim": lambda T: T.tensor(2.5).tolist(),
    "tolist_requires_grad": lambda T: T.ones(2, requires_grad=True).tolist(),
    "tolist_empty": lambda T: T.ones(2, 0).tolist(),
    "numpy": lambda T: T.tensor([[1.5, 2.0]]).numpy(),
    "numpy_requires_grad": lambda T: T.ones(2, requires_grad=True).numpy(),
    "numpy_force": lambda T: T.ones(2, requires_grad=True).numpy(force=True),
    "numpy_detach": lambda T: T.ones(2, requires_grad=True).detach().numpy(),
    "asarray": lambda T: np.asarray(T.arange(3.0)),
    "asarray_requires_grad": lambda T: np.asarray(T.ones(2, requires_grad=True)),
    "asarray_dtype": lambda T: np.asarray(T.arange(3), dtype=np.float32),
    "array_nested": lambda T: np.array(T.tensor([[1, 2]])),
    "ufunc_gives_tensor": lambda T: np.sin(T.ones(2)),
    "ufunc_with_scalar": lambda T: np.add(T.ones(2), 1),
    "ufunc_bool_result": lambda T: np.greater(T.arange(3), 0),
}


@cases(CONVERSION_CASES)
def test_conversion(case):
    assert_same(case)


def test_matplotlib_plots_detached_tensors(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = []
    for T in (torch, torchlike):
        x = T.linspace(0, 1, 5, requires_grad=True)
        (line,) = plt.plot(x.detach(), (x * 2).detach())
        plt.scatter(x.detach(), x.detach())
        plt.savefig(tmp_path / "plot.png")
        plt.close("all")
        points.append(line.get_xydata().tolist())
    assert points[0] == points[1]
    with pytest.raises(RuntimeError, match="Use tensor.detach"):
        plt.plot(torchlike.ones(2, requires_grad=True))
    plt.close("all")


# ----- Python protocol ---------------------------------------------------------------------------
def _format(spec):
    return lambda value: format(value, spec)


PROTOCOL_CASES = {
    "len": lambda T: len(T.ones(3, 2)),
    "len_zero_dim": lambda T: len(T.tensor(1.0)),
    "iterate": lambda T: list(T.arange(3)),
    "iterate_rows": lambda T: list(T.arange(6).reshape(2, 3)),
    "iterate_zero_dim": lambda T: list(T.tensor(1.0)),
    "iterate_records_grad": lambda T: [t.grad_fn.name() for t in _leaf(T) * 1],
    "iterate_leaf": lambda T: list(T.ones(2, 2, requires_grad=True)),
    "bool": lambda T: (bool(T.tensor([1])), bool(T.tensor(0.0)), bool(T.tensor([[2.0]]))),
    "bool_nan": lambda T: bool(T.tensor(NAN)),
    "bool_many": lambda T: bool(T.ones(2)),
    "bool_empty": lambda T: bool(T.ones(0)),
    "if_many": lambda T: 1 if T.tensor([1, 2]) else 0,
    "float": lambda T: (float(T.tensor(2.5)), float(T.tensor([3])), float(T.tensor([[True]]))),
    "float_many": lambda T: float(T.ones(2)),
    "float_empty": lambda T: float(T.ones(0)),
    "float_requires_grad": lambda T: float(T.ones(1, requires_grad=True)),
    "float_complex": lambda T: float(T.tensor(1 + 2j)),
    "float_real_complex": lambda T: float(T.tensor(1 + 0j)),
    "int": lambda T: (int(T.tensor(2.7)), int(T.tensor(-2.7)), int(T.tensor([3]))),
    "int_many": lambda T: int(T.ones(2)),
    "int_nan": lambda T: int(T.tensor(NAN)),
    "int_complex": lambda T: int(T.tensor(1 + 2j)),
    "complex": lambda T: (complex(T.tensor(2.5)), complex(T.tensor(1 + 2j))),
    "complex_many": lambda T: complex(T.ones(2)),
    "index": lambda T: (operator.index(T.tensor(3)), operator.index(T.tensor([3]))),
    "index_bool": lambda T: operator.index(T.tensor(True)),
    "index_uint8": lambda T: operator.index(T.tensor(200, dtype=T.uint8)),
    "index_float": lambda T: operator.index(T.tensor(3.0)),
    "index_many": lambda T: operator.index(T.tensor([1, 2])),
    "range": lambda T: list(range(T.tensor(3))),
    "list_index": lambda T: [10, 20, 30][T.tensor(1)],
    "list_index_float": lambda T: [10, 20, 30][T.tensor(1.0)],
    "hex": lambda T: hex(T.tensor(255)),
    "format_fixed": lambda T: f"{T.tensor(3.14159):.3f}",
    "format_int": lambda T: f"{T.tensor(3):d}",
    "format_general": lambda T: f"{T.tensor(1234.5):g}, {T.tensor(0.5):e}, {T.tensor(7):>5}",
    "format_plain": lambda T: f"{T.tensor(3.5)}",
    "format_requires_grad": lambda T: f"{T.tensor(1.5, requires_grad=True):.2f}",
    "format_bool": lambda T: f"{T.tensor(True)}",
    "format_empty_spec": lambda T: format(T.tensor(2.5), ""),
    "format_nd": lambda T: f"{T.ones(2)}",
    "format_nd_spec": lambda T: f"{T.ones(2):.3f}",
    "format_one_element_spec": lambda T: f"{T.ones(1):.3f}",
    "hash_is_identity": lambda T: (lambda a: hash(a) == id(a))(T.ones(2)),
    "in": lambda T: (2 in T.arange(3), 5 in T.arange(3), T.tensor(1) in T.arange(3)),
    "in_rows": lambda T: T.tensor([0, 1]) in T.arange(4).reshape(2, 2),
    "in_string": lambda T: "a" in T.arange(3),
    "deepcopy": lambda T: copy.deepcopy(_leaf(T)),
    "deepcopy_non_leaf": lambda T: copy.deepcopy(_leaf(T) * 2),
    "deepcopy_independent": lambda T: (lambda a: (copy.deepcopy(a).add_(1), a)[1])(T.ones(2)),
    "deepcopy_keeps_grad": lambda T: (
        (lambda a: (_set(a, "grad", T.ones(2)), copy.deepcopy(a)))(_leaf(T))[1].grad
    ),
    "copy": lambda T: copy.copy(T.ones(2)),
    "pickle": lambda T: pickle.loads(pickle.dumps(T.tensor([[1, 2], [3, 4]], dtype=T.int16))),
    "pickle_requires_grad": lambda T: pickle.loads(pickle.dumps(_leaf(T))),
    "pickle_view": lambda T: pickle.loads(pickle.dumps(T.arange(6.0).reshape(2, 3).t())),
    "pickle_dtype": lambda T: pickle.loads(pickle.dumps(T.float16)),
    "pickle_size": lambda T: pickle.loads(pickle.dumps(T.Size([1, 2]))),
    "abs": lambda T: abs(T.tensor([-1, 2])),
    "round_digits": lambda T: round(T.tensor(2.567), 2),
    "math_floor": lambda T: math.floor(T.tensor(2.5)),
    "eq_none": lambda T: T.ones(2) == None,  # noqa: E711 - the operator is what is tested
    "eq_string": lambda T: T.ones(2) == "a",
}


@cases(PROTOCOL_CASES)
def test_protocol(case):
    assert_same(case)


# ----- printing ----------------------------------------------------------------------------------
def _with_default(name, make):
    def run(T):
        T.set_default_dtype(getattr(T, name))
        try:
            return repr(make(T))
        finally:
            T.set_default_dtype(T.float32)

    return run


PRINT_CASES = {
    "leaf_requires_grad": lambda T: _leaf(T),
    "mul_result": lambda T: _leaf(T) * 2,
    "sum_result": lambda T: (_leaf(T) * 2).sum(),
    "mean_result": lambda T: _leaf(T).mean(),
    "view_of_leaf": lambda T: T.tensor([[1.0, 2.0]], requires_grad=True)[0],
    "transposed_leaf": lambda T: T.tensor([[1.0, 2.0]], requires_grad=True).t(),
    "to_result": lambda T: _leaf(T).to(T.float64),
    "detached": lambda T: (_leaf(T) * 2).detach(),
    "float64": lambda T: T.tensor([1.0, 2.0], dtype=T.float64),
    "float64_requires_grad": lambda T: T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True),
    "float64_result": lambda T: T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True).exp(),
    "int64": lambda T: T.tensor([1, 2]),
    "int32": lambda T: T.tensor([1, -2], dtype=T.int32),
    "uint8": lambda T: T.tensor([1, 255], dtype=T.uint8),
    "bool": lambda T: T.tensor([True, False]),
    "zero_dim": lambda T: T.tensor(3.5),
    "zero_dim_int": lambda T: T.tensor(3),
    "zero_dim_requires_grad": lambda T: T.tensor(3.5, requires_grad=True),
    "empty": lambda T: T.tensor([]),
    "empty_2d": lambda T: T.zeros(0, 3),
    "empty_int": lambda T: T.zeros(0, dtype=T.int64),
    "empty_float64": lambda T: T.zeros(2, 0, dtype=T.float64),
    "empty_requires_grad": lambda T: T.zeros(0, requires_grad=True),
    "large": lambda T: T.arange(2000.0),
    "large_2d": lambda T: T.arange(5000.0).reshape(50, 100),
    "large_int": lambda T: T.arange(1001),
    "large_requires_grad": lambda T: T.arange(2000.0, requires_grad=True),
    "scientific": lambda T: T.tensor([1e-5, 1e5]),
    "nan_inf": lambda T: T.tensor([NAN, INF, -INF, 1.0]),
    "half": lambda T: T.tensor([1.5, 2.25], dtype=T.float16),
    "bfloat16": lambda T: T.tensor([1.5, 2.25], dtype=T.bfloat16),
    "complex": lambda T: T.tensor([1 + 2j, -3.5j]),
    "complex128": lambda T: T.tensor([1 + 2j, -3.5j], dtype=T.complex128),
    "three_dims": lambda T: T.arange(24).reshape(2, 3, 4),
    "str_of_result": lambda T: str(_leaf(T) * 2),
}


@cases(PRINT_CASES)
def test_repr(case):
    assert_same(lambda T: repr(case(T)))


COMPLEX32_LITERAL = pytest.mark.xfail(
    strict=True, reason="complex literals become complex32 under float16, which JAX lacks"
)
PRINT_UNDER_DEFAULT = [
    pytest.param(
        default,
        case,
        id=f"{name}-{default}",
        marks=COMPLEX32_LITERAL if (default, name) == ("float16", "complex") else (),
    )
    for default in ("float64", "float16", "bfloat16")
    for name, case in PRINT_CASES.items()
]


@pytest.mark.parametrize("default,case", PRINT_UNDER_DEFAULT)
def test_repr_under_default_dtype(default, case):
    assert_same(_with_default(default, case))


COMPARISON_CASES = {
    "equal_same": lambda T: T.equal(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0])),
    "equal_promoted": lambda T: T.equal(T.tensor([1, 2]), T.tensor([1.0, 2.0])),
    "equal_other_shape": lambda T: T.equal(T.ones(2), T.ones(3)),
    "equal_nan": lambda T: T.equal(T.tensor([float("nan")]), T.tensor([float("nan")])),
    "equal_method": lambda T: T.ones(2, 3).equal(T.ones(2, 3)),
    "equal_not_tensor": lambda T: T.equal(T.ones(2), 1),
    "allclose_near": lambda T: T.allclose(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.00001])),
    "allclose_far": lambda T: T.allclose(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.1])),
    "allclose_tolerances": lambda T: T.tensor([1.0, 2.0]).allclose(T.tensor([1.1, 2.0]), atol=0.2),
    "allclose_nan": lambda T: T.allclose(
        T.tensor([float("nan")]), T.tensor([float("nan")]), equal_nan=True
    ),
    "allclose_dtypes": lambda T: T.allclose(T.tensor([1, 2]), T.tensor([1.0, 2.0])),
    "allclose_broadcast": lambda T: T.allclose(T.ones(2, 3), T.ones(3)),
}


@cases(COMPARISON_CASES)
def test_equal_and_allclose(case):
    assert_same(case)
