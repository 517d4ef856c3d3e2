"""Conformance records for the sorting, selection and linalg rows (see op_db.py).

Singular vectors and eigenvectors are defined up to sign, and LAPACK builds may pick either:
their records compare sign-normalised vectors (each column scaled so its largest entry is
positive), which keeps values and gradients comparable.
"""

from __future__ import annotations

import warnings

import numpy as np
from op_db import ALL, FLOAT, NUMERIC, RECORDS, Dtype, E, Maker, S, add, f32, i64

INF = float("inf")


# ----- sample helpers ----------------------------------------------------------------------
def tied(m: Maker, *shape):
    """Small integers in the sample's dtype: many ties and zeros."""
    if m.dtype == "bool":
        return m.mask(*shape)
    return np.asarray(m.rng.integers(0, 3, size=shape), m.dtype)


def square(m: Maker, *batch, n=3):
    """A well-conditioned (diagonally dominant) matrix."""
    return np.asarray(m(*batch, n, n) + 4 * np.eye(n), m.dtype)


def spd(m: Maker, *batch, n=3):
    a = m(*batch, n, n)
    return np.asarray(a @ np.swapaxes(a, -1, -2) + n * np.eye(n), m.dtype)


def lower_only(m: Maker, n=3):
    """Symmetric positive definite in its lower triangle; junk above it (never read)."""
    return np.asarray(spd(m, n=n) + np.triu(m(n, n), 1), m.dtype)


def quiet(fn):
    """Call a deprecated torch API (torch.qr, torch.cholesky) without its warning."""

    def call(lib, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(lib)(*args, **kwargs)

    return call


def linalg(name: str):
    return lambda lib, *args, **kwargs: getattr(lib.linalg, name)(*args, **kwargs)


def fix_signs(vectors, *others):
    """Columns of `vectors` scaled so the largest entry is positive; rows of `others` alike."""
    index = vectors.abs().argmax(dim=-2, keepdim=True)
    signs = vectors.gather(-2, index).sign()
    return (vectors * signs, *(o * signs.transpose(-2, -1) for o in others))


def svd_call(lib, A, *args, **kwargs):
    u, s, vh = lib.linalg.svd(A, *args, **kwargs)
    u, vh = fix_signs(u, vh)
    return u, s, vh


def eigh_call(lib, A, *args, **kwargs):
    w, v = lib.linalg.eigh(A, *args, **kwargs)
    return w, fix_signs(v)[0]


# ----- sorting and selection ---------------------------------------------------------------
def sort_samples(m: Maker):
    if not m.is_float:
        nan = []
    else:
        nan = [S(np.array([[0.5, np.nan, -1.0, 0.5, np.inf]], m.dtype), descending=True)]
    return [S(m(3, 4)), S(m(3, 4), 0), S(m(3, 4), descending=True), S(m(2, 3, 4), -1, True),
            S(m()), S(m(0, 3), 1), S(tied(m, 2, 6), stable=True),
            S(tied(m, 2, 6), descending=True, stable=True)] + nan  # fmt: skip


add("sort", sort_samples, dtypes=NUMERIC, errors=(E(IndexError, f32(3), 1, message=True),))
add("argsort", sort_samples, dtypes=NUMERIC, grad=False)
add("msort", lambda m: [S(m(3, 4)), S(m(4)), S(tied(m, 5, 2))], dtypes=NUMERIC)
add("topk", lambda m: [S(m(3, 4), 2), S(m(3, 4), 1, 0), S(m(3, 4), 2, largest=False),
                       S(m(2, 3, 4), 3, -1, True), S(m(3, 4), 0), S(m(), 1)],
    dtypes=FLOAT, errors=(E(RuntimeError, f32(3), 4, message=True),))  # fmt: skip
KTH_ERRORS = (E(RuntimeError, f32(3), 4, message=True), E(RuntimeError, f32(3), 0, message=True))
add("kthvalue", lambda m: [S(m(3, 4), 2), S(m(3, 4), 1, 0), S(m(2, 3, 4), 3, -1, True),
                           S(m(), 1)], errors=KTH_ERRORS)  # fmt: skip
add("median", lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(2, 3, 4), 0, True), S(m()),
                         S(np.array([[1.0, np.nan, 0.0, np.nan]], m.dtype), 1),
                         S(np.array([2.0, np.nan, 1.0], m.dtype))],
    errors=(E(IndexError, f32(0, 3), 0, message=True),))  # fmt: skip
add("mode", lambda m: [S(m(3, 4)), S(m(2, 3, 4), 1, True), S(m()),
                       S(tied(m, 3, 7)), S(np.array([2, 1, 2, 1], m.dtype))],
    dtypes=NUMERIC)  # fmt: skip


