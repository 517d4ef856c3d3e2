"""torchlike._random reproduces the published torch 2.13 CPU test vectors and spec facts.

The values below were produced by real torch 2.13.0+cpu (AVX2 host); bits are hex
patterns of float32/float64 values. No torch import is needed.
"""

import math
import struct
from fractions import Fraction

import numpy as np
import pytest

import torchlike._random as rnd
from torchlike._random import CPUGeneratorState
from torchlike._random.exact_fma import fma32, fma64
from torchlike._random.init import linear_default

VECTORS = {
    0: {
        "raw32": (
            "2357136044 2546248239 3071714933 3626093760 2588848963 3684848379 2340255427 "
            "3638918503 "
        ),
        "raw64": "0x8c7f0aac97c4aa2f 0xb716a675d821ccc0",
        "rand8_f32": (
            "0x3efe1558 0x3f44aa2f 0x3db533a8 0x3e073300 0x3e9d6686 0x3f2252fb 0x3efaed86 "
            "0x3f657d67 "
        ),
        "randn8_f32": (
            "0x3fc53f5c 0xbe963c50 0xc00b7149 0x3f1184b6 0xbf8ad1a1 0xbfb3052d 0x3ece837a "
            "0x3f5688e5 "
        ),
        "randn20_first8_f32": (
            "0xbf901b85 0xbf93808a 0xbe804bd6 0xbede255d 0x3f194d8b 0xbfc70d5b 0xbeaec6ca "
            "0x3fed2f4e "
        ),
        "randn20_last4_f32": "0x3f6e8c30 0x3fa12737 0x4000519a 0x3d5c1b3a",
        "randn16_f32": (
            "0xbf901b85 0xbf93808a 0xbe804bd6 0xbede255d 0x3f594515 0x3f312783 0xbea1cc6d "
            "0xc0075fc1 0x3ea50138 0xbfa1b4f4 0x3eb330ff 0x3e9dc3bb 0x3df56f77 0x3f9e6b93 "
            "0x3f8ef28e 0xbe7d367c "
        ),
        "rand4_f64": "0x3fef0aac97c4aa2f 0x3fe6a675d821ccc0 0x3fdd6687b744a5f6 0x3fed76c3d8e57d67",
        "randn4_f64": "0x3ff8a7eb8902be3a 0xbfd2c78a087c6fea 0xc0016e2920a70ee5 0x3fe23096ca3e350d",
        "linear_weight_f32": (
            "0xbb755400 0x3e89545e 0xbed2b316 0xbebc6680 0xbe4532f4 0x3e094bec 0xbc224f40 "
            "0x3ecaface "
        ),
        "linear_bias_f32": "0xbd35bf70 0x3e077b4c",
        "randint10": "4 9 3 0 3 9 7 3",
        "randperm10": "4 1 7 5 3 9 0 8 6 2",
        "randint_2pow28": "130329135 136432832 195187451 149257575",
    },
    42: {
        "raw32": (
            "1608637542 3421126067 4083286876 787846414 3143890026 3348747335 2571218620 "
            "2563451924 "
        ),
        "raw64": "0x5fe1dc66cbea3db3 0xf362035c2ef5950e",
        "rand8_f32": (
            "0x3f61dc66 0x3f6a3db3 0x3ec406b8 0x3f75950e 0x3ec7e8d4 0x3f19d447 0x3e835d78 "
            "0x3f4b2c14 "
        ),
        "randn8_f32": (
            "0x3eac62ae 0x3e03e69d 0x3e7016e7 0x3e6bdc6c 0xbf8fb9c2 0xbe3eccd8 0x400d532c "
            "0xbf2353c6 "
        ),
        "randn20_first8_f32": (
            "0x3ff6a529 0x3fbe5f53 0x3f669567 0xc006c0db 0xbf4214e2 0x3f8a0650 0x3f4d0144 "
            "0x3fd71e93 "
        ),
        "randn20_last4_f32": "0xbe9e9482 0xbeca9a91 0x3f4dac3c 0xbf1f20e0",
        "randn16_f32": (
            "0x3ff6a529 0x3fbe5f53 0x3f669567 0xc006c0db 0x3f2dacd5 0xbf9e0591 0xbd306786 "
            "0xbfcd65ba 0xbf408bf0 0x3fd3095b 0xbec8f2f6 0xbfb3a966 0xbf3a566e 0xbf0f36d1 "
            "0xbf44d2a0 0x3f432f9f "
        ),
        "rand4_f64": "0x3fadc66cbea3db30 0x3fb01ae177aca870 0x3fbfa3563ccea238 0x3faaebc98cb2c140",
        "randn4_f64": "0x3fd58c55b33d44cc 0x3fc07cd39b3d4b85 0x3fce02dcdb63ec41 0x3fcd7b8d7b0a7c22",
        "linear_weight_f32": (
            "0x3ec3b8cc 0x3ed47b66 0xbdefe520 0x3eeb2a1c 0xbde05cb0 0x3dcea238 0xbe794510 "
            "0x3e965828 "
        ),
        "linear_bias_f32": "0x3ee1accc 0xbebbcf0e",
        "randint10": "2 7 6 4 6 5 0 4",
        "randperm10": "2 6 1 8 4 5 0 9 3 7",
        "randint_2pow28": "199900595 250975502 127521863 147532820",
    },
}


