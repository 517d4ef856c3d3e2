"""autograd.functional.jacobian/hessian on repeat: one cached jax.jit program, never stale."""

from __future__ import annotations

import operator
import types
import warnings

import numpy as np
import pytest

import torchlike as torch
from torchlike import nn
from torchlike._compile.walk import walk
from torchlike.autograd import _functional_cache as cache

F = torch.autograd.functional
cfg = types.ModuleType("functional_cache_cfg")  # a user module whose attributes a function reads
SCALE = 2.0
OFFSET = torch.tensor([1.0, 2.0, 3.0])


class Holder:
    weight = torch.tensor([1.0, 2.0, 3.0])  # a class attribute: out of the state walk's reach


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    cache.stats.clear()
    yield
    cache.clear()


def close(actual, expected, rtol=1e-6, atol=1e-6):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            close(a, e, rtol, atol)
        return
    expected = expected.numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert isinstance(actual, torch.Tensor) and not actual.requires_grad
    assert actual.dtype == torch.float32 and tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=rtol, atol=atol)


def uncompiled(transform, *args, **kwargs):
    cache.enabled["cache"] = False
    try:
        return transform(*args, **kwargs)
    finally:
        cache.enabled["cache"] = True


def pair(a, b):
    return a.tanh() * b, (a * b.sin()).sum()


def test_repeated_jacobian_is_one_program_equal_to_the_uncompiled_result():
    a, b = torch.randn(5), torch.randn(5)
    expected = uncompiled(F.jacobian, pair, (a, b))
    cache.stats.clear()
    results = [F.jacobian(pair, (a, b)) for _ in range(4)]
    # the first hit walks the state and keeps a fast guard; the last hit is proved by identity
    # checks, without a walk
    assert dict(cache.stats) == {"uncompiled": 1, "compiles": 1, "hits": 2, "fast_hits": 1}
    for result in results:
        assert isinstance(result, tuple) and isinstance(result[0], tuple)
        close(result, expected)
    c = torch.randn(5)  # new values, same signature: the same program, the new answer
    close(F.jacobian(pair, (c, b)), uncompiled(F.jacobian, pair, (c, b)))
    assert cache.stats["compiles"] == 1


def test_repeated_hessian_matches_the_uncompiled_result():
    def f(a, b):
        return (a.sin() * b * a).sum()

    a, b = torch.randn(6), torch.randn(6)
    expected = uncompiled(F.hessian, f, (a, b))
    for _ in range(3):
        close(F.hessian(f, (a, b)), expected, rtol=1e-5)
    single = uncompiled(F.hessian, lambda x: (x.sin() * x).sum(), a)
    for _ in range(3):
        close(F.hessian(lambda x: (x.sin() * x).sum(), a), single, rtol=1e-5)
    assert cache.stats["compiles"] == 2 and cache.stats["hits"] == 2


def test_repeats_with_one_tensor_input_take_the_short_path_and_match_torch():
    """jacobian/hessian of one plain tensor with the default options: a repeat whose fast
    guard holds returns torch's nesting (a tensor per output, a tuple for a tuple of outputs)
    straight from the cached program."""
    import torch as real

    def one(x):
        return x.tanh() * 2

    def two(x):
        return x.sin(), (x * x).sum()

    def scalar(x):
        return (x.sin() * x).sum()

    values = np.random.default_rng(7).standard_normal(5).astype(np.float32)
    x, rx = torch.tensor(values), real.tensor(values)
    for transform, fn in ((F.jacobian, one), (F.jacobian, two), (F.hessian, scalar)):
        reference = getattr(real.autograd.functional, transform.__name__)(fn, rx)
        cache.stats.clear()
        results = [transform(fn, x) for _ in range(5)]  # uncompiled, compiled, walked, 2 fast
        assert cache.stats["fast_hits"] == 2, (transform.__name__, fn.__name__, cache.stats)
        for result in results:
            close(result, reference, rtol=1e-5)


