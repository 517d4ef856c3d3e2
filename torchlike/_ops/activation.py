"""Activation functions beyond the pointwise family (leaky_relu, gelu, elu, ...)."""

from __future__ import annotations
