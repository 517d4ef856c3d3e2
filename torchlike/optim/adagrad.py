"""torch.optim.Adagrad: steps scaled by the root of the summed squared gradients."""

from __future__ import annotations

from . import _pointwise as pw
from ._stepper import (
    FusedOptimizer,
    check_at_least_zero,
    check_fused,
    check_lr,
    f32_add,
    full_like_param,
    number,
    scalar_state,
)

__all__ = ["Adagrad"]


class Adagrad(FusedOptimizer):
    """torch.optim.Adagrad."""

    _SETSTATE_DEFAULTS = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "fused": None,
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ) -> None:
        check_lr(lr)
        check_at_least_zero(lr_decay, "lr_decay")
        check_at_least_zero(weight_decay, "weight_decay")
        check_at_least_zero(initial_accumulator_value, "initial_accumulator_value")
        check_at_least_zero(eps, "epsilon")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:  # Adagrad makes its state up front, as torch's does
            for param in group["params"]:
                self.state[param] = self._new_state(param, group)

    def _new_state(self, param, group) -> dict:
        initial = group["initial_accumulator_value"]
        return {"step": scalar_state(0.0), "sum": full_like_param(param, initial)}

    def _flags(self, group) -> tuple:
        return group["maximize"], group["weight_decay"] != 0

    def _coefficients(self, group, scalars) -> tuple:
        step = scalars["step"] = f32_add(scalars["step"], 1)
        clr = number(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        return group["weight_decay"], group["eps"], -clr

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay = flags
        weight_decay, eps, neg_clr = coefficients
        grad = -grad if maximize else grad
        if decay:
            grad = pw.add(grad, param, weight_decay)
        state_sum = pw.addcmul(state["sum"], grad, grad, 1)
        std = pw.add_scalar(pw.sqrt(state_sum), eps)
        return pw.addcdiv(param, grad, std, neg_clr), {"sum": state_sum}
