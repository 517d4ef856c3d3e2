"""Ports of PyTorch's test/test_autograd.py (TestAutograd): hooks, retain_grad, backward, grad.

Each scenario below restates what one torch test checks, rewritten as a function of the library
module; `port` turns it into a test named `test_<scenario>` that runs it in both real torch and
torchlike on the same inputs and compares values, gradients, grad_fn names, flags, errors (type
and message) and warnings (see test_autograd_compat.describe).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_autograd_compat import assert_same


def make_port(namespace: dict):
    """A decorator that registers `test_<name>` in namespace running the scenario in both libs."""

    def port(fn=None, *, xfail: str | None = None):
        def register(scenario):
            def test():
                assert_same(scenario)

            test.__name__ = test.__qualname__ = f"test_{scenario.__name__}"
            test.__doc__ = scenario.__doc__
            if xfail is not None:
                test = pytest.mark.xfail(strict=True, reason=xfail)(test)
            namespace[f"test_{scenario.__name__}"] = test
            return scenario

        return register(fn) if fn is not None else register

    return port


def data(t, *shape, seed=0, dtype=None, requires_grad=False, low=None):
    """The same pseudo-random values as a tensor of either library."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(low, 1.0, shape) if low is not None else rng.standard_normal(shape)
    out = t.tensor(values.tolist(), dtype=dtype or t.float32)
    return out.requires_grad_(requires_grad)


port = make_port(globals())


# ----- tensor hooks ------------------------------------------------------------------------------
@port
def hook_with_no_name__port_of_TestAutograd_test_hook_with_no_name(t):
    class MyHookClass:
        def __call__(self, grad):
            return grad.clone()

    leaf = data(t, 5, requires_grad=True)
    x = leaf.clone()
    x.register_hook(MyHookClass())
    x.sum().backward()
    return leaf.grad


@port
def hooks__port_of_TestAutograd_test_hooks(t):
    x = t.ones(5, 5, requires_grad=True)
    y = (t.ones(5, 5) * 4).requires_grad_(True)
    counter = [0]
    seen = []

    def bw_hook(inc, grad):
        seen.append(isinstance(grad, t.Tensor))
        counter[0] += inc

    z = x**2 + x * 2 + x * y + y
    x.register_hook(lambda *args: bw_hook(0, *args))
    first = z.register_hook(lambda *args: bw_hook(1, *args))
    z.backward(t.ones(5, 5), retain_graph=True)
    counts = [counter[0]]
    second = z.register_hook(lambda *args: bw_hook(2, *args))
    z.backward(t.ones(5, 5), retain_graph=True)
    counts.append(counter[0])
    second.remove()
    z.backward(t.ones(5, 5), retain_graph=True)
    counts.append(counter[0])
    first.remove()
    z.register_hook(lambda grad: grad.mul(2))
    with t.no_grad():
        y.grad.zero_()
    z.backward(t.ones(5, 5), retain_graph=True)
    doubled = y.grad.clone()
    y.register_hook(lambda grad: grad.mul(2))
    with t.no_grad():
        y.grad.zero_()
    z.backward(t.ones(5, 5))
    return counts, seen, doubled, y.grad, x.grad


