"""Layer classes of ``frankentorch.nn``."""
from .module import Module
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .linear import Identity, Linear, Bilinear
from .flatten import Flatten, Unflatten
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from .pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d,
                      AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .normalization import LayerNorm, GroupNorm
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .sparse import Embedding
from .activation import (ReLU, ReLU6, Hardtanh, Sigmoid, Hardsigmoid, Tanh, SiLU, Mish,
                         Hardswish, ELU, GELU, LeakyReLU, Softplus, Softmax, LogSoftmax,
                         LogSigmoid)
from .loss import (L1Loss, MSELoss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss,
                   BCELoss, BCEWithLogitsLoss, KLDivLoss, CosineEmbeddingLoss,
                   MarginRankingLoss, TripletMarginLoss)

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear", "Flatten", "Unflatten", "Conv1d", "Conv2d", "Conv3d",
    "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "Dropout",
    "Dropout1d", "Dropout2d", "Dropout3d", "Embedding", "ReLU", "ReLU6", "Hardtanh", "Sigmoid",
    "Hardsigmoid", "Tanh", "SiLU", "Mish", "Hardswish", "ELU", "GELU", "LeakyReLU", "Softplus",
    "Softmax", "LogSoftmax", "LogSigmoid", "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss",
    "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss",
    "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
]
