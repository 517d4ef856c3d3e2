"""torch.testing.assert_close: the same pairing rules, tolerances and failure messages as torch."""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from . import _messages

# {dtype name: (rtol, atol)} used when neither tolerance is given; other dtypes compare exactly.
DEFAULT_TOLERANCES = {
    "float16": (0.001, 1e-5), "bfloat16": (0.016, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7), "complex32": (0.001, 1e-5), "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}  # fmt: skip
# A Python number compares with the tolerance of the dtype torch gives it.
_NUMBER_DTYPES = {int: "int64", float: "float64", complex: "complex128"}
_WIDE_UNSIGNED = ("uint16", "uint32", "uint64")


class _Failure(Exception):
    """A comparison failure: the exception type to raise, its message, and where it happened."""

    def __init__(self, kind: type[Exception], message: str, path: tuple = ()):
        super().__init__(message)
        self.kind, self.message, self.path = kind, message, path

    def to_error(self, msg: str | Callable[[str], str] | None) -> Exception:
        if isinstance(msg, str):
            return self.kind(msg)
        message = self.message
        if self.path:
            message += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in self.path)
        return self.kind(msg(message) if callable(msg) else message)


def _torch_type(value) -> str:
    """repr of the value's type as torch shows it (torchlike's Tensor is torch.Tensor)."""
    cls = type(value)
    module = cls.__module__
    if module == "torchlike" or module.startswith("torchlike."):
        public = [part for part in module.split(".") if not part.startswith("_")]
        module = ".".join(["torch", *public[1:]])
        return f"<class '{module}.{cls.__qualname__}'>"
    return repr(cls)


def _tolerances(dtype_names, rtol, atol, path) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise _Failure(
            ValueError,
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.",
            path,
        )
    if rtol is not None:
        return rtol, atol
    pairs = [DEFAULT_TOLERANCES.get(name, (0.0, 0.0)) for name in dtype_names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _is_sequence(value) -> bool:
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, str)


def _leaf_pairs(actual, expected, path: tuple) -> list[tuple[tuple, Any, Any]]:
    """Walk matching sequences and mappings down to the leaves to compare, torch's way."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            message = f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
            raise _Failure(AssertionError, message, path)
        pairs = []
        for index, (a, e) in enumerate(zip(actual, expected)):
            pairs += _leaf_pairs(a, e, (*path, index))
        return pairs
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        actual_keys, expected_keys = set(actual), set(expected)
        if actual_keys != expected_keys:
            raise _Failure(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}",
                path,
            )
        keys = list(actual_keys)
        with contextlib.suppress(TypeError):
            keys = sorted(keys)
        pairs = []
        for key in keys:
            pairs += _leaf_pairs(actual[key], expected[key], (*path, key))
        return pairs
    return [(path, actual, expected)]


def _kind(actual, expected) -> str | None:
    """Which comparison handles these leaves (torch tries None, bool, number, tensor in turn)."""
    if actual is None or expected is None:
        return "none"
    booleans = (bool, np.bool_)
    if isinstance(actual, booleans) and isinstance(expected, booleans):
        return "bool"
    numbers = (int, float, complex, np.number)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        return "number"
    if isinstance(actual, type(expected)) or isinstance(expected, type(actual)):
        return "tensor"
    return None


def _as_tensor(value) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    from .._ops.creation import as_tensor

    try:
        return as_tensor(value)
    except Exception:  # noqa: BLE001 - anything as_tensor refuses is simply not tensor-like
        return None


def _compare_none(actual, expected, path, options) -> None:
    if not (actual is None and expected is None):
        raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", path)


def _compare_bool(actual, expected, path, options) -> None:
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}", path)


def _compare_number(actual, expected, path, options) -> None:
    actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
    if options["check_dtype"] and type(actual) is not type(expected):
        message = f"The (d)types do not match: {type(actual)} != {type(expected)}."
        raise _Failure(AssertionError, message, path)
    dtype_names = [_NUMBER_DTYPES.get(type(v), "int64") for v in (actual, expected)]
    rtol, atol = _tolerances(dtype_names, options["rtol"], options["atol"], path)
    if actual == expected:
        return
    if options["equal_nan"] and cmath.isnan(actual) and cmath.isnan(expected):
        return
    difference = abs(actual - expected)
    if cmath.isfinite(difference) and difference <= atol + rtol * abs(expected):
        return
    message = _messages.scalar_mismatch(actual, expected, rtol=rtol, atol=atol)
    raise _Failure(AssertionError, message, path)


def _check_attributes(actual: Tensor, expected: Tensor, path, options) -> None:
    checks = [("shape", True), ("layout", options["check_layout"])]
    checks += [("stride()", options["check_stride"]), ("device", options["check_device"])]
    checks += [("dtype", options["check_dtype"])]
    for attribute, enabled in checks:
        if not enabled:
            continue
        if attribute == "stride()":
            mine, theirs = actual.stride(), expected.stride()
        else:
            mine, theirs = getattr(actual, attribute), getattr(expected, attribute)
        if mine != theirs:
            message = f"The values for attribute '{attribute}' do not match: {mine} != {theirs}."
            raise _Failure(AssertionError, message, path)


def _common_arrays(actual: Tensor, expected: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Both values as host arrays of one dtype (torch promotes before comparing values)."""
    if actual.dtype != expected.dtype:
        kinds = [
            dt.int64 if d._name in _WIDE_UNSIGNED else d for d in (actual.dtype, expected.dtype)
        ]
        common = dt.promote_types(*kinds)
        actual, expected = actual.to(common), expected.to(common)
    return np.asarray(actual.detach()._value), np.asarray(expected.detach()._value)


