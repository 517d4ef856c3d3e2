"""A large backward's chunks run in one loop, in numpy while their kernels are interpreted:
the gradients are the bits of the per-node path with every kernel compiled."""

import os
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest

import torchlike as torch
from torchlike import _tiers
from torchlike._autograd import host, kernels, segments
from torchlike._ops import forward

STEPS = 300  # 600 op nodes: past the whole-graph limit, so backward runs in chunks


@pytest.fixture(autouse=True)
def fresh_kernels(monkeypatch):
    """New, uncompiled kernels; segments that never compile, so chunks run in the loop."""
    _tiers.wait()
    monkeypatch.setitem(_tiers._settings, "mode", "on")
    monkeypatch.setitem(_tiers._settings, "background", False)
    monkeypatch.setattr(kernels, "_entries", OrderedDict())
    monkeypatch.setattr(segments, "COMPILE_AFTER", 10**9)
    forward.clear()
    segments.clear()
    segments.set_enabled(True)
    yield
    forward.clear()
    segments.clear()
    segments.set_enabled(True)


def _numpy_chunks() -> int:
    """Chunks run in numpy: by the chunk loop, or as a plan (`host_plan`)."""
    return kernels.stats["host_chunks"] + kernels.stats["host_plan_runs"]


def _leaves(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    x = (rng.uniform(0.5, 1.5, (2, 3)) * scale).astype(np.float32)
    y = (x * (1 + 1e-3 * rng.uniform(-1, 1, (2, 3)))).astype(np.float32)
    return x, y


def _grads(x0, y0, middle=None, lib=torch):
    """x.grad, y.grad, z0.grad of the profiler loop z = (z / x) * y over STEPS steps."""
    x = lib.tensor(x0, requires_grad=True)
    y = lib.tensor(y0, requires_grad=True)
    z0 = lib.ones(2, 3, requires_grad=True)
    z = z0
    for k in range(STEPS):
        z = (z / x) * y
        if middle is not None:
            z = middle(k, z)
    z.sum().backward()
    return [t.grad.numpy().copy() for t in (x, y, z0)]


def _compiled_per_node(x0, y0, middle=None):
    """The reference: per-node backward, every kernel compiled."""
    segments.set_enabled(False)
    _tiers.set_mode("off")
    try:
        return _grads(x0, y0, middle)
    finally:
        _tiers.set_mode("on")
        segments.set_enabled(True)


def _assert_bitwise(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g.view(f"u{g.itemsize}"), w.view(f"u{w.itemsize}"))


def test_first_backward_runs_in_numpy_compiles_nothing_and_keeps_the_compiled_bits():
    x0, y0 = _leaves(0)
    _tiers.set_budget_ms(0)  # on the per-node path, every kernel would compile at once
    chunks, compiles = _numpy_chunks(), kernels.stats["kernel_compiles"]
    runs, plans = _tiers.stats["interpreted_runs"], kernels.stats["host_plan_runs"]
    try:
        got = _grads(x0, y0)
    finally:
        _tiers.set_budget_ms(5)
    assert _numpy_chunks() - chunks >= 18  # 600 nodes in chunks of 32
    assert kernels.stats["host_plan_runs"] - plans >= 16  # all chunks of the repeated signature
    assert kernels.stats["kernel_compiles"] == compiles  # no backward kernel compiled
    assert _tiers.stats["interpreted_runs"] - runs >= 2 * STEPS
    _assert_bitwise(got, _compiled_per_node(x0, y0))


def test_chunks_mixing_compiled_and_interpreted_kernels_keep_the_bits():
    x0, y0 = _leaves(1)
    first = _grads(x0, y0)  # traces every kernel's program
    entries = list(kernels._entries.values())
    assert len(entries) >= 3  # the division's, the product's and the sum's VJPs
    for entry in entries[::2]:
        entry.kernel.top_level._compile()
    chunks = _numpy_chunks()
    mixed = _grads(x0, y0)
    assert _numpy_chunks() > chunks
    assert any(e.kernel.top_level.compiled is None for e in entries)
    reference = _compiled_per_node(x0, y0)
    _assert_bitwise(first, reference)
    _assert_bitwise(mixed, reference)


def test_a_subnormal_in_a_chunk_gets_the_flushed_xla_result():
    # x = y = 1.4 * 2**63: the forward stays normal, while the division's VJP reads x**-2, about
    # 2**-127, a float32 subnormal that XLA's CPU runtime flushes to zero: x.grad is zero.
    x0 = y0 = np.full((2, 3), 1.4 * 2.0**63, np.float32)
    got = _grads(x0, y0)
    reference = _compiled_per_node(x0, y0)
    _assert_bitwise(got, reference)
    assert not np.any(got[0])
    np.testing.assert_array_equal(got[2], np.ones((2, 3), np.float32))


def test_a_subnormal_met_by_a_chunk_plan_gets_the_flushed_xla_result():
    _grads(*_leaves(3))  # the kernels' programs traced, the chunks' plan built
    plans = kernels.stats["host_plan_runs"]
    x0 = y0 = np.full((2, 3), 1.4 * 2.0**63, np.float32)  # x**-2 is subnormal (see above)
    got = _grads(x0, y0)
    assert kernels.stats["host_plan_runs"] == plans  # the plan's run found it and gave up
    reference = _compiled_per_node(x0, y0)
    _assert_bitwise(got, reference)
    assert not np.any(got[0])


def test_chunks_across_float64_steps_and_python_scalars_keep_the_bits():
    x0, y0 = _leaves(2)
    w = torch.tensor(np.linspace(0.9, 1.1, 6).reshape(2, 3))  # float64

    def middle(k, z):
        if k % 5 == 0:
            return (z.double() * w).float()
        if k % 7 == 0:
            return z * 1.0001 + 0.5
        return z

    _assert_bitwise(_grads(x0, y0, middle), _compiled_per_node(x0, y0, middle))


_FIRST_BACKWARD = """
import threading, jax, numpy as np, torchlike as torch
x = torch.tensor(np.linspace(0.5, 1.5, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
y = torch.tensor(np.linspace(0.6, 1.4, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
z = torch.ones(2, 3, requires_grad=True)
for _ in range(300):
    z = (z / x) * y
loss = z.sum()
events = []
def listener(event, duration, **kwargs):
    if threading.current_thread() is threading.main_thread():
        events.append(event)
jax.monitoring.register_event_duration_secs_listener(listener)
loss.backward()
print(sorted(set(events)), float(x.grad.sum()))
"""


def test_a_first_large_backward_lowers_and_compiles_nothing():
    """In a new process whose kernels are all still interpreted, backward() of a 600-node graph
    builds no XLA program: not for the root's implicit gradient, the sum's VJP, the chunks or
    their sums (each would cost the script tens of milliseconds)."""
    env = {
        **os.environ,
        "TORCHLIKE_INTERPRET": "1",
        "TORCHLIKE_INTERPRET_MS": "60000",
        "TORCHLIKE_COMPILE_CACHE": "0",
    }
    done = subprocess.run([sys.executable, "-c", _FIRST_BACKWARD], capture_output=True,
                          text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    events, total = done.stdout.rsplit("]", 1)
    assert "mlir" not in events and "backend_compile" not in events, events
    assert np.isfinite(float(total))


_MIX = [  # views, several outputs, uninterpretable kernels, integer indices, casts, scalars
    lambda z, w: (z / w) * w.exp(),
    lambda z, w: torch.cat(torch.split(z, [1, 2], dim=1)[::-1], dim=1),
    lambda z, w: z + z.max(dim=1, keepdim=True).values * 0.5,
    lambda z, w: torch.where(z > 0, z, z * 0.1),
    lambda z, w: z.clamp(-3, 3) ** 2 + 1,
    lambda z, w: (z @ w.t() @ w).t().reshape(2, 3).abs() * 0.3 + z.mean(),
    lambda z, w: z.expand(4, 2, 3).sum(0) / 4,
    lambda z, w: z.double().sin().float() * 0.9 + z.relu(),
    lambda z, w: torch.gather(z, 1, torch.tensor([[2, 0, 1], [1, 1, 0]])) + z,
    lambda z, w: z.sqrt().nan_to_num() + z.tanh(),
]


def _mixed_grads(seed):
    rng = np.random.default_rng(seed)
    w = torch.tensor(rng.uniform(0.5, 1.5, (2, 3)).astype(np.float32), requires_grad=True)
    z0 = torch.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    z = z0
    for k in rng.permutation(200):
        z = _MIX[k % len(_MIX)](z, w)
        z = z / (z.abs().max().detach() + 1)
    z.sum().backward()
    return [w.grad.numpy().copy(), z0.grad.numpy().copy()]


def test_chunks_over_a_mix_of_ops_keep_the_per_node_bits():
    chunks = _numpy_chunks()
    first = _mixed_grads(6)  # kernels traced and interpreted where they can be
    second = _mixed_grads(6)
    assert _numpy_chunks() - chunks >= 40
    segments.set_enabled(False)
    try:
        per_node = _mixed_grads(6)
    finally:
        segments.set_enabled(True)
    _tiers.set_mode("off")
    try:
        segments.set_enabled(False)
        compiled = _mixed_grads(6)
    finally:
        _tiers.set_mode("on")
        segments.set_enabled(True)
    for got in (first, second, per_node):
        _assert_bitwise(got, compiled)


def _unused_outputs(z, w):
    """A chain where a split's second output never gets a gradient (zeros stand in for it)."""
    for _ in range(150):
        first, _second = torch.split(z, [1, 2], dim=1)
        z = torch.cat([first, first * 2, first * 3], dim=1) / w
    return z


def test_compiled_chunks_stay_in_jax_arrays(monkeypatch):
    """With no kernel interpreted (as on an accelerator), the chunk loop converts nothing to or
    from numpy, not even the zeros of an output without a gradient, and keeps the bits."""
    rng = np.random.default_rng(8)
    x0 = rng.uniform(0.5, 1.5, (2, 3)).astype(np.float32)
    w0 = rng.uniform(0.9, 1.1, (2, 3)).astype(np.float32)

    def grads(enabled):
        segments.set_enabled(enabled)
        x = torch.tensor(x0, requires_grad=True)
        w = torch.tensor(w0, requires_grad=True)
        _unused_outputs(x, w).sum().backward()
        return [x.grad.numpy().copy(), w.grad.numpy().copy()]

    _tiers.set_mode("off")
    try:
        reference = grads(False)
        conversions = []
        real = host._interpreter.to_jax
        monkeypatch.setattr(host._interpreter, "to_jax", lambda v: conversions.append(1) or real(v))
        chunks = _numpy_chunks()
        got = grads(True)
    finally:
        _tiers.set_mode("on")
        segments.set_enabled(True)
    assert _numpy_chunks() - chunks >= 10
    assert not conversions
    _assert_bitwise(got, reference)


def test_chunks_match_torch():
    import torch as real

    x0, y0 = _leaves(4)
    for got, want in zip(_grads(x0, y0), _grads(x0, y0, lib=real), strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-5)
