"""Conformance records for the pooling, embedding, padding and conv-transpose rows."""

from __future__ import annotations

from op_db import add  # noqa: F401
