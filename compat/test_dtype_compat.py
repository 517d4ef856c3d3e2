"""Dtypes against torch 2.13: names and aliases, attributes, promotion, result dtypes of binary
ops over every pair, can_cast, and dtype conversions (to, float(), numpy()).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from test_tensor_compat import NEEDS_EXPORT, assert_same, cases, outcome

import torchlike

NAN, INF = math.nan, math.inf
CORE = (
    "float32", "float64", "float16", "bfloat16", "complex64", "complex128",
    "int8", "int16", "int32", "int64", "uint8", "bool",
)  # fmt: skip
EXTRA = (
    "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
    "float8_e5m2fnuz", "float8_e8m0fnu",
)  # fmt: skip
ALIASES = ("float", "double", "half", "long", "int", "short", "bool", "cfloat", "cdouble")
SCALARS = (2, 2.5, True, 1j)
PAIRS = list(itertools.product(CORE, CORE))


def _dtype_facts(d):
    return (repr(d), str(d), d.is_floating_point, d.is_complex, d.is_signed, d.itemsize)


@pytest.mark.parametrize("name", CORE + ALIASES)
def test_dtype_attributes(name):
    assert_same(lambda T: _dtype_facts(getattr(T, name)))


@NEEDS_EXPORT
@pytest.mark.parametrize("name", EXTRA + ("complex32", "chalf"))
def test_extra_dtype_attributes(name):
    assert_same(lambda T: _dtype_facts(getattr(T, name)))


@pytest.mark.parametrize("name", CORE)
def test_dtype_to_real_and_complex(name):
    assert_same(lambda T: (getattr(T, name).to_real(), getattr(T, name).to_complex()))


def test_dtype_pickles_to_the_same_object():
    import pickle

    for name in CORE:
        d = getattr(torchlike, name)
        assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types(a, b):
    assert_same(lambda T: T.promote_types(getattr(T, a), getattr(T, b)))


@NEEDS_EXPORT
@pytest.mark.parametrize("a,b", list(itertools.product(EXTRA + ("complex32",), CORE + EXTRA)))
def test_promote_types_extra(a, b):
    assert_same(lambda T: T.promote_types(getattr(T, a), getattr(T, b)))


@pytest.mark.parametrize("a,b", PAIRS)
def test_can_cast(a, b):
    assert_same(lambda T: T.can_cast(getattr(T, a), getattr(T, b)))


def _tensor(T, name, zero_dim=False):
    return T.tensor(1 if zero_dim else [1, 0], dtype=getattr(T, name))


def _complex32_result(case) -> bool:
    """torch's result here is complex32 (ComplexHalf), which JAX cannot hold."""
    try:
        result = case(torch)
    except Exception as error:  # noqa: BLE001 - torch refusing complex32 math counts too
        return "ComplexHalf" in str(error)
    return getattr(result, "dtype", result) == torch.complex32


def _assert_same_or_complex32(case, promotion=None):
    """Same as torch, except where torch computes in complex32: there torchlike must refuse.

    `promotion` gives the dtype the op computes in, for ops whose result dtype hides it (eq).
    """
    ours, theirs = outcome(case, torchlike), outcome(case, torch)
    if ours != theirs and any(_complex32_result(c) for c in (case, promotion) if c):
        assert ours[:2] == ("error", "TypeError") and "complex32" in ours[2]
        return
    assert ours == theirs


LAYOUTS = {
    "tensor_tensor": (False, False),
    "tensor_zero_dim": (False, True),
    "zero_dim_tensor": (True, False),
    "zero_dim_zero_dim": (True, True),
}


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=list(LAYOUTS))
@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type(a, b, layout):
    left, right = layout
    _assert_same_or_complex32(lambda T: T.result_type(_tensor(T, a, left), _tensor(T, b, right)))