def unique_samples(m: Maker):
    x = tied(m, 3, 4)
    return [S(x), S(x, return_inverse=True, return_counts=True), S(x, sorted=False),
            S(x, dim=0, return_inverse=True), S(x, dim=1, return_counts=True), S(tied(m)),
            S(tied(m, 0))]  # fmt: skip


add("unique", unique_samples, dtypes=ALL, grad=False)
add("unique_consecutive", lambda m: [S(tied(m, 8)), S(tied(m, 8), True, True),
                                     S(tied(m, 4, 2), return_counts=True, dim=0),
                                     S(tied(m, 2, 3), return_inverse=True, dim=1)],
    dtypes=ALL, grad=False)  # fmt: skip
add("nonzero", lambda m: [S(tied(m, 3, 4)), S(tied(m, 3, 4), as_tuple=True), S(tied(m)),
                          S(tied(m), as_tuple=True), S(tied(m, 0, 3))],
    dtypes=ALL, grad=False, out=True)  # fmt: skip
add("argwhere", lambda m: [S(tied(m, 3, 4)), S(tied(m)), S(tied(m, 2, 0))], dtypes=ALL, grad=False)
add("bincount", lambda m: [S(m.ints(0, 5, 10)), S(m.ints(0, 5, 10), m.of("float32", 10)),
                           S(m.ints(0, 5, 10), m.of("float64", 10), 8),
                           S(m.ints(0, 5, 4), m.of("int64", 4)), S(np.zeros(0, np.int64)),
                           S(m.ints(0, 3, 6), minlength=5)],
    dtypes=("int64",), grad=False, errors=(
        E(RuntimeError, np.array([-1, 2]), message=True),
        E(RuntimeError, i64(2, 2), message=True),
        E(NotImplementedError, f32(3), message=True)))  # fmt: skip
add("histc", lambda m: [S(m(10)), S(m(10), bins=4), S(m(3, 4), bins=5, min=-1, max=1),
                        S(m(10), 4, 0, 0), S(np.array([1.0, 2.0, 1.0, 4.0], m.dtype), bins=4)],
    grad=False, out=True, errors=(E(NotImplementedError, i64(3), message=True),))  # fmt: skip


def search_samples(m: Maker):
    edges = np.sort(m(5))
    return [S(edges, m(3, 4)), S(edges, m(4), right=True), S(np.sort(m(2, 5), -1), m(2, 3)),
            S(edges, m(4), side="right"), S(edges, m(4), out_int32=True),
            S(np.sort(tied(m, 5)), tied(m, 4)), S(np.sort(tied(m, 5)), tied(m, 4), right=True),
            S(m(5), m(4), sorter=np.argsort(m(5)))]  # fmt: skip


def searchsorted_samples(m: Maker):
    out = search_samples(m)
    edges = out[-1].args[0]  # sorter: the order that sorts this (unsorted) sequence
    out[-1] = S(edges, out[-1].args[1], sorter=np.argsort(edges, kind="stable"))
    return out


add("searchsorted", searchsorted_samples, dtypes=NUMERIC, grad=False, errors=(
    E(RuntimeError, f32(1, 2), f32(1), message=True),))  # fmt: skip
add("bucketize", lambda m: [S(v, e, **s.kwargs) for s in search_samples(m)[:7]
                            for e, v in [s.args] if e.ndim == 1 and "side" not in s.kwargs],
    dtypes=NUMERIC, grad=False)  # fmt: skip
add("repeat_interleave_int", lambda m: [S(m(2, 3), 2), S(m(2, 3), 2, 0), S(m(2, 3), 3, -1),
                                        S(m(), 2), S(m(2, 3), 0, 1)],
    call=lambda lib, x, r, dim=None: lib.repeat_interleave(x, r, dim), dtypes=NUMERIC,
    internal=True)  # fmt: skip

# ----- cross, diag, trace, cdist -----------------------------------------------------------
add("linalg_cross", lambda m: [S(m(4, 3), m(4, 3)), S(m(3, 2), m(3, 2), dim=0),
                               S(m(2, 1, 3), m(2, 4, 3))],
    call=linalg("cross"), dtypes=NUMERIC, internal=True, errors=(
        E(RuntimeError, f32(3, 2), f32(3, 2), message=True),
        E(RuntimeError, f32(3), f32(2, 3), message=True)))  # fmt: skip
add("cross", lambda m: [S(m(4, 3), m(4, 3), 1), S(m(3, 4), m(3, 4), 0), S(m(3), m(3), dim=0)],
    dtypes=NUMERIC, out=True, errors=(
        E(RuntimeError, f32(3, 2), f32(3, 2), 1, message=True),))  # fmt: skip
