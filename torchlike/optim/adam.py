"""torch.optim.Adam: adaptive moments, with AMSGrad and coupled or decoupled weight decay."""

from __future__ import annotations

from .._tensor import Tensor
from . import _pointwise as pw
from ._stepper import (
    FusedOptimizer,
    adam_moments,
    apply_weight_decay,
    check_adam_family,
    check_fused,
    f32_add,
    number,
    scalar_state,
    zeros_like_param,
)

__all__ = ["Adam"]


class Adam(FusedOptimizer):
    """torch.optim.Adam."""

    _SETSTATE_DEFAULTS = {
        "amsgrad": False,
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "fused": None,
    }

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        check_adam_family(lr, eps, betas, weight_decay)
        _check_beta_types(betas, foreach, capturable)
        defaults = {
            "lr": lr,
            "betas": tuple(_to_scalar(beta) for beta in betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _new_state(self, param, group) -> dict:
        state = {
            "step": scalar_state(0.0),
            "exp_avg": zeros_like_param(param),
            "exp_avg_sq": zeros_like_param(param),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like_param(param)
        return state

    def _flags(self, group) -> tuple:
        decay = group["weight_decay"] != 0
        decoupled = group["decoupled_weight_decay"]
        return group["maximize"], decay, decoupled, group["amsgrad"]

    def _coefficients(self, group, scalars) -> tuple:
        step = scalars["step"] = f32_add(scalars["step"], 1)
        lr, weight_decay, eps = number(group["lr"]), group["weight_decay"], group["eps"]
        beta1, beta2 = (number(beta) for beta in group["betas"])
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        step_size = lr / (1 - beta1**step)
        return (
            weight_decay,
            1 - lr * weight_decay,
            1 - beta1,
            beta2,
            1 - beta2,
            bias_correction2_sqrt,
            eps,
            -step_size,
        )

    _STATE_FIRST = True

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        new_state = Adam._state_update(flags, param, grad, state, coefficients)
        return Adam._param_update(flags, param, grad, new_state, coefficients), new_state

    @staticmethod
    def _state_update(flags, param, grad, state, coefficients):
        """The new moments (and AMSGrad's maximum)."""
        maximize, decay, decoupled, amsgrad = flags
        weight_decay, decay_factor, one_minus_beta1, beta2, one_minus_beta2 = coefficients[:5]
        grad = -grad if maximize else grad
        coupled = decay and not decoupled  # decoupled decay shrinks the parameter, not the grad
        _, grad = apply_weight_decay(param, grad, coupled, False, weight_decay, decay_factor)
        exp_avg, exp_avg_sq = adam_moments(state, grad, one_minus_beta1, beta2, one_minus_beta2)
        new_state = {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        if amsgrad:
            new_state["max_exp_avg_sq"] = pw.maximum(state["max_exp_avg_sq"], exp_avg_sq)
        return new_state

    @staticmethod
    def _param_update(flags, param, grad, new_state, coefficients):
        """The parameter after this step, from the new state."""
        maximize, decay, decoupled, amsgrad = flags
        weight_decay, decay_factor = coefficients[:2]
        bias_correction2_sqrt, eps, neg_step_size = coefficients[5:]
        param, _ = apply_weight_decay(
            param, grad, decay and decoupled, True, weight_decay, decay_factor
        )
        second = new_state["max_exp_avg_sq" if amsgrad else "exp_avg_sq"]
        denom = pw.add_scalar(pw.div_scalar(pw.sqrt(second), bias_correction2_sqrt), eps)
        return pw.addcdiv(param, new_state["exp_avg"], denom, neg_step_size)


def _to_scalar(value):
    """torch's `_to_scalar`: a 1-element tensor becomes 0-d; anything else stays as it is."""
    if isinstance(value, Tensor) and value.dim() != 0:
        return value.reshape(())
    return value


def _check_beta_types(betas, foreach, capturable) -> None:
    both_floats = isinstance(betas[0], float) and isinstance(betas[1], float)
    both_tensors = isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)
    if not (both_floats or both_tensors):
        raise ValueError("betas must be either both floats or both Tensors")
    for index, beta in enumerate(betas):
        if isinstance(beta, Tensor):
            if not capturable and foreach:
                raise ValueError(
                    f"betas[{index}] as a Tensor is not supported for capturable=False and "
                    "foreach=True"
                )
            if beta.numel() != 1:
                raise ValueError(f"Tensor betas[{index}] must be 1-element")