@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("name", CORE)
def test_result_type_with_scalar(name, scalar):
    _assert_same_or_complex32(lambda T: T.result_type(_tensor(T, name), scalar))
    _assert_same_or_complex32(lambda T: T.result_type(scalar, _tensor(T, name, True)))


def test_result_type_of_two_scalars():
    for a, b in itertools.product(SCALARS, SCALARS):
        assert_same(lambda T, a=a, b=b: T.result_type(a, b))


BINARY_OPS = {
    "add": lambda T, x, y: T.add(x, y),
    "mul": lambda T, x, y: T.mul(x, y),
    "div": lambda T, x, y: T.div(x, y),
    "eq": lambda T, x, y: T.eq(x, y),
    "operator_add": lambda T, x, y: x + y,
    "operator_truediv": lambda T, x, y: x / y,
    "operator_lt": lambda T, x, y: x < y,
}


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=list(LAYOUTS))
@pytest.mark.parametrize("a,b", PAIRS)
@pytest.mark.parametrize("op", BINARY_OPS.values(), ids=list(BINARY_OPS))
def test_binary_op_result_dtype(op, a, b, layout):
    left, right = layout
    if op is BINARY_OPS["operator_lt"] and "complex" in a + b:
        return  # ordering complex numbers is the pointwise family's error to raise
    _assert_same_or_complex32(
        lambda T: op(T, _tensor(T, a, left), _tensor(T, b, right)).dtype,
        lambda T: T.result_type(_tensor(T, a, left), _tensor(T, b, right)),
    )


@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("name", CORE)
@pytest.mark.parametrize("op", BINARY_OPS.values(), ids=list(BINARY_OPS))
def test_binary_op_with_python_scalar(op, name, scalar):
    if op is BINARY_OPS["operator_lt"] and (isinstance(scalar, complex) or "complex" in name):
        return  # ordering complex numbers is the pointwise family's error to raise
    _assert_same_or_complex32(
        lambda T: op(T, _tensor(T, name), scalar).dtype,
        lambda T: T.result_type(_tensor(T, name), scalar),
    )
    _assert_same_or_complex32(
        lambda T: op(T, _tensor(T, name, True), scalar).dtype,
        lambda T: T.result_type(_tensor(T, name, True), scalar),
    )


@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("name", CORE)
def test_reflected_operator_with_python_scalar(name, scalar):
    _assert_same_or_complex32(lambda T: (scalar + _tensor(T, name)).dtype)
    _assert_same_or_complex32(lambda T: (scalar * _tensor(T, name, True)).dtype)
    if not isinstance(scalar, complex) and name not in ("complex64", "complex128"):
        assert_same(lambda T: (scalar < _tensor(T, name)).dtype)


# ----- conversions between dtypes ------------------------------------------------------------
SPECIAL_FLOATS = [NAN, INF, -INF, 1e20, -1e20, 300.7, -1.5, -300.7, 2.0**31 + 5, -(2.0**31) - 5,
                  2.0**32 + 7, 70000.5, -70000.5, 3e9, 2.0**63, 1e10, 0.0, -0.0, 0.5]  # fmt: skip


@pytest.mark.parametrize("source", ["float32", "float64", "float16", "bfloat16", "complex64"])
@pytest.mark.parametrize("target", CORE)
def test_to_dtype_values(source, target):
    values = SPECIAL_FLOATS if source != "complex64" else [v + 2j for v in SPECIAL_FLOATS[3:]]
    assert_same(lambda T: T.tensor(values, dtype=getattr(T, source)).to(getattr(T, target)))


@pytest.mark.parametrize("target", CORE)
def test_int64_to_dtype_values(target):
    values = [300, -1, 2**40 + 3, -(2**40) - 200, 2**31, 70000, 0, 2**63 - 1]
    assert_same(lambda T: T.tensor(values).to(getattr(T, target)))


SHORTHANDS = ("float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte",
              "bool", "cfloat", "cdouble")  # fmt: skip


