"""Ports of PyTorch's TestAutograd tests on graph structure, requires_grad and in-place ops.

Same harness as test_autograd_ported: each scenario runs in torch and torchlike and the
observable results (values, grads, grad_fn names, errors, warnings) must agree.
"""

from __future__ import annotations

from test_autograd_ported import data, make_port

port = make_port(globals())


# ----- graph structure, requires_grad ------------------------------------------------------------
@port
def next_functions__port_of_TestAutograd_test_next_functions(t):
    x = data(t, 5, 5, requires_grad=True)
    y = data(t, 5, 5, seed=1, requires_grad=True)
    a = x + y
    b = a + 5
    nexts = b.grad_fn.next_functions
    return a.grad_fn, [nr for _, nr in a.grad_fn.next_functions], nexts[0][0] is a.grad_fn, nexts


@port
def requires_grad__port_of_TestAutograd_test_requires_grad(t):
    x = data(t, 5, 5)
    y = data(t, 5, 5, seed=1)
    z = data(t, 5, 5, seed=2, requires_grad=True)
    a = x + y
    b = a + z
    b.backward(t.ones(5, 5))
    return a.requires_grad, b.requires_grad, z.grad, x.grad


@port
def requires_grad___port_of_TestAutograd_test_requires_grad_(t):
    x = data(t, 5, 5)
    y = data(t, 5, 5, seed=1, requires_grad=True)
    same = [x is x.requires_grad_(), x.requires_grad, y is y.requires_grad_(), y.requires_grad]
    same += [x is x.requires_grad_(True), y is y.requires_grad_(True)]
    z = x * y
    same += [z is z.requires_grad_(), z is z.requires_grad_(True), z.requires_grad]
    same += [x is x.requires_grad_(False), x.requires_grad, y is y.requires_grad_(False)]
    return same, y.requires_grad


@port
def requires_grad_non_leaf_false__port_of_TestAutograd_test_requires_grad_(t):
    x = data(t, 5, 5)
    y = data(t, 5, 5, seed=1, requires_grad=True)
    (x * y).requires_grad_(False)


@port
def requires_grad_inplace__port_of_TestAutograd_test_requires_grad_inplace(t):
    a = data(t, 5, 5)
    b = data(t, 5, 5, seed=1, requires_grad=True)
    a += b
    c = data(t, 5, 5) + 0
    c += b
    return a.requires_grad, a.grad_fn, c.requires_grad, c.grad_fn


@port
def no_requires_grad_inplace__port_of_TestAutograd_test_no_requires_grad_inplace(t):
    a = data(t, 2, 3)
    a.add_(5)
    a.requires_grad = True
    a.sum().backward()
    b = data(t, 2, 3)
    view = b[:]
    view.add_(5)
    b.requires_grad = True
    b.sum().backward()
    return a.grad, b.grad


@port
def no_requires_grad_inplace_leaf_error__port_of_TestAutograd_test_no_requires_grad_inplace(t):
    a = data(t, 2, 3)
    a.requires_grad = True
    a.add_(5)


@port
def no_requires_grad_inplace_view_error__port_of_TestAutograd_test_no_requires_grad_inplace(t):
    a = data(t, 2, 3)
    b = a[:]
    a.requires_grad = True
    b.add_(5)


@port
def attribute_deletion_grad__port_of_TestAutograd_test_attribute_deletion(t):
    x = data(t, 5, 5, requires_grad=True)
    x.sum().backward()
    del x.grad
    return x.grad


@port
def attribute_deletion_data__port_of_TestAutograd_test_attribute_deletion(t):
    x = data(t, 5, 5, requires_grad=True)
    x.data = None


@port
def inplace__port_of_TestAutograd_test_inplace(t):
    x = t.ones(5, 5, requires_grad=True)
    y = (t.ones(5, 5) * 4).requires_grad_(True)
    z = x * y
    q = z + y
    w = z * y
    z.add_(2)
    q.backward(t.ones(5, 5), retain_graph=True)
    first = (x.grad.clone(), y.grad.clone(), z._version)
    w.backward(t.ones(5, 5))
    return first


