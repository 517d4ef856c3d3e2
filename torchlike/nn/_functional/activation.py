"""torch.nn.functional activations: leaky_relu, elu, gelu, softplus, hardtanh, ... and their
in-place forms (`F.elu_(x)` or `F.elu(x, inplace=True)`).

Each calls the op-table row torch's own function reaches, so the grad_fn is torch's; torch
numbers an in-place overload's node after the out-of-place one (EluBackward1), and so do we.
"""

from __future__ import annotations

import warnings

from ..._ops.dispatch import call
from ..._ops.inplace import call_inplace
from ..._ops.registry import TABLE
from ..._tensor import Tensor

__all__ = [
    "celu", "celu_", "elu", "elu_", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "logsigmoid", "mish", "prelu",
    "relu6", "selu", "selu_", "silu", "softmin", "softplus", "softshrink", "softsign",
    "tanhshrink", "threshold", "threshold_",
]  # fmt: skip


def _apply(name: str, input: Tensor, *args, inplace: bool = False, inplace_name=None) -> Tensor:
    """Run row `name` on input (in place when asked, recording `inplace_name` as grad_fn)."""
    if inplace:
        return call_inplace(TABLE[name], input, args, {}, grad_fn_name=inplace_name)
    return call(TABLE[name], (input, *args), {})


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """torch.nn.functional.threshold: input where input > threshold, else value."""
    return _apply(
        "threshold", input, threshold, value, inplace=inplace, inplace_name="ThresholdBackward1"
    )


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """torch.nn.functional.threshold_."""
    return _apply(
        "threshold", input, threshold, value, inplace=True, inplace_name="ThresholdBackward1"
    )


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """torch.nn.functional.hardtanh: clamp to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply("hardtanh", input, min_val, max_val, inplace=inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """torch.nn.functional.hardtanh_."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.relu6: hardtanh(input, 0, 6)."""
    return _apply("hardtanh", input, 0.0, 6.0, inplace=inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """torch.nn.functional.elu."""
    return _apply("elu", input, alpha, inplace=inplace, inplace_name="EluBackward1")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """torch.nn.functional.elu_."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.selu."""
    return _apply("selu", input, inplace=inplace, inplace_name="EluBackward1")


def selu_(input: Tensor) -> Tensor:
    """torch.nn.functional.selu_."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """torch.nn.functional.celu."""
    return _apply("celu", input, alpha, inplace=inplace, inplace_name="CeluBackward1")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """torch.nn.functional.celu_."""
    return celu(input, alpha, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """torch.nn.functional.leaky_relu."""
    return _apply(
        "leaky_relu", input, negative_slope, inplace=inplace, inplace_name="LeakyReluBackward1"
    )


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """torch.nn.functional.leaky_relu_."""
    return leaky_relu(input, negative_slope, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """torch.nn.functional.gelu (exact erf form, or approximate='tanh')."""
    return call(TABLE["gelu"], (input,), {"approximate": approximate})


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.silu: x * sigmoid(x)."""
    return _apply("silu", input, inplace=inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.mish: x * tanh(softplus(x))."""
    return _apply("mish", input, inplace=inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.hardswish."""
    return _apply("hardswish", input, inplace=inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.hardsigmoid."""
    return _apply("hardsigmoid", input, inplace=inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """torch.nn.functional.softplus: log(1 + exp(beta * x)) / beta, linear past threshold."""
    return call(TABLE["softplus"], (input, beta, threshold), {})


def logsigmoid(input: Tensor) -> Tensor:
    """torch.nn.functional.logsigmoid."""
    return call(TABLE["log_sigmoid"], (input,), {})


def softsign(input: Tensor) -> Tensor:
    """torch.nn.functional.softsign: x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """torch.nn.functional.tanhshrink: x - tanh(x)."""
    return input - input.tanh()


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """torch.nn.functional.hardshrink."""
    return call(TABLE["hardshrink"], (input, lambd), {})


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """torch.nn.functional.softshrink."""
    return call(TABLE["softshrink"], (input, lambd), {})


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """torch.nn.functional.glu: first half * sigmoid(second half) along dim."""
    return call(TABLE["glu"], (input, dim), {})


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """torch.nn.functional.prelu."""
    return call(TABLE["prelu"], (input, weight), {})


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """torch.nn.functional.softmin: softmax(-input)."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument.",
            stacklevel=_stacklevel,
        )
        dim = 0 if input.dim() in (0, 1, 3) else 1
    negated = -input
    return negated.softmax(dim) if dtype is None else negated.softmax(dim, dtype=dtype)
