"""torchlike._random against real torch 2.13: engine, state, uniform, normal, integers."""

import warnings

import numpy as np
import pytest
import torch
from _random_oracle import (
    FLOATS,
    assert_same,
    assert_same_error,
    assert_same_state,
    crafted_state,
    edit_state,
    pair,
    untemper,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlike._random as rnd
from torchlike._random import CPUGeneratorState

SEEDS = [0, 1, 42, 2**32 + 7, 123456789]
SIZES = list(range(1, 41)) + [1000, 4099]


# ---- engine and state ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 5, 2**32 + 5, 2**64 - 1, -1, -(2**63), 67280421310721])
def test_seeded_state_bytes(seed):
    tgen, gen = pair(seed)
    assert gen.initial_seed() == tgen.initial_seed()
    assert_same_state(gen, tgen)


def test_new_generator_matches_torch():
    assert np.array_equal(CPUGeneratorState().get_state(), torch.Generator().get_state().numpy())
    assert CPUGeneratorState().initial_seed() == torch.Generator().initial_seed()


def test_state_after_long_interleaved_sequence():
    tgen, gen = pair(3)
    for size in [5, 700, 1, 16, 17, 3, 2000, 9]:
        assert_same(rnd.uniform(gen, (size,)), torch.rand(size, generator=tgen))
        assert_same(rnd.normal(gen, (size,)), torch.randn(size, generator=tgen))
        theirs = torch.randn(size, generator=tgen, dtype=torch.float64)
        assert_same(rnd.normal(gen, (size,), "float64"), theirs)
        assert_same(rnd.randint(gen, (size,), 0, 7), torch.randint(0, 7, (size,), generator=tgen))
        assert_same(rnd.randperm(gen, size), torch.randperm(size, generator=tgen))
        theirs = torch.empty(size).bernoulli_(0.25, generator=tgen)
        assert_same(rnd.bernoulli_scalar(gen, (size,), 0.25), theirs)
        assert_same_state(gen, tgen)


def test_global_generator_state_bytes():
    torch.manual_seed(31)
    gen = CPUGeneratorState(31)
    torch.randn(7)
    torch.rand(3, 3, dtype=torch.float64)
    rnd.normal(gen, (7,))
    rnd.uniform(gen, (3, 3), "float64")
    assert np.array_equal(gen.get_state(), torch.get_rng_state().numpy())


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(-1e6, 1e6),
    width=st.floats(0, 1e6),
    dtype=st.sampled_from(list(FLOATS)),
)
def test_uniform_random_bounds(low, width, dtype):
    tgen, gen = pair(17)
    high = low + width
    theirs = torch.empty(64, dtype=FLOATS[dtype]).uniform_(low, high, generator=tgen)
    assert_same(rnd.uniform(gen, (64,), dtype, low, high), theirs)


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(-1e4, 1e4),
    std=st.floats(0, 1e4),
    size=st.sampled_from([7, 48]),
    dtype=st.sampled_from(list(FLOATS)),
)
def test_normal_random_parameters(mean, std, size, dtype):
    tgen, gen = pair(18)
    theirs = torch.empty(size, dtype=FLOATS[dtype]).normal_(mean, std, generator=tgen)
    assert_same(rnd.normal(gen, (size,), dtype, mean, std), theirs)


def test_set_state_from_torch_and_back():
    tgen, gen = pair(11)
    torch.randn(3, generator=tgen)  # leaves a cached normal sample
    torch.rand(100, generator=tgen)
    gen.set_state(tgen.get_state().numpy())
    assert_same_state(gen, tgen)
    assert_same(
        rnd.normal(gen, (5,), "float64"), torch.randn(5, generator=tgen, dtype=torch.float64)
    )
    rnd.normal(gen, (1,))
    tgen.set_state(torch.from_numpy(gen.get_state()))
    assert_same(rnd.normal(gen, (7,)), torch.randn(7, generator=tgen))
    assert_same_state(gen, tgen)


def test_clone_is_independent():
    gen = CPUGeneratorState(9)
    copy = gen.clone()
    first = rnd.normal(gen, (5,))
    assert np.array_equal(rnd.normal(copy, (5,)), first)
    assert np.array_equal(gen.get_state(), copy.get_state())


