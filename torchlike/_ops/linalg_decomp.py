"""Matrix decompositions and solvers behind torch.linalg: inv, det, solve, svd, qr, eigh, ...

Singular and non-positive-definite inputs raise torch's LinAlgError messages; the checks run
on concrete arrays only (inside a JAX transform the values are not known, as in torch.func),
so rows that check values or warn stay out of forward kernels (forward_kernel=False).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import return_types as rt
from .reduction import type_word
from .registry import op


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a linear algebra routine failed on its input."""


_LinAlgError.__module__ = "torch._C"

LINALG_SVD, SVD, LINALG_QR, QR = rt.linalg_svd, rt.svd, rt.linalg_qr, rt.qr
LINALG_EIGH, LINALG_SLOGDET, SLOGDET = rt.linalg_eigh, rt.linalg_slogdet, rt.slogdet
LINALG_LSTSQ = rt.linalg_lstsq


def _concrete(array) -> bool:
    return not isinstance(array, jax.core.Tracer)


def check_matrix(name: str, a, square: bool = True, float_only: bool = True) -> None:
    """torch's argument checks for a (batch of) matrices."""
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )
    if float_only and not jnp.issubdtype(a.dtype, jnp.inexact):
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got "
            f"{type_word(a.dtype)}"
        )


def _batch_prefix(a, index) -> str:
    return f"(Batch element {index}): " if a.ndim > 2 else ""


def _first_zero_pivot(a):
    """(batch index, 1-based pivot) of the first exactly-zero pivot of LU, or None."""
    if not _concrete(a) or a.size == 0:
        return None
    lu = np.asarray(jax.scipy.linalg.lu_factor(a)[0])
    diagonal = np.diagonal(lu, axis1=-2, axis2=-1).reshape(-1, a.shape[-1])
    for index, row in enumerate(diagonal):
        zeros = np.flatnonzero(row == 0)
        if zeros.size:
            return index, int(zeros[0]) + 1
    return None


@op(grad_fn="LinalgInvExBackward0", aten="aten::linalg_inv", forward_kernel=False)
def inverse(input):
    check_matrix("linalg.inv", input)
    singular = _first_zero_pivot(input)
    if singular is not None:
        raise _LinAlgError(
            f"linalg.inv: {_batch_prefix(input, singular[0])}The diagonal element {singular[1]} "
            "is zero, the inversion could not be completed because the input matrix is singular."
        )
    return jnp.linalg.inv(input)


@op(grad_fn="LinalgDetBackward0", aten="aten::linalg_det")
def det(input):
    check_matrix("linalg.det", input)
    return jnp.linalg.det(input)


@op(grad_fn="LinalgSlogdetBackward0", returns=lambda s, v: SLOGDET(s, v),
    aten="aten::linalg_slogdet")  # fmt: skip
def slogdet_(input):
    check_matrix("linalg.slogdet", input)
    sign, logabsdet = jnp.linalg.slogdet(input)
    return sign.astype(input.dtype), logabsdet


@op(grad_fn="WhereBackward0")
def logdet(input):
    check_matrix("linalg.logdet", input)
    sign, logabsdet = jnp.linalg.slogdet(input)
    return jnp.where(sign < 0, jnp.nan, logabsdet).astype(input.dtype)


