"""compat/COVERAGE.md is current, and coverage.py classifies names by the rules it states.

The committed report records which names pass; here it is regenerated from today's torch and
torchlike names with those recorded results (running the whole suite is `coverage.py --check`).
"""

from __future__ import annotations

import importlib.util
import pathlib
import types

import pytest
from _coverage_names import (
    COMMON_NAMES,
    SourceIndex,
    by_common_use,
    implemented_names,
    is_placeholder,
    mentions,
    public_sets,
)

import torchlike
from torchlike._missing import module_getattr

_SPEC = importlib.util.spec_from_file_location(  # not `import coverage`: coverage.py's namesake
    "compat_coverage", pathlib.Path(__file__).with_name("coverage.py")
)
coverage = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(coverage)

STALE = "compat/COVERAGE.md is stale: run python compat/coverage.py"


@pytest.fixture(scope="module")
def committed() -> str:
    return coverage.REPORT.read_text()


@pytest.fixture(scope="module")
def today(committed) -> dict[str, dict[str, str]]:
    """Statuses for today's names, conformance taken from the committed report."""
    return coverage.replay(committed, *coverage.fresh_names())


# ----- the committed files are current ---------------------------------------------------------
def _changes(today, recorded) -> list[str]:
    return [f"{label}.{name}: {recorded.get(label, {}).get(name, 'absent')} -> {status}"
            for label, statuses in today.items() for name, status in statuses.items()
            if status != recorded.get(label, {}).get(name, "passing")]  # fmt: skip


def test_committed_report_is_current(committed, today):
    _, run_line = coverage.parse_report(committed)
    regenerated = coverage.render_report(today, run_line)
    recorded, _ = coverage.parse_report(committed)
    assert regenerated == committed, f"{STALE}; changed: {_changes(today, recorded)[:20]}"


def test_readme_table_is_the_reports(committed, today):
    readme = coverage.README.read_text()
    assert coverage.readme_with_block(readme, coverage.summary_table(today)) == readme, STALE
    assert coverage.summary_table(today) in committed


# ----- classification --------------------------------------------------------------------------
def test_a_name_torchlike_lacks_is_listed_missing(committed, today):
    assert not hasattr(torchlike.Tensor, "q_per_channel_axis")
    assert today["Tensor"]["q_per_channel_axis"] == "missing"
    recorded, _ = coverage.parse_report(committed)
    assert recorded["Tensor"]["q_per_channel_axis"] == "missing"


COUNTED = [("torch", "add"), ("Tensor", "backward"), ("torch.nn", "Linear"), ("torch.optim", "SGD")]


@pytest.mark.parametrize("label,name", COUNTED)
def test_an_implemented_name_is_counted(today, label, name):
    assert today[label][name] == "passing"
    table = coverage.summary_rows(today)
    row = next(r for r in table if r[0] == f"`{label}`")
    assert row[2] == sum(s != "missing" for s in today[label].values()) >= 1


def test_classify_separates_missing_from_untested():
    public = {"torch.fft": ["fft", "ifft", "rfft"]}
    statuses = coverage.classify(
        public, {"torch.fft": {"fft", "ifft"}}, {("torch.fft", "fft"): "xfail"}
    )
    assert statuses == {"torch.fft": {"fft": "xfail", "ifft": "untested", "rfft": "missing"}}


def _raises_only():
    """A stand-in that exists but does nothing."""
    raise NotImplementedError("later")


def test_placeholders_and_missing_attribute_errors_are_not_implemented():
    assert is_placeholder(_raises_only) and is_placeholder(None)
    assert not is_placeholder(test_placeholders_and_missing_attribute_errors_are_not_implemented)
    module = types.ModuleType("torchlike.fake")
    module.real, module.stub, module.nothing = len, _raises_only, None
    module.__getattr__ = module_getattr("torch.fake")  # torchlike's error for missing names
    assert implemented_names(module, ["real", "stub", "nothing", "absent"]) == {"real"}
    assert implemented_names(None, ["real"]) == set()


def test_the_ranking_names_public_names():
    public = {f"{label}.{name}" for label, names in public_sets().items() for name in names}
    assert [q for q in COMMON_NAMES if q not in public] == []
    assert len(set(COMMON_NAMES)) == len(COMMON_NAMES)


def test_missing_names_come_most_used_first():
    assert by_common_use("torch.nn", ["ZeroPad2d", "Conv2d", "AdaptiveMaxPool1d", "Linear"]) == [
        "Linear", "Conv2d", "AdaptiveMaxPool1d", "ZeroPad2d"]  # fmt: skip


# ----- mapping tests to names ------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("tl.nn.functional.relu(x)", {("torch.nn.functional", "relu")}),
    ("ns.nn.Linear(2, 3)", {("torch.nn", "Linear")}),
    ("F.cross_entropy(x, t)", {("torch.nn.functional", "cross_entropy")}),
    ("torch.optim.lr_scheduler.StepLR(opt, 1)", {("torch.optim.lr_scheduler", "StepLR")}),
    ("t.tensor([1.0]).sum()", {("torch", "tensor"), ("Tensor", "sum")}),
    ("x.grad.zero_()", {("Tensor", "grad"), ("Tensor", "zero_")}),
    ("np.ones(3)", set()),  # numpy's ones, not torch's
    ("lib.not_a_torch_name(x)", set()),
    ("f = t.autograd.functional\nf.vjp(g, x, v)", {("torch.autograd.functional", "vjp")}),
])  # fmt: skip
def test_mentions(text, expected):
    assert mentions(text) == expected