def test_out_of_step_state_left_624_next_0():
    tgen, gen = pair(3)
    torch.rand(5, generator=tgen)
    state = edit_state(tgen.get_state(), "<i", 8, 624)
    state = edit_state(state, "<Q", 16, 0)
    tgen.set_state(state)
    gen.set_state(state.numpy())
    assert_same(rnd.randint(gen, (700,), 0, 2**31), torch.randint(0, 2**31, (700,), generator=tgen))
    assert_same_state(gen, tgen)


def test_float_cache_and_flags_round_trip():
    tgen, gen = pair(4)
    state = edit_state(tgen.get_state(), "<d", 5024, 1.25)
    state = edit_state(state, "<i", 5040, 2)
    state = edit_state(state, "<f", 5048, 2.5)
    state = edit_state(state, "<B", 5052, 3)
    state = edit_state(state, "<Q", 24, 2**40 + 5)  # high bits of a state word are dropped
    tgen.set_state(state)
    gen.set_state(state.numpy())
    assert_same_state(gen, tgen)
    assert_same(rnd.normal(gen, (3,)), torch.randn(3, generator=tgen))


def test_untemper_inverts_temper():
    words = np.array([0, 1, 0x00FFFFFF, 0xFFFFFFFF, 123456789], dtype=np.uint32)
    assert rnd.engine.temper(np.array([untemper(int(w)) for w in words])).tolist() == words.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_clamp_fires_with_crafted_state(dtype):
    state = crafted_state([0xFFFFFFFF] * 4)
    tgen, gen = pair(0)
    tgen.set_state(state)
    gen.set_state(state.numpy())
    theirs = torch.empty(2, dtype=FLOATS[dtype]).uniform_(1, 2, generator=tgen)
    ours = rnd.uniform(gen, (2,), dtype, 1.0, 2.0)
    assert_same(ours, theirs)
    assert ours[0] == 1.0


BAD_SEEDS = [2**64, -(2**63) - 1, 10**30, 1.5, True, "3", None, np.int64(5)]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_bad_seed_errors(seed):
    assert_same_error(
        lambda: CPUGeneratorState().manual_seed(seed), lambda: torch.Generator().manual_seed(seed)
    )


def _bad_states():
    good = torch.Generator().manual_seed(3).get_state()
    return {
        "short": torch.zeros(100, dtype=torch.uint8),
        "legacy_5048": torch.zeros(5048, dtype=torch.uint8),
        "int8": torch.zeros(5056, dtype=torch.int8),
        "float": torch.zeros(5056, dtype=torch.float32),
        "strided": torch.zeros(5056 * 2, dtype=torch.uint8)[::2],
        "all_zero": torch.zeros(5056, dtype=torch.uint8),
        "left_0": edit_state(good, "<i", 8, 0),
        "left_625": edit_state(good, "<i", 8, 625),
        "left_neg": edit_state(good, "<i", 8, -1),
        "next_625": edit_state(good, "<Q", 16, 625),
        "next_huge": edit_state(good, "<Q", 16, 2**64 - 1),
        "unseeded": edit_state(good, "<i", 12, 0),
    }


@pytest.mark.parametrize("name", list(_bad_states()))
def test_bad_state_errors(name):
    state = _bad_states()[name]
    assert_same_error(
        lambda: CPUGeneratorState().set_state(state.numpy()),
        lambda: torch.Generator().set_state(state),
    )


def test_odd_but_valid_states_accepted():
    good = torch.Generator().manual_seed(3).get_state()
    for state in [
        edit_state(good, "<i", 12, 2),
        edit_state(good, "<Q", 16, 624),
        good.view(2, -1),
    ]:
        tgen, gen = pair(0)
        tgen.set_state(state)
        gen.set_state(state.numpy())
        assert_same_state(gen, tgen)


# ---- uniform and normal -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_all_sizes(seed, dtype):
    tgen, gen = pair(seed)
    for size in SIZES:
        assert_same(
            rnd.uniform(gen, (size,), dtype), torch.rand(size, generator=tgen, dtype=FLOATS[dtype])
        )
    assert_same_state(gen, tgen)


UNIFORM_BOUNDS = [
    (-0.3, 0.3),
    (1.0, 2.0),
    (-5.0, 1e-3),
    (1000.0, 1000.001),
    (0.0, 1e-40),
    (-1e30, 1e30),
    (0.1, 0.7),
    (-2.0, -1.0),
    (3.0, 3.0),
    (-0.0, 0.0),
]