def ints(text: str) -> list[int]:
    """Integers from a space-separated table entry (decimal or 0x-prefixed hex)."""
    return [int(token, 0) for token in text.split()]


def bits(values: np.ndarray) -> list[int]:
    kind = np.uint32 if values.dtype == np.float32 else np.uint64
    return values.view(kind).tolist()


def header(gen: CPUGeneratorState) -> tuple[int, int, int, int]:
    """(seed, left, seeded, next) from the serialised state."""
    return struct.unpack_from("<QiiQ", gen.get_state().tobytes(), 0)


# ---- published vectors ----------------------------------------------------------------------

SEEDS = list(VECTORS)


def vector(seed: int, name: str) -> list[int]:
    return ints(VECTORS[seed][name])


@pytest.mark.parametrize("seed", SEEDS)
def test_raw_engine_words(seed):
    gen = CPUGeneratorState(seed)
    assert gen.next32(8).tolist() == vector(seed, "raw32")
    assert CPUGeneratorState(seed).next64(2).tolist() == vector(seed, "raw64")


@pytest.mark.parametrize("seed", SEEDS)
def test_rand(seed):
    assert bits(rnd.uniform(CPUGeneratorState(seed), (8,))) == vector(seed, "rand8_f32")
    assert bits(rnd.uniform(CPUGeneratorState(seed), (4,), "float64")) == vector(seed, "rand4_f64")


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_scalar_path(seed):
    assert bits(rnd.normal(CPUGeneratorState(seed), (8,))) == vector(seed, "randn8_f32")
    assert bits(rnd.normal(CPUGeneratorState(seed), (4,), "float64")) == vector(seed, "randn4_f64")


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_vector_path(seed):
    assert bits(rnd.normal(CPUGeneratorState(seed), (16,))) == vector(seed, "randn16_f32")
    twenty = bits(rnd.normal(CPUGeneratorState(seed), (20,)))
    assert twenty[:8] == vector(seed, "randn20_first8_f32")
    assert twenty[16:] == vector(seed, "randn20_last4_f32")
    # Outputs 0-3 of randn(20) come from the first block, like randn(16)'s.
    assert twenty[:4] == vector(seed, "randn16_f32")[:4]


@pytest.mark.parametrize("seed", SEEDS)
def test_integers(seed):
    assert rnd.randint(CPUGeneratorState(seed), (8,), 0, 10).tolist() == vector(seed, "randint10")
    wide = rnd.randint(CPUGeneratorState(seed), (4,), 0, 2**28).tolist()
    assert wide == vector(seed, "randint_2pow28")
    assert rnd.randperm(CPUGeneratorState(seed), 10).tolist() == vector(seed, "randperm10")


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_4_2_default_init(seed):
    weight, bias = linear_default(CPUGeneratorState(seed), 4, 2)
    assert bits(weight.ravel()) == vector(seed, "linear_weight_f32")
    assert bits(bias) == vector(seed, "linear_bias_f32")


# ---- generator and state facts (spec sections 2 and 3) -------------------------------------


