"""Forward kernels built only from operations fusion cannot change compile with XLA's fusion
(torchlike/_ops/kernel_fusion.py), and give the bits of the same kernel compiled unfused, of
the first call's eager ops and of the interpreter."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import torchlike as torch
from torchlike import _tiers
from torchlike._autograd.kernels import COMPILER_OPTIONS
from torchlike._ops import forward, kernel_fusion

F32 = jax.ShapeDtypeStruct((4, 5), jnp.float32)
IMAGES = jax.ShapeDtypeStruct((2, 3, 8, 8), jnp.float32)
FILTERS = jax.ShapeDtypeStruct((4, 3, 3, 3), jnp.float32)
BIAS = jax.ShapeDtypeStruct((4,), jnp.float32)


def _conv_bias(x, w, b):
    layout = ("NCHW", "OIHW", "NCHW")
    return (
        lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=layout)
        + b[None, :, None, None]
    )


def _pool(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


CASES = {
    "relu": (jax.nn.relu, (F32,), True),
    "max pool": (_pool, (IMAGES,), True),
    "conv and bias": (_conv_bias, (IMAGES, FILTERS, BIAS), True),
    "transposed add": (lambda x, y: x.T + y.T - 1.5, (F32, F32), True),
    "clamp of a slice": (lambda x: jnp.clip(x[1:, ::2], -1, 1), (F32,), True),
    "float64 widening": (lambda x: x.astype(jnp.float64) + 1, (F32,), True),
    "multiply-add": (lambda x, y: x * y + 1, (F32, F32), False),
    "a product and a separate add": (lambda x, y: (x * 2, y + 1), (F32, F32), False),
    "division": (lambda x, y: x / y, (F32, F32), False),
    "sum": (lambda x: x.sum(0), (F32,), False),
    "exp": (jnp.exp, (F32,), False),
    "matmul": (lambda x, y: x @ y.T, (F32, F32), False),
    "bfloat16 add": (lambda x: x + 1, (jax.ShapeDtypeStruct((3,), jnp.bfloat16),), False),
    "complex add": (lambda x: x + 1, (jax.ShapeDtypeStruct((3,), jnp.complex64),), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_which_kernels_may_fuse(name):
    fn, avals, fusable = CASES[name]
    assert kernel_fusion._fusable(jax.make_jaxpr(fn)(*avals).jaxpr) is fusable


def _special(rng, shape):
    """Random values with zeros of both signs, infinities, NaN and wide magnitudes."""
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-30, 30, shape)
    flat = values.reshape(-1)
    picks = rng.choice(flat.size, size=min(8, flat.size), replace=False)
    flat[picks] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 3.0][: len(picks)]
    return values.astype(np.float32)


def _ops(x, images, conv):
    """Torch code whose kernels fuse (and a few that do not, around them)."""
    y = conv(images).relu()
    y = torch.nn.functional.max_pool2d(y, 2).flatten(1)
    z = torch.cat([x, -x]).clamp(-5, 5) + x.abs().repeat(2, 1)
    products = [torch.addcmul(z, z, z, value=0.3), torch.lerp(x, x.flip(0), 0.3)]
    return [y, z, torch.maximum(x, x.t().t()), torch.where(x > 0, x, x - 1), x.amax(1), *products]


@pytest.mark.parametrize("interpret", [True, False], ids=["interpreter", "no interpreter"])
def test_fused_kernels_keep_the_unfused_bits(monkeypatch, interpret):
    """Every kernel compiled fused gives the bits of the same kernel compiled unfused; every
    call (the first, eager or interpreted, and the compiled ones) gives the same bits."""
    chosen = []
    original = kernel_fusion.jitted_for

    def recorded(kernel, args):
        jitted = original(kernel, args)
        chosen.append((kernel, args, kernel_fusion._fusable(jax.make_jaxpr(kernel)(*args).jaxpr)))
        return jitted

    monkeypatch.setattr(kernel_fusion, "jitted_for", recorded)
    forward.clear()
    mode, budget = _tiers._settings["mode"], _tiers._settings["budget"]
    _tiers.set_mode("on" if interpret else "off")
    _tiers.set_budget_ms(0.0)  # compile after the first interpreted call
    try:
        rng = np.random.default_rng(3)
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(3, 4, 3)
        x = torch.from_numpy(_special(rng, (4, 5)))
        images = torch.from_numpy(_special(rng, (2, 3, 10, 10)))
        runs = []
        for _ in range(4):
            runs.append([t.detach().numpy().copy() for t in _ops(x, images, conv)])
            _tiers.wait()
    finally:
        _tiers.set_budget_ms(budget * 1e3)
        _tiers.set_mode(mode)
    for later in runs[1:]:
        for got, want in zip(later, runs[0]):
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    fused = [(kernel, args) for kernel, args, fusable in chosen if fusable]
    assert len(fused) >= 6 and len(fused) < len(chosen)
    for kernel, args in fused:
        got = jax.tree_util.tree_leaves(original(kernel, args)(*args))
        want = jax.tree_util.tree_leaves(jax.jit(kernel, compiler_options=COMPILER_OPTIONS)(*args))
        for a, b in zip(got, want):
            a, b = np.asarray(a), np.asarray(b)
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"))
