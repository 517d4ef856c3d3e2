"""The step every torchlike optimizer shares: one compiled update over all of a group's parameters.

An optimizer class says how to make a parameter's state, which group options change the program
(`_flags`, static), which numbers each parameter's update needs this step (`_coefficients`,
Python floats computed exactly as torch computes them in double precision) and how to update one
parameter (`_update`, a pure function of JAX arrays). `step()` then runs `_update` over every
parameter of a group inside one `jax.jit` program, cached by the flags; JAX's own cache keys it by
shapes and dtypes. The coefficients (learning rate, bias corrections, ...) are traced arguments,
so a scheduler changing `lr` every step never recompiles. They are computed once per distinct set
of per-parameter scalars (`step`, ...; the parameters of a group usually share it) and passed
once as Python numbers, which JAX's call converts itself (a new number made a device array
first cost tens of microseconds; Adam's bias corrections are new every step), with a static
tuple saying which set each parameter takes. A class whose parameter update reads its new state
(Adam) may give `_update` in two halves, which then run as two programs, each writing over the
arrays it replaces where nothing else holds them (`_compiled_in_two`). `foreach=False` selects
the per-tensor path instead: the same `_update` run one parameter at a time through per-kernel
jitted helpers (`_pointwise.py`), which gives bit-identical results. Parameters and state
tensors are written in place, so `id(p)`, views and `state[p][...]` references stay valid and
version counters move as torch's in-place ops move them.
"""

from __future__ import annotations

import functools
import math
import sys

import jax
import numpy as np

from .. import _dtype as dt
from .. import _grad_mode
from .._autograd.kernels import any_tracer
from .._device import several_devices
from .._tensor import Tensor, from_array
from . import _pointwise as pw
from ._pointwise import STRICT_ROUNDING
from .optimizer import Optimizer, _use_grad_for_differentiable

__all__ = ["FusedOptimizer", "check_lr"]

_Tracer = jax.core.Tracer
stats = {"donated_programs": 0}  # programs of two-part steps that wrote over their inputs


def check_lr(lr) -> None:
    """torch's checks on `lr` shared by every optimizer's constructor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_fused(fused, foreach, differentiable) -> None:
    """torch's checks when `fused=True` is asked for."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


@functools.lru_cache(maxsize=256)
def _compiled(update, flags):
    """One jitted program updating a whole list of parameters with `update` under `flags`."""

    def step_all(params, grads, states, coefficients, old_scalars, new_scalars):
        results = [update(flags, *args) for args in zip(params, grads, states, coefficients)]
        scalars = [_scalar_arrays(old, new) for old, new in zip(old_scalars, new_scalars)]
        return [r[0] for r in results], [r[1] for r in results], scalars

    def step_shared(slots, params, grads, states, old_scalars, shared):
        coefficients = [shared[j][0] for j in slots]
        new_scalars = [shared[j][1] for j in slots]
        return step_all(params, grads, states, coefficients, old_scalars, new_scalars)

    compiled = jax.jit(step_shared, static_argnums=0, compiler_options=STRICT_ROUNDING)

    def run(params, grads, states, old_scalars, shared, slots):
        """The group's update; `shared` holds each distinct (coefficients, new scalars) pair
        once, `slots` says which pair each parameter takes."""
        args = (params, grads, states, old_scalars, shared)
        if any_tracer(params) or any_tracer(grads):
            # inlined into the enclosing trace (torch.compile); other traced values (the state
            # of a step traced elsewhere) would only make the jitted call a nested one
            return step_shared(slots, *args)
        return compiled(slots, *args)

    run.compiled = compiled
    return run


