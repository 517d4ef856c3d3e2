"""W6: one TransformerEncoderLayer(128, 4 heads, feed-forward 256) step with AdamW.

Input (16, 64, 128) as (sequence, batch, features) (torch's default batch_first=False);
post-norm, ReLU, dropout 0 so every implementation computes the same thing; loss is the mean
square of the output against a fixed target.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ._common import IMPLS, JAX_JIT, Case, Unavailable, uniform_init
from ._trainer import TrainSpec, jax_runner, torch_api_runner

SIZES = {"full": (16, 64, 128, 4, 256), "tiny": (3, 2, 8, 2, 12)}
EPS = 1e-5


def build_model(lib, d_model: int, heads: int, ff: int):
    if not hasattr(lib.nn, "TransformerEncoderLayer"):
        raise Unavailable("n/a (no nn.TransformerEncoderLayer yet)")
    return lib.nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0)


def squared_error(lib, output, target):
    return (output - target).pow(2).mean()


def _layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + EPS) * weight + bias


def _self_attention(params, x, heads: int):
    seq, batch, d_model = x.shape
    q, k, v = jnp.split(x @ params["self_attn.in_proj_weight"].T
                        + params["self_attn.in_proj_bias"], 3, axis=-1)  # fmt: skip

    def split_heads(t):  # (seq, batch, d) -> (batch, heads, seq, d / heads)
        return t.reshape(seq, batch, heads, d_model // heads).transpose(1, 2, 0, 3)

    q, k, v = map(split_heads, (q, k, v))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d_model // heads)  # a weak Python float
    attended = jax.nn.softmax(scores, axis=-1) @ v
    merged = attended.transpose(2, 0, 1, 3).reshape(seq, batch, d_model)
    return merged @ params["self_attn.out_proj.weight"].T + params["self_attn.out_proj.bias"]


def jax_loss_for(heads: int):
    def jax_loss(params, x, target):
        x = _layer_norm(x + _self_attention(params, x, heads),
                        params["norm1.weight"], params["norm1.bias"])  # fmt: skip
        hidden = jax.nn.relu(x @ params["linear1.weight"].T + params["linear1.bias"])
        x = _layer_norm(x + hidden @ params["linear2.weight"].T + params["linear2.bias"],
                        params["norm2.weight"], params["norm2.bias"])  # fmt: skip
        return ((x - target) ** 2).mean()

    return jax_loss


def spec(size: str = "full") -> TrainSpec:
    seq, batch, d_model, heads, ff = SIZES[size]
    rng = np.random.default_rng(6)
    shapes = {
        "self_attn.in_proj_weight": (3 * d_model, d_model),
        "self_attn.in_proj_bias": (3 * d_model,),
        "self_attn.out_proj.weight": (d_model, d_model), "self_attn.out_proj.bias": (d_model,),
        "linear1.weight": (ff, d_model), "linear1.bias": (ff,),
        "linear2.weight": (d_model, ff), "linear2.bias": (d_model,),
        "norm1.weight": (d_model,), "norm1.bias": (d_model,),
        "norm2.weight": (d_model,), "norm2.bias": (d_model,),
    }  # fmt: skip
    packed = ("self_attn.in_proj_weight", "self_attn.in_proj_bias")  # not <layer>.weight names
    weights = uniform_init(rng, {k: v for k, v in shapes.items() if k not in packed})
    bound = 1.0 / np.sqrt(d_model)
    for name in packed:
        weights[name] = rng.uniform(-bound, bound, shapes[name]).astype(np.float32)
    for norm in ("norm1", "norm2"):
        weights[f"{norm}.weight"] = np.ones(d_model, np.float32)
        weights[f"{norm}.bias"] = np.zeros(d_model, np.float32)
    return TrainSpec(
        build_model=lambda lib: build_model(lib, d_model, heads, ff),
        loss=squared_error,
        jax_loss=jax_loss_for(heads),
        weights={name: weights[name] for name in shapes},
        inputs=rng.standard_normal((seq, batch, d_model), dtype=np.float32),
        target=rng.standard_normal((seq, batch, d_model), dtype=np.float32),
        lr=1e-3,
        optimizer="AdamW",
        weight_decay=0.01,
    )


def cases(size: str = "full") -> list[Case]:
    train = spec(size)
    factories = {impl: (lambda impl=impl: torch_api_runner(impl, train)) for impl in IMPLS}
    factories[JAX_JIT] = lambda: jax_runner(train)
    title = "TransformerEncoderLayer(128, 4 heads, ff 256) on (16, 64, 128), AdamW"
    return [Case("W6", title, factories)]