def _vector_rhs(a, b) -> bool:
    """torch.linalg.solve treats B as a (batch of) vectors when it has one dim less than A."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


@op(grad_fn="LinalgSolveExBackward0", tensors=("A", "B"), function=False, method=False,
    aten="aten::linalg_solve", forward_kernel=False)  # fmt: skip
def linalg_solve(A, B, *, left=True):
    check_matrix("linalg.solve", A)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return jnp.swapaxes(linalg_solve.impl(jnp.swapaxes(A, -1, -2), jnp.swapaxes(B, -1, -2)),
                            -1, -2)  # fmt: skip
    vector = _vector_rhs(A, B)
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != A.shape[-1]:
        cols = 1 if vector else B.shape[-1]
        raise RuntimeError(
            "linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {rows}x{cols})"
        )
    if _first_zero_pivot(A) is not None:
        raise _LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                           "singular.")  # fmt: skip
    if vector:
        return jnp.linalg.solve(A, B[..., None])[..., 0]
    return jnp.linalg.solve(A, B)


@op(grad_fn="LinalgSvdBackward0", function=False, method=False, aten="aten::linalg_svd",
    returns=lambda u, s, vh: LINALG_SVD(u, s, vh))  # fmt: skip
def linalg_svd_(A, full_matrices=True, *, driver=None):
    check_matrix("linalg.svd", A, square=False)
    u, s, vh = jnp.linalg.svd(A, full_matrices=full_matrices)
    return u, s.astype(_real(A.dtype)), vh


def _real(dtype):
    return jnp.finfo(dtype).dtype


@op(grad_fn="LinalgSvdBackward0", function=False, method=False, aten="aten::linalg_svdvals")
def linalg_svdvals(A, *, driver=None):
    check_matrix("linalg.svd", A, square=False)
    return jnp.linalg.svd(A, compute_uv=False).astype(_real(A.dtype))


_QR_MODES = ("reduced", "r", "complete")


@op(grad_fn="LinalgQrBackward0", function=False, method=False, aten="aten::linalg_qr",
    returns=lambda q, r: LINALG_QR(q, r))  # fmt: skip
def linalg_qr_(A, mode="reduced"):
    if mode not in _QR_MODES:
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    check_matrix("linalg.qr", A, square=False)
    q, r = jnp.linalg.qr(A, mode="complete" if mode == "complete" else "reduced")
    return (jnp.zeros((0,), A.dtype), r) if mode == "r" else (q, r)


_QR_WARNING = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
    "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
    "Q, R = torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if "
    "some else 'complete')"
)


@op(grad_fn="LinalgQrBackward0", returns=lambda q, r: QR(q, r), forward_kernel=False)
def qr_(input, some=True):
    if _concrete(input):
        warnings.warn(_QR_WARNING, UserWarning, stacklevel=4)
    return linalg_qr_.impl(input, "reduced" if some else "complete")


def _check_uplo(UPLO) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _hermitian_from(A, UPLO):
    """The Hermitian matrix that the chosen triangle of A describes (torch reads only it).

    Its gradient is that of (A + A^H) / 2: torch's eigh and cholesky backward formulas
    treat the whole input as Hermitian and return a Hermitian gradient.
    """
    triangle = jnp.tril(A) if UPLO == "L" else jnp.triu(A)
    strict = jnp.tril(A, -1) if UPLO == "L" else jnp.triu(A, 1)
    hermitian = triangle + jnp.conj(jnp.swapaxes(strict, -1, -2))
    symmetric = (A + jnp.conj(jnp.swapaxes(A, -1, -2))) / 2
    return symmetric + jax.lax.stop_gradient(hermitian - symmetric)


def _check_eigh(A, UPLO):
    _check_uplo(UPLO)
    check_matrix("linalg.eigh", A, float_only=False)
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{type_word(A.dtype)}'")


@op(grad_fn="LinalgEighBackward0", function=False, method=False, aten="aten::linalg_eigh",
    returns=lambda w, v: LINALG_EIGH(w, v))  # fmt: skip
def linalg_eigh_(A, UPLO="L"):
    _check_eigh(A, UPLO)
    w, v = jnp.linalg.eigh(_hermitian_from(A, UPLO), symmetrize_input=False)
    return w.astype(_real(A.dtype)), v


@op(grad_fn="LinalgEighBackward0", function=False, method=False, aten="aten::linalg_eigvalsh")
def linalg_eigvalsh(A, UPLO="L"):
    _check_eigh(A, UPLO)
    return jnp.linalg.eigvalsh(_hermitian_from(A, UPLO), symmetrize_input=False).astype(
        _real(A.dtype)
    )


def _failed_minor(a) -> tuple[int, int]:
    """(batch index, order) of the first leading minor that is not positive-definite."""
    batch = np.asarray(a, np.float64 if a.dtype.kind == "f" else np.complex128)
    batch = batch.reshape(-1, a.shape[-2], a.shape[-1])
    for index, matrix in enumerate(batch):
        for order in range(1, matrix.shape[0] + 1):
            try:
                np.linalg.cholesky(matrix[:order, :order])
            except np.linalg.LinAlgError:
                return index, order
    return 0, a.shape[-1]


def _cholesky(name: str, A, upper: bool):
    check_matrix(name if name.startswith("linalg") else f"linalg.{name}", A)
    lower = jnp.linalg.cholesky(_hermitian_from(A, "U" if upper else "L"), symmetrize_input=False)
    if _concrete(lower) and lower.size and bool(jnp.isnan(lower).any()):
        index, order = _failed_minor(A)
        raise _LinAlgError(
            f"{name}: {_batch_prefix(A, index)}The factorization could not be completed because "
            f"the input is not positive-definite (the leading minor of order {order} is not "
            "positive-definite)."
        )
    return jnp.conj(jnp.swapaxes(lower, -1, -2)) if upper else lower


@op(grad_fn="LinalgCholeskyExBackward0", function=False, method=False,
    aten="aten::linalg_cholesky", forward_kernel=False)  # fmt: skip
def linalg_cholesky(A, *, upper=False):
    return _cholesky("linalg.cholesky", A, upper)


_CHOLESKY_WARNING = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
    "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs."
)


@op(grad_fn="CholeskyBackward0", forward_kernel=False)
def cholesky(input, upper=False):
    if _concrete(input):
        warnings.warn(_CHOLESKY_WARNING, UserWarning, stacklevel=4)
    return _cholesky("cholesky", input, upper)


def _default_rtol(A, atol, rtol):
    """torch's pinv/matrix_rank tolerance: eps * max(m, n) unless atol or rtol is given."""
    if rtol is None:
        rtol = 0.0 if atol not in (None, 0) else jnp.finfo(A.dtype).eps * max(A.shape[-2:])
    return 0.0 if atol is None else atol, rtol


