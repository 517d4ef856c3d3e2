"""torchlike.func on its own: transforms agree with closed forms and with autograd.functional."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
from torchlike.func import functional_call, grad, hessian, jacfwd, jacrev, vjp, vmap


def _x():
    return torch.tensor([0.5, -1.0, 2.0])


def test_grad_matches_closed_form():
    x = _x()
    got = grad(lambda a: (a.sin() * a).sum())(x)
    want = x.cos() * x + x.sin()
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_jacobians_agree_with_autograd_functional():
    x = _x()

    def f(a):
        return a.exp() * a.sum()

    want = torch.autograd.functional.jacobian(f, x).numpy()
    np.testing.assert_allclose(jacrev(f)(x).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(jacfwd(f)(x).numpy(), want, rtol=1e-6)


def test_hessian_is_symmetric_and_exact():
    x = _x()
    h = hessian(lambda a: (a**3).sum() + a[0] * a[1])(x).numpy()
    want = np.diag(6 * x.numpy())
    want[0, 1] = want[1, 0] = 1.0
    np.testing.assert_allclose(h, want, rtol=1e-6)


def test_recording_is_off_inside_transforms():
    seen = []

    def f(a):
        seen.append((torch.is_grad_enabled(), (a * 2).grad_fn))
        return (a * 2).sum()

    grad(f)(torch.ones(2, requires_grad=True))
    vmap(f)(torch.ones(3, 2))
    assert seen == [(False, None), (False, None)]


def test_vjp_returns_one_gradient_per_primal():
    out, fn = vjp(lambda a, b: a * b, _x(), torch.ones(3))
    ga, gb = fn(torch.ones(3))
    np.testing.assert_allclose(ga.numpy(), np.ones(3))
    np.testing.assert_allclose(gb.numpy(), _x().numpy())


def test_vmap_matches_a_python_loop():
    xs = torch.tensor(np.arange(12.0).reshape(4, 3))
    w = torch.tensor([1.0, -1.0, 2.0])
    got = vmap(lambda a, b: (a * b).sum() + a.max(), in_dims=(0, None))(xs, w)
    want = [float((row * w).sum() + row.max()) for row in xs]
    np.testing.assert_allclose(got.numpy(), want)


def test_vmap_randomness_different_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="randomness='different'"):
        vmap(lambda a: a, randomness="different")


def test_functional_call_restores_parameters_after_an_error():
    model = torch.nn.Linear(3, 2)
    weight = model.weight

    with pytest.raises(RuntimeError):
        functional_call(model, {"weight": torch.ones(5, 5)}, (torch.ones(3),))
    assert model.weight is weight
    assert functional_call(model, {"bias": torch.zeros(2)}, (torch.zeros(3),)).abs().sum() == 0


def test_linalg_error_is_a_runtime_error():
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(torch.linalg.LinAlgError, match="singular"):
        torch.linalg.inv(torch.zeros(2, 2))


def test_linalg_checks_skip_traced_values():
    """Singularity checks read values, so inside a transform they are skipped, not crashed."""
    out = vmap(torch.linalg.inv)(torch.eye(2).expand(3, 2, 2))
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(np.eye(2), (3, 2, 2)))