@pytest.mark.parametrize("bounds", UNIFORM_BOUNDS, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_bounds(bounds, dtype):
    tgen, gen = pair(7)
    low, high = bounds
    theirs = torch.empty(3000, dtype=FLOATS[dtype]).uniform_(low, high, generator=tgen)
    assert_same(rnd.uniform(gen, (3000,), dtype, low, high), theirs)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("seed", SEEDS)
def test_randn_all_sizes_both_paths(seed, dtype):
    tgen, gen = pair(seed)
    for size in SIZES:
        assert_same(
            rnd.normal(gen, (size,), dtype), torch.randn(size, generator=tgen, dtype=FLOATS[dtype])
        )
    assert_same_state(gen, tgen)


NORMAL_PARAMS = [
    (0.0, 1.0),
    (3.0, 0.5),
    (-1.5, 2.0),
    (0.1, 0.01),
    (1e6, 1e-3),
    (0.0, 0.0),
    (2.0, 1.0),
]


@pytest.mark.parametrize("mean_std", NORMAL_PARAMS, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size", [5, 16, 37, 2000])
def test_normal_mean_std(mean_std, dtype, size):
    tgen, gen = pair(5)
    mean, std = mean_std
    theirs = torch.empty(size, dtype=FLOATS[dtype]).normal_(mean, std, generator=tgen)
    assert_same(rnd.normal(gen, (size,), dtype, mean, std), theirs)
    assert_same_state(gen, tgen)


def test_cached_normal_is_shared_across_calls_and_dtypes():
    tgen, gen = pair(1)
    for size, dtype in [
        (3, "float32"),
        (5, "float64"),
        (1, "float32"),
        (1, "float32"),
        (20, "float32"),
        (2, "float64"),
    ]:
        assert_same(
            rnd.normal(gen, (size,), dtype), torch.randn(size, generator=tgen, dtype=FLOATS[dtype])
        )
        assert_same_state(gen, tgen)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (3, 1, 7), (16, 16), (2, 2, 2, 2)])
def test_multi_dim_shapes(shape):
    tgen, gen = pair(2)
    assert_same(rnd.uniform(gen, shape), torch.rand(shape, generator=tgen))
    assert_same(rnd.normal(gen, shape), torch.randn(shape, generator=tgen))
    assert_same(rnd.randint(gen, shape, -3, 9), torch.randint(-3, 9, shape, generator=tgen))


STRIDED_FILLS = {
    "normal_": (
        lambda view, tgen: view.normal_(1.0, 2.0, generator=tgen),
        lambda gen, count: rnd.normal(gen, (count,), "float32", 1.0, 2.0, contiguous=False),
    ),
    "uniform_": (
        lambda view, tgen: view.uniform_(-1, 1, generator=tgen),
        lambda gen, count: rnd.uniform(gen, (count,), "float32", -1, 1),
    ),
    "bernoulli_": (
        lambda view, tgen: view.bernoulli_(0.3, generator=tgen),
        lambda gen, count: rnd.bernoulli_scalar(gen, (count,), 0.3),
    ),
}
STRIDED_VIEWS = {
    "transposed": lambda: torch.zeros(6, 8).t(),
    "column_slice": lambda: torch.zeros(5, 20)[:, ::3],
    "permuted": lambda: torch.zeros(2, 3, 4).permute(2, 0, 1),
}


@pytest.mark.parametrize("view_name", list(STRIDED_VIEWS))
@pytest.mark.parametrize("fill_name", list(STRIDED_FILLS))
def test_non_contiguous_targets_fill_in_memory_order(fill_name, view_name):
    tgen, gen = pair(8)
    fill_torch, draw_ours = STRIDED_FILLS[fill_name]
    view = STRIDED_VIEWS[view_name]()
    fill_torch(view, tgen)
    values = draw_ours(gen, view.numel())
    assert_same(rnd.place_in_fill_order(values, view.shape, view.stride()), view.contiguous())
    assert_same_state(gen, tgen)


