"""The numpy interpreter tier: its results carry XLA's compiled bits, or it steps aside."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torchlike as torch
from torchlike import _interpreter, _tiers
from torchlike._autograd.kernels import COMPILER_OPTIONS

SPECIAL = np.array(
    [np.nan, -0.0, 0.0, 1.0, -1.5, np.inf, -np.inf, 3.0e38, 1.0e-37, 7.25], np.float32
)

# With several devices (a GPU beside the CPU) a kernel that outgrows the interpreter compiles
# inline, for whichever device its arguments are on, never on the worker thread.
compiles_on_the_worker = pytest.mark.xfail(
    _tiers.host_sharding() is not None,
    reason="several devices: kernels compile inline, as jax.jit",
    strict=True,
)


def _inputs(dtype=np.float32, n=10, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n).astype(dtype)
    a[: len(SPECIAL)] = SPECIAL[:n].astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    b[1:4] = [0.0, -0.0, 0.0]
    return jnp.asarray(a), jnp.asarray(b)


PROGRAMS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "max": jax.lax.max,
    "min": jax.lax.min,
    "relu": lambda a, b: jax.nn.relu(a),
    "pow3": lambda a, b: jax.lax.integer_pow(a, 3),
    "pow_minus2": lambda a, b: jax.lax.integer_pow(b, -2),
    "sqrt": lambda a, b: jnp.sqrt(jnp.abs(a)),
    "where": lambda a, b: jnp.where(a > b, a, b * 2.0),
    "widen_round": lambda a, b: (a.astype(jnp.float64) * b.astype(jnp.float64)).astype(a.dtype),
    "int_to_float": lambda a, b: jnp.arange(10, dtype=jnp.int32).astype(a.dtype) * a,
    "moves": lambda a, b: jnp.concatenate([a[::2], jnp.flip(b)[:3]]).reshape(-1, 1).T,
    "broadcast": lambda a, b: a[:, None] + b[None, :],
    "compare": lambda a, b: (a == b) | (a < b) & ~jnp.isfinite(a),
    "mul_vjp": lambda a, b: jax.vjp(lambda u, v: u * v, a, b)[1](a),
    # products of products: multiplies of whole arrays, integer powers and negations
    "div_vjp": lambda a, b: jax.vjp(lambda u, v: u / v, a, b)[1](a),
    "product_chain": lambda a, b: -(a * b) * jax.lax.integer_pow(b, -2) * (a * a),
}


def _same_bits(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    if got.dtype.kind == "f":
        nan = np.isnan(got)
        np.testing.assert_array_equal(nan, np.isnan(want))
        bits = f"u{got.dtype.itemsize}"
        np.testing.assert_array_equal(got[~nan].view(bits), want[~nan].view(bits))
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", PROGRAMS)
def test_interpreted_programs_give_the_compiled_bits(name, dtype):
    a, b = _inputs(dtype)
    fn = PROGRAMS[name]
    program = _interpreter.program(fn, (a, b))
    assert program is not None, f"{name} should be interpretable"
    got = program.run([a, b])
    want = jax.jit(fn, compiler_options=COMPILER_OPTIONS)(a, b)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        _same_bits(g, w)
        assert isinstance(g, jax.Array)


NOT_INTERPRETED = {
    "exp": jnp.exp,
    "float_sum_of_products": lambda a: jnp.sum(a * a),
    "matmul": lambda a: a @ a,
    "float_to_int": lambda a: a.astype(jnp.int32),
    "half": lambda a: a.astype(jnp.float16),
    # XLA's simplifier may rewrite arithmetic that reads arithmetic (A / sqrt(B) -> A * rsqrt(B))
    "div_of_sqrt": lambda a: a / jnp.sqrt(a),
    "chain_through_moves": lambda a: (a * a).T.reshape(-1)[:3] + 1.0,
    "div_by_constant": lambda a: a / 3.0,
    "div_by_scalar": lambda a: a / a[0, 0],
    "constant_minus": lambda a: 0.0 - a,
    # (A * C1) * B -> (A * B) * C1 and kin: products of constants or broadcasts are not plain
    "product_of_scaled": lambda a: (a * 2.0) * a,
    "product_of_broadcast": lambda a: (a * a[0]) * a,
    "product_of_sqrts": lambda a: jnp.sqrt(a) * jnp.sqrt(a),
    "product_through_moves": lambda a: (a * a).T * a,
    "sum_of_products": lambda a: (a * a) * a + a,
    "power_of_product": lambda a: jax.lax.integer_pow(a * a, 3),
}


@pytest.mark.parametrize("name", NOT_INTERPRETED)
def test_programs_whose_bits_xla_may_change_are_not_interpreted(name):
    a = jnp.ones((3, 3), jnp.float32)
    assert _interpreter.program(NOT_INTERPRETED[name], (a,)) is None


@pytest.mark.parametrize("name", ["div_vjp", "product_chain"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_of_products_give_the_compiled_bits_on_many_values(name, dtype):
    """Products of products are interpreted; XLA keeps them as written (over a wide range of
    magnitudes, where a reassociated or fused product would round differently)."""
    rng = np.random.default_rng(7)
    a, b = (
        (rng.standard_normal(4096) * np.exp2(rng.integers(-20, 20, 4096))).astype(dtype)
        for _ in range(2)
    )
    fn = PROGRAMS[name]
    program = _interpreter.program(fn, (a, b))
    assert program is not None
    got = program.run([a, b])
    assert got is not None  # no subnormal in this range
    want = jax.jit(fn, compiler_options=COMPILER_OPTIONS)(a, b)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        _same_bits(g, w)


SUMS = {
    "torch_float32_sum": lambda a, axis: jnp.sum(a, axis=axis, dtype=jnp.float64).astype(a.dtype),
    "plain_sum": lambda a, axis: jnp.sum(a, axis=axis),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", SUMS)
def test_exact_float_sums_give_the_compiled_bits(name, dtype):
    """A float sum is interpreted when every partial sum is exact; it then has XLA's bits, and
    so does what it returns (zeros, signs) in every shape and reduction tried."""
    rng = np.random.default_rng(11)
    interpreted = 0
    for trial in range(48):
        shape = tuple(int(n) for n in rng.integers(1, 7, 1 + trial % 3))
        if trial % 8 == 0:
            shape = (int(rng.integers(200, 2000)),)
        spread = int(rng.integers(0, 30))
        x = rng.standard_normal(shape) * np.exp2(rng.integers(-spread, spread + 1, shape))
        if trial % 3 == 0:
            x = np.round(x * 8) / 8  # coarse values: exact in any type
        if trial % 5 == 0:
            x.reshape(-1)[::2] = -0.0
        x = x.astype(dtype)
        axis = None if trial % 2 else tuple(range(0, len(shape), 2))
        fn = lambda a, axis=axis: SUMS[name](a, axis)  # noqa: E731
        program = _interpreter.program(fn, (x,))
        assert program is not None
        got = program.run([jnp.asarray(x)])
        if got is not None:
            interpreted += 1
            _same_bits(got, jax.jit(fn, compiler_options=COMPILER_OPTIONS)(x))
    assert interpreted >= 12


@pytest.mark.parametrize(
    "values, dtype",
    [
        ([2.0**24, 1.0, -(2.0**24)], np.float32),  # 2**24 + 1 rounds in float32
        ([1.0, 2.0**-60, 3.0], np.float64),
        ([-0.0, -0.0], np.float32),  # XLA may or may not add its +0.0 start
        ([1.0, np.inf, -np.inf], np.float32),
        ([np.nan, 1.0], np.float64),
    ],
)
def test_sums_that_could_round_or_depend_on_the_order_are_left_to_xla(values, dtype):
    x = jnp.asarray(np.array(values, dtype))
    program = _interpreter.program(jnp.sum, (x,))
    assert program is not None and program.run([x]) is None


def test_a_sum_of_mixed_zeros_is_positive_zero_as_in_xla():
    x = jnp.asarray(np.array([-0.0, 0.0, -0.0], np.float32))
    got = _interpreter.program(jnp.sum, (x,)).run([x])
    _same_bits(got, jax.jit(jnp.sum)(x))
    assert not np.signbit(np.asarray(got))


def test_xla_rewrites_are_real_where_the_interpreter_steps_aside():
    """The reason for the rule above: compiled, A / sqrt(B) rounds unlike two IEEE ops."""
    rng = np.random.default_rng(2)
    a = rng.uniform(0.5, 2.0, 4096).astype(np.float32)
    b = rng.uniform(0.5, 2.0, 4096).astype(np.float32)
    jitted = jax.jit(lambda x, y: x / jnp.sqrt(y), compiler_options=COMPILER_OPTIONS)
    assert not np.array_equal(np.asarray(jitted(a, b)), a / np.sqrt(b))


def test_a_subnormal_input_or_result_leaves_the_run_to_xla():
    program = _interpreter.program(lambda a, b: a * b, (jnp.ones(2), jnp.ones(2)))
    tiny = np.float32(np.finfo(np.float32).tiny)
    normal = jnp.asarray(np.array([1.0, 2.0], np.float32))
    assert program.run([jnp.asarray(np.array([tiny / 4, 1.0], np.float32)), normal]) is None
    small = jnp.asarray(np.array([tiny, 1.0], np.float32))
    assert program.run([small, jnp.asarray(np.array([0.25, 1.0], np.float32))]) is None
    assert program.run([normal, normal]) is not None


def test_a_tiered_kernel_falls_back_to_the_flushed_xla_result_on_subnormals():
    fn = lambda a, b: a * b  # noqa: E731
    kernel = _tiers.TieredKernel(fn, jax.jit(fn, compiler_options=COMPILER_OPTIONS))
    tiny = np.finfo(np.float32).tiny
    a = jnp.asarray(np.array([tiny, 3.0], np.float32))
    b = jnp.asarray(np.array([0.5, 2.0], np.float32))
    fallbacks = _tiers.stats["interpreter_fallbacks"]
    _same_bits(kernel(a, b), jax.jit(fn)(a, b))
    assert _tiers.stats["interpreter_fallbacks"] == fallbacks + 1
    assert np.asarray(kernel(a, b))[0] == 0.0  # XLA's CPU runtime flushes it


@compiles_on_the_worker
def test_rent_or_buy_compiles_once_the_budget_is_spent_and_keeps_the_bits(monkeypatch):
    fn = lambda a, b: jnp.maximum(a / b, a)  # noqa: E731
    compiles = []
    kernel = _tiers.TieredKernel(fn, jax.jit(fn), lambda: compiles.append(1))
    a, b = _inputs()
    monkeypatch.setitem(_tiers._settings, "mode", "on")
    monkeypatch.setitem(_tiers._settings, "background", True)
    monkeypatch.setitem(_tiers._settings, "budget", 60.0)
    first = kernel(a, b)
    assert kernel.compiled is None and not compiles
    _tiers.set_budget_ms(0)
    kernel(a, b)  # interpreted; the budget is spent, so it compiles on the worker thread
    _tiers.wait()
    assert isinstance(kernel.compiled, _tiers.Executable) and compiles == [1]
    _same_bits(kernel(a, b), first)


@compiles_on_the_worker
def test_a_background_executable_still_takes_arguments_of_other_avals(monkeypatch):
    fn = lambda a: a * 2.0  # noqa: E731
    kernel = _tiers.TieredKernel(fn, jax.jit(fn))
    monkeypatch.setitem(_tiers._settings, "mode", "on")
    monkeypatch.setitem(_tiers._settings, "background", True)
    monkeypatch.setitem(_tiers._settings, "budget", 0.0)
    kernel(jnp.ones(3, jnp.float32))
    _tiers.wait()
    assert isinstance(kernel.compiled, _tiers.Executable)
    _same_bits(kernel(jnp.ones(4, jnp.float32)), jnp.full(4, 2.0, jnp.float32))


def test_first_calls_of_torch_ops_match_torch():
    """The interpreted first call (elementwise ops on fresh shapes) against PyTorch."""
    import torch as real

    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 7)).astype(np.float32)
    b = rng.uniform(0.5, 2.0, (3, 7)).astype(np.float32)
    interpreted = _tiers.stats["interpreted_runs"]
    for fn in (
        lambda m, x, y: (x / y) * x - y,
        lambda m, x, y: m.relu(x) + m.maximum(x, y),
        lambda m, x, y: m.where(x > 0, x**2, -y),
        lambda m, x, y: m.clamp(x, min=-0.5, max=0.5) * y,
    ):
        got = fn(torch, torch.tensor(a), torch.tensor(b)).numpy()
        want = fn(real, real.tensor(a), real.tensor(b)).numpy()
        np.testing.assert_array_equal(got, want)
    assert _tiers.stats["interpreted_runs"] > interpreted


def test_a_first_float32_sum_is_interpreted_with_the_compiled_bits():
    import torch as real

    a = np.random.default_rng(5).standard_normal((3, 11)).astype(np.float32)
    interpreted = _tiers.stats["interpreted_runs"]
    got = torch.tensor(a).sum(dim=1).numpy()
    assert _tiers.stats["interpreted_runs"] > interpreted
    _same_bits(got, jax.jit(SUMS["torch_float32_sum"], static_argnums=1)(a, 1))
    # torch's cascade sums round on their own; the float64 sum is the correctly rounded one
    np.testing.assert_allclose(got, real.tensor(a).sum(dim=1).numpy(), rtol=1e-6)


def test_set_mode_rejects_unknown_modes():
    with pytest.raises(ValueError, match="interpreter mode"):
        _tiers.set_mode("sometimes")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_subnormal_check_matches_the_bit_definition_for_few_and_many_values(dtype):
    """has_subnormal reads a few values as Python floats and more with numpy: both agree with
    the definition on the bits (0 < magnitude bits < the smallest normal's), NaN first or not."""
    info = np.finfo(dtype)
    specials = np.array(
        [0.0, -0.0, info.smallest_subnormal, -info.smallest_subnormal, info.tiny / 2, info.tiny,
         -info.tiny, 1.0, -2.5, np.inf, -np.inf, np.nan, info.max],
        dtype,
    )  # fmt: skip
    unsigned, magnitude, top = {
        np.float32: (np.uint32, 0x7FFFFFFF, 0x007FFFFF),
        np.float64: (np.uint64, 0x7FFFFFFFFFFFFFFF, 0x000FFFFFFFFFFFFF),
    }[dtype]

    def by_bits(x):
        bits = x.view(unsigned) & unsigned(magnitude)
        return bool(((bits <= top) & (bits != 0)).any())

    rng = np.random.default_rng(5)
    cases = [np.array(pair, dtype) for pair in itertools.product(specials, repeat=2)]
    cases += [rng.choice(specials, size) for size in (1, 3, 15, 16, 17, 64) for _ in range(50)]
    subnormal = 0
    for x in cases:
        assert _interpreter.has_subnormal(x) == by_bits(x), x
        assert _interpreter.has_subnormal(x.reshape(1, -1)) == by_bits(x), x
        subnormal += by_bits(x)
    assert 0 < subnormal < len(cases)


def test_the_joint_subnormal_check_of_many_arrays_matches_checking_each():
    """any_subnormal joins arrays of several types and sizes (0-d ones, numpy scalars,
    integers, booleans), a float32 subnormal beside float64 values included."""
    rng = np.random.default_rng(6)
    pools = {}
    for dtype in (np.float32, np.float64):
        info = np.finfo(dtype)
        pools[dtype] = np.array(
            [0.0, -0.0, info.smallest_subnormal, info.tiny / 2, info.tiny, 1.0, np.nan, np.inf],
            dtype,
        )
    makers = [
        lambda: rng.choice(pools[np.float32], rng.integers(1, 20)),
        lambda: rng.choice(pools[np.float64], rng.integers(1, 20)),
        lambda: np.float32(rng.choice(pools[np.float32])),
        lambda: np.array(rng.choice(pools[np.float64])),
        lambda: rng.integers(-3, 3, rng.integers(1, 5)),
        lambda: rng.integers(0, 2, 3).astype(bool),
        lambda: np.ones((2, 3), np.float32),
    ]
    outcomes = set()
    for _ in range(400):
        values = [makers[k]() for k in rng.integers(0, len(makers), rng.integers(0, 6))]
        want = any(
            _interpreter.has_subnormal(np.asarray(v))
            for v in values
            if np.asarray(v).dtype in (np.float32, np.float64)
        )
        assert _interpreter.any_subnormal(values) == want, values
        outcomes.add(want)
    assert outcomes == {True, False}
