"""Embedding lookups: embedding and embedding_bag."""

from __future__ import annotations
