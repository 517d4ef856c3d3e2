"""Float32 matrix products summed in the order torch's CPU GEMM (oneMKL sgemm) was measured to use.

torch 2.13 on CPU sends every float32 mm/addmm/linear to oneMKL's sgemm. MKL picks its kernel by
shape, operand layout, CPU and thread count, and does not promise the same bits across those
(its "conditional numerical reproducibility" mode is off in torch). XLA's dot sums in another
order, so a float32 product can differ from torch's in its last bits.

The orders below were read off torch with pair probes (two cancelling large values among ones
reveal the summation tree) and confirmed bit for bit on random inputs, on an AMD EPYC host with
oneMKL 2024.2 and 1 or 2 threads. Each product of two float32 numbers is exact in float64, so
every step is computed in float64 and rounded to float32 explicitly; a fused multiply-add is
rounded through float64 with round-to-odd, which makes the final float32 rounding correct.

`mm` returns None outside the measured cases, and `addmm` (differentiable, with the backward
products in torch's operand layouts) then uses XLA's product. `column_sums` is torch's sum(0)
order for the bias gradient. The mode is opt-in and about 30 times slower than XLA's dot on the
tutorial's shapes: `TORCHLIKE_EXACT_MATMUL=N` asks to emulate torch running N threads (1 or 2).
"""

from __future__ import annotations

import functools
import os

import jax
import jax.numpy as jnp
from jax import lax

ENV_VAR = "TORCHLIKE_EXACT_MATMUL"
MEASURED_THREADS = (1, 2)
PACKED_BLOCK = 192  # k-block of MKL's packed kernel: sequential within a block, blocks added to C
SMALL_N = 12  # below this many output columns MKL switches kernels
_F32, _F64 = jnp.float32, jnp.float64