@functools.lru_cache(maxsize=256)
def _compiled_in_two(state_update, param_update, flags):
    """The group's update as two jitted programs, the state first, then the parameters from the
    new state (see `FusedOptimizer._STATE_FIRST`); each writes over the arrays it replaces where
    nothing else holds them (`_unshared`)."""

    def states_step(slots, params, grads, states, old_scalars, shared):
        args = zip(params, grads, states, (shared[j][0] for j in slots))
        new_states = [state_update(flags, *arg) for arg in args]
        scalars = [_scalar_arrays(old, shared[j][1]) for old, j in zip(old_scalars, slots)]
        return new_states, scalars

    def params_step(slots, params, grads, new_states, shared):
        args = zip(params, grads, new_states, (shared[j][0] for j in slots))
        return [param_update(flags, *arg) for arg in args]

    options = {"static_argnums": 0, "compiler_options": STRICT_ROUNDING}
    states_jit = (
        jax.jit(states_step, **options),
        jax.jit(states_step, donate_argnums=3, **options),
    )
    params_jit = (
        jax.jit(params_step, **options),
        jax.jit(params_step, donate_argnums=1, **options),
    )

    def run(params, grads, states, old_scalars, shared, slots):
        if any_tracer(params) or any_tracer(grads):  # inlined into the enclosing trace
            new_states, scalars = states_step(slots, params, grads, states, old_scalars, shared)
            return params_step(slots, params, grads, new_states, shared), new_states, scalars
        donate = _unshared([], states)
        stats["donated_programs"] += donate
        new_states, scalars = states_jit[donate](slots, params, grads, states, old_scalars, shared)
        donate = _unshared(params, [])
        stats["donated_programs"] += donate
        return params_jit[donate](slots, params, grads, new_states, shared), new_states, scalars

    run.programs = (*states_jit, *params_jit)
    return run


def _unshared(params: list, states: list) -> bool:
    """Whether the parameters' and state tensors' arrays are held by nothing but their tensors'
    storage and the step's own lists, so a step may write its results over them (JAX's
    donation: the old arrays are deleted). Anything else holding one (a graph that saved the
    parameter, a pending op reading it, a numpy view of it, a second tensor made from the same
    array) keeps them all: the results then go to new buffers."""
    arrays = [*params, *(array for state in states for array in state.values())]
    for array in arrays:
        # the storage, `params` or a state dict, `arrays`, the loop variable, the argument
        if sys.getrefcount(array) > 5:
            return False
        if not isinstance(array, jax.Array) or isinstance(array, _Tracer):
            return False
    return bool(arrays)


