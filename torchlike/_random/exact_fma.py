"""Correctly rounded fused multiply-add for numpy arrays, which numpy does not provide.

float32: a*b of two binary32 values is exact in binary64, so only the addition can round
twice; that can go wrong only when the binary64 sum lands exactly on a binary32 midpoint,
and those few elements are re-rounded through round-to-odd.
float64: Boldo and Melquiond's emulation (exact product, TwoSum, round-to-odd, nearest).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

_SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp's constant for binary64
_F32_TINY = 2.0**-125  # below this a float32 result may be subnormal
_TIE_MASK = np.int64((1 << 29) - 1)  # binary64 bits below a binary32 significand
_TIE_HALF = np.int64(1 << 28)
_INF = np.float64(np.inf)
_EFT_TINY = 2.0**-960  # below this a product's rounding error may not be a double
_EFT_HUGE = 2.0**990  # above this Veltkamp's splitting may overflow


def two_sum(a, b):
    """(s, e) with s = fl(a + b) and a + b = s + e exactly (Knuth's TwoSum)."""
    s = a + b
    b_virtual = s - a
    a_virtual = s - b_virtual
    return s, (a - a_virtual) + (b - b_virtual)


def _split(x):
    c = _SPLITTER * x
    high = c - (c - x)
    return high, x - high


def two_product(a, b):
    """(p, e) with p = fl(a * b) and a * b = p + e exactly (Dekker; no underflow assumed)."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def _to_odd(s, err):
    """Turn a round-to-nearest result s (exact error err) into the round-to-odd result."""
    even = (s.view(np.int64) & 1) == 0
    fix = (err != 0) & even
    if fix.any():
        s = s.copy()
        s[fix] = np.nextafter(s[fix], np.copysign(_INF, err[fix]))
    return s


def add_round_f32(p, c, normal_range: bool = False) -> np.ndarray:
    """float32(p + c) with one rounding, for float64 p and c whose sum needs at most float64.

    `normal_range=True` promises that no result is below float32's normal range.
    """
    s = np.asarray(p + c, dtype=np.float64)
    result = s.astype(np.float32)
    suspect = (s.view(np.int64) & _TIE_MASK) == _TIE_HALF
    if not normal_range:
        suspect |= np.abs(s) < _F32_TINY
    idx = np.flatnonzero(suspect)
    if idx.size:
        p_sub = np.broadcast_to(p, s.shape).ravel()[idx]
        c_sub = np.broadcast_to(c, s.shape).ravel()[idx]
        s_sub, err = two_sum(p_sub, c_sub)
        result.ravel()[idx] = _to_odd(s_sub, err).astype(np.float32)
    return result


def fma32(a, b, c, normal_range: bool = False) -> np.ndarray:
    """float32 fma(a, b, c) with a single rounding, elementwise."""
    a64 = np.asarray(a, dtype=np.float32).astype(np.float64)
    b64 = np.asarray(b, dtype=np.float32).astype(np.float64)
    c64 = np.asarray(c, dtype=np.float32).astype(np.float64)
    return add_round_f32(a64 * b64, c64, normal_range)


def _fma_rational(a: float, b: float, c: float) -> float:
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        # An exactly zero product keeps IEEE's signed-zero rule; cancellation gives +0.
        return a * b + c if a * b == 0 else 0.0
    try:
        return float(exact)  # Fraction -> float rounds to nearest, subnormals included
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def fma64(a, b, c) -> np.ndarray:
    """float64 fma(a, b, c) with a single rounding, elementwise, for finite inputs."""
    a, b, c = np.broadcast_arrays(
        np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64)
    )
    with np.errstate(over="ignore", invalid="ignore"):
        prod_hi, prod_lo = two_product(a, b)
        sum_hi, sum_lo = two_sum(c, prod_hi)
        tail, tail_err = two_sum(sum_lo, prod_lo)
        result = np.array(sum_hi + _to_odd(np.array(tail), tail_err))
    # Adding zero error terms loses a zero's sign: a zero product gives fl(a*b + c) = fma, and
    # an exact cancellation of nonzero terms is +0 under round to nearest.
    zero = result == 0
    if zero.any():
        exact_zero_product = (a == 0) | (b == 0)
        result[zero] = np.where(exact_zero_product, a * b + c, 0.0)[zero]
    # Dekker's product is exact only away from underflow and overflow: do those exactly.
    magnitude = np.abs(prod_hi)
    hard = (magnitude < _EFT_TINY) & (a != 0) & (b != 0)
    hard |= (magnitude > _EFT_HUGE) | (np.abs(a) > _EFT_HUGE) | (np.abs(b) > _EFT_HUGE)
    hard_idx = np.flatnonzero(hard)
    if hard_idx.size:
        a_flat, b_flat, c_flat = a.ravel(), b.ravel(), c.ravel()
        result.ravel()[hard_idx] = [
            _fma_rational(float(a_flat[i]), float(b_flat[i]), float(c_flat[i])) for i in hard_idx
        ]
    return result
