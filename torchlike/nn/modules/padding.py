"""torch.nn padding layers: constant/zero, reflection, replication and circular pads."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "ConstantPad1d", "ConstantPad2d",
           "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
           "ZeroPad1d", "ZeroPad2d"]  # fmt: skip


def _pads(padding, dims: int) -> tuple:
    return tuple(padding) if isinstance(padding, list | tuple) else (padding,) * (2 * dims)


class _PadNd(Module):
    """A pad of the last `_dims` dims in F.pad's order; subclasses pick the mode."""

    __constants__ = ["padding"]
    _dims, _mode = 1, "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _pads(padding, self._dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """torch.nn.ConstantPad1d: pads the last dim with a constant."""


class ConstantPad2d(_ConstantPadNd):
    """torch.nn.ConstantPad2d: pads the last two dims with a constant."""

    _dims = 2


class ZeroPad1d(ConstantPad1d):
    """torch.nn.ZeroPad1d: pads the last dim with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """torch.nn.ZeroPad2d: pads the last two dims with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """torch.nn.ReflectionPad1d: pads the last dim with its reflection."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """torch.nn.ReflectionPad2d: pads the last two dims with their reflection."""

    _dims, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """torch.nn.ReplicationPad1d: pads the last dim by repeating its edge."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """torch.nn.ReplicationPad2d: pads the last two dims by repeating their edges."""

    _dims, _mode = 2, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        ranks = (self._dims + 1, self._dims + 2)
        if input.dim() not in ranks:
            raise ValueError(
                f"expected {ranks[0]}D or {ranks[1]}D input (got {input.dim()}D input)"
            )
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """torch.nn.CircularPad1d: pads the last dim by wrapping around."""


class CircularPad2d(_CircularPadNd):
    """torch.nn.CircularPad2d: pads the last two dims by wrapping around."""

    _dims = 2
