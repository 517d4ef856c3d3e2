"""Normalization: batch_norm, layer_norm, group_norm, instance_norm."""

from __future__ import annotations
