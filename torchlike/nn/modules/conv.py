"""torch.nn.Conv1d, Conv2d and Conv3d."""

from __future__ import annotations

from ..._ops.creation import empty
from .. import functional as F
from ..parameter import Parameter
from ._utils import reset_weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, dims: int) -> tuple:
    return tuple(value) if isinstance(value, list | tuple) else (value,) * dims


class _ConvNd(Module):
    """What Conv1d/2d/3d share: parameter shapes, torch's default init and repr."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]  # fmt: skip
    _dims = 0

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
        bias=True, padding_mode="zeros", device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        dims = self._dims
        _check_arguments(in_channels, out_channels, groups, padding, stride, padding_mode, dims)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _tuple(kernel_size, dims), _tuple(stride, dims)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, dims)
        self.dilation = _tuple(dilation, dims)
        self.transposed, self.output_padding = False, (0,) * dims
        self.padding_mode = padding_mode
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"torchlike does not implement torch.nn.{type(self).__name__} with "
                f"padding_mode='{padding_mode}' yet; use padding_mode='zeros'"
            )
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: kaiming_uniform_(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias."""
        reset_weight_and_bias(self.weight, self.bias, draw_bias_when_fan_in_is_zero=False)

    def forward(self, input):
        conv = getattr(F, f"conv{self._dims}d")
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)  # fmt: skip

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


def _check_arguments(in_channels, out_channels, groups, padding, stride, padding_mode, dims):
    """torch's constructor errors, in torch's order."""
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(
                f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}"
            )
        if padding == "same" and any(s != 1 for s in _tuple(stride, dims)):
            raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            f"padding_mode must be one of {{'zeros', 'reflect', 'replicate', 'circular'}}, but "
            f"got padding_mode='{padding_mode}'"
        )


class Conv1d(_ConvNd):
    """torch.nn.Conv1d: 1-d cross-correlation over (N, C, L) inputs."""

    _dims = 1


class Conv2d(_ConvNd):
    """torch.nn.Conv2d: 2-d cross-correlation over (N, C, H, W) inputs."""

    _dims = 2


class Conv3d(_ConvNd):
    """torch.nn.Conv3d: 3-d cross-correlation over (N, C, D, H, W) inputs."""

    _dims = 3
