"""Ports of PyTorch's test/autograd/test_functional.py: vhp and hvp.

Same harness as test_autograd_functional_ported: both libraries run each scenario and must
agree on values, structures, error types and messages.
"""

from __future__ import annotations

from test_autograd_functional_ported import (
    attempt,
    derivatives,
    narrow3,
    narrow3_with_string,
    narrow_exp_sum,
    shown,
    unconnected,
)
from test_autograd_functional_ported_hessian import narrow_pair_exp_sum, pair_narrow_sum
from test_autograd_ported import data, make_port

port = make_port(globals())


# ----- vhp and hvp -------------------------------------------------------------------------------
def _product_err_check(t, name):
    product = getattr(t.autograd.functional, name)
    inp, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    pair = (inp, data(t, 5, seed=2, low=0.0))
    return [
        attempt(lambda: product(narrow_exp_sum, (inp, 2), v)),
        attempt(lambda: product(narrow3_with_string, inp, v)),
        attempt(lambda: product(narrow3, inp, v)),
        attempt(lambda: product(narrow_exp_sum, inp, data(t, 5, low=0.0))),
        attempt(lambda: product(narrow_exp_sum, inp, (v, 2))),
        attempt(lambda: product(narrow_exp_sum, inp, v)),
        attempt(lambda: product(pair_narrow_sum, pair, (v, data(t, 5, seed=3, low=0.0)))),
    ]


@port
def vhp_err_check__port_of_TestAutogradFunctional_test_vhp_err_check(t):
    return _product_err_check(t, "vhp")


@port
def hvp_err_check__port_of_TestAutogradFunctional_test_hvp_err_check(t):
    return _product_err_check(t, "hvp")


def _product_err_check_strict(t, name):
    product = getattr(t.autograd.functional, name)
    inp, v = data(t, 4, low=0.0), data(t, 4, seed=1, low=0.0)
    return [
        attempt(lambda: product(lambda a: a.detach().sum(), inp, v, strict=True)),
        attempt(lambda: product(lambda a: unconnected(a).sum(), inp, v, strict=True)),
        attempt(lambda: product(lambda a: unconnected(a).sum(), inp, v, strict=False)),
        attempt(lambda: product(lambda a: (3 * a).sum(), inp, v, strict=True)),
        attempt(lambda: product(lambda a: (3 * a).sum(), inp, v, strict=False)),
    ]


@port
def vhp_err_check_strict__port_of_TestAutogradFunctional_test_vhp_err_check_strict(t):
    return _product_err_check_strict(t, "vhp")


@port
def hvp_err_check_strict__port_of_TestAutogradFunctional_test_hvp_err_check_strict(t):
    return _product_err_check_strict(t, "hvp")


def _product_no_grad(t, name):
    product = getattr(t.autograd.functional, name)
    inputs, v = data(t, 4, 4, low=0.0), t.ones(4, 4)
    with t.no_grad():
        res = product(lambda x: x.exp().sum(), inputs, v)
        res_graph = product(lambda x: x.exp().sum(), inputs, v, create_graph=True)
    return res, shown(t, res_graph)


@port
def vhp_no_grad__port_of_TestAutogradFunctional_test_vhp_no_grad(t):
    return _product_no_grad(t, "vhp")


@port
def hvp_no_grad__port_of_TestAutogradFunctional_test_hvp_no_grad(t):
    return _product_no_grad(t, "hvp")


def _product_output(t, name):
    product = getattr(t.autograd.functional, name)
    single = product(narrow_exp_sum, data(t, 4, 4, low=0.0), t.ones(4, 4))
    pair = product(narrow_pair_exp_sum, (data(t, 3, low=0.0), data(t, 4, seed=1, low=0.0)),
                   (t.ones(3), t.ones(4)))  # fmt: skip
    return single, pair


@port
def vhp_output__port_of_TestAutogradFunctional_test_vhp_output(t):
    return _product_output(t, "vhp")


@port
def hvp_output__port_of_TestAutogradFunctional_test_hvp_output(t):
    return _product_output(t, "hvp")


def _product_scalar(t, name):
    product = getattr(t.autograd.functional, name)
    scalar = t.tensor(0.5)
    return (product(lambda x: x.exp().sum(), data(t, 4, 4, low=0.0), t.ones(4, 4)),
            product(lambda x: x.exp().sum(), scalar, t.tensor(0.25)),
            product(lambda x: x.exp().sum(), scalar),
            product(lambda x: x.exp().sum().view(1, 1, 1), data(t, 4, 4, low=0.0),
                    data(t, 4, 4, seed=1, low=0.0)))  # fmt: skip


@port
def vhp_scalar__port_of_TestAutogradFunctional_test_vhp_scalar(t):
    return _product_scalar(t, "vhp")


@port
def hvp_scalar__port_of_TestAutogradFunctional_test_hvp_scalar(t):
    return _product_scalar(t, "hvp")


def _product_create_graph(t, name):
    product = getattr(t.autograd.functional, name)
    inputs = data(t, 4, 4, dtype=t.double, low=0.0, requires_grad=True)
    v = t.ones(4, 4, dtype=t.double, requires_grad=True)
    res = product(narrow_exp_sum, inputs, v, create_graph=True)
    pair = (data(t, 3, dtype=t.double, low=0.0, requires_grad=True),
            data(t, 4, seed=1, dtype=t.double, low=0.0, requires_grad=True))  # fmt: skip
    vs = (t.ones(3, dtype=t.double, requires_grad=True),
          t.ones(4, dtype=t.double, requires_grad=True))  # fmt: skip
    res_pair = product(narrow_pair_exp_sum, pair, vs, create_graph=True)
    return (shown(t, res), derivatives(t, res, (inputs, v), second=False), shown(t, res_pair),
            derivatives(t, res_pair[1], pair + vs, second=False))  # fmt: skip


@port
def vhp_create_graph__port_of_TestAutogradFunctional_test_vhp_create_graph(t):
    return _product_create_graph(t, "vhp")


@port
def hvp_create_graph__port_of_TestAutogradFunctional_test_hvp_create_graph(t):
    return _product_create_graph(t, "hvp")


@port
def jacobian_vectorize_raises_no_warnings__port_of_TestAutogradFunctional_test_jacobian_vectorize_raises_no_warnings(  # noqa: E501
    t,
):
    return t.autograd.functional.jacobian(lambda a: (a**2).sum(), data(t, 3), vectorize=True)


@port
def hessian_vectorize_raises_no_warnings__port_of_TestAutogradFunctional_test_hessian_vectorize_raises_no_warnings(  # noqa: E501
    t,
):
    return t.autograd.functional.hessian(lambda a: (a**2).sum(), data(t, 3), vectorize=True)