def test_torch_normal_overloads():
    tgen, gen = pair(6)
    mean = torch.linspace(-2, 2, 20)
    std = torch.linspace(0.1, 3, 20)
    for dtype in [torch.float32, torch.float64]:
        m, s = mean.to(dtype), std.to(dtype)
        assert_same(
            rnd.normal_tensor(gen, m.numpy(), s.numpy()), torch.normal(m, s, generator=tgen)
        )
        assert_same(rnd.normal_tensor(gen, m.numpy(), 0.3), torch.normal(m, 0.3, generator=tgen))
        assert_same(rnd.normal_tensor(gen, 0.1, s.numpy()), torch.normal(0.1, s, generator=tgen))
        assert_same(
            rnd.normal_tensor(gen, m[:5].numpy(), s[:1].numpy()),
            torch.normal(m[:5], s[:1], generator=tgen),
        )
        theirs = torch.normal(0.1, 0.2, (4, 5), generator=tgen, dtype=dtype)
        assert_same(rnd.normal(gen, (4, 5), str(dtype)[6:], 0.1, 0.2), theirs)
    assert_same_state(gen, tgen)


# ---- integers -----------------------------------------------------------------------------

RANGES = [
    (0, 10),
    (-5, 5),
    (0, 2**28 - 1),
    (0, 2**28),
    (7, 2**32),
    (0, 2**32 + 1),
    (-(2**40), 2**40),
    (-(2**63), 2**63 - 1),
    (100, 101),
]


@pytest.mark.parametrize("bounds", RANGES, ids=str)
@pytest.mark.parametrize("size", [1, 17, 1000])
def test_randint_ranges(bounds, size):
    tgen, gen = pair(9)
    low, high = bounds
    assert_same(
        rnd.randint(gen, (size,), low, high), torch.randint(low, high, (size,), generator=tgen)
    )
    assert_same_state(gen, tgen)


@pytest.mark.parametrize(
    "dtype",
    [torch.int32, torch.int16, torch.uint8, torch.int8, torch.float32, torch.float64, torch.bool],
)
def test_randint_dtypes(dtype):
    tgen, gen = pair(10)
    high = 2 if dtype == torch.bool else 100
    name = str(dtype)[6:]
    assert_same(
        rnd.randint(gen, (50,), 0, high, name),
        torch.randint(0, high, (50,), generator=tgen, dtype=dtype),
    )


def test_randint_float_large_range_warns_like_torch():
    tgen, gen = pair(10)
    with pytest.warns(UserWarning, match="to - 1 is out of bounds") as ours:
        values = rnd.randint(gen, (20,), 0, 2**30, "float32")
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = torch.randint(0, 2**30, (20,), generator=tgen, dtype=torch.float32)
    assert str(ours[0].message) in str(theirs[0].message)
    assert_same(values, expected)


@pytest.mark.parametrize(
    "dtype",
    [
        torch.int64,
        torch.int32,
        torch.int16,
        torch.int8,
        torch.uint8,
        torch.bool,
        torch.float32,
        torch.float64,
    ],
)
def test_random_forms(dtype):
    tgen, gen = pair(12)
    name = str(dtype)[6:]
    assert_same(rnd.random_(gen, (30,), name), torch.empty(30, dtype=dtype).random_(generator=tgen))
    high = 2 if dtype == torch.bool else 5
    assert_same(
        rnd.random_from_to(gen, (30,), name, 0, high),
        torch.empty(30, dtype=dtype).random_(high, generator=tgen),
    )
    low = 0 if dtype in (torch.bool, torch.uint8) else -3
    assert_same(
        rnd.random_from_to(gen, (30,), name, low, None),
        torch.empty(30, dtype=dtype).random_(low, None, generator=tgen),
    )
    if dtype in (torch.int64, torch.float32, torch.float64):
        assert_same(
            rnd.random_from_to(gen, (30,), name, -(2**63), None),
            torch.empty(30, dtype=dtype).random_(-(2**63), None, generator=tgen),
        )
    assert_same_state(gen, tgen)


@pytest.mark.parametrize("seed", SEEDS)
def test_randperm_sizes(seed):
    tgen, gen = pair(seed)
    for n in list(range(0, 41)) + [1000, 5000]:
        assert_same(rnd.randperm(gen, n), torch.randperm(n, generator=tgen))
    for dtype in [torch.int32, torch.float32, torch.float64, torch.int16]:
        assert_same(
            rnd.randperm(gen, 300, str(dtype)[6:]), torch.randperm(300, generator=tgen, dtype=dtype)
        )
    assert_same_state(gen, tgen)