add("diag", lambda m: [S(m(3)), S(m(3), 1), S(m(3), -2), S(m(3, 4)), S(m(3, 4), -1),
                       S(m(3, 4), 2)],
    dtypes=NUMERIC, out=True, errors=(E(RuntimeError, f32(2, 2, 2), message=True),))  # fmt: skip
add("diag_embed", lambda m: [S(m(3)), S(m(2, 3)), S(m(2, 3), 1), S(m(2, 3), -1, 0, 2)],
    dtypes=NUMERIC)  # fmt: skip
add("trace", lambda m: [S(m(3, 3)), S(m(3, 4)), S(m(0, 0))], dtypes=NUMERIC,
    errors=(E(RuntimeError, f32(2, 2, 2), message=True),))  # fmt: skip


def cdist_samples(m: Maker):
    a = m(3, 2)
    return [S(a, m(4, 2)), S(m(2, 3, 2), m(4, 2), 1.0), S(a, m(4, 2), 3.0), S(a, m(4, 2), 0.0),
            S(a, m(4, 2), INF), S(a, a.copy()), S(a, a.copy(), 1.0)]  # fmt: skip


add("cdist", cdist_samples, errors=(
    E(RuntimeError, f32(3), f32(3), message=True),
    E(RuntimeError, f32(3, 2), f32(3, 3), message=True),
    E(RuntimeError, f32(3, 2), f32(3, 2), -1.0, message=True),
    E(RuntimeError, i64(3, 2), i64(3, 2), message=True)))  # fmt: skip

# ----- decompositions and solvers ----------------------------------------------------------
NOT_SQUARE = E(RuntimeError, f32(3, 2), message=True)
add("inverse", lambda m: [S(square(m)), S(square(m, 2)), S(m(0, 0))], out=True,
    errors=(NOT_SQUARE, E(RuntimeError, i64(3, 3), message=True),
            E(RuntimeError, f32(3), message=True)))  # fmt: skip
add("det", lambda m: [S(square(m)), S(square(m, 2)), S(m(2, 2))],
    errors=(NOT_SQUARE, E(RuntimeError, f32(3), message=True)))  # fmt: skip


add("slogdet", lambda m: [S(square(m)), S(-square(m, 2)), S(m(3, 3))],
    errors=(NOT_SQUARE,))  # fmt: skip
add("logdet", lambda m: [S(spd(m)), S(spd(m, 2))])
add("linalg_solve", lambda m: [S(square(m), m(3, 2)), S(square(m), m(3)),
                               S(square(m, 2), m(2, 3)), S(square(m, 2), m(2, 3, 4)),
                               S(square(m), m(2, 3), left=False)],
    call=linalg("solve"), internal=True, errors=(
        E(RuntimeError, f32(3, 3), f32(2), message=True),
        E(RuntimeError, f32(3, 2), f32(3), message=True)))  # fmt: skip
add("linalg_svd", lambda m: [S(m(3, 3)), S(m(4, 3), full_matrices=False),
                             S(m(3, 4), full_matrices=False), S(m(2, 3, 3))],
    call=svd_call, internal=True, errors=(
        E(RuntimeError, f32(3), message=True),
        E(RuntimeError, i64(3, 3), message=True)))  # fmt: skip
add("linalg_svdvals", lambda m: [S(m(3, 4)), S(m(2, 3, 3)), S(m(4, 2))], call=linalg("svdvals"),
    internal=True)  # fmt: skip
add("linalg_qr", lambda m: [S(m(3, 3)), S(m(4, 3)), S(m(2, 4, 3)), S(m(3, 3), "complete")],
    call=linalg("qr"), internal=True, errors=(
        E(RuntimeError, f32(3, 3), "x", message=True),))  # fmt: skip
add("qr", lambda m: [S(m(3, 3)), S(m(4, 3)), S(m(3, 3), False)],
    call=quiet(lambda lib: lib.qr))  # fmt: skip
add("linalg_eigh", lambda m: [S(spd(m)), S(spd(m, 2)), S(spd(m), "U"), S(lower_only(m))],
    call=eigh_call, internal=True, errors=(
        E(RuntimeError, f32(2, 3), message=True),
        E(RuntimeError, f32(3, 3), UPLO="X", message=True),
        E(NotImplementedError, i64(3, 3), message=True)))  # fmt: skip
add("linalg_eigvalsh", lambda m: [S(spd(m)), S(spd(m, 2), "U"), S(lower_only(m))],
    call=linalg("eigvalsh"), internal=True)  # fmt: skip
