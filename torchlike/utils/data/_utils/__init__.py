"""Helpers behind torch.utils.data: collation and batch fetching."""

from . import collate, fetch

__all__ = ["collate", "fetch"]