def _mul2(t, use_custom_function: bool):
    if not use_custom_function:
        return lambda x: x * 2

    class Mul2(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Mul2.apply


def _grad_fn_prehooks(t, use_custom_function):
    mul2 = _mul2(t, use_custom_function)
    a = t.tensor([1.0], requires_grad=True)
    b = mul2(a)
    post, pre, seen = [0], [0], []

    def posthook(grad_input, grad_output):
        seen.append((pre[0], grad_output[0].tolist(), grad_input[0].tolist()))
        post[0] += 1
        return grad_input

    def prehook(grad_output):
        pre[0] += 1
        return (grad_output[0] * 2,)

    b.grad_fn.register_hook(posthook)
    b.grad_fn.register_hook(posthook)
    for hook in (prehook, lambda g: None, prehook, prehook, lambda g: g, lambda g: None):
        b.grad_fn.register_prehook(hook)
    b.sum().backward()
    first = (post[0], pre[0], a.grad)
    a = data(t, 3, 3, requires_grad=True)
    b = mul2(a)

    def counting_prehook(grad_output):
        pre[0] += 1

    b.grad_fn.register_prehook(counting_prehook)
    b.sum().backward()
    return first, seen, pre[0], a.grad


@port
def grad_fn_prehooks__port_of_TestAutograd_test_grad_fn_prehooks(t):
    return _grad_fn_prehooks(t, False)


@port
def grad_fn_prehooks_custom_function__port_of_TestAutograd_test_grad_fn_prehooks(t):
    return _grad_fn_prehooks(t, True)


@port
def grad_fn_prehooks_multiple_outputs__port_of_TestAutograd_test_grad_fn_prehooks_multiple_outputs(
    t,
):
    b = data(t, 3, 3, requires_grad=True)
    var, mean = t.var_mean(b, dim=0)
    (var + mean).sum().backward()
    a = b.detach().requires_grad_()
    counter = [0]

    def prehook(grad_output):
        gvar, gmean = grad_output
        counter[0] += 1
        return (gvar * 2, gmean * 2)

    var, mean = t.var_mean(a, dim=0)
    mean.grad_fn.register_prehook(prehook)
    (var + mean).sum().backward()
    return counter[0], a.grad, b.grad


@port
def grad_fn_prehooks_multiple_outputs_custom__port_of_TestAutograd_test_grad_fn_prehooks_multiple_outputs(  # noqa: E501
    t,
):
    class DoubleMul2(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, a, y):
            ctx.a = a
            return a * x * 2, a, a * y * 2

        @staticmethod
        def backward(ctx, g1, _a, g2):
            return ctx.a * g1 * 2, None, ctx.a * g2 * 2

    counter, seen = [0], []

    def prehook(grad_output):
        g1, ga, g2 = grad_output
        seen.append(ga is None)
        counter[0] += 1
        return (g1 * 2, None, g2 * 2)

    a = data(t, 3, 3, requires_grad=True)
    b = data(t, 3, 3, seed=1, requires_grad=True)
    c, _, d = DoubleMul2.apply(a, 3, b)
    c.grad_fn.register_prehook(prehook)
    (c + d).sum().backward()
    return counter[0], seen, a.grad, b.grad


def _prehooks_remove(t, use_custom_function):
    mul2 = _mul2(t, use_custom_function)
    a = data(t, 3, 3, requires_grad=True)
    b = mul2(a)
    counter = [0]

    def prehook(grad_output):
        counter[0] += 1

    handle = b.grad_fn.register_prehook(prehook)
    b.grad_fn.register_prehook(prehook)
    handle.remove()
    b.sum().backward()
    first = (a.grad, counter[0])
    a = data(t, 3, 3, requires_grad=True)
    b = mul2(a)
    counter[0] = 0
    handles = {}

    def remover(grad_output):
        handles["second"].remove()
        handles["third"].remove()  # removing twice is fine

    b.grad_fn.register_prehook(remover)
    handles["second"] = b.grad_fn.register_prehook(prehook)
    handles["third"] = b.grad_fn.register_prehook(prehook)
    handles["third"].remove()
    b.sum().backward()
    return first, a.grad, counter[0]


@port(
    xfail="a prehook removed by an earlier prehook during backward is skipped; torch runs the "
    "hooks captured when the node started (torchlike/_autograd/engine.py iterates the live list)"
)
def grad_fn_prehooks_remove_hooks__port_of_TestAutograd_test_grad_fn_prehooks_remove_hooks(t):
    return _prehooks_remove(t, False)


@port(
    xfail="a prehook removed by an earlier prehook during backward is skipped; torch runs the "
    "hooks captured when the node started (torchlike/_autograd/engine.py iterates the live list)"
)
def grad_fn_prehooks_remove_hooks_custom__port_of_TestAutograd_test_grad_fn_prehooks_remove_hooks(
    t,
):
    return _prehooks_remove(t, True)


@port(
    xfail="tensor hooks must run before grad_fn prehooks of the same node, also on "
    "AccumulateGrad and for backward(inputs=(non_leaf,)) (torchlike/_autograd/engine.py)"
)
def prehook_ordering__port_of_TestAutograd_test_prehook_ordering(t):
    log = []

    def hook1(g):
        log.append(1)
        return g * 3

    def hook2(gs):
        log.append(2)
        return tuple(g * 2 for g in gs)

    a = t.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.grad_fn.register_prehook(hook2)
    b.register_hook(hook1)
    b.grad_fn.register_prehook(hook2)
    acc = b.grad_fn.next_functions[0][0]
    a.register_hook(hook1)
    acc.register_prehook(hook2)
    a.register_hook(hook1)
    b.sum().backward(retain_graph=True)
    logs = [list(log)]
    log.clear()
    grads = t.autograd.grad(b.sum(), inputs=(a,), retain_graph=True)
    logs.append(list(log))
    log.clear()
    b.sum().backward(inputs=(b,))
    logs.append(list(log))
    return logs, grads, b.grad, a.grad


@port
def retains_grad_can_always_observe_tensor_prehook__port_of_TestAutograd_test_retains_grad_can_always_observe_tensor_prehook(  # noqa: E501
    t,
):
    a = t.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.register_hook(lambda g: g * 2)
    b.retain_grad()
    b.register_hook(lambda g: g * 2)
    b.clone().backward()
    first = b.grad
    a = t.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.retain_grad()
    b.register_hook(lambda g: g * 2)
    b.clone().backward()
    return first, b.grad, a.grad


@port(
    xfail="AccumulateGrad pre/post hooks see the gradient before the leaf's tensor hooks "
    "changed it; torch runs tensor hooks first (torchlike/_autograd/engine.py)"
)
def accumulate_grad_posthooks_can_observe_tensor_prehook__port_of_TestAutograd_test_accumulate_grad_posthooks_can_observe_tensor_prehook(  # noqa: E501
    t,
):
    a = t.tensor(1.0, requires_grad=True)
    seen = []
    b = a.clone()
    acc = b.grad_fn.next_functions[0][0]
    acc.register_hook(lambda g_in, g_out: seen.append(("post", g_out[0].item(), len(g_in))))
    acc.register_prehook(lambda g_out: seen.append(("pre", g_out[0].item(), len(g_out))))
    a.register_hook(lambda g: g * 2)
    b.backward()
    return seen, a.grad


@port
def accumulate_grad_posthooks_should_not_execute__port_of_TestAutograd_test_accumulate_grad_posthooks_should_not_execute(  # noqa: E501
    t,
):
    def fail(*args):
        raise RuntimeError("must not run")

    a = t.tensor(1.0, requires_grad=True)
    a.register_hook(fail)
    b = t.tensor(1.0, requires_grad=True)
    c = a.clone()
    c.grad_fn.next_functions[0][0].register_hook(fail)
    out = a + b + c
    out.sum().backward(inputs=[b])
    return a.grad, b.grad


@port(
    xfail="autograd.grad(c, (a, b)) runs b's tensor hook twice and backward(inputs=(a, b)) "
    "skips grad_fn hooks past b (torchlike/_autograd/engine.py)"
)
def hook_edge_case_when_called_with_grad__port_of_TestAutograd_test_hook_edge_case_when_called_with_grad(  # noqa: E501
    t,
):
    a = t.tensor(1.0, requires_grad=True)
    b = a * 2
    c = b * 2
    counts = {"tensor": 0, "pre": 0, "post": 0}

    def bump(key):
        def hook(*args):
            counts[key] += 1

        return hook

    a.register_hook(bump("tensor"))
    b.register_hook(bump("tensor"))
    acc = b.grad_fn.next_functions[0][0]
    acc.register_hook(bump("post"))
    acc.register_prehook(bump("pre"))
    b.grad_fn.register_hook(bump("post"))
    b.grad_fn.register_prehook(bump("pre"))
    seen = []
    for run in (
        lambda: t.autograd.grad(c, inputs=(b), retain_graph=True),
        lambda: t.autograd.grad(c, inputs=(a, b), retain_graph=True),
        lambda: c.backward(retain_graph=True),
        lambda: c.backward(inputs=(a, b), retain_graph=True),
    ):
        run()
        seen.append(dict(counts))
        counts.update(tensor=0, pre=0, post=0)
    return seen


@port
def hook_none__port_of_TestAutograd_test_hook_none(t):
    class NoneGradientFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            flags.append(tuple(ctx.needs_input_grad))
            return x, y

        @staticmethod
        def backward(ctx, grad_x, grad_y):
            return grad_x, None

    called, flags = [], []
    x = data(t, 5, 5, requires_grad=True)
    y = data(t, 5, 5, seed=1)
    rx, ry = NoneGradientFunction.apply(x, y)
    rx.register_hook(lambda g: called.append(g is not None))
    ry.register_hook(lambda g: called.append(g is not None))
    sum(rx, ry).sum().backward()
    return called, flags, x.grad


@port
def hooks_cpp__port_of_TestAutograd_test_hooks_cpp(t):
    bn = t.nn.BatchNorm1d(5, affine=False).double()
    bn.eval()
    counter = [0]

    def bw_hook(grad):
        counter[0] += 1
        return grad * 2

    x = t.ones(5, 5, dtype=t.double, requires_grad=True)
    z = bn(x)
    z.register_hook(bw_hook)
    z.sum().backward()
    return counter[0], x.grad


@port
def grad_nonleaf_many_outputs__port_of_TestAutograd_test_grad_nonleaf_many_outputs(t):
    x = data(t, 4, 2, requires_grad=True)
    a, b = x.chunk(2)
    called = []
    x.register_hook(lambda *grads: called.append(True))
    go = data(t, 2, 2, seed=3)
    grads = t.autograd.grad((a + 2 * b), [a, b], grad_outputs=go, create_graph=True)
    return grads, called, x.grad


@port(
    xfail="torch calls a tensor hook with None when its node runs without a gradient for "
    "that output (unbind, other element); torchlike/_autograd/engine.py skips the hook"
)
def grad_nonleaf_register_hook__port_of_TestAutograd_test_grad_nonleaf_register_hook(t):
    x = data(t, 5, requires_grad=True)
    x_list = x.unbind()
    results = [None]

    def hook(grad):
        results[0] = grad

    x_list[0].register_hook(hook)
    x_list[0].backward()
    seen = [(results[0], x.grad.clone(), x_list[0].grad)]
    for i in range(1, 5):
        x_list[i].backward()
        seen.append((results[0], x.grad.clone(), x_list[i].grad))
    return seen
