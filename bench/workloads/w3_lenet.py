"""W3: LeNet on CIFAR-shaped input (batch 32 of 3x32x32), CrossEntropyLoss, SGD momentum 0.9.

conv 3->6 (5x5), ReLU, max-pool 2; conv 6->16 (5x5), ReLU, max-pool 2; flatten;
Linear 400->120, ReLU; Linear 120->84, ReLU; Linear 84->10.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._common import IMPLS, JAX_JIT, Case, Unavailable, uniform_init
from ._trainer import TrainSpec, jax_runner, torch_api_runner
from .w2_mlp import cross_entropy

SIZES = {"full": (32, 32), "tiny": (2, 32)}
_NEEDED = ("Conv2d", "MaxPool2d", "Flatten")
CONV_INDICES, LINEAR_INDICES = (0, 3), (7, 9, 11)


def build_model(lib):
    """LeNet as nn.Sequential; conv at 0 and 3, linear at 7, 9 and 11."""
    missing = [name for name in _NEEDED if not hasattr(lib.nn, name)]
    if missing:
        raise Unavailable(f"n/a (no nn.{missing[0]} yet)")
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip


def _conv_relu_pool(x, weight, bias):
    layout = ("NCHW", "OIHW", "NCHW")  # torch's layouts, so weights need no transposing
    y = lax.conv_general_dilated(x, weight, (1, 1), "VALID", dimension_numbers=layout)
    y = jax.nn.relu(y + bias[None, :, None, None])
    window = (1, 1, 2, 2)
    return lax.reduce_window(y, np.float32(-np.inf), lax.max, window, window, "VALID")


def jax_loss(params, images, labels):
    x = images
    for index in CONV_INDICES:
        x = _conv_relu_pool(x, params[f"{index}.weight"], params[f"{index}.bias"])
    x = x.reshape(x.shape[0], -1)
    for index in LINEAR_INDICES:
        if index != LINEAR_INDICES[0]:
            x = jax.nn.relu(x)
        x = x @ params[f"{index}.weight"].T + params[f"{index}.bias"]
    log_probs = jax.nn.log_softmax(x, axis=-1)
    return -jnp.take_along_axis(log_probs, labels[:, None], axis=-1).mean()


def spec(size: str = "full") -> TrainSpec:
    """The W3 step at the given size, with fixed weights and data."""
    batch, side = SIZES[size]
    rng = np.random.default_rng(3)
    shapes = {
        "0.weight": (6, 3, 5, 5), "0.bias": (6,), "3.weight": (16, 6, 5, 5), "3.bias": (16,),
        "7.weight": (120, 400), "7.bias": (120,), "9.weight": (84, 120), "9.bias": (84,),
        "11.weight": (10, 84), "11.bias": (10,),
    }  # fmt: skip
    return TrainSpec(
        build_model=build_model,
        loss=cross_entropy,
        jax_loss=jax_loss,
        weights=uniform_init(rng, shapes),
        inputs=rng.standard_normal((batch, 3, side, side), dtype=np.float32),
        target=rng.integers(0, 10, batch, dtype=np.int64),
        lr=0.01,
        momentum=0.9,
    )


def cases(size: str = "full") -> list[Case]:
    train = spec(size)
    factories = {impl: (lambda impl=impl: torch_api_runner(impl, train)) for impl in IMPLS}
    factories[JAX_JIT] = lambda: jax_runner(train)
    title = "LeNet, CIFAR-shaped batch 32x3x32x32, CrossEntropyLoss, SGD momentum 0.9"
    return [Case("W3", title, factories)]