@port
def inplace_chain__port_of_TestAutograd_test_inplace(t):
    x = t.ones(5, 5, requires_grad=True)
    y = (t.ones(5, 5) * 4).requires_grad_(True)
    m = x / 2
    z = m + y / 8
    q = z * y
    r = z + y
    prev_version = z._version
    w = z.exp_()
    changed = z._version != prev_version
    r.backward(t.ones(5, 5), retain_graph=True)
    after_r = x.grad.clone()
    w.backward(t.ones(5, 5), retain_graph=True)
    after_w = x.grad.clone()
    try:
        q.backward(t.ones(5, 5))
    except RuntimeError as error:
        return changed, after_r, after_w, str(error), w.grad_fn
    return changed, after_r, after_w, None, w.grad_fn


@port
def inplace_leaf_clone__port_of_TestAutograd_test_inplace(t):
    leaf = t.ones(5, 5, requires_grad=True)
    x = leaf.clone()
    x.add_(10)
    y = x + 2
    y.backward(t.ones(5, 5))
    z = x * y
    x.add_(2)
    first = (x, leaf.grad.clone())
    z.backward(t.ones(5, 5))
    return first


@port
def unused_output__port_of_TestAutograd_test_unused_output(t):
    x = data(t, 10, 10, requires_grad=True)
    o = x.chunk(5)[2] * 4 + 2
    o.sum().backward()
    first = x.grad.clone()
    with t.no_grad():
        x.grad.zero_()
    x.chunk(5)[0].backward(data(t, 2, 10, seed=1))
    return first, x.grad


@port
def no_unnecessary_save__port_of_TestAutograd_test_no_unnecessary_save(t):
    mu = t.ones(1, requires_grad=True)
    x = t.empty(1)
    loss = 0
    for i in range(3):
        x.detach_()
        x.copy_(mu + i)
        loss += (x * t.tensor([float(i)])).sum()
    loss.backward()
    return mu.grad, loss


@port
def index_backward_does_not_save_tensor__port_of_TestAutograd_test_index_backward_does_not_save_tensor(  # noqa: E501
    t,
):
    a = t.tensor([1.0, 0, 0])
    b = t.zeros(3, requires_grad=True)
    tensor = b + 0
    tensor[a != 0] = tensor[a != 0]
    tensor.backward(t.zeros_like(tensor))
    return b.grad, tensor.grad_fn


@port
def unbind__port_of_TestAutograd_test_unbind(t):
    stacked = data(t, 3, 4, 4, requires_grad=True)
    x, y, z = stacked.unbind()
    grad = data(t, 3, 4, 4, seed=1)
    t.autograd.backward([x, y, z], grad.unbind())
    singles = []
    for i in range(3):
        s = data(t, 3, 4, 4, requires_grad=True)
        singles.append(t.autograd.grad(s.unbind()[i], s, grad.unbind()[i]))
    return stacked.grad, singles


@port
def stack__port_of_TestAutograd_test_stack(t):
    x, y, z = (data(t, 4, 4, seed=i, requires_grad=True) for i in range(3))
    stacked = t.stack([x, y, z], 0)
    stacked.backward(data(t, 3, 4, 4, seed=3))
    return stacked.grad_fn, x.grad, y.grad, z.grad


@port
def diagonal_expanded_v__port_of_TestAutograd_test_diagonal_expanded_v(t):
    v_expanded = t.tensor(0.25).expand(10)
    a = data(t, 10, 10, dtype=t.double, requires_grad=True)
    return t.autograd.grad(a.diagonal(), a, v_expanded)


@port
def select_expanded_v__port_of_TestAutograd_test_select_expanded_v(t):
    v_expanded = data(t, 6).expand(6, 6)
    a = data(t, 6, 6, 6, seed=1, requires_grad=True)
    return t.autograd.grad(a[0], a, v_expanded)


@port
def slice_expanded_v__port_of_TestAutograd_test_slice_expanded_v(t):
    v_expanded = data(t, 6, 1).expand(2, 6, 6)
    a = data(t, 6, 6, 6, seed=1, requires_grad=True)
    return t.autograd.grad(a[3:5], a, v_expanded)


@port
def setitem__port_of_TestAutograd_test_setitem(t):
    results = []
    for size, index in (
        ((5, 5), 1),
        ((5, 5), ([0, 4], [2, 2])),
        ((5, 5, 5), ([1, 3], [2, 4], slice(None))),
    ):
        x = t.ones(*size, requires_grad=True)
        y = x + 2
        version = y._version
        y[index] = 2
        y.backward(t.ones(*size))
        results.append((y._version != version, x.grad, y.grad_fn))
    return results
