"""Whole-graph compiled backward: same gradients as node-by-node replay, compiled when repeated."""

import numpy as np
import pytest

import torchlike as torch
from torchlike._autograd import api, compiled, engine


@pytest.fixture(autouse=True)
def fresh_cache():
    compiled.clear()
    compiled.set_enabled(True)
    yield
    compiled.clear()
    compiled.set_enabled(True)


def _counts():
    return {k: engine.stats[k] for k in ("graph_compiles", "graph_replays", "per_node_runs")}


def _delta(before):
    return {k: v - before[k] for k, v in _counts().items()}


def _grads_over_steps(make_inputs, step, enabled, steps=3):
    """Run `step` `steps` times on fresh inputs; the leaves' .grad after each step."""
    compiled.clear()
    compiled.set_enabled(enabled)
    leaves = make_inputs()
    history = []
    for _ in range(steps):
        for leaf in leaves:
            leaf.grad = None
        step(*leaves)
        history.append([None if leaf.grad is None else leaf.grad.numpy().copy() for leaf in leaves])
    compiled.set_enabled(True)
    return history


def _assert_same_as_per_node(make_inputs, step, steps=3):
    before = _counts()
    fast = _grads_over_steps(make_inputs, step, True, steps)
    assert _delta(before)["graph_compiles"] == 1
    slow = _grads_over_steps(make_inputs, step, False, steps)
    for fast_step, slow_step in zip(fast, slow):
        for a, b in zip(fast_step, slow_step):
            assert (a is None) == (b is None)
            if a is not None:
                assert a.dtype == b.dtype
                assert np.array_equal(a, b)


def _randn(*shape, requires_grad=True, seed=0):
    gen = np.random.default_rng(seed + len(shape))
    return torch.tensor(gen.standard_normal(shape).astype(np.float32), requires_grad=requires_grad)


@pytest.mark.parametrize("layer", ["matmul", "linear"])
def test_two_layer_training_steps_match_per_node(layer):
    # F.linear's graph: AddmmBackward0's weight gradient, then TBackward0's transpose, which a
    # replay could fold into the dot and sum in another order than the per-node path
    batch, n_in, n_hidden, n_out = (16, 20, 32, 5) if layer == "matmul" else (16, 1000, 100, 10)
    x = _randn(batch, n_in, requires_grad=False)
    target = _randn(batch, n_out, requires_grad=False, seed=3)

    def weight(n_from, n_to, seed):  # x @ w takes (in, out); F.linear's weight is (out, in)
        return (
            _randn(n_from, n_to, seed=seed)
            if layer == "matmul"
            else _randn(n_to, n_from, seed=seed)
        )

    def apply(h, w, b):
        return h @ w + b if layer == "matmul" else torch.nn.functional.linear(h, w, b)

    def make():
        return [weight(n_in, n_hidden, 1), _randn(n_hidden, seed=2), weight(n_hidden, n_out, 4),
                _randn(n_out)]  # fmt: skip

    def step(w1, b1, w2, b2):
        hidden = torch.relu(apply(x, w1, b1))
        loss = ((apply(hidden, w2, b2) - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in (w1, b1, w2, b2):
                p -= 0.01 * p.grad

    _assert_same_as_per_node(make, step)


def test_shared_subexpressions():
    def step(x):
        a = x.sin()
        (a * a + a.exp() * a).sum().backward()

    _assert_same_as_per_node(lambda: [_randn(3, 4)], step)


def test_multi_output_max_with_dim():
    def step(x):
        values, indices = x.max(dim=1)
        (values * 2 + indices.float()).sum().backward()

    _assert_same_as_per_node(lambda: [_randn(4, 5)], step)


def test_views_and_inplace_copyslices():
    def step(x):
        y = x * 1
        y[0].mul_(3)
        y[:, 1].add_(y[:, 2])
        assert type(y.grad_fn).__name__ == "CopySlices"
        y.sum().backward()

    _assert_same_as_per_node(lambda: [_randn(3, 4)], step)


def test_integer_inputs():
    index = torch.tensor([[0, 2], [1, 1], [3, 0]])
    scale = torch.tensor([1, 2, 3, 4])

    def step(x):
        ((x.gather(1, index) * 2).sum() + (x * scale).pow(2).sum()).backward()

    _assert_same_as_per_node(lambda: [_randn(3, 4)], step)


def test_compiles_on_second_occurrence_not_first():
    x = _randn(2, 3)
    before = _counts()
    (x * 2).sin().sum().backward()
    assert _delta(before) == {"graph_compiles": 0, "graph_replays": 0, "per_node_runs": 1}
    (x * 2).sin().sum().backward()
    assert _delta(before) == {"graph_compiles": 1, "graph_replays": 1, "per_node_runs": 1}
    (x * 2).sin().sum().backward()
    assert _delta(before) == {"graph_compiles": 1, "graph_replays": 2, "per_node_runs": 1}
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * np.cos(2 * x.detach().numpy()), rtol=1e-6)


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(compiled, "GRAPH_LIMIT", 2)
    before = _counts()
    for n in range(1, 6):
        x = _randn(n)
        for _ in range(2):
            x.exp().sum().backward()
    assert _delta(before)["graph_compiles"] == 5
    assert len(compiled._graphs) == 2


def test_hook_forces_per_node_path():
    x = _randn(3)
    seen = []
    before = _counts()
    for _ in range(3):
        y = x * 2
        y.register_hook(lambda g: seen.append(1) or g * 10)
        y.sum().backward()
    assert _delta(before) == {"graph_compiles": 0, "graph_replays": 0, "per_node_runs": 3}
    assert len(seen) == 3
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 60.0, np.float32))


