"""The markdown report of a benchmark run: summary table, per-case details, memory, machine."""

from __future__ import annotations

import datetime
import os
import platform
import statistics

from bench.workloads._common import IMPLS, JAX_JIT, TORCH, TORCHLIKE, TORCHLIKE_COMPILE


def machine_facts(threads: int) -> dict:
    """Versions, cores, thread setting and load average at the start of the run."""
    import jax
    import numpy
    import torch

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "threads": threads,
        "versions": f"python {platform.python_version()}, jax {jax.__version__}, "
        f"torch {torch.__version__}, numpy {numpy.__version__}",
        "load_start": os.getloadavg()[0],
    }


def device_facts(device: str) -> str:
    """Where the training steps ran, for the report's header."""
    if device == "cpu":
        return "cpu"
    import torch

    name = torch.cuda.get_device_name(0)
    return f"{device} ({name}; float32 matrix products in TF32 in every implementation)"


def load_after() -> dict:
    return {"load_end": os.getloadavg()[0]}


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def _ratio_text(top: float, bottom: float) -> str:
    ratio = top / bottom
    if ratio >= 10:
        return f"{ratio:.1f}x"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"  # 0.0031x, not 0.00x


def ratio(result, numerator: str, denominator: str, with_min: bool = False) -> str:
    """Ratio of medians; with_min adds the ratio of fastest blocks (less hurt by contention)."""
    top, bottom = result.median(numerator), result.median(denominator)
    if top is None or bottom is None:
        return "-"
    text = _ratio_text(top, bottom)
    if with_min:
        fastest = min(result.per_step[numerator]), min(result.per_step[denominator])
        text += f" (min {_ratio_text(*fastest)})"
    return text


def _cell(result, impl: str) -> str:
    if impl in result.skipped:
        reason = result.skipped[impl]
        return "n/a" if reason.startswith("n/a") else reason.split(":")[0].split(" (")[0]
    return format_seconds(result.median(impl))


def one_line(result) -> str:
    """Progress line printed after each case."""
    cells = [f"{impl} {_cell(result, impl)}" for impl in IMPLS]
    return "  " + " | ".join(cells) + f" | torchlike/torch {ratio(result, TORCHLIKE, TORCH)}"


def _summary(results) -> list[str]:
    header = (
        "| case | " + " | ".join(IMPLS) + " | torchlike / torch | torchlike / jax.jit "
        "| torchlike.compile / jax.jit |"
    )
    lines = [header, "|" + "---|" * (len(IMPLS) + 4)]
    for r in results:
        cells = " | ".join(_cell(r, impl) for impl in IMPLS)
        ratios = (
            f"{ratio(r, TORCHLIKE, TORCH, True)} | {ratio(r, TORCHLIKE, JAX_JIT, True)} "
            f"| {ratio(r, TORCHLIKE_COMPILE, JAX_JIT, True)}"
        )
        lines.append(f"| {r.case_id} | {cells} | {ratios} |")
    return lines


def _details(result) -> list[str]:
    lines = [f"### {result.case_id}: {result.title}", ""]
    if result.notes:
        lines += [f"- {note}" for note in result.notes] + [""]
    lines += ["| impl | median per step | min | max | first call | steps x reps |"]
    lines.append("|---|---|---|---|---|---|")
    for impl in IMPLS:
        if impl in result.skipped:
            lines.append(f"| {impl} | {result.skipped[impl]} | | | | |")
            continue
        samples = result.per_step[impl]
        lines.append(
            f"| {impl} | {format_seconds(statistics.median(samples))} "
            f"| {format_seconds(min(samples))} | {format_seconds(max(samples))} "
            f"| {format_seconds(result.first_call[impl])} "
            f"| {result.block_steps[impl]} x {len(samples)} |"
        )
    for impl, facts in result.facts.items():
        lines += [f"- {impl}: {name} = {value}" for name, value in facts.items()]
    return lines + [""]


def _memory(memory, steps: int) -> list[str]:
    lines = [
        f"## M1: resident memory, eager W1 ({steps} steps vs 100), one subprocess each", "",
        "| impl | VmRSS after 100 | VmRSS after all | growth | VmHWM (peak) |",
        "|---|---|---|---|---|",
    ]  # fmt: skip
    for facts in memory:
        if "error" in facts:
            lines.append(f"| {facts['impl']} | failed: {facts['error']} | | | |")
            continue
        start, end = facts["rss_kib_at_100"], facts["rss_kib_at_end"]
        lines.append(
            f"| {facts['impl']} | {start / 1024:.1f} MiB | {end / 1024:.1f} MiB "
            f"| {(end - start) / 1024:+.1f} MiB | {facts['peak_kib'] / 1024:.1f} MiB |"
        )
    return lines + [""]


_SINGLE = (
    "torch 1 thread; XLA with its single-thread flags, which its CPU client does not fully "
    "honour (matrix products still run on two threads)"
)


def markdown(command: str, machine: dict, settings, results, memory) -> str:
    """The whole report as markdown."""
    count = machine["threads"]
    threads = {0: "library defaults", 1: _SINGLE}.get(
        count, f"torch {count} threads, XLA default pool"
    )
    lines = [
        "# torchlike benchmarks", "",
        f"Command: `{command}`", "",
        f"- {machine['date']}; {machine['cores']} cores ({machine['cpu']}); {machine['versions']}",
        *([f"- training steps (W1-W3, W6) on {machine['device']}"]
          if machine.get("device", "cpu") != "cpu" else []),
        f"- threads: {threads}"
        + ("; pinned: the main thread on one CPU, all others on the other" if machine.get(
            "pinned") else "")
        + (f"; every thread but the main one at nice {machine['nice']}" if machine.get(
            "nice") else ""),
        f"- load average {machine['load_start']:.2f} at start, {machine['load_end']:.2f} at end: "
        "other work shared the machine, so absolute times are noisy; the implementations of a "
        "case were timed in interleaved rounds, so compare ratios.",
        f"- {settings.reps} repetitions per implementation, blocks of about "
        f"{settings.block_seconds * 1e3:.0f} ms; medians of per-step time. First call (build "
        "and compile included) is reported separately; it depends on what earlier cases "
        "already compiled in this process (torchlike's per-op kernels are cached process-wide) "
        "and torch.compile may reuse inductor's on-disk cache from earlier runs; torchlike's "
        "on-disk compile cache is off in this process (TORCHLIKE_COMPILE_CACHE=0), and W4 "
        "reports new processes with it empty and kept.",
        "", "## Summary (median time per step)", "",
        "Ratios are of medians; in brackets, of the fastest blocks.", "",
    ]  # fmt: skip
    lines += _summary(results) + ["", "## Details", ""]
    for result in results:
        lines += _details(result)
    if memory is not None:
        lines += _memory(memory, settings.memory_steps)
    return "\n".join(lines) + "\n"
