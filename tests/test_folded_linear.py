"""F.linear's addmm takes the weight untransposed: weight.t() is computed only where a backward
reads it (torchlike/_ops/folded_linear.py). Against torch: compat/test_linear_compat.py."""

import numpy as np
import pytest
import torch as real_torch

import torchlike as torch
from torchlike._autograd.kernels import LazyPrimal
from torchlike._ops import folded_linear, forward


@pytest.fixture
def transposes(monkeypatch):
    """How many times a saved transposed weight was computed."""
    calls = []
    original = folded_linear._Fold.transposed

    def counted(self, weight):
        calls.append(weight.shape)
        return original(self, weight)

    monkeypatch.setattr(folded_linear._Fold, "transposed", counted)
    return calls


def _step(x, w, b):
    loss = (torch.nn.functional.linear(x, w, b) ** 2).sum()
    loss.backward()
    return loss


def test_the_transposed_weight_is_never_computed_when_no_backward_reads_it(transposes):
    w = torch.randn(5, 7, requires_grad=True)
    b = torch.randn(5, requires_grad=True)
    x = torch.randn(3, 7)
    for _ in range(3):  # per-node backward, then the compiled whole-graph replay
        loss = torch.nn.functional.linear(x, w, b).sum()
        assert isinstance(loss.grad_fn.next_functions[0][0].primals[2], LazyPrimal)
        loss.backward()
    assert transposes == []
    column_sums = x.numpy().astype(np.float64).sum(0)
    np.testing.assert_allclose(
        w.grad.numpy(), 3 * np.tile(column_sums, (5, 1)), rtol=1e-5, atol=1e-5
    )


def test_the_gradient_of_the_input_reads_it(transposes):
    w = torch.randn(5, 7, requires_grad=True)
    x = torch.randn(3, 7, requires_grad=True)
    b = torch.zeros(5)
    for _ in range(3):
        _step(x, w, b)
    assert transposes and set(transposes) == {(5, 7)}
    x64, w64 = x.detach().numpy().astype(np.float64), w.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * (x64 @ w64.T) @ w64, rtol=1e-5, atol=1e-5)


def test_no_grad_and_traced_calls(transposes):
    w, b, x = torch.randn(5, 7), torch.randn(5), torch.randn(3, 7)
    with torch.no_grad():
        out = torch.nn.functional.linear(x, w, b)
    assert out.grad_fn is None
    x64, w64 = x.numpy().astype(np.float64), w.numpy().astype(np.float64)
    np.testing.assert_allclose(out.numpy(), x64 @ w64.T + b.numpy(), rtol=1e-5, atol=1e-6)
    compiled = torch.compile(
        lambda x: torch.nn.functional.linear(x, w, b)
    )  # tracers: ordinary path
    np.testing.assert_allclose(compiled(x).numpy(), x64 @ w64.T + b.numpy(), rtol=1e-5, atol=1e-6)
    assert transposes == []


def test_the_compiled_replay_transposes_inside_its_program(monkeypatch):
    """The whole-graph replay takes the weight itself and transposes it inside its program where
    it reads the value: no transposed copy is made before the program runs, and the gradients
    are the per-node ones bit for bit."""
    import jax

    from torchlike._autograd import compiled, engine

    compiled.clear()
    seen = []  # per call of the saved view's function: was the weight a tracer?
    original = folded_linear._Fold.transposed

    def watched(self, weight):
        seen[-1].append(isinstance(weight, jax.core.Tracer))
        return original(self, weight)

    monkeypatch.setattr(folded_linear._Fold, "transposed", watched)
    w = torch.randn(5, 7, requires_grad=True)
    b = torch.randn(5, requires_grad=True)
    x = torch.randn(3, 7, requires_grad=True)
    runs = []
    for _ in range(3):  # per node; compiled on the second sighting; replayed from the cache
        w.grad = b.grad = x.grad = None
        seen.append([])
        replays = engine.stats["graph_replays"]
        _step(x, w, b)
        runs.append((engine.stats["graph_replays"] - replays, x.grad.numpy(), w.grad.numpy()))
    assert [replayed for replayed, *_ in runs] == [0, 1, 1]
    assert seen == [[False], [True], []]
    for _, x_grad, w_grad in runs[1:]:
        np.testing.assert_array_equal(x_grad, runs[0][1])
        np.testing.assert_array_equal(w_grad, runs[0][2])


