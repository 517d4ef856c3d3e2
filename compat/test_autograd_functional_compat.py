"""torch.autograd.functional against real torch: output structures, values, create_graph,
strict-mode and argument errors, and Python control flow inside the differentiated function."""

from __future__ import annotations

import pytest
from test_autograd_compat import assert_same

CASES: dict = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def _x(t, requires_grad=False):
    return t.tensor([1.0, 2.0], requires_grad=requires_grad)


def _y(t):
    return t.tensor([3.0, 4.0, 5.0])


# ----- structures and values -------------------------------------------------------------------
@case
def jacobian_tensor(t):
    return t.autograd.functional.jacobian(lambda a: a**2, _x(t))


@case
def jacobian_tuple_inputs(t):
    return t.autograd.functional.jacobian(lambda a, b: (a * 2).sum() * b, (_x(t), _y(t)))


@case
def jacobian_tuple_outputs(t):
    return t.autograd.functional.jacobian(lambda a, b: (a * 2, b.sum()), (_x(t), _y(t)))


@case
def jacobian_tuple_outputs_tensor_input(t):
    return t.autograd.functional.jacobian(lambda a: (a * 2, a.sum()), _x(t))


@case
def jacobian_scalar_output(t):
    return t.autograd.functional.jacobian(lambda a: a.sum(), _x(t))


@case
def jacobian_matrix(t):
    w = t.tensor([[2.0, -1.0], [0.0, 1.0]])
    x = t.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    return t.autograd.functional.jacobian(lambda a: a @ w.T + 1, x, vectorize=True)


@case
def jacobian_strategies(t):
    f = t.autograd.functional
    forward = f.jacobian(lambda a: a.sin(), _x(t), vectorize=True, strategy="forward-mode")
    return f.jacobian(lambda a: a.sin(), _x(t), vectorize=True), forward


@case
def jacobian_independent_output(t):
    return t.autograd.functional.jacobian(lambda a: t.ones(2), _x(t))


@case
def hessian_tensor(t):
    return t.autograd.functional.hessian(lambda a: (a**3).sum(), _x(t))


@case
def hessian_tuple(t):
    f = lambda a, b: (a**2).sum() * b.sum()  # noqa: E731
    return t.autograd.functional.hessian(f, (_x(t), _y(t)))


@case
def hessian_forward_outer(t):
    x = _x(t)
    h = t.autograd.functional.hessian(lambda a: (a**3).sum(), x, vectorize=True,
                                      outer_jacobian_strategy="forward-mode")  # fmt: skip
    return h.detach(), x.requires_grad


@case
def vjp_cases(t):
    f = t.autograd.functional
    return (f.vjp(lambda a: a**2, _x(t), t.ones(2)), f.vjp(lambda a: (a**2).sum(), _x(t)),
            f.vjp(lambda a, b: (a * b[:2], b * 2), (_x(t), _y(t)), (t.ones(2), t.ones(3))),
            f.vjp(lambda a, b: a * 2, (t.ones(2), t.ones(2)), t.ones(2)))  # fmt: skip


@case
def jvp_cases(t):
    f = t.autograd.functional
    return (f.jvp(lambda a: a**2, _x(t), t.ones(2)),
            f.jvp(lambda a, b: (a * b[:2]).sum(), (_x(t), _y(t)), (t.ones(2), t.ones(3))),
            f.jvp(lambda a: a.exp(), t.tensor([0.5])))  # fmt: skip


@case
def hvp_vhp_cases(t):
    f = t.autograd.functional
    g = lambda a, b: (a**2).sum() * b.sum()  # noqa: E731
    return (f.hvp(lambda a: (a**3).sum(), _x(t), t.ones(2)),
            f.vhp(lambda a: (a**3).sum(), _x(t), t.ones(2)),
            f.hvp(g, (_x(t), _y(t)), (t.ones(2), t.ones(3))),
            f.vhp(g, (_x(t), _y(t)), (t.ones(2), t.ones(3))))  # fmt: skip


# ----- create_graph ----------------------------------------------------------------------------
@case
def create_graph_results(t):
    f = t.autograd.functional
    x = _x(t, requires_grad=True)
    return (f.jacobian(lambda a: a**2, _x(t), create_graph=True).requires_grad,
            f.jacobian(lambda a: a**2, x).requires_grad,
            f.jacobian(lambda a: a**2, x, create_graph=True).requires_grad,
            [r.requires_grad for r in f.vjp(lambda a: a**2, x, t.ones(2), create_graph=True)],
            f.hessian(lambda a: (a**3).sum(), x, create_graph=True).requires_grad)  # fmt: skip


