"""Conv1d/2d/3d and F.convNd against torch: default init bit for bit, values, grads, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike

# torch warns that an asymmetric 'same' pad copies the input; torchlike pads inside XLA's conv
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")

LAYERS = [
    ("Conv1d", (4, 6, 3), {}),
    ("Conv1d", (4, 6, 5), {"groups": 2, "bias": False}),
    ("Conv2d", (3, 6, 5), {}),
    ("Conv2d", (4, 8, (3, 2)), {"groups": 4, "stride": 2, "padding": 1}),
    ("Conv2d", (2, 3, 3), {"bias": False, "dilation": 2}),
    ("Conv3d", (2, 4, 3), {}),
    ("Conv3d", (4, 4, (1, 2, 3)), {"groups": 2, "padding": "same"}),
]


def _arrays(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name,args,kwargs", LAYERS)
def test_default_init_is_bit_identical(name, args, kwargs):
    torch.manual_seed(7)
    expected = getattr(torch.nn, name)(*args, **kwargs)
    torchlike.manual_seed(7)
    actual = getattr(torchlike.nn, name)(*args, **kwargs)
    want, got = _arrays(expected), _arrays(actual)
    assert list(got) == list(want)
    for key in want:
        assert np.array_equal(got[key], want[key]), key
    assert repr(actual) == repr(expected)


def _model(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3, padding=1),
                         nn.Linear(6, 5), nn.Conv1d(2, 3, 2))  # fmt: skip


def test_sequential_init_module_by_module():
    torch.manual_seed(3)
    expected = _model(torch.nn)
    torchlike.manual_seed(3)
    actual = _model(torchlike.nn)
    assert repr(actual) == repr(expected)
    want, got = _arrays(expected), _arrays(actual)
    assert list(got) == list(want)
    for key in want:
        assert np.array_equal(got[key], want[key]), key


FORWARD = [
    (1, (2, 4, 9), (6, 4, 3), {}),
    (1, (4, 9), (6, 2, 3), {"groups": 2, "stride": 2, "padding": 2}),
    (2, (2, 3, 8, 7), (6, 3, 3, 2), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}),
    (2, (1, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "padding": "same", "dilation": 2}),
    (2, (3, 6, 6), (2, 3, 2, 2), {"padding": "same"}),
    (3, (2, 2, 5, 4, 6), (4, 2, 2, 3, 1), {"stride": 2, "padding": "valid"}),
    (3, (2, 4, 4, 4, 4), (4, 2, 3, 3, 3), {"groups": 2, "padding": 1, "dilation": (1, 2, 1)}),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dims,x_shape,w_shape,kwargs", FORWARD)
def test_forward_and_grads(dims, x_shape, w_shape, kwargs, bias):
    rng = np.random.default_rng(dims * 100 + len(x_shape))
    data = [rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, w_shape[:1])]
    if not bias:
        data = data[:2]
    results = []
    for lib in (torch, torchlike):
        tensors = [lib.tensor(d, requires_grad=True) for d in data]
        out = getattr(lib.nn.functional, f"conv{dims}d")(*tensors, **kwargs)
        cotangent = lib.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32)).view(out.shape)
        grads = lib.autograd.grad(out, tensors, cotangent)
        results.append((out, type(out.grad_fn).__name__, grads))
    (t_out, t_name, t_grads), (l_out, l_name, l_grads) = results
    assert l_name == t_name
    assert tuple(l_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(l_out.detach().numpy(), t_out.detach().numpy(), 1e-5, 1e-6)
    for got, want in zip(l_grads, t_grads):
        np.testing.assert_allclose(got.numpy(), want.numpy(), 1e-5, 1e-5)


def test_module_forward_matches_torch():
    torch.manual_seed(0)
    expected = torch.nn.Conv2d(3, 6, 5, padding=2)
    torchlike.manual_seed(0)
    actual = torchlike.nn.Conv2d(3, 6, 5, padding=2)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    out, want = actual(torchlike.tensor(x)), expected(torch.tensor(x))
    assert type(out.grad_fn).__name__ == type(want.grad_fn).__name__ == "ConvolutionBackward0"
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), 1e-5, 1e-6)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.functional.conv2d(lib.ones(1, 4, 32, 32), lib.ones(6, 3, 5, 5)),
    lambda lib: lib.nn.functional.conv2d(lib.ones(4, 32, 32), lib.ones(6, 3, 5, 5)),
    lambda lib: lib.nn.functional.conv2d(lib.ones(32, 32), lib.ones(6, 3, 5, 5)),
    lambda lib: lib.nn.functional.conv1d(lib.ones(1, 3, 2), lib.ones(2, 3, 3)),
    lambda lib: lib.nn.functional.conv3d(lib.ones(1, 2, 8, 8, 8), lib.ones(2, 2, 3, 3)),
    lambda lib: lib.nn.Conv2d(4, 6, 3, groups=3),
    lambda lib: lib.nn.Conv2d(6, 4, 3, groups=3),
    lambda lib: lib.nn.Conv2d(6, 6, 3, groups=0),
    lambda lib: lib.nn.Conv2d(4, 6, 3, stride=2, padding="same"),
    lambda lib: lib.nn.Conv1d(4, 6, 3)(lib.ones(1, 3, 8)),
])  # fmt: skip
def test_errors_match_torch(make):
    assert _error(lambda: make(torchlike)) == _error(lambda: make(torch))


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Conv2d(4, 6, 3, padding="full"),
    lambda lib: lib.nn.Conv2d(4, 6, 3, padding_mode="mirror"),
])  # fmt: skip
def test_errors_with_set_in_message(make):
    """torch prints a set here, so only the exception type and its opening are compared."""
    (got_type, got), (want_type, want) = (
        _error(lambda: make(torchlike)),
        _error(lambda: make(torch)),
    )
    assert got_type is want_type
    assert got.split("{")[0] == want.split("{")[0]