def test_a_closure_tensor_changed_between_calls_changes_the_result():
    weight = torch.tensor([1.0, 2.0, 3.0])

    def f(x):
        return x * weight

    x = torch.ones(3)
    for _ in range(3):
        close(F.jacobian(f, x), np.diag([1.0, 2.0, 3.0]))
    weight.mul_(10)  # in place
    close(F.jacobian(f, x), np.diag([10.0, 20.0, 30.0]))
    weight = torch.tensor([-1.0, 0.0, 1.0])  # the closure cell rebound to another tensor
    close(F.jacobian(f, x), np.diag([-1.0, 0.0, 1.0]))
    # the in-place change passed the fast guard (the program reads the storage's new array);
    # the rebinding failed it, and the walk found the same program with another input
    assert cache.stats["hits"] == 3 and cache.stats["fast_hits"] == 1
    assert cache.stats["early"] == 0


def test_a_module_parameter_changed_in_place_changes_the_result():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    x = torch.randn(3)
    for _ in range(3):
        close(F.jacobian(model, x), model.weight.detach())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model(x).sum().backward()
    optimizer.step()
    close(F.jacobian(model, x), model.weight.detach())
    with torch.no_grad():
        model.weight.mul_(-2.0)
    close(F.jacobian(model, x), model.weight.detach())
    # weight.grad appeared after the step: a new signature, compiled when it repeats
    assert cache.stats["compiles"] == 2 and cache.stats["hits"] == 1


def scaled(x):
    return (x * SCALE + OFFSET).sin()


sin = torch.tensor([5.0, 6.0, 7.0])  # a global named like an attribute scaled_sin loads


def scaled_sin(x):
    return x.sin() * 2


def test_attribute_names_are_not_read_as_globals():
    global sin
    x = torch.tensor([0.1, 0.2, 0.3])
    for _ in range(3):
        close(F.jacobian(scaled_sin, x), np.diag(2 * np.cos([0.1, 0.2, 0.3])))
    sin = torch.zeros(4)  # a global the function never reads: not state, no new signature
    close(F.jacobian(scaled_sin, x), np.diag(2 * np.cos([0.1, 0.2, 0.3])))
    assert dict(cache.stats) == {"uncompiled": 1, "compiles": 1, "hits": 2, "fast_hits": 1}


def test_globals_and_user_module_attributes_are_read_afresh():
    global SCALE
    x = torch.randn(3)

    def expect():
        return uncompiled(F.jacobian, scaled, x)

    for _ in range(3):
        close(F.jacobian(scaled, x), expect())
    SCALE = 3.0
    close(F.jacobian(scaled, x), expect())
    OFFSET.add_(1.0)
    close(F.jacobian(scaled, x), expect())
    SCALE = 2.0

    cfg.scale, cfg.weight = 2.0, torch.tensor([1.0, 2.0, 3.0])
    only_scale = lambda x: x * cfg.scale  # noqa: E731
    for _ in range(3):
        close(F.jacobian(only_scale, x), np.diag([2.0, 2.0, 2.0]))
    cfg.scale = 5.0
    close(F.jacobian(only_scale, x), np.diag([5.0, 5.0, 5.0]))
    cfg.scale = 2.0
    f = lambda x: x * cfg.scale * cfg.weight  # noqa: E731
    for _ in range(3):
        close(F.jacobian(f, x), np.diag([2.0, 4.0, 6.0]))
    cfg.scale = 1.0
    close(F.jacobian(f, x), np.diag([1.0, 2.0, 3.0]))
    cfg.weight.mul_(2.0)
    close(F.jacobian(f, x), np.diag([2.0, 4.0, 6.0]))


class Scaled(nn.Module):
    scale = 2.0  # read through self, from the class body

    def forward(self, x):
        return x * self.scale


def test_class_attributes_read_through_self_are_guarded():
    model, x = Scaled(), torch.ones(2)
    for f in (model, model.forward):
        Scaled.scale = 2.0
        for _ in range(3):
            close(F.jacobian(f, x), np.diag([2.0, 2.0]))
        Scaled.scale = 4.0
        close(F.jacobian(f, x), np.diag([4.0, 4.0]))
    assert cache.stats["compiles"] == 2