@case
def create_graph_differentiable(t):
    f = t.autograd.functional
    x = _x(t, requires_grad=True)
    f.jacobian(lambda a: a**3, x, create_graph=True).sum().backward()
    first = x.grad.clone()
    x.grad = None
    _, (g,) = f.vjp(lambda a: (a**3).sum(), (x,), create_graph=True)
    g.sum().backward()
    second = x.grad.clone()
    x.grad = None
    _, hv = f.hvp(lambda a: (a**4).sum(), x, t.ones(2), create_graph=True)
    hv.sum().backward()
    return first, second, x.grad


# ----- Python control flow on values -----------------------------------------------------------
@case
def vjp_with_while_loop(t):
    def f(x):
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        return y

    x = t.tensor([0.1, 0.2, 0.3], requires_grad=True)
    return t.autograd.functional.vjp(f, x, t.tensor([0.1, 1.0, 0.0001]))


@case
def jacobian_with_branches(t):
    f = t.autograd.functional
    x = _x(t)
    return (f.jacobian(lambda a: a.sum() if a.sum().item() > 0 else -a.sum(), x),
            f.jacobian(lambda a: a * 2 if a[0] > 0 else a, x),
            f.hvp(lambda a: (a**3).sum() if bool(a[1] > a[0]) else -a, x, t.ones(2)))  # fmt: skip


# ----- strict mode -----------------------------------------------------------------------------
def _two(t):
    return (t.ones(2), t.ones(2))


STRICT = {
    "vjp_linear": lambda f, t: f.vjp(lambda a: a * 2, t.ones(2), t.ones(2), strict=True),
    "vjp_linear_create_graph": lambda f, t: f.vjp(
        lambda a: a * 2, t.ones(2), t.ones(2), strict=True, create_graph=True),
    "vjp_square_create_graph": lambda f, t: f.vjp(
        lambda a: a**2, t.ones(2), t.ones(2), strict=True, create_graph=True),
    "vjp_constant": lambda f, t: f.vjp(lambda a: t.ones(2), t.ones(2), t.ones(2), strict=True),
    "vjp_detached": lambda f, t: f.vjp(lambda a: a.detach(), t.ones(2), t.ones(2), strict=True),
    "vjp_unused_input": lambda f, t: f.vjp(lambda a, b: a * 2, _two(t), t.ones(2), strict=True),
    "vjp_bad_v": lambda f, t: f.vjp(lambda a, b: (a * 2, b * 3), _two(t),
                                    (t.ones(2), t.ones(3)), strict=True),
    "jvp_ok": lambda f, t: f.jvp(lambda a: a**2, t.ones(2), t.ones(2), strict=True),
    "jvp_unused_input": lambda f, t: f.jvp(lambda a, b: a**2, _two(t), _two(t), strict=True),
    "jvp_linear_create_graph": lambda f, t: f.jvp(
        lambda a: a * 2, t.ones(2), t.ones(2), strict=True, create_graph=True),
    "jacobian_ok": lambda f, t: f.jacobian(lambda a: a**2, t.ones(2), strict=True),
    "jacobian_unused": lambda f, t: f.jacobian(lambda a, b: a**2, _two(t), strict=True),
    "jacobian_partly_unused": lambda f, t: f.jacobian(lambda a, b: (a**2, b), _two(t),
                                                      strict=True),
    "jacobian_linear_create_graph": lambda f, t: f.jacobian(
        lambda a: a * 2, t.ones(2), strict=True, create_graph=True),
    "jacobian_vectorized": lambda f, t: f.jacobian(lambda a: a**2, t.ones(2), strict=True,
                                                   vectorize=True),
    "jacobian_constant": lambda f, t: f.jacobian(lambda a: t.ones(2), t.ones(2), strict=True),
    "hessian_ok": lambda f, t: f.hessian(lambda a: (a**3).sum(), t.ones(2), strict=True),
    "hessian_linear": lambda f, t: f.hessian(lambda a: (a * 3).sum(), t.ones(2), strict=True),
    "hessian_separable": lambda f, t: f.hessian(
        lambda a, b: (a**2).sum() + (b**2).sum(), _two(t), strict=True),
    "hessian_square_create_graph": lambda f, t: f.hessian(
        lambda a: (a**2).sum(), t.ones(2), strict=True, create_graph=True),
    "hessian_vectorized": lambda f, t: f.hessian(lambda a: (a**3).sum(), t.ones(2),
                                                 strict=True, vectorize=True),
    "hessian_sum": lambda f, t: f.hessian(lambda a: a.sum(), t.ones(2), strict=True),
    "hvp_ok": lambda f, t: f.hvp(lambda a: (a**3).sum(), t.ones(2), t.ones(2), strict=True),
    "hvp_linear": lambda f, t: f.hvp(lambda a: (a * 3).sum(), t.ones(2), t.ones(2), strict=True),
    "vhp_linear": lambda f, t: f.vhp(lambda a: (a * 3).sum(), t.ones(2), t.ones(2), strict=True),
    "vhp_separable": lambda f, t: f.vhp(
        lambda a, b: (a**2).sum() + (b**2).sum(), _two(t), _two(t), strict=True),
    "hvp_separable": lambda f, t: f.hvp(
        lambda a, b: (a**2).sum() + (b**2).sum(), _two(t), _two(t), strict=True),
    "vhp_square_create_graph": lambda f, t: f.vhp(
        lambda a: (a**2).sum(), t.ones(2), t.ones(2), strict=True, create_graph=True),
    "vhp_cube_create_graph": lambda f, t: f.vhp(
        lambda a: (a**3).sum(), t.ones(2), t.ones(2), strict=True, create_graph=True),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STRICT))