def emulated_threads() -> int | None:
    """The torch thread count to emulate, read from TORCHLIKE_EXACT_MATMUL; None when off."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value in ("", "0"):
        return None
    if not value.isdigit():
        raise ValueError(f"{ENV_VAR} must be a thread count (1 or 2) or 0, got {value!r}")
    return int(value)


# ----- exactly rounded float32 steps, on float32 values held in float64 ---------------------------
# XLA's CPU compiler may drop a float64 -> float32 -> float64 round trip and contracts a * b + c
# into one FMA under jit, so every rounding here is explicit: integer bit operations
# (reduce_precision) for normal numbers and a scaled round-half-even for subnormals.
def round32(x):
    """Round float64 values to the nearest float32 value (ties to even), kept in float64."""
    normal = lax.reduce_precision(x, exponent_bits=8, mantissa_bits=23)  # flushes subnormals
    subnormal = jnp.round(x * 2.0**149) * 2.0**-149  # float32's subnormal spacing is 2**-149
    return jnp.where(jnp.abs(x) < 2.0**-126, subnormal, normal)


def add(x, y):
    """float32 x + y, rounded once (the float64 sum of two float32 values rounds correctly)."""
    return round32(x + y)


def mul_add(a, b, c):
    """float32 c + round(a * b): a multiply, then an add, each rounded to float32."""
    return round32(c + round32(a * b))


def fma(a, b, c):
    """float32 fused multiply-add a * b + c with one rounding, as the FMA instruction gives."""
    product = a * b  # exact: 24 + 24 significant bits fit in float64's 53
    total = c + product
    # Two-sum: `error` is exactly what the float64 sum lost.
    c_part = total - product
    error = (c - c_part) + (product - (total - c_part))
    # Round to odd: an inexact sum with an even last bit moves one ulp toward the true value, so
    # rounding it to float32 cannot resolve a false tie (53 >= 2 * 24 + 2 bits).
    bits = lax.bitcast_convert_type(total, jnp.int64)
    inexact_even = (error != 0) & jnp.isfinite(error) & ((bits & 1) == 0)
    step = jnp.where((error > 0) == (total > 0), 1, -1).astype(jnp.int64)
    odd = lax.bitcast_convert_type(bits + step, _F64)
    return round32(jnp.where(inexact_even, odd, total))


# ----- MKL's kernels -----------------------------------------------------------------------------
def sequential(mat1, mat2, *, fused=True, block=None, init=None):
    """C = init + mat1 @ mat2 summed k by k; with `block`, each k-block is summed from zero and
    the block sums are added to C in order (MKL's packed kernel)."""
    m, k = mat1.shape
    n = mat2.shape[1]
    block = k if block is None or block >= k else block
    blocks = -(-k // block)
    pad = blocks * block - k  # zero products leave a running sum unchanged
    a = jnp.pad(mat1, ((0, 0), (0, pad))).reshape(m, blocks, block).transpose(2, 1, 0)
    b = jnp.pad(mat2, ((0, pad), (0, 0))).reshape(blocks, block, n).transpose(1, 0, 2)
    step = fma if fused else mul_add

    def body(acc, ab):
        a_k, b_k = ab  # [blocks, m], [blocks, n]
        return step(a_k[:, :, None], b_k[:, None, :], acc), None

    parts, _ = lax.scan(body, jnp.zeros((blocks, m, n), _F64), (a, b))
    total = parts[0] if init is None else add(jnp.broadcast_to(init, (m, n)), parts[0])
    for i in range(1, blocks):
        total = add(total, parts[i])
    return total


def lanes(mat1, mat2, width):
    """C = mat1 @ mat2 by a dot kernel: `width` lanes take k mod width (multiply, then add), the
    lanes are summed by halving, and the k left over after whole vectors are added one by one."""
    m, k = mat1.shape
    n = mat2.shape[1]
    main = (k // width) * width
    a = mat1[:, :main].reshape(m, main // width, width).transpose(1, 2, 0)  # [steps, lane, m]
    b = mat2[:main].reshape(main // width, width, n)  # [steps, lane, n]

    def body(acc, ab):
        a_t, b_t = ab
        return mul_add(a_t[:, :, None], b_t[:, None, :], acc), None

    acc, _ = lax.scan(body, jnp.zeros((width, m, n), _F64), (a, b))
    while acc.shape[0] > 1:
        half = acc.shape[0] // 2
        acc = add(acc[:half], acc[half:])
    total = acc[0]
    for i in range(main, k):
        total = mul_add(mat1[:, i : i + 1], mat2[i : i + 1], total)
    return total


# ----- which kernel MKL runs (measured) ----------------------------------------------------------
def _packed_block(k: int) -> int:
    # Between one and two blocks MKL splits k in halves (an odd k leaves one last product alone).
    return k // 2 if PACKED_BLOCK < k <= 2 * PACKED_BLOCK else PACKED_BLOCK


def _packed(mat1, mat2, threads, bias=None):
    """MKL's packed kernel; with two threads, rows split unevenly below 12 change the order."""
    m = mat1.shape[0]
    if m < 4 or (threads == 2 and m < SMALL_N and m not in (4, 8)):
        return None
    return sequential(mat1, mat2, block=_packed_block(mat1.shape[1]), init=bias)


def _linear_forward(mat1, mat2, bias, threads):
    """mat1 @ W.t() (MKL's T,N case): packed kernel for wide outputs, dot kernels for narrow."""
    n = mat2.shape[1]
    if n >= SMALL_N:
        return _packed(mat1, mat2, threads, bias)
    if mat1.shape[1] % 4:
        return None  # tails of the narrow dot kernels were not measured
    split = (n // 4) * 4  # columns in groups of four take 4-lane dots, the rest 8-lane dots
    pieces = [lanes(mat1, mat2[:, :split], 4)] if split else []
    if split < n:
        pieces.append(lanes(mat1, mat2[:, split:], 8))
    out = jnp.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]
    return out if bias is None else add(out, jnp.broadcast_to(bias, out.shape))


def _weight_gradient(mat1, mat2, threads):
    """g.t() @ x (MKL's N,T case) with a short k: sequential sums, FMA or not by row group."""
    m, k = mat1.shape
    work = m * k * mat2.shape[1]
    if m < 4:
        return sequential(mat1, mat2, fused=False)
    if threads == 1 or m >= SMALL_N or work <= 2000:
        return sequential(mat1, mat2)
    if work < 8000:
        return None  # between these sizes MKL's switch to two threads was not measured
    split = (m // 4) * 4  # two threads: the rows past the last group of four skip FMA
    fused = sequential(mat1[:split], mat2)
    if split == m:
        return fused
    return jnp.concatenate([fused, sequential(mat1[split:], mat2, fused=False)], axis=0)


def _plan(mat1, mat2, bias, mat1_transposed, mat2_transposed, threads):
    n, k = mat2.shape[1], mat1.shape[1]
    if mat2_transposed and not mat1_transposed:
        return _linear_forward(mat1, mat2, bias, threads)
    if bias is not None or n < SMALL_N:
        return None
    if not mat1_transposed and not mat2_transposed:
        return _packed(mat1, mat2, threads)
    if mat1_transposed and not mat2_transposed and k <= PACKED_BLOCK and n % 4 == 0:
        return _weight_gradient(mat1, mat2, threads)
    return None


def mm(mat1, mat2, *, mat1_transposed=False, mat2_transposed=False, threads=1, bias=None):
    """bias + mat1 @ mat2 for float32 matrices in torch's CPU summation order, or None where that
    order was not measured. `matN_transposed` says the torch operand is a transposed view of a
    contiguous matrix (as `weight.t()` in linear); `bias` broadcasts to the result (addmm, beta
    and alpha 1)."""
    arrays = (mat1, mat2) if bias is None else (mat1, mat2, bias)
    if any(x.dtype != _F32 for x in arrays) or mat1.ndim != 2 or mat2.ndim != 2:
        return None
    if threads not in MEASURED_THREADS or min(*mat1.shape, mat2.shape[1]) < 2:
        return None
    # float32 values are exact in float64, where every step below rounds explicitly.
    mat1, mat2 = mat1.astype(_F64), mat2.astype(_F64)
    bias = None if bias is None else bias.astype(_F64)
    out = _plan(mat1, mat2, bias, mat1_transposed, mat2_transposed, threads)
    return None if out is None else out.astype(_F32)


def _sum_rows(rows):
    total = rows[0]
    for row in rows[1:]:
        total = add(total, row)
    return total


def column_sums(x):
    """torch's x.sum(0) for a float32 [rows, n] matrix, in torch's CPU order where measured (up to
    17 rows, rows % 4 in (0, 1)): whole groups of 32 columns add the rows one by one; the other
    columns keep four sums over rows i % 4, added (((s0 + s1) + s2) + s3). XLA's sum elsewhere."""
    rows, n = x.shape
    if x.dtype != _F32 or rows > 17 or rows % 4 > 1:
        return x.sum(axis=0)
    x = x.astype(_F64)
    wide = (n // 32) * 32
    pieces = [_sum_rows(x[:, :wide])] if wide else []
    if wide < n:
        tail = [_sum_rows(x[i::4, wide:]) for i in range(min(rows, 4))]
        pieces.append(_sum_rows(jnp.stack(tail)))
    out = jnp.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    return out.astype(_F32)


# ----- differentiable product with torch's backward layouts ---------------------------------------
def _or_xla(out, mat1, mat2, bias=None):
    if out is not None:
        return out
    product = mat1 @ mat2
    return product if bias is None else bias + product


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5))
def addmm(bias, mat1, mat2, mat1_transposed, mat2_transposed, threads):
    """torch.addmm(bias, mat1, mat2) (bias may be None: torch.mm) in torch's CPU summation order
    where measured, XLA's product elsewhere; its gradients are the products torch's backward
    runs, with the operand layouts torch gives them."""
    out = mm(mat1, mat2, mat1_transposed=mat1_transposed, mat2_transposed=mat2_transposed,
             threads=threads, bias=bias)  # fmt: skip
    return _or_xla(out, mat1, mat2, bias)


def _addmm_fwd(bias, mat1, mat2, mat1_transposed, mat2_transposed, threads):
    return addmm(bias, mat1, mat2, mat1_transposed, mat2_transposed, threads), (bias, mat1, mat2)


def _addmm_bwd(mat1_transposed, mat2_transposed, threads, saved, grad):
    bias, mat1, mat2 = saved
    product = functools.partial(mm, threads=threads)
    # torch writes each gradient in its operand's layout: a column-major operand's gradient is
    # computed transposed (grad.t() products), as torch's mm_mat1/mm_mat2_backward do.
    if mat1_transposed:
        g1 = product(mat2, grad.T, mat1_transposed=mat2_transposed, mat2_transposed=True)
        g1 = _or_xla(g1, mat2, grad.T).T
    else:
        g1 = _or_xla(product(grad, mat2.T, mat2_transposed=not mat2_transposed), grad, mat2.T)
    if mat2_transposed:
        g2 = product(grad.T, mat1, mat1_transposed=True, mat2_transposed=mat1_transposed)
        g2 = _or_xla(g2, grad.T, mat1).T
    else:
        g2 = _or_xla(product(mat1.T, grad, mat1_transposed=not mat1_transposed), mat1.T, grad)
    if bias is None:
        return None, g1, g2
    if bias.ndim == 1 and bias.shape[0] == grad.shape[1]:
        return column_sums(grad), g1, g2
    extra = grad.ndim - bias.ndim
    summed = grad.sum(axis=tuple(range(extra))) if extra else grad
    keep = tuple(i for i, size in enumerate(bias.shape) if size == 1 and summed.shape[i] != 1)
    return summed.sum(axis=keep, keepdims=True) if keep else summed, g1, g2


addmm.defvjp(_addmm_fwd, _addmm_bwd)