add("linalg_cholesky", lambda m: [S(spd(m)), S(spd(m, 2)), S(spd(m), upper=True),
                                  S(lower_only(m)), S(lower_only(m).T.copy(), upper=True)],
    call=linalg("cholesky"), internal=True, errors=(
        E(RuntimeError, f32(3, 2), message=True),
        E(RuntimeError, i64(3, 3), message=True)))  # fmt: skip
add("cholesky", lambda m: [S(spd(m)), S(spd(m, 2), True), S(lower_only(m))],
    call=quiet(lambda lib: lib.cholesky))  # fmt: skip
add("linalg_pinv", lambda m: [S(m(3, 4)), S(m(4, 3)), S(m(2, 3, 3)), S(spd(m), hermitian=True),
                              S(m(3, 4), rtol=0.1)],
    call=linalg("pinv"), internal=True, errors=(
        E(RuntimeError, f32(3), message=True),))  # fmt: skip


def rank_samples(m: Maker):
    low = np.asarray(np.outer(m(3), m(4)), m.dtype)
    return [S(m(3, 4)), S(low), S(m(2, 3, 3)), S(spd(m), hermitian=True), S(m(3, 3), atol=1.0),
            S(m(3, 3), rtol=0.5), S(low, hermitian=False)]  # fmt: skip


add("linalg_matrix_rank", rank_samples, call=linalg("matrix_rank"), internal=True, grad=False)
add("linalg_lstsq", lambda m: [S(m(5, 3), m(5, 2)), S(square(m), m(3, 2)), S(m(5, 3), m(5)),
                               S(m(5, 3), m(5, 2), driver="gelsd"),
                               S(m(2, 5, 3), m(2, 5, 1), driver="gelss")],
    call=linalg("lstsq"), internal=True)  # fmt: skip

# ----- norms -------------------------------------------------------------------------------
add("linalg_vector_norm", lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(3, 4), INF),
                                     S(m(3, 4), -INF, 1), S(m(3, 4), 3.5, (0, 1), True),
                                     S(m(3, 4), 2, 1, dtype=Dtype("float64")),
                                     S(np.zeros(3, m.dtype)), S(m())],
    call=linalg("vector_norm"), internal=True, errors=(
        E(RuntimeError, i64(3), message=True), E(TypeError, f32(3), "fro")))  # fmt: skip
add("linalg_matrix_norm", lambda m: [S(m(3, 4)), S(m(3, 4), "nuc"), S(m(3, 4), 2),
                                     S(m(3, 4), -2), S(m(3, 4), 1), S(m(3, 4), -INF),
                                     S(m(2, 3, 4), "fro", (0, 2)), S(m(2, 3, 4), 1, keepdim=True)],
    call=linalg("matrix_norm"), internal=True, errors=(
        E(RuntimeError, f32(3), message=True),
        E(RuntimeError, f32(3, 3), 3, message=True)))  # fmt: skip


# ----- keeping the suite fast --------------------------------------------------------------
# Every sample runs forward in float32 (and int64 where listed); gradients are compared in
# float64, where each new shape compiles backward kernels, so float64 keeps these samples.
GRAD_SAMPLES = {
    "sort": (0, 6, 8), "argsort": (0, 6, 8), "msort": (0,), "topk": (0, 2), "kthvalue": (0, 2),
    "median": (0, 2, 4), "mode": (0, 3), "cdist": (0, 1, 2, 5, 6),
    "linalg_matrix_norm": (0, 1, 2, 4, 5), "linalg_vector_norm": (0, 1, 2, 6), "diag": (0, 3),
    "diag_embed": (1, 3), "inverse": (0, 1), "det": (0, 1), "slogdet": (0, 1), "logdet": (0,),
    "linalg_solve": (0, 1, 4), "linalg_svd": (0, 1), "linalg_eigh": (0, 3),
    "linalg_cholesky": (0, 2, 3), "cholesky": (2,), "linalg_pinv": (0, 3),
    "linalg_lstsq": (0, 3), "linalg_qr": (1, 3), "qr": (0,), "searchsorted": (0, 5),
    "bucketize": (0, 4), "repeat_interleave_int": (0, 1), "cross": (0,), "linalg_cross": (0,),
    "trace": (0,), "linalg_eigvalsh": (0, 2), "linalg_svdvals": (0,),
}  # fmt: skip


def _float64_subset(samples, keep):
    def subset(m: Maker):
        out = samples(m)
        return [out[i] for i in keep] if m.dtype == "float64" else out

    return subset


for _name, _keep in GRAD_SAMPLES.items():
    RECORDS[_name].samples = _float64_subset(RECORDS[_name].samples, _keep)
