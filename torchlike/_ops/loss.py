"""Loss functions beyond nll/mse (smooth_l1, huber, binary_cross_entropy, kl_div, ...)."""

from __future__ import annotations
