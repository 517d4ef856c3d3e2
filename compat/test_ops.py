"""Every row of the op table against real torch, driven by the sample records in op_db.

Forward values, dtypes and shapes; gradients, grad_fn names and second order; function,
method, in-place and out= variants; type promotion; Python operators; error parity.
"""

from __future__ import annotations

import operator
import zlib

import numpy as np
import pytest
import torch
from op_db import RECORDS, Dtype, Maker, OpRecord, Sample

import torchlike
from torchlike._ops.registry import TABLE

# (rtol, atol) per output dtype; a record's `tol` scales both
TOLERANCES = {"float32": (1e-5, 1e-5), "float64": (1e-7, 1e-7)}
GRAD_TOL_FACTOR = 10.0

# torch.ger's out= form warns that ger is deprecated on every call
pytestmark = pytest.mark.filterwarnings("ignore:torch.ger is deprecated:UserWarning")


def _known(kind: str, reason: str, *ids: str) -> dict[str, str]:
    return {f"{kind}[{case}]": reason for case in ids}


# Cases that fail because of code outside the op rows (reported, with a reproduction).
KNOWN_FAILURES: dict[str, str] = {
    **_known("test_grad", "indexing.py: index_put with a bool mask index cannot be traced for its "
             "backward (jax NonConcreteBooleanIndexError)", "index_put-float64-sample1"),
}  # fmt: skip


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("-".join(map(str, key)).encode()))


def samples_of(record: OpRecord, dtype: str) -> list[Sample]:
    return record.samples(Maker(dtype, _rng(record.row, dtype)))


def grad_dtype(record: OpRecord) -> str | None:
    return next((d for d in ("float64", "float32") if d in record.dtypes), None)


GENERATED: set[str] = set()  # every case id, to check KNOWN_FAILURES names real cases


def cases(kind: str, pairs) -> list:
    """pytest params with ids like add-float32-sample2, strict xfails where a bug is known."""
    params = []
    for case_id, values in pairs:
        GENERATED.add(f"{kind}[{case_id}]")
        reason = KNOWN_FAILURES.get(f"{kind}[{case_id}]")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(*values, id=case_id, marks=marks))
    return params


# ----- building inputs and calling ops ---------------------------------------------------
def build(value, lib, requires_grad: bool, leaves: list):
    """numpy data as a tensor of `lib` (same values, same dtype); lists and tuples recurse."""
    if isinstance(value, np.ndarray):
        grad = requires_grad and value.dtype.kind == "f"
        tensor = lib.tensor(value, requires_grad=grad)
        if grad:
            leaves.append(tensor)
        return tensor
    if isinstance(value, list | tuple):
        return type(value)(build(v, lib, requires_grad, leaves) for v in value)
    if isinstance(value, Dtype):
        return getattr(lib, value.name)
    return value


def build_call(record: OpRecord, lib, sample: Sample, grad: bool = False):
    leaves: list = []
    args = tuple(
        build(a, lib, grad and (record.grad_args is None or i in record.grad_args), leaves)
        for i, a in enumerate(sample.args)
    )
    kwargs = {k: build(v, lib, False, leaves) for k, v in sample.kwargs.items()}
    return args, kwargs, leaves


def invoke(record: OpRecord, lib, args, kwargs):
    if record.call is not None:
        return record.call(lib, *args, **kwargs)
    if TABLE[record.row].function:
        return getattr(lib, record.torch_name)(*args, **kwargs)
    return getattr(args[0], record.torch_name)(*args[1:], **kwargs)


def run(record: OpRecord, lib, sample: Sample, grad: bool = False):
    args, kwargs, leaves = build_call(record, lib, sample, grad)
    return invoke(record, lib, args, kwargs), leaves


def outputs(out) -> list:
    return list(out) if isinstance(out, tuple | list) else [out]


