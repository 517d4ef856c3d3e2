"""The Box-Muller kernels behind torch's CPU normal_: two vector paths and one scalar path.

* float32 vector path: the AVX2 polynomial log and sincos, evaluated in binary32 with the
  fused multiply-adds emulated exactly (spec section 7.2).
* float64 vector path: C library log/cos/sin through Python's math module, which calls the
  same libm as PyTorch (numpy's own SIMD transcendentals may differ in the last bit).
* scalar path: Box-Muller in double with one cached sample per pair (spec section 7.3).
"""

from __future__ import annotations

import math

import numpy as np

from .engine import CPUGeneratorState
from .exact_fma import add_round_f32, fma64


def _f32(bits: int) -> np.float32:
    return np.array([bits], dtype=np.uint32).view(np.float32)[0]


_LOG_POLY = [
    _f32(b)
    for b in (
        0x3D9021BB,
        0xBDEBD1B8,
        0x3DEF251A,
        0xBDFE5D4F,
        0x3E11E9BF,
        0xBE2AAE50,
        0x3E4CCEAC,
        0xBE7FFFFC,
        0x3EAAAAAA,
    )
]
_LOG_Q1, _LOG_Q2 = _f32(0xB95E8083), _f32(0x3F318000)
_SQRT_HALF = _f32(0x3F3504F3)
_TWO_PI_F32 = _f32(0x40C90FDB)
_FOUR_OVER_PI = _f32(0x3FA2F983)
_DP1, _DP2, _DP3 = (float(_f32(b)) for b in (0xBF490000, 0xB97DA000, 0xB3222169))
_SIN_POLY = [float(_f32(b)) for b in (0xB94CA1F9, 0x3C08839E, 0xBE2AAAA3)]
_COS_POLY = [float(_f32(b)) for b in (0x37CCF5CE, 0xBAB6061A, 0x3D2AAAA5)]
_MIN_NORMAL_F32 = np.float32(2.0**-126)
_ONE, _HALF, _MINUS_TWO = np.float32(1.0), np.float32(0.5), np.float32(-2.0)
_TWO_PI_F64 = 2.0 * math.pi
_ROWS_PER_CHUNK = 4096


def _fma(a32, b, c) -> np.ndarray:
    """float32 fma where every result stays in float32's normal range (true in this kernel)."""
    return add_round_f32(a32.astype(np.float64) * b, c, normal_range=True)


def log_avx2(x: np.ndarray) -> np.ndarray:
    """The AVX2 kernel's float32 natural log for x in (0, 1]."""
    x = np.maximum(x, _MIN_NORMAL_F32)
    bits = x.view(np.uint32)
    exponent = (bits >> np.uint32(23)).astype(np.int32) - 127
    e = exponent.astype(np.float32) + _ONE
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(np.float32)
    below = m < _SQRT_HALF
    e[below] -= _ONE
    t = m - _ONE
    t[below] += m[below]
    t64 = t.astype(np.float64)
    z = t * t
    y = np.full(t.shape, _LOG_POLY[0], dtype=np.float32)
    for coeff in _LOG_POLY[1:]:
        y = _fma(y, t64, float(coeff))
    y = y * t
    y = _fma(y, z.astype(np.float64), (e * _LOG_Q1).astype(np.float64))
    y = y - _HALF * z
    return _fma(e, float(_LOG_Q2), (t + y).astype(np.float64))


