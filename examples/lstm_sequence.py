"""An LSTM learns to continue noisy sine waves: given 20 steps, predict the next value.

Runs unmodified on PyTorch and on torchlike (`python -m torchlike examples/lstm_sequence.py`).
"""

import math

import torch
from torch import nn


def make_waves(count, length=21):
    """Sine waves with random phase and frequency, plus a little noise."""
    phase = 2 * math.pi * torch.rand(count, 1)
    frequency = 0.2 + 0.3 * torch.rand(count, 1)
    steps = torch.arange(length, dtype=torch.float32)
    waves = torch.sin(phase + frequency * steps) + 0.05 * torch.randn(count, length)
    return waves[:, :-1].unsqueeze(-1), waves[:, -1:]


class Forecaster(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        output, (h_n, c_n) = self.lstm(x)
        return self.head(output[:, -1])


def main():
    torch.manual_seed(0)
    inputs, targets = make_waves(128)
    model = Forecaster()
    print(model)
    print("parameters:", [(name, tuple(p.shape)) for name, p in model.lstm.named_parameters()][:4])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    for step in range(60):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 15 == 14:
            print(f"step {step + 1:3d}  mse {loss.item():.4f}")

    test_inputs, test_targets = make_waves(4)
    with torch.no_grad():
        predictions = model(test_inputs)
    for guess, truth in zip(predictions[:, 0].tolist(), test_targets[:, 0].tolist()):
        print(f"predicted {guess:+.2f}  actual {truth:+.2f}")
    output, (h_n, c_n) = model.lstm(test_inputs)
    print("output", tuple(output.shape), "h_n", tuple(h_n.shape), "c_n", tuple(c_n.shape))


if __name__ == "__main__":
    main()
