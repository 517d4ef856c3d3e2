"""Conformance records for the sorting, selection and linalg rows (see op_db.py)."""

from __future__ import annotations

from op_db import add  # noqa: F401
