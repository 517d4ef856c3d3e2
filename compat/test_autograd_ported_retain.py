"""Ports of PyTorch's TestAutograd tests on retain_grad and tensor hooks across in-place ops.

Same harness as test_autograd_ported: each scenario runs in torch and torchlike and the
observable results (values, grads, grad_fn names, errors, warnings) must agree.
"""

from __future__ import annotations

from test_autograd_ported import data, make_port

port = make_port(globals())


@port
def tensor_hooks_inplace__port_of_TestAutograd_test_tensor_hooks_inplace(t):
    seen = []

    def recorder(tag):
        def hook(grad):
            seen.append((tag, grad.tolist()))
            return grad * 2

        return hook

    a = t.tensor([1.0], requires_grad=True)
    b = a.clone()
    b.register_hook(recorder("fn1"))
    b.mul_(2)
    b.register_hook(recorder("fn2"))
    b.sum().backward()
    first = a.grad
    a = t.tensor([1.0], requires_grad=True)
    b = a.clone()
    b.register_hook(recorder("fn3"))
    b.mul_(2)
    b.mul_(2)
    b.sum().backward()
    return seen, first, a.grad


def _var_mean_dim0(t):
    return lambda x: t.var_mean(x, dim=0)


def _double_mul(t):
    class DoubleMul(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    return DoubleMul.apply


def _tensor_hooks_multi(t, fn):
    seen = []
    b = data(t, 3, 3, requires_grad=True)
    out1, out2 = fn(b)
    out1.register_hook(lambda g: seen.append(("h0", g.tolist())))
    out2.register_hook(lambda g: seen.append(("h1", g.tolist())))
    out1.mul_(2)
    out1.register_hook(lambda g: seen.append(("h2", g.tolist())))
    (out1 + out2 * 3).sum().backward()
    return sorted(seen), b.grad


@port
def tensor_hooks_inplace_multiple_outputs__port_of_TestAutograd_test_tensor_hooks_inplace_multiple_outputs(  # noqa: E501
    t,
):
    return _tensor_hooks_multi(t, _double_mul(t))


@port
def tensor_hooks_inplace_multiple_outputs_var_mean__port_of_TestAutograd_test_tensor_hooks_inplace_multiple_outputs(  # noqa: E501
    t,
):
    return _tensor_hooks_multi(t, _var_mean_dim0(t))


@port
def tensor_hooks_inplace_over_view__port_of_TestAutograd_test_tensor_hooks_inplace_over_view(t):
    seen = []
    base = t.tensor([1.0], requires_grad=True).clone()
    view = base[:]
    view2 = base[:]
    view.register_hook(lambda g: seen.append(("fn0", g.tolist())))
    view2.register_hook(lambda g: seen.append(("fn1", g.tolist())))
    view.mul_(2)
    view2.grad_fn  # noqa: B018 - reading grad_fn refreshes the view's history
    view2.register_hook(lambda g: seen.append(("fn2", g.tolist())))
    (view + view2).sum().backward()
    return seen


# ----- retain_grad -------------------------------------------------------------------------------
@port
def retain_grad__port_of_TestAutograd_test_retain_grad(t):
    inp = data(t, 1, 3, low=0.0, requires_grad=True)
    h1 = inp * 3
    out = (h1 * h1).sum()
    h1.retain_grad()
    h1.retain_grad()
    out.backward(retain_graph=True)
    first = h1.grad.clone()
    out.backward(retain_graph=True)
    second = h1.grad.clone()
    with t.no_grad():
        inp.grad.zero_()
    inp.retain_grad()
    inp.retain_grad()
    out.backward()
    return first, second, inp.grad, h1 * 2, inp * 18


@port
def retain_grad_inplace__port_of_TestAutograd_test_retain_grad_inplace(t):
    a = t.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.sum().backward()
    first = a.grad
    a = t.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.mul_(2)
    a.sum().backward()
    second = a.grad
    x = t.tensor([1.0], requires_grad=True).clone()
    x.retain_grad()
    x_view = x[:]
    x_view *= 2
    x *= 2
    x.sum().backward()
    z = t.zeros(4)
    y = z.view(2, 2)
    y.add_(data(t, 2, 2, requires_grad=True))
    return first, second, x.grad, z.requires_grad, z.grad_fn


@port
def retain_grad_inplace_over_view__port_of_TestAutograd_test_retain_grad_inplace_over_view(t):
    base = t.tensor([1.0], requires_grad=True).clone()
    view = base[:]
    view2 = base[:]
    view.retain_grad()
    view2.retain_grad()
    view.mul_(2)
    (view + view2).sum().backward()
    return view.grad, view2.grad


def _retains_grad_multi(t, fn):
    b = data(t, 3, 3, requires_grad=True)
    var, mean = fn(b)
    var.retain_grad()
    mean.retain_grad()
    var.mul_(2)
    (var + mean).sum().backward()
    a = b.detach().requires_grad_(True)
    var2, mean2 = fn(a)
    var2.mul_(2)
    expected = t.autograd.grad((var2 + mean2).sum(), inputs=(var2, mean2))
    return var.grad, mean.grad, expected


@port
def retains_grad_inplace_multiple_outputs__port_of_TestAutograd_test_retains_grad_inplace_multiple_outputs(  # noqa: E501
    t,
):
    return _retains_grad_multi(t, _double_mul(t))


@port
def retains_grad_inplace_multiple_outputs_var_mean__port_of_TestAutograd_test_retains_grad_inplace_multiple_outputs(  # noqa: E501
    t,
):
    return _retains_grad_multi(t, _var_mean_dim0(t))


@port
def tensor_grad_warnings__port_of_TestAutograd_test_tensor_grad_warnings(t):
    dummy = t.empty(1)
    dummy.requires_grad_()
    reads = [dummy.grad]
    dummy = dummy.clone()
    reads.append(dummy.grad)
    dummy.retain_grad()
    reads.append(dummy.grad)
    return reads