def test_library_functions_and_builtins_are_told_apart():
    x = torch.ones(2)
    for _ in range(3):
        close(F.jacobian(torch.sin, x), np.diag(np.cos([1.0, 1.0])))
    close(F.jacobian(torch.cos, x), np.diag(-np.sin([1.0, 1.0])))  # one code object for both
    activation, op = torch.tanh, operator.neg

    def f(x):
        return op(activation(x))

    for _ in range(3):
        close(F.jacobian(f, x), np.diag([np.tanh(1.0) ** 2 - 1] * 2))
    op = operator.abs  # a builtin: the walk records nothing for it
    for _ in range(3):
        close(F.jacobian(f, x), np.diag([1 - np.tanh(1.0) ** 2] * 2))
    activation = torch.sigmoid  # shares its code object with torch.tanh
    sigmoid = 1 / (1 + np.exp(-1.0))
    close(F.jacobian(f, x), np.diag([sigmoid * (1 - sigmoid)] * 2))
    assert cache.stats["compiles"] == 3 and cache.stats["hits"] == 3


def test_set_contents_are_part_of_the_signature():
    modes = {"double"}
    f = lambda x: x * 2 if "double" in modes else x  # noqa: E731
    for _ in range(3):
        close(F.jacobian(f, torch.ones(2)), np.diag([2.0, 2.0]))
    modes.discard("double")
    close(F.jacobian(f, torch.ones(2)), np.eye(2))
    assert cache.stats["compiles"] == 1


def test_a_tensor_out_of_the_walks_reach_keeps_the_function_uncompiled():
    f = lambda x: x * Holder.weight  # noqa: E731
    x = torch.ones(3)
    for _ in range(3):
        close(F.jacobian(f, x), np.diag([1.0, 2.0, 3.0]))
    Holder.weight.mul_(2.0)
    close(F.jacobian(f, x), np.diag([2.0, 4.0, 6.0]))
    assert cache.stats["compiles"] == 0 and cache.stats["rejected"] == 1


def test_item_steering_python_control_flow_still_works():
    def f(x):
        return x * 2 if x.sum().item() > 0 else x * 3

    positive, negative = torch.ones(2), -torch.ones(2)
    for _ in range(3):
        close(F.jacobian(f, positive), np.diag([2.0, 2.0]))
        close(F.jacobian(f, negative), np.diag([3.0, 3.0]))
        close(F.hessian(lambda x: f(x).pow(2).sum(), negative), np.diag([18.0, 18.0]))
    # one signature for f on either input, one for the Hessian's lambda: both rejected
    assert cache.stats["compiles"] == 0 and cache.stats["rejected"] == 2


def test_side_effects_happen_on_every_call(capsys):
    calls = []

    def noisy(x):
        print("called")
        return x * 2

    def counting(x):
        calls.append(1)
        return x * 2

    for _ in range(4):
        close(F.jacobian(noisy, torch.ones(2)), np.diag([2.0, 2.0]))
        close(F.jacobian(counting, torch.ones(2)), np.diag([2.0, 2.0]))
    assert capsys.readouterr().out == "called\n" * 4

    def warning(x):
        warnings.warn("from the function", UserWarning, stacklevel=1)
        return x * 2

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        for _ in range(3):
            close(F.jacobian(warning, torch.ones(2)), np.diag([2.0, 2.0]))
    assert [str(w.message) for w in shown] == ["from the function"] * 3
    assert len(calls) == 4  # the list's length is in the signature: never a repeat
    assert cache.stats["compiles"] == 0 and cache.stats["rejected"] == 2


def test_random_draws_follow_the_generator_on_every_call():
    def f(x):
        return x * torch.rand(3)

    x = torch.ones(3)
    torch.manual_seed(3)
    expected = [uncompiled(F.jacobian, f, x) for _ in range(4)]
    torch.manual_seed(3)
    for e in expected:
        close(F.jacobian(f, x), e, rtol=0, atol=0)
    assert not np.allclose(expected[2].numpy(), expected[3].numpy())
    assert cache.stats["compiles"] == 0


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(cache, "MAX_PROGRAMS", 2)
    for n in (2, 3, 4, 5):
        for _ in range(2):
            close(F.jacobian(lambda x: x.exp(), torch.zeros(n)), np.eye(n))
    assert cache.stats["compiles"] == 4 and len(cache._programs) == 2
    monkeypatch.setattr(cache, "MAX_PROGRAMS_PER_CODE", 1)
    cosine = lambda x: x.cos()  # noqa: E731
    for n in (6, 7, 6):
        for _ in range(2):
            close(F.jacobian(cosine, torch.zeros(n)), np.zeros((n, n)))
    assert cache.stats["compiles"] == 5 and cache.stats["hits"] == 2