def _compare_tensor(actual, expected, path, options) -> None:
    actual_tensor, expected_tensor = _as_tensor(actual), _as_tensor(expected)
    dtype_names = [t.dtype._name for t in (actual_tensor, expected_tensor)]
    rtol, atol = _tolerances(dtype_names, options["rtol"], options["atol"], path)
    _check_attributes(actual_tensor, expected_tensor, path, options)
    actual_array, expected_array = _common_arrays(actual_tensor, expected_tensor)
    matches = _messages.isclose(actual_array, expected_array, rtol, atol, options["equal_nan"])
    if bool(np.all(matches)):
        return
    if actual_array.shape == ():
        message = _messages.scalar_mismatch(
            actual_array.item(), expected_array.item(), rtol=rtol, atol=atol
        )
    else:
        message = _messages.tensor_mismatch(
            actual_array, expected_array, np.asarray(matches), rtol=rtol, atol=atol
        )
    raise _Failure(AssertionError, message, path)


_COMPARE = {
    "none": _compare_none, "bool": _compare_bool, "number": _compare_number,
    "tensor": _compare_tensor,
}  # fmt: skip


def _classify(path, actual, expected, options):
    kind = _kind(actual, expected)
    if kind == "tensor":
        subclass_ok = options["allow_subclasses"] or type(actual) is type(expected)
        if not subclass_ok or _as_tensor(actual) is None or _as_tensor(expected) is None:
            kind = None
    if kind is None:
        message = (
            "No comparison pair was able to handle inputs of type "
            f"{_torch_type(actual)} and {_torch_type(expected)}."
        )
        raise _Failure(TypeError, message, path)
    if kind in ("number", "tensor") and (options["rtol"] is None) != (options["atol"] is None):
        _tolerances((), options["rtol"], options["atol"], path)
    return _COMPARE[kind]


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """torch.testing.assert_close: raise AssertionError naming where `actual` is not close."""
    __tracebackhide__ = True
    options = {
        "allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol,
        "equal_nan": equal_nan, "check_device": check_device, "check_dtype": check_dtype,
        "check_layout": check_layout, "check_stride": check_stride,
    }  # fmt: skip
    try:
        # Like torch: every pair is set up (and can refuse its inputs) before any is compared.
        leaves = _leaf_pairs(actual, expected, ())
        comparisons = [(_classify(*leaf, options), leaf) for leaf in leaves]
    except _Failure as failure:
        raise failure.to_error(None) from None
    for compare, (path, a, e) in comparisons:
        try:
            compare(a, e, path, options)
        except _Failure as failure:
            raise failure.to_error(msg) from None
