"""Pooling: max/avg pools (with indices, ceil_mode, dilation, padding) and adaptive pools.

Every pool gathers its windows with static index arrays (one per spatial dim: output position
x kernel slot), masks the slots that fall in the padding, and reduces the last axis, so JAX's
gradient of the gather scatters back as torch's pooling backward does (a max goes to the
first maximal element of its window).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .reduction import type_word
from .registry import op

_POOL = dict(method=False)


def _sizes(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _ints(name: str, value, dims: int, fn: str) -> tuple[int, ...]:
    values = (value,) if isinstance(value, int) else tuple(value)
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of two ints")
    return values


def _stride_or_kernel(stride, kernel, dims, fn):
    if stride is None or (isinstance(stride, list | tuple) and len(stride) == 0):
        return kernel
    return _ints("stride", stride, dims, fn)


def output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil: bool) -> int:
    """torch's pooling_output_shape (a ceil-mode window must start inside the padded input)."""
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def window_indices(size, kernel, stride, pad, dilation, out):
    """(index, valid) arrays of shape (out, kernel): which input element each slot reads."""
    idx = np.arange(out)[:, None] * stride - pad + np.arange(kernel)[None, :] * dilation
    valid = (idx >= 0) & (idx < size)
    return np.clip(idx, 0, max(size - 1, 0)), valid


def gather_windows(x, windows):
    """x (..., *spatial) -> (..., *out, slots), with the flat spatial index and validity per slot.

    `windows` holds one (index, valid) pair of (out, kernel) arrays per spatial dim.
    """
    dims = len(windows)
    spatial = x.shape[x.ndim - dims :]
    index_arrays, flat, valid = [], np.zeros((), np.int64), np.ones((), bool)
    for d, (idx, ok) in enumerate(windows):
        shape = [1] * (2 * dims)
        shape[2 * d], shape[2 * d + 1] = idx.shape
        index_arrays.append(idx.reshape(shape))
        flat = flat * spatial[d] + idx.reshape(shape)
        valid = valid & ok.reshape(shape)
    slots = x[(Ellipsis, *index_arrays)]  # (..., o1, k1, o2, k2, ...)
    full = [n for idx, _ in windows for n in idx.shape]
    lead = slots.ndim - 2 * dims
    order = [2 * d for d in range(dims)] + [2 * d + 1 for d in range(dims)]
    outs = [idx.shape[0] for idx, _ in windows]
    slots = slots.transpose(*range(lead), *(lead + o for o in order))
    slots = slots.reshape(*slots.shape[:lead], *outs, math.prod(idx.shape[1] for idx, _ in windows))

    def arrange(a):
        return np.broadcast_to(a, full).transpose(order).reshape(*outs, -1)

    return slots, arrange(flat), arrange(valid)


def _lowest(dtype):
    return -np.inf if jnp.issubdtype(dtype, jnp.floating) else np.iinfo(dtype).min


def reduce_windows(x, geometry, kind: str):
    """Max or sum over each window with one lax.reduce_window (padding never wins a max).

    geometry holds (size, kernel, stride, pad, dilation, out) per spatial dim.
    """
    lead = x.ndim - len(geometry)
    pads, window, strides, dilation = [(0, 0)] * lead, [1] * lead, [1] * lead, [1] * lead
    for size, k, s, p, d, out in geometry:
        pads.append((p, max((out - 1) * s + d * (k - 1) + 1 - size - p, 0)))
        window.append(k), strides.append(s), dilation.append(d)
    init, fn = (_lowest(x.dtype), jax.lax.max) if kind == "max" else (0, jax.lax.add)
    out = jax.lax.reduce_window(x, np.asarray(init, x.dtype), fn, window, strides, pads,
                                window_dilation=dilation)  # fmt: skip
    return out[(Ellipsis, *(slice(0, g[5]) for g in geometry))]


@functools.partial(jax.jit, static_argnums=1)
def max_over_windows(x, plan):
    """Max of each window (padding never wins) and the flat spatial index of the first max.

    plan is ("pool", geometry per dim) or ("adaptive", (size, out) per dim); one jitted
    program, so a first call compiles once rather than once per primitive.
    """
    kind, dims = plan
    windows = [window_indices(*g) if kind == "pool" else adaptive_windows(*g) for g in dims]
    slots, flat, valid = gather_windows(x, windows)
    masked = jnp.where(valid, slots, jnp.asarray(_lowest(x.dtype), x.dtype))
    best = jnp.argmax(masked, axis=-1)[..., None]  # first maximum; a NaN counts as the maximum
    values = jnp.take_along_axis(masked, best, axis=-1)[..., 0]
    indices = jnp.take_along_axis(jnp.broadcast_to(flat, masked.shape), best, axis=-1)[..., 0]
    return values, indices.astype(jnp.int64)


