"""Run an example under real torch and under torchlike, normalise its stdout, and diff the two."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = REPO_ROOT / "examples"
DEFAULT_TIMEOUT_S = 600
MAX_DIFF_LINES = 200

# `<AddBackward0 object at 0x7f9e1a26d270>`: addresses differ from run to run.
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+\b")
# A profiler table rule: runs of dashes separated by two spaces.
_PROFILER_RULE = re.compile(r"^-+(?:  -+)+\s*$")
# Timing and percentage cells right-aligned in their column, e.g. `      5.506ms` or `  53.77%`.
_TIMING_CELL = re.compile(r" +-?\d+(?:\.\d+)?(?:%|ns|us|ms|s)(?= |$)")
_PROFILER_TOTAL = re.compile(r"^Self (?:CPU|CUDA|Device) time total: ")
# A python that has torchlike's shim installed must never reach this package.
_POISONED_TORCH = 'raise ImportError("the real torch was imported during a torchlike run")\n'


@dataclasses.dataclass(frozen=True)
class ScriptRun:
    """What one interpreter run of a script printed, and how it ended."""

    command: tuple[str, ...]
    returncode: int
    stdout: str = dataclasses.field(repr=False)
    stderr: str = dataclasses.field(repr=False)

    def describe_failure(self, max_stderr_lines: int = 40) -> str:
        stderr_tail = "\n".join(self.stderr.splitlines()[-max_stderr_lines:])
        return (
            f"`{' '.join(self.command)}` exited with {self.returncode}; stderr ends:\n{stderr_tail}"
        )


def run_python(
    args: Sequence[str], *, extra_env: dict[str, str] | None = None, timeout: float | None = None
) -> ScriptRun:
    """Run `python ARGS` from the repository root on JAX's CPU backend and capture its output."""
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    # torchlike need not be installed: the checkout itself is importable.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra_env or {})
    command = (sys.executable, *args)
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout or DEFAULT_TIMEOUT_S,
        check=False,
    )
    return ScriptRun(command, completed.returncode, completed.stdout, completed.stderr)


def run_with_torch(script: Path, *args: str, env: dict[str, str] | None = None) -> ScriptRun:
    """Run `python SCRIPT ARGS`, which imports the real torch."""
    return run_python([str(script.relative_to(REPO_ROOT)), *args], extra_env=env)


def run_with_torchlike(script: Path, *args: str, env: dict[str, str] | None = None) -> ScriptRun:
    """Run `python -m torchlike SCRIPT ARGS`, with an importable real torch turned into an error."""
    with tempfile.TemporaryDirectory() as poison_dir:
        (Path(poison_dir) / "torch").mkdir()
        (Path(poison_dir) / "torch" / "__init__.py").write_text(_POISONED_TORCH)
        search_path = [str(REPO_ROOT), poison_dir, os.environ.get("PYTHONPATH")]
        return run_python(
            ["-m", "torchlike", str(script.relative_to(REPO_ROOT)), *args],
            extra_env={**(env or {}), "PYTHONPATH": os.pathsep.join(filter(None, search_path))},
        )


def normalize_addresses(text: str) -> str:
    """Replace `at 0x...` object addresses with a fixed placeholder."""
    return _ADDRESS.sub("at 0x<address>", text)


def _blank_timings(line: str) -> str:
    # Keep the cell's width so the table's columns stay where they were.
    def placeholder(match: re.Match) -> str:
        cell = match.group()
        return ("<pct>" if cell.endswith("%") else "<time>").rjust(len(cell))

    return _TIMING_CELL.sub(placeholder, line)


def normalize_profiler_tables(text: str) -> str:
    """Blank the timing and percentage cells of profiler tables; order their rows by name."""
    normalized: list[str] = []
    rows: list[str] = []
    rules_seen = 0  # a table is: rule, header, rule, rows, rule
    for line in text.split("\n"):
        if _PROFILER_RULE.match(line):
            # Rows come sorted by measured time, so their order is noise; names and counts are not.
            normalized.extend(sorted(rows))
            rows = []
            normalized.append(line)
            rules_seen = (rules_seen + 1) % 3
        elif rules_seen == 2:
            rows.append(_blank_timings(line))
        elif _PROFILER_TOTAL.match(line):
            # The total's width follows the measured time; only its label is compared.
            normalized.append(_PROFILER_TOTAL.match(line).group() + "<time>")
        elif rules_seen == 1:
            normalized.append(_blank_timings(line))
        else:
            normalized.append(line)
    normalized.extend(sorted(rows))
    return "\n".join(normalized)


