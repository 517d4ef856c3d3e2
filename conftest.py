"""pytest settings shared by tests/ and compat/."""

import os


def pytest_xdist_auto_num_workers(config):
    # `-n auto` (pyproject's addopts): one worker per core, at most four (each worker holds
    # JAX, torch and their compile caches, about 1 GiB).
    return max(1, min(os.cpu_count() or 1, 4))
