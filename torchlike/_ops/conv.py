"""Convolutions: conv1d, conv2d, conv3d on jax.lax.conv_general_dilated (NC... / OI... layout)."""

from __future__ import annotations

import jax

from .reduction import type_word
from .registry import op

_CONV = dict(tensors=("input", "weight", "bias"), method=False)
_LAYOUTS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _sizes(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _per_dim(name: str, value, dims: int) -> tuple[int, ...]:
    """An int or a list of ints as one int per spatial dim (a 1-list broadcasts, as in torch)."""
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {dims} values to match "
            f"the convolution dimensions, but got {name}={_sizes(values)}"
        )
    return tuple(values)


def _padding_pairs(padding, stride, dilation, kernel) -> list[tuple[int, int]]:
    """(low, high) zero padding per spatial dim; 'same' puts an odd extra pad on the high side."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * len(kernel)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return [(t // 2, t - t // 2) for t in totals]
    pads = _per_dim("padding", padding, len(kernel))
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return [(p, p) for p in pads]


def _c_type(dtype) -> str:
    """The C++ type name torch's bias-dtype message uses (float, double, long int)."""
    word = type_word(dtype)
    return "long int" if word == "Long" else word.lower()


def _check_dtypes(input, weight, bias) -> None:
    if input.dtype != weight.dtype:  # torch's message on its default (non-oneDNN) CPU path
        raise RuntimeError(
            f"expected scalar type {type_word(input.dtype)} but found {type_word(weight.dtype)}"
        )
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(
            f"Input type ({_c_type(input.dtype)}) and bias type ({_c_type(bias.dtype)}) should "
            "be the same"
        )


def _check_shapes(input, weight, bias, groups, pads, dilation) -> None:
    """torch's checks of weight, channels, bias and kernel size against the (batched) input."""
    out_channels = weight.shape[0]
    if out_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_sizes(weight.shape)}] instead"
        )
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_sizes(weight.shape)}, expected "
            f"input{_sizes(input.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{input.shape[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(
            f"Given weight of size {_sizes(weight.shape)}, expected bias to be 1-dimensional "
            f"with {out_channels} elements, but got bias of size {_sizes(bias.shape)} instead"
        )
    padded = [n + lo + hi for n, (lo, hi) in zip(input.shape[2:], pads)]
    kernel = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
    if any(p < k for p, k in zip(padded, kernel)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than "
            "actual input size"
        )


def _convolution(dims, input, weight, bias, stride, padding, dilation, groups):
    """N-d cross-correlation like torch.convNd; an unbatched input gets a batch dim of 1."""
    name = f"conv{dims}d"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got "
            f"input of size: {_sizes(input.shape)}"
        )
    unbatched = input.ndim == dims + 1
    batched = input[None] if unbatched else input
    stride = _per_dim("stride", stride, dims)
    if weight.ndim != dims + 2:  # torch takes the dim count from the weight
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {weight.ndim - 2} values "
            f"to match the convolution dimensions, but got stride={_sizes(stride)}"
        )
    dilation = _per_dim("dilation", dilation, dims)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    pads = _padding_pairs(padding, stride, dilation, weight.shape[2:])
    _check_dtypes(batched, weight, bias)
    _check_shapes(batched, weight, bias, groups, pads, dilation)
    out = jax.lax.conv_general_dilated(
        batched, weight, stride, pads, rhs_dilation=dilation,
        dimension_numbers=_LAYOUTS[dims], feature_group_count=groups,
    )  # fmt: skip
    if bias is not None:
        out = out + bias.reshape((1, -1) + (1,) * dims)
    return out[0] if unbatched else out


def _conv_name(dims: int):
    def name(args, kwargs) -> str:
        input = args[0] if args else kwargs["input"]
        # torch unsqueezes an unbatched input and squeezes the result back
        return "SqueezeBackward1" if input.dim() == dims + 1 else "ConvolutionBackward0"

    return name


@op(grad_fn=_conv_name(1), **_CONV)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convolution(1, input, weight, bias, stride, padding, dilation, groups)


@op(grad_fn=_conv_name(2), **_CONV)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convolution(2, input, weight, bias, stride, padding, dilation, groups)


@op(grad_fn=_conv_name(3), **_CONV)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convolution(3, input, weight, bias, stride, padding, dilation, groups)


