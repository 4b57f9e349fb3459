"""The model zoo: NiN in four sizes, and AlexNet to compare it with."""

from .alexnet import alexnet
from .nin import INPUT_SHAPES, VARIANTS, class_maps, init_nin, mlpconv, nin, nin_block

__all__ = ["INPUT_SHAPES", "VARIANTS", "alexnet", "class_maps", "init_nin", "mlpconv", "nin", "nin_block"]