@pytest.mark.parametrize("method", SHORTHANDS)
def test_dtype_shorthand_methods(method):
    assert_same(lambda T: getattr(T.tensor([1.7, -2.7, 0.0, 300.5]), method)())


def test_shorthand_keeps_graph():
    assert_same(lambda T: T.ones(2, requires_grad=True, dtype=T.float64).float())


def test_complex_to_real_warns_once(monkeypatch):
    from torchlike._ops import conversion

    monkeypatch.setattr(conversion, "_complex_warned", False)
    with pytest.warns(UserWarning) as record:
        torchlike.tensor([1 + 2j]).float()
        torchlike.tensor([1 + 2j]).to(torchlike.int32)
    assert len(record) == 1  # torch warns once per process too (TORCH_WARN_ONCE)
    message = str(record[0].message).split(" (Triggered internally")[0]
    assert message == "Casting complex values to real discards the imaginary part"
    assert record[0].filename == __file__


TO_CASES = {
    "dtype": lambda T: T.tensor([1.5]).to(T.float64),
    "dtype_keyword": lambda T: T.ones(2).to(dtype=T.float16),
    "other_tensor": lambda T: T.ones(2).to(T.tensor([1], dtype=T.int8)),
    "device_and_dtype": lambda T: T.ones(2).to("cpu", T.int32),
    "records_grad_fn": lambda T: T.ones(2, requires_grad=True).to(T.float64),
    "copy_records_grad_fn": lambda T: T.ones(2, requires_grad=True).to(T.float32, copy=True),
    "int_drops_grad": lambda T: T.ones(2, requires_grad=True).to(T.int64),
    "type_as": lambda T: T.ones(2).type_as(T.tensor([1])),
    "type_string": lambda T: T.ones(2).type("torch.LongTensor"),
    "type_dtype": lambda T: T.ones(2).type(T.int32),
    "type_bad_string": lambda T: T.ones(2).type("foo"),
    "bad_argument": lambda T: T.ones(2).to("foo"),
}


@cases(TO_CASES)
def test_to(case):
    assert_same(case)


def test_to_returns_self_when_nothing_changes():
    for T in (torch, torchlike):
        x = T.ones(2)
        assert x.to(T.float32) is x
        assert x.to("cpu") is x
        assert x.type_as(T.ones(1)) is x
        assert x.to(T.float32, copy=True) is not x


@pytest.mark.parametrize("name", [n for n in CORE if n != "bfloat16"])
def test_numpy_values(name):
    assert_same(lambda T: T.tensor([1.1, -2.7, 0.0], dtype=getattr(T, name)).numpy())


@pytest.mark.parametrize("name", CORE)
def test_item_and_tolist_types(name):
    assert_same(lambda T: T.tensor([3.7], dtype=getattr(T, name)).item())
    assert_same(lambda T: T.tensor([[3.7, -1]], dtype=getattr(T, name)).tolist())


@pytest.mark.parametrize("name", ["bfloat16", pytest.param("float8_e4m3fn", marks=NEEDS_EXPORT)])
def test_numpy_refuses_dtypes_numpy_lacks(name):
    assert_same(lambda T: T.ones(2).to(getattr(T, name)).numpy())


@NEEDS_EXPORT
@pytest.mark.parametrize("name", EXTRA)
def test_extra_dtype_tensors(name):
    assert_same(lambda T: T.tensor([1.5, 2, 300, -1.25]).to(getattr(T, name)))
    assert_same(lambda T: T.ones(2, dtype=getattr(T, name)).type())
    assert_same(lambda T: T.tensor([1.5, 2, 300]).to(getattr(T, name)).tolist())


def test_numpy_dtype_names_match():
    for name in CORE:
        if name == "bfloat16":
            continue
        ours = torchlike.ones(1, dtype=getattr(torchlike, name)).numpy().dtype
        assert ours == torch.ones(1, dtype=getattr(torch, name)).numpy().dtype
    assert np.dtype(np.float32) == torchlike.float32._np