@pytest.mark.parametrize("shape", [(3, 7), (2, 3, 7)], ids=["matrix", "batched"])
def test_without_a_bias_the_transposed_weight_is_computed_only_where_read(transposes, shape):
    """input.matmul(weight.t()): the matmul kernel reads the weight untransposed; the saved
    transposed weight is computed only for the input's gradient, never for the weight's."""
    w = torch.randn(5, 7, requires_grad=True)
    x = torch.randn(*shape)
    for _ in range(3):  # per-node backward, then the compiled whole-graph replay
        loss = (torch.nn.functional.linear(x, w) ** 2).sum()
        product = loss.grad_fn.next_functions[0][0].next_functions[0][0]
        assert isinstance(product.primals[1], LazyPrimal)
        loss.backward()
    assert transposes == []
    x64, w64 = x.numpy().astype(np.float64).reshape(-1, 7), w.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2 * (x64 @ w64.T).T @ x64, rtol=1e-4, atol=1e-4)
    x.requires_grad_()
    w.grad = None
    for _ in range(3):
        x.grad = None
        (torch.nn.functional.linear(x, w) ** 2).sum().backward()
    assert transposes and set(transposes) == {(5, 7)}
    expected = (2 * (x64 @ w64.T) @ w64).reshape(shape)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_without_a_bias_a_vector_input_takes_the_ordinary_path(transposes):
    w = torch.randn(5, 7, requires_grad=True)
    x = torch.randn(7)
    y = torch.nn.functional.linear(x, w)
    assert not any(isinstance(p, LazyPrimal) for p in y.grad_fn.primals)
    expected = w.detach().numpy().astype(np.float64) @ x.numpy().astype(np.float64)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def test_a_compiled_fold_calls_its_executable_until_the_kernels_are_cleared(monkeypatch):
    """Once the folded kernel has compiled, F.linear calls the executable straight (no kernel
    cache lookup); clearing the forward kernels drops that call too, and values never change."""
    from torchlike import _tiers
    from torchlike._ops import forward

    monkeypatch.setitem(_tiers._settings, "mode", "off")  # compile on the second call
    forward.clear()  # no kernel (nor executable) from an earlier test
    w, b, x = torch.randn(5, 7), torch.randn(5), torch.randn(3, 7)
    expected = x.numpy().astype(np.float64) @ w.numpy().astype(np.float64).T + b.numpy()
    runs = []
    original = forward.run

    def counted(fn, arrays):
        runs.append(fn)
        return original(fn, arrays)

    monkeypatch.setattr(forward, "run", counted)
    results = []
    for _ in range(5):
        results.append(torch.nn.functional.linear(x, w, b).numpy())
    assert len(runs) == 2  # eager first call, compiled second; then the executable alone
    forward.clear()
    results.append(torch.nn.functional.linear(x, w, b).numpy())
    assert len(runs) == 3 and runs[-1] is runs[0]  # after clear() the kernel cache is asked again
    for result in results:
        np.testing.assert_array_equal(result, results[0])
    np.testing.assert_allclose(results[0], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "dtype, batch, features, out, bias",
    [
        (np.float32, 32, 400, 120, True),
        (np.float32, 32, 400, 120, False),
        (np.float32, 8, 32, 5, True),
        (np.float64, 16, 1000, 100, True),
    ],
)
def test_the_first_call_runs_eagerly_with_the_compiled_calls_bits(dtype, batch, features, out,
                                                                   bias):  # fmt: skip
    # A first call runs its kernel eagerly; a transposed copy of the weight there would sum the
    # product in another order than the compiled kernel, which folds the transpose into the dot.
    forward.clear()  # the next call is a first call
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.standard_normal((batch, features)).astype(dtype))
    w = torch.tensor((rng.standard_normal((out, features)) * 0.1).astype(dtype))
    b = torch.tensor(rng.standard_normal(out).astype(dtype)) if bias else None
    results = [torch.nn.functional.linear(x, w, b).numpy() for _ in range(4)]
    assert forward.stats["forward_compiles"] > 0 and forward.plans  # later calls compiled
    for later in results[1:]:
        np.testing.assert_array_equal(results[0], later)
    expected = real_torch.nn.functional.linear(
        real_torch.from_numpy(x.numpy()),
        real_torch.from_numpy(w.numpy()),
        None if b is None else real_torch.from_numpy(b.numpy()),
    ).numpy()
    np.testing.assert_allclose(results[0], expected, rtol=1e-5, atol=1e-5)
