"""The op table and what is generated from it: torch.* functions, Tensor methods, in-place
variants and Python operators. Adding an op is adding a row in one of the family modules.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from . import conv, conversion, creation, indexing, linalg, pointwise, reduction, shape  # noqa: F401
from . import reflected, scatter_gather  # noqa: F401
from . import activation, embedding, loss, normalization, padding, pooling, rnn, sorting  # noqa: F401
from .dispatch import call
from .inplace import call_inplace
from .out_overloads import refuse_out
from .registry import TABLE

FUNCTIONS: dict = {}


def _function(row):
    def function(*args, out=None, **kwargs):
        if out is not None:
            refuse_out(row.name, args, kwargs)
        result = call(row, args, kwargs)
        return result if out is None else _write_out(out, result)

    function.__name__ = function.__qualname__ = row.name
    function.__doc__ = f"torch.{row.name}."
    return function


def _method(row):
    def method(self, *args, **kwargs):
        return call(row, (self, *args), kwargs)

    method.__name__ = method.__qualname__ = row.name
    method.__doc__ = f"Tensor.{row.name}."
    return method


def _inplace_method(row):
    def method(self, *args, **kwargs):
        return call_inplace(row, self, args, kwargs)

    method.__name__ = method.__qualname__ = f"{row.name}_"
    method.__doc__ = f"Tensor.{row.name}_."
    return method


def _inplace_function(row):
    def function(input, *args, **kwargs):
        return call_inplace(row, input, args, kwargs)

    function.__name__ = function.__qualname__ = f"{row.name}_"
    return function


def _write_out(out: Tensor, result: Tensor) -> Tensor:
    """out= : the result is written into `out` (resized when its shape differs)."""
    if out.shape == result.shape:
        out._write(result._value.astype(out._value.dtype))
    else:
        out._storage.array = result._value.astype(out._value.dtype)
        out._storage.version += 1
    return out


for _row in TABLE.values():
    if _row.function:
        FUNCTIONS[_row.name] = _function(_row)
    if _row.method:
        setattr(Tensor, _row.name, _method(_row))
    if _row.inplace:
        setattr(Tensor, f"{_row.name}_", _inplace_method(_row))
    if _row.inplace_function:
        FUNCTIONS[f"{_row.name}_"] = _inplace_function(_row)


# ----- Python operators ------------------------------------------------------------------------
def _wrapped_scalar(value, like: Tensor) -> Tensor:
    """A Python number as the 0-d tensor torch wraps it in."""
    return creation.tensor(value, dtype=dt.scalar_dtype(value), device=like.device)


def _operand(value) -> bool:
    return value.__class__ is Tensor or isinstance(
        value, Tensor | numbers.Number | np.number | np.bool_
    )


def _binary(name, reflected=False):
    row = TABLE[name]

    def operator(self, other):
        if not _operand(other):
            return NotImplemented
        if reflected:
            other = other if isinstance(other, Tensor) else _wrapped_scalar(other, self)
            return call(row, (other, self), {})
        return call(row, (self, other), {})

    return operator


def _commutative(name):
    row = TABLE[name]

    def operator(self, other):
        if not _operand(other):
            return NotImplemented
        return call(row, (self, other), {})

    return operator


def _inplace_operator(name):
    row = TABLE[name]

    def operator(self, other):
        return call_inplace(row, self, (other,), {})

    return operator


def _rsub(self, other):
    if not _operand(other):
        return NotImplemented
    return call(TABLE["rsub"], (self, other), {})


def _rtruediv(self, other):
    if not _operand(other):
        return NotImplemented
    return self.reciprocal() * other


def _rpow(self, other):
    if not _operand(other):
        return NotImplemented
    if isinstance(other, Tensor):
        return call(TABLE["pow"], (other, self), {})
    return call(TABLE["pow_scalar_base"], (self,), {"base": other})


def _compare(name):
    row = TABLE[name]

    def operator(self, other):
        if not _operand(other):
            return NotImplemented if name not in ("eq", "ne") else (name == "ne")
        return call(row, (self, other), {})

    return operator


_OPERATORS = {
    "__add__": _commutative("add"), "__radd__": _commutative("add"),
    "__sub__": _binary("sub"), "__rsub__": _rsub,
    "__mul__": _commutative("mul"), "__rmul__": _commutative("mul"),
    "__truediv__": _binary("div"), "__rtruediv__": _rtruediv,
    "__floordiv__": _binary("floor_divide"),
    "__rfloordiv__": reflected.operator("floor_divide", "rfloordiv"),
    "__mod__": _binary("remainder"), "__rmod__": reflected.operator("remainder", "rremainder"),
    "__pow__": _binary("pow"), "__rpow__": _rpow,
    "__matmul__": _binary("matmul"), "__rmatmul__": _binary("matmul", True),
    "__and__": _binary("bitwise_and"), "__rand__": _commutative("bitwise_and"),
    "__or__": _binary("bitwise_or"), "__ror__": _commutative("bitwise_or"),
    "__xor__": _binary("bitwise_xor"), "__rxor__": _commutative("bitwise_xor"),
    "__lshift__": _binary("bitwise_left_shift"),
    "__rlshift__": _binary("bitwise_left_shift", True),
    "__rshift__": _binary("bitwise_right_shift"),
    "__rrshift__": _binary("bitwise_right_shift", True),
    "__eq__": _compare("eq"), "__ne__": _compare("ne"), "__lt__": _compare("lt"),
    "__le__": _compare("le"), "__gt__": _compare("gt"), "__ge__": _compare("ge"),
    "__iadd__": _inplace_operator("add"), "__isub__": _inplace_operator("sub"),
    "__imul__": _inplace_operator("mul"), "__itruediv__": _inplace_operator("div"),
    "__ifloordiv__": _inplace_operator("floor_divide"),
    "__imod__": _inplace_operator("remainder"), "__ipow__": _inplace_operator("pow"),
    "__iand__": _inplace_operator("bitwise_and"), "__ior__": _inplace_operator("bitwise_or"),
    "__ixor__": _inplace_operator("bitwise_xor"),
    "__ilshift__": _inplace_operator("bitwise_left_shift"),
    "__irshift__": _inplace_operator("bitwise_right_shift"),
    "__neg__": lambda self: call(TABLE["neg"], (self,), {}),
    "__pos__": lambda self: self,
    "__abs__": lambda self: call(TABLE["abs"], (self,), {}),
    "__invert__": lambda self: call(TABLE["bitwise_not"], (self,), {}),
    "__getitem__": indexing.getitem,
    "__setitem__": indexing.setitem,
}  # fmt: skip
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)
Tensor.__hash__ = lambda self: id(self)


# ----- methods composed from rows --------------------------------------------------------------
def _expand_as(self, other):
    return self.expand(*other.shape)


def _view_as(self, other):
    return self.view(*other.shape)


def _reshape_as(self, other):
    return self.reshape(*other.shape)


def _contiguous(self, memory_format=None):
    return self if self.is_contiguous() else self.clone()


def _new_factory(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*size, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad)  # fmt: skip

    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, dtype=dtype or self.dtype,
                         device=device or self.device, requires_grad=requires_grad)  # fmt: skip


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad)  # fmt: skip


def _clip(self, min=None, max=None):
    return self.clamp(min, max)


def _equal(self, other):
    from .._toplevel import equal

    return equal(self, other)


def _allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    from .._toplevel import allclose

    return allclose(self, other, rtol, atol, equal_nan)


def _where(self, condition, other):
    """Tensor.where(condition, y) is torch.where(condition, self, y)."""
    return FUNCTIONS["where"](condition, self, other)


_COMPOSED = {
    "expand_as": _expand_as, "view_as": _view_as, "reshape_as": _reshape_as,
    "contiguous": _contiguous, "new_zeros": _new_factory(creation.zeros),
    "new_ones": _new_factory(creation.ones), "new_empty": _new_factory(creation.empty),
    "new_full": _new_full, "new_tensor": _new_tensor, "clip": _clip, "where": _where,
    "equal": _equal, "allclose": _allclose,
    "T": property(lambda self: self.permute(*reversed(range(self.ndim)))),
    "mT": property(lambda self: self.transpose(-2, -1)),
    "absolute_": Tensor.abs_,
    "multiply": Tensor.mul, "multiply_": Tensor.mul_, "subtract": Tensor.sub,
    "subtract_": Tensor.sub_, "divide": Tensor.div, "divide_": Tensor.div_,
    "greater_than": Tensor.gt, "less_than": Tensor.lt, "arctan2": Tensor.atan2,
    "flatten": shape.flatten_or_self, "take_along_dim": scatter_gather.take_along_dim,
}  # fmt: skip
for _name, _fn in _COMPOSED.items():
    setattr(Tensor, _name, _fn)

FUNCTIONS.update(
    clip=FUNCTIONS["clamp"], multiply=FUNCTIONS["mul"], subtract=FUNCTIONS["sub"],
    divide=FUNCTIONS["div"], arctan2=FUNCTIONS["atan2"], flatten=shape.flatten_or_self,
    take_along_dim=scatter_gather.take_along_dim,
)  # fmt: skip

from .._missing import install_tensor_getattr  # noqa: E402

install_tensor_getattr(Tensor)  # missing Tensor.X names the torch API and the coverage table
