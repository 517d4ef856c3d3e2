"""Dropout against torch: the same masks bit for bit after manual_seed, the same generator
state after each call, gradients, grad_fn names, reprs, errors and warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchlike as tl
import torchlike.nn.functional as G

SHAPES = [(5,), (16,), (37,), (3, 4), (4, 16), (2, 3, 17), (2, 3, 4, 5), (2, 2, 3, 2, 3)]
PROBS = [0.0, 0.1, 0.5, 0.9, 1.0]
DTYPES = ["float32", "float64"]


def _sample(shape, dtype, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _seed_both(seed: int) -> None:
    torch.manual_seed(seed)
    tl.manual_seed(seed)


def _assert_same(ours, theirs) -> None:
    """Equal raw values (signed zeros included), dtypes and generator states."""
    expected = theirs.detach().numpy()
    got = ours.detach().numpy()
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    assert tl.get_rng_state().numpy().tobytes() == torch.get_rng_state().numpy().tobytes()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", PROBS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_masks(shape, p, dtype):
    x = _sample(shape, dtype)
    for seed in (0, 7):
        _seed_both(seed)
        _assert_same(G.dropout(tl.tensor(x), p), F.dropout(torch.tensor(x), p))


@pytest.mark.parametrize("seed", [1, 123, 2**40 + 3])
@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout", "feature_alpha_dropout"])
def test_seeds_and_alpha_variants(seed, fn):
    x = _sample((3, 5, 7), "float32", seed % 97)
    _seed_both(seed)
    for p in (0.2, 0.5, 0.75):
        ours = getattr(G, fn)(tl.tensor(x), p, True)
        _assert_same(ours, getattr(F, fn)(torch.tensor(x), p, True))


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 16, 5), (4, 17, 2)])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout1d(shape, p):
    x = _sample(shape, "float32")
    _seed_both(3)
    _assert_same(G.dropout1d(tl.tensor(x), p), F.dropout1d(torch.tensor(x), p))
    _assert_same(G.dropout1d(tl.tensor(x[0]), p), F.dropout1d(torch.tensor(x[0]), p))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 17, 3, 3), (2, 16, 2, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout2d_and_3d(shape, dtype):
    x = _sample(shape, dtype)
    _seed_both(4)
    _assert_same(G.dropout2d(tl.tensor(x), 0.4), F.dropout2d(torch.tensor(x), 0.4))
    _assert_same(G.dropout3d(tl.tensor(x), 0.6), F.dropout3d(torch.tensor(x), 0.6))
    x5 = x[None].repeat(2, axis=0)
    _assert_same(G.dropout3d(tl.tensor(x5), 0.6), F.dropout3d(torch.tensor(x5), 0.6))


def test_transposed_input_draws_in_memory_order():
    x = _sample((6, 5), "float32")
    _seed_both(0)
    _assert_same(G.dropout(tl.tensor(x).t(), 0.5), F.dropout(torch.tensor(x).t(), 0.5))


def test_interleaving_with_rand_and_randn():
    x = _sample((4, 9), "float32")
    _seed_both(11)
    for _ in range(3):
        _assert_same(tl.rand(5), torch.rand(5))
        _assert_same(G.dropout(tl.tensor(x), 0.3), F.dropout(torch.tensor(x), 0.3))
        _assert_same(tl.randn(17), torch.randn(17))
        _assert_same(
            G.dropout2d(tl.tensor(x[None, None]), 0.5),
            F.dropout2d(torch.tensor(x[None, None]), 0.5),
        )


def test_explicit_generator_state_is_shared_with_default():
    x = _sample((20,), "float64")
    _seed_both(5)
    torch_rng, ours_rng = torch.get_rng_state(), tl.get_rng_state()
    _assert_same(G.dropout(tl.tensor(x), 0.5), F.dropout(torch.tensor(x), 0.5))
    torch.set_rng_state(torch_rng)
    tl.set_rng_state(ours_rng)
    _assert_same(G.dropout(tl.tensor(x), 0.5), F.dropout(torch.tensor(x), 0.5))


@pytest.mark.parametrize("p", PROBS)
def test_eval_and_identity_cases_return_the_input(p):
    ours, theirs = tl.tensor(_sample((3, 4), "float32")), torch.tensor(_sample((3, 4), "float32"))
    _seed_both(0)
    assert (G.dropout(ours, p, training=False) is ours) == (
        F.dropout(theirs, p, training=False) is theirs
    )
    assert (G.dropout(ours, p) is ours) == (F.dropout(theirs, p) is theirs)
    _assert_same(G.dropout(ours, p), F.dropout(theirs, p))


@pytest.mark.parametrize("fn", ["dropout", "dropout1d", "dropout2d", "dropout3d"])
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_inplace(fn, p):
    shape = {"dropout": (4, 5), "dropout1d": (3, 6), "dropout2d": (2, 3, 4, 2)}
    x = _sample(shape.get(fn, (2, 3, 2, 2)), "float32")
    ours, theirs = tl.tensor(x), torch.tensor(x)
    _seed_both(9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result_ours = getattr(G, fn)(ours, p, True, True)
        result_theirs = getattr(F, fn)(theirs, p, True, True)
    _assert_same(ours, theirs)
    _assert_same(result_ours, result_theirs)
    assert (result_ours is ours) == (result_theirs is theirs)


@pytest.mark.parametrize(
    "fn, shape",
    [("dropout", (3, 4)), ("dropout", (16,)), ("alpha_dropout", (3, 4)),
     ("dropout1d", (3, 4)), ("dropout1d", (2, 3, 4)), ("dropout2d", (2, 3, 2, 2)),
     ("dropout3d", (2, 3, 2, 2))],
)  # fmt: skip
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_gradients_and_grad_fn(fn, shape, p):
    x = _sample(shape, "float32")
    ours, theirs = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    _seed_both(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_ours = getattr(G, fn)(ours, p, True)
        out_theirs = getattr(F, fn)(theirs, p, True)
    _assert_same(out_ours, out_theirs)
    assert type(out_ours.grad_fn).__name__ == type(out_theirs.grad_fn).__name__
    if out_theirs.grad_fn is None:
        return
    weights = _sample(shape, "float32", seed=1)
    (out_ours * tl.tensor(weights)).sum().backward()
    (out_theirs * torch.tensor(weights)).sum().backward()
    assert np.array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("fn", ["dropout", "dropout1d", "dropout3d"])
def test_inplace_grad_fn_names(fn):
    x = _sample((3, 4, 2), "float32")
    ours = tl.tensor(x, requires_grad=True).clone()
    theirs = torch.tensor(x, requires_grad=True).clone()
    _seed_both(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_name = type(getattr(G, fn)(ours[0], 0.5, True, True).grad_fn).__name__
        theirs_name = type(getattr(F, fn)(theirs[0], 0.5, True, True).grad_fn).__name__
    assert ours_name == theirs_name


@pytest.mark.parametrize(
    "name", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
             "FeatureAlphaDropout"],
)  # fmt: skip
def test_modules_repr_train_and_eval(name):
    shape = {"Dropout1d": (2, 3, 5)}.get(name, (2, 3, 4, 2, 2))
    x = _sample(shape, "float32")
    ours, theirs = getattr(tl.nn, name)(0.3), getattr(torch.nn, name)(0.3)
    assert repr(ours) == repr(theirs)
    assert repr(getattr(tl.nn, name)()) == repr(getattr(torch.nn, name)())
    assert repr(getattr(tl.nn, name)(0.2, inplace=True)) == repr(
        getattr(torch.nn, name)(0.2, inplace=True)
    )
    _seed_both(6)
    _assert_same(ours(tl.tensor(x)), theirs(torch.tensor(x)))
    ours.eval()
    theirs.eval()
    _assert_same(ours(tl.tensor(x)), theirs(torch.tensor(x)))


def test_module_inside_sequential():
    x = _sample((4, 6), "float32")
    ours = tl.nn.Sequential(tl.nn.Dropout(0.25), tl.nn.Dropout(0.5))
    theirs = torch.nn.Sequential(torch.nn.Dropout(0.25), torch.nn.Dropout(0.5))
    assert repr(ours) == repr(theirs)
    _seed_both(8)
    _assert_same(ours(tl.tensor(x)), theirs(torch.tensor(x)))


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error), str(error)
    return None


@pytest.mark.parametrize(
    "call",
    [
        lambda F, nn, t: F.dropout(t.zeros(3), 1.5),
        lambda F, nn, t: F.dropout(t.zeros(3), -0.1),
        lambda F, nn, t: F.dropout2d(t.zeros(2, 3, 4, 4), 2.0),
        lambda F, nn, t: F.alpha_dropout(t.zeros(3), 1.1, True),
        lambda F, nn, t: F.dropout1d(t.zeros(2, 3, 4, 5)),
        lambda F, nn, t: F.dropout1d(t.zeros(2)),
        lambda F, nn, t: nn.Dropout(1.5),
        lambda F, nn, t: nn.Dropout2d(-1),
        lambda F, nn, t: F.dropout(t.arange(6), 0.5),
    ],
)
def test_errors(call):
    ours = _error(lambda: call(G, tl.nn, tl))
    theirs = _error(lambda: call(F, torch.nn, torch))
    assert theirs is not None
    assert ours == theirs


@pytest.mark.parametrize(
    "fn, shape", [("dropout2d", (2, 3, 4)), ("dropout2d", (2, 3)), ("dropout2d", (1, 2, 3, 4, 5)),
                  ("dropout3d", (2, 3)), ("dropout3d", (2, 3, 4))],
)  # fmt: skip
def test_rank_warnings(fn, shape):
    x = _sample(shape, "float32")
    _seed_both(0)
    with warnings.catch_warnings(record=True) as ours_caught:
        warnings.simplefilter("always")
        ours = getattr(G, fn)(tl.tensor(x), 0.5)
    with warnings.catch_warnings(record=True) as theirs_caught:
        warnings.simplefilter("always")
        theirs = getattr(F, fn)(torch.tensor(x), 0.5)
    _assert_same(ours, theirs)
    assert [str(w.message) for w in ours_caught] == [str(w.message) for w in theirs_caught]
    assert [w.category for w in ours_caught] == [w.category for w in theirs_caught]
    assert all(w.filename == __file__ for w in ours_caught)
