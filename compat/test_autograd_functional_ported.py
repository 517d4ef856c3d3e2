"""Ports of PyTorch's test/autograd/test_functional.py: vjp, jvp, jacobian, hessian, vhp, hvp.

Each scenario restates one torch test (instantiated cases such as vectorize=True/False become
separate tests) and runs in both real torch and torchlike: values, structures, grad_fn names,
error types and messages must agree. Where torch runs gradcheck/gradgradcheck on a
create_graph=True result, the port compares first and second derivatives with torch's.
"""

from __future__ import annotations

from test_autograd_ported import data, make_port

port = make_port(globals())
DETACH_TRACED = (
    "Tensor.detach() on a tensor wrapping a JAX tracer does not stop the gradient, so "
    "functional transforms differentiate through it (torchlike/_tensor.py Tensor.detach needs "
    "jax.lax.stop_gradient)"
)


def attempt(call):
    """What a call shows: ("ok", result) or ("error", type name, message)."""
    try:
        return ("ok", call())
    except Exception as error:  # noqa: BLE001 - the error is the observable outcome
        return ("error", type(error).__name__, str(error))


def flat(value):
    """The tensors of a nested tuple result, in order."""
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in flat(item)]
    return [value]


def shown(t, value):
    """A create_graph result as torch's tests check it: values, requires_grad and whether a
    grad_fn exists (its class name is an implementation detail that changes across releases)."""
    if isinstance(value, tuple | list):
        return tuple(shown(t, item) for item in value)
    if isinstance(value, t.Tensor):
        return (value.detach(), value.requires_grad, value.grad_fn is not None)
    return value


def derivatives(t, result, inputs, second=True):
    """First and (with second=True) second derivatives of a function of result w.r.t. inputs:
    what gradcheck and gradgradcheck differentiate, as both libraries compute them."""
    total = sum(leaf.cos().sum() for leaf in flat(result))
    first = t.autograd.grad(total, inputs, create_graph=second, allow_unused=True)
    if not second:
        return first
    second_total = sum(g.sin().sum() for g in first if g is not None and g.requires_grad)
    if not isinstance(second_total, t.Tensor):
        return shown(t, first), None
    second = t.autograd.grad(second_total, inputs, allow_unused=True)
    return shown(t, first), second


def narrow3(a):
    return 3 * a.narrow(0, 0, 3)


def narrow3_with_string(a):
    return 3 * a.narrow(0, 0, 3), "bar"


def narrow_exp_sum(a):
    return 3 * a.narrow(0, 0, 3).exp().sum()


def detached(a):
    return a.detach()


def unconnected(a):
    # a non-leaf that requires grad but is not connected to the input
    return a.long().float().requires_grad_().clone()


def row_sum(x):
    return x.sum(dim=1)


def adder(x, y):
    return 2 * x + 3 * y


def adder_pair(x, y):
    return 2 * x + 3 * y, x + y


def expander(x):
    return x.unsqueeze(0).repeat(4)


# ----- vjp ---------------------------------------------------------------------------------------
@port
def vjp_err_check__port_of_TestAutogradFunctional_test_vjp_err_check(t):
    inp, v = data(t, 4, low=0.0), t.ones(3)
    vjp = t.autograd.functional.vjp
    return [
        attempt(lambda: vjp(narrow3, (inp, 2), v)),
        attempt(lambda: vjp(narrow3_with_string, inp, v)),
        attempt(lambda: vjp(narrow3, inp)),
        attempt(lambda: vjp(narrow3, inp, (t.ones_like(inp), t.ones_like(inp)))),
        attempt(lambda: vjp(narrow3, inp, v[:2])),
        attempt(lambda: vjp(narrow3, inp, v)),
    ]


@port
def vjp_err_check_strict__port_of_TestAutogradFunctional_test_vjp_err_check_strict(t):
    inp, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    vjp = t.autograd.functional.vjp
    results = [
        attempt(lambda: vjp(detached, inp, v, strict=True)),
        attempt(lambda: vjp(unconnected, inp, v, strict=True)),
        attempt(lambda: vjp(unconnected, inp, v, strict=False)),
    ]
    inp.requires_grad_()
    results.append(attempt(lambda: vjp(lambda a: a.clone(), inp, v, create_graph=True,
                                       strict=True)))  # fmt: skip
    results.append(attempt(lambda: vjp(lambda a: a.clone(), inp, v, create_graph=True)[1]))
    return results


