"""Matrix products: matmul, mm, bmm, mv, dot, outer, addmm, einsum."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import exact_matmul
from .reduction import type_word
from .registry import PROMOTE_BINARY, op
from .shape import expand

_PAIR = dict(tensors=("input", "other"))


def _shape_str(x) -> str:
    return "x".join(map(str, x.shape))


def _same_dtype(name, a, b):
    if a.dtype == b.dtype:
        return
    first, second = type_word(a.dtype), type_word(b.dtype)
    if name == "mm":
        message = (
            f"expected m1 and m2 to have the same dtype, but got: {first.lower()} != "
            f"{second.lower()}"
        )
    elif name == "dot":
        message = f"dot : expected both vectors to have same dtype, but found {first} and {second}"
    elif name == "mv":  # torch's mv runs addmv with the vector's dtype as the result's
        message = (
            f"addmv input tensors must have the same dtype, but got {second}, {first}, and {second}"
        )
    else:
        message = f"expected scalar type {first} but found {second}"
    raise RuntimeError(message)


def _inconsistent_sizes(n: int, m: int) -> str:
    return (
        f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
        f"of elements, but got {n} and {m} elements respectively"
    )


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product, the scalars cast to the result dtype as torch does."""
    if (beta, alpha) == (1, 1):
        return input + product
    dtype = jnp.result_type(input, product)
    return jnp.asarray(beta, dtype) * input + jnp.asarray(alpha, dtype) * product


def _matmul_name(args, kwargs):
    a, b = args[0], args[1] if len(args) > 1 else kwargs["other"]
    if a.ndim == 2 and b.ndim == 2:
        return "MmBackward0"
    if a.ndim == 1 and b.ndim == 1:
        return "DotBackward0"
    if a.ndim == 2 and b.ndim == 1:
        return "MvBackward0"
    if a.ndim == 1 and b.ndim == 2:  # torch: unsqueeze, mm, squeeze
        return "SqueezeBackward4"
    if a.ndim == 2 and b.ndim >= 3:  # torch: transposed batched product made contiguous
        return "CloneBackward0"
    return "UnsafeViewBackward0"  # batched products fold through a reshape


@op(grad_fn=_matmul_name, **_PAIR)
def matmul(input, other):
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{input.ndim}D and {other.ndim}D"
        )
    pair = {(1, 1): "dot", (2, 1): "mv"}.get((input.ndim, other.ndim), "mm")
    _same_dtype(pair, input, other)
    k_in = input.shape[-1]
    k_other = other.shape[-2] if other.ndim > 1 else other.shape[0]
    if k_in != k_other:
        if input.ndim == 1 and other.ndim == 1:
            raise RuntimeError(_inconsistent_sizes(input.shape[0], other.shape[0]))
        a = input if input.ndim > 1 else input[None]
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[-2] if a.ndim >= 2 else 1}x"
            f"{k_in} and {k_other}x{other.shape[-1] if other.ndim > 1 else 1})"
            if input.ndim <= 2 and other.ndim <= 2
            else f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{other.shape[0]}, {k_in}] but got: [{other.shape[0]}, {k_other}]."
        )
    return jnp.matmul(input, other)


@op(grad_fn="MmBackward0", **_PAIR)
def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_dtype("mm", input, mat2)
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(input)} and "
            f"{_shape_str(mat2)})"
        )
    return input @ mat2


@op(grad_fn="BmmBackward0", **_PAIR)
def bmm(input, mat2):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _same_dtype("bmm", input, mat2)
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    return jnp.matmul(input, mat2)


@op(grad_fn="MvBackward0", **_PAIR)
def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _same_dtype("mv", input, vec)
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({_shape_str(input)}), "
            f"vec ({vec.shape[0]})"
        )
    return input @ vec


@op(grad_fn="DotBackward0", **_PAIR)
def dot(input, tensor):
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    _same_dtype("dot", input, tensor)
    if input.shape != tensor.shape:
        raise RuntimeError(_inconsistent_sizes(input.shape[0], tensor.shape[0]))
    return jnp.dot(input, tensor)


@op(grad_fn="MulBackward0", tensors=("input", "vec2"), promote=PROMOTE_BINARY)
def outer(input, vec2):
    return jnp.outer(input, vec2)


op("ger", grad_fn="MulBackward0", tensors=("input", "vec2"), promote=PROMOTE_BINARY)(outer.impl)


@op(grad_fn="AddmmBackward0", tensors=("input", "mat1", "mat2"), inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    for name, matrix in (("mat1", mat1), ("mat2", mat2)):
        if matrix.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {matrix.ndim}-D tensor")
    for name, operand in (("self", input), ("mat1", mat1)):  # torch's order of checks
        if operand.dtype != mat2.dtype:
            raise RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {type_word(operand.dtype)} "
                f"and {type_word(mat2.dtype)}"
            )
    product = mm.impl(mat1, mat2)
    expand.impl(input, *product.shape)  # torch's expand error for a bias of the wrong shape
    return _scaled_sum(input, product, beta, alpha)


