"""torch.autograd.grad_mode: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

from .._grad_mode import (  # noqa: F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
