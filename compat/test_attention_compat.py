"""torch.nn.functional.scaled_dot_product_attention against torch: values, gradients, grad_fn
names (which kernel torch picks), masks, causal, dropout under a seed, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike

RNG = np.random.default_rng(7)


def _data(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def _tensors(lib, arrays, grad):
    return [
        lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") if a is not None else None
        for a in arrays
    ]


def _run(lib, arrays, kwargs, grad=True):
    q, k, v, mask = _tensors(lib, arrays, grad)
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)
    leaves = [t for t in (q, k, v, mask) if t is not None and t.requires_grad]
    return out, leaves


def _assert_close(actual, expected, tol=1e-5):
    np.testing.assert_allclose(
        np.asarray(actual.detach().numpy()), expected.detach().numpy(), rtol=tol, atol=tol
    )


CASES = {
    "4d": ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8), None, {}),
    "4d-causal": ((2, 3, 4, 8), (2, 3, 4, 8), (2, 3, 4, 8), None, {"is_causal": True}),
    "4d-bool-mask": ((1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8), (4, 5), {}),
    "4d-float-mask": ((1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8), "f(1, 2, 4, 5)", {}),
    "4d-scale": ((2, 1, 3, 4), (2, 1, 3, 4), (2, 1, 3, 4), None, {"scale": 0.7}),
    "4d-negative-scale": ((2, 1, 3, 4), (2, 1, 3, 4), (2, 1, 3, 4), None, {"scale": -0.7}),
    "4d-value-dim": ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), None, {}),
    "4d-gqa": ((2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8), None, {"enable_gqa": True}),
    "3d": ((3, 4, 8), (3, 5, 8), (3, 5, 8), None, {}),
    "3d-causal": ((3, 4, 8), (3, 6, 8), (3, 6, 8), None, {"is_causal": True}),
    "3d-bool-mask": ((3, 4, 8), (3, 5, 8), (3, 5, 8), (4, 5), {}),
    "3d-gqa": ((4, 3, 8), (2, 5, 8), (2, 5, 8), None, {"enable_gqa": True}),
    "2d": ((4, 8), (5, 8), (5, 8), None, {"scale": 0.2}),
    "2d-float-mask": ((4, 8), (5, 8), (5, 8), "f(4, 5)", {}),
    "float64": ((2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4), None, {"dtype": "float64"}),
}


def _arrays(case):
    q_shape, k_shape, v_shape, mask, kwargs = CASES[case]
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", "float32")
    arrays = [_data(*s, dtype=dtype) for s in (q_shape, k_shape, v_shape)]
    if isinstance(mask, tuple):
        mask_array = RNG.random(mask) < 0.6
        mask_array[0] = False  # one fully masked row: torch gives zeros there
        arrays.append(mask_array)
    elif isinstance(mask, str):
        arrays.append(_data(*eval(mask[1:]), dtype=dtype))
    else:
        arrays.append(None)
    return arrays, kwargs


@pytest.mark.parametrize("case", sorted(CASES))
def test_sdpa_matches_torch(case):
    arrays, kwargs = _arrays(case)
    expected, t_leaves = _run(torch, arrays, kwargs)
    actual, l_leaves = _run(torchlike, arrays, kwargs)
    assert type(actual.grad_fn).__name__ == type(expected.grad_fn).__name__
    assert actual.dtype.is_floating_point and str(actual.dtype) == str(expected.dtype)
    _assert_close(actual, expected)
    cotangent = _data(*expected.shape, dtype=arrays[0].dtype.name)
    t_grads = torch.autograd.grad(expected, t_leaves, torch.tensor(cotangent))
    l_grads = torchlike.autograd.grad(actual, l_leaves, torchlike.tensor(cotangent))
    for got, want in zip(l_grads, t_grads):
        _assert_close(got, want, 1e-4)


def test_sdpa_mask_that_requires_grad_takes_the_math_kernel():
    arrays = [_data(1, 2, 3, 4), _data(1, 2, 5, 4), _data(1, 2, 5, 4), _data(3, 5)]
    expected, t_leaves = _run(torch, arrays, {})
    actual, l_leaves = _run(torchlike, arrays, {})
    assert type(actual.grad_fn).__name__ == type(expected.grad_fn).__name__
    t_grad = torch.autograd.grad(expected.sum(), t_leaves[-1])[0]
    l_grad = torchlike.autograd.grad(actual.sum(), l_leaves[-1])[0]
    _assert_close(l_grad, t_grad, 1e-4)


@pytest.mark.parametrize("shape", [(2, 3, 4, 8), (3, 4, 8)])
def test_sdpa_dropout_under_a_seed(shape):
    arrays = [_data(*shape), _data(*shape), _data(*shape), None]
    results = []
    for lib in (torch, torchlike):
        lib.manual_seed(3)
        results.append(_run(lib, arrays, {"dropout_p": 0.4})[0])
    expected, actual = results
    assert type(actual.grad_fn).__name__ == type(expected.grad_fn).__name__
    _assert_close(actual, expected)


ERRORS = {
    "dtype": lambda lib: ((_f(lib, 1, 1, 3, 4), _f(lib, 1, 1, 3, 4).double(),
                           _f(lib, 1, 1, 3, 4)), {}),
    "half-key": lambda lib: ((_f(lib, 1, 1, 3, 4), _f(lib, 1, 1, 3, 4).half(),
                              _f(lib, 1, 1, 3, 4)), {}),
    "1d": lambda lib: ((_f(lib, 4), _f(lib, 4), _f(lib, 4)), {}),
    "mask-dtype": lambda lib: ((_f(lib, 2, 3, 4),) * 3,
                               {"attn_mask": lib.ones(3, 3, dtype=lib.int64)}),
    "mask-float64": lambda lib: ((_f(lib, 2, 3, 4),) * 3,
                                 {"attn_mask": lib.ones(3, 3, dtype=lib.float64)}),
    "causal-and-mask": lambda lib: ((_f(lib, 2, 3, 4),) * 3,
                                    {"attn_mask": lib.ones(3, 3, dtype=lib.bool),
                                     "is_causal": True}),
}  # fmt: skip


def _f(lib, *shape):
    return lib.ones(*shape)


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_sdpa_errors(case):
    messages = []
    for lib in (torch, torchlike):
        args, kwargs = ERRORS[case](lib)
        with pytest.raises(RuntimeError) as info:
            lib.nn.functional.scaled_dot_product_attention(*args, **kwargs)
        messages.append(str(info.value))
    assert messages[1] == messages[0]
