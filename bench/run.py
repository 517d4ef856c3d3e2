"""Time torchlike eager against PyTorch eager, a hand-written jax.jit and torch.compile.

Run: python bench/run.py [--quick] [--workloads W1,W4] [--threads 1] [--out PATH] [--profile]
[--device cuda] (or python -m bench ...). Every implementation of a workload is built, called
once (the first-call time, compilation included, is reported separately), warmed up, then timed
in round-robin blocks so machine noise hits all of them alike. A full run writes
bench/RESULTS.md; --quick or a --workloads subset prints the report unless --out is given.
`--device cuda` runs the training steps (W1-W3, W6) on a GPU: torch and torchlike with their
tensors on "cuda", the jax.jit steps with their arrays on JAX's GPU; it never writes
bench/RESULTS.md by itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `python bench/run.py` puts bench/ first, not the root
    sys.path.insert(0, str(REPO_ROOT))

from bench.workloads import MODULES, TIMED, load  # noqa: E402  (after the path fix)
from bench.workloads._threads import (  # noqa: E402
    configure_before_imports,
    configure_torch,
    lower_other_threads,
    pin_threads,
)

DEFAULT_RESULTS = REPO_ROOT / "bench" / "RESULTS.md"
ON_GPU = ("W1", "W2", "W3", "W6")  # the training steps: the others are about host overheads
MAX_BLOCK_STEPS = 2000
CALIBRATION_CALLS = 5  # calls whose median sets the steps per timed block


@dataclass
class Settings:
    """How long to measure: repetitions, seconds per timed block, warm-up calls and seconds."""

    quick: bool
    reps: int
    block_seconds: float
    warmup: int
    warmup_seconds: float
    memory_steps: int
    threads: int
    pin: bool = False
    nice: int = 0


@dataclass
class CaseResult:
    """Per-step seconds for each implementation of one case, plus first calls and skips."""

    case_id: str
    title: str
    notes: list[str]
    per_step: dict[str, list[float]] = field(default_factory=dict)
    first_call: dict[str, float] = field(default_factory=dict)
    block_steps: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    facts: dict[str, dict] = field(default_factory=dict)

    def median(self, impl: str) -> float | None:
        samples = self.per_step.get(impl)
        return statistics.median(samples) if samples else None


def settings_for(args) -> Settings:
    if args.quick:
        return Settings(True, args.reps or 5, 0.05, 1, 0.3, 1000, args.threads, args.pin, args.nice)
    return Settings(False, args.reps or 11, 0.2, 2, 0.5, 10_000, args.threads, args.pin, args.nice)


def _prepare(case, impl: str, settings: Settings, result: CaseResult):
    """Build one runner, time its first call and warm it up; None (and a reason) if it can't."""
    from bench.workloads._common import TORCH_COMPILE, Unavailable, time_call

    if impl not in case.factories:
        result.skipped[impl] = "n/a (not a training step; the case has no such variant)"
        return None
    if impl == TORCH_COMPILE and settings.quick:
        result.skipped[impl] = "skipped in --quick (compiling takes seconds to minutes)"
        return None
    try:
        runner = case.factories[impl]()
        result.first_call[impl] = time_call(runner.step, runner.sync)
        # A few calls (torch.compile may recompile on its second call), for at least
        # warmup_seconds: torchlike's first calls of a kernel run in numpy while it compiles on a
        # worker thread (about 200 W1 steps), which the timed blocks should not see.
        spent = [time_call(runner.step, runner.sync) for _ in range(settings.warmup)]
        while sum(spent) < settings.warmup_seconds:
            spent.append(time_call(runner.step, runner.sync))
        # The block size comes from the median of at least CALIBRATION_CALLS calls: a single
        # call that still compiled something (a backward graph compiles on its second sighting)
        # would otherwise make every block a few steps long.
        calibration = [time_call(runner.step, runner.sync)]
        while (
            sum(calibration) < settings.block_seconds / 4 or len(calibration) < CALIBRATION_CALLS
        ) and len(calibration) < 100:
            calibration.append(time_call(runner.step, runner.sync))
    except Unavailable as reason:
        result.skipped[impl] = str(reason)
        return None
    except Exception as error:  # a library under construction: report it, keep benchmarking
        result.skipped[impl] = f"failed: {type(error).__name__}: {error}".splitlines()[0]
        return None
    steps = int(settings.block_seconds / max(statistics.median(calibration), 1e-7))
    result.block_steps[impl] = max(1, min(MAX_BLOCK_STEPS, steps))
    return runner


def _time_block(runner, steps: int) -> float:
    """Seconds per step over `steps` back-to-back steps, waiting only for the last."""
    start = time.perf_counter()
    handle = None
    for _ in range(steps):
        handle = runner.step()
    runner.sync(handle)
    return (time.perf_counter() - start) / steps