class FusedOptimizer(Optimizer):
    """Shared step for torchlike's optimizers (see the module docstring)."""

    _SETSTATE_DEFAULTS: dict = {}
    _SCALAR_STATE: tuple = ("step",)
    # A class whose parameter update reads the new state (Adam's moments) may give the two
    # halves of `_update` as `_state_update` and `_param_update`: the fused step then runs them
    # as two programs. In one, XLA's fusion recomputes the new state inside every parameter's
    # loop (it duplicates cheap producers into their consumers), and the old state is still
    # read after the new one is written, so it cannot be written in place.
    _STATE_FIRST = False

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_host_scalars", {})
        for group in self.param_groups:
            for key, default in self._SETSTATE_DEFAULTS.items():
                group.setdefault(key, default)
            for param in group["params"]:
                param_state = self.state.get(param, {})
                for key in self._SCALAR_STATE:
                    if key in param_state and not isinstance(param_state[key], Tensor):
                        param_state[key] = _scalar_tensor(float(param_state[key]))

    # ----- what a subclass provides --------------------------------------------------------------
    def _new_state(self, param, group) -> dict:
        raise NotImplementedError

    def _flags(self, group) -> tuple:
        raise NotImplementedError

    def _coefficients(self, group, scalars: dict) -> tuple:
        """Advance the host scalars in `scalars` (in place) and return this step's numbers."""
        raise NotImplementedError

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        raise NotImplementedError

    # ----- the shared step -----------------------------------------------------------------------
    @_use_grad_for_differentiable
    def step(self, closure=None):
        """torch.optim.Optimizer.step: update every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with _grad_mode.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p._grad is not None]
            if params:
                self._step_group(group, params)
        return loss

    def _step_group(self, group, params) -> None:
        values = [param._value for param in params]
        self._check_supported(group, values)
        keys, several = self._SCALAR_STATE, several_devices()
        # comprehensions: no local name is left holding an array (see `_unshared`)
        states = [self._state_of(param, group) for param in params]
        old_scalars = [_scalar_state(state, keys) for state in states]
        arrays = [_array_state(state, keys) for state in states]
        grads = [param._grad._value for param in params]
        if several:
            grads = [_beside(grad, value) for grad, value in zip(grads, values)]
        shared, slots = self._advance_all(group, states)
        flags = self._flags(group)
        if group.get("foreach") is False:
            new_params, new_states = [], []
            for args in zip(values, grads, arrays, (shared[j][0] for j in slots)):
                new_param, new_state = self._update(flags, *args)
                new_params.append(new_param)
                new_states.append(new_state)
            scalars = [_scalar_arrays(o, shared[j][1]) for o, j in zip(old_scalars, slots)]
        else:
            if self._STATE_FIRST:
                run = _compiled_in_two(self._state_update, self._param_update, flags)
            else:
                run = _compiled(self._update, flags)
            new_params, new_states, scalars = run(values, grads, arrays, old_scalars, shared, slots)
        for state, arrays_now, j in zip(states, scalars, slots):
            self._write_scalars(state, arrays_now, shared[j][1])
        for param, state, new_param, new_state in zip(params, states, new_params, new_states):
            param._replace(new_param)
            for key, value in new_state.items():
                if isinstance(state.get(key), Tensor):
                    state[key]._replace(value)
                else:
                    state[key] = from_array(value)
            if state and param not in self.state:
                self.state[param] = state

    def _check_supported(self, group, values) -> None:
        name = type(self).__name__
        if group.get("differentiable"):
            raise NotImplementedError(
                f"torchlike: optim.{name}(differentiable=True) is not supported"
            )
        for value in values:
            if value.dtype.kind == "c":
                raise NotImplementedError(
                    f"torchlike: optim.{name} does not support complex parameters yet"
                )

    def _state_of(self, param, group) -> dict:
        """The parameter's state, made on its first step (kept only once it holds something)."""
        state = self.state.get(param)
        if not state:
            state = self._new_state(param, group)
            if state:
                self.state[param] = state
        return state

    def _advance_all(self, group, states: list) -> tuple:
        """This step's (coefficients, advanced scalars) pairs, one per distinct set of scalar
        values (`step`, ...), and which pair each parameter takes: the parameters of a group
        usually share their step, so they share its numbers, computed and passed once."""
        shared, slots, known = [], [], {}
        for state in states:
            scalars = {key: self._read_scalar(state[key]) for key in self._SCALAR_STATE
                       if key in state}  # fmt: skip
            key = _numbers_key(scalars)
            j = known.get(key) if key is not None else None
            if j is None:
                j = len(shared)
                shared.append((self._coefficients(group, scalars), scalars))
                if key is not None:
                    known[key] = j
            slots.append(j)
        return shared, tuple(slots)

    def _write_scalars(self, state, arrays, values) -> None:
        """Write the advanced scalars in place, keeping host copies (no device read next step)."""
        for key, array in arrays.items():
            tensor = state[key]
            tensor._write(array)
            if isinstance(values[key], float):  # traced values are never kept
                self._host_scalars[id(tensor)] = (tensor, tensor._version, values[key])

    def _read_scalar(self, tensor) -> float:
        """A 0-d state tensor's value, from the host copy kept since this optimizer wrote it."""
        cache = self.__dict__.setdefault("_host_scalars", {})
        cached = cache.get(id(tensor))
        if cached is not None and cached[0] is tensor and cached[1] == tensor._version:
            return cached[2]
        if isinstance(tensor._value, jax.core.Tracer):  # traced: the arithmetic stays in-graph
            return tensor._value.astype(np.float64)
        return float(tensor.item())


def _numbers_key(scalars: dict):
    """A key telling apart every different dict of Python numbers (types and the sign of zero
    included), or None where a value is something else (a traced value)."""
    key = []
    for name, value in scalars.items():
        cls = value.__class__
        if cls is not float and cls is not int or value != value:
            return None
        key.append((name, cls, value, math.copysign(1.0, value)))
    return tuple(key)


