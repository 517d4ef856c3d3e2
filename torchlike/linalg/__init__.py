"""torch.linalg: decompositions, solvers and norms, each through an op-table row."""

from __future__ import annotations

from .._ops.dispatch import call as _call
from .._ops.linalg_decomp import LINALG_SLOGDET as _LINALG_SLOGDET
from .._ops.linalg_decomp import _LinAlgError as LinAlgError
from .._ops.registry import TABLE as _TABLE


def _row(name, *args, **kwargs):
    return _call(_TABLE[name], args, kwargs)


def _no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"torchlike: torch.linalg.{name}(out=...) is not supported")


def _out(result, out):
    if out is None:
        return result
    from .._ops import _write_out

    return _write_out(out, result)


def inv(A, *, out=None):
    """torch.linalg.inv."""
    return _out(_row("inverse", A), out)


def det(A, *, out=None):
    """torch.linalg.det."""
    return _out(_row("det", A), out)


def slogdet(A, *, out=None):
    """torch.linalg.slogdet."""
    _no_out("slogdet", out)
    return _LINALG_SLOGDET(*_row("slogdet", A))


def solve(A, B, *, left=True, out=None):
    """torch.linalg.solve."""
    return _out(_row("linalg_solve", A, B, left=left), out)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """torch.linalg.svd."""
    _no_out("svd", out)
    return _row("linalg_svd", A, full_matrices, driver=driver)


def svdvals(A, *, driver=None, out=None):
    """torch.linalg.svdvals."""
    return _out(_row("linalg_svdvals", A, driver=driver), out)


def qr(A, mode="reduced", *, out=None):
    """torch.linalg.qr."""
    _no_out("qr", out)
    return _row("linalg_qr", A, mode)


def eigh(A, UPLO="L", *, out=None):
    """torch.linalg.eigh."""
    _no_out("eigh", out)
    return _row("linalg_eigh", A, UPLO)


def eigvalsh(A, UPLO="L", *, out=None):
    """torch.linalg.eigvalsh."""
    return _out(_row("linalg_eigvalsh", A, UPLO), out)


def cholesky(A, *, upper=False, out=None):
    """torch.linalg.cholesky."""
    return _out(_row("linalg_cholesky", A, upper=upper), out)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """torch.linalg.pinv."""
    return _out(_row("linalg_pinv", A, atol=atol, rtol=rtol, hermitian=hermitian), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """torch.linalg.matrix_rank."""
    return _out(_row("linalg_matrix_rank", A, atol=atol, rtol=rtol, hermitian=hermitian), out)


def lstsq(A, B, rcond=None, *, driver=None):
    """torch.linalg.lstsq."""
    return _row("linalg_lstsq", A, B, rcond, driver=driver)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.vector_norm."""
    return _out(_row("linalg_vector_norm", x, ord, dim, keepdim, dtype=dtype), out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """torch.linalg.matrix_norm."""
    return _out(_row("linalg_matrix_norm", A, ord, dim, keepdim, dtype=dtype), out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.norm: a vector or a matrix norm, chosen by ord and dim as torch does."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        is_vector = len(dim) == 1
    elif ord is None:
        return _out(vector_norm(A, 2, None, keepdim, dtype=dtype), out)
    elif A.ndim in (1, 2):
        is_vector = A.ndim == 1
    else:
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
            f"{A.ndim}D."
        )
    if is_vector:
        result = vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    else:
        result = matrix_norm(A, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                             dtype=dtype)  # fmt: skip
    return _out(result, out)


def cross(input, other, *, dim=-1, out=None):
    """torch.linalg.cross."""
    return _out(_row("linalg_cross", input, other, dim=dim), out)


def matmul(input, other, *, out=None):
    """torch.linalg.matmul (an alias of torch.matmul)."""
    return _out(_row("matmul", input, other), out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """torch.linalg.diagonal (torch.diagonal with matrix-first defaults)."""
    return A.diagonal(offset, dim1, dim2)


__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq",
    "matmul", "matrix_norm", "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd",
    "svdvals", "vector_norm",
]  # fmt: skip

from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.linalg")
