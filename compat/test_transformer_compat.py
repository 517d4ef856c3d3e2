"""MultiheadAttention and the Transformer family against torch: init bit for bit, reprs,
values, grads, grad_fn names, masks, dropout and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike

E, HEADS, TGT, SRC, BATCH, FF = 8, 2, 4, 5, 3, 16
PADDING = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]], bool)


def _close(actual, expected, tol=1e-5):
    assert (actual is None) == (expected is None)
    if expected is not None:
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(),
                                   rtol=tol, atol=tol)  # fmt: skip


def _name(t):
    return None if t is None or t.grad_fn is None else type(t.grad_fn).__name__


def _data(lib, seed, *shape, grad=True):
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return lib.tensor(values, requires_grad=grad)


def _same_params(actual, expected):
    want = {k: v.detach().numpy() for k, v in expected.state_dict().items()}
    got = {k: v.detach().numpy() for k, v in actual.state_dict().items()}
    assert list(got) == list(want)
    for key in want:
        assert np.array_equal(got[key], want[key]), key
    assert repr(actual) == repr(expected)


# ----- MultiheadAttention ------------------------------------------------------------------
MHA_CASES = [
    ({}, {}, "self"),
    ({"batch_first": True}, {"need_weights": False, "mask": "float", "padding": True}, "shared_kv"),
    ({"kdim": 6, "vdim": 7, "add_bias_kv": True, "add_zero_attn": True},
     {"average_attn_weights": False, "padding": True, "mask": "bool"}, "cross"),
    ({"bias": False}, {"mask": "causal", "is_causal": True, "need_weights": False}, "self"),
    ({}, {"unbatched": True, "mask": "bool"}, "self"),
]  # fmt: skip


def _mha_inputs(lib, module_kwargs, call_kwargs, kind):
    unbatched, batch_first = call_kwargs.get("unbatched"), module_kwargs.get("batch_first")

    def seq(seed, length, dim):
        shape = (
            (length, dim)
            if unbatched
            else (BATCH, length, dim)
            if batch_first
            else (length, BATCH, dim)
        )
        return _data(lib, seed, *shape)

    query = seq(1, TGT, E)
    if kind == "self":
        return query, query, query, TGT
    if kind == "shared_kv":
        kv = seq(2, SRC, E)
        return query, kv, kv, SRC
    dims = (module_kwargs.get("kdim", E), module_kwargs.get("vdim", E))
    return query, seq(2, SRC, dims[0]), seq(3, SRC, dims[1]), SRC


def _mha_masks(lib, call_kwargs, src_len):
    kwargs = {k: call_kwargs[k] for k in ("need_weights", "average_attn_weights", "is_causal")
              if k in call_kwargs}  # fmt: skip
    if call_kwargs.get("padding"):
        kwargs["key_padding_mask"] = lib.tensor(PADDING[:, :src_len])
    mask = call_kwargs.get("mask")
    if mask == "bool":
        kwargs["attn_mask"] = lib.tensor(np.triu(np.ones((TGT, src_len), bool), 1))
    elif mask == "float":
        kwargs["attn_mask"] = _data(lib, 9, TGT, src_len, grad=False)
    elif mask == "causal":
        kwargs["attn_mask"] = lib.nn.Transformer.generate_square_subsequent_mask(TGT)
    return kwargs


@pytest.mark.parametrize("module_kwargs,call_kwargs,kind", MHA_CASES)
def test_multihead_attention_matches_torch(module_kwargs, call_kwargs, kind):
    results = []
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        module = lib.nn.MultiheadAttention(E, HEADS, **module_kwargs)
        query, key, value, src_len = _mha_inputs(lib, module_kwargs, call_kwargs, kind)
        out, weights = module(query, key, value, **_mha_masks(lib, call_kwargs, src_len))
        (out.sum() + (0 if weights is None else (weights * weights).sum())).backward()
        grads = [t.grad for t in {id(t): t for t in (query, key, value)}.values()]
        results.append((module, out, weights, grads, [p.grad for p in module.parameters()]))
    (t_mod, t_out, t_w, t_g, t_pg), (l_mod, l_out, l_w, l_g, l_pg) = results
    _same_params(l_mod, t_mod)
    assert (_name(l_out), _name(l_w)) == (_name(t_out), _name(t_w))
    _close(l_out, t_out)
    _close(l_w, t_w)
    for actual, expected in zip(l_g + l_pg, t_g + t_pg):
        _close(actual, expected, 1e-4)


def test_functional_multi_head_attention_forward():
    results = []
    for lib in (torch, torchlike):
        q, k = _data(lib, 1, TGT, BATCH, E), _data(lib, 2, SRC, BATCH, E)
        w_in, b_in = _data(lib, 3, 3 * E, E), _data(lib, 4, 3 * E)
        w_out, b_out = _data(lib, 5, E, E), _data(lib, 6, E)
        out, weights = lib.nn.functional.multi_head_attention_forward(
            q,
            k,
            k,
            E,
            HEADS,
            w_in,
            b_in,
            None,
            None,
            False,
            0.0,
            w_out,
            b_out,
            training=False,
            key_padding_mask=lib.tensor(PADDING),
        )
        out.sum().backward()
        results.append((out, weights, w_in.grad, q.grad))
    for actual, expected in zip(*reversed(results)):
        _close(actual, expected, 1e-4)


def test_attention_dropout_uses_torch_masks():
    outs = []
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        module = lib.nn.MultiheadAttention(E, HEADS, dropout=0.5)
        query = _data(lib, 1, TGT, BATCH, E)
        outs.append(module(query, query, query))
    for actual, expected in zip(*reversed(outs)):
        _close(actual, expected)


def _mha_errors(lib):
    mha = lib.nn.MultiheadAttention(E, HEADS)
    q3, q2 = lib.zeros(TGT, BATCH, E), lib.zeros(TGT, E)
    return [
        lambda: lib.nn.MultiheadAttention(0, 2),
        lambda: lib.nn.MultiheadAttention(6, 4),
        lambda: mha(q3, q2, q2),
        lambda: mha(q2, q3, q3),
        lambda: mha(lib.zeros(1, TGT, BATCH, E), q3, q3),
        lambda: mha(q3, q3, q3, attn_mask=lib.zeros(TGT, SRC)),
        lambda: mha(q3, q3, q3, attn_mask=lib.zeros(2, TGT, TGT)),
        lambda: mha(q3, q3, q3, key_padding_mask=lib.zeros(BATCH, TGT + 1, dtype=lib.bool)),
        lambda: mha(q3, q3, q3, key_padding_mask=lib.zeros(BATCH, dtype=lib.bool)),
        lambda: mha(q3, q3, q3, attn_mask=lib.zeros(TGT, TGT, dtype=lib.int64)),
        lambda: mha(q3, q3, q3, is_causal=True),
        lambda: mha(lib.zeros(TGT, BATCH, E + 1), q3, q3),
    ]


@pytest.mark.parametrize("index", range(len(_mha_errors(torch))))
def test_multihead_attention_errors(index):
    with pytest.raises(Exception) as expected:
        _mha_errors(torch)[index]()
    with pytest.raises(Exception) as actual:
        _mha_errors(torchlike)[index]()
    assert type(actual.value) is type(expected.value)
    assert str(actual.value) == str(expected.value)


# ----- Transformer layers ------------------------------------------------------------------
def _build(lib, kind, kwargs):
    nn = lib.nn
    if kind == "encoder":
        layer = nn.TransformerEncoderLayer(E, HEADS, FF, **kwargs)
        return nn.TransformerEncoder(layer, 2, nn.LayerNorm(E))
    if kind == "decoder":
        return nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, FF, **kwargs), 2)
    return nn.Transformer(E, HEADS, 1, 1, FF, **kwargs)


TRANSFORMER_CASES = [
    ("encoder", {"dropout": 0.0}),
    ("transformer", {"dropout": 0.25, "norm_first": True, "bias": False, "layer_norm_eps": 1e-3,
                     "activation": torch.nn.functional.gelu, "batch_first": True}),
]  # fmt: skip


def _transformer_run(lib, kind, kwargs):
    if callable(kwargs.get("activation")):
        kwargs = {**kwargs, "activation": lib.nn.functional.gelu}
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = _build(lib, kind, kwargs)
    batch_first = kwargs.get("batch_first")
    src = _data(lib, 1, *((BATCH, SRC, E) if batch_first else (SRC, BATCH, E)))
    tgt = _data(lib, 2, *((BATCH, TGT, E) if batch_first else (TGT, BATCH, E)))
    causal = lib.nn.Transformer.generate_square_subsequent_mask(TGT)
    padding = lib.tensor(PADDING)
    if kind == "encoder":
        out = module(src, src_key_padding_mask=padding)
    elif kind == "decoder":
        out = module(tgt, src, tgt_mask=causal, memory_key_padding_mask=padding)
    else:
        out = module(src, tgt, tgt_mask=causal, src_key_padding_mask=padding)
    (out * out).sum().backward()
    grads = [src.grad, *(p.grad for p in module.parameters())]
    return module, out, grads, [str(w.message) for w in caught]


@pytest.mark.parametrize("kind,kwargs", TRANSFORMER_CASES)
def test_transformer_matches_torch(kind, kwargs):
    t_mod, t_out, t_grads, t_warnings = _transformer_run(torch, kind, kwargs)
    l_mod, l_out, l_grads, l_warnings = _transformer_run(torchlike, kind, kwargs)
    _same_params(l_mod, t_mod)
    assert l_warnings == t_warnings
    assert _name(l_out) == _name(t_out)
    _close(l_out, t_out, 1e-4)
    for actual, expected in zip(l_grads, t_grads):
        _close(actual, expected, 1e-3)


def test_encoder_inference_with_padding_zeroes_padded_rows_like_torch():
    """torch's eval/no-grad nested-tensor path returns zeros (then norm) at padded positions."""
    outs = []
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(E, HEADS, FF, batch_first=True)
        module = lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(E)).eval()
        with lib.no_grad():
            outs.append(module(_data(lib, 1, BATCH, SRC, E, grad=False),
                               src_key_padding_mask=lib.tensor(PADDING)))  # fmt: skip
    _close(outs[1], outs[0], 1e-4)


@pytest.mark.parametrize("size", [1, 4])
def test_generate_square_subsequent_mask(size):
    expected = torch.nn.Transformer.generate_square_subsequent_mask(size, dtype=torch.float64)
    actual = torchlike.nn.Transformer.generate_square_subsequent_mask(size, dtype=torchlike.float64)
    assert actual.dtype == torchlike.float64
    assert actual.numpy().tolist() == expected.numpy().tolist()


def _transformer_errors(lib):
    nn = lib.nn
    model = nn.Transformer(E, HEADS, 1, 1, FF)
    return [
        lambda: model(lib.zeros(SRC, 2, E), lib.zeros(TGT, 3, E)),
        lambda: model(lib.zeros(SRC, 2, E + 2), lib.zeros(TGT, 2, E + 2)),
        lambda: nn.TransformerEncoderLayer(E, HEADS, activation="tanh"),
    ]


@pytest.mark.parametrize("index", range(3))
def test_transformer_errors(index):
    with pytest.raises(Exception) as expected:
        _transformer_errors(torch)[index]()
    with pytest.raises(Exception) as actual:
        _transformer_errors(torchlike)[index]()
    assert type(actual.value) is type(expected.value)
    assert str(actual.value) == str(expected.value)
