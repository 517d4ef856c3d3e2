"""torchlike.compile's fast guard: repeated calls skip the state walk, and every change a walk
would see still takes effect (checked step for step against the same code run eagerly)."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as tl
from torchlike import nn, optim
from torchlike._autograd import compiled as whole_graph_backward


@pytest.fixture(autouse=True)
def _fresh_compiler():
    whole_graph_backward.set_enabled(False)  # eager references node by node: same bits, faster
    tl.compiler.reset()
    yield
    whole_graph_backward.set_enabled(True)


OFFSET = 0.0  # a global the compiled function in the closure/global test reads


def data(*shape, seed=1):
    return tl.tensor(np.random.default_rng(seed).standard_normal(shape, dtype=np.float32))


def build():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.5)


def make_step(model, opt, compiled):
    def step(x, scale):
        opt.zero_grad()
        loss = (model(x) * scale).pow(2).sum()
        loss.backward()
        opt.step()
        return loss, x * 1  # x read after the step: shows whether x aliases a parameter

    return tl.compile(step, fullgraph=True) if compiled else step


def replay(script, compiled):
    """Run the calls and state changes of `script` in order; everything observable after each."""
    model, opt = build()
    step, seen = make_step(model, opt, compiled), []
    for action in script:
        if callable(action):
            action(model, opt)
            continue
        loss, echo = step(action[0](model), action[1])
        seen += [loss.detach().numpy(), echo.detach().numpy()]
        seen += [p.detach().numpy().copy() for p in model.parameters()]
        seen += [p.grad.numpy().copy() for p in model.parameters() if p.grad is not None]
    return seen


def check_against_eager(script):
    expected = replay(script, compiled=False)
    got = replay(script, compiled=True)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        # XLA fuses the compiled step, so its float32 rounding differs from the eager per-op
        # kernels by ulps, which several momentum steps grow; a missed change errs by far more.
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def fresh(seed):
    return lambda model: data(3, 4, seed=seed)


def test_a_loop_with_new_inputs_and_grads_skips_the_walk_and_matches_eager():
    check_against_eager([(fresh(k), 1.0) for k in range(8)])
    counters = tl.compiler.counters
    assert counters["compiles"] == 2 and counters["cache_hits"] == 6
    # The first hit walks and remembers; later hits are proved by identity checks.
    assert counters["fast_guard_hits"] == 5


def test_every_state_change_between_calls_takes_effect():
    def hook(module, inputs, output):
        return output * 2

    changes = [
        lambda m, o: o.param_groups[0].__setitem__("lr", 0.05),  # a Python value
        lambda m, o: setattr(m[0].weight, "data", tl.ones(3, 4)),  # a new storage
        lambda m, o: m[2].register_forward_hook(hook),  # a new entry in a module's dict
        lambda m, o: setattr(m[0].bias.requires_grad_(False), "grad", None),  # a tensor fact
        lambda m, o: o.state[m[2].weight]["momentum_buffer"].mul_(0),  # written in place
    ]
    script = [(fresh(0), 1.0), (fresh(1), 1.0), (fresh(2), 1.0)]
    for k, change in enumerate(changes):
        script += [change, (fresh(10 + k), 1.0), (fresh(20 + k), 1.0)]
    check_against_eager(script)
    assert tl.compiler.counters["fast_guard_hits"] >= 3


def test_arguments_that_alias_state_or_each_other_are_not_taken_as_fresh():
    alias = lambda model: model[0].weight.detach()  # noqa: E731 - shares the weight's storage
    script = [(fresh(0), 1.0), (fresh(1), 1.0), (fresh(2), 1.0), (alias, 1.0), (fresh(3), 1.0)]
    script += [(fresh(4), 2.0), (fresh(5), 2.0), (alias, 2.0)]  # and a new Python number
    script += [(fresh(6), 2.0), (lambda model: data(5, 4), 2.0)]  # and a new shape
    check_against_eager(script)
    # Two first calls, then one program for each alias, each number and the new shape.
    assert tl.compiler.counters["compiles"] == 6


def test_rebinding_a_closure_cell_or_a_global_takes_effect():
    scale = tl.tensor(2.0)

    def set_scale(value):
        nonlocal scale
        scale = value

    @tl.compile
    def affine(x):
        return x * scale + OFFSET

    global OFFSET
    OFFSET = 1.0
    x = tl.ones(2)
    assert [affine(x).tolist() for _ in range(3)] == [[3.0, 3.0]] * 3
    set_scale(tl.tensor(5.0))
    assert affine(x).tolist() == [6.0, 6.0]
    OFFSET = -1.0
    assert affine(x).tolist() == [4.0, 4.0]
    y = tl.ones(2)
    y.requires_grad_(True)
    assert affine(y).grad_fn is not None  # an argument that now requires grad


def test_state_holding_a_data_alias_sees_the_parameter_updates():
    def run(compiled):
        tl.manual_seed(0)
        layer = nn.Linear(3, 2)
        layer.alias = layer.weight.data  # shares the elements, not the version counter
        opt = optim.SGD(layer.parameters(), lr=0.5)

        def step(x):
            opt.zero_grad()
            layer(x).sum().backward()
            opt.step()
            return layer.alias * 1

        step = tl.compile(step, fullgraph=True) if compiled else step
        return [step(tl.ones(4, 3) * k).numpy() for k in range(4)]

    for got, expected in zip(run(True), run(False)):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_an_equal_but_new_python_value_each_call_takes_the_walk_then_stops_remembering():
    model, opt = build()
    step = make_step(model, opt, compiled=True)
    x = data(3, 4)
    for k in range(10):
        opt.param_groups[0]["lr"] = 0.1 + 0.0 * k  # the same value, a new float object
        step(x, 1.0)
    counters = tl.compiler.counters
    assert counters["compiles"] == 2 and counters["cache_hits"] == 8  # the walk compares values
    assert counters["fast_guard_hits"] == 0
    assert step._fast is None and step._fast_misses == 4  # churning state: no more fast guards


ACTIVATION = tl.tanh  # rebound by the test below


def test_rebinding_a_library_function_or_set_member_changes_the_program():
    # Generated ops share one code object, so functions from the library are guarded by identity.
    global ACTIVATION
    x = data(5)
    allowed = {"tanh"}
    fn = tl.compile(lambda x: ACTIVATION(x) * (2.0 if "double" in allowed else 1.0))
    for _ in range(3):
        np.testing.assert_array_equal(fn(x).numpy(), tl.tanh(x).numpy())
    ACTIVATION = tl.sigmoid
    try:
        np.testing.assert_array_equal(fn(x).numpy(), tl.sigmoid(x).numpy())
        allowed.add("double")
        np.testing.assert_array_equal(fn(x).numpy(), (tl.sigmoid(x) * 2.0).numpy())
    finally:
        ACTIVATION = tl.tanh


MODES = {"double"}  # a global set the compiled function below reads


def test_a_global_set_changed_between_calls_changes_the_program():
    def scaled(x):
        return x * 2 if "double" in MODES else x * 1

    compiled = tl.compile(scaled, fullgraph=True)
    x = data(3)
    try:
        for _ in range(3):
            np.testing.assert_array_equal(compiled(x).numpy(), scaled(x).numpy())
        assert tl.compiler.counters["fast_guard_hits"] >= 1  # the identity path is the one tested
        MODES.discard("double")
        np.testing.assert_array_equal(compiled(x).numpy(), x.numpy())
        MODES.add("double")
        np.testing.assert_array_equal(compiled(x).numpy(), x.numpy() * 2)
    finally:
        MODES.clear()
        MODES.add("double")
