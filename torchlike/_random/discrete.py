"""Bernoulli, dropout masks and multinomial sampling of torch's CPU generator."""

from __future__ import annotations

import numpy as np

from .dtypes import as_shape, fmt_double, numel, scalar_type_name
from .engine import CPUGeneratorState
from .layout import place_in_fill_order
from .sampling import exponential

_P_TENSOR_ERROR = (
    "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
    "(Could this error message be improved?  If so, please report an enhancement request "
    "to PyTorch.)"
)


def bernoulli_scalar(gen: CPUGeneratorState, shape, p: float, dtype="float32") -> np.ndarray:
    """Tensor.bernoulli_(p) / torch.bernoulli(x, p=p): 1 where a double uniform is below p."""
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={fmt_double(p)}")
    shape = as_shape(shape)
    return (gen.uniform64(numel(shape)) < p).astype(np.dtype(dtype)).reshape(shape)


def _expand_probs(probs: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    try:
        return np.broadcast_to(probs, shape)
    except ValueError:
        pass
    for dim in range(1, len(shape) + 1):
        size = probs.shape[-dim] if dim <= probs.ndim else 1
        if size not in (1, shape[-dim]):
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-dim]}) must match the existing size "
                f"({size}) at non-singleton dimension {len(shape) - dim}.  Target sizes: "
                f"{list(shape)}.  Tensor sizes: {list(probs.shape)}"
            )
    raise RuntimeError(f"cannot expand probabilities of shape {probs.shape} to {shape}")


def bernoulli_tensor(gen: CPUGeneratorState, probs: np.ndarray, shape=None, dtype=None):
    """torch.bernoulli(P) (shape, dtype from P) or Tensor.bernoulli_(P) (P broadcast to shape).

    float64 P compares a double uniform (2 draws); float32 P a float uniform (1 draw).
    """
    probs = np.asarray(probs)
    shape = probs.shape if shape is None else as_shape(shape)
    dtype = probs.dtype if dtype is None else np.dtype(dtype)
    if probs.dtype not in (np.float32, np.float64):
        raise NotImplementedError(
            f"\"bernoulli_tensor_cpu_p_\" not implemented for '{scalar_type_name(probs.dtype)}'"
        )
    flat = _expand_probs(probs, shape).ravel()
    invalid = np.flatnonzero(~((flat >= 0) & (flat <= 1)))
    # Elements before the first bad probability have already drawn when torch raises.
    count = int(invalid[0]) if invalid.size else flat.size
    if probs.dtype == np.float64:
        drawn = gen.uniform64(count) < flat[:count]
    else:
        drawn = gen.uniform32(count) < flat[:count]
    if invalid.size:
        raise RuntimeError(_P_TENSOR_ERROR)
    return drawn.astype(dtype).reshape(shape)


def _check_dropout_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout_noise(gen: CPUGeneratorState, shape, p: float, dtype="float32") -> np.ndarray:
    """The scaled keep mask F.dropout multiplies by: 0 or T(1 / T(1 - p)) per element."""
    dtype = np.dtype(dtype)
    keep = bernoulli_scalar(gen, shape, 1.0 - p, dtype)
    # torch divides the 0/1 mask by T(1 - p); 1 / T(1 - p) is rounded once in T.
    return keep * (dtype.type(1) / dtype.type(1.0 - p))


def dropout(gen: CPUGeneratorState, x: np.ndarray, p: float = 0.5, training: bool = True):
    """F.dropout / nn.Dropout on CPU (returns x itself when nothing is dropped)."""
    _check_dropout_p(p)
    if p == 0 or not training or x.size == 0:
        return x
    if p == 1:
        return x * x.dtype.type(0)
    return x * dropout_noise(gen, x.shape, p, x.dtype)


