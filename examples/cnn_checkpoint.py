"""A small CNN with BatchNorm and Dropout trained on synthetic bar images, saved with
torch.save, reloaded into a fresh model, and checked to give the same predictions.

Runs unmodified on PyTorch and on torchlike (`python -m torchlike examples/cnn_checkpoint.py`).
"""

import os
import tempfile

import torch
from torch import nn


def make_images(count):
    """8x8 images holding a vertical (label 0) or horizontal (label 1) bar, plus noise."""
    images = 0.3 * torch.randn(count, 1, 8, 8)
    labels = torch.randint(0, 2, (count,))
    positions = torch.randint(1, 7, (count,))
    for i in range(count):
        p = positions[i].item()
        if labels[i].item() == 0:
            images[i, 0, :, p] += 1.0
        else:
            images[i, 0, p, :] += 1.0
    return images, labels


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.dropout = nn.Dropout(0.25)
        self.classifier = nn.Linear(8 * 4 * 4, 2)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(self.dropout(torch.flatten(x, 1)))


def main():
    torch.manual_seed(0)
    images, labels = make_images(256)
    model = SmallCNN()
    print(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(4):
        for start in range(0, 256, 32):
            batch, target = images[start : start + 32], labels[start : start + 32]
            loss = loss_fn(model(batch), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}  last batch loss {loss.item():.4f}")

    model.eval()
    test_images, test_labels = make_images(64)
    with torch.no_grad():
        predictions = model(test_images).argmax(dim=1)
    print("test accuracy:", (predictions == test_labels).float().mean().item())
    batchnorm = model.features[1]
    print("batches tracked:", batchnorm.num_batches_tracked.item())
    print("running mean:", batchnorm.running_mean)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "cnn.pt")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
        checkpoint = torch.load(path)
    print("saved keys:", list(checkpoint["model"].keys()))
    restored = SmallCNN()
    print(restored.load_state_dict(checkpoint["model"]))
    restored.eval()
    with torch.no_grad():
        same = torch.equal(restored(test_images), model(test_images))
    print("restored model gives the same outputs:", same)
    fresh_optimizer = torch.optim.SGD(restored.parameters(), lr=0.05, momentum=0.9)
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    print("momentum buffers restored:", len(fresh_optimizer.state_dict()["state"]))


if __name__ == "__main__":
    main()
