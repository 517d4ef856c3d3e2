"""The autograd tutorial prints the same under `python -m torchlike` as under real torch."""

import pytest
from _output_diff import EXAMPLES_DIR, assert_same_output, run_with_torch, run_with_torchlike

TUTORIAL = EXAMPLES_DIR / "autograd_tutorial.py"


@pytest.fixture(scope="session")
def torch_tutorial_run():
    # The torch side is the reference; one run serves every test of the session.
    return run_with_torch(TUTORIAL)


def test_tutorial_runs_under_torch(torch_tutorial_run):
    assert torch_tutorial_run.returncode == 0, torch_tutorial_run.describe_failure()
    assert "grad_fn=<SinBackward0>" in torch_tutorial_run.stdout


def test_tutorial_prints_the_same_under_torchlike(torch_tutorial_run):
    assert_same_output(torch_tutorial_run, run_with_torchlike(TUTORIAL))
