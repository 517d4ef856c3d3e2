"""torch.optim.Adamax: Adam with an infinity-norm second moment."""

from __future__ import annotations

import jax.numpy as jnp

from . import _pointwise as pw
from ._stepper import (
    FusedOptimizer,
    check_adam_family,
    f32_add,
    number,
    scalar_state,
    zeros_like_param,
)

__all__ = ["Adamax"]


class Adamax(FusedOptimizer):
    """torch.optim.Adamax."""

    _SETSTATE_DEFAULTS = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ) -> None:
        check_adam_family(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _new_state(self, param, group) -> dict:
        return {
            "step": scalar_state(0.0),
            "exp_avg": zeros_like_param(param),
            "exp_inf": zeros_like_param(param),
        }

    def _flags(self, group) -> tuple:
        return group["maximize"], group["weight_decay"] != 0

    def _coefficients(self, group, scalars) -> tuple:
        step = scalars["step"] = f32_add(scalars["step"], 1)
        beta1, beta2 = group["betas"]
        clr = number(group["lr"]) / (1 - beta1**step)
        return group["weight_decay"], 1 - beta1, beta2, group["eps"], -clr

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay = flags
        weight_decay, one_minus_beta1, beta2, eps, neg_clr = coefficients
        grad = -grad if maximize else grad
        if decay:
            grad = pw.add(grad, param, weight_decay)
        exp_avg = pw.lerp(state["exp_avg"], grad, one_minus_beta1)
        exp_inf = pw.maximum(pw.mul(state["exp_inf"], beta2), pw.add_scalar(jnp.abs(grad), eps))
        new_state = {"exp_avg": exp_avg, "exp_inf": exp_inf}
        return pw.addcdiv(param, exp_avg, exp_inf, neg_clr), new_state
