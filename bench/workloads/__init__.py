"""The benchmark workloads, by id; modules are imported on demand (after thread settings)."""

from __future__ import annotations

import importlib

# W1-W6 are timed side by side; M1 measures resident memory over many W1 steps.
MODULES = {
    "W1": "w1_tiny_model",
    "W2": "w2_mlp",
    "W3": "w3_lenet",
    "W4": "w4_profiler_loop",
    "W5": "w5_jacobian_hessian",
    "W6": "w6_transformer",
    "M1": "m1_memory",
}
TIMED = ("W1", "W2", "W3", "W4", "W5", "W6")


def load(workload_id: str):
    """The module implementing a workload id such as "W1"."""
    return importlib.import_module(f"{__name__}.{MODULES[workload_id]}")