@port(xfail=DETACH_TRACED)
def vjp_err_check_strict_detached__port_of_TestAutogradFunctional_test_vjp_err_check_strict(t):
    return t.autograd.functional.vjp(detached, data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0))


@port
def vjp_no_grad__port_of_TestAutogradFunctional_test_vjp_no_grad(t):
    inputs, v = data(t, 4, 4, low=0.0), t.ones(4)
    with t.no_grad():
        res = t.autograd.functional.vjp(row_sum, inputs, v)
    inputs.requires_grad_()
    v.requires_grad_()
    with t.no_grad():
        res_graph = t.autograd.functional.vjp(row_sum, inputs, v, create_graph=True)
    return res, [r.grad_fn is not None for r in res_graph], res_graph[1].detach()


@port
def vjp_output__port_of_TestAutogradFunctional_test_vjp_output(t):
    vjp = t.autograd.functional.vjp
    single = vjp(row_sum, data(t, 4, 4, low=0.0), t.ones(4))
    pair = vjp(adder, (data(t, 2, low=0.0), data(t, 2, seed=1, low=0.0)), t.ones(2))
    v = (t.tensor([1.0, 0.0]), t.tensor([1.0, 0.0]))
    two = vjp(adder_pair, (data(t, 2, low=0.0), data(t, 2, seed=1, low=0.0)), v)
    return single, pair, two


@port
def vjp_scalar__port_of_TestAutogradFunctional_test_vjp_scalar(t):
    vjp = t.autograd.functional.vjp
    inputs = data(t, 4, 4, low=0.0)
    return (vjp(lambda x: x.sum(), inputs, t.ones([])), vjp(lambda x: x.sum(), inputs),
            vjp(expander, t.tensor(0.5), t.ones(4)))  # fmt: skip


@port
def vjp_create_graph__port_of_TestAutogradFunctional_test_vjp_create_graph(t):
    inputs = data(t, 2, 2, dtype=t.double, low=0.0, requires_grad=True)
    v = t.ones(2, dtype=t.double, requires_grad=True)
    res = t.autograd.functional.vjp(row_sum, inputs, v, create_graph=True)
    return [r.grad_fn is not None for r in res], derivatives(t, res, (inputs, v))


@port
def vjp_create_graph_tuple__port_of_TestAutogradFunctional_test_vjp_create_graph(t):
    def mixed(x, y):
        return 2 * x + 3 * y, x * y

    inputs = (data(t, 2, dtype=t.double, low=0.0, requires_grad=True),
              data(t, 2, seed=1, dtype=t.double, low=0.0, requires_grad=True))  # fmt: skip
    v = (t.tensor([1.0, 0.0], dtype=t.double, requires_grad=True),
         t.tensor([1.0, 0.0], dtype=t.double, requires_grad=True))  # fmt: skip
    res = t.autograd.functional.vjp(mixed, inputs, v, create_graph=True)[1]

    def outer(x, y, *vs):
        val, grad = t.autograd.functional.vjp(mixed, (x.cos(), y), vs, create_graph=True)
        return val[0].exp() + val[1].exp() + grad[0].exp() + grad[1].exp() + y.exp()

    return (
        shown(t, res),
        derivatives(t, res, inputs + v),
        derivatives(t, outer(*inputs, *v), inputs + v),
    )


# ----- jvp ---------------------------------------------------------------------------------------
@port
def jvp_err_check__port_of_TestAutogradFunctional_test_jvp_err_check(t):
    inp, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    jvp = t.autograd.functional.jvp
    return [
        attempt(lambda: jvp(narrow3, (inp, 2), v)),
        attempt(lambda: jvp(narrow3_with_string, inp, v)),
        attempt(lambda: jvp(narrow3, inp)),
        attempt(lambda: jvp(narrow3, inp, (v, v))),
        attempt(lambda: jvp(narrow3, inp, v[:2])),
        attempt(lambda: jvp(narrow3, inp, v)),
    ]


@port
def jvp_err_check_strict__port_of_TestAutogradFunctional_test_jvp_err_check_strict(t):
    inp, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    jvp = t.autograd.functional.jvp
    results = [
        attempt(lambda: jvp(detached, inp, v, strict=True)),
        attempt(lambda: jvp(unconnected, inp, v, strict=True)),
        attempt(lambda: jvp(unconnected, inp, v, strict=False)),
    ]
    inp.requires_grad_()
    results.append(attempt(lambda: jvp(lambda a: a.clone(), inp, v, create_graph=True,
                                       strict=True)))  # fmt: skip
    results.append(attempt(lambda: jvp(lambda a: a.clone(), inp, v, create_graph=True)[1]))
    return results


