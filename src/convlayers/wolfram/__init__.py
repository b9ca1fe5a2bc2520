"""The Wolfram Language dialect: ``ConvolutionLayer`` and its family, ``NetChain``, ``NetExtract``, ``NetTrain``.

Layers are stated as in the Wolfram Language, options by their Wolfram names
(``PaddingSize``, ``Stride``, ``ChannelGroups``, ``Interleaving``, ``Input``...),
and give Wolfram's shapes, errors and numbers; each translates into core
layers, which compute. A single example is unbatched (``(c, h, w)`` in,
``(n, h', w')`` out), one rank more is a batch; NumPy in, NumPy out.

>>> import numpy as np
>>> from convlayers.wolfram import ConvolutionLayer, NetChain, NetInitialize, PoolingLayer, Ramp
>>> net = NetInitialize(NetChain([ConvolutionLayer(8, 3, PaddingSize="Same"), Ramp, PoolingLayer(2, 2)], Input=(1, 28, 28)))
>>> net.output_dims
(8, 14, 14)
>>> net(np.zeros((1, 28, 28))).shape, net(np.zeros((5, 1, 28, 28))).shape
((8, 14, 14), (5, 8, 14, 14))
"""

from .chain import NetChain
from .companions import ElementwiseLayer, FlattenLayer, LinearLayer, LogisticSigmoid, Ramp, SoftmaxLayer, Tanh
from .convolution import ConvolutionLayer, DeconvolutionLayer
from .encoders import NetEncoder
from .functions import Information, NetExtract, NetInitialize
from .padding import PaddingLayer
from .pooling import PoolingLayer
from .ports import VARYING
from .resize import All, ResizeLayer, Scaled
from .training import NetTrain

__all__ = [
    "All", "ConvolutionLayer", "DeconvolutionLayer", "ElementwiseLayer", "FlattenLayer", "Information", "LinearLayer",
    "LogisticSigmoid", "NetChain", "NetEncoder", "NetExtract", "NetInitialize", "NetTrain", "PaddingLayer", "PoolingLayer", "Ramp",
    "ResizeLayer", "Scaled", "SoftmaxLayer", "Tanh", "VARYING",
]
