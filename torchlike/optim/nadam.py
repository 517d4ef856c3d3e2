"""torch.optim.NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from . import _pointwise as pw
from ._stepper import (
    FusedOptimizer,
    adam_moments,
    apply_weight_decay,
    check_adam_family,
    check_at_least_zero,
    f32_add,
    f32_mul,
    number,
    scalar_state,
    zeros_like_param,
)

__all__ = ["NAdam"]


class NAdam(FusedOptimizer):
    """torch.optim.NAdam."""

    _SETSTATE_DEFAULTS = {
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
    }
    _SCALAR_STATE = ("step", "mu_product")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ) -> None:
        check_adam_family(lr, eps, betas, weight_decay)
        check_at_least_zero(momentum_decay, "momentum_decay")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, param, group) -> dict:
        return {
            "step": scalar_state(0.0),
            "mu_product": scalar_state(1.0),
            "exp_avg": zeros_like_param(param),
            "exp_avg_sq": zeros_like_param(param),
        }

    def _flags(self, group) -> tuple:
        decay = group["weight_decay"] != 0
        return group["maximize"], decay, group["decoupled_weight_decay"]

    def _coefficients(self, group, scalars) -> tuple:
        step = scalars["step"] = f32_add(scalars["step"], 1)
        lr, weight_decay = number(group["lr"]), group["weight_decay"]
        decay_rate = group["momentum_decay"]
        beta1, beta2 = group["betas"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay_rate)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay_rate)))
        mu_product = scalars["mu_product"] = f32_mul(scalars["mu_product"], mu)
        grad_scale = -lr * (1.0 - mu) / (1.0 - mu_product)
        avg_scale = (-lr * mu_next) / (1.0 - mu_product * mu_next)
        decay = (weight_decay, 1 - lr * weight_decay)
        moments = (1 - beta1, beta2, 1 - beta2, 1 - beta2**step)
        return (*decay, *moments, group["eps"], grad_scale, avg_scale)

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay, decoupled = flags
        weight_decay, decay_factor, one_minus_beta1, beta2, one_minus_beta2 = coefficients[:5]
        bias_correction2, eps, grad_scale, avg_scale = coefficients[5:]
        grad = -grad if maximize else grad
        param, grad = apply_weight_decay(param, grad, decay, decoupled, weight_decay, decay_factor)
        exp_avg, exp_avg_sq = adam_moments(state, grad, one_minus_beta1, beta2, one_minus_beta2)
        denom = pw.add_scalar(pw.sqrt(pw.div_scalar(exp_avg_sq, bias_correction2)), eps)
        param = pw.addcdiv(param, grad, denom, grad_scale)
        param = pw.addcdiv(param, exp_avg, denom, avg_scale)
        return param, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
