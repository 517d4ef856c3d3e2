"""Autograd semantics against real torch: graphs, backward, grad, hooks, grad modes, Function.

Each scenario is a function of the library module (torch or torchlike) that returns what a
user could observe: values, grad_fn names and next_functions structure, flags, errors and
warnings. Both libraries run the same scenario and the descriptions must be equal.
"""

from __future__ import annotations

import threading
import warnings

import pytest
import torch

import torchlike

SCENARIOS: dict = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def node_structure(node, depth: int = 8):
    """(class name, children) down the next_functions of a grad_fn."""
    if node is None:
        return None
    if depth == 0:
        return type(node).__name__
    children = tuple((node_structure(child, depth - 1), nr) for child, nr in node.next_functions)
    return (type(node).__name__, children)


def describe(value):
    """A library-neutral, comparable description of what a scenario returned."""
    if isinstance(value, torch.Tensor | torchlike.Tensor):
        data = value.detach()
        values = data.reshape(-1).tolist()
        grad_fn = None if value.grad_fn is None else type(value.grad_fn).__name__
        return ("T", tuple(value.shape), str(value.dtype).split(".")[-1], values,
                value.requires_grad, grad_fn)  # fmt: skip
    if isinstance(value, torch.autograd.graph.Node | torchlike.autograd.graph.Node):
        return node_structure(value)
    if isinstance(value, tuple | list):
        return tuple(describe(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, describe(v)) for k, v in value.items()))
    return value


