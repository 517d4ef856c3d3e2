"""Deferred small ops (torchlike/_deferred.py): same values, gradients and semantics as ops run
at once, with many small ops to one XLA call once a chunk repeats."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike as tl
from torchlike import _deferred, _tiers

X = np.array([[1.1, 0.7, 1.3], [0.9, 1.0, 1.25]], np.float32)
Y = (X * np.float32(1.001)).astype(np.float32)


@pytest.fixture
def deferring(monkeypatch):
    """Deferral on, kernels compiled from their second call (deferral needs a compiled kernel),
    chunk programs fresh."""
    monkeypatch.setitem(_tiers._settings, "budget", 0.0)
    was = _deferred.enabled()
    _deferred.set_enabled(True)
    _deferred.clear()
    yield
    _tiers.wait()
    _deferred.set_enabled(was)


def _loop(lib, steps, iterations=1):
    """The tutorial's profiler loop: z = (z / x) * y, then backward; its values and grads."""
    x = lib.tensor(X, requires_grad=True)
    y = lib.tensor(Y, requires_grad=True)
    out = []
    for _ in range(iterations):
        x.grad = y.grad = None
        z0 = lib.ones(2, 3, requires_grad=True)
        z = z0
        for _ in range(steps):
            z = (z / x) * y
        total = z.sum()
        total.backward()
        out.append([t.detach().numpy().copy() for t in (total, z, x.grad, y.grad, z0.grad)])
        _tiers.wait()  # the next iteration meets the chunk programs compiled by now
    return out


def test_loop_values_match_torch_bit_for_bit(deferring):
    before = dict(_deferred.stats)
    ours = _loop(tl, 300, iterations=3)
    theirs = _loop(torch, 300)[0]
    assert _deferred.stats["deferred_ops"] - before["deferred_ops"] > 1000
    assert _deferred.stats["chunk_runs"] > before["chunk_runs"]  # later chunks ran compiled
    for iteration in ours:
        for a, b in zip(iteration[:2], theirs[:2]):  # IEEE division and product: same bits
            np.testing.assert_array_equal(a, b)
        for a, b in zip(iteration[2:], theirs[2:]):  # gradients: 300 terms summed in JAX's order
            np.testing.assert_allclose(a, b, rtol=1e-5)


def test_deferring_changes_no_bit(deferring):
    deferred = _loop(tl, 200, iterations=3)
    _deferred.set_enabled(False)
    before = _deferred.stats["deferred_ops"]
    direct = _loop(tl, 200, iterations=2)
    assert _deferred.stats["deferred_ops"] == before
    for a, b in zip(deferred[-1] + deferred[0], direct[-1] + direct[0]):
        np.testing.assert_array_equal(a, b)


def _warm(lib, x):
    """Repeat calls until the kernels of x * 2, x + 1 and sum have compiled."""
    for _ in range(3):
        (x * 2 + 1).sum()
        _tiers.wait()


def test_a_pending_result_reads_like_any_tensor(deferring):
    x = tl.tensor(X)
    _warm(tl, x)
    before = _deferred.stats["deferred_ops"]
    z = x * 2 + 1
    assert _deferred.stats["deferred_ops"] > before  # still pending here
    expected = X * 2 + 1
    assert z.shape == (2, 3) and z.dtype == tl.float32
    assert repr(z) == repr(torch.tensor(X) * 2 + 1)
    np.testing.assert_array_equal(z.numpy(), expected)
    assert (x * 2 + 1)[1, 2].item() == float(expected[1, 2])
    big = tl.ones(40, 40) + (x * 2 + 1).sum()  # a large op reads a pending input
    np.testing.assert_array_equal(big.numpy(), np.ones((40, 40), np.float32) + expected.sum())


def test_an_input_written_in_place_later_does_not_change_a_pending_result(deferring):
    x = tl.tensor(X)
    _warm(tl, x)
    z = x * 2 + 1
    x.add_(100.0)  # torch computed z at the call: z keeps the old x
    w = x.data.mul_(0)  # and through .data
    np.testing.assert_array_equal(z.numpy(), X * 2 + 1)
    np.testing.assert_array_equal(w.numpy(), np.zeros_like(X))


def test_pending_results_written_in_place_and_viewed(deferring):
    x = tl.tensor(X)
    _warm(tl, x)
    z = x * 2 + 1
    z[0] = 5.0
    z.mul_(2)
    view = (x * 2 + 1).t()
    expected = X * 2 + 1
    expected[0] = 5.0
    np.testing.assert_array_equal(z.numpy(), expected * 2)
    np.testing.assert_array_equal(view.numpy(), (X * 2 + 1).T)


def test_no_op_is_deferred_when_disabled(deferring):
    _deferred.set_enabled(False)
    x = tl.tensor(X)
    before = _deferred.stats["deferred_ops"]
    _warm(tl, x)
    assert _deferred.stats["deferred_ops"] == before
    assert not _deferred._pending


