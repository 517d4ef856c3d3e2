"""Views, indexing and in-place writes against real torch: values, grad_fn graphs, errors."""

from __future__ import annotations

import pytest
from test_autograd_compat import assert_same

SCENARIOS: dict = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def _x(t):
    return t.tensor([[1.0, -2.0, 3.0, 0.5], [4.0, 0.25, -6.0, 2.0], [-1.0, 7.0, -0.75, 1.5]],
                    requires_grad=True)  # fmt: skip


# ----- reading: x[index] -----------------------------------------------------------------------
GETITEM = [
    "x[0]", "x[0:2]", "x[:, 1]", "x[[0, 1]]", "x[x > 0]", "x[0][1]", "x[..., 1]", "x[None]",
    "x[:]", "x[...]", "x[()]", "x[True]", "x[False]", "x[:, :]", "x[0:3]", "x[0:3, 1]",
    "x[:, 0:4]", "x[:, 0:10]", "x[:, -4:]", "x[-3:, 1]", "x[::1, 1]", "x[..., :]", "x[:, None]",
    "x[0, ...]", "x[t.tensor(1)]", "x[t.tensor(1), 2]", "x[t.tensor([1])]", "x[t.tensor(True)]",
    "x[1, [0, 1]]", "x[[0, 1], 1:]", "x[:, [0, 1]]", "x[[0, 1], [1, 2]]", "x[[True, False, True]]",
    "x[1:, [0]]", "x[None, 1]", "x[0, None, 1]", "x[1][None]", "x[:, :, None]", "x[(0,)]",
    "x[[0]]", "x[0, 1:3]", "x[2:1]", "x[:, ::2]", "x[5:]", "x[-1]", "x[-1, -1]", "x[0:3:1]",
    "x[t.tensor([[0, 1]])]", "x[x[:, 0] > 0]", "x[[[0, 1]]]", "x[[0, 1], :, None]",
]  # fmt: skip


@pytest.mark.parametrize("index", GETITEM)
def test_getitem(index):
    def run(t):
        x = _x(t)
        y = eval(index, {"x": x, "t": t})
        y.sum().backward()
        return y, y.grad_fn, x.grad

    assert_same(run)


GETITEM_ERRORS = [
    "x[1.5]", "x['a']", "x[t.tensor([0.0])]", "x[0, 0, 0]", "x[:, [5]]", "x[3]", "x[:, 4]",
    "x[0, -5]", "x[None, 0, 7]", "x[::-1]", "x[[0, 1], [0, 1, 2]]", "x[t.ones(3, 5, dtype=t.bool)]",
    "x[:, t.ones(3, dtype=t.bool)]", "x[[0], [9]]", "x[1:, [-9]]",
]  # fmt: skip


@pytest.mark.parametrize("index", GETITEM_ERRORS)
def test_getitem_error(index):
    assert_same(lambda t: eval(index, {"x": _x(t).detach(), "t": t}))


# ----- writing: y[index] = value ---------------------------------------------------------------
SETITEM = [
    "y[0] = 5", "y[0] = x[1]", "y[0:2] = x[0]", "y[0:2] = x[0:1]", "y[[0, 1]] = x[0]",
    "y[[0, 1]] = x[0:1]", "y[0] = t.ones(4, dtype=t.float64)", "y[0] = t.tensor(3)",
    "y[0, [1, 2]] = 7", "y[None] = 1", "y[True] = 1", "y[False] = 1", "y[...] = x", "y[:] = x",
    "y[:, :] = 1", "y[0] = t.ones(1, 4)", "y[0] = t.ones(1, 1, 4)", "y[x > 0] = x[x > 0] * 2",
    "y[t.tensor(1)] = 3", "y[1:, 1:] = x[:2, :3]", "y[0][1] = x[0, 0]", "y[:, 1] = x[:, 0]",
    "y.t()[0] = 2", "y[0] = 1.5", "y[[0]] = 2", "y[0] = True", "y[0] = x[0].double()",
    "y[..., 1] = 0", "y[0] = x[0].unsqueeze(0)", "y[0:3] = 0",
]  # fmt: skip


@pytest.mark.parametrize("statement", SETITEM)
def test_setitem(statement):
    def run(t):
        x = _x(t)
        y = x.clone()
        exec(statement, {"x": x, "y": y, "t": t})
        version = y._version
        (y * y).sum().backward()
        return y, y.grad_fn, version, x.grad

    assert_same(run)


SETITEM_ERRORS = [
    "y[[0, 1]] = t.tensor([1, 2])", "y[[0, 1]] = t.ones(2, 4, dtype=t.float64)",
    "y[0] = t.ones(5)", "y[0] = [1, 2, 3, 4]", "y[[0, 1]] = t.ones(3)", "y[x > 0] = t.ones(20)",
    "y[3] = 1",
]  # fmt: skip


@pytest.mark.parametrize("statement", SETITEM_ERRORS)
def test_setitem_error(statement):
    assert_same(lambda t: exec(statement, {"x": _x(t), "y": _x(t).clone(), "t": t}))


# ----- in-place ops on tensors and views -------------------------------------------------------
INPLACE = [
    "t_()", "unsqueeze_(0)", "transpose_(0, 1)", "tril_()", "clamp_(0)", "fill_(t.tensor(1.0))",
    "fill_(2)", "copy_(x)", "masked_fill_(x > 0, 1)", "zero_()", "sigmoid_()", "relu_()",
    "exp_()", "pow_(2)", "add_(x, alpha=2)", "mul_(x)", "div_(2)", "sub_(1)",
    "index_put_((t.tensor([0]),), t.tensor(1.0))",
    "index_put_((t.tensor([0]),), t.tensor(1.0), accumulate=True)",
    "copy_(t.tensor([1, 2, 3, 4]))", "fill_(t.tensor(3))",
]  # fmt: skip