def _beside(grad, value):
    """`grad` on `value`'s device (a gradient assigned from another device is moved, not mixed)."""
    if not several_devices() or isinstance(grad, _Tracer) or isinstance(value, _Tracer):
        return grad  # with one device, every array is already on it
    if grad.devices() != value.devices():
        return jax.device_put(grad, value.sharding)
    return grad


def _scalar_state(state: dict, scalar_keys) -> dict:
    return {key: state[key]._value for key in scalar_keys if key in state}


def _scalar_arrays(old: dict, new: dict) -> dict:
    """The advanced scalar values as 0-d arrays of the state tensors' dtypes."""
    return {key: jax.numpy.asarray(new[key]).astype(old[key].dtype) for key in old}


def _array_state(state: dict, scalar_keys) -> dict:
    return {
        key: value._value
        for key, value in state.items()
        if key not in scalar_keys and isinstance(value, Tensor)
    }


def _scalar_tensor(value: float) -> Tensor:
    # torch's _get_scalar_dtype(): float64 under a float64 default dtype, else float32
    wide = dt.get_default_dtype() is dt.float64
    return from_array(jax.numpy.asarray(value, dtype=np.float64 if wide else np.float32))


def scalar_state(value: float) -> Tensor:
    """A float32 0-d state tensor such as torch's `state['step']`."""
    return _scalar_tensor(value)


def f32_add(value, increment):
    """`value + increment` rounded to float32, as torch's `step_t += 1` on a float32 tensor."""
    if isinstance(value, float):
        return float(np.float32(np.float32(value) + np.float32(increment)))
    f32 = jax.numpy.float32
    return (value.astype(f32) + jax.numpy.asarray(increment, f32)).astype(np.float64)


def f32_mul(value, factor):
    """`value * factor` rounded to float32, as `mu_product *= mu` on a float32 tensor."""
    if isinstance(value, float):
        return float(np.float32(np.float32(value) * np.float32(factor)))
    f32 = jax.numpy.float32
    return (value.astype(f32) * jax.numpy.asarray(factor).astype(f32)).astype(np.float64)


def number(value) -> float:
    """A hyperparameter as a Python float (a 1-element tensor is read, as torch's `_to_scalar`)."""
    return float(value.item()) if isinstance(value, Tensor) else value


def check_at_least_zero(value, what: str) -> None:
    """torch's `Invalid <what> value: <value>` check for a hyperparameter that must be >= 0."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


def check_betas(betas) -> None:
    """torch's checks that both betas lie in [0, 1)."""
    for index in (0, 1):
        if not 0.0 <= betas[index] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {betas[index]}")


def check_adam_family(lr, eps, betas, weight_decay) -> None:
    """torch's constructor checks shared by Adam, AdamW, Adamax, NAdam and RAdam, in its order."""
    check_lr(lr)
    check_at_least_zero(eps, "epsilon")
    check_betas(betas)
    check_at_least_zero(weight_decay, "weight_decay")


def apply_weight_decay(param, grad, decay, decoupled, weight_decay, decay_factor):
    """(param, grad) after weight decay: decoupled shrinks the parameter, else grad += wd * p."""
    if decay and decoupled:
        return pw.mul(param, decay_factor), grad
    if decay:
        return param, pw.add(grad, param, weight_decay)
    return param, grad


def adam_moments(state, grad, one_minus_beta1, beta2, one_minus_beta2):
    """Adam's first and second moments, rounded as torch's lerp_ and mul_().addcmul_()."""
    exp_avg = pw.lerp(state["exp_avg"], grad, one_minus_beta1)
    exp_avg_sq = pw.addcmul(pw.mul(state["exp_avg_sq"], beta2), grad, grad, one_minus_beta2)
    return exp_avg, exp_avg_sq


def full_like_param(param, value) -> Tensor:
    """torch.full_like(param, value): a state tensor shaped, typed and placed like `param`."""
    return from_array(jax.numpy.full_like(param._value, value))  # same device and placement


def zeros_like_param(param) -> Tensor:
    """torch.zeros_like(param) for optimizer state."""
    return full_like_param(param, 0)
