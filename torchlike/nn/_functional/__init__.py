"""Implementations behind torch.nn.functional, one module per family."""
