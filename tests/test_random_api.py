"""torchlike's public random API against the published torch 2.13 vectors and spec facts.

The vectors (VECTORS, from /work/shared/torch-rng-vectors.md) were produced by real torch
2.13.0+cpu; this file checks that the public functions, not just the engine, return them.
No torch import is needed.
"""

import copy
import os
import pickle
import struct
import subprocess
import sys

import jax
import numpy as np
import pytest
from test_random_vectors import VECTORS, ints

import torchlike as tl
import torchlike.random as tlr

SEEDS = list(VECTORS)


def bits(t) -> list[int]:
    values = np.ascontiguousarray(t.detach().numpy())
    return values.view(np.uint32 if values.dtype == np.float32 else np.uint64).ravel().tolist()


def header() -> tuple[int, int, int, int]:
    """(seed, left, seeded, next) of the default generator's serialised state."""
    return struct.unpack_from("<QiiQ", tl.get_rng_state().numpy().tobytes(), 0)


@pytest.fixture(autouse=True)
def _bit_exact_mode():
    tlr.use_jax_prng(False)
    yield
    tlr.use_jax_prng(False)


# ---- published vectors through the public functions ------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_factories_reproduce_the_vectors(seed):
    vec = VECTORS[seed]
    tl.manual_seed(seed)
    assert bits(tl.rand(8)) == ints(vec["rand8_f32"])
    cases = [
        (lambda: tl.randn(8), "randn8_f32"),
        (lambda: tl.randn(16), "randn16_f32"),
        (lambda: tl.rand(4, dtype=tl.float64), "rand4_f64"),
        (lambda: tl.randn(4, dtype=tl.float64), "randn4_f64"),
        (lambda: tl.randint(0, 10, (8,)), "randint10"),
        (lambda: tl.randint(10, (8,)), "randint10"),
        (lambda: tl.randperm(10), "randperm10"),
        (lambda: tl.randint(0, 2**28, (4,)), "randint_2pow28"),
        (lambda: tl.normal(0.0, 1.0, (8,)), "randn8_f32"),
        (lambda: tl.empty(8).uniform_(), "rand8_f32"),
        (lambda: tl.empty(2, 4).normal_().reshape(-1), "randn8_f32"),
    ]
    for make, name in cases:
        tl.manual_seed(seed)
        out = make()
        got = out.tolist() if not out.dtype.is_floating_point else bits(out)
        assert got == ints(vec[name]), name
    tl.manual_seed(seed)
    twenty = bits(tl.randn(4, 5))
    assert twenty[:8] == ints(vec["randn20_first8_f32"])
    assert twenty[16:] == ints(vec["randn20_last4_f32"])


@pytest.mark.parametrize("seed", SEEDS)
def test_generator_objects_reproduce_the_vectors(seed):
    vec = VECTORS[seed]
    g = tl.Generator().manual_seed(seed)
    assert bits(tl.rand(8, generator=g)) == ints(vec["rand8_f32"])
    assert bits(tl.randn(8, generator=g.manual_seed(seed))) == ints(vec["randn8_f32"])
    assert tl.randperm(10, generator=g.manual_seed(seed)).tolist() == ints(vec["randperm10"])


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_default_initialisation(seed):
    tl.manual_seed(seed)
    layer = tl.nn.Linear(4, 2)
    assert bits(layer.weight) == ints(VECTORS[seed]["linear_weight_f32"])
    assert bits(layer.bias) == ints(VECTORS[seed]["linear_bias_f32"])


def test_transposed_target_is_filled_in_memory_order():
    tl.manual_seed(0)
    filled = tl.empty(2, 4).t().uniform_()
    assert filled.shape == (4, 2)
    assert bits(filled.t()) == ints(VECTORS[0]["rand8_f32"])


def test_non_contiguous_normal_takes_the_scalar_path():
    tl.manual_seed(0)
    values = tl.empty(4, 5).t().normal_()  # 20 elements, but not contiguous: no vector path
    assert bits(values.t())[:8] == ints(VECTORS[0]["randn8_f32"])


# ---- seeding, state and the normal cache -----------------------------------------------------
def test_seed_facts():
    assert tl.manual_seed(5) is tlr.default_generator
    five = bits(tl.rand(4))
    tl.manual_seed(2**32 + 5)
    assert bits(tl.rand(4)) == five and tl.initial_seed() == 2**32 + 5
    tl.manual_seed(-1)
    assert tl.initial_seed() == 2**64 - 1
    assert tl.Generator().initial_seed() == 67280421310721
    assert tl.seed() == tl.initial_seed()


def test_state_counters_follow_draws():
    tl.manual_seed(3)
    assert header() == (3, 1, 1, 0)
    tl.rand(3)
    assert header() == (3, 622, 1, 3)
    tl.rand(2, dtype=tl.float64)
    assert header() == (3, 618, 1, 7)


