"""torchlike.compile against PyTorch: a compiled training step gives torch's eager values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike as tl


def twin_tiny_models(dim_in=1000, hidden=100, dim_out=10):
    """The tutorial's TinyModel in torch and torchlike with identical weights."""
    rng = np.random.default_rng(0)
    shapes = [(hidden, dim_in), (hidden,), (dim_out, hidden), (dim_out,)]
    weights = [rng.uniform(-0.03, 0.03, shape).astype(np.float32) for shape in shapes]
    models = []
    for lib in (torch, tl):
        model = lib.nn.Sequential(
            lib.nn.Linear(dim_in, hidden), lib.nn.ReLU(), lib.nn.Linear(hidden, dim_out)
        )
        with lib.no_grad():
            for param, w in zip(model.parameters(), weights):
                param.copy_(lib.tensor(w))
        models.append(model)
    return models


def make_step(lib, model, opt):
    def step(x, ideal):
        opt.zero_grad()
        loss = (ideal - model(x)).pow(2).sum()
        loss.backward()
        opt.step()
        return loss

    return step


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_compiled_tiny_model_step_matches_torch_eager(momentum):
    theirs, ours = twin_tiny_models()
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.001, momentum=momentum)
    our_opt = tl.optim.SGD(ours.parameters(), lr=0.001, momentum=momentum)
    their_step = make_step(torch, theirs, their_opt)
    our_step = tl.compile(make_step(tl, ours, our_opt))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 1000), dtype=np.float32)
    ideal = rng.standard_normal((16, 10), dtype=np.float32)
    for _ in range(5):
        their_loss = their_step(torch.tensor(x), torch.tensor(ideal))
        our_loss = our_step(tl.tensor(x), tl.tensor(ideal))
        np.testing.assert_allclose(float(our_loss), float(their_loss.detach()), rtol=1e-5)
    for ours_p, theirs_p in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            ours_p.detach().numpy(), theirs_p.detach().numpy(), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_compiled_module_forward_and_backward_match_torch():
    theirs, ours = twin_tiny_models(12, 7, 3)
    x = np.random.default_rng(2).standard_normal((5, 12), dtype=np.float32)
    their_out = torch.compile(theirs, backend="eager")(torch.tensor(x))
    our_out = tl.compile(ours)(tl.tensor(x))
    np.testing.assert_allclose(our_out.detach().numpy(), their_out.detach().numpy(), rtol=1e-6)
    their_out.pow(2).sum().backward()
    our_out.pow(2).sum().backward()
    for ours_p, theirs_p in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=1e-5, atol=1e-6)


def error_of(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the test compares whatever was raised
        return isinstance(error, RuntimeError), str(error)
    return None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "default", "options": {}},
        {"mode": "fastest"},
        {"backend": "no-such-backend"},
    ],
    ids=["mode-and-options", "unknown-mode", "unknown-backend"],
)
def test_argument_errors_match_torch(kwargs):
    def f(x):
        return x + 1

    their_error = error_of(lambda: torch.compile(f, **kwargs)(torch.ones(2)))
    our_error = error_of(lambda: tl.compile(f, **kwargs)(tl.ones(2)))
    assert their_error is not None
    assert our_error == their_error


def test_compile_signature_accepts_torchs_keywords():
    import inspect

    theirs = inspect.signature(torch.compile).parameters
    ours = inspect.signature(tl.compile).parameters
    assert list(ours) == list(theirs)
    for name in theirs:
        if name not in ("backend",):
            assert ours[name].default == theirs[name].default, name


def test_optimized_module_state_dict_and_repr_match_torch():
    theirs, ours = twin_tiny_models(4, 3, 2)
    their_compiled, our_compiled = torch.compile(theirs, backend="eager"), tl.compile(ours)
    assert list(our_compiled.state_dict()) == list(their_compiled.state_dict())
    assert type(our_compiled).__name__ == type(their_compiled).__name__ == "OptimizedModule"
    assert repr(our_compiled) == repr(their_compiled)