def sincos_avx2(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The AVX2 kernel's float32 (sin, cos) for theta >= 0."""
    octant = (theta * _FOUR_OVER_PI).astype(np.int32)
    octant = (octant + 1) & ~1
    y64 = octant.astype(np.float32).astype(np.float64)
    x = add_round_f32(y64 * _DP1, theta.astype(np.float64), normal_range=True)
    x = _fma(y64, _DP2, x.astype(np.float64))
    x = _fma(y64, _DP3, x.astype(np.float64))
    z = x * x
    z64 = z.astype(np.float64)
    c = _fma(np.full(z.shape, _COS_POLY[0], np.float32), z64, _COS_POLY[1])
    c = _fma(c, z64, _COS_POLY[2])
    c = c * z
    c = _fma(c, z64, -(_HALF * z).astype(np.float64))
    c = c + _ONE
    s = _fma(np.full(z.shape, _SIN_POLY[0], np.float32), z64, _SIN_POLY[1])
    s = _fma(s, z64, _SIN_POLY[2])
    s = s * z
    s = _fma(s, x.astype(np.float64), x.astype(np.float64))
    swap = (octant & 2) != 0
    sin = np.where(swap, c, s)
    cos = np.where(swap, s, c)
    np.negative(sin, out=sin, where=(octant & 4) != 0)
    np.negative(cos, out=cos, where=((octant - 2) & 4) == 0)
    return sin, cos


def _fill_f32(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    """One AVX2 Box-Muller pass over rows of 16 float32 uniforms."""
    u1 = _ONE - blocks[:, :8]
    u2 = blocks[:, 8:]
    radius = np.sqrt(_MINUS_TWO * log_avx2(u1))
    sin, cos = sincos_avx2(_TWO_PI_F32 * u2)
    out = np.empty_like(blocks)
    std32, mean32 = np.float32(std), np.float32(mean)
    if std32 == 1 and mean32 == 0:
        # fma(n, 1, 0) is n + 0 (which only turns -0 into +0).
        out[:, :8] = radius * cos + np.float32(0)
        out[:, 8:] = radius * sin + np.float32(0)
    else:
        std64, mean64 = float(std32), float(mean32)
        out[:, :8] = add_round_f32((radius * cos).astype(np.float64) * std64, mean64)
        out[:, 8:] = add_round_f32((radius * sin).astype(np.float64) * std64, mean64)
    return out


def _libm(func, values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(func, values.ravel().tolist()), np.float64, values.size).reshape(
        values.shape
    )


def _fma_mean_std(z: np.ndarray, mean: float, std: float) -> np.ndarray:
    if std == 1.0:
        return z + mean  # fma(z, 1, mean) rounds z + mean once
    return fma64(z, std, mean)


def _fill_f64(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    """One double Box-Muller pass over rows of 16 float64 uniforms (libm log/cos/sin)."""
    u1 = 1.0 - blocks[:, :8]
    theta = _TWO_PI_F64 * blocks[:, 8:]
    radius = np.sqrt(-2.0 * _libm(math.log, u1))
    out = np.empty_like(blocks)
    out[:, :8] = _fma_mean_std(radius * _libm(math.cos, theta), mean, std)
    out[:, 8:] = _fma_mean_std(radius * _libm(math.sin, theta), mean, std)
    return out


def normal_vector_path(gen: CPUGeneratorState, count: int, dtype, mean: float, std: float):
    """normal_ on a contiguous tensor of `count` >= 16 elements (float32 or float64)."""
    dtype = np.dtype(dtype)
    full = count // 16
    has_tail = count % 16 != 0
    # All n uniforms are drawn first; a ragged tail then draws 16 more for its own block.
    uniforms = gen.uniform(count + 16 * has_tail, dtype)
    blocks = uniforms[: full * 16].reshape(full, 16)
    if has_tail:
        blocks = np.concatenate([blocks, uniforms[count:].reshape(1, 16)])
    fill = _fill_f64 if dtype == np.float64 else _fill_f32
    done = np.empty_like(blocks)
    # Chunks that stay in cache make the many elementwise passes about three times faster.
    for start in range(0, blocks.shape[0], _ROWS_PER_CHUNK):
        rows = slice(start, start + _ROWS_PER_CHUNK)
        done[rows] = fill(blocks[rows], mean, std)
    out = np.empty(count, dtype=dtype)
    out[: full * 16] = done[:full].ravel()
    if has_tail:
        out[count - 16 :] = done[full]
    return out


def normal_scalar_path(gen: CPUGeneratorState, count: int, dtype, mean: float, std: float):
    """normal_ element by element in double, sharing the generator's cached sample."""
    z = np.empty(count, dtype=np.float64)
    start = 0
    if count and gen.double_normal is not None:
        z[0] = gen.double_normal
        gen.double_normal = None
        start = 1
    remaining = count - start
    pairs = (remaining + 1) // 2
    if pairs:
        u = gen.uniform64(2 * pairs)
        angle = _TWO_PI_F64 * u[0::2]
        radius = np.sqrt(-2.0 * _libm(math.log1p, -u[1::2]))
        both = np.empty(2 * pairs, dtype=np.float64)
        both[0::2] = radius * _libm(math.cos, angle)
        both[1::2] = radius * _libm(math.sin, angle)
        z[start:] = both[:remaining]
        if remaining % 2:
            gen.double_normal = float(both[-1])  # the sine half waits for the next call
    return _fma_mean_std(z, float(mean), float(std)).astype(dtype)