def dtype_name(tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def assert_close(actual, expected, scale: float = 1.0) -> None:
    """Same shape, dtype and values (exact for integers and bools)."""
    assert tuple(actual.shape) == tuple(expected.shape)
    assert dtype_name(actual) == dtype_name(expected)
    got, want = actual.detach().numpy(), expected.detach().numpy(force=True)  # force: ZeroTensor
    if dtype_name(expected) in TOLERANCES:
        rtol, atol = (t * scale for t in TOLERANCES[dtype_name(expected)])
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def assert_same_outputs(actual, expected, scale: float = 1.0) -> None:
    assert isinstance(actual, tuple | list) == isinstance(expected, tuple | list)
    if hasattr(expected, "_fields"):  # named tuples: torch.return_types.max and friends
        assert type(actual).__name__ == type(expected).__name__
        assert actual._fields == expected._fields
    actual, expected = outputs(actual), outputs(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert_close(a, e, scale)


def assert_grads(actual, expected, scale: float = 1.0) -> None:
    """Same gradients, None exactly where torch gives None."""
    assert [g is None for g in actual] == [g is None for g in expected]
    assert_same_outputs([a for a in actual if a is not None],
                        [e for e in expected if e is not None], scale)  # fmt: skip


def grad_fn_name(tensor) -> str | None:
    return None if tensor.grad_fn is None else type(tensor.grad_fn).__name__


def same_error(torch_fn, torchlike_fn, message: bool = False):
    """Both raise, with the same exception type (and text when asked)."""
    with pytest.raises(Exception) as expected:
        torch_fn()
    with pytest.raises(Exception) as actual:
        torchlike_fn()
    assert type(actual.value) is type(expected.value), (actual.value, expected.value)
    if message:
        assert str(actual.value) == str(expected.value)


def result_or_error(fn):
    try:
        return fn(), None
    except Exception as error:  # noqa: BLE001 - the exception itself is what is compared
        return None, error


def assert_parity(torch_fn, torchlike_fn, scale: float = 1.0, compare=None):
    """Same outputs, or the same exception type, as torch."""
    expected, torch_error = result_or_error(torch_fn)
    if torch_error is not None:
        with pytest.raises(type(torch_error)) as info:
            torchlike_fn()
        assert type(info.value) is type(torch_error), (info.value, torch_error)
        return None
    actual = torchlike_fn()
    (compare or assert_same_outputs)(actual, expected, scale)
    return actual, expected


# ----- the table covers the op table -------------------------------------------------------
@pytest.mark.parametrize("row", sorted(TABLE))
def test_row_has_record(row):
    assert row in RECORDS, f"op row {row!r} has no sample record in compat/op_db.py"


@pytest.mark.parametrize("row", sorted(RECORDS))
def test_record_names_a_row(row):
    assert row in TABLE


TORCH_VARIANT = {
    "function": lambda name: hasattr(torch, name),
    "method": lambda name: hasattr(torch.Tensor, name),
    "inplace": lambda name: hasattr(torch.Tensor, f"{name}_"),
    "inplace_function": lambda name: hasattr(torch, f"{name}_"),
}
VARIANT_FLAG_CASES = cases("test_variant_flags", [
    (f"{name}-{flag}", (name, flag))
    for name in sorted(RECORDS) if name in TABLE and not RECORDS[name].internal
    for flag in TORCH_VARIANT
])  # fmt: skip


# Variants torch has whose argument order differs from the row's, composed by hand instead.
COMPOSED_VARIANTS = {("where", "method")}


@pytest.mark.parametrize("name,flag", VARIANT_FLAG_CASES)
def test_variant_flags(name, flag):
    """A row offers a variant (torch.add, Tensor.add, Tensor.add_, torch.add_) iff torch does."""
    torch_has = TORCH_VARIANT[flag](RECORDS[name].torch_name)
    if (name, flag) in COMPOSED_VARIANTS:
        assert torch_has and not getattr(TABLE[name], flag)
        assert callable(getattr(torchlike.Tensor, name))
        return
    assert getattr(TABLE[name], flag) == torch_has


@pytest.mark.parametrize("other", [-1.5, 2, "tensor"])
def test_tensor_where_method_matches_torch(other):
    values = np.array([[1.0, -2.0, 3.0], [-0.5, 0.0, 4.0]], np.float32)
    results = []
    for lib in (torch, torchlike):
        x = lib.tensor(values, requires_grad=True)
        y = lib.tensor([9.0, 8.0, 7.0]) if other == "tensor" else other
        out = x.where(x > 0, y)
        out.sum().backward()
        results.append((out.detach().numpy(), str(out.dtype), x.grad.numpy(),
                        type(out.grad_fn).__name__))  # fmt: skip
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][2], results[0][2])
    assert results[1][1] == results[0][1]
    assert results[1][3] == results[0][3]