# ----- transposed convolutions -------------------------------------------------------------------
def _check_transposed(input, weight, bias, groups, output_padding, stride, dilation) -> None:
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        if len(stride) == 1:  # torch checks a 1-d transpose as a 2-d one with a height of 1
            output_padding, stride, dilation = (0, *output_padding), (1, *stride), (1, *dilation)
        names = ("height", "width")
        parts = [
            f"{kind}_{name}: {value}"
            for kind, values in (("output_padding", output_padding), ("stride", stride),
                                 ("dilation", dilation))
            for name, value in zip(names, values)
        ]  # fmt: skip
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts)
        )
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_sizes(weight.shape)}] instead"
        )
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(weight.shape)}, expected "
            f"input{_sizes(input.shape)} to have {weight.shape[0]} channels, but got "
            f"{input.shape[1]} channels instead"
        )
    out_channels = weight.shape[1] * groups
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(weight.shape)}, expected bias to be "
            f"1-dimensional with {out_channels} elements, but got bias of size "
            f"{_sizes(bias.shape)} instead"
        )
    _check_dtypes(input, weight, bias)


def _as_forward_kernel(weight, groups: int):
    """(in, out/groups, k...) transposed weights as the (out, in/groups, k...) flipped kernel."""
    cin, cout_g, *kernel = weight.shape
    w = weight.reshape(groups, cin // groups, cout_g, *kernel).swapaxes(1, 2)
    w = w.reshape(groups * cout_g, cin // groups, *kernel)
    return jax.numpy.flip(w, axis=tuple(range(2, 2 + len(kernel))))


def _conv_transpose(dims, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """N-d transposed convolution: the stride-dilated input convolved with the flipped kernel."""
    name = f"conv_transpose{dims}d"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got "
            f"input of size: {_sizes(input.shape)}"
        )
    unbatched = input.ndim == dims + 1
    batched = input[None] if unbatched else input
    stride, dilation = _per_dim("stride", stride, dims), _per_dim("dilation", dilation, dims)
    padding = _per_dim("padding", padding, dims)
    output_padding = _per_dim("output_padding", output_padding, dims)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    _check_transposed(batched, weight, bias, groups, output_padding, stride, dilation)
    kernel = weight.shape[2:]
    pads = [(d * (k - 1) - p, d * (k - 1) - p + o)
            for k, p, o, d in zip(kernel, padding, output_padding, dilation)]  # fmt: skip
    sizes = [
        (n - 1) * s + lo + hi - d * (k - 1) + 1
        for n, s, (lo, hi), d, k in zip(batched.shape[2:], stride, pads, dilation, kernel)
    ]
    if any(n <= 0 for n in sizes):  # fmt: skip
        raise RuntimeError(f"{name}: the computed output size {sizes} is not positive")
    out = jax.lax.conv_general_dilated(
        batched, _as_forward_kernel(weight, groups), (1,) * dims, pads, lhs_dilation=stride,
        rhs_dilation=dilation, dimension_numbers=_LAYOUTS[dims], feature_group_count=groups,
    )  # fmt: skip
    if bias is not None:
        out = out + bias.reshape((1, -1) + (1,) * dims)
    return out[0] if unbatched else out


@op(grad_fn=_conv_name(1), **_CONV)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)  # fmt: skip


@op(grad_fn=_conv_name(2), **_CONV)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)  # fmt: skip


# ----- bilinear ----------------------------------------------------------------------------------
def _check_bilinear(input1, input2, weight, bias) -> None:
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for dim, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {dim}: got {a} and {b}"
            )
    for name, given, expected in (("input1", input1.shape[-1], weight.shape[1]),
                                  ("input2", input2.shape[-1], weight.shape[2])):  # fmt: skip
        if given != expected:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {given} but expected "
                f"{expected}"
            )
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
            f"expected {weight.shape[0]}"
        )


@op(grad_fn=lambda args, kwargs: "ViewBackward0" if _bias_of(args, kwargs) is None
    else "AddBackward0", tensors=("input1", "input2", "weight", "bias"), method=False)  # fmt: skip
def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = input1 @ weight[o] @ input2 (+ bias[o])."""
    _check_bilinear(input1, input2, weight, bias)
    out = jax.numpy.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def _bias_of(args, kwargs):
    return args[3] if len(args) > 3 else kwargs.get("bias")