def test_leaf_hook_and_retain_grad_force_per_node_path():
    x = _randn(3)
    x.register_hook(lambda g: g * 0)
    before = _counts()
    for _ in range(3):
        y = x.exp()
        y.retain_grad()
        y.sum().backward()
        assert y.grad is not None
    assert _delta(before)["graph_compiles"] == 0
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))


def test_create_graph_forces_per_node_path(monkeypatch):
    # torch warns once per process about create_graph in backward(); leave that warning unspent.
    monkeypatch.setattr(api, "_warned_create_graph", [True])
    x = _randn(3)
    before = _counts()
    for _ in range(3):
        x.grad = None
        (x**3).sum().backward(create_graph=True)
        assert x.grad.requires_grad
    assert _delta(before)["graph_compiles"] == 0


def test_autograd_grad_stays_per_node():
    x = _randn(3)
    before = _counts()
    for _ in range(3):
        (g,) = torch.autograd.grad(x.sin().sum(), x)
    assert _delta(before)["graph_compiles"] == 0
    np.testing.assert_allclose(g.numpy(), np.cos(x.detach().numpy()), rtol=1e-6)


def test_large_graph_never_compiles():
    x = _randn(2, 3)
    before = _counts()
    for _ in range(2):
        z = x
        for _ in range(600):
            z = z * 1.0001
        z.sum().backward()
    assert _delta(before) == {"graph_compiles": 0, "graph_replays": 0, "per_node_runs": 2}


def test_version_error_on_compiled_path():
    x = _randn(3)
    for _ in range(2):
        y = x * 1
        (y * y).sum().backward()
    before = _counts()
    y = x * 1
    z = (y * y).sum()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    assert _delta(before)["graph_replays"] == 0


def test_second_backward_error_after_compiled_replay():
    x = _randn(3)
    for _ in range(2):
        z = x.exp().sum()
        z.backward()
    assert engine.stats["graph_replays"] >= 1
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()


def test_retain_graph_replays_accumulate():
    x = _randn(3)
    z = (x * x).sum()
    for _ in range(3):
        z.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), 6 * x.detach().numpy())
    assert engine.stats["graph_replays"] >= 2


def test_grad_is_written_in_place_and_keeps_dtype():
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (x.float() * 2).sum().backward()
    grad = x.grad
    (x.float() * 2).sum().backward()
    assert x.grad is grad
    assert x.grad.dtype == torch.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 4.0))


def test_log_compiles_prints_one_line(capsys):
    engine.log_compiles(True)
    try:
        x = _randn(4)
        for _ in range(3):
            x.cos().sum().backward()
    finally:
        engine.log_compiles(False)
    lines = [line for line in capsys.readouterr().err.splitlines() if "compiling backward" in line]
    assert len(lines) == 1
    assert "seen twice" in lines[0]


def test_broadcast_reductions_inside_one_node():
    def step(x, w):
        ((x * w).tanh() * w + (x / w).exp().mean(0)).sum().backward()

    _assert_same_as_per_node(lambda: [_randn(6, 5), _randn(5, seed=7)], step)


def _released_state(enabled):
    """After a backward without retain_graph: per node (in graph order) whether it is freed and
    what it keeps of its primals (None, or their shapes and dtypes)."""
    compiled.clear()
    compiled.set_enabled(enabled)
    x, w = _randn(4, 3), _randn(3)
    for _ in range(3):
        loss = ((x * w).exp() + x).sum()  # mul and exp save, add and sum save nothing
        loss.backward()
    state, stack, seen = [], [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "primals"):
            continue
        seen.add(id(node))
        kept = None if node.primals is None else [(p.shape, p.dtype) for p in node.primals]
        state.append((type(node).__name__, node.freed, kept, node.saved_inputs))
        stack.extend(child for child, _ in node.next_functions)
    compiled.set_enabled(True)
    return state, x, w, loss


def test_replay_releases_nodes_as_the_per_node_engine_does():
    before = _counts()
    replayed, *_ = _released_state(True)
    assert _delta(before)["graph_replays"] >= 1
    per_node, *_ = _released_state(False)
    assert replayed == per_node
    kept = {name: primals for name, _freed, primals, _saved in replayed}
    assert kept["MulBackward0"] is None and kept["ExpBackward0"] is None
    assert kept["SumBackward0"] == [((4, 3), np.dtype(np.float32))]


def test_second_backward_through_nodes_that_save_nothing_after_replay():
    x = _randn(4)
    for _ in range(3):
        x.grad = None
        loss = (x + x).sum()
        loss.backward()
    assert engine.stats["graph_replays"] >= 1
    loss.backward()  # add and sum saved nothing: torch runs them again
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 4.0, np.float32))