def test_new_generator_seed():
    gen = CPUGeneratorState()
    assert gen.initial_seed() == 67280421310721 == 0x3D30F19CD101
    assert header(gen) == (67280421310721, 1, 1, 0)
    assert np.array_equal(gen.next32(4), CPUGeneratorState(4053586177).next32(4))


def test_only_low_32_bits_reach_the_engine():
    low, high = CPUGeneratorState(5), CPUGeneratorState(2**32 + 5)
    assert high.initial_seed() == 2**32 + 5
    assert not np.array_equal(low.get_state()[:8], high.get_state()[:8])
    assert np.array_equal(low.get_state()[8:], high.get_state()[8:])
    assert np.array_equal(rnd.normal(low, (30,)), rnd.normal(high, (30,)))


def test_negative_seed_is_twos_complement():
    assert CPUGeneratorState(-1).initial_seed() == 2**64 - 1
    assert CPUGeneratorState(-(2**63)).initial_seed() == 2**63


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        CPUGeneratorState(seed)


def test_seed_must_be_an_int():
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        CPUGeneratorState(1.5)


def test_nondeterministic_seed_reseeds():
    gen = CPUGeneratorState(0)
    value = gen.seed()
    assert 0 <= value < 2**64 and gen.initial_seed() == value
    assert np.array_equal(gen.next32(3), CPUGeneratorState(value).next32(3))


@pytest.mark.parametrize("draws", [1, 2, 100, 623, 624, 625, 1300])
def test_left_and_next_after_draws(draws):
    gen = CPUGeneratorState(0)
    gen.next32(draws)
    since_twist = (draws - 1) % 624 + 1
    assert header(gen)[1:] == (625 - since_twist, 1, since_twist)


def test_state_layout_and_normal_cache():
    gen = CPUGeneratorState(0)
    rnd.normal(gen, (3,))  # 2 pairs: 4 values, one cached
    raw = gen.get_state().tobytes()
    assert len(raw) == 5056
    mt = np.frombuffer(raw, "<u8", 624, 24)
    assert mt.max() < 2**32
    normal_x, cached, normal_rho, flag = struct.unpack_from("<dddi", raw, 5016)
    assert (normal_x, normal_rho, flag) == (0.0, 0.0, 1)
    assert cached == gen.double_normal
    assert raw[5044:5048] == bytes(4) and raw[5048:] == bytes(8)
    assert (
        bits(rnd.normal(CPUGeneratorState(0), (4,)))[3]
        == bits(np.array([cached], np.float64).astype(np.float32))[0]
    )


def test_state_round_trip_and_manual_seed_clears_cache():
    gen = CPUGeneratorState(7)
    rnd.normal(gen, (5,))
    copy = CPUGeneratorState().set_state(gen.get_state())
    assert np.array_equal(rnd.normal(copy, (9,)), rnd.normal(gen, (9,)))
    gen.manual_seed(7)
    assert gen.double_normal is None


def test_set_state_validation():
    good = CPUGeneratorState(3).get_state()
    with pytest.raises(
        RuntimeError, match="size 5056 but found the input RNG state size to be 5048"
    ):
        CPUGeneratorState().set_state(good[:5048].copy())
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        CPUGeneratorState().set_state(good.astype(np.int16))
    for offset, fmt, value in [(8, "<i", 0), (8, "<i", 625), (12, "<i", 0), (16, "<Q", 625)]:
        bad = bytearray(good.tobytes())
        struct.pack_into(fmt, bad, offset, value)
        with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
            CPUGeneratorState().set_state(np.frombuffer(bytes(bad), np.uint8))


# ---- arithmetic facts (sections 4, 5, 7, 10, 11) ------------------------------------------


def test_uniform_bits_use_the_low_bits():
    word = CPUGeneratorState(0).next32(1)[0]
    assert rnd.uniform(CPUGeneratorState(0), (1,))[0] == (int(word) & 0xFFFFFF) * 2.0**-24
    r64 = int(CPUGeneratorState(0).next64(1)[0])
    assert rnd.uniform(CPUGeneratorState(0), (1,), "float64")[0] == (r64 & (2**53 - 1)) * 2.0**-53


def test_uniform_upper_bound_maps_to_lower():
    # fma(1 - 2**-24, 1, 1) rounds to 2.0, which torch replaces by `from`.
    assert fma32(np.float32(1 - 2**-24), np.float32(1), np.float32(1)) == 2.0


