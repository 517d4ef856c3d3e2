"""Recurrent layers: whole-sequence RNN/LSTM/GRU kernels."""

from __future__ import annotations
