"""The recording autograd core: graph nodes (graph.py) and the backward engine (engine.py)."""