@op(grad_fn="LinalgPinvBackward0", function=False, method=False, aten="aten::linalg_pinv")
def linalg_pinv(A, *, atol=None, rtol=None, hermitian=False):
    if A.ndim < 2 or not jnp.issubdtype(A.dtype, jnp.inexact):
        raise RuntimeError(
            f"linalg.pinv({type_word(A.dtype)}{{{list(A.shape)}}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types"
        )
    if atol not in (None, 0):
        raise NotImplementedError("torchlike: torch.linalg.pinv(atol=...) is not supported")
    _, rtol = _default_rtol(A, atol, rtol)
    if hermitian:  # values from the lower triangle; torch's backward is the general formula
        A = A + jax.lax.stop_gradient(_hermitian_from(A, "L") - A)
    return jnp.linalg.pinv(A, rtol=rtol)


@op(grad_fn=None, differentiable=False, function=False, method=False,
    aten="aten::linalg_matrix_rank")  # fmt: skip
def linalg_matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    check_matrix("linalg.matrix_rank", A, square=False)
    atol, rtol = _default_rtol(A, atol, rtol)
    s = jnp.abs(jnp.linalg.eigvalsh(A)) if hermitian else jnp.linalg.svd(A, compute_uv=False)
    largest = jnp.max(s, axis=-1, keepdims=True, initial=0.0)
    tolerance = jnp.maximum(atol, rtol * largest)
    return jnp.sum(s > tolerance, axis=-1).astype(jnp.int64)


_LSTSQ_DRIVERS = (None, "gels", "gelsy", "gelsd", "gelss")


@op(grad_fn="LinalgLstsqBackward0", tensors=("input", "b"), function=False, method=False,
    aten="aten::linalg_lstsq", returns=lambda *outs: LINALG_LSTSQ(*outs),
    nondiff_outputs=(3,), forward_kernel=False)  # fmt: skip
def linalg_lstsq_(input, b, rcond=None, *, driver=None):
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    check_matrix("torch.linalg.lstsq", input, square=False)
    vector = b.ndim == input.ndim - 1
    rhs = b[..., None] if vector else b
    m, n = input.shape[-2:]
    s = jnp.linalg.svd(input, compute_uv=False)
    rtol = jnp.finfo(input.dtype).eps * max(m, n) if rcond is None else rcond
    solution = jnp.linalg.pinv(input, rtol=rtol) @ rhs
    rank = jnp.sum(s > rtol * s[..., :1], axis=-1).astype(jnp.int64)
    empty = jnp.zeros((0,), input.dtype)
    residuals = empty
    # torch: residuals only for tall, full-rank inputs (a traced backward assumes full rank)
    full_rank = not _concrete(rank) or bool((rank == n).all())
    if m > n and driver not in (None, "gelsy") and full_rank:
        residuals = jnp.sum(jnp.abs(rhs - input @ solution) ** 2, axis=-2)
    singular_values = s if driver in ("gelsd", "gelss") else empty
    rank = jnp.zeros((0,), jnp.int64) if driver == "gels" else rank
    solution = solution[..., 0] if vector else solution
    return solution, residuals, rank, singular_values


