"""Padding and resampling: constant/reflect/replicate/circular pads, nearest/linear upsampling."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .registry import op

_INTERNAL = dict(function=False, method=False)


def check_pad_length(pad, ndim: int) -> None:
    """torch.nn.functional.pad's checks of the pad list against the input's rank."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {ndim}"
        )


def _pairs(pad, ndim: int) -> list[tuple[int, int]]:
    """torch's pad list (last dim first) as one (low, high) pair per dim of the input."""
    pad = list(pad)
    given = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)][::-1]
    return [(0, 0)] * (ndim - len(given)) + given


@op(grad_fn="ConstantPadNdBackward0", method=False)
def constant_pad_nd(input, pad, value=0):
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Length of pad should be no more than twice the number of dimensions of the input. "
            f"Pad length is {len(pad)}while the input has {input.ndim}dimensions."
        )
    pairs = _pairs(pad, input.ndim)
    for size, (low, high) in zip(input.shape, pairs):
        if size + low + high < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    fill = jnp.asarray(value, input.dtype)
    return jax.lax.pad(input, fill, [(low, high, 0) for low, high in pairs])


def _crop_negative(input, pairs):
    """Drop what negative pads remove; the remaining pads are all >= 0."""
    index = tuple(slice(max(-low, 0), size - max(-high, 0))
                  for size, (low, high) in zip(input.shape, pairs))  # fmt: skip
    return input[index], [(max(low, 0), max(high, 0)) for low, high in pairs]


def _check_mode_dims(input, pad) -> None:
    dims = len(pad) // 2
    if len(pad) % 2 or dims > 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )


def _pad_mode(jax_mode: str):
    def impl(input, pad):
        check_pad_length(pad, input.ndim)
        _check_mode_dims(input, pad)
        pairs = _pairs(pad, input.ndim)
        if jax_mode == "reflect":
            for dim, (size, (low, high)) in enumerate(zip(input.shape, pairs)):
                if low >= size or high >= size:
                    raise RuntimeError(
                        f"Argument #{2 * (input.ndim - dim) + 2}: Padding size should be less than "
                        "the corresponding input dimension, but got: padding "
                        f"({low}, {high}) at dimension {dim} of input "
                        f"[{', '.join(map(str, input.shape))}]"
                    )
        if jax_mode == "wrap" and any(lo > n or hi > n for n, (lo, hi) in zip(input.shape, pairs)):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        cropped, pairs = _crop_negative(input, pairs)
        return jnp.pad(cropped, pairs, mode=jax_mode)

    return impl


def _mode_name(kind: str):
    def name(args, kwargs) -> str:
        pad = args[1] if len(args) > 1 else kwargs["pad"]
        return f"{kind}{len(pad) // 2}DBackward0"

    return name


op("reflection_pad", grad_fn=_mode_name("ReflectionPad"), **_INTERNAL)(_pad_mode("reflect"))
op("replication_pad", grad_fn=_mode_name("ReplicationPad"), **_INTERNAL)(_pad_mode("edge"))
# torch builds a circular pad by copying slices into a new tensor
op("circular_pad", grad_fn="CopySlices", **_INTERNAL)(_pad_mode("wrap"))


# ----- upsampling --------------------------------------------------------------------------------
def upsample_size(size: int, out, scale) -> int:
    return out if out is not None else math.floor(size * scale)


