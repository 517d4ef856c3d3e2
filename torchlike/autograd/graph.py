"""torch.autograd.graph: the Node base class of every grad_fn."""

from __future__ import annotations

from .._autograd.graph import Node  # noqa: F401
