"""Each example in EXAMPLES prints exactly what it prints under real torch (seeded runs)."""

import pytest
from _output_diff import EXAMPLES_DIR, assert_same_output, run_with_torch, run_with_torchlike

EXAMPLES = [
    "polynomial_custom_function.py",
    "mlp_dataloader.py",
    "cnn_checkpoint.py",
    "lstm_sequence.py",
    "transformer_encoder.py",
]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_prints_the_same_under_torchlike(name):
    script = EXAMPLES_DIR / name
    expected = run_with_torch(script)
    assert expected.returncode == 0, expected.describe_failure()
    actual = run_with_torchlike(script)
    assert_same_output(expected, actual)