def test_large_results_are_not_deferred(deferring):
    x = tl.ones(_deferred.SMALL + 1)
    _warm(tl, x)
    before = _deferred.stats["deferred_ops"]
    x * 2 + 1
    assert _deferred.stats["deferred_ops"] == before


def test_chunk_programs_are_bounded_and_counted(deferring, monkeypatch):
    monkeypatch.setattr(_deferred, "_PROGRAM_LIMIT", 4)
    x = tl.tensor(X)
    _warm(tl, x)
    for length in range(2, 12):  # ten different chunks, each seen three times
        for _ in range(3):
            z = x
            for _ in range(length):
                z = z * 2
            z.numpy()
            _tiers.wait()
    assert len(_deferred._programs) <= 4
    assert _deferred.stats["chunk_compiles"] >= 10


def _mixed(lib, a, b):
    """Small ops of many kinds: pointwise, transcendental, reductions, comparisons, matmul,
    integer and bool results, broadcasting, shape ops."""
    out = []
    for _ in range(6):
        c = (a * b).exp() - b.sin() / (a.abs() + 1)
        d = c.softmax(-1) @ b.t() + a.sum(0, keepdim=True).mean()
        e = (d > 0.5).sum() + (a * 3).round().to(lib.int32).max()
        f = lib.where(c > 0, c.sqrt(), -c).cumsum(1).reshape(3, 2).tanh()
        a, b = a + f.reshape(2, 3) * 0.1, (b * 0.9).clamp(-2, 2)
        out += [c, d, e, f]
    return [t.numpy().copy() for t in out]


def test_chunks_of_mixed_ops_give_the_bits_of_each_kernel(deferring):
    rng = np.random.default_rng(3)
    a = tl.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    b = tl.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    runs = []
    for _ in range(4):
        runs.append(_mixed(tl, a, b))
        _tiers.wait()
    assert _deferred.stats["chunk_runs"] > 0
    _deferred.set_enabled(False)
    direct = _mixed(tl, a, b)
    for run in runs:
        for ours, theirs in zip(run, direct):
            np.testing.assert_array_equal(ours, theirs)
    expected = _mixed(torch, torch.tensor(a.numpy()), torch.tensor(b.numpy()))
    for ours, theirs in zip(direct, expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_ops_an_error_leaves_unrun_stay_pending(deferring, monkeypatch):
    x = tl.tensor(X)
    _warm(tl, x)
    z = x * 2 + 1
    pending = list(_deferred._pending)
    assert pending
    first = pending[0]
    real = first.call

    def interrupted(*args):
        first.call = real
        raise KeyboardInterrupt

    monkeypatch.setattr(first, "call", interrupted)
    with pytest.raises(KeyboardInterrupt):
        z.numpy()
    np.testing.assert_array_equal(z.numpy(), X * 2 + 1)  # read again: the ops run now


def _tiny_training(lib, steps):
    """The tutorial's TinyModel shape, smaller: Linear, ReLU, Linear, squared error, SGD; the
    losses and the parameters after each step."""
    rng = np.random.default_rng(11)
    layer1, layer2 = lib.nn.Linear(40, 32), lib.nn.Linear(32, 5)
    with lib.no_grad():
        for p in (*layer1.parameters(), *layer2.parameters()):
            p.copy_(lib.tensor(rng.uniform(-0.2, 0.2, tuple(p.shape)).astype(np.float32)))
    params = [*layer1.parameters(), *layer2.parameters()]
    optimizer = lib.optim.SGD(params, lr=0.01)
    x = lib.tensor(rng.standard_normal((8, 40)).astype(np.float32))
    ideal = lib.tensor(rng.standard_normal((8, 5)).astype(np.float32))
    out = []
    for _ in range(steps):
        loss = (ideal - layer2(layer1(x).relu())).pow(2).sum()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        out.append([loss.detach().numpy().copy()] + [p.detach().numpy().copy() for p in params])
        if lib is tl:
            _tiers.wait()
    return out


def test_linear_layers_defer_their_products_into_the_chunk(deferring):
    _deferred.set_enabled(False)
    _tiny_training(tl, 2)  # every kernel compiled (a first call runs eagerly)
    direct = _tiny_training(tl, 6)
    _deferred.set_enabled(True)
    before = dict(_deferred.stats)
    ours = _tiny_training(tl, 6)
    # every forward op (both products too) waits for the backward, as one chunk
    assert _deferred.stats["deferred_ops"] - before["deferred_ops"] == 6 * 6
    assert _deferred.stats["chunk_runs"] > before["chunk_runs"]
    for step, step_direct in zip(ours, direct):
        for a, b in zip(step, step_direct):
            np.testing.assert_array_equal(a, b)
    theirs = _tiny_training(torch, 6)
    for step, step_torch in zip(ours, theirs):
        for a, b in zip(step, step_torch):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
