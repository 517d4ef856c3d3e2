"""torch.nn.functional pooling: max/avg pools and adaptive pools over the op-table rows."""

from __future__ import annotations

from ..._ops.dispatch import call
from ..._ops.registry import TABLE

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices", "avg_pool1d", "avg_pool2d", "max_pool1d",
    "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices",
]  # fmt: skip


def _row(name: str, *args):
    return call(TABLE[name], args, {})


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):  # fmt: skip
    """torch.nn.functional.max_pool1d."""
    return _row("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices)  # fmt: skip


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):  # fmt: skip
    """torch.nn.functional.max_pool2d."""
    return _row("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices)  # fmt: skip


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):  # fmt: skip
    """torch.nn.functional.max_pool1d_with_indices: the pool and the argmax positions."""
    return _row("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):  # fmt: skip
    """torch.nn.functional.max_pool2d_with_indices: the pool and the argmax positions."""
    return _row("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):  # fmt: skip
    """torch.nn.functional.avg_pool1d."""
    return _row("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):  # fmt: skip
    """torch.nn.functional.avg_pool2d."""
    return _row("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override)  # fmt: skip


def adaptive_avg_pool1d(input, output_size):
    """torch.nn.functional.adaptive_avg_pool1d."""
    return _row("adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """torch.nn.functional.adaptive_avg_pool2d."""
    return _row("adaptive_avg_pool2d", input, output_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool2d."""
    return _row("adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool2d_with_indices."""
    return _row("adaptive_max_pool2d", input, output_size, True)