# ----- forward -----------------------------------------------------------------------------
FORWARD_CASES = cases("test_forward", [
    (f"{name}-{dtype}-sample{i}", (RECORDS[name], sample))
    for name in sorted(RECORDS) for dtype in RECORDS[name].dtypes
    for i, sample in enumerate(samples_of(RECORDS[name], dtype))
])  # fmt: skip


@pytest.mark.parametrize("record,sample", FORWARD_CASES)
def test_forward(record, sample):
    expected, _ = run(record, torch, sample)  # the table lists only inputs torch accepts
    actual, _ = run(record, torchlike, sample)
    assert_same_outputs(actual, expected, record.tol)


# ----- gradients ---------------------------------------------------------------------------
def _cotangents(outs, seed) -> list[np.ndarray]:
    rng = _rng("cotangent", seed)
    return [rng.standard_normal(tuple(o.shape)).astype(dtype_name(o)) for o in outs]


def _grads(lib, outs, inputs, cotangents, **kwargs):
    tensors = [lib.tensor(c) for c in cotangents]
    return lib.autograd.grad(outs, inputs, tensors, allow_unused=True, **kwargs)


def _forward_with_grad(record, sample):
    """Both libraries' outputs, their differentiable inputs, checking flags and grad_fn names."""
    t_out, t_in = run(record, torch, sample, grad=True)
    l_out, l_in = run(record, torchlike, sample, grad=True)
    t_outs, l_outs = outputs(t_out), outputs(l_out)
    assert len(l_in) == len(t_in) > 0
    assert [o.requires_grad for o in l_outs] == [o.requires_grad for o in t_outs]
    assert [grad_fn_name(o) for o in l_outs] == [grad_fn_name(o) for o in t_outs]
    diff = [i for i, o in enumerate(t_outs) if o.requires_grad]
    return [t_outs[i] for i in diff], t_in, [l_outs[i] for i in diff], l_in


GRAD_CASES = cases("test_grad", [
    (f"{name}-{grad_dtype(RECORDS[name])}-sample{i}", (RECORDS[name], sample))
    for name in sorted(RECORDS) if RECORDS[name].grad
    for i, sample in enumerate(samples_of(RECORDS[name], grad_dtype(RECORDS[name])))
])  # fmt: skip


@pytest.mark.parametrize("record,sample", GRAD_CASES)
def test_grad(record, sample):
    """Flags and grad_fn names of the outputs, then gradients for a random cotangent."""
    t_outs, t_in, l_outs, l_in = _forward_with_grad(record, sample)
    if not t_outs:  # e.g. a cast to an integer dtype: only the flags above are compared
        return
    cotangents = _cotangents(t_outs, record.row)
    assert_parity(
        lambda: _grads(torch, t_outs, t_in, cotangents),
        lambda: _grads(torchlike, l_outs, l_in, cotangents),
        record.tol * GRAD_TOL_FACTOR,
        compare=assert_grads,
    )


def _second_order(lib, outs, inputs, cotangents):
    grads = _grads(lib, outs, inputs, cotangents, create_graph=True)
    total = sum(g.sum() for g in grads if g is not None and g.requires_grad)
    assert not isinstance(total, int), "first-order gradients do not depend on the inputs"
    second = lib.autograd.grad(total, inputs, allow_unused=True)
    # which second-order gradients are None depends on how each backward is built: zeros
    return [lib.zeros_like(x) if g is None else g for g, x in zip(second, inputs)]


GRADGRAD_CASES = cases("test_gradgrad", [
    (f"{name}-{grad_dtype(RECORDS[name])}-sample{i}", (RECORDS[name], sample))
    for name in sorted(RECORDS) if RECORDS[name].gradgrad
    for i, sample in enumerate(samples_of(RECORDS[name], grad_dtype(RECORDS[name]))[:2])
])  # fmt: skip


@pytest.mark.parametrize("record,sample", GRADGRAD_CASES)
def test_gradgrad(record, sample):
    t_outs, t_in, l_outs, l_in = _forward_with_grad(record, sample)
    cotangents = _cotangents(t_outs, record.row)
    expected = _second_order(torch, t_outs, t_in, cotangents)
    actual = _second_order(torchlike, l_outs, l_in, cotangents)
    assert_same_outputs(actual, expected, record.tol * GRAD_TOL_FACTOR)


