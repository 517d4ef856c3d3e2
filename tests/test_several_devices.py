"""First calls interpreted on the host beside other devices (a GPU machine has its CPU and its
GPU): kernels whose arrays sit on the host's first device run in numpy, others compile, and
each result stays on its arguments' device. Two host devices stand in for the CPU and the GPU;
each case runs in a process of its own, since JAX fixes its devices at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
TWO_HOST_DEVICES = "--xla_force_host_platform_device_count=2"


def _run(source: str) -> dict:
    """Run `source` with two host devices; it prints one JSON object last."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=TWO_HOST_DEVICES)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


FORWARD = """
import json
import numpy as np
import torchlike as torch
from torchlike import _tiers

_tiers.set_budget_ms(1e6)  # never outgrow the interpreter here
a = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
first = torch.from_numpy(a)
second = torch.from_numpy(a).to("cpu:1")
runs = _tiers.stats["interpreted_runs"]
on_first = [(first * 3.0 + first).numpy() for _ in range(4)][-1]
interpreted = _tiers.stats["interpreted_runs"] - runs
on_second = [(second * 3.0 + second) for _ in range(4)][-1]
print(json.dumps({
    "interpreted_first": interpreted,
    "interpreted_second": _tiers.stats["interpreted_runs"] - runs - interpreted,
    "same_bits": on_first.tobytes() == on_second.numpy().tobytes(),
    # float32 arithmetic as torch does it for a float32 tensor and a Python scalar
    "as_float32": on_first.tobytes() == (a * np.float32(3.0) + a).tobytes(),
    "second_device": [d.id for d in on_second._value.devices()],
}))
"""


def test_first_calls_on_the_host_are_interpreted_and_on_another_device_compiled():
    facts = _run(FORWARD)
    assert facts["interpreted_first"] >= 4  # two ops a call, after the eager first call
    assert facts["interpreted_second"] == 0
    assert facts["same_bits"] is True
    assert facts["as_float32"] is True
    assert facts["second_device"] == [1]


OUTGROWN = """
import json
import jax
import jax.numpy as jnp
import numpy as np
from torchlike import _tiers

_tiers.set_budget_ms(0)
fn = lambda a: a * 2.0 + 1.0
kernel = _tiers.TieredKernel(fn, jax.jit(fn))
host = jnp.ones(3, jnp.float32)
other = jax.device_put(np.ones(3, np.float32), jax.devices()[1])
kernel(host)  # interpreted, and the budget is spent: it compiles inline, not on the worker
out = kernel(other)
lowered = jax.jit(fn).lower(host).compile()
moved = _tiers.Executable(lowered, jax.jit(fn))(other)  # compiled for the host, called for 1
print(json.dumps({
    "compiled_inline": kernel.compiled is kernel.jitted,
    "out": out.tolist(), "out_device": [d.id for d in out.devices()],
    "moved": moved.tolist(), "moved_device": [d.id for d in moved.devices()],
}))
"""


def test_a_kernel_that_outgrows_the_interpreter_compiles_for_any_device():
    facts = _run(OUTGROWN)
    assert facts["compiled_inline"] is True
    assert facts["out"] == [3.0] * 3 and facts["out_device"] == [1]
    assert facts["moved"] == [3.0] * 3 and facts["moved_device"] == [1]


BACKWARD = """
import json
import numpy as np
import torchlike as torch
from torchlike import _tiers

_tiers.set_budget_ms(1e6)  # kernels stay uncompiled unless a call cannot be interpreted

def grads(device):
    x = torch.from_numpy(np.linspace(0.5, 1.5, 6, dtype=np.float32).reshape(2, 3))
    y = torch.from_numpy(np.linspace(1.5, 0.5, 6, dtype=np.float32).reshape(2, 3))
    x, y = x.to(device).requires_grad_(), y.to(device).requires_grad_()
    z = torch.ones(2, 3).to(device).requires_grad_()
    out = z
    for _ in range(300):  # 600 nodes: the backward runs in chunks
        out = (out / x) * y
    out.sum().backward()
    return [t.grad for t in (x, y, z)]

runs = _tiers.stats["interpreted_runs"]
second = grads("cpu:1")  # first, while every kernel is new
interpreted = _tiers.stats["interpreted_runs"] - runs
first = grads("cpu")
print(json.dumps({
    "interpreted_second": interpreted,
    "same_bits": all(a.numpy().tobytes() == b.numpy().tobytes() for a, b in zip(first, second)),
    "devices": sorted({d.id for g in second for d in g._value.devices()}),
}))
"""


def test_a_chunked_backward_on_another_device_stays_there_with_the_hosts_bits():
    """Chunks of a large backward keep their gradients in numpy only for arrays on the host's
    first device (on a GPU they would otherwise be copied to the host and computed there)."""
    facts = _run(BACKWARD)
    assert facts["interpreted_second"] == 0
    assert facts["same_bits"] is True
    assert facts["devices"] == [1]


DEFERRED = """
import json
import numpy as np
import torchlike as torch
from torchlike import _deferred, _tiers

_tiers.set_budget_ms(0.0)  # kernels compile from their second call; deferral needs them
a = np.linspace(0.5, 3.0, 6, dtype=np.float32).reshape(2, 3)

def loop(t):
    z = t
    for _ in range(30):
        z = z * 1.5 - t / 2
    return z

runs = {}
for device in ("cpu", "cpu:1") * 4:
    t = torch.from_numpy(a).to(device)
    z = loop(t)
    runs.setdefault(device, []).append((z.numpy().tobytes(), [d.id for d in z._value.devices()]))
    _tiers.wait()
_deferred.set_enabled(False)
direct = loop(torch.from_numpy(a).to("cpu:1")).numpy().tobytes()
print(json.dumps({
    "deferred_ops": _deferred.stats["deferred_ops"],
    "chunk_runs": _deferred.stats["chunk_runs"],
    "devices": {device: sorted({tuple(d) for _, d in r}) for device, r in runs.items()},
    "same_bits": len({bits for r in runs.values() for bits, _ in r} | {direct}) == 1,
    "values": np.frombuffer(direct, np.float32).tolist(),
}))
"""


def test_small_ops_are_deferred_per_device_and_run_where_their_arguments_are():
    facts = _run(DEFERRED)
    assert facts["deferred_ops"] > 100 and facts["chunk_runs"] > 0
    assert facts["devices"] == {"cpu": [[0]], "cpu:1": [[1]]}
    assert facts["same_bits"] is True
    t = torch.linspace(0.5, 3.0, 6).reshape(2, 3)
    z = t
    for _ in range(30):
        z = z * 1.5 - t / 2
    np.testing.assert_allclose(facts["values"], z.flatten().numpy(), rtol=1e-5)
