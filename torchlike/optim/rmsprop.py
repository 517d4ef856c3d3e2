"""torch.optim.RMSprop: a running average of squared gradients, optionally centred."""

from __future__ import annotations

from . import _pointwise as pw
from ._stepper import (
    FusedOptimizer,
    check_at_least_zero,
    check_lr,
    f32_add,
    number,
    scalar_state,
    zeros_like_param,
)

__all__ = ["RMSprop"]


class RMSprop(FusedOptimizer):
    """torch.optim.RMSprop."""

    _SETSTATE_DEFAULTS = {
        "momentum": 0,
        "centered": False,
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ) -> None:
        check_lr(lr)
        check_at_least_zero(eps, "epsilon")
        check_at_least_zero(momentum, "momentum")
        check_at_least_zero(weight_decay, "weight_decay")
        check_at_least_zero(alpha, "alpha")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, param, group) -> dict:
        state = {"step": scalar_state(0.0), "square_avg": zeros_like_param(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like_param(param)
        if group["centered"]:
            state["grad_avg"] = zeros_like_param(param)
        return state

    def _flags(self, group) -> tuple:
        decay = group["weight_decay"] != 0
        return group["maximize"], decay, group["centered"], group["momentum"] > 0

    def _coefficients(self, group, scalars) -> tuple:
        scalars["step"] = f32_add(scalars["step"], 1)
        alpha = group["alpha"]
        lr = number(group["lr"])
        return group["weight_decay"], alpha, 1 - alpha, group["eps"], group["momentum"], -lr

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay, centered, use_momentum = flags
        weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr = coefficients
        grad = -grad if maximize else grad
        if decay:
            grad = pw.add(grad, param, weight_decay)
        square_avg = pw.addcmul(pw.mul(state["square_avg"], alpha), grad, grad, one_minus_alpha)
        new_state = {"square_avg": square_avg}
        if centered:
            grad_avg = new_state["grad_avg"] = pw.lerp(state["grad_avg"], grad, one_minus_alpha)
            avg = pw.sqrt(pw.addcmul(square_avg, grad_avg, grad_avg, -1))
        else:
            avg = pw.sqrt(square_avg)
        avg = pw.add_scalar(avg, eps)
        if use_momentum:
            buffer = pw.addcdiv(pw.mul(state["momentum_buffer"], momentum), grad, avg)
            new_state["momentum_buffer"] = buffer
            return pw.add(param, buffer, neg_lr), new_state
        return pw.addcdiv(param, grad, avg, neg_lr), new_state