# ----- variants: method, in-place, in-place function, out= --------------------------------
def _method(record, lib, args, kwargs):
    return getattr(args[0], record.torch_name)(*args[1:], **kwargs)


def _inplace(record, lib, args, kwargs):
    result = getattr(args[0], f"{record.torch_name}_")(*args[1:], **kwargs)
    assert result is args[0]
    return result


def _inplace_function(record, lib, args, kwargs):
    result = getattr(lib, f"{record.torch_name}_")(*args, **kwargs)
    assert result is args[0]
    return result


def _out(record, lib, args, kwargs):
    reference = invoke(record, lib, args, kwargs)
    out = lib.empty(0, dtype=reference.dtype)  # empty: out= resizes it without a warning
    result = getattr(lib, record.torch_name)(*args, **kwargs, out=out)
    assert result is out
    return result


VARIANTS = {"method": _method, "inplace": _inplace, "inplace_function": _inplace_function,
            "out": _out}  # fmt: skip


def _has_variant(record: OpRecord, variant: str) -> bool:
    row = TABLE[record.row]
    if variant == "out":
        return record.out
    if variant == "method":
        return row.method and (row.function or record.call is not None)
    return getattr(row, variant)


VARIANT_CASES = cases("test_variant", [
    (f"{name}-{variant}-{record.dtypes[0]}-sample{i}", (record, variant, sample))
    for name, record in sorted(RECORDS.items()) if name in TABLE
    for variant in VARIANTS if _has_variant(record, variant)
    for i, sample in enumerate(samples_of(record, record.dtypes[0]))
    if variant == "out" or isinstance(sample.args[0], np.ndarray)
])  # fmt: skip


@pytest.mark.parametrize("record,variant,sample", VARIANT_CASES)
def test_variant(record, variant, sample):
    """Each variant agrees with torch's same variant (values, or the same exception type)."""

    def call(lib):
        args, kwargs, _ = build_call(record, lib, sample)
        return VARIANTS[variant](record, lib, args, kwargs)

    assert_parity(lambda: call(torch), lambda: call(torchlike), record.tol)


# ----- invalid inputs ----------------------------------------------------------------------
ERROR_CASES = cases("test_error", [
    (f"{name}-error{i}", (RECORDS[name], error))
    for name in sorted(RECORDS) for i, error in enumerate(RECORDS[name].errors)
])  # fmt: skip


@pytest.mark.parametrize("record,error", ERROR_CASES)
def test_error(record, error):
    with pytest.raises(error.error):  # the table's expectation holds for torch
        run(record, torch, error.sample)
    same_error(lambda: run(record, torch, error.sample),
               lambda: run(record, torchlike, error.sample), error.message)  # fmt: skip


# ----- type promotion on binary ops --------------------------------------------------------
PROMOTION_OPS = ("add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "atan2",
                 "maximum", "minimum", "hypot", "copysign", "xlogy", "pow", "eq", "lt",
                 "bitwise_and", "logical_or", "where")  # fmt: skip
PROMOTION_OPERANDS = {
    "int64-float_scalar": (("int64", (2, 3)), 2.5),
    "int64-int_scalar": (("int64", (2, 3)), 3),
    "int64-bool_scalar": (("int64", (2, 3)), True),
    "float32-int_scalar": (("float32", (2, 3)), 2),
    "bool-float_scalar": (("bool", (2, 3)), 2.5),
    "float32-float64": (("float32", (2, 3)), ("float64", (2, 3))),
    "float32-float64_0d": (("float32", (2, 3)), ("float64", ())),
    "int64-float32_0d": (("int64", (2, 3)), ("float32", ())),
    "float32_0d-int64": (("float32", ()), ("int64", (3,))),
    "int32-int64": (("int32", (3,)), ("int64", (3,))),
    "int64-float32": (("int64", (3,)), ("float32", (3,))),
    "bool-int64": (("bool", (3,)), ("int64", (3,))),
    "bool-bool": (("bool", (3,)), ("bool", (3,))),
}


def _operand(spec, rng):
    if not isinstance(spec, tuple):
        return spec
    dtype, shape = spec
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    return np.asarray(rng.integers(1, 4, size=shape), dtype)  # positive: no division by zero


PROMOTION_CASES = cases("test_promotion", [
    (f"{name}-{case}", (name, case)) for name in PROMOTION_OPS for case in PROMOTION_OPERANDS
])  # fmt: skip