def test_default_init_bounds_differ_in_last_bit():
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    assert math.sqrt(3.0) * (gain / math.sqrt(4)) == 0.49999999999999994
    assert 1 / math.sqrt(4) == 0.5


DRAW_BUDGETS = [
    (lambda g: rnd.uniform(g, (10,)), 10),
    (lambda g: rnd.uniform(g, (10,), "float64"), 20),
    (lambda g: rnd.normal(g, (32,)), 32),
    (lambda g: rnd.normal(g, (20,)), 36),
    (lambda g: rnd.normal(g, (20,), "float64"), 72),
    (lambda g: rnd.normal(g, (5,)), 12),
    (lambda g: rnd.randint(g, (10,), 0, 2**28 - 1), 10),
    (lambda g: rnd.randint(g, (10,), 5, 5 + 2**28), 20),
    (lambda g: rnd.randperm(g, 10), 9),
    (lambda g: rnd.randperm(g, 1), 0),
    (lambda g: rnd.bernoulli_scalar(g, (10,), 0.5), 20),
    (lambda g: rnd.bernoulli_tensor(g, np.full(10, 0.5, np.float32)), 10),
    (lambda g: rnd.bernoulli_tensor(g, np.full(10, 0.5)), 20),
    (lambda g: rnd.exponential(g, (10,)), 20),
    (lambda g: rnd.multinomial(g, np.ones((3, 4), np.float32), 2), 24),
    (lambda g: rnd.multinomial(g, np.ones((3, 4), np.float32), 5, True), 30),
    (lambda g: linear_default(g, 3, 5), 20),
]


@pytest.mark.parametrize("call,draws", DRAW_BUDGETS)
def test_draw_budget(call, draws):
    gen = CPUGeneratorState(0)
    call(gen)
    assert header(gen)[3] == draws


def test_scalar_path_cache_draw_budget():
    gen = CPUGeneratorState(0)
    rnd.normal(gen, (3,))  # uses 8 draws and caches one value
    rnd.normal(gen, (5,), "float64")  # starts with the cached value: 4 more values, 8 draws
    assert header(gen)[3] == 16 and gen.double_normal is None


def test_randperm_threshold():
    assert rnd.integers.RANDPERM_WIDE_MIN == 214748364


def test_fill_order_of_transposed_view():
    # A (4, 3) transpose of a (3, 4) buffer: strides (1, 4); memory order visits columns first.
    assert rnd.fill_order((4, 3), (1, 4)).tolist() == [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]


# ---- exact fma emulation against rational arithmetic ------------------------------------------


def _round_f32(x: Fraction) -> np.float32:
    below = np.float32(float(x))
    candidates = [
        np.nextafter(below, np.float32(-np.inf)),
        below,
        np.nextafter(below, np.float32(np.inf)),
    ]
    return min(candidates, key=lambda c: (abs(Fraction(float(c)) - x), int(c.view(np.uint32)) & 1))


def test_fma32_matches_exact_rounding():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(3000).astype(np.float32)
    b = (rng.standard_normal(3000) * 10.0 ** rng.integers(-8, 3, 3000)).astype(np.float32)
    c = rng.standard_normal(3000).astype(np.float32)
    ours = fma32(a, b, c)
    for i in range(3000):
        exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
        assert ours[i].view(np.uint32) == _round_f32(exact).view(np.uint32)


def test_fma32_midpoint_cases():
    a = np.ones(3, np.float32)
    b = np.array([2**-24 + 2**-47, 2**-24, 2**-24 - 2**-48], np.float32)
    ours = fma32(a, b, np.ones(3, np.float32))
    assert ours.tolist() == [1 + 2**-23, 1.0, 1.0]


def test_fma64_matches_exact_rounding():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(3000)
    b = rng.standard_normal(3000) * 10.0 ** rng.integers(-20, 3, 3000)
    c = rng.standard_normal(3000)
    ours = fma64(a, b, c)
    for i in range(3000):
        exact = Fraction(a[i]) * Fraction(b[i]) + Fraction(c[i])
        assert ours[i] == float(exact)  # Fraction -> float rounds correctly
    assert fma64(1.0, 2**-53 + 2**-105, 1.0) == 1 + 2**-52
