"""tensor_repr against repr(torch.Tensor): same text for the same data, dtype and print options."""

from __future__ import annotations

import math
import re

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from torchlike import _tensor_str

NUMPY_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "bool": np.bool_,
    "complex64": np.complex64,
    "complex128": np.complex128,
}
FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True)
def restore_print_state():
    """Every test starts and ends with torch's and torchlike's default options and dtype."""
    torch.set_printoptions(profile="default")
    _tensor_str.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    _tensor_str.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def to_torch(values: np.ndarray, dtype_name: str) -> torch.Tensor:
    # torch.tensor cannot read ml_dtypes arrays; float32 holds every bfloat16 value exactly.
    if dtype_name == "bfloat16":
        return torch.tensor(values.astype(np.float32)).to(torch.bfloat16)
    return torch.tensor(values)


def make_array(data, dtype_name: str) -> np.ndarray:
    return np.asarray(data).astype(NUMPY_DTYPES[dtype_name])


def assert_same_repr(values: np.ndarray, dtype_name: str, **kwargs) -> None:
    tensor = to_torch(values, dtype_name)
    expected = repr(tensor)
    assert expected == str(tensor)
    default = str(torch.get_default_dtype()).removeprefix("torch.")
    got = _tensor_str.tensor_repr(values, dtype_name=dtype_name, default_dtype_name=default)
    assert got == expected, f"\n{got}\n!=\n{expected}"