def test_mentions_combine_a_tests_pieces():
    """A namespace passed whole in one piece makes `.name` in another piece a mention."""
    pieces = ("assert_same(lambda t: ERRORS[name](t.autograd.functional, t))",
              "lambda f, t: f.hvp(g, t.ones(2), t.ones(2))")  # fmt: skip
    assert ("torch.autograd.functional", "hvp") in mentions(*pieces)
    assert ("torch.autograd.functional", "hvp") not in mentions(pieces[1])


def test_a_lambda_case_is_read_alone():
    pair = (lambda ns: ns.nn.ReLU(), lambda ns: ns.nn.Tanh())  # noqa: E731
    assert mentions(SourceIndex().source(pair[0])) == {("torch.nn", "ReLU")}


@pytest.mark.parametrize("key,expected", [
    ("test_ops::test_forward[add-float32-sample0]", (("torch", "add"),)),
    ("test_ops::test_grad[add-float64-sample1]", (("torch", "add"),)),
    ("test_ops::test_variant[add-method-float32-sample0]", (("Tensor", "add"),)),
    ("test_ops::test_variant[add-inplace-float32-sample0]", (("Tensor", "add_"),)),
    ("test_ops::test_variant[add-out-float32-sample0]", (("torch", "add"),)),
    ("test_ops::test_variant_flags[add-inplace]", (("Tensor", "add_"),)),
    ("test_ops::test_forward[zero-float32-sample0]", (("Tensor", "zero_"),)),
    ("test_ops::test_operator[add-float32]", ()),
    ("test_nn_compat::test_forward[add-float32-sample0]", ()),
])  # fmt: skip
def test_op_cases_map_to_names(key, expected):
    assert coverage.op_case_names(key) == expected


def test_statuses_from_outcomes():
    outcomes = {"test_ops::test_forward[add-float32-sample0]": "passed",
                "test_ops::test_forward[add-float32-sample1]": "failed",
                "test_ops::test_forward[mul-float32-sample0]": "passed",
                "test_ops::test_forward[mul-float32-sample1]": "xfailed",
                "test_x::test_a": "passed", "test_x::test_b": "failed",
                "test_x::test_c": "xfailed"}  # fmt: skip
    mentioned = {"test_x::test_a": {("torch", "add"), ("Tensor", "item")},
                 "test_x::test_b": {("Tensor", "item"), ("torch", "ones")},
                 "test_x::test_c": {("torch", "zeros")}}  # fmt: skip
    assert coverage.conformance(outcomes, mentioned) == {
        ("torch", "add"): "failing",  # an op's own failing case wins over a passing mention
        ("torch", "mul"): "xfail",
        ("Tensor", "item"): "passing",  # one passing test that mentions it is enough
        ("torch", "ones"): "failing",
        ("torch", "zeros"): "xfail",
    }


def test_read_junit_keeps_compat_tests_but_this_one(tmp_path):
    junit = tmp_path / "run.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="compat.test_ops" name="test_forward[add-float32-sample0]" />'
        '<testcase classname="compat.test_ops" name="test_grad[add-float64-sample0]">'
        '<failure message="boom" /></testcase>'
        '<testcase classname="compat.test_x.TestGroup" name="test_y">'
        '<skipped type="pytest.xfail" message="known" /></testcase>'
        '<testcase classname="compat.test_x" name="test_z"><skipped message="no" /></testcase>'
        '<testcase classname="compat.test_coverage" name="test_mentions" />'
        '<testcase classname="tests.test_x" name="test_z" />'
        "</testsuite></testsuites>"
    )
    assert coverage.read_junit(junit) == {
        "test_ops::test_forward[add-float32-sample0]": "passed",
        "test_ops::test_grad[add-float64-sample0]": "failed",
        "test_x::TestGroup::test_y": "xfailed",
        "test_x::test_z": "skipped",
    }


def test_report_round_trip():
    statuses = {"torch.fft": {"fft": "missing", "ifft": "passing", "rfft": "failing",
                              "hfft": "xfail", "fftn": "untested"}}  # fmt: skip
    report = coverage.render_report(statuses, "1 passed")
    recorded, run_line = coverage.parse_report(report)
    assert run_line == "1 passed"
    assert recorded == {"torch.fft": {k: v for k, v in statuses["torch.fft"].items()
                                      if v != "passing"}}  # fmt: skip
    public = {"torch.fft": list(statuses["torch.fft"])}
    implemented = {"torch.fft": {"ifft", "rfft", "hfft", "fftn"}}
    assert coverage.replay(report, public, implemented) == statuses


def test_readme_block_rewrites_only_between_markers():
    readme = "intro\n<!-- coverage:start -->\nold\n<!-- coverage:end -->\nafter\n"
    assert coverage.readme_with_block(readme, "new\n") == (
        "intro\n<!-- coverage:start -->\nnew\n<!-- coverage:end -->\nafter\n"
    )
    appended = coverage.readme_with_block("intro\n", "new\n")
    assert appended.startswith("intro\n\n## Coverage\n")
    assert appended.endswith("<!-- coverage:start -->\nnew\n<!-- coverage:end -->\n")
