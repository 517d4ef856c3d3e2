"""tensor_repr on fixed inputs whose torch output is known text."""

import math

import ml_dtypes
import numpy as np
import pytest

from torchlike import _tensor_str
from torchlike._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr


@pytest.fixture(autouse=True)
def default_options():
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


def test_whole_floats_print_with_trailing_dot():
    assert tensor_repr(np.array([1.0, 2.0], np.float32), dtype_name="float32") == "tensor([1., 2.])"


def test_fractions_use_four_decimals_and_shared_width():
    values = np.array([1.5, -22.25, 0.125], np.float32)
    expected = "tensor([  1.5000, -22.2500,   0.1250])"
    assert tensor_repr(values, dtype_name="float32") == expected


def test_zero_dim_tensors():
    assert tensor_repr(np.array(3.0, np.float32), dtype_name="float32") == "tensor(3.)"
    assert tensor_repr(np.array(7), dtype_name="int64") == "tensor(7)"
    assert tensor_repr(np.array(True), dtype_name="bool") == "tensor(True)"


def test_ints_and_bools_right_align():
    assert tensor_repr(np.array([1, -20, 300]), dtype_name="int64") == "tensor([  1, -20, 300])"
    values = np.array([True, False])
    assert tensor_repr(values, dtype_name="bool") == "tensor([ True, False])"


def test_scientific_notation_when_magnitudes_spread():
    values = np.array([1e-5, 1.0], np.float32)
    expected = "tensor([1.0000e-05, 1.0000e+00])"
    assert tensor_repr(values, dtype_name="float32") == expected


def test_nan_inf_and_negative_zero():
    values = np.array([-0.0, math.nan, math.inf, 2.0], np.float32)
    assert tensor_repr(values, dtype_name="float32") == "tensor([-0., nan, inf, 2.])"


def test_matrix_and_three_dims_use_nested_brackets():
    matrix = np.array([[1, 2], [3, 4]])
    assert tensor_repr(matrix, dtype_name="int64") == "tensor([[1, 2],\n        [3, 4]])"
    cube = np.arange(8).reshape(2, 2, 2)
    expected = "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])"
    assert tensor_repr(cube, dtype_name="int64") == expected


def test_long_vector_wraps_at_eighty_columns():
    text = tensor_repr(np.arange(30), dtype_name="int64")
    first, second = text.split("\n")
    assert first == "tensor([" + ", ".join(f"{i:2d}" for i in range(18)) + ","
    assert second == "        " + ", ".join(str(i) for i in range(18, 30)) + "])"


def test_summarizes_above_one_thousand_elements():
    expected = "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert tensor_repr(np.arange(2000), dtype_name="int64") == expected


def test_dtype_suffix_depends_on_default_dtype():
    values = np.array([1.0, 2.0])
    expected = "tensor([1., 2.], dtype=torch.float64)"
    assert tensor_repr(values, dtype_name="float64") == expected
    assert tensor_repr(values, dtype_name="float64", default_dtype_name="float64") == (
        "tensor([1., 2.])"
    )
    single = values.astype(np.float32)
    assert tensor_repr(single, dtype_name="float32", default_dtype_name="float64") == (
        "tensor([1., 2.], dtype=torch.float32)"
    )
    assert tensor_repr(np.array([1, 2], np.int32), dtype_name="int32") == (
        "tensor([1, 2], dtype=torch.int32)"
    )


def test_empty_tensors_show_size_and_dtype():
    assert tensor_repr(np.zeros(0, np.float32), dtype_name="float32") == "tensor([])"
    assert tensor_repr(np.zeros((0, 3), np.float32), dtype_name="float32") == (
        "tensor([], size=(0, 3))"
    )
    assert tensor_repr(np.zeros(0, np.int64), dtype_name="int64") == (
        "tensor([], dtype=torch.int64)"
    )


def test_autograd_and_device_suffixes():
    values = np.array([1.0, 2.0], np.float32)
    assert tensor_repr(values, dtype_name="float32", requires_grad=True) == (
        "tensor([1., 2.], requires_grad=True)"
    )
    assert tensor_repr(values, dtype_name="float32", grad_fn_name="MulBackward0") == (
        "tensor([1., 2.], grad_fn=<MulBackward0>)"
    )
    assert tensor_repr(values, dtype_name="float32", device="cuda:0") == (
        "tensor([1., 2.], device='cuda:0')"
    )


def test_parameter_prefix():
    values = np.array([0.5], np.float32)
    text = tensor_repr(
        values, dtype_name="float32", requires_grad=True, is_nested_in_parameter=True
    )
    assert text == "Parameter containing:\ntensor([0.5000], requires_grad=True)"


def test_complex_and_reduced_precision_floats():
    values = np.array([1 + 2j, 3 - 4.5j], np.complex64)
    # Real and imaginary parts each pick their own style: whole reals keep the bare dot.
    expected = "tensor([1.+2.0000j, 3.-4.5000j])"
    assert tensor_repr(values, dtype_name="complex64") == expected
    half = np.array([0.1, 2.0], np.float16)
    expected_half = "tensor([0.1000, 2.0000], dtype=torch.float16)"
    assert tensor_repr(half, dtype_name="float16") == expected_half
    brain = np.array([0.1, 2.0], ml_dtypes.bfloat16)
    expected_brain = "tensor([0.1001, 2.0000], dtype=torch.bfloat16)"
    assert tensor_repr(brain, dtype_name="bfloat16") == expected_brain


def test_set_printoptions_precision_and_profiles():
    set_printoptions(precision=2)
    assert tensor_repr(np.array([1.12345]), dtype_name="float32") == "tensor([1.12])"
    set_printoptions(threshold=5)
    assert tensor_repr(np.arange(10), dtype_name="int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    set_printoptions(profile="default")
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf


def test_printoptions_context_restores_previous_values():
    set_printoptions(precision=6)
    with printoptions(precision=1, sci_mode=True):
        assert get_printoptions()["precision"] == 1
        assert tensor_repr(np.array([2.5]), dtype_name="float32") == "tensor([2.5e+00])"
    assert get_printoptions()["precision"] == 6
    assert get_printoptions()["sci_mode"] is None


def test_large_tensor_prints_fast():
    import time

    values = np.random.default_rng(0).standard_normal((1000, 1000)).astype(np.float32)
    start = time.perf_counter()
    text = tensor_repr(values, dtype_name="float32")
    assert time.perf_counter() - start < 0.5
    # One "..." in each of the six rows shown, plus the "..." row between leading and trailing rows.
    assert text.count("...") == 6 + 1
    assert _tensor_str.get_printoptions()["threshold"] == 1000