def test_strict(name):
    assert_same(lambda t: STRICT[name](t.autograd.functional, t))


# ----- argument errors -------------------------------------------------------------------------
ERRORS = {
    "bad_strategy": lambda f, t: f.jacobian(lambda a: a, t.ones(2), strategy="bad"),
    "forward_without_vectorize": lambda f, t: f.jacobian(lambda a: a, t.ones(2),
                                                         strategy="forward-mode"),
    "forward_strict": lambda f, t: f.jacobian(lambda a: a, t.ones(2), strict=True,
                                              strategy="forward-mode"),
    "forward_create_graph": lambda f, t: f.jacobian(lambda a: a, t.ones(2), create_graph=True,
                                                    strategy="forward-mode"),
    "hessian_bad_strategy": lambda f, t: f.hessian(lambda a: a.sum(), t.ones(2),
                                                   outer_jacobian_strategy="x"),
    "hessian_forward_without_vectorize": lambda f, t: f.hessian(
        lambda a: (a**2).sum(), t.ones(2), outer_jacobian_strategy="forward-mode"),
    "list_inputs": lambda f, t: f.jacobian(lambda a: a, [t.ones(2)]),
    "tuple_with_number": lambda f, t: f.jacobian(lambda a, b: a, (t.ones(2), 3)),
    "output_is_int": lambda f, t: f.jacobian(lambda a: 3, t.ones(2)),
    "output_is_list": lambda f, t: f.vjp(lambda a: [a], t.ones(2), t.ones(2)),
    "output_tuple_with_number": lambda f, t: f.vjp(lambda a: (a, 1), t.ones(2), t.ones(2)),
    "v_is_list": lambda f, t: f.vjp(lambda a: a, t.ones(2), [t.ones(2)]),
    "vjp_needs_v": lambda f, t: f.vjp(lambda a: a * 2, t.ones(2)),
    "vjp_v_size": lambda f, t: f.vjp(lambda a: a * 2, t.ones(2), t.ones(3)),
    "vjp_v_count": lambda f, t: f.vjp(lambda a: a * 2, t.ones(2), (t.ones(2), t.ones(2))),
    "jvp_needs_v": lambda f, t: f.jvp(lambda a: a * 2, t.ones(2)),
    "jvp_v_size": lambda f, t: f.jvp(lambda a: a * 2, t.ones(2), t.ones(3)),
    "hessian_vector_output": lambda f, t: f.hessian(lambda a: a * 2, t.ones(2)),
    "hessian_tuple_output": lambda f, t: f.hessian(lambda a: ((a**2).sum(),), t.ones(2)),
    "hvp_tuple_output": lambda f, t: f.hvp(lambda a: (a.sum(), a.sum()), t.ones(2), t.ones(2)),
    "hvp_vector_output": lambda f, t: f.hvp(lambda a: a, t.ones(2), t.ones(2)),
    "vhp_needs_v": lambda f, t: f.vhp(lambda a: a.sum(), t.ones(2)),
    "vhp_v_count": lambda f, t: f.vhp(lambda a, b: a.sum(), _two(t), (t.ones(2),)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error(name):
    assert_same(lambda t: ERRORS[name](t.autograd.functional, t))


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name):
    assert_same(CASES[name])
