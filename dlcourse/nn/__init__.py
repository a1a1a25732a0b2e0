"""Layers, losses and containers with explicit forward and backward passes.

Names, argument names, defaults and array layouts follow ``torch.nn``.
"""

from dlcourse.nn.parameter import Parameter
from dlcourse.nn.module import Module
from dlcourse.nn.container import Sequential

from dlcourse.nn.linear import Linear
from dlcourse.nn.activation import (
    Identity, BinaryStep, Sigmoid, Tanh, Arctan, Softsign, ReLU, LeakyReLU, PReLU, ELU, SELU,
    Softplus, GELU, SiLU, Hardtanh, Maxout, Softmax, LogSoftmax,
)
from dlcourse.nn.dropout import Dropout
from dlcourse.nn.batchnorm import BatchNorm1d, BatchNorm2d
from dlcourse.nn.layernorm import LayerNorm
from dlcourse.nn.residual import Residual
from dlcourse.nn.loss import (
    MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss,
)
from dlcourse.nn.conv import Conv2d
from dlcourse.nn.pooling import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
from dlcourse.nn.flatten import Flatten
from dlcourse.nn.blocks import InceptionBlock, ResidualBlock
from dlcourse.nn import utils

__all__ = [
    "Parameter", "Module", "Sequential", "Linear",
    "Identity", "BinaryStep", "Sigmoid", "Tanh", "Arctan", "Softsign", "ReLU", "LeakyReLU", "PReLU",
    "ELU", "SELU", "Softplus", "GELU", "SiLU", "Hardtanh", "Maxout", "Softmax", "LogSoftmax",
    "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Residual",
    "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "InceptionBlock", "ResidualBlock",
]