def normalize_output(text: str) -> str:
    """Remove what legitimately differs between two runs: addresses and measured times."""
    return normalize_profiler_tables(normalize_addresses(text))


_NUMBER = re.compile(r"-?\d+\.?\d*(?:e[+-]\d+)?")


def _last_digit_unit(token: str) -> float:
    """One unit in the last printed digit of a number as printed (e.g. 1.7569e-01 -> 1e-05)."""
    mantissa, _, exponent = token.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def _tensor_blocks(lines: list[str]) -> list[range]:
    """Line ranges of each printed tensor, from `tensor(` to the line that closes it."""
    blocks, start = [], None
    for i, line in enumerate(lines):
        if start is None and "tensor(" in line:
            start = i
        if start is not None and line.rstrip().endswith(")"):
            blocks.append(range(start, i + 1))
            start = None
    return blocks


def float32_close(expected: list[str], actual: list[str]) -> bool:
    """The printed tensors agree up to float32 rounding of a sum-of-products.

    Text must be identical; each number may differ by one unit in its last printed digit plus
    1e-6 of the largest magnitude printed in the same tensor (float32 accumulation-order error).
    """
    if [_NUMBER.sub("#", line) for line in expected] != [_NUMBER.sub("#", line) for line in actual]:
        return False
    want = [t for line in expected for t in _NUMBER.findall(line)]
    got = [t for line in actual for t in _NUMBER.findall(line)]
    scale = max((abs(float(t)) for t in want), default=0.0)
    return all(
        a == b or abs(float(a) - float(b)) <= 1.0001 * _last_digit_unit(a) + 1e-6 * scale
        for a, b in zip(want, got)
    )


def accept_float32_rounding(expected_lines: list[str], actual_lines: list[str]) -> list[str]:
    """actual_lines with every printed tensor that is float32_close replaced by the expected one."""
    if len(expected_lines) != len(actual_lines):
        return actual_lines
    result = list(actual_lines)
    for block in _tensor_blocks(expected_lines):
        want = expected_lines[block.start : block.stop]
        got = actual_lines[block.start : block.stop]
        if want != got and float32_close(want, got):
            result[block.start : block.stop] = want
    return result


def count_rounded_lines(expected: str, actual: str) -> int:
    """How many lines agree only up to float32 rounding (see float32_close)."""
    want, got = normalize_output(expected).splitlines(), normalize_output(actual).splitlines()
    accepted = accept_float32_rounding(want, got)
    return sum(1 for a, b in zip(got, accepted) if a != b)


def output_diff(
    expected: str, actual: str, expected_name: str, actual_name: str, float32_rounding=False
) -> str:
    """A unified diff of the normalised outputs, empty when they agree line for line.

    With float32_rounding=True, printed tensors that are float32_close count as agreeing.
    """
    expected_lines = normalize_output(expected).splitlines()
    actual_lines = normalize_output(actual).splitlines()
    if float32_rounding:
        actual_lines = accept_float32_rounding(expected_lines, actual_lines)
    diff_lines = list(
        difflib.unified_diff(
            expected_lines,
            actual_lines,
            fromfile=expected_name,
            tofile=actual_name,
            lineterm="",
        )
    )
    if len(diff_lines) > MAX_DIFF_LINES:
        hidden = len(diff_lines) - MAX_DIFF_LINES
        diff_lines = [*diff_lines[:MAX_DIFF_LINES], f"... ({hidden} more diff lines)"]
    return "\n".join(diff_lines)


def assert_same_output(
    torch_run: ScriptRun, torchlike_run: ScriptRun, float32_rounding: bool = False
) -> None:
    """Fail with a readable diff unless both runs succeeded and printed the same thing."""
    __tracebackhide__ = True
    if torch_run.returncode != 0:
        raise AssertionError("the torch run failed:\n" + torch_run.describe_failure())
    diff = output_diff(
        torch_run.stdout,
        torchlike_run.stdout,
        "torch",
        "torchlike",
        float32_rounding=float32_rounding,
    )
    problems = []
    if torchlike_run.returncode != 0:
        problems.append("the torchlike run failed:\n" + torchlike_run.describe_failure())
    if diff:
        problems.append("stdout differs (normalised; - torch, + torchlike):\n" + diff)
    if problems:
        raise AssertionError("\n\n".join(problems))
