"""Loader workers, run in-process: each keeps the RNG streams a torch worker process would own.

torch starts `num_workers` processes and seeds each one's torch, `random` and numpy generators
from the loader's base seed. Here the workers are states swapped in around each fetch, so a
dataset that draws random numbers sees the same streams as in torch's worker processes, and
the main process's generators are left exactly as torch leaves them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from ....random import default_generator

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """torch.utils.data.get_worker_info()'s record: id, num_workers, seed and dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """torch.utils.data.get_worker_info: the current worker's WorkerInfo, None outside one."""
    return _worker_info


def numpy_seed(base_seed: int, worker_id: int) -> list:
    """The numpy seed torch gives a worker: a SeedSequence hash of (worker_id, base_seed)."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4).tolist()


class _RngStates:
    """Snapshot of the process-wide generators torch reseeds in a worker."""

    def __init__(self) -> None:
        self.torch = default_generator.get_state()
        self.python = random.getstate()
        self.numpy = np.random.get_state()

    def restore(self) -> None:
        default_generator.set_state(self.torch)
        random.setstate(self.python)
        np.random.set_state(self.numpy)


class InProcessWorker:
    """One emulated worker: its seed, its generator states and its fetcher."""

    def __init__(self, worker_id, num_workers, base_seed, dataset, make_fetcher, init_fn):
        self.info = WorkerInfo(worker_id, num_workers, base_seed + worker_id, dataset)
        outer = _RngStates()
        random.seed(self.info.seed)
        default_generator.manual_seed(self.info.seed)
        np.random.seed(numpy_seed(base_seed, worker_id))
        self.states = _RngStates()
        outer.restore()
        self.fetcher = self.run(self._start, init_fn, make_fetcher)

    def _start(self, init_fn, make_fetcher):
        # torch runs worker_init_fn first, then builds the fetcher (which iterates the dataset).
        if init_fn is not None:
            init_fn(self.info.id)
        return make_fetcher()

    def run(self, function, *args):
        """Call function with this worker's generators and WorkerInfo in place."""
        global _worker_info
        outer = _RngStates()
        self.states.restore()
        _worker_info = self.info
        try:
            return function(*args)
        finally:
            _worker_info = None
            self.states = _RngStates()
            outer.restore()
