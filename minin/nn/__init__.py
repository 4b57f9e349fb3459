"""Layers and containers in the shape of torch.nn."""

from . import init, utils
from .adaptive_pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .layers import (AvgPool2d, Conv2d, Dropout, Flatten, GlobalAvgPool2d, Identity, Linear,
                     LogSoftmax, MaxPool2d, ModuleList, ReLU, Sequential, Sigmoid, Softmax, Softplus,
                     Tanh)
from .fuse import Conv2dReLU, fuse_conv_relu
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter

__all__ = ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm1d", "BatchNorm2d", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss",
           "functional", "AvgPool2d", "Conv2d", "Conv2dReLU", "Dropout", "Flatten", "GlobalAvgPool2d",
           "Identity", "Linear", "LogSoftmax", "MaxPool2d", "Module", "ModuleList", "Parameter", "ReLU",
           "Sequential", "Sigmoid", "Softmax", "Softplus", "Tanh", "fuse_conv_relu", "init", "utils"]
