"""cProfile of torchlike eager on the timed workloads: where a step's time goes.

Run: python bench/run.py --profile --workloads W1,W4
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time

from bench.workloads import load
from bench.workloads._common import TORCHLIKE, Unavailable

PROFILE_SECONDS = 3.0
TOP = 25


def profile_case(case) -> str:
    """Top functions by own time over about PROFILE_SECONDS of warm torchlike steps."""
    try:
        runner = case.factories[TORCHLIKE]()
    except Unavailable as reason:
        return f"{case.id}: {reason}"
    for _ in range(3):  # compile kernels first: profile the steady state
        runner.sync(runner.step())
    profiler = cProfile.Profile()
    steps, start = 0, time.perf_counter()
    profiler.enable()
    while time.perf_counter() - start < PROFILE_SECONDS:
        runner.sync(runner.step())
        steps += 1
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"{case.id}: {steps} steps\n")
    stats.sort_stats("tottime").print_stats(TOP)
    stats.sort_stats("cumulative").print_stats(TOP)
    return out.getvalue()


def profile_workloads(workload_ids: list[str]) -> None:
    """Print the profile of each case of each workload."""
    for workload_id in workload_ids:
        for case in load(workload_id).cases("full"):
            print(profile_case(case), flush=True)