def test_functions_that_never_trace_stop_being_walked(monkeypatch):
    calls = []
    monkeypatch.setattr(cache, "walk", lambda roots: calls.append(1) or walk(roots))

    def f(x):
        return x * x.sum().item()

    for n in range(2, 12):
        for _ in range(2):
            close(F.jacobian(f, torch.ones(n)), uncompiled(F.jacobian, f, torch.ones(n)))
    assert cache.stats["rejected"] == cache.MAX_REJECTIONS_PER_CODE
    assert len(calls) == 2 * cache.MAX_REJECTIONS_PER_CODE


def test_graph_results_and_errors_keep_the_uncompiled_path():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        jac = F.jacobian(lambda a: a**3, x, create_graph=True)
        assert jac.requires_grad
        hess = F.hessian(lambda a: (a**3).sum(), x, create_graph=True)
        assert hess.requires_grad
    assert cache.stats["compiles"] == 0
    for _ in range(3):
        with pytest.raises(TypeError, match="outputs of the user-provided function"):
            F.jacobian(lambda a: [a], x)
        with pytest.raises(RuntimeError, match="should return a single Tensor"):
            F.hessian(lambda a: (a.sum(), a.sum()), x)


def test_repeated_jvp_hvp_and_vhp_match_the_uncompiled_results():
    weight = torch.tensor([1.0, -2.0, 0.5])

    def f(x):
        return (x.sin() * weight).sum().reshape(1, 1)

    x, v = torch.randn(3), torch.randn(3)
    for transform in (F.jvp, F.hvp, F.vhp):
        expected = uncompiled(transform, f, x, v)
        for _ in range(3):
            close(transform(f, x, v), expected, rtol=1e-5)
    jvp_pair = uncompiled(F.jvp, pair, (x, v), (v, x))
    for _ in range(3):
        close(F.jvp(pair, (x, v), (v, x)), jvp_pair, rtol=1e-5)
    assert cache.stats["compiles"] == 4 and cache.stats["hits"] == 4
    weight.mul_(3.0)
    close(F.hvp(f, x, v), uncompiled(F.hvp, f, x, v), rtol=1e-5)
    assert cache.stats["hits"] == 5


def test_inside_other_transforms_the_uncompiled_path_runs():
    def g(x):
        return x.sin() * 2

    x = torch.tensor([0.5, -1.0, 2.0])
    expected_grad = -2 * np.sin(x.numpy())  # d/dx of the jacobian's trace, sum(2 cos x)
    compiled = torch.compile(lambda x: F.jacobian(g, x) * 2)
    for _ in range(3):
        close(torch.func.grad(lambda x: F.jacobian(g, x).sum())(x), expected_grad)
        close(compiled(x), np.diag(4 * np.cos(x.numpy())))
    assert cache.stats["compiles"] == 0 and cache.stats["hits"] == 0


def test_a_module_callable_starts_early_and_the_walk_confirms_it():
    # Callable objects take the walk on every call (no fast guard); the program the last hit
    # ran starts before the walk, which then accepts its result.
    model = torch.nn.Linear(3, 2)
    x = torch.randn(3)
    expected = uncompiled(F.jacobian, model, x)
    cache.stats.clear()
    results = [F.jacobian(model, x) for _ in range(4)]
    assert dict(cache.stats) == {"uncompiled": 1, "compiles": 1, "hits": 2, "early": 1}
    for result in results:
        close(result, expected)


SCALES = [2.0]  # rebound to an equal new list before every call below


def test_state_rebound_every_call_stops_keeping_fast_guards():
    global SCALES

    def f(x):
        return x * SCALES[0]

    x = torch.ones(3)
    cache.stats.clear()
    for _ in range(10):
        SCALES = [2.0]  # same contents, a new object: the walk matches, identity checks do not
        close(F.jacobian(f, x), np.diag([2.0, 2.0, 2.0]))
    assert cache.stats["hits"] == 8 and cache.stats["fast_hits"] == 0
    (last,) = [entry for entry in cache._last.values() if entry[0] is f]
    assert last[5] is None and last[6] == cache.MAX_GUARD_MISSES  # no guard is built any more
