"""Pooling: max/avg/adaptive pools and convolution transposes' companions."""

from __future__ import annotations
