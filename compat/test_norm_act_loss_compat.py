"""Normalization and activation modules against torch: values, gradients, grad_fn names,
running statistics over several training steps then eval, reprs, state_dict keys, errors.
(Losses are in test_loss_compat.py.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike

RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True, scope="module")
def _per_op_kernels_only():
    """Modules here run a handful of steps each: compiling forward kernels and whole-graph
    backward replays (tested in their own files) would cost more than the steps themselves."""
    from torchlike._autograd import compiled
    from torchlike._ops import forward

    was_on = forward._enabled["on"], compiled._switch["enabled"]
    forward.set_enabled(False)
    compiled.set_enabled(False)
    yield
    forward.set_enabled(was_on[0])
    compiled.set_enabled(was_on[1])


def _data(*shape, low=-2.0, high=2.0, dtype="float32"):
    return RNG.uniform(low, high, shape).astype(dtype)


def _pair(name, *args, **kwargs):
    """The same module built in both libraries, torchlike's loaded with torch's state."""
    expected = getattr(torch.nn, name)(*args, **kwargs)
    actual = getattr(torchlike.nn, name)(*args, **kwargs)
    state = {k: torchlike.tensor(v.detach().numpy()) for k, v in expected.state_dict().items()}
    actual.load_state_dict(state)
    return actual, expected


def _close(actual, expected, tol=1e-5):
    assert tuple(actual.shape) == tuple(expected.shape)
    assert str(actual.dtype) == str(expected.dtype)
    want = expected.detach().numpy()
    np.testing.assert_allclose(actual.detach().numpy(), want, rtol=tol, atol=tol)


def _grad_fn(t) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _randomize(actual, expected):
    """Non-trivial affine parameters, the same in both."""
    for p_actual, p_expected in zip(actual.parameters(), expected.parameters()):
        values = _data(*p_expected.shape, low=0.5, high=1.5)
        with torch.no_grad():
            p_expected.copy_(torch.tensor(values))
        with torchlike.no_grad():
            p_actual.copy_(torchlike.tensor(values))


def _step_both(actual, expected, x, lr=0.1):
    """One forward/backward/SGD step; outputs, input gradients and parameters agree."""
    xa = torchlike.tensor(x, requires_grad=True)
    xe = torch.tensor(x, requires_grad=True)
    out_a, out_e = actual(xa), expected(xe)
    assert _grad_fn(out_a) == _grad_fn(out_e)
    _close(out_a, out_e, 1e-4)
    cotangent = _data(*out_e.shape)
    out_a.backward(torchlike.tensor(cotangent))
    out_e.backward(torch.tensor(cotangent))
    _close(xa.grad, xe.grad, 1e-4)
    for p_actual, p_expected in zip(actual.parameters(), expected.parameters()):
        _close(p_actual.grad, p_expected.grad, 1e-4)
        with torchlike.no_grad():
            p_actual.sub_(p_actual.grad * lr)
        with torch.no_grad():
            p_expected.sub_(p_expected.grad * lr)
        p_actual.grad, p_expected.grad = None, None


def _buffers_agree(actual, expected):
    buffers_a, buffers_e = dict(actual.named_buffers()), dict(expected.named_buffers())
    assert list(buffers_a) == list(buffers_e)
    for name, value in buffers_e.items():
        if value.dtype == torch.int64:
            assert int(buffers_a[name]) == int(value)
        else:
            _close(buffers_a[name], value, 1e-6)


NORM_CASES = {
    "BatchNorm1d": ("BatchNorm1d", (3,), {"momentum": 0.3}, (4, 3, 5)),
    "BatchNorm1d-cumulative": ("BatchNorm1d", (3,), {"momentum": None}, (4, 3)),
    "BatchNorm2d": ("BatchNorm2d", (3,), {"bias": False}, (2, 3, 2, 2)),
    "BatchNorm3d-no-stats": ("BatchNorm3d", (3,), {"track_running_stats": False},
                             (2, 3, 2, 1, 2)),
    "LayerNorm": ("LayerNorm", ([3, 5],), {"eps": 1e-3}, (4, 3, 5)),
    "GroupNorm": ("GroupNorm", (3, 6), {}, (2, 6, 5)),
    "RMSNorm": ("RMSNorm", ([3, 5],), {}, (4, 3, 5)),
    "RMSNorm-eps": ("RMSNorm", (5,), {"eps": 1e-2}, (4, 3, 5)),
    "LocalResponseNorm": ("LocalResponseNorm", (3,), {"alpha": 0.1, "k": 2.0}, (2, 4, 3, 2)),
    "LocalResponseNorm-3d": ("LocalResponseNorm", (2,), {"beta": 0.5}, (2, 5, 3)),
    "InstanceNorm1d-unbatched": ("InstanceNorm1d", (3,), {"affine": True}, (3, 6)),
    "InstanceNorm2d-stats": ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True},
                             (2, 3, 2, 2)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(NORM_CASES))
def test_norm_module_trains_then_evaluates_like_torch(case):
    name, args, kwargs, shape = NORM_CASES[case]
    actual, expected = _pair(name, *args, **kwargs)
    _randomize(actual, expected)
    for _ in range(2):
        _step_both(actual, expected, _data(*shape, low=-1.0, high=3.0))
        _buffers_agree(actual, expected)
    actual.eval()
    expected.eval()
    _step_both(actual, expected, _data(*shape))
    _buffers_agree(actual, expected)


def test_batch_norm_functional_writes_running_stats_in_place():
    x = _data(6, 3, 4)
    stats = {lib: (lib.zeros(3), lib.ones(3)) for lib in (torch, torchlike)}
    ids = [id(t) for t in stats[torchlike]]
    for lib in (torch, torchlike):
        lib.nn.functional.batch_norm(lib.tensor(x), *stats[lib], training=True, momentum=0.25)
    assert [id(t) for t in stats[torchlike]] == ids
    for actual, expected in zip(stats[torchlike], stats[torch]):
        _close(actual, expected, 1e-6)


def test_batch_norm_float64():
    actual, expected = _pair("BatchNorm1d", 4, dtype=None)
    actual.double()
    expected.double()
    x = _data(5, 4, dtype="float64")
    _close(actual(torchlike.tensor(x)), expected(torch.tensor(x)), 1e-10)
    _buffers_agree(actual, expected)


REPRS = [
    ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), {"momentum": None, "affine": False}),
    ("BatchNorm3d", (4,), {"eps": 1e-3, "track_running_stats": False}),
    ("LayerNorm", ([4, 5],), {}), ("LayerNorm", (4,), {"elementwise_affine": False}),
    ("GroupNorm", (1, 3), {}),
    ("RMSNorm", ([4, 5],), {}),
    ("LocalResponseNorm", (2,), {}),
    ("RMSNorm", (4,), {"eps": 1e-3, "elementwise_affine": False}), ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (3,), {"affine": True}), ("InstanceNorm3d", (3,), {}),
    ("ELU", (), {}), ("ELU", (0.5, True), {}), ("CELU", (), {}), ("SELU", (True,), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("ReLU6", (), {}),
    ("ReLU6", (True,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}),
    ("Mish", (True,), {}), ("Softplus", (), {}), ("Softplus", (2, 5), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2, 2, True), {}), ("Hardswish", (True,), {}), ("Hardsigmoid", (), {}),
    ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 20, True), {}), ("LogSigmoid", (), {}),
    ("Softsign", (), {}), ("Tanhshrink", (), {}), ("Softmin", (), {}), ("Softmin", (1,), {}),
    ("LogSoftmax", (1,), {}), ("GLU", (), {}), ("Hardshrink", (), {}), ("Softshrink", (0.3,), {}),
    ("Softmax2d", (), {}), ("PReLU", (), {}), ("PReLU", (3, 0.1), {}),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,args,kwargs", REPRS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REPRS)]
)
def test_repr_and_state_dict_keys(name, args, kwargs):
    expected = getattr(torch.nn, name)(*args, **kwargs)
    actual = getattr(torchlike.nn, name)(*args, **kwargs)
    assert repr(actual) == repr(expected)
    assert list(actual.state_dict()) == list(expected.state_dict())
    for key, value in expected.state_dict().items():
        _close(actual.state_dict()[key], value, 0.0)


ACTIVATIONS = [
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("CELU", (0.7,), {}), ("SELU", (), {}),
    ("LeakyReLU", (0.2,), {}), ("ReLU6", (), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}),
    ("SiLU", (), {}), ("Mish", (), {}), ("Softplus", (), {}), ("Softplus", (2.0, 1.0), {}),
    ("Hardtanh", (-0.5, 1.5), {}), ("Hardswish", (), {}), ("Hardsigmoid", (), {}),
    ("Threshold", (0.1, 2.0), {}), ("LogSigmoid", (), {}), ("Softsign", (), {}),
    ("Tanhshrink", (), {}), ("Softmin", (1,), {}), ("LogSoftmax", (1,), {}), ("GLU", (1,), {}),
    ("Hardshrink", (0.3,), {}), ("Softshrink", (0.3,), {}), ("Softmax2d", (), {}),
    ("PReLU", (), {}), ("PReLU", (4,), {}),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,args,kwargs", ACTIVATIONS, ids=[f"{r[0]}-{i}" for i, r in enumerate(ACTIVATIONS)]
)
def test_activation_module(name, args, kwargs):
    """Values and grad_fn through the module (the rows' gradients are checked in test_ops)."""
    actual, expected = _pair(name, *args, **kwargs)
    x = _data(2, 4, 3, 2, low=-4.0, high=4.0)
    if name == "PReLU":  # the learned slope's gradient
        _step_both(actual, expected, x)
        return
    out_a = actual(torchlike.tensor(x, requires_grad=True))
    out_e = expected(torch.tensor(x, requires_grad=True))
    assert _grad_fn(out_a) == _grad_fn(out_e)
    _close(out_a, out_e)


INPLACE = [("ELU", "EluBackward1"), ("CELU", "CeluBackward1"), ("SELU", "EluBackward1"),
           ("LeakyReLU", "LeakyReluBackward1"), ("ReLU6", "HardtanhBackward0"),
           ("Hardtanh", "HardtanhBackward0"), ("SiLU", "SiluBackward0"),
           ("Mish", "MishBackward0"), ("Hardswish", "HardswishBackward0"),
           ("Hardsigmoid", "HardsigmoidBackward0")]  # fmt: skip


@pytest.mark.parametrize("name,node", INPLACE)
def test_inplace_activation(name, node):
    x = _data(3, 4, low=-4.0, high=4.0)
    results = []
    for lib in (torch, torchlike):
        leaf = lib.tensor(x, requires_grad=True)
        hidden = leaf * 1
        out = getattr(lib.nn, name)(inplace=True)(hidden)
        assert out is hidden
        out.backward(lib.ones(3, 4))
        results.append((out, leaf.grad, _grad_fn(out)))
    (out_e, grad_e, name_e), (out_a, grad_a, name_a) = results
    assert name_a == name_e == node
    _close(out_a, out_e)
    _close(grad_a, grad_e)


def test_inplace_activation_on_a_leaf_is_refused():
    for lib in (torch, torchlike):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.nn.functional.elu_(lib.ones(3, requires_grad=True))


def _error(build):
    """The exception each library raises for the same mistake: same type and message."""
    outcomes = []
    for lib in (torch, torchlike):
        with pytest.raises(Exception) as info:  # noqa: PT011
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build(lib)
        outcomes.append((type(info.value), str(info.value)))
    assert outcomes[1] == outcomes[0]


ERRORS = {
    "bn1d-4d": lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 3, 4, 4)),
    "bn2d-3d": lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4)),
    "bn3d-4d": lambda lib: lib.nn.BatchNorm3d(3)(lib.ones(2, 3, 4, 4)),
    "bn-one-value": lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)),
    "bn-channels": lambda lib: lib.nn.BatchNorm1d(4)(lib.ones(2, 3)),
    "bn-eval-without-stats": lambda lib: lib.nn.functional.batch_norm(lib.ones(2, 3), None,
                                                                      None),
    "bn-weight": lambda lib: lib.nn.functional.batch_norm(
        lib.ones(2, 3), lib.zeros(3), lib.ones(3), lib.ones(4)),
    "ln-shape": lambda lib: lib.nn.LayerNorm(4)(lib.ones(2, 3)),
    "rms-shape": lambda lib: lib.nn.RMSNorm([2, 3])(lib.ones(2, 4, 3)),
    "rms-weight": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3), [3], lib.ones(2)),
    "rms-empty": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3), []),
    "lrn-dims": lambda lib: lib.nn.LocalResponseNorm(2)(lib.ones(2, 3)),
    "gn-divisible": lambda lib: lib.nn.GroupNorm(2, 3),
    "gn-channels": lambda lib: lib.nn.GroupNorm(2, 4)(lib.ones(2, 6, 3)),
    "gn-1d": lambda lib: lib.nn.functional.group_norm(lib.ones(4), 2),
    "in-dims": lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 4)),
    "in-spatial": lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 1)),
    "in-affine-channels": lambda lib: lib.nn.InstanceNorm1d(4, affine=True)(lib.ones(2, 3, 5)),
    "hardtanh-bounds": lambda lib: lib.nn.Hardtanh(2.0, 1.0),
    "hardtanh-functional": lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 2.0, 1.0),
    "softmax2d": lambda lib: lib.nn.Softmax2d()(lib.ones(2, 3)),
    "glu-odd": lambda lib: lib.nn.GLU()(lib.ones(2, 3)),
    "prelu-channels": lambda lib: lib.nn.PReLU(3)(lib.ones(2, 4)),
    "gelu-approximate": lambda lib: lib.nn.GELU("exact")(lib.ones(2)),
    "elu-integer": lambda lib: lib.nn.ELU()(lib.ones(2, dtype=lib.int64)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(case):
    _error(ERRORS[case])


def test_instance_norm_channel_mismatch_warns_like_torch():
    for lib in (torch, torchlike):
        with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
            lib.nn.InstanceNorm1d(4)(lib.ones(2, 3, 5))


def test_softmin_implicit_dim_warns_like_torch():
    for lib in (torch, torchlike):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            lib.nn.functional.softmin(lib.ones(2, 3))
