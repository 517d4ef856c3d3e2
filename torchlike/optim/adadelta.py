"""torch.optim.Adadelta: steps scaled by running averages of squared gradients and updates."""

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

__all__ = ["Adadelta"]


class Adadelta(FusedOptimizer):
    """torch.optim.Adadelta."""

    _SETSTATE_DEFAULTS = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_at_least_zero(eps, "epsilon")
        check_at_least_zero(weight_decay, "weight_decay")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, param, group) -> dict:
        return {
            "step": scalar_state(0.0),
            "square_avg": zeros_like_param(param),
            "acc_delta": zeros_like_param(param),
        }

    def _flags(self, group) -> tuple:
        return group["maximize"], group["weight_decay"] != 0

    def _coefficients(self, group, scalars) -> tuple:
        scalars["step"] = f32_add(scalars["step"], 1)
        rho = group["rho"]
        return group["weight_decay"], rho, 1 - rho, group["eps"], -number(group["lr"])

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay = flags
        weight_decay, rho, one_minus_rho, eps, neg_lr = coefficients
        grad = -grad if maximize else grad
        if decay:
            grad = pw.add(grad, param, weight_decay)
        square_avg = pw.addcmul(pw.mul(state["square_avg"], rho), grad, grad, one_minus_rho)
        std = pw.sqrt(pw.add_scalar(square_avg, eps))
        delta = pw.sqrt(pw.add_scalar(state["acc_delta"], eps))
        delta = pw.mul_tensor(pw.div_tensor(delta, std), grad)
        acc_delta = pw.addcmul(pw.mul(state["acc_delta"], rho), delta, delta, one_minus_rho)
        new_state = {"square_avg": square_avg, "acc_delta": acc_delta}
        return pw.add(param, delta, neg_lr), new_state