def test_cached_normal_is_shared_and_saved():
    tl.manual_seed(0)
    pair = bits(tl.randn(2, dtype=tl.float64))
    tl.manual_seed(0)
    halves = bits(tl.randn(1, dtype=tl.float64)) + bits(tl.randn(1, dtype=tl.float64))
    assert halves == pair
    tl.manual_seed(0)
    tl.randn(1)
    state = tl.get_rng_state()
    assert struct.unpack_from("<i", state.numpy().tobytes(), 5040)[0] == 1
    cached = tl.randn(1)
    tl.set_rng_state(state)
    assert bits(tl.randn(1)) == bits(cached)
    tl.manual_seed(0)
    assert struct.unpack_from("<i", tl.get_rng_state().numpy().tobytes(), 5040)[0] == 0


def test_state_tensor_shape_and_roundtrip():
    tl.manual_seed(1)
    state = tl.get_rng_state()
    assert state.dtype == tl.uint8 and tuple(state.shape) == (5056,) and not state.requires_grad
    first = bits(tl.randn(30))
    tl.rand(700)
    tl.set_rng_state(state)
    assert bits(tl.randn(30)) == first


def test_fork_rng_restores_state():
    tl.manual_seed(4)
    before = tl.get_rng_state().numpy()
    with tlr.fork_rng():
        tl.randn(100)
    assert np.array_equal(tl.get_rng_state().numpy(), before)


def test_generator_copies():
    g = tl.Generator().manual_seed(12)
    tl.randn(1, generator=g)
    expected = bits(tl.randn(5, generator=g.clone_state()))
    assert bits(tl.randn(5, generator=copy.deepcopy(g))) == expected
    assert bits(tl.randn(5, generator=pickle.loads(pickle.dumps(g)))) == expected
    assert bits(tl.randn(5, generator=g)) == expected
    assert repr(g.device) == "device(type='cpu')"


