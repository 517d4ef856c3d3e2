"""The opt-in exact matmul sums float32 products in torch's CPU order: bit-equal to torch."""

from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from _exact_host import NOT_MEASURED
from _exact_host import measured_host as measured_host_here

import torchlike  # noqa: F401  (turns on JAX's 64-bit types)
from torchlike._ops import exact_matmul as em


@pytest.fixture
def measured_host(request):
    if not measured_host_here():
        request.applymarker(pytest.mark.xfail(strict=True, reason=NOT_MEASURED))


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request, measured_host):
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)


def _bits(x) -> np.ndarray:
    return np.asarray(x, np.float32).view(np.int32)


def _nearest_float32(value: Fraction) -> np.float32:
    guess = np.float32(float(value))
    candidates = [np.nextafter(guess, np.float32(-np.inf)), guess]
    candidates.append(np.nextafter(guess, np.float32(np.inf)))
    # Nearest, ties to the even significand.
    return min(candidates, key=lambda c: (abs(Fraction(float(c)) - value), int(_bits(c)) & 1))


def _fma_inputs():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(300).astype(np.float32)
    b = (rng.standard_normal(300) * 2.0 ** rng.integers(-30, 5, 300)).astype(np.float32)
    c = rng.standard_normal(300).astype(np.float32)
    # A float64 sum lands exactly on a float32 tie here; only the single rounding gets 1 + 2**-23.
    a[0], b[0], c[0] = 1 + 2.0**-23, 2.0**-24 * (1 - 2.0**-23), 1 + 2.0**-23
    a[1], b[1], c[1] = 1e-20, 1e-20, 0.0  # a subnormal product
    a[2], b[2], c[2] = 3e-23, -2e-17, 1e-39
    return a, b, c


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
def test_fma_and_mul_add_round_like_the_hardware(compiled):
    a, b, c = _fma_inputs()
    exact = [Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a, b)]
    want_fma = [_nearest_float32(p + Fraction(float(z))) for p, z in zip(exact, c)]
    want_mul_add = [
        _nearest_float32(Fraction(float(_nearest_float32(p))) + Fraction(float(z)))
        for p, z in zip(exact, c)
    ]
    args = [jnp.asarray(v, jnp.float64) for v in (a, b, c)]
    fma, mul_add = (jax.jit(em.fma), jax.jit(em.mul_add)) if compiled else (em.fma, em.mul_add)
    np.testing.assert_array_equal(_bits(fma(*args)), _bits(np.array(want_fma, np.float32)))
    np.testing.assert_array_equal(_bits(mul_add(*args)), _bits(np.array(want_mul_add, np.float32)))


def _operands(m, k, n, layout, with_bias, seed):
    generator = torch.Generator().manual_seed(seed)
    mat1 = torch.randn(k, m, generator=generator).t() if layout[0] == "T" else None
    mat1 = torch.randn(m, k, generator=generator) if mat1 is None else mat1
    mat2 = torch.randn(n, k, generator=generator).t() if layout[1] == "T" else None
    mat2 = torch.randn(k, n, generator=generator) if mat2 is None else mat2
    bias = torch.randn(n, generator=generator) if with_bias else None
    return mat1, mat2, bias


_PRODUCT = jax.jit(em.mm, static_argnames=("mat1_transposed", "mat2_transposed", "threads"))

# (m, k, n, layout, bias): layout says which torch operand is a transposed view (T) of a
# contiguous matrix. The first five are the autograd tutorial's TinyModel products.
CASES = [
    (16, 1000, 100, "NT", True),  # layer1 forward: x @ W1.t() + b1
    (16, 100, 10, "NT", True),  # layer2 forward
    (10, 16, 100, "TN", False),  # layer2 weight gradient: g.t() @ h
    (16, 10, 100, "NN", False),  # layer2 input gradient: g @ W2
    (100, 16, 1000, "TN", False),  # layer1 weight gradient
    (32, 300, 64, "NT", True),  # k between one and two blocks: halves
    (8, 193, 20, "NN", False),  # odd k: two halves and one last product
    (64, 36, 5, "NT", False),  # narrow outputs: 4-lane and 8-lane dots
    (3, 20, 7, "NT", True),
    (6, 64, 100, "TN", False),  # a weight gradient whose last rows skip FMA with two threads
    (3, 16, 20, "TN", False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[:3])) + "-" + c[3])
def test_products_bit_equal_to_torch(threads, case):
    m, k, n, layout, with_bias = case
    mat1, mat2, bias = _operands(m, k, n, layout, with_bias, seed=m + 3 * k + 7 * n)
    want = (torch.addmm(bias, mat1, mat2) if with_bias else mat1.mm(mat2)).numpy()
    bias_array = None if bias is None else jnp.asarray(bias.numpy())
    got = _PRODUCT(
        jnp.asarray(mat1.numpy()), jnp.asarray(mat2.numpy()), mat1_transposed=layout[0] == "T",
        mat2_transposed=layout[1] == "T", threads=threads, bias=bias_array,
    )  # fmt: skip
    assert got is not None, "a measured case fell back to XLA"
    np.testing.assert_array_equal(_bits(got), _bits(want))


def test_unmeasured_cases_fall_back_to_xla():
    x = jnp.ones((16, 300), jnp.float32)
    w = jnp.ones((300, 64), jnp.float32)
    assert em.mm(x, w, threads=4) is None  # other thread counts were not measured
    assert em.mm(x.astype(jnp.float64), w.astype(jnp.float64)) is None
    assert em.mm(x[:3], w, threads=2) is None  # three rows: another kernel
    assert em.mm(x, w, mat1_transposed=True, mat2_transposed=True) is None
    assert em.mm(x[:, :30], w[:30, :5], mat2_transposed=True) is None  # k % 4 in a narrow dot
    assert em.mm(w.T, w, mat1_transposed=True) is None  # weight gradient over a long k


def _tiny_model(seed):
    torch.manual_seed(seed)
    x, y = torch.randn(16, 1000), torch.randn(16, 10)
    layers = torch.nn.Linear(1000, 100), torch.nn.Linear(100, 10)
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    return x, y, layers, params


def test_tiny_model_gradients_bit_equal_to_torch(threads):
    x, y, (layer1, layer2), params = _tiny_model(seed=0)  # the tutorial's seed
    (y - layer2(layer1(x).relu())).pow(2).sum().backward()

    def loss(w1, b1, w2, b2, x, y):
        hidden = jnp.maximum(em.addmm(b1, x, w1.T, False, True, threads), 0)
        return ((y - em.addmm(b2, hidden, w2.T, False, True, threads)) ** 2).sum()

    arrays = [jnp.asarray(t.detach().numpy()) for t in (*params, x, y)]
    grads = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3)))(*arrays)
    for got, param in zip(grads, params):
        np.testing.assert_array_equal(_bits(got), _bits(param.grad.numpy()))


@pytest.mark.parametrize("shape", [(16, 10), (16, 100), (5, 37), (1, 7), (17, 64)])
def test_column_sums_bit_equal_to_torch(measured_host, shape):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(sum(shape)))
    got = jax.jit(em.column_sums)(jnp.asarray(x.numpy()))
    np.testing.assert_array_equal(_bits(got), _bits(x.sum(0).numpy()))


def test_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(em.ENV_VAR, raising=False)
    assert em.emulated_threads() is None
    monkeypatch.setenv(em.ENV_VAR, "2")
    assert em.emulated_threads() == 2
    monkeypatch.setenv(em.ENV_VAR, "yes")
    with pytest.raises(ValueError, match="thread count"):
        em.emulated_threads()
