"""Custom torch.autograd.Function against real torch (same harness as test_autograd_compat)."""

from __future__ import annotations

import pytest
from test_autograd_compat import assert_same

SCENARIOS: dict = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


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


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name):
    assert_same(SCENARIOS[name])
