"""Conv layers and F.convNd: output shapes, parameter shapes and repr from the formulas."""

from __future__ import annotations

import math

import pytest

import torchlike as torch


def _out_len(n, k, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2)])
def test_conv2d_output_shape(stride, padding, dilation):
    x, w = torch.ones(2, 3, 11, 9), torch.ones(4, 3, 3, 2)
    out = torch.conv2d(x, w, None, stride, padding, dilation)
    expected = (2, 4, _out_len(11, 3, stride, padding, dilation),
                _out_len(9, 2, stride, padding, dilation))  # fmt: skip
    assert tuple(out.shape) == expected


def test_conv_of_ones_counts_the_window():
    out = torch.nn.functional.conv1d(torch.ones(1, 2, 5), torch.ones(3, 2, 2))
    assert out.tolist() == [[[4.0] * 4] * 3]


def test_same_padding_keeps_size_and_unbatched_input_drops_batch():
    out = torch.conv3d(torch.ones(2, 5, 6, 7), torch.ones(3, 2, 2, 3, 4), padding="same")
    assert tuple(out.shape) == (3, 5, 6, 7)


def test_groups_split_channels():
    x = torch.cat([torch.ones(1, 1, 4), torch.zeros(1, 1, 4)], 1)
    out = torch.conv1d(x, torch.ones(2, 1, 1), groups=2)
    assert out.tolist() == [[[1.0] * 4, [0.0] * 4]]


def test_module_parameters_and_repr():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 8, (3, 5), stride=2, groups=2, bias=False)
    assert tuple(conv.weight.shape) == (8, 2, 3, 5)
    assert conv.bias is None and list(conv.state_dict()) == ["weight"]
    bound = 1 / math.sqrt(2 * 3 * 5)  # kaiming_uniform_(a=sqrt(5)) gives U(+-1/sqrt(fan_in))
    assert conv.weight.abs().max().item() <= bound
    assert repr(conv) == "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), groups=2, bias=False)"
    assert repr(torch.nn.Conv1d(1, 2, 3, padding="same")) == (
        "Conv1d(1, 2, kernel_size=(3,), stride=(1,), padding=same)"
    )


def test_wrong_channels_message():
    with pytest.raises(RuntimeError, match=r"expected input\[1, 4, 32, 32\] to have 3 channels"):
        torch.conv2d(torch.ones(1, 4, 32, 32), torch.ones(6, 3, 5, 5))