def random_values(dtype_name: str, shape: tuple[int, ...], seed: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    if dtype_name == "bool":
        return rng.random(shape) > 0.5
    if dtype_name == "uint8":
        return make_array(rng.integers(0, 256, shape), dtype_name)
    if dtype_name in ("int8", "int16", "int32", "int64"):
        high = {"int8": 127, "int16": 30000, "int32": 2**31 - 1, "int64": 2**62}[dtype_name]
        return make_array(rng.integers(-high, high, shape, dtype=np.int64), dtype_name)
    real = rng.standard_normal(shape) * scale
    if dtype_name.startswith("complex"):
        return make_array(real + 1j * rng.standard_normal(shape) * scale, dtype_name)
    return make_array(real, dtype_name)


HAND_PICKED = {
    "zero_dim_float": ([], 3.25, "float32"),
    "zero_dim_whole": ([], 3.0, "float32"),
    "zero_dim_int": ([], -7, "int64"),
    "zero_dim_bool": ([], True, "bool"),
    "zero_dim_complex": ([], 1.5 - 2j, "complex64"),
    "zero_dim_nan": ([], NAN, "float32"),
    "zero_dim_tiny": ([], 1e-30, "float64"),
    "whole_floats": ([3], [1.0, 2.0, 3.0], "float32"),
    "negative_zero": ([3], [-0.0, 1.0, 2.0], "float32"),
    "only_negative_zero": ([2], [-0.0, 0.0], "float32"),
    "nan_inf_mixed": ([5], [1.5, NAN, INF, -INF, 0.0], "float32"),
    "nan_inf_whole": ([4], [1.0, NAN, -INF, 100.0], "float64"),
    "all_nan": ([3], [NAN, NAN, NAN], "float32"),
    "all_zero": ([2, 2], [0.0, 0.0, 0.0, 0.0], "float32"),
    "large_magnitude": ([3], [1e9, 2.5, -3.0], "float32"),
    "small_magnitude": ([3], [1e-5, 0.5, -0.25], "float32"),
    "wide_ratio": ([2], [0.01, 11.0], "float32"),
    "ratio_just_under": ([2], [1.0, 1000.0], "float64"),
    "whole_sci": ([2], [1e10, -3.0], "float64"),
    "huge_float64": ([2], [1e300, -1e-300], "float64"),
    "rounds_up": ([3], [9.99996, 0.5, 99.99995], "float64"),
    "tiny_denormal": ([2], [5e-324, 1.0], "float64"),
    "big_ints": ([3], [2**62, -(2**62), 7], "int64"),
    "negative_ints": ([4], [-1, -100, 5, 0], "int32"),
    "bools": ([2, 3], [True, False, True, True, True, True], "bool"),
    "all_true": ([3], [True, True, True], "bool"),
    "uint8_full_range": ([4], [0, 1, 128, 255], "uint8"),
    "int8_extremes": ([3], [-128, 0, 127], "int8"),
    "half_overflowish": ([3], [65504.0, -0.5, 1.0], "float16"),
    "half_tiny": ([2], [6e-8, 1.0], "float16"),
    "bf16_big": ([3], [3e38, 1.0, -2.0], "bfloat16"),
    "bf16_fraction": ([3], [0.1, 0.2, 0.3], "bfloat16"),
    "complex_negative_imag": ([3], [1 - 2j, -3.5 + 0.25j, -0.0 - 0.0j], "complex64"),
    "complex_nan": ([2], [complex(NAN, 1.0), complex(1.0, NAN)], "complex128"),
    "complex_sci": ([2], [1e10 + 1j, 1e-6 - 5j], "complex128"),
    "complex_whole": ([3], [1 + 2j, 3 - 4j, 5j], "complex64"),
}


@pytest.mark.parametrize("case", sorted(HAND_PICKED))
def test_hand_picked_values(case):
    shape, data, dtype_name = HAND_PICKED[case]
    values = make_array(data, dtype_name).reshape(shape)
    assert_same_repr(values, dtype_name)


SHAPES = [(), (1,), (7,), (30,), (3, 4), (2, 3, 4), (2, 2, 3, 2), (1, 1, 1), (40, 3), (3, 40)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype_name", sorted(NUMPY_DTYPES))
def test_random_values_of_every_dtype(dtype_name, shape):
    for seed in range(3):
        assert_same_repr(random_values(dtype_name, shape, seed), dtype_name)


@pytest.mark.parametrize("scale", [1e-6, 1e-3, 1.0, 1e4, 1e9])
@pytest.mark.parametrize("dtype_name", ["float32", "float64", "complex64"])
def test_magnitudes_choose_scientific_notation(dtype_name, scale):
    assert_same_repr(random_values(dtype_name, (4, 5), seed=11, scale=scale), dtype_name)


SUMMARIZED_SHAPES = [(1001,), (5000,), (40, 40), (3, 500), (500, 3), (11, 12, 13), (7, 8, 9, 10)]


@pytest.mark.parametrize("shape", SUMMARIZED_SHAPES, ids=str)
@pytest.mark.parametrize("dtype_name", ["float32", "int64", "bool", "complex128", "float16"])
def test_summarized_above_threshold(dtype_name, shape):
    assert_same_repr(random_values(dtype_name, shape, seed=5), dtype_name)


def test_summarized_whole_numbers_and_wide_ints():
    assert_same_repr(np.arange(2000, dtype=np.float32).reshape(40, 50), "float32")
    assert_same_repr(np.arange(-(10**12), -(10**12) + 3000, dtype=np.int64), "int64")


EMPTY_SHAPES = [(0,), (0, 3), (2, 0), (2, 0, 4), (0, 0)]


@pytest.mark.parametrize("shape", EMPTY_SHAPES, ids=str)
@pytest.mark.parametrize("dtype_name", ["float32", "float64", "int64", "bool", "complex64"])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_empty_tensors(default, dtype_name, shape):
    torch.set_default_dtype(getattr(torch, default))
    assert_same_repr(np.zeros(shape, dtype=NUMPY_DTYPES[dtype_name]), dtype_name)


@pytest.mark.parametrize("dtype_name", sorted(NUMPY_DTYPES))
@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_dtype_suffix_under_other_default_dtypes(default, dtype_name):
    torch.set_default_dtype(getattr(torch, default))
    for shape in [(), (3,), (2, 50)]:
        assert_same_repr(random_values(dtype_name, shape, seed=2), dtype_name)


def grad_cases():
    """Tensors that require grad, with the grad_fn name torch gives the op that made them."""
    for dtype_name in ("float32", "float64", "complex64", "float16"):
        for shape in [(), (3,), (2, 3), (2, 40), (6, 7, 8), (2000,)]:
            yield dtype_name, shape


@pytest.mark.parametrize(("dtype_name", "shape"), list(grad_cases()), ids=str)
def test_requires_grad_and_grad_fn_suffixes(dtype_name, shape):
    values = random_values(dtype_name, shape, seed=3)
    leaf = to_torch(values, dtype_name).requires_grad_(True)
    cloned, multiplied = leaf.clone(), leaf * 1
    cases = [(leaf, None), (cloned, "CloneBackward0"), (multiplied, "MulBackward0")]
    for tensor, grad_fn_name in cases:
        if grad_fn_name is not None:
            assert type(tensor.grad_fn).__name__ == grad_fn_name
        got = _tensor_str.tensor_repr(
            values, dtype_name=dtype_name, requires_grad=True, grad_fn_name=grad_fn_name
        )
        assert got == repr(tensor)


def test_suffix_wraps_after_long_last_line():
    # The only line nearly fills the width, so the dtype suffix starts an indented new line.
    values = np.linspace(-1, 1, 8)
    tensor = torch.tensor(values, requires_grad=True) * 1
    got = _tensor_str.tensor_repr(values, dtype_name="float64", grad_fn_name="MulBackward0")
    assert got == repr(tensor)
    assert got.endswith(",\n       dtype=torch.float64, grad_fn=<MulBackward0>)")


def cpu_suffixes(tensor: torch.Tensor, body: str) -> list[str]:
    """The suffixes torch printed after the body of a CPU tensor's repr, in order."""
    text = repr(tensor)
    assert text.startswith("tensor(" + body) and text.endswith(")")
    rest = text[len("tensor(" + body) : -1]
    return re.split(r",\s+(?=[a-z_]+=)", rest)[1:] if rest else []


@pytest.mark.parametrize("dtype_name", ["float32", "float64", "int64", "complex64", "bool"])
@pytest.mark.parametrize("shape", [(), (3,), (0,), (0, 2), (4, 18), (2, 7)], ids=str)
def test_cuda_device_suffix(shape, dtype_name):
    # CPU torch cannot make CUDA tensors. torch's repr puts device='cuda:0' before every other
    # suffix, so the expectation feeds torch's own body and suffix-wrapping helpers the suffix
    # list of the CPU tensor with the device suffix in front.
    values = random_values(dtype_name, shape, seed=4)
    tensor = to_torch(values, dtype_name)
    floating = tensor.is_floating_point() or tensor.is_complex()
    tensor.requires_grad_(floating)
    indent = len("tensor(")
    body = torch._tensor_str._tensor_str(tensor, indent)
    suffixes = ["device='cuda:0'", *cpu_suffixes(tensor, body)]
    expected = torch._tensor_str._add_suffixes("tensor(" + body, suffixes, indent, False)
    got = _tensor_str.tensor_repr(
        values, dtype_name=dtype_name, device="cuda:0", requires_grad=floating
    )
    assert got == expected


def test_parameter_repr():
    values = random_values("float32", (3, 4), seed=8)
    parameter = torch.nn.Parameter(torch.tensor(values))
    got = _tensor_str.tensor_repr(
        values, dtype_name="float32", requires_grad=True, is_nested_in_parameter=True
    )
    assert got == repr(parameter)


PRINT_OPTION_SETS = [
    {"precision": 2},
    {"precision": 8},
    {"precision": 0},
    {"threshold": 5},
    {"threshold": 0},
    {"edgeitems": 1, "threshold": 10},
    {"edgeitems": 0},
    {"edgeitems": 0, "threshold": 10},
    {"linewidth": 40},
    {"linewidth": 150},
    {"linewidth": 5},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
    {"sci_mode": True},
    {"sci_mode": False},
    {"sci_mode": True, "precision": 1},
]
OPTION_ARRAYS = [
    ("float32", (30,), 1.0),
    ("float64", (4, 6), 1e5),
    ("float32", (3, 4, 5), 1e-5),
    ("int64", (20, 3), 1.0),
    ("bool", (12,), 1.0),
    ("complex64", (5, 4), 1.0),
    ("float32", (), 1.0),
    ("float16", (1200,), 1.0),
]


@pytest.mark.parametrize("options", PRINT_OPTION_SETS, ids=str)
def test_print_options(options):
    torch.set_printoptions(**options)
    _tensor_str.set_printoptions(**options)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
    for dtype_name, shape, scale in OPTION_ARRAYS:
        assert_same_repr(random_values(dtype_name, shape, seed=6, scale=scale), dtype_name)
    assert_same_repr(np.array([0.0, -0.0, 3.0, NAN], np.float32), "float32")


def test_set_printoptions_resets_sci_mode_like_torch():
    for kwargs in [{"sci_mode": True}, {"precision": 3}, {"profile": "full"}, {}]:
        torch.set_printoptions(**kwargs)
        _tensor_str.set_printoptions(**kwargs)
        assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context_restores():
    _tensor_str.set_printoptions(precision=6, sci_mode=False)
    with torch._tensor_str.printoptions(precision=2), _tensor_str.printoptions(precision=2):
        assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        assert _tensor_str.get_printoptions()["precision"] == 2
    torch.set_printoptions(precision=6, sci_mode=False)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()


def float_elements(dtype_name: str):
    width = {"float16": 16, "float32": 32}.get(dtype_name, 64)
    return st.floats(width=width, allow_nan=True, allow_infinity=True)


@st.composite
def tensors(draw):
    dtype_name = draw(st.sampled_from(sorted(NUMPY_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    if dtype_name in ("bool", "uint8", "int8", "int16", "int32", "int64"):
        dtype = NUMPY_DTYPES[dtype_name]
        return draw(hnp.arrays(dtype, shape)), dtype_name
    if dtype_name.startswith("complex"):
        part = float_elements("float32" if dtype_name == "complex64" else "float64")
        real = draw(hnp.arrays(np.float64, shape, elements=part))
        imag = draw(hnp.arrays(np.float64, shape, elements=part))
        # Assign parts separately: 1j * inf would turn the real part into nan.
        values = np.empty(shape, NUMPY_DTYPES[dtype_name])
        values.real, values.imag = real, imag
        return values, dtype_name
    source = "float32" if dtype_name == "bfloat16" else dtype_name
    values = draw(hnp.arrays(NUMPY_DTYPES[source], shape, elements=float_elements(source)))
    return make_array(values, dtype_name), dtype_name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tensor=tensors(),
    threshold=st.sampled_from([1000, 8, 30]),
    edgeitems=st.integers(0, 3),
    linewidth=st.sampled_from([80, 30, 120]),
    sci_mode=st.sampled_from([None, True, False]),
)
def test_random_tensors_and_options(tensor, threshold, edgeitems, linewidth, sci_mode):
    values, dtype_name = tensor
    options = dict(threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    try:
        torch.set_printoptions(sci_mode=sci_mode, **options)
        _tensor_str.set_printoptions(sci_mode=sci_mode, **options)
        assert_same_repr(values, dtype_name)
    finally:
        torch.set_printoptions(profile="default")
        _tensor_str.set_printoptions(profile="default")
