"""Training-step runners for W1-W3 and W6: one torch-API loop run on torch/torchlike, and a
jax.jit step.

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
    TORCHLIKE_COMPILE,
    Runner,
    Unavailable,
    device,
    jax_device,
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
    optimizer: str = "SGD"  # SGD (with momentum), Adam or AdamW, with torch's defaults
    weight_decay: float = 0.0


def _optimizer(lib, spec: TrainSpec, params):
    if not hasattr(lib.optim, spec.optimizer):
        raise Unavailable(f"n/a (no optim.{spec.optimizer} yet)")
    kwargs = {"lr": spec.lr}
    if spec.optimizer == "SGD" and spec.momentum:
        kwargs["momentum"] = spec.momentum
    if spec.optimizer == "AdamW":
        kwargs["weight_decay"] = spec.weight_decay
    return getattr(lib.optim, spec.optimizer)(params, **kwargs)


def torch_api_runner(impl: str, spec: TrainSpec) -> Runner:
    """forward, loss, backward, optimizer step, zero_grad on torch/torchlike, eager or compiled."""
    lib = libraries(impl)
    if impl == TORCHLIKE_COMPILE and not hasattr(lib, "compile"):
        raise Unavailable("n/a (no torchlike.compile yet)")
    model = spec.build_model(lib)
    load_weights(lib, model, spec.weights)
    model.to(device())
    inputs = lib.from_numpy(spec.inputs.copy()).to(device())
    target = lib.from_numpy(spec.target.copy()).to(device())
    optimizer = _optimizer(lib, spec, model.parameters())
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

    step = lib.compile(eager_step) if impl in (TORCH_COMPILE, TORCHLIKE_COMPILE) else eager_step

    def result():
        first_loss = forward_backward()
        out = {"loss": to_numpy(first_loss)}
        out.update({f"grad/{n}": to_numpy(p.grad) for n, p in model.named_parameters()})
        optimizer.step()
        optimizer.zero_grad()
        out["second_loss"] = to_numpy(step())
        out.update({f"param/{n}": to_numpy(p) for n, p in model.named_parameters()})
        return out

    if impl in (TORCHLIKE, TORCHLIKE_COMPILE):
        return Runner(step, lambda loss: sync_torchlike([loss, *params]), result)
    return Runner(step, sync_torch, result)


def _jax_update(spec: TrainSpec):
    """update(params, state, grads, step) -> (params, state): torch's formulas in JAX."""
    lr, momentum, decay = spec.lr, spec.momentum, spec.weight_decay
    if spec.optimizer == "SGD":

        def update(params, state, grads, step):
            if momentum:
                # torch's first momentum buffer is the gradient itself: momentum * 0 + grad.
                state = jax.tree.map(lambda v, g: momentum * v + g, state, grads)
                grads = state
            return jax.tree.map(lambda p, g: p - lr * g, params, grads), state

        return update
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    decoupled = spec.optimizer == "AdamW" and decay

    def adam(p, m, v, g, step):
        if decoupled:
            p = p * (1 - lr * decay)
        m = m + (g - m) * (1 - beta1)  # torch's exp_avg.lerp_(grad, 1 - beta1)
        v = v * beta2 + g * g * (1 - beta2)
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        denom = jnp.sqrt(v) / jnp.sqrt(correction2) + eps
        return p - (lr / correction1) * m / denom, m, v

    def update(params, state, grads, step):
        out = {n: adam(params[n], *state[n], grads[n], step) for n in params}
        return {n: o[0] for n, o in out.items()}, {n: o[1:] for n, o in out.items()}

    return update


def _jax_state(spec: TrainSpec, params):
    zeros = {n: jnp.zeros_like(p) for n, p in params.items()}
    if spec.optimizer == "SGD":
        return zeros
    return {n: (z, z) for n, z in zeros.items()}


def jax_runner(spec: TrainSpec) -> Runner:
    """The same step as one jax.jit program: value_and_grad, then the optimizer update."""
    loss_and_grads = jax.value_and_grad(spec.jax_loss)
    update = _jax_update(spec)

    @jax.jit
    def train_step(params, opt_state, step, inputs, target):
        loss, grads = loss_and_grads(params, inputs, target)
        params, opt_state = update(params, opt_state, grads, step)
        return params, opt_state, loss

    place = jax_device()
    inputs, target = jax.device_put(spec.inputs, place), jax.device_put(spec.target, place)
    initial_params = {n: jax.device_put(w, place) for n, w in spec.weights.items()}
    state = {"params": initial_params, "opt": _jax_state(spec, initial_params), "step": 0}

    def step():
        state["step"] += 1
        state["params"], state["opt"], loss = train_step(
            state["params"], state["opt"], jnp.float32(state["step"]), inputs, target
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
