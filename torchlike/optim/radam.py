"""torch.optim.RAdam: Adam with a rectified adaptive learning rate."""

from __future__ import annotations

import jax.numpy as jnp

from . import _pointwise as pw
from ._stepper import (
    FusedOptimizer,
    adam_moments,
    apply_weight_decay,
    check_adam_family,
    f32_add,
    number,
    scalar_state,
    zeros_like_param,
)

__all__ = ["RAdam"]


class RAdam(FusedOptimizer):
    """torch.optim.RAdam."""

    _SETSTATE_DEFAULTS = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ) -> None:
        check_adam_family(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, param, group) -> dict:
        return {
            "step": scalar_state(0.0),
            "exp_avg": zeros_like_param(param),
            "exp_avg_sq": zeros_like_param(param),
        }

    def _flags(self, group) -> tuple:
        decay = group["weight_decay"] != 0
        return group["maximize"], decay, group["decoupled_weight_decay"]

    def _coefficients(self, group, scalars) -> tuple:
        step = scalars["step"] = f32_add(scalars["step"], 1)
        lr, weight_decay = number(group["lr"]), group["weight_decay"]
        beta1, beta2 = group["betas"]
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        rect, rectified = _rectification(rho_t, rho_inf)
        decay = (weight_decay, 1 - lr * weight_decay)
        moments = (1 - beta1, beta2, 1 - beta2, 1 - beta1**step)
        return (*decay, *moments, lr, bias_correction2**0.5, group["eps"], rect, rectified)

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay, decoupled = flags
        weight_decay, decay_factor, one_minus_beta1, beta2, one_minus_beta2 = coefficients[:5]
        bias_correction1, lr, bias_correction2_sqrt, eps, rect, rectified = coefficients[5:]
        grad = -grad if maximize else grad
        param, grad = apply_weight_decay(param, grad, decay, decoupled, weight_decay, decay_factor)
        exp_avg, exp_avg_sq = adam_moments(state, grad, one_minus_beta1, beta2, one_minus_beta2)
        scaled = pw.mul(pw.div_scalar(exp_avg, bias_correction1), lr)
        adaptive = pw.rdiv_scalar(bias_correction2_sqrt, pw.add_scalar(pw.sqrt(exp_avg_sq), eps))
        update = jnp.where(rectified > 0, pw.mul(pw.mul_tensor(scaled, adaptive), rect), scaled)
        return pw.add(param, update, -1.0), {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


def _rectification(rho_t, rho_inf):
    """The variance rectification term and whether it applies (rho_t > 5), as torch computes it;
    a traced step (inside torch.compile) selects in-graph instead of branching."""

    def ratio():
        return (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)

    if isinstance(rho_t, float):
        return (ratio() ** 0.5 if rho_t > 5.0 else 0.0), float(rho_t > 5.0)
    rectified = rho_t > 5.0
    return jnp.where(rectified, jnp.sqrt(jnp.maximum(ratio(), 0.0)), 0.0), rectified.astype(float)