def feature_dropout_noise(gen: CPUGeneratorState, shape, p: float, dtype="float32"):
    """Noise of shape (N, C, 1, ...) that feature dropout broadcasts over the trailing dims."""
    shape = as_shape(shape)
    noise_shape = shape[:2] + (1,) * (len(shape) - 2)
    return dropout_noise(gen, noise_shape, p, dtype)


def feature_dropout(gen: CPUGeneratorState, x: np.ndarray, p: float = 0.5, training=True):
    """torch.feature_dropout: one Bernoulli per (n, c), as used by F.dropout1d/2d/3d."""
    _check_dropout_p(p)
    if p == 0 or not training or x.size == 0:
        return x
    if p == 1:
        return x * x.dtype.type(0)
    return x * feature_dropout_noise(gen, x.shape, p, x.dtype)


def dropout2d(gen: CPUGeneratorState, x: np.ndarray, p: float = 0.5, training: bool = True):
    """F.dropout2d's draws and values: feature dropout over dims 0 and 1 of any input.

    torch treats a 3-D input as (N, C, L) here (with a warning the caller should emit).
    """
    return feature_dropout(gen, x, p, training)


def _check_multinomial(probs: np.ndarray, num_samples: int, replacement: bool) -> None:
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype.kind != "f":
        raise RuntimeError(
            "multinomial only supports floating-point dtypes for input, got: "
            f"{scalar_type_name(probs.dtype)}"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if probs.shape[-1] > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")


def multinomial(
    gen: CPUGeneratorState, probs, num_samples: int, replacement: bool = False, strides=None
):
    """torch.multinomial(probs, num_samples, replacement) for 1-D or 2-D float probs.

    `strides` are the element strides of a 2-D probs tensor: torch draws its exponential
    race on a tensor laid out like probs, so a transposed probs is drawn column by column.
    """
    probs = np.asarray(probs)
    num_samples = int(num_samples)
    _check_multinomial(probs, num_samples, replacement)
    rows = probs.reshape(-1, probs.shape[-1])
    out_shape = probs.shape[:-1] + (num_samples,)
    if rows.shape[0] == 0:
        return np.empty(out_shape, dtype=np.int64)
    if not replacement or num_samples == 1:
        picks = _multinomial_by_exponential_race(gen, rows, num_samples, strides)
    else:
        picks = _multinomial_by_inversion(gen, rows, num_samples)
    return picks.reshape(out_shape)


def _multinomial_by_exponential_race(gen, rows: np.ndarray, num_samples: int, strides=None):
    # argmax / top-k of p / q with q ~ Exp(1) (the Gumbel trick, exponentiated).
    if not (rows.max() < np.inf and rows.min() >= 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    q = exponential(gen, rows.shape, rows.dtype, 1.0)
    if strides is not None and len(strides) == 2:
        q = place_in_fill_order(q, rows.shape, strides)
    with np.errstate(divide="ignore"):
        weights = rows / q
    if num_samples == 1:
        return np.argmax(weights, axis=1).reshape(-1, 1).astype(np.int64)
    # Ties (only among zero-probability categories in practice) are broken by index here.
    order = np.argsort(-weights, axis=1, kind="stable")
    return order[:, :num_samples].astype(np.int64)


def _multinomial_by_inversion(gen, rows: np.ndarray, num_samples: int) -> np.ndarray:
    # Row by row: normalised running sums in the dtype, then one double uniform per sample.
    picks = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for index, row in enumerate(rows):
        suspicious = ~((row >= 0) & np.isfinite(row))
        if suspicious.any():
            # torch checks entry by entry: "< 0" (NaN included) before "not finite".
            if not row[np.flatnonzero(suspicious)[0]] >= 0:
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry < 0)"
                )
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry = infinity "
                "or NaN)"
            )
        cumulative = np.cumsum(row, dtype=row.dtype)
        total = cumulative[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cumulative /= total
        cumulative[-1] = 1
        u = gen.uniform64(num_samples)
        picks[index] = np.searchsorted(cumulative.astype(np.float64), u, side="left")
    return picks