def _scale(size: int, out: int, scale, dtype):
    """torch's compute_scales_value: 1/scale_factor when given, else in/out, in the op's float."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(size) / dtype(out)


def nearest_source(size: int, out: int, scale, exact: bool) -> np.ndarray:
    """Source index of each output position (torch's nearest / nearest-exact rule, in float32)."""
    positions = np.arange(out)
    if not exact and out == size:
        return positions
    if not exact and out == 2 * size:
        return positions >> 1
    step = _scale(size, out, scale, np.float32)
    offset = np.float32(0.5) if exact else np.float32(0.0)
    source = np.floor((positions.astype(np.float32) + offset) * step).astype(np.int64)
    return np.minimum(source, size - 1)


def _spatial(input, output_size, scales):
    dims = len(output_size)
    sizes = input.shape[-dims:]
    scales = scales or (None,) * dims
    outs = [upsample_size(n, o, s) for n, o, s in zip(sizes, output_size, scales)]
    return sizes, outs, scales


@op(grad_fn=lambda args, kwargs: f"UpsampleNearest{'Exact' if args[3] else ''}"
    f"{len(args[1])}DBackward0", **_INTERNAL)  # fmt: skip
def upsample_nearest(input, output_size, scales, exact):
    """Nearest-neighbour resampling of the last len(output_size) dims."""
    sizes, outs, scales = _spatial(input, output_size, scales)
    dims = len(sizes)
    out = input
    for d, (n, o, s) in enumerate(zip(sizes, outs, scales)):
        out = jnp.take(out, nearest_source(n, o, s, exact), axis=input.ndim - dims + d)
    return out


def linear_weights(size, out, scale, align_corners, dtype):
    """(low index, high index, low weight, high weight) per output position, as torch computes."""
    positions = np.arange(out)
    if align_corners:
        step = dtype(size - 1) / dtype(out - 1) if out > 1 else dtype(0)
        source = positions.astype(dtype) * step
    else:
        step = _scale(size, out, scale, dtype)
        source = np.maximum(step * (positions.astype(dtype) + dtype(0.5)) - dtype(0.5), 0)
    low = source.astype(np.int64)
    high = low + (low < size - 1)
    high_weight = np.clip(source - low.astype(dtype), 0, 1).astype(dtype)
    return low, high, (dtype(1) - high_weight).astype(dtype), high_weight


def _linear_name(args, kwargs) -> str:
    return "UpsampleLinear1DBackward0" if len(args[1]) == 1 else "UpsampleBilinear2DBackward0"


@op(grad_fn=_linear_name, **_INTERNAL)
def upsample_linear(input, output_size, align_corners, scales):
    """Linear (1-d) or bilinear (2-d) resampling, one dim at a time from the first."""
    sizes, outs, scales = _spatial(input, output_size, scales)
    dtype = np.float64 if input.dtype == jnp.float64 else np.float32
    dims = len(sizes)
    out = input
    for d in reversed(range(dims)):  # torch's weights nest: the first dim's weights outermost
        low, high, w_low, w_high = linear_weights(sizes[d], outs[d], scales[d], align_corners,
                                                  dtype)  # fmt: skip
        axis = input.ndim - dims + d
        shape = [1] * (input.ndim - axis - 1)
        w_low = jnp.asarray(w_low.reshape(-1, *shape), input.dtype)
        w_high = jnp.asarray(w_high.reshape(-1, *shape), input.dtype)
        out = jnp.take(out, low, axis=axis) * w_low + jnp.take(out, high, axis=axis) * w_high
    return out


def cubic_weights(size, out, scale, align_corners, dtype):
    """Four source indices and cubic-convolution weights (A = -0.75) per output position."""
    positions = np.arange(out).astype(dtype)
    if align_corners:
        step = dtype(size - 1) / dtype(out - 1) if out > 1 else dtype(0)
        source = positions * step
    else:  # a cubic source position is not clamped at 0
        source = _scale(size, out, scale, dtype) * (positions + dtype(0.5)) - dtype(0.5)
    base = np.minimum(np.floor(source).astype(np.int64), size - 1)
    t = np.clip(source - base.astype(dtype), 0, 1).astype(dtype)
    a = dtype(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1).astype(dtype)
    taps = np.clip(base[:, None] + np.arange(-1, 3)[None, :], 0, size - 1)
    return taps, weights


@op(grad_fn="UpsampleBicubic2DBackward0", **_INTERNAL)
def upsample_bicubic2d(input, output_size, align_corners, scales):
    """Bicubic resampling of the last two dims, one dim at a time from the first."""
    sizes, outs, scales = _spatial(input, output_size, scales)
    dtype = np.float64 if input.dtype == jnp.float64 else np.float32
    out = input
    for d in reversed(range(2)):  # the first dim's weights outermost, as torch nests them
        taps, weights = cubic_weights(sizes[d], outs[d], scales[d], align_corners, dtype)
        axis = input.ndim - 2 + d
        tail = [1] * (input.ndim - axis - 1)
        terms = [
            jnp.take(out, taps[:, j], axis=axis)
            * jnp.asarray(weights[:, j].reshape(-1, *tail), input.dtype)
            for j in range(4)
        ]
        out = terms[0] + terms[1] + terms[2] + terms[3]
    return out