# ----- max_pool2d / avg_pool2d checks (torch's pool2d_shape_check and friends) -------------------
def _check_pads(kernel, pad, dilation) -> None:
    if any(p < 0 for p in pad):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(pad)}")
    for k, p, d in zip(kernel, pad, dilation):
        if p > k // 2:
            raise RuntimeError(
                "pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}"
            )


def _check_shape(input, kernel, stride, dilation, outs) -> None:
    if any(k <= 0 for k in kernel):
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}"
        )
    if any(s <= 0 for s in stride):
        raise RuntimeError(
            f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}"
        )
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            "dilation should be greater than zero, but got dilationH: "
            f"{dilation[0]} dilationW: {dilation[1]}"
        )
    if input.ndim not in (3, 4) or any(n == 0 for n in input.shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{_sizes(input.shape)}"
        )
    if any(o < 1 for o in outs):
        planes = input.shape[-3]
        given = "x".join(map(str, (planes, *input.shape[-2:])))
        raise RuntimeError(
            f"Given input size: ({given}). Calculated output size: "
            f"({'x'.join(map(str, (planes, *outs)))}). Output size is too small"
        )


def _geometry2d(input, kernel_size, stride, padding, dilation, ceil_mode, fn):
    """Window index arrays of a 2-d pool, after torch's argument and shape checks."""
    kernel = _ints("kernel_size", kernel_size, 2, fn)
    stride = _stride_or_kernel(stride, kernel, 2, fn)
    pad, dilation = _ints("padding", padding, 2, fn), _ints("dilation", dilation, 2, fn)
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    _check_pads(kernel, pad, dilation)
    spatial = input.shape[-2:] if input.ndim >= 2 else (1, 1)
    geometry = list(zip(spatial, kernel, stride, pad, dilation))
    outs = [output_size(*g, ceil_mode) if min(g[1:3]) > 0 and g[4] > 0 else 0 for g in geometry]
    _check_shape(input, kernel, stride, dilation, outs)
    return [(*g, o) for g, o in zip(geometry, outs)], kernel, stride, pad


def _pick(values, indices, return_indices: bool):
    return (values, indices) if return_indices else values


@op(grad_fn="MaxPool2DWithIndicesBackward0", **_POOL)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):  # fmt: skip
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    geometry, *_ = _geometry2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                               "max_pool2d")  # fmt: skip
    return _max_pool(input, geometry, return_indices)


def _max_pool(input, geometry, return_indices: bool):
    if not return_indices and all(g[4] == 1 for g in geometry):
        return reduce_windows(input, geometry, "max")  # quick to compile; JAX has no dilated VJP
    return _pick(*max_over_windows(input, ("pool", tuple(geometry))), return_indices)


def _pool1d_param(name: str, value) -> int:
    values = (value,) if isinstance(value, int) else tuple(value)
    if len(values) != 1:
        raise RuntimeError(
            f"max_pool1d() {name} must be an int, list of ints or tuple of ints of size 1 but "
            f"got size {len(values)}"
        )
    return values[0]


def _max_pool1d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's max_pool1d checks, with its own wording, and the window index arrays."""
    if input.ndim not in (2, 3) or input.shape[-2] == 0 or input.shape[-1] == 0:
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{_sizes(input.shape)}"
        )
    k = _pool1d_param("kernel_size", kernel_size)
    empty = stride is None or (isinstance(stride, list | tuple) and len(stride) == 0)
    s = k if empty else _pool1d_param("stride", stride)
    p, d = _pool1d_param("padding", padding), _pool1d_param("dilation", dilation)
    for name, value in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if value <= 0:
            raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {value}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}"
        )
    out = output_size(input.shape[-1], k, s, p, d, ceil_mode)
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return [(input.shape[-1], k, s, p, d, out)]


@op(grad_fn="SqueezeBackward1", **_POOL)  # torch runs it as a 2-d pool over a height of 1
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):  # fmt: skip
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise NotImplementedError(
            f"\"max_pool1d_impl\" not implemented for '{type_word(input.dtype)}'"
        )
    geometry = _max_pool1d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, geometry, return_indices)


# ----- average pools -----------------------------------------------------------------------------
def _avg2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geometry, *_ = _geometry2d(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    return _avg_pool_with(input, geometry, count_include_pad, divisor_override)


def _avg_pool_with(input, geometry, count_include_pad, divisor_override):
    """Window sums over torch's divisor (the window clipped to the padded input, or to it)."""
    total = reduce_windows(input, geometry, "sum")
    if divisor_override is not None:
        divisor = np.asarray(divisor_override)
    else:
        spans = []
        for size, k, s, p, _, out in geometry:
            start = np.arange(out) * s - p
            end = np.minimum(start + k, size + p)
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, size)
            spans.append(np.maximum(end - start, 1))  # an empty window sums to 0 anyway
        divisor = np.multiply.outer(spans[0], spans[1])
    if jnp.issubdtype(input.dtype, jnp.integer):
        return jax.lax.div(
            total, jnp.broadcast_to(jnp.asarray(divisor, input.dtype), total.shape)
        )  # C++ integer division
    return total / jnp.asarray(divisor, input.dtype)


