"""Shape ops. Rows marked view=True return tensors that share their input's storage."""

from __future__ import annotations

import math

import jax.numpy as jnp

from .._tensor import Tensor
from . import dispatch
from .reduction import axes
from .registry import PROMOTE_BINARY, op


def _join(sizes) -> str:
    return ", ".join(map(str, sizes))


def _dim(dim: int, ndim: int) -> int:
    (axis,) = axes(dim, ndim) or (0,)
    return axis


def sizes_arg(size) -> tuple:
    """torch's *size / size= forms (ints, a tuple or list, or torch.Size) as a tuple."""
    if len(size) == 1 and isinstance(size[0], list | tuple):
        size = size[0]
    return tuple(int(s) for s in size)


def infer_shape(shape: tuple, numel: int) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(
                f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}"
            )
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if math.prod(shape) != numel:
        raise RuntimeError(
            f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}"
        )
    return shape


@op(grad_fn="ViewBackward0", view=True, function=False)
def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], int | list | tuple):
        return input.view(shape[0]._np) if hasattr(shape[0], "_np") else input
    return jnp.reshape(input, infer_shape(sizes_arg(shape), input.size))


@op(grad_fn="ViewBackward0", view=True)
def reshape(input, *shape):
    return jnp.reshape(input, infer_shape(sizes_arg(shape), input.size))


@op(grad_fn="ViewBackward0", view=True)
def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return input.reshape(1)
    start, end = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = (
        input.shape[:start] + (math.prod(input.shape[start : end + 1]),) + input.shape[end + 1 :]
    )
    return jnp.reshape(input, shape)


def flatten_or_self(input, start_dim=0, end_dim=-1):
    """torch.flatten / Tensor.flatten: the input itself when no dimensions are merged."""
    if isinstance(input, Tensor) and input.ndim:
        if _dim(start_dim, input.ndim) == _dim(end_dim, input.ndim):
            return input
    return dispatch.call(flatten, (input, start_dim, end_dim), {})


flatten_or_self.__name__ = flatten_or_self.__qualname__ = "flatten"


@op(grad_fn="ViewBackward0", view=True)
def unflatten(input, dim, sizes):
    axis = _dim(dim, input.ndim)
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = infer_shape(sizes, input.shape[axis])
    except RuntimeError as error:
        if sizes.count(-1) > 1:
            raise
        raise RuntimeError(
            f"unflatten: Provided sizes [{_join(sizes)}] don't multiply up to the size of dim "
            f"{axis} ({input.shape[axis]}) in the input tensor"
        ) from error
    return jnp.reshape(input, input.shape[:axis] + sizes + input.shape[axis + 1 :])


def _squeeze_name(args, kwargs):
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if dim is None:
        return "SqueezeBackward0"
    return "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"


@op(grad_fn=_squeeze_name, view=True, inplace=True)
def squeeze(input, dim=None):
    if dim is None:
        return jnp.squeeze(input)
    dims = axes(dim, input.ndim) or ()
    return jnp.squeeze(input, tuple(d for d in dims if input.shape[d] == 1))


@op(grad_fn="UnsqueezeBackward0", view=True, inplace=True)
def unsqueeze(input, dim):
    rank = input.ndim + 1
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return jnp.expand_dims(input, dim % rank)


@op(grad_fn="PermuteBackward0", view=True)
def permute(input, *dims):
    dims = sizes_arg(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is "
            f"not equal to len(dims) = {len(dims)}"
        )
    return jnp.transpose(input, axes(dims, input.ndim))


@op(grad_fn="TransposeBackward0", view=True, inplace=True)
def transpose(input, dim0, dim1):
    if input.ndim == 0:
        return input
    return jnp.swapaxes(input, _dim(dim0, input.ndim), _dim(dim1, input.ndim))


op("swapaxes", grad_fn="TransposeBackward0", view=True, inplace=True)(transpose.impl)
op("swapdims", grad_fn="TransposeBackward0", view=True, inplace=True)(transpose.impl)


@op(grad_fn="TBackward0", view=True, inplace=True)
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T


@op(grad_fn="PermuteBackward0", view=True)
def movedim(input, source, destination):
    return jnp.moveaxis(input, source, destination)


op("moveaxis", grad_fn="PermuteBackward0", view=True)(movedim.impl)


@op(grad_fn="ExpandBackward0", view=True, function=False)
def expand(input, *sizes):
    sizes = sizes_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{[{_join(input.shape)}]}}, size=[{_join(sizes)}]): "
            "the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
            f"({input.ndim})"
        )
    lead = len(sizes) - input.ndim
    shape = tuple(s if s != -1 else input.shape[i - lead] for i, s in enumerate(sizes))
    for i, size in enumerate(input.shape):
        if size != 1 and size != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the existing "
                f"size ({size}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"[{_join(sizes)}].  Tensor sizes: [{_join(input.shape)}]"
            )
    return jnp.broadcast_to(input, shape)


op("broadcast_to", grad_fn="ExpandBackward0", view=True)(expand.impl)


