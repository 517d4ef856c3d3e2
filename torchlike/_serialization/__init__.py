"""torch.save / torch.load internals: PyTorch's zip checkpoint format, both directions."""