@op(grad_fn="AddmmBackward0", tensors=("input", "mat1", "mat2"), function=False, method=False,
    aten="aten::addmm")  # fmt: skip
def _linear_addmm_exact(input, mat1, mat2, *, threads):
    """F.linear's addmm(bias, input, weight.t()) summed in torch's CPU order (opt-in mode)."""
    return exact_matmul.addmm(input, mat1, mat2, False, True, threads)


@op(grad_fn="BaddbmmBackward0", tensors=("input", "batch1", "batch2"), inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum(input, bmm.impl(batch1, batch2), beta, alpha)


@op(grad_fn="AddmvBackward0", tensors=("input", "mat", "vec"), inplace=True, inplace_function=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled_sum(input, mv.impl(mat, vec), beta, alpha)


def _einsum_name(args, kwargs):
    operands = args[1:]
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = operands[0]
    return "PermuteBackward0" if len(operands) == 1 else "ViewBackward0"  # torch's last step


@op(grad_fn=_einsum_name, tensors=("operands",), method=False, promote=PROMOTE_BINARY)
def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = operands[0]
    return jnp.einsum(equation, *operands)


@op(grad_fn="ViewBackward0", tensors=("a", "b"), method=False)  # torch: reshape, mm, view
def tensordot(a, b, dims=2):
    return jnp.tensordot(a, b, dims)


@op(grad_fn="UnsafeViewBackward0", tensors=("input", "other"))  # torch: outer product, reshape
def kron(input, other):
    return jnp.kron(input, other)


# ----- cross, diag, trace, cdist -----------------------------------------------------------
def _cross(input, other, dim):
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    axis = dim % max(input.ndim, 1)
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[axis]} and {other.shape[axis]}"
        )
    return jnp.cross(input, other, axis=axis)


@op(grad_fn="LinalgCrossBackward0", function=False, method=False, promote=PROMOTE_BINARY,
    aten="aten::linalg_cross", **_PAIR)  # fmt: skip
def linalg_cross(input, other, *, dim=-1):
    return _cross(input, other, dim)


_CROSS_WARNING = (
    "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
    "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
    "with that of linalg.cross in a future release."
)


@op(grad_fn="LinalgCrossBackward0", promote=PROMOTE_BINARY, forward_kernel=False, **_PAIR)
def cross(input, other, dim=None):
    if dim is None:
        import warnings

        if not isinstance(input, jax.core.Tracer):  # once per call, not again in backward
            warnings.warn(_CROSS_WARNING, UserWarning, stacklevel=4)
        shape = jnp.broadcast_shapes(input.shape, other.shape)
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    return _cross(input, other, dim)


def _diag_name(args, kwargs):
    return "DiagEmbedBackward0" if args[0].ndim == 1 else "DiagonalBackward0_copy"


@op(grad_fn=_diag_name)
def diag(input, diagonal=0):
    if input.ndim == 1:
        return jnp.diag(input, diagonal)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return jnp.diagonal(input, diagonal)


@op(grad_fn="DiagEmbedBackward0")
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.shape[-1] + abs(offset) if input.ndim else 1
    rows = jnp.arange(input.shape[-1]) + max(-offset, 0)
    cols = jnp.arange(input.shape[-1]) + max(offset, 0)
    square = jnp.zeros((*input.shape[:-1], n, n), input.dtype).at[..., rows, cols].set(input)
    ndim = input.ndim + 1
    first, second = dim1 % ndim, dim2 % ndim
    return jnp.moveaxis(square, (-2, -1), (first, second))


@op(grad_fn="TraceBackward0")
def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    total = jnp.trace(input)
    return total.astype(jnp.int64) if input.dtype.kind in "biu" else total.astype(input.dtype)


def _check_cdist(x1, x2, p):
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not jnp.issubdtype(x.dtype, jnp.floating):
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {type_word(x.dtype)}"
            )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")


def _safe_root(total, p):
    """total ** (1/p) with a zero gradient where total is zero (torch's cdist backward)."""
    positive = total > 0
    root = jnp.where(positive, total, 1) ** (1.0 / p)
    return jnp.where(positive, root, 0)


@op(grad_fn="CdistBackward0", tensors=("x1", "x2"), method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    _check_cdist(x1, x2, p)
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    size = jnp.abs(diff)
    magnitude = jnp.sign(diff) * diff  # |diff| with torch's zero subgradient at 0
    if p == 0:
        return jnp.sum(size != 0, axis=-1).astype(x1.dtype)
    if p == float("inf"):
        return jnp.max(magnitude, axis=-1)
    if p == 1:
        return jnp.sum(magnitude, axis=-1)
    return _safe_root(jnp.sum(jnp.where(size > 0, magnitude, 0) ** p, axis=-1), p)


# Decompositions, solvers and norms register their rows with the table from their own module.
from . import linalg_decomp  # noqa: E402, F401
