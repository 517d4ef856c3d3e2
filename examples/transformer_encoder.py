"""A two-layer Transformer encoder classifies token sequences by whether token 1 occurs more
often than token 2, with a padding mask for sequences of different lengths.

Runs unmodified on PyTorch and on torchlike (`python -m torchlike examples/transformer_encoder.py`).
"""

import torch
from torch import nn


def make_batch(count, length=12, vocabulary=6):
    """Token sequences (0 is padding) of random lengths, labelled 1 when token 1 outnumbers 2."""
    tokens = torch.randint(1, vocabulary, (count, length))
    lengths = torch.randint(6, length + 1, (count,))
    padding = torch.arange(length).unsqueeze(0) >= lengths.unsqueeze(1)
    tokens = tokens.masked_fill(padding, 0)
    labels = ((tokens == 1).sum(dim=1) > (tokens == 2).sum(dim=1)).long()
    return tokens, padding, labels


class Classifier(nn.Module):
    def __init__(self, vocabulary=6, d_model=32):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, d_model, padding_idx=0)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 2)

    def forward(self, tokens, padding):
        hidden = self.encoder(self.embedding(tokens), src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(-1).float()
        pooled = (hidden * keep).sum(dim=1) / keep.sum(dim=1)
        return self.head(pooled)


def main():
    torch.manual_seed(0)
    model = Classifier()
    print(model.encoder.layers[0])
    print("parameters:", sum(p.numel() for p in model.parameters()))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(40):
        tokens, padding, labels = make_batch(64)
        loss = loss_fn(model(tokens, padding), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 9:
            print(f"step {step + 1:3d}  loss {loss.item():.4f}")

    model.eval()
    tokens, padding, labels = make_batch(256)
    with torch.no_grad():
        accuracy = (model(tokens, padding).argmax(dim=1) == labels).float().mean().item()
    print(f"held-out accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
