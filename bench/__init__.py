"""Benchmarks: torchlike eager against PyTorch eager, jax.jit and torch.compile, side by side."""
