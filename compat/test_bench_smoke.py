"""The benchmark workloads compute the same thing in every implementation (tiny sizes, 1-2 steps).

Correctness only, never timing: losses, gradients and updated parameters (or jacobians and
hessians) of torchlike and the hand-written jax.jit versions agree with each other and with
PyTorch's, so the benchmark compares like with like.
"""

import functools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ lives at the repo root

from bench.workloads import TIMED, load  # noqa: E402
from bench.workloads._common import JAX_JIT, TORCH, TORCHLIKE, TORCHLIKE_COMPILE  # noqa: E402

# Implementations the workload cannot run yet, as (case id, impl): the reason shows in RESULTS.md.
NOT_YET: dict[tuple[str, str], str] = {}

CASES = {case.id: case for workload_id in TIMED for case in load(workload_id).cases("tiny")}


@functools.cache  # each implementation runs once; several tests compare against it
def _result(case_id: str, impl: str) -> dict[str, np.ndarray]:
    return CASES[case_id].factories[impl]().result()


# Attention's key bias has a mathematically zero gradient (softmax ignores a constant added to
# a row of scores), so each implementation's is rounding noise, and Adam's normalised step turns
# any nonzero noise into a step of up to lr: after the 3 steps of result(), within 3 * lr.
ABSOLUTE_TOLERANCE = {"param/self_attn.in_proj_bias": 3 * 1e-3}


def _assert_same(actual: dict, expected: dict) -> None:
    assert sorted(actual) == sorted(expected)
    for name, value in expected.items():
        atol = ABSOLUTE_TOLERANCE.get(name, 1e-5)
        np.testing.assert_allclose(actual[name], value, rtol=1e-4, atol=atol, err_msg=name)
        assert actual[name].dtype == value.dtype, name


def _params(impls):
    for case_id in CASES:
        for impl in impls:
            if impl not in CASES[case_id].factories:
                continue  # W4 and W5 are not training steps: no torchlike.compile variant
            marks = []
            if (case_id, impl) in NOT_YET:
                marks.append(pytest.mark.xfail(reason=NOT_YET[case_id, impl], strict=True))
            yield pytest.param(case_id, impl, marks=marks, id=f"{case_id}-{impl}")


@pytest.mark.parametrize(("case_id", "impl"), list(_params([TORCHLIKE, TORCHLIKE_COMPILE])))
def test_torchlike_matches_jax(case_id, impl):
    _assert_same(_result(case_id, impl), _result(case_id, JAX_JIT))


@pytest.mark.parametrize(("case_id", "impl"), list(_params([TORCHLIKE, JAX_JIT])))
def test_matches_torch(case_id, impl):
    _assert_same(_result(case_id, impl), _result(case_id, TORCH))


def test_every_case_has_the_three_compared_impls():
    for case in CASES.values():
        assert {TORCHLIKE, TORCH, JAX_JIT} <= set(case.factories), case.id


def test_w4_reports_first_iterations_in_new_processes():
    # The W4 notes time the first iterations of torch and torchlike in new processes (and
    # torchlike again with JAX's persistent cache kept from the run before): the child runs
    # succeed and print three iterations each.
    facts = {}
    for impl in (TORCH, TORCHLIKE):
        runner = CASES["W4"].factories[impl]()
        runner.step()
        facts.update(runner.facts())
    fresh = {name: value for name, value in facts.items() if "new process" in name}
    assert len(fresh) == 3
    for value in fresh.values():
        times = value.split(", ")
        assert len(times) == 3 and all(t.endswith(" ms") for t in times), value
        assert all(float(t[:-3]) > 0 for t in times), value


def test_device_cuda_runs_the_training_steps_only():
    from bench import run

    assert run.parse_args(["--device", "cuda"]).selected == list(run.ON_GPU)
    assert run.parse_args(["--device", "cuda", "--workloads", "W2"]).selected == ["W2"]
    assert run.parse_args([]).selected == list(run.MODULES)
    with pytest.raises(SystemExit):
        run.parse_args(["--device", "cuda", "--workloads", "W1,W4"])


def test_the_training_steps_stay_on_the_cpu_by_default():
    from bench.workloads import _common

    assert _common.device() == "cpu" and _common.jax_device() is None
    runner = CASES["W1"].factories[JAX_JIT]()
    loss, params = runner.step()
    devices = {d.platform for p in params.values() for d in p.devices()}
    assert devices == {"cpu"}