@op(grad_fn="SliceBackward0", view=True)
def narrow(input, dim, start, length):
    axis = _dim(dim, input.ndim)
    start = start + input.shape[axis] if start < 0 else start
    if start + length > input.shape[axis]:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({input.shape[axis]})."
        )
    return input[(slice(None),) * axis + (slice(start, start + length),)]


@op(grad_fn="SliceBackward0", view=True, function=False, method=False)
def slice_dim(input, dim, start, stop, step):
    return input[(slice(None),) * dim + (slice(start, stop, step),)]


@op(grad_fn="SelectBackward0", view=True)
def select(input, dim, index):
    axis = _dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"[{', '.join(map(str, input.shape))}] at dimension {axis}"
        )
    return input[(slice(None),) * axis + (index % size,)]


@op(grad_fn="DiagonalBackward0", view=True)
def diagonal(input, offset=0, dim1=0, dim2=1):
    return jnp.diagonal(input, offset, _dim(dim1, input.ndim), _dim(dim2, input.ndim))


@op(grad_fn="UnbindBackward0", view=True)
def unbind(input, dim=0):
    axis = _dim(dim, input.ndim)
    return tuple(jnp.moveaxis(input, axis, 0))


def _split_name(args, kwargs):
    sizes = args[1] if len(args) > 1 else kwargs.get("split_size_or_sections")
    return "SplitBackward0" if isinstance(sizes, int) else "SplitWithSizesBackward0"


@op(grad_fn=_split_name, view=True)
def split(tensor, split_size_or_sections, dim=0):
    axis = _dim(dim, tensor.ndim)
    size = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        bounds = list(range(0, size, step)) if size else [0]
        pieces = [(b, min(b + step, size)) for b in bounds]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(
                "split_with_sizes expects split_sizes to sum exactly to "
                f"{size} (input tensor's size at dimension {axis}), but got split_sizes={sections}"
            )
        starts = [sum(sections[:i]) for i in range(len(sections))]
        pieces = list(zip(starts, [s + n for s, n in zip(starts, sections)]))
    lead = (slice(None),) * axis
    return tuple(tensor[lead + (slice(a, b),)] for a, b in pieces)


@op(grad_fn="SplitBackward0", view=True)
def chunk(input, chunks, dim=0):
    axis = _dim(dim, input.ndim)
    step = -(-input.shape[axis] // chunks) if chunks > 0 else 0
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    return split.impl(input, max(step, 1), axis)


@op(grad_fn="RepeatBackward0", function=False)
def repeat(input, *sizes):
    sizes = sizes_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    return jnp.tile(input, sizes)


@op(grad_fn="RepeatBackward0")
def tile(input, dims):
    return jnp.tile(input, tuple(dims))


def _check_cat(tensors, dim):
    if len(tensors) == 0:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")


@op(grad_fn="CatBackward0", tensors=("tensors",), promote=PROMOTE_BINARY, method=False)
def cat(tensors, dim=0):
    _check_cat(tensors, dim)
    shaped = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)
    axis = _dim(dim, shaped[0].ndim)
    for i, t in enumerate(shaped):
        if t.ndim != shaped[0].ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {shaped[0].ndim} and {t.ndim}"
            )
        for d in range(t.ndim):
            if d != axis and t.shape[d] != shaped[0].shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{shaped[0].shape[d]} but got size {t.shape[d]} for tensor number {i} in "
                    "the list."
                )
    return jnp.concatenate(shaped, axis=axis)


op("concat", grad_fn="CatBackward0", tensors=("tensors",), promote=PROMOTE_BINARY,
   method=False)(cat.impl)  # fmt: skip
op("concatenate", grad_fn="CatBackward0", tensors=("tensors",), promote=PROMOTE_BINARY,
   method=False)(cat.impl)  # fmt: skip


@op(grad_fn="StackBackward0", tensors=("tensors",), promote=PROMOTE_BINARY, method=False)
def stack(tensors, dim=0):
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                "stack expects each tensor to be equal size, but got "
                f"[{_join(tensors[0].shape)}] at entry 0 and [{_join(t.shape)}] at entry {i}"
            )
    rank = tensors[0].ndim + 1
    return jnp.stack(tensors, axis=dim % rank)


@op(grad_fn="CatBackward0", tensors=("tensors",), promote=PROMOTE_BINARY, method=False)
def hstack(tensors):
    return jnp.hstack(tensors)


@op(grad_fn="CatBackward0", tensors=("tensors",), promote=PROMOTE_BINARY, method=False)
def vstack(tensors):
    return jnp.vstack(tensors)


@op(grad_fn="FlipBackward0")
def flip(input, *dims):
    return jnp.flip(input, axes(sizes_arg(dims), input.ndim))


@op(grad_fn="RollBackward0")
def roll(input, shifts, dims=None):
    if dims is None:
        return jnp.roll(input.reshape(-1), shifts).reshape(input.shape)
    return jnp.roll(input, shifts, dims)


@op(grad_fn="TrilBackward0", inplace=True)
def tril(input, diagonal=0):
    return jnp.tril(input, diagonal)


@op(grad_fn="TriuBackward0", inplace=True)
def triu(input, diagonal=0):
    return jnp.triu(input, diagonal)
