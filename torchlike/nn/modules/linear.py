"""torch.nn.Linear and torch.nn.Identity."""

from __future__ import annotations

from ..._ops.creation import empty
from .. import functional as F
from ..parameter import Parameter
from ._utils import reset_weight_and_bias
from .module import Module

__all__ = ["Identity", "Linear"]


class Identity(Module):
    """torch.nn.Identity: returns its input; accepts and ignores any constructor arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """torch.nn.Linear: y = x @ weight.T + bias."""

    __constants__ = ["in_features", "out_features"]

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: kaiming_uniform_(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias."""
        reset_weight_and_bias(self.weight, self.bias, draw_bias_when_fan_in_is_zero=True)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
