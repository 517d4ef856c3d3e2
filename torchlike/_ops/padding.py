"""Padding and resampling: pad, interpolate, one_hot, normalize."""

from __future__ import annotations
