"""Hooks, Node API, grad modes and anomaly mode against real torch (same harness as
test_autograd_compat)."""

from __future__ import annotations

import threading

import pytest
from test_autograd_compat import assert_same

SCENARIOS: dict = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


# ----- hooks and retain_grad -------------------------------------------------------------------
@scenario
def hooks_change_gradients(t):
    seen = []
    x = t.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: seen.append(("leaf", g.tolist())))
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.register_hook(lambda g: seen.append(("y", g.tolist())))
    (y * y).sum().backward()
    return x.grad, seen


@scenario
def hooks_with_autograd_grad(t):
    seen = []
    x = t.tensor([1.0, 1.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    return t.autograd.grad(y.sum(), x), x.grad, y.grad, seen


@scenario
def retain_grad_runs_last(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    return x.grad, y.grad, y.retains_grad, x.retains_grad


@scenario
def hooks_and_inplace(t):
    seen = []
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: seen.append(("old", g.tolist())))
    y.retain_grad()
    y.add_(1)
    y.register_hook(lambda g: seen.append(("new", g.tolist())))
    (y * 2).sum().backward()
    return x.grad, y.grad, seen


@scenario
def hook_removed(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    return x.grad


@scenario
def hook_changes_size(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: t.ones(3))
    (x * 2).sum().backward()


@scenario
def hook_on_tensor_without_grad(t):
    t.tensor([1.0]).register_hook(lambda g: g)


@scenario
def retain_grad_without_grad(t):
    t.tensor([1.0]).retain_grad()


@scenario
def node_hooks(t):
    seen = []
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y.exp()
    y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    y.grad_fn.register_hook(lambda gi, go: seen.append((gi[0].tolist(), go[0].tolist())))
    acc = y.grad_fn.next_functions[0][0]
    acc.register_hook(lambda gi, go: seen.append(("acc", gi, go[0].tolist())))
    acc.register_prehook(lambda go: seen.append(("acc pre", go[0].tolist())))
    z.sum().backward()
    return x.grad, seen


@scenario
def node_hook_wrong_count(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0,))
    y.sum().backward()


@scenario
def node_api(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y.exp()
    acc = y.grad_fn.next_functions[0][0]
    y.grad_fn.metadata["k"] = 1
    return (z.grad_fn.name(), acc.name(), acc.variable is x, acc.next_functions,
            y.grad_fn.metadata, isinstance(z.grad_fn, t.autograd.graph.Node),
            z.grad_fn(t.ones(2)), y.grad_fn(t.ones(2)), y.output_nr)  # fmt: skip


# ----- grad modes ------------------------------------------------------------------------------
@scenario
def grad_mode_contexts(t):
    x = t.tensor([1.0], requires_grad=True)
    flags = []
    with t.no_grad():
        flags.append((x * 2).requires_grad)
        with t.enable_grad():
            flags.append((x * 2).requires_grad)
    with t.set_grad_enabled(False):
        flags.append(t.is_grad_enabled())
    t.set_grad_enabled(False)
    flags.append(t.is_grad_enabled())
    t.set_grad_enabled(True)
    with t.inference_mode():
        flags.append((t.is_grad_enabled(), t.is_inference_mode_enabled()))
        with t.inference_mode(False):
            flags.append((t.is_grad_enabled(), t.is_inference_mode_enabled()))
    flags.append(t.is_grad_enabled())
    return flags


@scenario
def grad_mode_decorators(t):
    x = t.tensor([1.0], requires_grad=True)

    @t.no_grad()
    def a(v):
        return v * 2

    @t.no_grad
    def b(v):
        return v * 2

    @t.enable_grad()
    def c(v):
        return v * 2

    @t.set_grad_enabled(False)
    def d(v):
        return v * 2

    @t.inference_mode()
    def e(v):
        return v * 2

    with t.no_grad():
        c_result = c(x).requires_grad
    return (a(x).requires_grad, a.__name__, b(x).requires_grad, c_result,
            d(x).requires_grad, t.is_grad_enabled(), e(x).requires_grad)  # fmt: skip


@scenario
def grad_mode_generator(t):
    def gen():
        for _ in range(2):
            yield t.is_grad_enabled()

    return list(t.no_grad()(gen)()), t.is_grad_enabled()


@scenario
def grad_mode_thread_local(t):
    seen = []
    with t.no_grad():
        worker = threading.Thread(target=lambda: seen.append(t.is_grad_enabled()))
        worker.start()
        worker.join()
    return seen


@scenario
def set_grad_enabled_not_bool(t):
    t.set_grad_enabled("x")


@scenario
def context_values(t):
    values = []
    for manager in (t.no_grad(), t.enable_grad(), t.set_grad_enabled(True), t.inference_mode()):
        with manager as value:
            values.append(value)
    return values


# ----- anomaly mode and graph utilities -------------------------------------------------------
@scenario
def anomaly_version_hint(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    with t.autograd.set_detect_anomaly(True):
        y = x.sigmoid()
        y.mul_(2)
        y.sum().backward()


@scenario
def anomaly_nan_gradient(t):
    x = t.tensor([0.0, 1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        (x.sqrt() * 0).sum().backward()


def test_anomaly_flags():
    assert_same(anomaly_flags)


def anomaly_flags(t):
    flags = [t.is_anomaly_enabled()]
    with t.autograd.set_detect_anomaly(True, check_nan=False):
        flags.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
    flags.append(t.is_anomaly_enabled())
    return flags


@scenario
def gradient_edge(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    edge = t.autograd.graph.get_gradient_edge(y)
    return edge.node, edge.output_nr, t.autograd.grad(z, edge)


@scenario
def gradient_edge_without_grad(t):
    t.autograd.graph.get_gradient_edge(t.ones(2))


@scenario
def increment_version(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    t.autograd.graph.increment_version(y)
    y.sum().backward()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name):
    assert_same(SCENARIOS[name])
