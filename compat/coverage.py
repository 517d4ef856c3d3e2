"""Writes compat/COVERAGE.md: torch's public names per namespace, which torchlike implements, and
which pass the compat suite; copies the summary table into README.md.

    python compat/coverage.py                      # runs the compat suite (several minutes)
    python compat/coverage.py --results run.xml    # reuses a `pytest --junitxml` run of compat/
    python compat/coverage.py --check [...]        # exits 1 when the committed files are stale
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

COMPAT = pathlib.Path(__file__).resolve().parent
ROOT = COMPAT.parent
REPORT = COMPAT / "COVERAGE.md"
README = ROOT / "README.md"
sys.path[:0] = [str(COMPAT)] if str(COMPAT) not in sys.path else []

import torch  # noqa: E402
from _coverage_names import (  # noqa: E402
    BY_LABEL,
    NAMESPACES,
    by_common_use,
    case_key,
    implemented_names,
    mentions_by_test,
    public_names,
    resolve,
)
from op_db import RECORDS  # noqa: E402

from torchlike._ops.registry import TABLE  # noqa: E402

SELF_TEST = COMPAT / "test_coverage.py"  # left out of the run it reports on
LISTED = {  # the per-namespace lists of COVERAGE.md, in order, and the status each holds
    "Failing": "failing",
    "Passing with strict xfails": "xfail",
    "Not exercised by a compat test": "untested",
    "Missing": "missing",
}
README_START, README_END = "<!-- coverage:start -->", "<!-- coverage:end -->"


# ----- outcomes of a compat run ----------------------------------------------------------------
def read_junit(path) -> dict[str, str]:
    """Outcome per compat test: passed, failed (failures and errors), xfailed or skipped.

    Tests outside compat/ (a whole-project run) and this report's own test are left out.
    """
    rank = {"passed": 0, "skipped": 1, "xfailed": 2, "failed": 3}
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(path).iter("testcase"):
        directory, _, module = case.get("classname", "").partition(".")
        module, *classes = module.split(".")
        if directory != COMPAT.name or module == SELF_TEST.stem:
            continue
        key = case_key(module, *classes, case.get("name", ""))
        outcome = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif (skipped := case.find("skipped")) is not None:
            outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        if rank[outcome] >= rank[outcomes.get(key, "passed")]:
            outcomes[key] = outcome
    return outcomes


def run_compat_suite(junit: pathlib.Path) -> None:
    """Runs pytest over compat/ (this report's own test left out) into a junit file."""
    command = [sys.executable, "-m", "pytest", str(COMPAT), "-q", "-p", "no:cacheprovider",
               f"--ignore={SELF_TEST}", f"--junitxml={junit}"]  # fmt: skip
    code = subprocess.call(command, cwd=ROOT)
    if code not in (0, 1):  # 1: some tests failed, which the report records
        raise SystemExit(f"the compat run stopped (pytest exit code {code})")


def run_summary(outcomes: dict[str, str]) -> str:
    counts = collections.Counter(outcomes.values())
    return (f"{counts['passed']} passed, {counts['failed']} failed, {counts['xfailed']} strict "
            f"xfails, {counts['skipped']} skipped, of {len(outcomes)} tests")  # fmt: skip


# ----- op-table cases: compat/test_ops.py ids start with an op_db record name -------------------
PRIMARY_KINDS = ("test_forward", "test_grad", "test_gradgrad", "test_error", "test_promotion")
# records reached through a call that is not torch.<row>/Tensor.<row> (the rest reach no name)
INTERNAL_RECORDS = {"zero": (("Tensor", "zero_"),), "copy": (("Tensor", "copy_"),),
                    "to_copy": (("Tensor", "to"),)}  # fmt: skip


def _variant_name(variant: str, name: str) -> tuple[str, str] | None:
    return {
        "function": ("torch", name), "out": ("torch", name), "method": ("Tensor", name),
        "inplace": ("Tensor", f"{name}_"), "inplace_function": ("torch", f"{name}_"),
    }.get(variant)  # fmt: skip


def op_case_names(key: str) -> tuple[tuple[str, str], ...]:
    """The (namespace, name) pairs one test_ops case checks; () for other tests."""
    module, _, rest = key.partition("::")
    test, _, case = rest.partition("[")
    row, _, detail = case.rstrip("]").partition("-")
    if module != "test_ops" or row not in RECORDS or row not in TABLE:
        return ()
    record, op_row = RECORDS[row], TABLE[row]
    if test in ("test_variant", "test_variant_flags"):
        named = _variant_name(detail.split("-")[0], record.torch_name)
        return (named,) if named else ()
    if test not in PRIMARY_KINDS:
        return ()
    if record.internal:
        return INTERNAL_RECORDS.get(row, ())
    if record.call is None and op_row.function:
        return (("torch", record.torch_name),)
    return (("Tensor", record.torch_name),) if op_row.method else (("torch", record.torch_name),)


# ----- statuses --------------------------------------------------------------------------------
def op_status(outcomes: set[str]) -> str | None:
    """An op passes when every case passes or is a strict xfail."""
    for outcome, status in (("failed", "failing"), ("xfailed", "xfail"), ("passed", "passing")):
        if outcome in outcomes:
            return status
    return None


def text_status(outcomes: set[str]) -> str | None:
    """A name mentioned by tests passes when one passing test mentions it."""
    for outcome, status in (("passed", "passing"), ("xfailed", "xfail"), ("failed", "failing")):
        if outcome in outcomes:
            return status
    return None


def conformance(outcomes: dict[str, str], mentioned: dict[str, frozenset]) -> dict:
    """(namespace, name) -> status from the op-table cases, else from the tests mentioning it."""
    by_op, by_text = collections.defaultdict(set), collections.defaultdict(set)
    for key, outcome in outcomes.items():
        for pair in op_case_names(key):
            by_op[pair].add(outcome)
        for pair in mentioned.get(key, ()):
            by_text[pair].add(outcome)
    statuses = {}
    for pair in by_op.keys() | by_text.keys():
        status = op_status(by_op.get(pair, set())) or text_status(by_text.get(pair, set()))
        if status:
            statuses[pair] = status
    return statuses


def classify(public: dict, implemented: dict, tested: dict) -> dict[str, dict[str, str]]:
    """label -> name -> passing, xfail, failing, untested or missing."""
    return {
        label: {
            name: tested.get((label, name), "untested") if name in implemented[label] else "missing"
            for name in names
        }
        for label, names in public.items()
    }


def fresh_names() -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """Public torch names and the torchlike-implemented subset, per namespace label."""
    public = {ns.label: public_names(ns) for ns in NAMESPACES}
    implemented = {
        ns.label: implemented_names(resolve(ns.torchlike_path), public[ns.label])
        for ns in NAMESPACES
    }
    return public, implemented


# ----- the report --------------------------------------------------------------------------------
DEFINITIONS = """\
## Definitions

- **Public names** (torch {version}): `dir()` of each namespace without names that start with an
  underscore, submodules, and objects the namespace only imports for itself (typing, builtins,
  `torch.overrides` helpers). For `torch`: functions, dtypes, and the classes users call
  (`Tensor`, `Size`, `device`, `Generator`, grad-mode managers, the typed tensors; TorchScript
  internals are left out). For `Tensor`: `dir(torch.Tensor)` without dunder or private names.
  For `torch.nn`: its `nn.Module` subclasses. Elsewhere: the namespace's functions and classes.
- **Implemented**: the matching torchlike namespace or class has the attribute (`hasattr`) and it
  is not a placeholder (None, or a function whose body only raises `NotImplementedError`).
- **Passing**: an implemented name the compat suite checks, without a failure that counts:
  - Op-table names: `compat/test_ops.py` case ids start with a `compat/op_db.py` record. Forward,
    gradient, second-order, error and promotion cases check the record's `torch.<name>` (or
    `Tensor.<name>` for method-only rows); `test_variant`/`test_variant_flags` cases check
    `Tensor.<name>` (method), `Tensor.<name>_` (in-place), `torch.<name>_` and `torch.<name>`
    (`out=`). Such a name passes when every one of its cases passes or is a strict xfail.
  - Every other name passes when at least one passing compat test mentions it. A test's text is
    its function's source (without decorators), its own parametrized case (the case's lambda or
    function, the entry keyed by the case id in a module-level table, or the function a
    registry filled by a decorator holds under that id), and the compat helpers, fixtures and
    module-level tables it uses, followed transitively. A mention is `<lib>.<path>.<name>` where
    `<lib>` is `torch`, `torchlike`, `tl`, `ns`, `lib`, or any other identifier the same text
    uses as a library (`t.tensor(...)`), or `nn.<Name>`, `F.<name>`, `optim.<Name>`; and
    `.<name>` on any other expression, for `Tensor` and for a namespace the text refers to
    whole (`f.vjp(...)` in a test that passes `t.autograd.functional` to its cases as `f`).
- **xfail**: passing names whose cases include a strict `xfail` (for mentioned names: mentioned
  only by strict xfails); counted among the passing names too.
- **Failing**: implemented names with a failing case. **Not exercised**: implemented names no
  compat test reaches.
- **Missing** names are listed most used first (the hand-made ranking in
  `compat/_coverage_names.py`, from introductory tutorials), then alphabetically.
"""


def summary_rows(statuses: dict[str, dict[str, str]]) -> list[tuple]:
    rows = []
    for label, names in statuses.items():
        counts = collections.Counter(names.values())
        passing = counts["passing"] + counts["xfail"]
        rows.append((f"`{label}`", len(names), len(names) - counts["missing"], passing,
                     counts["xfail"], counts["failing"], counts["untested"]))  # fmt: skip
    totals = [sum(r[i] for r in rows) for i in range(1, 7)]
    return [*rows, ("**total**", *totals)]


def summary_table(statuses) -> str:
    header = ("| namespace | public | implemented | passing | xfail | failing | not exercised |\n"
              "|---|---:|---:|---:|---:|---:|---:|\n")  # fmt: skip
    return header + "".join(
        "| " + " | ".join(map(str, row)) + " |\n" for row in summary_rows(statuses)
    )


def _name_lines(names: list[str], width: int = 100) -> str:
    lines, line = [], ""
    for name in names:
        token = f"`{name}`"
        if line and len(line) + len(", ") + len(token) + len(",") > width:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {token}" if line else token
    return "\n".join([*lines, line]) + "\n"


def namespace_section(label: str, names: dict[str, str]) -> str:
    counts = collections.Counter(names.values())
    implemented = len(names) - counts["missing"]
    passing = counts["passing"] + counts["xfail"]
    text = (f"\n## `{label}`\n\n{implemented} of {len(names)} public names implemented, "
            f"{passing} passing.\n")  # fmt: skip
    for heading, status in LISTED.items():
        listed = sorted(n for n, s in names.items() if s == status)
        if not listed:
            continue
        note = ", most used first" if status == "missing" else ""
        if status == "missing":
            listed = by_common_use(label, listed)
        text += f"\n**{heading} ({len(listed)})**{note}:\n{_name_lines(listed)}"
    return text


def render_report(statuses: dict[str, dict[str, str]], run_line: str) -> str:
    head = (
        "# torchlike API coverage\n\n"
        "Generated by `python compat/coverage.py` (do not edit by hand);\n"
        "`python compat/coverage.py --check` fails when this file is stale.\n\n"
        f"Compat run: {run_line}.\n\n"
    )
    body = "".join(namespace_section(label, names) for label, names in statuses.items())
    definitions = DEFINITIONS.format(version=torch.__version__.split("+")[0])
    return f"{head}{definitions}\n## Summary\n\n{summary_table(statuses)}{body}"


def parse_report(text: str) -> tuple[dict[str, dict[str, str]], str]:
    """Statuses and the compat-run line a rendered report records (the inverse of render_report).

    Implemented names that no list holds are passing; names absent from the report are unknown.
    """
    run_line = re.search(r"^Compat run: (.*)\.$", text, re.M).group(1)
    statuses: dict[str, dict[str, str]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        label = re.match(r"`([^`]+)`\n", section)
        if not label or label.group(1) not in BY_LABEL:
            continue
        names = statuses.setdefault(label.group(1), {})
        lists = re.findall(r"^\*\*(.+?) \(\d+\)\*\*[^\n]*\n((?:`[^\n]*\n)*)", section, re.M)
        for heading, block in lists:
            for name in re.findall(r"`([^`]+)`", block):
                names[name] = LISTED[heading]
    return statuses, run_line


def replay(report_text: str, public: dict, implemented: dict) -> dict[str, dict[str, str]]:
    """Statuses for today's names, taking conformance from a committed report (no compat run)."""
    recorded, _ = parse_report(report_text)
    tested = {}
    for label in public:
        for name in implemented[label]:
            earlier = recorded.get(label, {}).get(name, "passing")
            tested[(label, name)] = "untested" if earlier == "missing" else earlier
    return classify(public, implemented, tested)


def readme_with_block(readme: str, table: str) -> str:
    """README.md with the table between the coverage markers (a Coverage section appended once)."""
    block = f"{README_START}\n{table}{README_END}"
    if README_START in readme and README_END in readme:
        before, _, rest = readme.partition(README_START)
        return before + block + rest.partition(README_END)[2]
    section = ("\n## Coverage\n\nHow much of torch's public API torchlike implements and passes "
               "against real PyTorch, per\nnamespace (details and definitions in "
               "[compat/COVERAGE.md](compat/COVERAGE.md)):\n\n")  # fmt: skip
    return readme.rstrip("\n") + "\n" + section + block + "\n"


# ----- command line ------------------------------------------------------------------------------
def build(results: pathlib.Path | None) -> tuple[dict, str, str]:
    """Statuses, report and README for a junit file, or for a fresh run of the compat suite."""
    with tempfile.TemporaryDirectory() as scratch:
        if results is None:
            results = pathlib.Path(scratch) / "compat.xml"
            run_compat_suite(results)
        outcomes = read_junit(results)
    mentioned = mentions_by_test(COMPAT, ignore=SELF_TEST)
    public, implemented = fresh_names()
    statuses = classify(public, implemented, conformance(outcomes, mentioned))
    report = render_report(statuses, run_summary(outcomes))
    return statuses, report, readme_with_block(README.read_text(), summary_table(statuses))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=pathlib.Path, help="junit xml of a compat/ pytest run")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are stale")
    args = parser.parse_args(argv)
    statuses, report, readme = build(args.results)
    stale = [p for p, text in ((REPORT, report), (README, readme))
             if not p.exists() or p.read_text() != text]  # fmt: skip
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run python compat/coverage.py")
        return 1 if stale else 0
    for path, text in ((REPORT, report), (README, readme)):
        path.write_text(text)
    print(summary_table(statuses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
