"""Forward kernels: a repeated op call runs as one cached kernel (interpreted in numpy first,
then compiled) with the eager bits."""

import numpy as np
import pytest

import torchlike
from torchlike import _tiers
from torchlike._ops import forward


@pytest.fixture
def fresh_kernels(monkeypatch):
    """Kernels compile inline as soon as they have been interpreted once (budget 0)."""
    forward.clear()
    forward.set_enabled(True)
    _tiers.wait()
    monkeypatch.setitem(_tiers._settings, "background", False)
    monkeypatch.setitem(_tiers._settings, "budget", 0.0)
    yield forward.stats
    forward.set_enabled(True)


def _bits(t):
    return np.asarray(t.detach()).tobytes()


CALLS = {
    "div": lambda x, y: x / y,
    "pow_int": lambda x, y: x.pow(2),
    "pow_float": lambda x, y: x**2.5,
    "sum": lambda x, y: x.sum(),
    "mean_dim": lambda x, y: x.mean(dim=1, keepdim=True),
    "linear": lambda x, y: torchlike.nn.functional.linear(x, y, y[:, 0]),
    "softmax": lambda x, y: torchlike.softmax(x * 3.0, dim=-1),
    "max_dim": lambda x, y: x.max(dim=0).values,
    "matmul": lambda x, y: x @ y.t(),
}


@pytest.mark.parametrize("name", CALLS)
def test_compiled_calls_give_the_eager_bits(fresh_kernels, name):
    torchlike.manual_seed(0)
    x, y = torchlike.rand(4, 5) + 0.5, torchlike.rand(4, 5) + 0.5
    forward.set_enabled(False)
    eager = _bits(CALLS[name](x, y))
    forward.set_enabled(True)
    results = [_bits(CALLS[name](x, y)) for _ in range(3)]  # interpreted or eager, compiled
    assert results == [eager] * 3
    assert fresh_kernels["forward_compiles"] >= 1


def test_a_call_is_interpreted_until_its_budget_is_spent_then_compiles(fresh_kernels):
    _tiers.set_budget_ms(60_000)
    x = torchlike.ones(3, 2)
    start, interpreted = dict(fresh_kernels), _tiers.stats["interpreted_runs"]
    for _ in range(3):
        x * 2.0
    assert fresh_kernels["forward_compiles"] == start["forward_compiles"]
    assert _tiers.stats["interpreted_runs"] == interpreted + 3
    _tiers.set_budget_ms(0)
    x * 2.0
    assert fresh_kernels["forward_compiles"] == start["forward_compiles"] + 1
    runs = fresh_kernels["forward_kernel_runs"]
    x * 2.0
    assert fresh_kernels["forward_compiles"] == start["forward_compiles"] + 1
    assert fresh_kernels["forward_kernel_runs"] == runs + 1


def test_changing_scalars_stop_compiling_after_a_few_values(fresh_kernels):
    x = torchlike.ones(3)
    start = fresh_kernels["forward_compiles"]
    for value in range(20):
        for _ in range(3):
            assert (x * float(value)).tolist() == [float(value)] * 3
    assert fresh_kernels["forward_compiles"] - start == 8


def test_a_compiled_call_still_raises_torchs_error_on_bad_shapes(fresh_kernels):
    a, b = torchlike.ones(2, 3), torchlike.ones(2, 3)
    a + b
    a + b
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match"):
        a + torchlike.ones(2, 4)


def test_data_dependent_shapes_fall_back_to_eager(fresh_kernels):
    x = torchlike.tensor([1.0, -2.0, 3.0, -4.0])
    for _ in range(3):
        assert x[x > 0].tolist() == [1.0, 3.0]
    y = torchlike.tensor([-1.0, -2.0, 3.0, -4.0])
    assert y[y > 0].tolist() == [3.0]


def test_gradients_through_compiled_forward_calls(fresh_kernels):
    w = torchlike.ones(3, requires_grad=True)
    for _ in range(3):
        w.grad = None
        (w * torchlike.tensor([1.0, 2.0, 3.0])).pow(2).sum().backward()
        assert w.grad.tolist() == [2.0, 8.0, 18.0]