# ---- errors ----------------------------------------------------------------------------------
ERRORS = [
    (lambda: tl.manual_seed(2**64), ValueError, "Overflow when unpacking long long"),
    (lambda: tl.Generator().manual_seed("1"), RuntimeError,
     "manual_seed expected a long, but got str"),
    (lambda: tl.set_rng_state(tl.zeros(5056)), TypeError, "RNG state must be a torch.ByteTensor"),
    (lambda: tl.set_rng_state(tl.zeros(10, dtype=tl.uint8)), RuntimeError,
     "Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be 10"),
    (lambda: tl.set_rng_state(tl.zeros(10112, dtype=tl.uint8)[::2]), RuntimeError,
     "RNG state must be contiguous"),
    (lambda: tl.set_rng_state(tl.zeros(5056, dtype=tl.uint8)), RuntimeError,
     "Invalid mt19937 state"),
    (lambda: tl.set_rng_state(np.zeros(5056, np.uint8)), TypeError,
     "expected a torch.ByteTensor, but got numpy.ndarray"),
    (lambda: tl.rand(2, -3), RuntimeError,
     "Trying to create tensor with negative dimension -3: [2, -3]"),
    (lambda: tl.randint(5, 5, (3,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=5"),
    (lambda: tl.randperm(3.0), TypeError,
     "randperm(): argument 'n' (position 1) must be int, not float"),
    (lambda: tl.zeros(4).expand(2, 4).uniform_(), RuntimeError,
     "unsupported operation: more than one element of the written-to tensor refers to a single "
     "memory location. Please clone() the tensor before performing the operation."),
    (lambda: tl.zeros(3, requires_grad=True).normal_(), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    (lambda: tl.multinomial(tl.tensor([0.5, -0.1]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda: tl.multinomial(tl.tensor([0.0, 0.0]), 3, True), RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    (lambda: tl.randint(0, 5, (3,), requires_grad=True), RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
]  # fmt: skip


@pytest.mark.parametrize("jax_mode", [False, True])
@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors(index, jax_mode):
    tlr.use_jax_prng(jax_mode)
    call, kind, message = ERRORS[index]
    with pytest.raises(kind) as caught:
        call()
    assert str(caught.value) == message


def test_randint_type_error_lists_the_overloads():
    with pytest.raises(TypeError) as caught:
        tl.randint(5)
    lines = str(caught.value).splitlines()
    assert lines[0] == (
        "randint() received an invalid combination of arguments - got (int), but expected one of:"
    )
    assert lines[3].startswith(" * (int low, int high, tuple of ints size, *, torch.Generator")


# ---- the JAX counter-based generator ---------------------------------------------------------
def _draw_everything():
    return [
        tl.rand(5),
        tl.randn(3, 4, dtype=tl.float64),
        tl.randint(-3, 10, (6,)),
        tl.randperm(9),
        tl.bernoulli(tl.full((8,), 0.5)),
        tl.multinomial(tl.ones(6), 3),
        tl.empty(4, 3).t().uniform_(2, 3),
        tl.empty(5).exponential_(),
    ]


def test_jax_mode_is_deterministic_under_manual_seed():
    tlr.use_jax_prng(True)
    assert tlr.is_jax_prng_enabled()
    tl.manual_seed(0)
    first = [t.numpy() for t in _draw_everything()]
    tl.manual_seed(0)
    second = [t.numpy() for t in _draw_everything()]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(tl.rand(5).numpy(), first[0])
    tl.manual_seed(0)
    assert bits(tl.rand(8)) != ints(VECTORS[0]["rand8_f32"])  # JAX's numbers, not torch's


def test_jax_mode_shapes_dtypes_and_ranges():
    tlr.use_jax_prng(True)
    tl.manual_seed(1)
    u = tl.rand(1000, dtype=tl.float64)
    assert u.dtype == tl.float64 and 0 <= u.min().item() and u.max().item() < 1
    n = tl.randn(20000).numpy()
    assert n.dtype == np.float32 and abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    assert tl.rand(3, dtype=tl.float16).dtype == tl.float16
    r = tl.randint(-3, 10, (500,))
    assert r.dtype == tl.int64 and r.min().item() == -3 and r.max().item() == 9
    assert sorted(tl.randperm(50).tolist()) == list(range(50))
    b = tl.bernoulli(tl.full((4, 5), 0.5)).numpy()
    assert b.shape == (4, 5) and set(np.unique(b)) <= {0.0, 1.0}
    picks = tl.multinomial(tl.ones(3, 10), 10).numpy()
    assert all(sorted(row) == list(range(10)) for row in picks)
    assert tl.multinomial(tl.tensor([0.0, 1.0, 0.0]), 4, True).tolist() == [1, 1, 1, 1]
    x = tl.empty(6, 4).t().uniform_(2, 3).numpy()
    assert x.shape == (4, 6) and x.min() >= 2 and x.max() < 3
    small = tl.empty(200, dtype=tl.int8).random_().numpy()
    assert small.dtype == np.int8 and small.min() >= 0
    geometric = tl.empty(100).geometric_(0.4).numpy()
    assert geometric.min() >= 1 and np.array_equal(geometric, np.round(geometric))
    assert tl.empty(100).exponential_(3.0).min().item() > 0
    m = tl.normal(tl.full((5000,), 10.0), 0.5).numpy()
    assert abs(m.mean() - 10) < 0.05


def test_jax_mode_generators_and_state():
    tlr.use_jax_prng(True)
    g1, g2 = tl.Generator().manual_seed(7), tl.Generator().manual_seed(7)
    tl.manual_seed(0)
    default_state = tl.get_rng_state().numpy()
    assert default_state.shape == (tlr.JAX_STATE_NBYTES,)
    assert np.array_equal(tl.randn(4, generator=g1).numpy(), tl.randn(4, generator=g2).numpy())
    assert np.array_equal(tl.get_rng_state().numpy(), default_state)
    state = g1.get_state()
    expected = tl.rand(6, generator=g1).numpy()
    g1.set_state(state)
    assert np.array_equal(tl.rand(6, generator=g1).numpy(), expected)
    with tlr.fork_rng():
        tl.rand(3)
    assert np.array_equal(tl.get_rng_state().numpy(), default_state)


def test_jax_key_splits_the_generators_key():
    g = tl.Generator().manual_seed(5)
    first, second = tlr.jax_key(g), tlr.jax_key(g)
    assert not np.array_equal(jax.random.key_data(first), jax.random.key_data(second))
    g.manual_seed(5)
    assert np.array_equal(jax.random.key_data(tlr.jax_key(g)), jax.random.key_data(first))


def test_switching_back_restores_the_bit_exact_stream():
    tl.manual_seed(0)
    tlr.use_jax_prng(True)
    _draw_everything()  # JAX draws leave torch's engine where it was
    tlr.use_jax_prng(False)
    assert bits(tl.rand(8)) == ints(VECTORS[0]["rand8_f32"])
    tl.manual_seed(42)
    assert bits(tl.randn(8)) == ints(VECTORS[42]["randn8_f32"])


@pytest.mark.parametrize("value, expected", [("jax", "True"), ("torch", "False")])
def test_environment_variable_selects_the_generator(value, expected):
    env = {**os.environ, "TORCHLIKE_RNG": value}
    code = "import torchlike.random as r; print(r.is_jax_prng_enabled())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == expected, result.stderr


def test_environment_variable_rejects_unknown_values():
    env = {**os.environ, "TORCHLIKE_RNG": "philox"}
    result = subprocess.run([sys.executable, "-c", "import torchlike"], env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0
    assert "TORCHLIKE_RNG='philox' is not understood" in result.stderr