@pytest.mark.parametrize("name,case", PROMOTION_CASES)
def test_promotion(name, case):
    """Mixed dtypes, 0-d tensors and Python scalars give torch's result dtype and values."""
    rng = _rng(name, case)
    data = [_operand(spec, rng) for spec in PROMOTION_OPERANDS[case]]
    if name == "where":
        data = [np.array([True, False, True]), *data]

    def call(lib):
        args = [lib.tensor(d) if isinstance(d, np.ndarray) else d for d in data]
        return getattr(lib, name)(*args)

    assert_parity(lambda: call(torch), lambda: call(torchlike))


# ----- Python operators --------------------------------------------------------------------
def _on_copy(fn):
    def apply(a, b):
        return fn(a.clone(), b)  # a leaf that requires grad may not change in place

    return apply


ARITHMETIC = {
    "add": lambda a, b: a + b, "radd": lambda a, b: 2 + a, "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 2 - a, "rsub_float": lambda a, b: 2.5 - a, "mul": lambda a, b: a * b,
    "rmul": lambda a, b: 3 * a, "truediv": lambda a, b: a / b, "rtruediv": lambda a, b: 2 / a,
    "floordiv": lambda a, b: a // b, "rfloordiv": lambda a, b: 5 // a,
    "mod": lambda a, b: a % b, "rmod": lambda a, b: 5 % a, "pow": lambda a, b: a**b,
    "pow_int": lambda a, b: a**2, "pow_float": lambda a, b: a**0.5, "rpow": lambda a, b: 2**a,
    "rpow_float": lambda a, b: 2.5**a, "matmul": lambda a, b: a @ b.reshape(3, 2),
    "neg": lambda a, b: -a, "pos": lambda a, b: +a, "abs": lambda a, b: abs(a),
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt_scalar": lambda a, b: a < 1, "rgt_scalar": lambda a, b: 1 > a,
    "eq_scalar": lambda a, b: a == 2, "iadd": _on_copy(operator.iadd),
    "iadd_scalar": _on_copy(lambda x, b: operator.iadd(x, 2)), "isub": _on_copy(operator.isub),
    "imul": _on_copy(operator.imul), "itruediv": _on_copy(operator.itruediv),
    "ifloordiv": _on_copy(operator.ifloordiv), "imod": _on_copy(operator.imod),
    "ipow": _on_copy(operator.ipow),
}  # fmt: skip
BITWISE = {
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "invert": lambda a, b: ~a, "rand": lambda a, b: True & a, "ror": lambda a, b: 1 | a,
    "lshift": lambda a, b: a << 1, "rshift": lambda a, b: a >> 1, "rlshift": lambda a, b: 1 << a,
    "iand": _on_copy(operator.iand), "ior": _on_copy(operator.ior),
    "ixor": _on_copy(operator.ixor), "ilshift": _on_copy(lambda x, b: operator.ilshift(x, 1)),
}  # fmt: skip
OPERATOR_CASES = cases("test_operator", [
    (f"{name}-{dtype}", (fn, dtype))
    for table, dtypes in ((ARITHMETIC, ("float32", "int64")), (BITWISE, ("int64", "bool")))
    for name, fn in table.items() for dtype in dtypes
])  # fmt: skip


def graph_signature(tensor):
    """grad_fn name and its next_functions as (name, output_nr) pairs."""
    node = tensor.grad_fn
    if node is None:
        return None
    edges = [(None if n is None else type(n).__name__, nr) for n, nr in node.next_functions]
    return type(node).__name__, edges


@pytest.mark.parametrize("fn,dtype", OPERATOR_CASES)
def test_operator(fn, dtype):
    """Operators (reflected and in-place too) match torch in values, grad_fn and next_functions."""
    m = Maker(dtype, _rng("operator", dtype), 1, 3)
    data = (m(2, 3), m(2, 3))

    def call(lib):
        a, b = (lib.tensor(d, requires_grad=dtype == "float32") for d in data)
        return fn(a, b)

    result = assert_parity(lambda: call(torch), lambda: call(torchlike))
    if result is not None:
        actual, expected = result
        assert graph_signature(actual) == graph_signature(expected)


def test_known_failures_name_generated_cases():
    assert set(KNOWN_FAILURES) <= GENERATED
