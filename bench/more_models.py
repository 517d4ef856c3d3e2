"""Training steps of small models beyond W1-W6, torchlike eager against PyTorch eager.

Run: python bench/more_models.py [--reps 7] [--models cnn_bn,lstm]

Each model takes Adam steps on fixed data with the same layers in both libraries: a
convolutional net with BatchNorm and Dropout, an LSTM, a two-layer GRU, an Embedding bag, and a
TransformerDecoderLayer with dropout. The two libraries alternate in blocks of about 0.3 s after
a warm-up; the table gives the median time per step of each and their ratio. Threads as in
`bench/run.py` (torch one thread, XLA's single-thread flags).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.workloads._threads import configure_before_imports, configure_torch  # noqa: E402

configure_before_imports(1)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import torchlike  # noqa: E402

configure_torch(1)
BLOCK_SECONDS = 0.3
WARMUP_STEPS = 15


def _cnn_bn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(32, 10),
    )  # fmt: skip


def _recurrent(lib, kind: str, layers: int):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(lib.nn, kind)(16, 32, num_layers=layers, batch_first=True)
            self.fc = lib.nn.Linear(32, 10)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.fc(out[:, -1])

    return Net()


def _embedding(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(100, 32)
            self.fc = lib.nn.Linear(32, 10)

        def forward(self, x):
            return self.fc(self.embed(x).mean(1))

    return Net()


def _decoder(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = lib.nn.TransformerDecoderLayer(64, 4, 128, batch_first=True)

        def forward(self, x):
            return self.layer(x, x).mean(1)[:, :10]

    return Net()


# name: (what it is, model builder, input shape, integer inputs below this bound or None)
MODELS = {
    "cnn_bn": ("Conv-BN-ReLU-Pool x2, Dropout, Linear; 16x3x32x32", _cnn_bn, (16, 3, 32, 32), None),
    "lstm": ("LSTM(16, 32), Linear; 32x20x16", lambda lib: _recurrent(lib, "LSTM", 1),
             (32, 20, 16), None),
    "gru": ("GRU(16, 32, 2 layers), Linear; 32x20x16", lambda lib: _recurrent(lib, "GRU", 2),
            (32, 20, 16), None),
    "embedding": ("Embedding(100, 32), mean, Linear; 64x12", _embedding, (64, 12), 100),
    "decoder": ("TransformerDecoderLayer(64, 4, 128), dropout 0.1; 8x16x64", _decoder,
                (8, 16, 64), None),
}  # fmt: skip


def _stepper(lib, name: str):
    """A training step of the model in `lib` on fixed data."""
    _, build, shape, high = MODELS[name]
    lib.manual_seed(0)
    model = build(lib)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    if high is None:
        inputs = lib.from_numpy(rng.standard_normal(shape).astype(np.float32))
    else:
        inputs = lib.from_numpy(rng.integers(0, high, shape))
    target = lib.from_numpy(rng.integers(0, 10, shape[0]))

    def step():
        loss = lib.nn.functional.cross_entropy(model(inputs), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def time_model(name: str, reps: int) -> dict:
    steppers = {"torchlike": _stepper(torchlike, name), "torch": _stepper(torch, name)}
    for step in steppers.values():
        for _ in range(WARMUP_STEPS):
            step()
        float(step().detach())
    times = {lib: [] for lib in steppers}
    for _ in range(reps):
        for lib, step in steppers.items():
            steps, start, loss = 0, time.perf_counter(), None
            while time.perf_counter() - start < BLOCK_SECONDS:
                loss = step()
                steps += 1
            float(loss.detach())  # waits for the last step
            times[lib].append((time.perf_counter() - start) / steps * 1e3)
    return {lib: statistics.median(values) for lib, values in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}; median ms per step of {args.reps} blocks each\n")
    print("| model | torchlike | torch | torchlike / torch |")
    print("|---|---|---|---|")
    for name in args.models.split(","):
        medians = time_model(name, args.reps)
        mine, theirs = medians["torchlike"], medians["torch"]
        print(f"| {MODELS[name][0]} | {mine:.2f} ms | {theirs:.2f} ms | {mine / theirs:.2f}x |")


if __name__ == "__main__":
    main()
