"""The model zoo: NiN in four sizes, and AlexNet to compare it with."""

from .alexnet import alexnet
from .nin import (HEADS, INITS, INPUT_SHAPES, VARIANTS, GlobalMaxPool2d, class_maps, init_nin, mlpconv, nin,
                  nin_block)

__all__ = ["HEADS", "INITS", "INPUT_SHAPES", "VARIANTS", "GlobalMaxPool2d", "alexnet", "class_maps", "init_nin",
           "mlpconv", "nin", "nin_block"]
