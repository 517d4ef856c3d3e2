"""Compile options for programs of small arrays: XLA's CPU loops kept on one thread.

XLA's CPU backend splits a loop of more than about 64K elements into parts run on its thread pool
(the `cpu-parallel-task-assigner` pass). Handing a part to another thread and waiting for it
costs tens of microseconds, which a loop of that size does not earn back: on the bench's 2-core
machine an elementwise loop of 65,536 elements took 37 us split and 22 us on one thread, of
131,072 elements 50 and 37 us, of 262,144 elements 78 and 77 us, and from 524,288 elements on the
split won (175 against 187 us; 1,048,576 elements: 496 against 729 us). So programs whose loops
all run over at most `LIMIT` elements (a loop runs over an op's result) compile without the
splitting pass when they run on the CPU. The bits do not change: a split divides a loop's outer
dimension among threads, never a sum.
"""

from __future__ import annotations

import jax

LIMIT = 131_072
_PASS = "cpu-parallel-task-assigner"
_backend: list = []  # [whether JAX's default backend is the CPU], found on first use


def options(base: dict, sizes) -> dict:
    """`base` compile options, with loop splitting off where every size in `sizes` (the element
    counts of the program's results, or of every op's result) is at most `LIMIT` and programs
    run on the CPU."""
    if not _backend:
        _backend.append(jax.default_backend() == "cpu")
    if not _backend[0] or any(size > LIMIT for size in sizes):
        return base
    passes = base.get("xla_disable_hlo_passes")
    return {**base, "xla_disable_hlo_passes": f"{passes},{_PASS}" if passes else _PASS}
