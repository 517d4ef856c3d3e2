"""Training-step runners for W1-W3: one torch-API loop run on torch/torchlike, and a jax.jit step.

A TrainSpec describes a supervised step (model, loss, data, SGD settings) twice: as torch-API
code taking the library as an argument, and as a pure JAX loss over a dict of parameters named
like torch's `named_parameters()`, with weights stored in torch's layouts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ._common import (
    TORCH_COMPILE,
    TORCHLIKE,
    Runner,
    libraries,
    load_weights,
    sync_jax,
    sync_torch,
    sync_torchlike,
    to_numpy,
)


@dataclass
class TrainSpec:
    """A training step described for both the torch API and pure JAX."""

    build_model: Callable  # build_model(lib) -> nn.Module; raises Unavailable when lib lacks it
    loss: Callable  # loss(lib, output, target) -> scalar tensor
    jax_loss: Callable  # jax_loss(params, inputs, target) -> scalar array
    weights: dict[str, np.ndarray]
    inputs: np.ndarray
    target: np.ndarray
    lr: float
    momentum: float = 0.0


def _sgd_kwargs(spec: TrainSpec) -> dict:
    return {"lr": spec.lr, "momentum": spec.momentum} if spec.momentum else {"lr": spec.lr}


def torch_api_runner(impl: str, spec: TrainSpec) -> Runner:
    """forward, loss, backward, SGD step, zero_grad on torch, torchlike or torch.compile."""
    lib = libraries(impl)
    model = spec.build_model(lib)
    load_weights(lib, model, spec.weights)
    inputs = lib.from_numpy(spec.inputs.copy())
    target = lib.from_numpy(spec.target.copy())
    optimizer = lib.optim.SGD(model.parameters(), **_sgd_kwargs(spec))
    params = list(model.parameters())

    def forward_backward():
        loss = spec.loss(lib, model(inputs), target)
        loss.backward()
        return loss

    def eager_step():
        loss = forward_backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    step = lib.compile(eager_step) if impl == TORCH_COMPILE else eager_step

    def result():
        first_loss = forward_backward()
        out = {"loss": to_numpy(first_loss)}
        out.update({f"grad/{n}": to_numpy(p.grad) for n, p in model.named_parameters()})
        optimizer.step()
        optimizer.zero_grad()
        out["second_loss"] = to_numpy(step())
        out.update({f"param/{n}": to_numpy(p) for n, p in model.named_parameters()})
        return out

    if impl == TORCHLIKE:
        return Runner(step, lambda loss: sync_torchlike([loss, *params]), result)
    return Runner(step, sync_torch, result)


def jax_runner(spec: TrainSpec) -> Runner:
    """The same step as one jax.jit program: value_and_grad, then the SGD (momentum) update."""
    momentum, lr = spec.momentum, spec.lr
    loss_and_grads = jax.value_and_grad(spec.jax_loss)

    @jax.jit
    def train_step(params, velocity, inputs, target):
        loss, grads = loss_and_grads(params, inputs, target)
        if momentum:
            # torch's first momentum buffer is the gradient itself: momentum * 0 + grad.
            velocity = jax.tree.map(lambda v, g: momentum * v + g, velocity, grads)
            grads = velocity
        params = jax.tree.map(lambda p, g: p - lr * g, params, grads)
        return params, velocity, loss

    inputs, target = jnp.asarray(spec.inputs), jnp.asarray(spec.target)
    initial_params = {n: jnp.asarray(w) for n, w in spec.weights.items()}
    zeros = {n: jnp.zeros_like(p) for n, p in initial_params.items()} if momentum else {}
    state = {"params": initial_params, "velocity": zeros}

    def step():
        state["params"], state["velocity"], loss = train_step(
            state["params"], state["velocity"], inputs, target
        )
        return loss, state["params"]

    def result():
        first_loss, grads = jax.jit(loss_and_grads)(state["params"], inputs, target)
        out = {"loss": to_numpy(first_loss)}
        out.update({f"grad/{n}": to_numpy(g) for n, g in grads.items()})
        step()
        second_loss, params = step()
        out["second_loss"] = to_numpy(second_loss)
        out.update({f"param/{n}": to_numpy(p) for n, p in params.items()})
        return out

    return Runner(step, sync_jax, result)
