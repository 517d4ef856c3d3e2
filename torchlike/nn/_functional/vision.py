"""torch.nn.functional pad and interpolate (upsample) over the op-table rows."""

from __future__ import annotations

import numbers

from ..._ops.dispatch import call
from ..._ops.padding import check_pad_length
from ..._ops.registry import TABLE

__all__ = ["interpolate", "pad"]

_PAD_ROWS = {"reflect": "reflection_pad", "replicate": "replication_pad",
             "circular": "circular_pad"}  # fmt: skip


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: constant, reflect, replicate or circular padding."""
    pad = list(pad)
    check_pad_length(pad, input.dim())
    if mode == "constant":
        return call(TABLE["constant_pad_nd"], (input, pad, 0 if value is None else value), {})
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode not in _PAD_ROWS:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return call(TABLE[_PAD_ROWS[mode]], (input, pad), {})


_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _per_dim(value, dims: int, what: str, input) -> list:
    if not isinstance(value, list | tuple):
        return [value] * dims
    if len(value) != dims:
        spatial = list(input.shape[2:])
        if what == "size":
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {spatial} and output size of {value}. Please provide "
                "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                "format."
            )
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {spatial} and scale_factor of shape {value}. "
            "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
            "(s1, s2, ...,sK) format."
        )
    return list(value)


def _sizes_and_scales(input, size, scale_factor, recompute_scale_factor):
    dims = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if size is not None:
        sizes = _per_dim(size, dims, "size", input)
        if not all(isinstance(s, numbers.Integral) for s in sizes):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                f"Tuple[int, int, int], but got size with types {[type(s) for s in sizes]}"
            )
        return sizes, None
    scales = _per_dim(scale_factor, dims, "scale_factor", input)
    if recompute_scale_factor:
        return [int(input.size(i + 2) * s) for i, s in enumerate(scales)], None
    return [None] * dims, scales


def _check_mode(input, mode: str, align_corners, antialias) -> None:
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("torchlike: torch.nn.functional.interpolate(antialias=True) "
                                  "is not supported")  # fmt: skip
    wrong_rank = mode == "bicubic" and input.dim() != 4
    if input.dim() not in (3, 4, 5) or mode not in _MODES.split(" | ") or wrong_rank:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: {_MODES} (got {mode})"
        )
    if mode in _NEEDS and input.dim() != _NEEDS[mode]:
        raise NotImplementedError(
            f"Got {input.dim()}D input, but {mode} mode needs {_NEEDS[mode]}D input"
        )


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):  # fmt: skip
    """torch.nn.functional.interpolate: nearest, nearest-exact, (bi)linear and area resampling."""
    _check_mode(input, mode, align_corners, antialias)
    sizes, scales = _sizes_and_scales(input, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

        if input.dim() == 5:
            raise NotImplementedError("torchlike: interpolate(mode='area') on 5-d input")
        sizes = sizes if scales is None else [int(n * s) for n, s in zip(input.shape[2:], scales)]
        pool = adaptive_avg_pool1d if input.dim() == 3 else adaptive_avg_pool2d
        return pool(input, sizes if len(sizes) > 1 else sizes[0])
    if mode == "bicubic":
        args = (input, sizes, bool(align_corners), scales)
        return call(TABLE["upsample_bicubic2d"], args, {})
    if input.dim() == 5:
        raise NotImplementedError(
            f"torchlike: torch.nn.functional.interpolate(mode='{mode}') on {input.dim()}-d input "
            "is not supported"
        )
    if mode in ("nearest", "nearest-exact"):
        return call(TABLE["upsample_nearest"], (input, sizes, scales, mode != "nearest"), {})
    return call(TABLE["upsample_linear"], (input, sizes, bool(align_corners), scales), {})