def run_case(case, settings: Settings) -> CaseResult:
    """Time every implementation of a case, interleaved round-robin over repetitions."""
    from bench.workloads._common import IMPLS

    result = CaseResult(case.id, case.title, list(case.notes))
    runners = {}
    for impl in IMPLS:
        runner = _prepare(case, impl, settings, result)
        if runner is not None:
            runners[impl] = runner
            result.per_step[impl] = []
    order = list(runners)
    for rep in range(settings.reps):
        shift = rep % max(1, len(order))  # rotate who goes first, so no one always follows
        for impl in order[shift:] + order[:shift]:
            if settings.pin:
                pin_threads()
            if settings.nice:
                lower_other_threads(settings.nice)
            per_step = _time_block(runners[impl], result.block_steps[impl])
            result.per_step[impl].append(per_step)
    result.facts = {impl: runner.facts() for impl, runner in runners.items()}
    return result


def run_memory(settings: Settings) -> list[dict]:
    """M1: RSS after settings.memory_steps eager W1 steps versus after 100, per impl."""
    memory = load("M1")
    return [memory.measure(impl, settings.memory_steps, settings.threads) for impl in memory.IMPLS]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 2 minutes; no torch.compile")
    parser.add_argument("--workloads", default=",".join(MODULES), help="e.g. W1,W4 or M1")
    parser.add_argument("--reps", type=int, default=0, help="timed repetitions (11; quick 5)")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="1: torch 1 thread, XLA single-thread flags (default); 0: library defaults; "
        "N: torch N",
    )  # fmt: skip
    parser.add_argument(
        "--pin", action="store_true",
        help="main thread on one CPU, every other thread on another (a diagnosis; writes "
        "bench/RESULTS.md only with --out)",
    )  # fmt: skip
    parser.add_argument(
        "--nice", type=int, default=0,
        help="every thread but the main one at this nice value (a diagnosis, as --pin)",
    )  # fmt: skip
    parser.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu",
        help=f"where the training steps run; cuda runs {', '.join(ON_GPU)} on a GPU",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--profile", action="store_true", help="cProfile torchlike eager only")
    args = parser.parse_args(argv)
    args.selected = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.selected if w not in MODULES]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(MODULES)}")
    if args.device == "cuda":
        if args.workloads == parser.get_default("workloads"):
            args.selected = list(ON_GPU)
        elif set(args.selected) - set(ON_GPU):
            parser.error(f"--device cuda runs {', '.join(ON_GPU)} only")
    return args


def _use_gpu() -> None:
    """Run the training steps on the GPU, every implementation at JAX's default precision."""
    import jax
    import torch

    from bench.workloads._common import set_device

    if not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device")
    try:
        jax.devices("gpu")
    except RuntimeError as error:
        raise SystemExit(f"--device cuda: JAX has no GPU backend ({error})") from None
    # XLA multiplies float32 matrices on the GPU in TF32 by default (torchlike reports
    # torch.backends.cuda.matmul.allow_tf32 = True for that reason): torch does the same here.
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    set_device("cuda")


def main(argv=None, command: str = "python bench/run.py") -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configure_before_imports(args.threads)
    # First calls here compile: torchlike's on-disk compile cache stays off in this process
    # (W4 measures new processes with it empty and kept).
    os.environ.setdefault("TORCHLIKE_COMPILE_CACHE", "0")
    configure_torch(args.threads)
    if args.device == "cuda":
        _use_gpu()
    if args.profile:
        from bench.profiling import profile_workloads

        profile_workloads([w for w in args.selected if w in TIMED])
        return
    from bench import report

    settings = settings_for(args)
    machine = report.machine_facts(settings.threads)
    machine["device"] = report.device_facts(args.device)
    machine["pinned"] = settings.pin
    machine["nice"] = settings.nice
    results = []
    for workload_id in (w for w in TIMED if w in args.selected):
        for case in load(workload_id).cases("full"):
            print(f"{case.id}: {case.title}", flush=True)
            results.append(run_case(case, settings))
            print(report.one_line(results[-1]), flush=True)
    memory = run_memory(settings) if "M1" in args.selected else None
    machine.update(report.load_after())
    full_command = " ".join([command, *(sys.argv[1:] if argv is None else argv)])
    text = report.markdown(full_command, machine, settings, results, memory)
    print(text)
    out = args.out
    diagnosis = args.pin or args.nice or args.device != "cpu"
    if out is None and not settings.quick and not diagnosis and set(args.selected) == set(MODULES):
        out = DEFAULT_RESULTS
    if out is not None:
        out.write_text(text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
