"""Programs of small arrays compile with XLA's CPU loops on one thread (`_small_loops`), with the
bits of the split loops: deferred chunks and autograd.functional programs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torchlike as tl
from torchlike import _deferred, _small_loops, _tiers
from torchlike.autograd import _functional_cache

SPLIT = 'outer_dimension_partitions":["'  # a loop fusion XLA split over threads

pytestmark = pytest.mark.xfail(
    jax.default_backend() != "cpu", strict=True, reason="about XLA's CPU backend's loops"
)


def test_options_turn_the_split_off_only_for_small_results():
    unfused = {"xla_disable_hlo_passes": "fusion"}
    small = _small_loops.options(unfused, [10, _small_loops.LIMIT])
    assert small == {"xla_disable_hlo_passes": "fusion,cpu-parallel-task-assigner"}
    assert _small_loops.options(unfused, [10, _small_loops.LIMIT + 1]) is unfused
    assert _small_loops.options({}, [3]) == {"xla_disable_hlo_passes": "cpu-parallel-task-assigner"}
    assert unfused == {"xla_disable_hlo_passes": "fusion"}  # not modified


def test_xla_splits_such_a_loop_without_the_option_and_not_with_it():
    # The premise: a 65,536-element loop is split by default (else the option does nothing).
    def f(x):
        return jnp.maximum(x, 0) * 2 + 1

    x = jnp.ones(65_536, jnp.float32)
    assert SPLIT in jax.jit(f).lower(x).compile().as_text()
    one = jax.jit(f, compiler_options=_small_loops.options({}, [x.size]))
    assert SPLIT not in one.lower(x).compile().as_text()


def _jacobians(x, calls=3):
    """Jacobians of tanh(v) * 2 at x from a fresh cache (the first call runs uncompiled) and the
    program the repeats ran."""
    _functional_cache.clear()
    results = [tl.autograd.functional.jacobian(lambda v: v.tanh() * 2, x) for _ in range(calls)]
    return [r.numpy() for r in results], next(iter(_functional_cache._programs.values()))


def test_jacobian_of_a_256_vector_runs_one_thread_with_the_bits_of_split_loops(monkeypatch):
    x = tl.tensor(np.random.default_rng(0).standard_normal(256).astype(np.float32))
    ours, program = _jacobians(x)
    assert SPLIT not in program.jitted.lower(x._value).compile().as_text()
    monkeypatch.setattr(_small_loops, "LIMIT", 0)
    split, program = _jacobians(x)
    assert SPLIT in program.jitted.lower(x._value).compile().as_text()
    for one_thread, two_threads in zip(ours[1:], split[1:]):
        np.testing.assert_array_equal(one_thread, two_threads)
    expected = jax.jit(jax.jacrev(lambda v: jnp.tanh(v) * 2))(x._value)
    np.testing.assert_array_equal(ours[-1], np.asarray(expected))


def test_a_large_jacobian_keeps_xla_split_loops():
    _functional_cache.clear()
    x = tl.ones(600)  # a 360,000-element jacobian

    for _ in range(3):
        tl.autograd.functional.jacobian(lambda v: v.sin(), x)
    program = next(iter(_functional_cache._programs.values()))
    assert SPLIT in program.jitted.lower(x._value).compile().as_text()


def test_a_chunk_of_65536_element_ops_runs_one_thread_with_the_bits_of_each_op(monkeypatch):
    monkeypatch.setitem(_tiers._settings, "budget", 0.0)
    was = _deferred.enabled()
    _deferred.set_enabled(True)
    _deferred.clear()
    rng = np.random.default_rng(1)
    a = tl.tensor(rng.standard_normal((128, 512)).astype(np.float32))

    def ops():
        return ((a * 3).relu() + a.sin()).tanh()

    try:
        runs, compiled = [], []
        for _ in range(5):
            runs.append(ops().numpy().copy())
            _tiers.wait()  # a compiled chunk is an Executable until its first run
            compiled += [p for p in _deferred._programs.values() if type(p) is _tiers.Executable]
        assert compiled and _deferred.stats["chunk_runs"] > 0
        assert all(SPLIT not in p.executable.as_text() for p in compiled)
        _deferred.set_enabled(False)
        direct = ops().numpy()
    finally:
        _tiers.wait()
        _deferred.set_enabled(was)
    for run in runs:
        np.testing.assert_array_equal(run, direct)
