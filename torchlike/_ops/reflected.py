"""Floor division and remainder with a Python number on the left: `3 // t`, `3 % t`.

torch runs these as its Scalar-Tensor overloads: the number takes part in type promotion but
is not a graph input, and neither overload has a derivative (grad_fn NotImplemented, whose
backward raises). Integer division by zero raises, as torch's integer kernels do.
"""

from __future__ import annotations

import numbers

import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor
from . import dispatch
from .pointwise import _refuse_bool, _refuse_integer_zero_divisor, no_derivative
from .registry import PROMOTE_BINARY, TABLE, op

_FLOOR_DIVIDE = no_derivative("aten::floor_divide", jnp.floor_divide)
_REMAINDER = no_derivative("aten::remainder", jnp.remainder)
_NUMBERS = (numbers.Number, np.number, np.bool_)


def _refuse_integer_zero(input, other) -> None:
    """torch's error for an integer division whose divisor (the tensor here) holds a zero."""
    _refuse_integer_zero_divisor(other, input)


_REFLECTED = dict(grad_fn="NotImplemented", tensors=("input", "other"), promote=PROMOTE_BINARY,
                  function=False, method=False, scalar_edges=False,
                  check=_refuse_integer_zero)  # fmt: skip


@op(aten="aten::floor_divide", **_REFLECTED)
def rfloordiv(input, other):
    """other // input for a Python number other (Tensor.__rfloordiv__)."""
    _refuse_bool(input, "div_floor_cpu")
    return _FLOOR_DIVIDE(other, input)


@op(aten="aten::remainder", **_REFLECTED)
def rremainder(input, other):
    """other % input for a Python number other (Tensor.__rmod__)."""
    _refuse_bool(input, "remainder_cpu")
    return _REMAINDER(other, input)


def operator(tensor_row: str, scalar_row: str):
    """Tensor.__r<op>__: the tensor row for a tensor on the left, the reflected row for a number."""

    def reflected(self, other):
        if isinstance(other, Tensor):
            return dispatch.call(TABLE[tensor_row], (other, self), {})
        if not isinstance(other, _NUMBERS):
            return NotImplemented
        return dispatch.call(TABLE[scalar_row], (self, other), {})

    return reflected
