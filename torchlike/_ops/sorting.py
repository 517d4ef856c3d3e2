"""Sorting and selection: sort, argsort, topk, unique, nonzero, bincount, histc, ..."""

from __future__ import annotations
