"""nn.init's structured recipes and deprecated names against torch: values, RNG use, errors."""

import warnings

import numpy as np
import pytest
import torch

import torchlike

RECIPES = {
    "orthogonal_wide": lambda T: T.nn.init.orthogonal_(T.empty(3, 5)),
    "orthogonal_tall_gain": lambda T: T.nn.init.orthogonal_(T.empty(6, 4, 3), gain=2.0),
    "orthogonal_generator": lambda T: T.nn.init.orthogonal_(
        T.empty(4, 4), generator=T.Generator().manual_seed(5)
    ),
    "sparse": lambda T: T.nn.init.sparse_(T.empty(5, 4), 0.4),
    "sparse_std": lambda T: T.nn.init.sparse_(T.empty(7, 3), 0.3, std=0.5),
    "dirac_1d": lambda T: T.nn.init.dirac_(T.empty(2, 3, 5)),
    "dirac_groups": lambda T: T.nn.init.dirac_(T.empty(4, 2, 3, 3), 2),
    "dirac_3d": lambda T: T.nn.init.dirac_(T.empty(3, 3, 3, 3, 3)),
    "eye": lambda T: T.nn.init.eye_(T.empty(3, 4)),
    "eye_requires_grad": lambda T: T.nn.init.eye_(T.empty(2, 2, requires_grad=True)),
}


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_matches_torch(name):
    results = []
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        out = RECIPES[name](lib)
        results.append((out.detach().numpy(), out.requires_grad, lib.rand(3).numpy()))
    (expected, expected_grad, expected_next), (actual, actual_grad, actual_next) = results
    # orthogonal_ goes through a QR factorisation: LAPACK and XLA round differently
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    assert actual_grad == expected_grad
    np.testing.assert_array_equal(actual_next, expected_next)  # the same draws were used


ERRORS = {
    "eye_3d": lambda T: T.nn.init.eye_(T.empty(2, 2, 2)),
    "dirac_2d": lambda T: T.nn.init.dirac_(T.empty(2, 2)),
    "dirac_groups": lambda T: T.nn.init.dirac_(T.empty(3, 2, 3), 2),
    "orthogonal_1d": lambda T: T.nn.init.orthogonal_(T.empty(3)),
    "sparse_3d": lambda T: T.nn.init.sparse_(T.empty(2, 2, 2), 0.5),
}


@pytest.mark.parametrize("name", ERRORS)
def test_recipe_errors_match_torch(name):
    messages = []
    for lib in (torch, torchlike):
        with pytest.raises(ValueError) as caught:
            ERRORS[name](lib)
        messages.append(str(caught.value))
    assert messages[1] == messages[0]


DEPRECATED = [
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]  # fmt: skip
ARGS = {"constant": (0.5,), "sparse": (0.5,)}
SHAPES = {"dirac": (2, 2, 3)}


@pytest.mark.parametrize("name", DEPRECATED)
def test_deprecated_names_warn_and_fill_like_torch(name):
    results = []
    for lib in (torch, torchlike):
        lib.manual_seed(1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(lib.nn.init, name)(
                lib.empty(*SHAPES.get(name, (4, 3))), *ARGS.get(name, ())
            )
        results.append(([(w.category, str(w.message)) for w in caught], out.numpy()))
    assert results[1][0] == results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-6)
