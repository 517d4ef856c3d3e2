"""Large graphs (past the whole-graph compile limit): segments give the per-node gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torchlike as torch
from torchlike import _tiers
from torchlike._autograd import api, compiled, engine, segments

STEPS = 300  # 600 op nodes: past compiled.MAX_NODES, so backward goes through segments


@pytest.fixture(autouse=True)
def fresh_segments(monkeypatch):
    """Segments compile inline here, so which pass first replays one is fixed."""
    segments.clear()
    segments.set_enabled(True)
    _tiers.wait()
    monkeypatch.setitem(_tiers._settings, "background", False)
    monkeypatch.setattr(segments, "COMPILE_AFTER", 256)
    yield
    _tiers.wait()
    segments.clear()
    segments.set_enabled(True)


def _leaves(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, (2, 3)).astype(np.float32)
    y = (x * (1 + 1e-3 * rng.uniform(-1, 1, (2, 3)))).astype(np.float32)
    return torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)


def _chain(x, y, z0, steps=STEPS, middle=None):
    """The profiler loop: z = (z / x) * y; `middle(k, z)` may touch the k-th intermediate."""
    z = z0
    for k in range(steps):
        z = (z / x) * y
        if middle is not None:
            middle(k, z)
    return z.sum()


def _run(enabled, passes=3, middle=None, seed=0):
    """Per pass: x.grad, y.grad, z0.grad after a fresh chain's backward."""
    segments.clear()
    segments.set_enabled(enabled)
    x, y = _leaves(seed)
    history = []
    for _ in range(passes):
        x.grad = y.grad = None
        z0 = torch.ones(2, 3, requires_grad=True)
        _chain(x, y, z0, middle=middle).backward()
        history.append([t.grad.numpy().copy() for t in (x, y, z0)])
    return history


def _assert_bitwise(a, b):
    for step_a, step_b in zip(a, b):
        for u, v in zip(step_a, step_b):
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u, v)


def _stat(name):
    return engine.stats[name]


def test_segments_compile_on_a_later_pass_and_match_per_node_bitwise():
    compiles, runs = _stat("segment_compiles"), _stat("segment_runs")
    fast = _run(True)
    assert _stat("segment_compiles") - compiles == 1  # one repeated 32-node pattern
    assert _stat("segment_runs") - runs > 20
    slow = _run(False)
    _assert_bitwise(fast, slow)


def test_a_value_many_nodes_read_is_one_argument_of_the_segment(monkeypatch):
    """x and y are read by every other node of a chunk: the compiled segment takes them once
    (34 distinct arrays for 32 nodes' 64 primals) and keeps the per-node bits."""
    calls = []
    real = segments._distinct

    def counted(primals):
        distinct, positions = real(primals)
        calls.append((sum(len(p) for p in primals), len(distinct)))
        return distinct, positions

    monkeypatch.setattr(segments, "_distinct", counted)
    fast = _run(True)
    assert calls and all(distinct < total for total, distinct in calls)
    assert (64, 34) in calls
    slow = _run(False)
    _assert_bitwise(fast, slow)


def test_a_segment_compiled_on_the_worker_thread_replays_with_the_per_node_bits():
    _tiers.set_background(True)
    segments.clear()
    x, y = _leaves(3)
    history, runs = [], _stat("segment_runs")
    for _ in range(4):
        x.grad = y.grad = None
        z0 = torch.ones(2, 3, requires_grad=True)
        _chain(x, y, z0).backward()
        _tiers.wait()
        history.append([t.grad.numpy().copy() for t in (x, y, z0)])
    assert _stat("segment_runs") > runs
    segments.set_enabled(False)
    x.grad = y.grad = None
    z0 = torch.ones(2, 3, requires_grad=True)
    _chain(x, y, z0).backward()
    _assert_bitwise(history[-1:], [[t.grad.numpy().copy() for t in (x, y, z0)]])


def test_first_pass_never_compiles_and_one_compile_per_pass():
    compiles = _stat("segment_compiles")
    _run(True, passes=1)
    assert _stat("segment_compiles") == compiles
    _run(True, passes=2, seed=1)  # clear() between runs: a fresh first pass again
    assert _stat("segment_compiles") - compiles == 1


def test_chain_gradients_match_jax():
    x, y = _leaves()
    z0 = torch.ones(2, 3, requires_grad=True)
    for _ in range(3):
        x.grad = y.grad = z0.grad = None
        _chain(x, y, z0).backward()

    def loss(xa, ya, za):
        return jax.lax.fori_loop(0, STEPS, lambda _, z: (z / xa) * ya, za).sum()

    arrays = [jnp.asarray(t.detach().numpy()) for t in (x, y, z0)]
    expected = jax.grad(loss, argnums=(0, 1, 2))(*arrays)
    for t, e in zip((x, y, z0), expected):
        np.testing.assert_allclose(t.grad.numpy(), np.asarray(e), rtol=1e-4)