@op(grad_fn="AvgPool2DBackward0", function=False, **_POOL)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):  # fmt: skip
    return _avg2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override)  # fmt: skip


@op(grad_fn="SqueezeBackward1", **_POOL)  # torch runs it as a 2-d pool over a height of 1
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):  # fmt: skip
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)"
        )
    k = _ints("kernel_size", kernel_size, 1, "avg_pool1d")
    s = _stride_or_kernel(stride, k, 1, "avg_pool1d")
    out = _avg2d(input[..., None, :], (1, *k), (1, *s), (0, *_ints("padding", padding, 1, "")),
                 ceil_mode, count_include_pad, None)  # fmt: skip
    return out[..., 0, :]


# ----- adaptive pools ----------------------------------------------------------------------------
def adaptive_windows(size: int, out: int):
    """torch's adaptive bins: [floor(o*size/out), ceil((o+1)*size/out)), padded to one width."""
    starts = [(o * size) // out for o in range(out)]
    ends = [-((-(o + 1) * size) // out) for o in range(out)]
    width = max((e - s for s, e in zip(starts, ends)), default=1)
    idx = np.asarray(starts)[:, None] + np.arange(width)[None, :]
    valid = idx < np.asarray(ends)[:, None]
    return np.clip(idx, 0, max(size - 1, 0)).reshape(out, width), valid.reshape(out, width)


def _output_sizes(output_size, input, dims: int, fn: str) -> tuple[int, ...]:
    sizes = (output_size,) * dims if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != dims:
        raise RuntimeError(f"{fn}: output_size must be {dims}")
    return tuple(input.shape[-dims + i] if s is None else s for i, s in enumerate(sizes))


def _check_adaptive(input, dims: int, fn: str) -> None:
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise NotImplementedError(f"\"{fn}\" not implemented for '{type_word(input.dtype)}'")
    if input.ndim not in (dims + 1, dims + 2):
        colon = ":" if fn == "adaptive_max_pool2d" else ""
        raise RuntimeError(
            f"{fn}(): Expected 3D or 4D tensor, but got{colon} {_sizes(input.shape)}"
        )


def _bin_matrix(size: int, out: int) -> np.ndarray:
    """(out, size) 0/1 matrix: which inputs fall in each adaptive bin."""
    positions = np.arange(size)[None, :]
    starts = np.array([(o * size) // out for o in range(out)])[:, None]
    ends = np.array([-((-(o + 1) * size) // out) for o in range(out)])[:, None]
    return (positions >= starts) & (positions < ends)


def _adaptive_avg(input, outs):
    """Bin sums as products with 0/1 bin matrices (one contraction per dim), over bin sizes."""
    spatial = input.shape[-len(outs) :]
    matrices = [_bin_matrix(n, o) for n, o in zip(spatial, outs)]
    letters = "hw"[-len(outs) :]
    operands = ",".join(f"{c.upper()}{c}" for c in letters)
    spec = f"...{letters},{operands}->...{letters.upper()}"
    total = jnp.einsum(spec, input, *(jnp.asarray(m, input.dtype) for m in matrices))
    counts = [m.sum(axis=1) for m in matrices]
    divisor = counts[0] if len(counts) == 1 else np.multiply.outer(counts[0], counts[1])
    return total / jnp.asarray(np.maximum(divisor, 1), input.dtype)


def _adaptive_avg2d_name(args, kwargs) -> str:
    size = args[1] if len(args) > 1 else kwargs["output_size"]
    ones = size == 1 or (isinstance(size, list | tuple) and list(size) == [1, 1])
    return "MeanBackward1" if ones else "AdaptiveAvgPool2DBackward0"  # torch takes a mean there


@op(grad_fn=_adaptive_avg2d_name, function=False, **_POOL)
def adaptive_avg_pool2d(input, output_size):
    _check_adaptive(input, 2, "adaptive_avg_pool2d")
    return _adaptive_avg(input, _output_sizes(output_size, input, 2, "adaptive_avg_pool2d"))


@op(grad_fn="SqueezeBackward1", **_POOL)
def adaptive_avg_pool1d(input, output_size):
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for adaptive_avg_pool1d)"
        )
    _check_adaptive(input, 1, "adaptive_avg_pool1d")
    (out,) = (output_size,) if isinstance(output_size, int) else tuple(output_size)
    return _adaptive_avg(input, (out,))


@op(grad_fn="AdaptiveMaxPool2DBackward0", function=False, **_POOL)
def adaptive_max_pool2d(input, output_size, return_indices=False):
    _check_adaptive(input, 2, "adaptive_max_pool2d")
    outs = _output_sizes(output_size, input, 2, "adaptive_max_pool2d")
    plan = ("adaptive", tuple(zip(input.shape[-2:], outs)))
    return _pick(*max_over_windows(input, plan), return_indices)
