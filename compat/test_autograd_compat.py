"""Autograd semantics against real torch: graphs, backward, grad, hooks, grad modes, Function.

Each scenario is a function of the library module (torch or torchlike) that returns what a
user could observe: values, grad_fn names and next_functions structure, flags, errors and
warnings. Both libraries run the same scenario and the descriptions must be equal.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name):
    assert_same(SCENARIOS[name])
