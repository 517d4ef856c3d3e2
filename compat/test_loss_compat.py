"""Loss modules against torch with every reduction: values, grad_fn names, gradients (for the
mean), warnings, reprs and state_dict keys, and torch's errors for wrong shapes or values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike

RNG = np.random.default_rng(5)


@pytest.fixture(autouse=True, scope="module")
def _per_op_kernels_only():
    """One call per case: compiling forward kernels and whole-graph backward replays (tested in
    their own files) would cost more than the calls themselves."""
    from torchlike._autograd import compiled
    from torchlike._ops import forward

    was_on = forward._enabled["on"], compiled._switch["enabled"]
    forward.set_enabled(False)
    compiled.set_enabled(False)
    yield
    forward.set_enabled(was_on[0])
    compiled.set_enabled(was_on[1])


def _u(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype("float32")


def _signs(*shape):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype("float32")


def _labels(classes, *shape):
    return RNG.integers(0, classes, shape).astype("int64")


# name: (constructor kwargs, inputs, positions that get requires_grad)
LOSSES = {
    "SmoothL1Loss": ({"beta": 0.5}, lambda: [_u(3, 4), _u(3, 4)], (0, 1)),
    "SmoothL1Loss-beta0": ({"beta": 0.0}, lambda: [_u(3, 4), _u(3, 4)], (0,)),
    "HuberLoss": ({"delta": 0.7}, lambda: [_u(3, 4), _u(3, 4)], (0, 1)),
    "SoftMarginLoss": ({}, lambda: [_u(3, 4), _signs(3, 4)], (0,)),
    "BCELoss": ({"weight": _u(4, low=0.5, high=2)},
                lambda: [_u(3, 4, low=0.05, high=0.95), _u(3, 4, low=0, high=1)], (0,)),
    "BCEWithLogitsLoss": ({"weight": _u(4, low=0.5, high=2), "pos_weight": _u(4, low=0.5, high=3)},
                          lambda: [_u(3, 4), _u(3, 4, low=0, high=1)], (0, 1)),
    "KLDivLoss": ({}, lambda: [_u(3, 4), _u(3, 4, low=0.0, high=1.0)], (0, 1)),
    "KLDivLoss-log-target": ({"log_target": True}, lambda: [_u(3, 4), _u(3, 4)], (0, 1)),
    "MarginRankingLoss": ({"margin": 0.3}, lambda: [_u(5), _u(5), _signs(5)], (0, 1)),
    "CosineEmbeddingLoss": ({"margin": 0.2}, lambda: [_u(4, 3), _u(4, 3), _signs(4)], (0, 1)),
    "CosineEmbeddingLoss-1d": ({}, lambda: [_u(3), _u(3), np.float32(-1.0)], (0, 1)),
    "TripletMarginLoss": ({"margin": 2.0, "p": 1.0, "swap": True},
                          lambda: [_u(4, 3), _u(4, 3), _u(4, 3)], (0, 1, 2)),
    "TripletMarginLoss-p2": ({}, lambda: [_u(4, 3), _u(4, 3), _u(4, 3)], (0, 1, 2)),
    "HingeEmbeddingLoss": ({"margin": 0.5}, lambda: [_u(3, 4), _signs(3, 4)], (0,)),
    "PoissonNLLLoss": ({}, lambda: [_u(3, 4), _u(3, 4, low=0, high=3)], (0,)),
    "PoissonNLLLoss-full": ({"log_input": False, "full": True},
                            lambda: [_u(3, 4, low=0.1, high=3), _u(3, 4, low=0, high=3)], (0,)),
    "GaussianNLLLoss": ({"full": True},
                        lambda: [_u(3, 4), _u(3, 4), _u(3, 1, low=0.1, high=2)], (0, 1, 2)),
    "MultiLabelSoftMarginLoss": ({"weight": _u(4, low=0.5, high=2)},
                                 lambda: [_u(3, 4), (_u(3, 4) > 0).astype("float32")], (0,)),
    "MultiMarginLoss": ({"p": 2, "margin": 0.7, "weight": _u(4, low=0.5, high=2)},
                        lambda: [_u(3, 4), _labels(4, 3)], (0,)),
    "MultiLabelMarginLoss": ({}, lambda: [_u(3, 4), np.array([[3, 0, -1, 1], [1, 2, 3, 0],
                                                              [-1, 1, 0, 0]])], (0,)),
    "CrossEntropyLoss-weight-ignore": ({"weight": _u(4, low=0.5, high=2), "ignore_index": 1},
                                       lambda: [_u(5, 4), _labels(4, 5)], (0,)),
    "CrossEntropyLoss-smoothing": ({"label_smoothing": 0.2, "weight": _u(4, low=0.5, high=2)},
                                   lambda: [_u(5, 4), _labels(4, 5)], (0,)),
    "CrossEntropyLoss-probs": ({"label_smoothing": 0.1},
                               lambda: [_u(5, 4), _u(5, 4, low=0, high=1)], (0, 1)),
    "CrossEntropyLoss-probs-2d": ({"weight": _u(3, low=0.5, high=2)},
                                  lambda: [_u(2, 3, 2, 2), _u(2, 3, 2, 2, low=0, high=1)], (0,)),
    "CrossEntropyLoss-spatial": ({"label_smoothing": 0.05},
                                 lambda: [_u(2, 3, 4), _labels(3, 2, 4)], (0,)),
}  # fmt: skip

CASES = [
    (name, reduction)
    for name in sorted(LOSSES)
    for reduction in ("mean", "sum", "none") + (("batchmean",) if "KLDiv" in name else ())
]
CASES = [pytest.param(name, reduction, id=f"{name}-{reduction}") for name, reduction in CASES]


def _module(lib, name, reduction):
    kwargs, _, _ = LOSSES[name]
    built = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(lib.nn, name.split("-")[0])(reduction=reduction, **built)


def _call(lib, name, reduction, arrays):
    _, _, grad_positions = LOSSES[name]
    inputs = [
        lib.tensor(a, requires_grad=i in grad_positions and a.dtype.kind == "f")
        for i, a in enumerate(arrays)
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _module(lib, name, reduction)(*inputs)
    return out, inputs, [str(w.message) for w in caught]


def _close(actual, expected, tol=1e-5):
    assert tuple(actual.shape) == tuple(expected.shape)
    assert str(actual.dtype) == str(expected.dtype)
    np.testing.assert_allclose(
        actual.detach().numpy(), expected.detach().numpy(), rtol=tol, atol=tol
    )


@pytest.mark.parametrize("name,reduction", CASES)
def test_loss_module(name, reduction):
    arrays = [np.asarray(a) for a in LOSSES[name][1]()]
    out_e, inputs_e, warned_e = _call(torch, name, reduction, arrays)
    out_a, inputs_a, warned_a = _call(torchlike, name, reduction, arrays)
    assert warned_a == warned_e
    assert type(out_a.grad_fn).__name__ == type(out_e.grad_fn).__name__
    _close(out_a, out_e)
    if reduction != "mean":
        return
    leaves_e = [t for t in inputs_e if t.requires_grad]
    leaves_a = [t for t in inputs_a if t.requires_grad]
    for got, want in zip(
        torchlike.autograd.grad(out_a, leaves_a), torch.autograd.grad(out_e, leaves_e)
    ):
        _close(got, want, 1e-4)


REPRS = ["SmoothL1Loss", "HuberLoss", "SoftMarginLoss", "BCELoss", "BCEWithLogitsLoss",
         "KLDivLoss", "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
         "HingeEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MultiLabelSoftMarginLoss",
         "MultiMarginLoss", "MultiLabelMarginLoss",
         "CrossEntropyLoss"]  # fmt: skip


@pytest.mark.parametrize("name", REPRS)
def test_loss_repr_and_state_dict(name):
    expected, actual = getattr(torch.nn, name)(), getattr(torchlike.nn, name)()
    assert repr(actual) == repr(expected)
    assert list(actual.state_dict()) == list(expected.state_dict())


def test_bce_with_logits_buffers():
    kwargs = {"weight": _u(3), "pos_weight": _u(3)}
    expected = torch.nn.BCEWithLogitsLoss(**{k: torch.tensor(v) for k, v in kwargs.items()})
    actual = torchlike.nn.BCEWithLogitsLoss(**{k: torchlike.tensor(v) for k, v in kwargs.items()})
    assert list(actual.state_dict()) == list(expected.state_dict())


F_ERRORS = {
    "bce-range": lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.5, 1.5]), lib.ones(2)),
    "bce-size": lambda lib: lib.nn.BCELoss()(lib.ones(2, 3) / 2, lib.ones(3)),
    "bce-logits-size": lambda lib: lib.nn.BCEWithLogitsLoss()(lib.ones(2, 3), lib.ones(3)),
    "reduction": lambda lib: lib.nn.functional.smooth_l1_loss(lib.ones(2), lib.ones(2),
                                                              reduction="avg"),
    "huber-weight": lambda lib: lib.nn.functional.huber_loss(lib.ones(2), lib.ones(2),
                                                             weight=lib.ones(3)),
    "margin-ranking-dims": lambda lib: lib.nn.MarginRankingLoss()(lib.ones(3), lib.ones(3),
                                                                  lib.ones(1, 3)),
    "cosine-target": lambda lib: lib.nn.CosineEmbeddingLoss()(lib.ones(2, 3), lib.ones(2, 3),
                                                              lib.ones(2, 3)),
    "cosine-dims": lambda lib: lib.nn.CosineEmbeddingLoss()(lib.ones(2, 3), lib.ones(2, 3),
                                                            lib.ones(())),
    "triplet-margin": lambda lib: lib.nn.functional.triplet_margin_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), margin=0.0),
    "triplet-module-margin": lambda lib: lib.nn.TripletMarginLoss(margin=-1.0),
    "triplet-dims": lambda lib: lib.nn.TripletMarginLoss()(lib.ones(2, 3), lib.ones(2, 3),
                                                           lib.ones(3)),
    "gaussian-var-size": lambda lib: lib.nn.GaussianNLLLoss()(lib.ones(2, 3), lib.ones(2, 3),
                                                              lib.ones(3, 2)),
    "gaussian-var-negative": lambda lib: lib.nn.GaussianNLLLoss()(lib.ones(2), lib.ones(2),
                                                                  -lib.ones(2)),
    "ce-probs-dtype": lambda lib: lib.nn.CrossEntropyLoss()(lib.ones(2, 3),
                                                            lib.ones(2, 3, dtype=lib.int64)),
    "ce-smoothing-range": lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=1.5)(
        lib.ones(2, 3), lib.zeros(2, dtype=lib.int64)),
    "ce-target-bounds": lambda lib: lib.nn.CrossEntropyLoss()(lib.ones(2, 3),
                                                              lib.tensor([0, 3])),
    "multi-margin-range": lambda lib: lib.nn.MultiMarginLoss()(lib.ones(2, 3), lib.tensor([0, 3])),
    "multi-margin-dtype": lambda lib: lib.nn.MultiMarginLoss()(lib.ones(2, 3), lib.ones(2)),
    "multi-margin-p": lambda lib: lib.nn.MultiMarginLoss(p=3),
    "multi-margin-weight": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 3), lib.tensor([0, 1]), weight=lib.ones(1, 3)),
    "multilabel-range": lambda lib: lib.nn.MultiLabelMarginLoss()(
        lib.ones(2, 3), lib.tensor([[0, 5, -1], [1, -1, 0]])),
    "multilabel-size": lambda lib: lib.nn.MultiLabelMarginLoss()(lib.ones(2, 3),
                                                                 lib.tensor([0, 1])),
    "ce-batch": lambda lib: lib.nn.CrossEntropyLoss()(lib.ones(2, 3), lib.tensor([0, 1, 2])),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(F_ERRORS))
def test_loss_errors(case):
    outcomes = []
    for lib in (torch, torchlike):
        with pytest.raises(Exception) as info:  # noqa: PT011
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                F_ERRORS[case](lib)
        outcomes.append((type(info.value), str(info.value)))
    assert outcomes[1] == outcomes[0]


def test_legacy_size_average_warns_like_torch():
    for lib in (torch, torchlike):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            out = lib.nn.functional.smooth_l1_loss(lib.ones(2), lib.zeros(2), size_average=False)
        assert float(out) == 1.0
