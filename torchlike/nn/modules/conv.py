"""torch.nn.Conv1d/2d/3d and ConvTranspose1d/2d."""

from __future__ import annotations

from ..._ops.creation import empty
from .. import functional as F
from ..parameter import Parameter
from ._utils import reset_weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, dims: int) -> tuple:
    return tuple(value) if isinstance(value, list | tuple) else (value,) * dims


class _ConvNd(Module):
    """What Conv1d/2d/3d share: parameter shapes, torch's default init and repr."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]  # fmt: skip
    _dims = 0
    _transposed = False

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
        self.transposed, self.output_padding = self._transposed, (0,) * dims
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _reversed_pads(
            self.padding, self.kernel_size, self.dilation
        )
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
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
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)  # fmt: skip
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
        if self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


def _reversed_pads(padding, kernel_size, dilation) -> list[int]:
    """The F.pad list (last dim first, low and high) a non-zero padding_mode pads with."""
    if not isinstance(padding, str):
        return [p for p in reversed(padding) for _ in range(2)]
    pads = [0, 0] * len(kernel_size)
    if padding == "same":
        for i, (d, k) in enumerate(zip(reversed(dilation), reversed(kernel_size))):
            total = d * (k - 1)
            pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
    return pads


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


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d/2d share: (in, out/groups, k...) weights and output_size."""

    _transposed = True

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
        groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None,
    ) -> None:  # fmt: skip
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)  # fmt: skip
        self.output_padding = _tuple(output_padding, self._dims)

    def _output_padding(self, input, output_size) -> list[int]:
        """torch's output_padding that makes the result output_size (checked against the range)."""
        dims = self._dims
        if output_size is None:
            return list(self.output_padding)
        lead = 2 if input.dim() == dims + 2 else 1
        if len(output_size) == lead + dims:
            output_size = output_size[lead:]
        if len(output_size) != dims:
            raise ValueError(
                f"ConvTranspose{dims}D: for {input.dim()}D input, output_size must have {dims} "
                f"or {lead + dims} elements (got {len(output_size)})"
            )
        low = [(input.size(d + lead) - 1) * s - 2 * p + dl * (k - 1) + 1
               for d, (s, p, dl, k) in enumerate(zip(self.stride, self.padding, self.dilation,
                                                     self.kernel_size))]  # fmt: skip
        high = [m + s - 1 for m, s in zip(low, self.stride)]
        for size, lo, hi in zip(output_size, low, high):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{low} to {high} (for an input of {input.size()[lead:]})"
                )
        return [size - lo for size, lo in zip(output_size, low)]

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        conv = getattr(F, f"conv_transpose{self._dims}d")
        return conv(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                    self.groups, self.dilation)  # fmt: skip


class ConvTranspose1d(_ConvTransposeNd):
    """torch.nn.ConvTranspose1d: the gradient of Conv1d with respect to its input, as a layer."""

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """torch.nn.ConvTranspose2d: the gradient of Conv2d with respect to its input, as a layer."""

    _dims = 2