def _left_fold(values):
    total = values[0]
    for v in values[1:]:
        total = np.float32(total + v)
    return total


def test_leaf_contributions_are_summed_in_execution_order():
    # s = x*c_0 + x*c_1 + ...: x.grad is the float32 left fold of c_N, c_{N-1}, ..., c_0, the
    # order torch's engine (and the per-node path) adds them in; other orders round apart.
    rng = np.random.default_rng(2)
    consts = list((rng.uniform(0.5, 2, 320) * 10.0 ** rng.uniform(-3, 2, 320)).astype(np.float32))
    order = consts[::-1]
    expected = _left_fold(order)
    # the order is visible in the result: forwards, or summing each 16 apart first, round apart
    assert expected != _left_fold(consts)
    assert expected != _left_fold([_left_fold(order[i : i + 16]) for i in range(0, 320, 16)])
    x = torch.ones(4, requires_grad=True)
    runs = _stat("segment_runs")
    for _ in range(3):
        x.grad = None
        s = x * float(consts[0])
        for c in consts[1:]:
            s = s + x * float(c)
        s.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.full(4, expected, np.float32))
    assert _stat("segment_runs") > runs


def test_hooks_and_retain_grad_inside_a_large_graph():
    seen, kept = [], {}

    def middle(k, z):
        if k == STEPS // 2:
            z.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
            z.grad_fn.register_prehook(lambda grads: seen.append("pre") or None)
        if k == STEPS // 3:
            z.retain_grad()
            kept["z"] = z

    compiles = _stat("segment_compiles")
    fast = _run(True, passes=3, middle=middle)
    assert _stat("segment_compiles") > compiles
    assert len(seen) == 6 and sum(isinstance(item, str) for item in seen) == 3
    retained = kept["z"].grad.numpy().copy()
    slow = _run(False, passes=3, middle=middle)
    _assert_bitwise(fast, slow)
    np.testing.assert_array_equal(retained, kept["z"].grad.numpy())


def test_leaf_hook_sees_the_total_gradient():
    totals = []
    x, y = _leaves()
    x.register_hook(lambda g: totals.append(g.numpy().copy()))
    for _ in range(3):
        x.grad = None
        _chain(x, y, torch.ones(2, 3, requires_grad=True)).backward()
        np.testing.assert_array_equal(totals[-1], x.grad.numpy())
    assert len(totals) == 3


def test_version_error_with_compiled_segments():
    x, y = _leaves()
    for _ in range(3):
        _chain(x, y, torch.ones(2, 3, requires_grad=True)).backward()
    kept = {}

    def middle(k, z):
        if k == STEPS // 2:
            kept["z"] = z

    loss = _chain(x, y, torch.ones(2, 3, requires_grad=True), middle=middle)
    runs = _stat("segment_runs")
    kept["z"].mul_(2)  # saved by the next DivBackward0, in the middle of a compiled segment
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    assert _stat("segment_runs") > runs  # segments ran up to the chunk holding that node


def test_retain_graph_and_second_backward_error():
    x, y = _leaves()
    for _ in range(2):
        _chain(x, y, torch.ones(2, 3, requires_grad=True)).backward()
    x.grad = None
    loss = _chain(x, y, torch.ones(2, 3, requires_grad=True))
    loss.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), once + once)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_create_graph_and_autograd_grad_stay_per_node(monkeypatch):
    monkeypatch.setattr(api, "_warned_create_graph", [True])
    x, y = _leaves()
    runs = _stat("segment_runs")
    for _ in range(2):
        (plain,) = torch.autograd.grad(_chain(x, y, torch.ones(2, 3)), x)
    (gx,) = torch.autograd.grad(_chain(x, y, torch.ones(2, 3)), x, create_graph=True)
    assert gx.requires_grad
    np.testing.assert_allclose(gx.detach().numpy(), plain.numpy(), rtol=1e-6)
    assert _stat("segment_runs") == runs


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(segments, "SEGMENT_LIMIT", 2)
    monkeypatch.setattr(segments, "SEGMENT_NODES", 8)
    compiles = _stat("segment_compiles")
    for size in (3, 4, 5):  # new kernels per size, so new chunk signatures
        x = torch.ones(size, requires_grad=True)
        for _ in range(3):
            z = x
            for _ in range(260):
                z = z.sin() * 1.5
            z.sum().backward()
    assert _stat("segment_compiles") - compiles == 3  # one per size, on its second pass
    assert len(segments._segments) == 2
    assert len(segments._seen) <= segments._SEEN_LIMIT


def test_small_graphs_keep_the_whole_graph_tier():
    compiled.clear()
    x, _ = _leaves()
    before = (_stat("graph_compiles"), _stat("segment_runs"))
    for _ in range(3):
        (x.sin() * 2).sum().backward()
    assert _stat("graph_compiles") == before[0] + 1
    assert _stat("segment_runs") == before[1]
    assert compiled.MAX_NODES < 2 * STEPS
