"""Train an MLP classifier on synthetic data with DataLoader, CrossEntropyLoss, Adam and a
StepLR schedule; report the training loss, validation accuracy and learning rate per epoch.

Runs unmodified on PyTorch and on torchlike (`python -m torchlike examples/mlp_dataloader.py`).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split


def make_data(samples=600, features=20, classes=3):
    """Points labelled by which of three random directions they lean towards most."""
    inputs = torch.randn(samples, features)
    directions = torch.randn(features, classes)
    labels = (inputs @ directions).argmax(dim=1)
    return TensorDataset(inputs, labels)


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, labels in loader:
            correct += (model(inputs).argmax(dim=1) == labels).sum().item()
            total += labels.numel()
    model.train()
    return correct / total


def main():
    torch.manual_seed(0)
    dataset = make_data()
    train_set, val_set = random_split(
        dataset, [480, 120], generator=torch.Generator().manual_seed(1)
    )
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=64)
    print(
        "batches per epoch:",
        len(train_loader),
        "first validation labels:",
        val_set[0][1].item(),
        val_set[1][1].item(),
    )

    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 3))
    print(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    for epoch in range(6):
        total = 0.0
        for inputs, labels in train_loader:
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * labels.numel()
        scheduler.step()
        print(
            f"epoch {epoch}  loss {total / len(train_set):.4f}  "
            f"val accuracy {accuracy(model, val_loader):.3f}  lr {scheduler.get_last_lr()[0]:.5f}"
        )

    state = optimizer.state_dict()
    print("optimizer state keys:", sorted(state["state"][0]), "step:", state["state"][0]["step"])


if __name__ == "__main__":
    main()