# ----- norms -------------------------------------------------------------------------------
def _safe_root(total, p):
    """total ** (1/p) with a zero gradient where total is zero (torch's norm backward)."""
    positive = total > 0
    return jnp.where(positive, jnp.where(positive, total, 1) ** (1.0 / p), 0)


def vector_norm_of(x, ord, axis, keepdims):
    """The vector p-norm of x over axis (None: all), with torch's zero subgradient at 0."""
    magnitude = jnp.sign(x) * x if not jnp.iscomplexobj(x) else jnp.abs(x)
    if ord == float("inf"):
        return jnp.max(magnitude, axis=axis, keepdims=keepdims)
    if ord == float("-inf"):
        return jnp.min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        return jnp.sum(x != 0, axis=axis, keepdims=keepdims).astype(magnitude.dtype)
    if ord == 1:
        return jnp.sum(magnitude, axis=axis, keepdims=keepdims)
    if ord == 2:
        return _safe_root(jnp.sum(magnitude * magnitude, axis=axis, keepdims=keepdims), 2)
    powered = jnp.where(magnitude > 0, magnitude, 0) ** ord
    return _safe_root(jnp.sum(powered, axis=axis, keepdims=keepdims), ord)


def _norm_dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % max(ndim, 1) for d in dims)


@op(grad_fn="LinalgVectorNormBackward0", function=False, method=False,
    aten="aten::linalg_vector_norm")  # fmt: skip
def linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not str")
    if dtype is None and not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{type_word(x.dtype)}"
        )
    if dtype is not None:
        from .. import _dtype as dt

        x = x.astype(dt.as_dtype(dtype)._np)
    return vector_norm_of(x, ord, _norm_dims(dim, x.ndim), keepdim).astype(_real(x.dtype))


_MATRIX_ORDS = {"fro": "LinalgVectorNormBackward0", "nuc": "SumBackward1", 2: "AmaxBackward0",
                -2: "AminBackward0", 1: "AmaxBackward0", -1: "AminBackward0",
                float("inf"): "AmaxBackward0", float("-inf"): "AminBackward0"}  # fmt: skip


def _matrix_norm_name(args, kwargs):
    ord = args[1] if len(args) > 1 else kwargs.get("ord", "fro")
    return _MATRIX_ORDS.get(ord, "LinalgVectorNormBackward0")


@op(grad_fn=_matrix_norm_name, function=False, method=False, aten="aten::linalg_matrix_norm")
def linalg_matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        from .. import _dtype as dt

        A = A.astype(dt.as_dtype(dtype)._np)
    check_matrix("linalg.matrix_norm", A, square=False)
    rows, cols = _norm_dims(dim, A.ndim)
    moved = jnp.moveaxis(A, (rows, cols), (-2, -1))
    if ord == "fro":
        out = vector_norm_of(moved, 2, (-2, -1), False)
    elif ord in ("nuc", 2, -2):
        s = jnp.linalg.svd(moved, compute_uv=False)
        out = {"nuc": jnp.sum, 2: jnp.max, -2: jnp.min}[ord](s, axis=-1)
    else:
        summed_axis = -2 if abs(ord) == 1 else -1  # 1: column sums; inf: row sums
        sums = jnp.sum(jnp.abs(moved), axis=summed_axis)
        out = (jnp.max if ord > 0 else jnp.min)(sums, axis=-1)
    if keepdim:
        out = jnp.expand_dims(out, tuple(sorted((rows, cols))))
    return out.astype(_real(A.dtype))


# ----- composed from rows ------------------------------------------------------------------
def svd(input, some=True, compute_uv=True):
    """torch.svd: linalg.svd with V (not V^H) returned, and zeros for U, V without compute_uv."""
    from .dispatch import call
    from .registry import TABLE

    u, s, vh = call(TABLE["linalg_svd"], (input,), {"full_matrices": not some or not compute_uv})
    if not compute_uv:  # torch: zero-filled square U and V
        return SVD(u.detach().zero_(), s, vh.detach().zero_())
    return SVD(u, s, vh.transpose(-2, -1).conj() if vh.is_complex() else vh.transpose(-2, -1))


def _method_svd(self, some=True, compute_uv=True):
    return svd(self, some, compute_uv)


def _install_methods() -> None:
    from .._tensor import Tensor

    Tensor.svd = _method_svd


_install_methods()