@port(xfail=DETACH_TRACED)
def jvp_err_check_strict_detached__port_of_TestAutogradFunctional_test_jvp_err_check_strict(t):
    return t.autograd.functional.jvp(detached, data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0))


@port
def jvp_no_grad__port_of_TestAutogradFunctional_test_jvp_no_grad(t):
    inputs, v = data(t, 4, 4, low=0.0), t.ones(4, 4)
    with t.no_grad():
        res = t.autograd.functional.jvp(row_sum, inputs, v)
    inputs.requires_grad_()
    v.requires_grad_()
    with t.no_grad():
        res_graph = t.autograd.functional.jvp(row_sum, inputs, v, create_graph=True)
    return res, [r.grad_fn is not None for r in res_graph], res_graph[1].detach()


@port
def jvp_output__port_of_TestAutogradFunctional_test_jvp_output(t):
    jvp = t.autograd.functional.jvp
    single = jvp(row_sum, data(t, 4, 4, low=0.0), t.ones(4, 4))
    pair = jvp(adder, (data(t, 2, low=0.0), data(t, 2, seed=1, low=0.0)), (t.ones(2), t.ones(2)))
    v = (t.tensor([1.0, 0.0]), t.tensor([1.0, 0.0]))
    two = jvp(adder_pair, (data(t, 2, low=0.0), data(t, 2, seed=1, low=0.0)), v)
    return single, pair, two


@port
def jvp_scalar__port_of_TestAutogradFunctional_test_jvp_scalar(t):
    jvp = t.autograd.functional.jvp
    return (jvp(lambda x: x.sum(), data(t, 4, 4, low=0.0), t.ones(4, 4)),
            jvp(expander, t.tensor(0.5), t.ones([])), jvp(expander, t.tensor(0.5)))  # fmt: skip


@port
def jvp_create_graph__port_of_TestAutogradFunctional_test_jvp_create_graph(t):
    inputs = data(t, 2, 2, dtype=t.double, low=0.0, requires_grad=True)
    v = t.ones(2, 2, dtype=t.double, requires_grad=True)
    res = t.autograd.functional.jvp(row_sum, inputs, v, create_graph=True)
    return [r.grad_fn is not None for r in res], derivatives(t, res, (inputs, v))


@port
def jvp_create_graph_tuple__port_of_TestAutogradFunctional_test_jvp_create_graph(t):
    def mixed(x, y):
        return 2 * x + 3 * y, x * y

    inputs = (data(t, 2, dtype=t.double, low=0.0, requires_grad=True),
              data(t, 2, seed=1, dtype=t.double, low=0.0, requires_grad=True))  # fmt: skip
    v = (t.tensor([1.0, 0.0], dtype=t.double, requires_grad=True),
         t.tensor([1.0, 0.0], dtype=t.double, requires_grad=True))  # fmt: skip
    res = t.autograd.functional.jvp(mixed, inputs, v, create_graph=True)[1]

    def outer(x, y, *vs):
        val, grad = t.autograd.functional.jvp(mixed, (x.cos(), y), vs, create_graph=True)
        return val[0].exp() + val[1].exp() + grad[0].exp() + grad[1].exp() + y.exp()

    return (
        shown(t, res),
        derivatives(t, res, inputs + v),
        derivatives(t, outer(*inputs, *v), inputs + v),
    )


@port
def jacobian_match_vjp_jvp__port_of_TestAutogradFunctional_test_jacobian_match_vjp_jvp(t):
    def foo(x):
        return x**3 + x.sum()

    inputs, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    jac = t.autograd.functional.jacobian(foo, inputs)
    jvp = t.autograd.functional.jvp(foo, inputs, v)[1]
    vjp = t.autograd.functional.vjp(foo, inputs, v)[1]
    return jac, jvp, vjp, t.mm(jac, v.unsqueeze(1)).squeeze(1), t.mm(v.unsqueeze(0), jac)


@port
def hessian_match_vhp_hvp__port_of_TestAutogradFunctional_test_hessian_match_vhp_hvp(t):
    inputs, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    hes = t.autograd.functional.hessian(narrow_exp_sum, inputs)
    hvp = t.autograd.functional.hvp(narrow_exp_sum, inputs, v)[1]
    vhp = t.autograd.functional.vhp(narrow_exp_sum, inputs, v)[1]
    return hes, hvp, vhp, t.mm(hes, v.unsqueeze(1)).squeeze(1)
