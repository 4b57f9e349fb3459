"""PyTorch's ``torch.utils`` names that training programs use: ``minin.utils.data``."""

from . import data

__all__ = ["data"]
