"""Pin torch's and XLA's CPU thread pools; must run before jax is imported."""

from __future__ import annotations

import os

_XLA_SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def configure_before_imports(threads: int) -> None:
    """threads=1 sets XLA's single-thread flags (its CPU client still runs matrix products on
    two threads: a 2048x2048 float32 matmul takes 35 ms, 70 ms with the process on one CPU);
    0 keeps every library's default."""
    if threads == 1:
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_XLA_SINGLE_THREAD}".strip()


def configure_torch(threads: int) -> None:
    """Set torch's intra-op (and, once per process, inter-op) thread counts."""
    if threads <= 0:
        return
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # torch allows this only before its first parallel work
        pass


def pin_threads() -> bool:
    """Put this process's main thread on the first CPU and every other thread (XLA's pools,
    which stay busy even when "single-threaded") on the second, so neither preempts the other;
    False where the platform or the CPU count does not allow it. Threads made later are not
    moved: call it again before each timed block."""
    import threading

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2 or not os.path.isdir("/proc/self/task"):
        return False
    main = threading.main_thread().native_id
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), {cpus[0]} if int(tid) == main else {cpus[1]})
        except OSError:  # a thread that has just exited
            pass
    return True


def lower_other_threads(niceness: int) -> bool:
    """Give every thread of this process but the main one a lower scheduling priority (a
    higher nice value), so the Python thread wins a CPU that XLA's pools also want while they
    still use any CPU it leaves idle; False where the platform does not allow it. Threads made
    later are not changed: call it again before each timed block."""
    import threading

    if not hasattr(os, "setpriority") or not os.path.isdir("/proc/self/task"):
        return False
    main = threading.main_thread().native_id
    for tid in os.listdir("/proc/self/task"):
        if int(tid) != main:
            try:
                os.setpriority(os.PRIO_PROCESS, int(tid), niceness)
            except OSError:  # a thread that has just exited
                pass
    return True