@pytest.mark.parametrize("call", INPLACE)
def test_inplace_on_non_leaf(call):
    def run(t):
        x = _x(t)
        y = x.clone()
        z = eval("y." + call, {"y": y, "x": x, "t": t})
        (y * 2).sum().backward()
        return z is y, y, y.grad_fn, y._version, x.grad

    assert_same(run)


@pytest.mark.parametrize("call", ["squeeze_()", "squeeze_(0)", "squeeze_((0,))"])
def test_squeeze_inplace(call):
    def run(t):
        x = _x(t)
        y = x.clone()[None]
        eval("y." + call, {"y": y})
        y.sum().backward()
        return y, y.grad_fn, y._version, x.grad

    assert_same(run)


@scenario
def setitem_changes_base(t):
    a = t.zeros(2, 3)
    a[0][1] = 7
    a[1][:2] = t.tensor([1.0, 2.0])
    return a, a._version


@scenario
def data_mul_changes_parameter(t):
    p = t.ones(3, requires_grad=True)
    p.data.mul_(0.5)
    p.data[0] = 2
    return p, p.is_leaf, p.requires_grad


@scenario
def inplace_on_leaf_requiring_grad(t):
    t.ones(3, requires_grad=True).add_(1)


@scenario
def inplace_on_view_of_leaf(t):
    t.ones(3, requires_grad=True)[0].add_(1)


@scenario
def setitem_on_leaf(t):
    p = t.ones(3, requires_grad=True)
    p[0] = 1


@scenario
def index_put_on_leaf(t):
    p = t.ones(3, requires_grad=True)
    p[[0]] = 1


@scenario
def view_of_leaf_inplace(t):
    t.ones(3, requires_grad=True).view(3).mul_(2)


@scenario
def inplace_view_op_on_leaf(t):
    t.ones(3, 4, requires_grad=True).t_()


@scenario
def inplace_on_leaf_under_no_grad(t):
    p = t.ones(3, requires_grad=True)
    with t.no_grad():
        p.mul_(2)
        p[0] = 5
    return p, p._version, p.is_leaf


@scenario
def view_regenerated_after_base_write(t):
    x = _x(t)
    y = x.clone()
    z = y[0]
    w = y.t()
    y.mul_(2)
    z.sum().backward(retain_graph=True)
    return z.grad_fn, w.grad_fn, x.grad


@scenario
def view_written_in_place(t):
    x = _x(t)
    y = x.clone()
    z = y[0]
    z.mul_(2)
    y.sum().backward()
    return z.grad_fn, y.grad_fn, x.grad


@scenario
def sibling_view_after_write(t):
    x = _x(t)
    y = x.clone()
    z, w = y[0], y[1]
    z.mul_(2)
    w.sum().backward()
    return w.grad_fn, x.grad


@scenario
def transpose_of_non_leaf_add_(t):
    x = _x(t)
    y = x * 1
    z = y.t()
    z.add_(1)
    (y * y).sum().backward()
    return z.grad_fn, y.grad_fn, x.grad


@scenario
def view_of_leaf_after_no_grad_write(t):
    x = _x(t)
    v = x[0]
    with t.no_grad():
        x.mul_(2)
    v.sum().backward()
    return v.grad_fn, x.grad


@scenario
def inplace_into_tensor_without_grad(t):
    x = _x(t)
    z = t.zeros(3, 4)
    v = z[0]
    v.add_(x[0])
    structure = (z.grad_fn, v.grad_fn, z.requires_grad, v.requires_grad)
    z.sum().backward()
    w = t.zeros(3, 4)
    w.add_(x)
    return structure, x.grad, w.grad_fn, w.is_leaf


@scenario
def inplace_view_op_on_view(t):
    x = _x(t)
    y = x.clone()
    v = y.t()
    v.t_()
    first = (v.grad_fn, y.grad_fn, tuple(v.shape), v._version)
    v.mul_(2)
    y.sum().backward()
    return first, v.grad_fn, y.grad_fn, x.grad


@scenario
def no_grad_view_properties(t):
    x = _x(t)
    with t.no_grad():
        v = x[0]
    return v.requires_grad, v.grad_fn, v.is_leaf, v._base is x, v._is_view()


@scenario
def no_grad_view_written_with_grad(t):
    y = _x(t).clone()
    with t.no_grad():
        w = y[0]
    w.mul_(2)


@scenario
def no_grad_view_read_after_write(t):
    y = _x(t).clone()
    with t.no_grad():
        w = y[0]
        w.mul_(2)
    return w.grad_fn


@scenario
def unbind_output_written(t):
    a, b, c = _x(t).clone().unbind()
    a.mul_(2)


@scenario
def split_output_after_base_write(t):
    y = _x(t).clone()
    a, b = y.split(2)
    y.mul_(2)
    return a.grad_fn


@scenario
def inference_view_written(t):
    y = _x(t).clone()
    with t.inference_mode():
        w = y[0]
    w.mul_(2)


@scenario
def view_facts(t):
    x = t.zeros(3, 4)
    v = x[0]
    facts = (v._base is x, x[0].detach()._is_view(), x._is_view(), v._is_view(), v[0]._base is x)
    x.requires_grad_()
    return facts, v.requires_grad, v.grad_fn


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name):
    assert_same(SCENARIOS[name])
