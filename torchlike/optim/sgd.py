"""torch.optim.SGD: stochastic gradient descent with momentum, dampening, Nesterov, decay."""

from __future__ import annotations

from . import _pointwise as pw
from ._stepper import FusedOptimizer, check_fused, check_lr, number

__all__ = ["SGD"]


class SGD(FusedOptimizer):
    """torch.optim.SGD."""

    _SETSTATE_DEFAULTS = {
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": False,
    }
    _SCALAR_STATE = ()

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ) -> None:
        check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _new_state(self, param, group) -> dict:
        return {}

    def _flags(self, group) -> tuple:
        momentum = group["momentum"] != 0
        return group["maximize"], group["weight_decay"] != 0, momentum, group["nesterov"]

    def _coefficients(self, group, scalars) -> tuple:
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        return weight_decay, momentum, 1 - group["dampening"], -number(group["lr"])

    @staticmethod
    def _update(flags, param, grad, state, coefficients):
        maximize, decay, use_momentum, nesterov = flags
        weight_decay, momentum, one_minus_dampening, neg_lr = coefficients
        grad = -grad if maximize else grad
        if decay:
            grad = pw.add(grad, param, weight_decay)
        new_state = {}
        if use_momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:  # the first step starts the buffer at the gradient
                buffer = grad
            else:
                buffer = pw.add(pw.mul(buffer, momentum), grad, one_minus_dampening)
            new_state["momentum_buffer"] = buffer
            grad = pw.add(grad, buffer, momentum) if nesterov else buffer
        return pw.add(param, grad, neg_lr), new_state
