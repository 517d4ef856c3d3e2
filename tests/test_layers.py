"""Pooling, embedding, padding, resampling, conv-transpose and container layers, hooks and
nn.utils, checked against values worked out by hand (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as tl

F = tl.nn.functional


def grid(*shape):
    return tl.arange(float(np.prod(shape))).reshape(*shape)


def test_max_pool2d_values_indices_and_gradient():
    x = grid(1, 1, 4, 4).requires_grad_()
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert out.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert idx.tolist() == [[[[5, 7], [13, 15]]]]
    assert type(out.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
    out.sum().backward()
    assert x.grad.reshape(-1).tolist() == [1.0 if i in (5, 7, 13, 15) else 0.0 for i in range(16)]


def test_max_pool_padding_never_wins_and_ceil_mode_adds_a_window():
    x = -grid(1, 1, 5) - 1  # all negative: a zero pad would win if padding took part
    assert F.max_pool1d(x, 2, padding=1).tolist() == [[[-1.0, -2.0, -4.0]]]
    assert F.max_pool1d(x, 2, ceil_mode=True).shape == (1, 1, 3)
    assert F.max_pool1d(x, 2).shape == (1, 1, 2)


def test_avg_pool_divisors():
    x = tl.ones(1, 1, 3, 3)
    included = F.avg_pool2d(x, 2, padding=1)
    excluded = F.avg_pool2d(x, 2, padding=1, count_include_pad=False)
    assert included[0, 0, 0, 0].item() == 0.25
    assert excluded.tolist() == [[[[1.0, 1.0], [1.0, 1.0]]]]
    assert F.avg_pool2d(x, 3, divisor_override=3).item() == 3.0


def test_adaptive_pools_use_overlapping_bins():
    x = grid(1, 5)  # bins of 5 into 3: [0, 2), [1, 4), [3, 5)
    assert F.adaptive_avg_pool1d(x, 3).tolist() == [[0.5, 2.0, 3.5]]
    out, idx = F.adaptive_max_pool2d(grid(1, 1, 5), (1, 3), return_indices=True)
    assert out.tolist() == [[[1.0, 3.0, 4.0]]] and idx.tolist() == [[[1, 3, 4]]]


def test_conv_transpose_is_the_adjoint_of_conv():
    rng = np.random.default_rng(0)
    x = tl.tensor(rng.standard_normal((2, 4, 7, 6)).astype(np.float64))
    w = tl.tensor(rng.standard_normal((6, 2, 3, 2)).astype(np.float64))
    kwargs = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
    y = F.conv2d(x, w, **kwargs)
    z = tl.tensor(rng.standard_normal(tuple(y.shape)))
    back = F.conv_transpose2d(z, w, output_padding=(0, 1), **kwargs)
    assert back.shape == x.shape
    np.testing.assert_allclose((y * z).sum().item(), (x * back).sum().item(), rtol=1e-10)


def test_embedding_padding_row_gets_no_gradient():
    weight = tl.ones(4, 2, requires_grad=True)
    F.embedding(tl.tensor([0, 2, 2, 3]), weight, padding_idx=2).sum().backward()
    assert weight.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    layer = tl.nn.Embedding(4, 3, padding_idx=1)
    assert layer.weight[1].tolist() == [0.0, 0.0, 0.0]


def test_embedding_bag_modes_and_empty_bags():
    weight = grid(4, 2)
    data, offsets = tl.tensor([0, 3, 1]), tl.tensor([0, 2, 2])
    assert F.embedding_bag(data, weight, offsets, mode="sum").tolist() == [
        [6.0, 8.0], [0.0, 0.0], [2.0, 3.0]]  # fmt: skip
    assert F.embedding_bag(data, weight, offsets, mode="max").tolist()[0] == [6.0, 7.0]
    assert F.embedding_bag(data, weight, offsets, mode="mean").tolist()[0] == [3.0, 4.0]


def test_one_hot_pad_and_normalize():
    assert F.one_hot(tl.tensor([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    x = grid(1, 1, 3)
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]]]
    assert F.pad(x, (1, 2), mode="replicate").tolist() == [[[0.0, 0.0, 1.0, 2.0, 2.0, 2.0]]]
    assert F.pad(x, (1, 1), mode="circular").tolist() == [[[2.0, 0.0, 1.0, 2.0, 0.0]]]
    assert F.pad(x, (1, -1), value=9.0).tolist() == [[[9.0, 0.0, 1.0]]]
    np.testing.assert_allclose(F.normalize(tl.tensor([[3.0, 4.0]])).numpy(), [[0.6, 0.8]], 1e-6)


def test_interpolate_nearest_and_linear():
    x = grid(1, 1, 3)
    assert F.interpolate(x, scale_factor=2).tolist() == [[[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]]]
    linear = F.interpolate(x, size=5, mode="linear", align_corners=True)
    assert linear.tolist() == [[[0.0, 0.5, 1.0, 1.5, 2.0]]]
    bilinear = F.interpolate(grid(1, 1, 2, 2), size=(3, 3), mode="bilinear", align_corners=True)
    assert bilinear[0, 0, 1, 1].item() == 1.5


def test_unsupported_options_are_named():
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(tl.ones(1, 1, 2, 2), scale_factor=2, mode="bilinear", antialias=True)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        F.embedding(tl.tensor([0]), tl.ones(2, 2), scale_grad_by_freq=True)


def test_layers_build_and_run():
    model = tl.nn.Sequential(
        tl.nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), tl.nn.MaxPool2d(2),
        tl.nn.ConvTranspose2d(2, 2, 2, stride=2), tl.nn.AdaptiveAvgPool2d(2), tl.nn.Flatten(),
        tl.nn.Unflatten(1, (2, 4)),
    )  # fmt: skip
    assert model(tl.ones(3, 1, 6, 6)).shape == (3, 2, 4)
    assert tl.nn.Bilinear(2, 3, 4)(tl.ones(5, 2), tl.ones(5, 3)).shape == (5, 4)


def test_parameter_containers_register_parameters():
    plist = tl.nn.ParameterList([tl.ones(2), tl.nn.Parameter(tl.zeros(1))])
    plist.append(tl.ones(3))
    assert [type(p).__name__ for p in plist] == ["Parameter"] * 3
    assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2"]
    assert plist[-1].shape == (3,)
    pdict = tl.nn.ParameterDict({"b": tl.ones(1), "a": tl.ones(2)})
    assert list(pdict) == ["a", "b"]  # a plain dict is added in sorted order
    assert "a" in pdict and pdict.get("c") is None
    del pdict["a"]
    assert list(pdict.state_dict()) == ["b"]


def test_full_backward_hooks_see_and_replace_gradients():
    layer = tl.nn.Linear(2, 1)
    seen = []
    layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))
    layer.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].tolist()))
    x = tl.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    assert seen == [[[10.0]]]
    np.testing.assert_allclose(x.grad.numpy(), 10 * layer.weight.detach().numpy())


def test_clip_grad_norm_and_value():
    p = tl.nn.Parameter(tl.zeros(2))
    p.grad = tl.tensor([3.0, 4.0])
    total = tl.nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    tl.nn.utils.clip_grad_value_(p, 0.7)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.7], rtol=1e-6)


def test_parameters_to_vector_and_back():
    layer = tl.nn.Linear(2, 2)
    vec = tl.nn.utils.parameters_to_vector(layer.parameters())
    assert vec.shape == (6,)
    tl.nn.utils.vector_to_parameters(tl.arange(6.0), layer.parameters())
    assert layer.weight.tolist() == [[0.0, 1.0], [2.0, 3.0]] and layer.bias.tolist() == [4.0, 5.0]