def outcome(fn, lib):
    """What running fn(lib) shows: its result or its error, plus the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", describe(fn(lib)))
        except Exception as error:  # noqa: BLE001 - the error is the observable outcome
            result = ("error", type(error).__name__, str(error))
    # torch's own deprecations (torch.jit.script inside functional) are not part of the contract
    shown = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    return result, [(w.category.__name__, str(w.message)) for w in shown]


def _close(ours, theirs) -> bool:
    """Equal structures; floats (real or complex) equal to float32 rounding."""
    if isinstance(ours, tuple | list) and isinstance(theirs, tuple | list):
        return len(ours) == len(theirs) and all(map(_close, ours, theirs))
    numbers = (float, complex)
    if isinstance(ours, numbers) and isinstance(theirs, numbers):
        return abs(ours - theirs) <= 1e-5 + 1e-5 * abs(theirs) or ours == theirs
    return type(ours) is type(theirs) and ours == theirs


def assert_same(fn) -> None:
    ours, theirs = outcome(fn, torchlike), outcome(fn, torch)
    assert _close(ours, theirs), (ours, theirs)


# ----- graph structure -------------------------------------------------------------------------
@scenario
def chain_of_ops(t):
    x = t.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], requires_grad=True)
    w = t.tensor([0.5, 1.5, -2.0])
    y = ((x * w + 1).exp().sum(1) / 3).mean()
    return y, y.grad_fn, x.grad_fn, x.is_leaf, y.is_leaf


@scenario
def matmul_and_views(t):
    x = t.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x @ x.t()).view(-1).unsqueeze(0).transpose(0, 1).relu()
    return y.grad_fn, y


@scenario
def integer_and_bool_results(t):
    x = t.tensor([1.0, -2.0, 3.0], requires_grad=True)
    return x.long(), x > 0, x.argmax(), x.long().grad_fn, (x > 0).requires_grad


@scenario
def scalars_in_next_functions(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    return [(x * 2).grad_fn, (x + 1).grad_fn, (1 - x).grad_fn, (2 ** x).grad_fn,
            (x / 2).grad_fn, (x + t.tensor([1, 2])).grad_fn]  # fmt: skip


@scenario
def detach_and_data(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    d.zero_()
    data = x.data
    return x, x._version, d.requires_grad, d.is_leaf, data.requires_grad, data.is_leaf


@scenario
def detach_inplace(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.detach_()
    return z is y, y.requires_grad, y.grad_fn, y.is_leaf


@scenario
def detach_inplace_on_view(t):
    x = t.tensor([1.0, 2.0, 3.0])
    x[0:2].detach_()


@scenario
def no_grad_results(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    with t.no_grad():
        y = x * 2
        z = x.clone()
    return y, z.is_leaf, z.requires_grad


# ----- requires_grad ---------------------------------------------------------------------------
@scenario
def requires_grad_on_non_leaf_false(t):
    (t.tensor([1.0], requires_grad=True) * 2).requires_grad_(False)


@scenario
def requires_grad_on_non_leaf_setter(t):
    z = t.tensor([1.0], requires_grad=True) * 2
    z.requires_grad = True


@scenario
def requires_grad_on_non_leaf_true(t):
    z = t.tensor([1.0], requires_grad=True) * 2
    return z.requires_grad_(True) is z


@scenario
def requires_grad_not_bool(t):
    t.tensor([1.0]).requires_grad = 1


@scenario
def requires_grad_method_not_bool(t):
    t.tensor([1.0]).requires_grad_("yes")


@scenario
def requires_grad_integer_method(t):
    t.arange(3).requires_grad_()


@scenario
def requires_grad_integer_setter(t):
    t.arange(3).requires_grad = True


@scenario
def requires_grad_complex(t):
    return t.tensor([1 + 2j]).requires_grad_().requires_grad


# ----- version counter -------------------------------------------------------------------------
def _modified(t, make, modify, loss):
    x = t.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = make(x)
    out = loss(y, x)
    modify(y)
    out.sum().backward()
    return x.grad


VERSION_CASES = {
    "sigmoid_then_mul_": (lambda x: x.sigmoid(), lambda y: y.mul_(2), lambda y, x: y),
    "mul_then_add_": (lambda x: x * 2, lambda y: y.add_(1), lambda y, x: y),
    "exp_then_add_": (lambda x: x.exp(), lambda y: y.add_(1), lambda y, x: y),
    "sin_saved_input": (lambda x: x.sin(), lambda y: y.add_(1), lambda y, x: y * y),
    "relu_result": (lambda x: x.relu(), lambda y: y.mul_(2), lambda y, x: y),
    "pow_input": (lambda x: x.pow(2), lambda y: y.mul_(2), lambda y, x: y),
    "tanh_setitem": (lambda x: x.tanh(), lambda y: y.__setitem__(0, 1.0), lambda y, x: y),
    "mul_saves_other": (lambda x: x * 1, lambda y: y.add_(1), lambda y, x: y * x),
    "sqrt_view_then_write": (
        lambda x: x.abs().sqrt(),
        lambda y: y.mul_(2),
        lambda y, x: y.view(3),
    ),  # fmt: skip
    "softmax_result": (lambda x: x.softmax(0), lambda y: y.mul_(2), lambda y, x: y),
    "add_saves_nothing": (lambda x: x * 1, lambda y: y.add_(1), lambda y, x: y + x),
    "clone_saves_nothing": (lambda x: x.clone(), lambda y: y.mul_(3), lambda y, x: y.sum() + 0),
}


@pytest.mark.parametrize("case", sorted(VERSION_CASES))
def test_version_counter(case):
    make, modify, loss = VERSION_CASES[case]
    assert_same(lambda t: _modified(t, make, modify, loss))


@scenario
def saved_constant_modified(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    w = t.tensor([3.0, 4.0])
    z = x * w
    w.add_(1)
    z.sum().backward()


@scenario
def saved_leaf_modified_under_no_grad(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    w = t.tensor([3.0, 4.0], requires_grad=True)
    z = x * w
    with t.no_grad():
        w.add_(1)
    z.sum().backward()


@scenario
def saved_view_after_inplace(t):
    x = t.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x.clone()
    z = y[0]
    w = z * z
    z.mul_(2)
    w.sum().backward()


@scenario
def saved_after_copyslices(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    y[0] = 1
    z = y * x
    y.add_(1)
    z.sum().backward()


@scenario
def inplace_on_view_saves_result(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    v = y[:2]
    v.exp_()
    y.add_(1)
    y.sum().backward()


@scenario
def inplace_self_is_copied(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = t.tensor([2.0, 2.0, 2.0], requires_grad=True)
    y = x.clone()
    y.sin_()
    y.mul_(w)
    y.add_(1)
    y.sum().backward()
    return x.grad, w.grad


# ----- backward --------------------------------------------------------------------------------
BACKWARD_TWICE = {
    "mul_scalar": lambda x: (x * 2).sum(), "add_scalar": lambda x: (x + 1).sum(),
    "sum": lambda x: x.sum(), "exp": lambda x: x.exp().sum(), "neg": lambda x: (-x).sum(),
    "div_scalar": lambda x: (x / 2).sum(), "view": lambda x: x.view(3, 1).sum(),
    "clone": lambda x: x.clone().sum(), "mean": lambda x: x.mean(),
    "square": lambda x: (x**2).sum(), "select": lambda x: x[0],
    "cat": lambda x: _lib(x).cat([x, x]).sum(),
    "to_double": lambda x: x.double().sum(), "relu": lambda x: x.relu().sum(),
    "index": lambda x: x[[0, 1]].sum(), "where": lambda x: x.clamp(0, 1).sum(),
    "setitem": lambda x: _assigned(x).sum(), "t": lambda x: x.view(1, 3).t().sum(),
    "expand": lambda x: x.expand(2, 3).sum(), "dot": lambda x: x @ x,
    "sub_self": lambda x: (x - x).sum(), "stack": lambda x: _lib(x).stack([x, x]).sum(),
}  # fmt: skip


def _lib(x):
    return torchlike if isinstance(x, torchlike.Tensor) else torch


def _assigned(x):
    y = x.clone()
    y[0] = 1.0
    return y


@pytest.mark.parametrize("case", sorted(BACKWARD_TWICE))
def test_backward_twice(case):
    def run(t):
        x = t.tensor([0.5, 1.5, -2.0], requires_grad=True)
        y = BACKWARD_TWICE[case](x)
        y.backward()
        y.backward()
        return x.grad

    assert_same(run)


@scenario
def retain_graph_twice(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@scenario
def non_scalar_without_gradient(t):
    (t.tensor([1.0, 2.0], requires_grad=True) * 2).backward()


@scenario
def gradient_argument(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(t.tensor([1.0, 3.0]))
    (x * 2).backward(gradient=t.tensor([1.0, 3.0], dtype=t.float64))
    (x * 2).sum().backward(t.tensor(2.0))
    return x.grad


@scenario
def gradient_shape_mismatch(t):
    (t.tensor([1.0, 2.0], requires_grad=True) * 2).backward(t.ones(3))


@scenario
def gradient_scalar_shape_mismatch(t):
    (t.tensor([1.0, 2.0], requires_grad=True) * 2).sum().backward(t.tensor([2.0]))


@scenario
def gradient_not_a_tensor(t):
    (t.tensor([1.0, 2.0], requires_grad=True) * 2).sum().backward(2.0)


@scenario
def backward_without_grad(t):
    t.tensor([1.0, 2.0]).sum().backward()


@scenario
def backward_through_integer(t):
    t.tensor([1.0, 2.0], requires_grad=True).long().sum().backward()


@scenario
def backward_inputs(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    w = t.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    first = (x.grad, w.grad)
    (x * w).sum().backward(inputs=x)
    return first, x.grad, w.grad


@scenario
def backward_inputs_empty(t):
    (t.tensor([1.0], requires_grad=True) * 2).sum().backward(inputs=[])


@scenario
def backward_inputs_not_requiring_grad(t):
    (t.tensor([1.0], requires_grad=True) * 2).sum().backward(inputs=[t.tensor([1.0])])


@scenario
def backward_inputs_non_leaf(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (y * 3).sum().backward(inputs=[y])
    return y.grad, x.grad, y.retains_grad


@scenario
def backward_inputs_both(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (y * 2).sum().backward(inputs=[y, x])
    return y.grad, x.grad


@scenario
def autograd_backward_lists(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    t.autograd.backward([(x * 2).sum(), (x * 3).sum()])
    t.autograd.backward([x * 2, (x * 3).sum()], [t.ones(2), None])
    return x.grad


@scenario
def autograd_backward_count_mismatch(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    t.autograd.backward([x * 2, x * 3], [t.ones(2)])


@scenario
def complex_backward_needs_gradient(t):
    (t.tensor([1 + 1j], requires_grad=True) * 2).sum().backward()


@scenario
def complex_gradient(t):
    x = t.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    (x * (2 + 1j)).sum().abs().backward()
    return x.grad


@scenario
def grad_accumulates_in_place(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    same = g is x.grad
    x.grad.zero_()
    x.grad = None
    (x * 2).sum().backward()
    return same, g, x.grad is g, x.grad


@scenario
def create_graph_accumulation(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    x.grad = t.zeros(2)
    g = x.grad
    (x * x).sum().backward(create_graph=True)
    return x.grad is g, x.grad, g


@scenario
def grad_setter_errors(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    errors = []
    for value in (t.ones(3), t.ones(2, dtype=t.float64), [1, 2]):
        try:
            x.grad = value
        except (RuntimeError, TypeError) as error:
            errors.append((type(error).__name__, str(error)))
    return errors


@scenario
def non_leaf_grad_warning(t):
    y = t.tensor([1.0], requires_grad=True) * 2
    with t.no_grad():
        return y.grad


# ----- torch.autograd.grad ---------------------------------------------------------------------
@scenario
def higher_order_cube(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = t.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = t.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = t.autograd.grad(g2.sum(), x)
    return g, g2, g3


@scenario
def higher_order_sin(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    (g,) = t.autograd.grad(x.sin().sum(), x, create_graph=True)
    (gg,) = t.autograd.grad(g.sum(), x)
    return g, gg


@scenario
def gradient_of_linear_does_not_require_grad(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    (g,) = t.autograd.grad((x * 2).sum(), x, create_graph=True)
    (h,) = t.autograd.grad((x * x).sum(), x, create_graph=True)
    return g, h


@scenario
def hessian_rows(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    (g,) = t.autograd.grad((x * x * x).sum(), x, create_graph=True)
    return t.stack([t.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(2)])


@scenario
def double_backward_into_grad(t):
    x = t.tensor(2.0, requires_grad=True)
    (dy,) = t.autograd.grad(x**2, x, create_graph=True)
    dy.backward()
    return x.grad


@scenario
def grad_allow_unused(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    w = t.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    return (t.autograd.grad(y, [x, w], allow_unused=True, retain_graph=True),
            t.autograd.grad(y, [x, w], materialize_grads=True))  # fmt: skip


@scenario
def grad_unused_error(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    w = t.tensor([1.0, 2.0], requires_grad=True)
    t.autograd.grad((x * 2).sum(), [x, w])


@scenario
def grad_materialize_with_allow_unused_false(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    t.autograd.grad((x * 2).sum(), [x], materialize_grads=True, allow_unused=False)


@scenario
def grad_outputs(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return (
        t.autograd.grad(x * 2, x, grad_outputs=t.tensor([1.0, 0.0, 2.0])),
        t.autograd.grad([x * 2, x * 3], x, grad_outputs=[t.ones(3), t.ones(3)]),
        t.autograd.grad([x * 2, (x * 3).sum()], [x], grad_outputs=[t.ones(3), None]),
    )


@scenario
def grad_of_input_not_requiring_grad(t):
    t.autograd.grad((t.tensor([1.0], requires_grad=True) * 2).sum(), t.ones(1))


@scenario
def grad_batched(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return t.autograd.grad(x * x, x, t.eye(3), is_grads_batched=True)


@scenario
def grad_leaves_grad_untouched(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    return t.autograd.grad(y.sum(), y), x.grad


@scenario
def grad_intermediate_and_leaf(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    return t.autograd.grad((y * 3).sum(), [y, x])


@scenario
def grad_only_inputs_warning(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    return t.autograd.grad((x * 2).sum(), x, only_inputs=False)


@scenario
def grad_twice_without_retain(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    t.autograd.grad(y, x)
    t.autograd.grad(y, x)


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


# ----- custom Function -------------------------------------------------------------------------
def _exp_function(t):
    class Exp(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    return Exp


@scenario
def function_basics(t):
    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = _exp_function(t).apply(x)
    node = y.grad_fn
    y.sum().backward()
    return y, node, node.name(), x.grad


@scenario
def function_backward_twice(t):
    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = _exp_function(t).apply(x)
    y.sum().backward()
    y.sum().backward()


@scenario
def function_saved_output_modified(t):
    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = _exp_function(t).apply(x)
    y.mul_(2)
    y.sum().backward()


@scenario
def function_needs_input_grad_and_none(t):
    seen = []

    class MulC(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, c, flag=True):
            ctx.c = c
            seen.append((ctx.needs_input_grad, t.is_grad_enabled()))
            return x * c

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.c, None, None

    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = MulC.apply(x, 3.0)
    y.sum().backward()
    y.sum().backward()
    return y.grad_fn, x.grad, seen


@scenario
def function_wrong_gradient_count(t):
    class Bad(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, c):
            return x * c

        @staticmethod
        def backward(ctx, grad):
            return grad

    Bad.apply(t.tensor([1.0], requires_grad=True), 2.0).sum().backward()


@scenario
def function_too_many_gradients(t):
    class TooMany(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    TooMany.apply(t.tensor([1.0], requires_grad=True)).sum().backward()


@scenario
def function_wrong_gradient_shape(t):
    class WrongShape(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    WrongShape.apply(t.tensor([1.0, 2.0], requires_grad=True)).sum().backward()


@scenario
def function_two_outputs(t):
    seen = []

    class Two(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w, x + w

        @staticmethod
        def backward(ctx, ga, gb):
            x, w = ctx.saved_tensors
            seen.append((ga.tolist(), gb.tolist()))
            return ga * w + gb, ga * x + gb

    x = t.tensor([0.5, 1.0], requires_grad=True)
    a, b = Two.apply(x, t.tensor([2.0, 3.0]))
    a.sum().backward()
    return a.grad_fn, a.grad_fn is b.grad_fn, b.output_nr, x.grad, seen


@scenario
def function_non_differentiable_output(t):
    seen = []

    class ArgmaxToo(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 2, index

        @staticmethod
        def backward(ctx, grad, grad_index):
            seen.append(grad_index.tolist())
            return grad * 2

    x = t.tensor([0.5, 1.0], requires_grad=True)
    y, i = ArgmaxToo.apply(x)
    y.sum().backward()
    return i.requires_grad, i.grad_fn, y.requires_grad, x.grad, seen


@scenario
def function_setup_context(t):
    class Scale(t.autograd.Function):
        @staticmethod
        def forward(x, c):
            return x * c

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.c = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.c, None

    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = Scale.apply(x, 4.0)
    y.sum().backward()
    return y.grad_fn, x.grad


@scenario
def function_once_differentiable(t):
    seen = []

    class Square(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @t.autograd.function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            seen.append(t.is_grad_enabled())
            return 2 * x * grad

    x = t.tensor([0.5, 1.0], requires_grad=True)
    (g,) = t.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    return g, seen


@scenario
def function_create_graph(t):
    class Square(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = t.tensor([0.5, 1.0], requires_grad=True)
    (g,) = t.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    (g2,) = t.autograd.grad(g.sum(), x)
    return g, g2


@scenario
def function_returns_input(t):
    class Identity(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = Identity.apply(x)
    flags = (y is x, y.grad_fn, y._base is x)
    try:
        y.mul_(2)
    except RuntimeError as error:
        return flags, str(error)
    return flags


@scenario
def function_mark_dirty(t):
    class Double(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = t.tensor([0.5, 1.0], requires_grad=True)
    y = x.clone()
    z = Double.apply(y)
    z.sum().backward()
    return z is y, z.grad_fn, y._version, x.grad


@scenario
def function_materialize_grads(t):
    seen = []

    class Pair(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2 is None)
            return g1 * 2

    x = t.tensor([0.5, 1.0], requires_grad=True)
    Pair.apply(x)[0].sum().backward()
    return seen


@scenario
def function_without_backward(t):
    class NoBackward(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    NoBackward.apply(t.tensor([1.0], requires_grad=True)).sum().backward()


@scenario
def function_without_grad(t):
    class Double(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Double.apply(t.tensor([1.0]))
    with t.no_grad():
        z = Double.apply(t.tensor([1.0], requires_grad=True))
    return y.requires_grad, y.grad_fn, z.requires_grad


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


@pytest.mark.xfail(
    strict=True, reason="torchlike/__init__.py does not export torch.is_anomaly_enabled yet"
)
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
