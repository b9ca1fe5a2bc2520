"""``MultiLayerNetwork``: a DL4J configuration as a core ``Sequential``, with DL4J's methods.

``init()`` creates the parameters (from the configuration's ``seed``), ``output(x)`` runs
NumPy arrays in the network's data format, ``fit`` trains through the core's training
loop with the configuration's updater and the output layer's DL4J score, ``params()`` /
``setParams(vector)`` read and write DL4J's flattened parameter vector (per layer: conv
kinds ``b`` then the weights in C order; dense and output layers ``W`` in F order then
``b``), and ``computeGradientAndScore`` / ``gradient()`` give DL4J's score (the batch mean
of the examples' scores, plus ``0.5 * l2 * sum(W^2)``) and gradient (that of the sum of the
examples' scores, in the same flattened order).

>>> import numpy as np
>>> from convlayers import dl4j
>>> conf = (dl4j.NeuralNetConfiguration.Builder().seed(12345).list()
...         .layer(dl4j.ConvolutionLayer.Builder(2, 2).nOut(2).build())
...         .layer(dl4j.OutputLayer.Builder(dl4j.LossFunction.MSE).nOut(3).build())
...         .setInputType(dl4j.InputType.convolutional(4, 4, 1)).build())
>>> net = dl4j.MultiLayerNetwork(conf); net.init()
>>> net.params().shape, net.output(np.zeros((5, 1, 4, 4), "float32")).shape
((1, 67), (5, 3))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import arrays
from ..models import Sequential
from ..models.losses import Loss
from .companions import _Scored
from .configuration import MultiLayerConfiguration
from .translation import DL4JLayer


class MultiLayerNetwork(Sequential):
    """DL4J's ``MultiLayerNetwork`` over a :class:`~.configuration.MultiLayerConfiguration`."""

    def __init__(self, conf: MultiLayerConfiguration) -> None:
        stack = []
        for index, layer in enumerate(conf.layers):
            if index in conf.preprocessors:
                stack.append(conf.preprocessors[index])
            stack.append(layer)
        super().__init__(stack)
        self.conf = conf
        self._gradient: np.ndarray | None = None
        self._score: float | None = None

    # -- layers and parameters -----------------------------------------------------------------
    @staticmethod
    def load(path: Any, loadUpdater: bool = False) -> "MultiLayerNetwork":  # noqa: N803 (DL4J's name)
        """A ``MultiLayerNetwork.save`` zip, parameters included (see :mod:`convlayers.dl4j.serializer`).

        ``loadUpdater``: DL4J's flag; the updater state is not restored (training starts a fresh updater).
        """
        from .serializer import restore_multi_layer_network  # the serializer builds networks of this class

        return restore_multi_layer_network(path)

    def save(self, path: Any, saveUpdater: bool = False) -> None:  # noqa: N803 (DL4J's name)
        """Write a ``MultiLayerNetwork.save`` zip that :meth:`load` reads (see :func:`~.serializer.write_model`)."""
        from .serializer import write_model  # the serializer builds networks of this class

        write_model(self, path, saveUpdater)

    @property
    def dl4j_layers(self) -> list[DL4JLayer]:
        """The DL4J layers, as ``getLayer`` indexes them (preprocessors are not layers in DL4J)."""
        return [layer for layer in self.layers if isinstance(layer, DL4JLayer)]

    def getLayer(self, index: int) -> DL4JLayer:
        """DL4J layer ``index`` (``getParam`` / ``setParam`` in DL4J's layouts)."""
        return self.dl4j_layers[index]

    def getnLayers(self) -> int:
        return len(self.dl4j_layers)

    def init(self, input_shape: tuple[int | None, ...] | None = None) -> None:
        """Create the parameters, drawn from the configuration's ``seed`` (torch's global generator untouched).

        ``input_shape`` (with the batch dim) is needed only without an input type in the configuration.
        """
        if self.built:
            return
        shape = input_shape if input_shape is not None else None if self.conf.input_type is None else self.conf.input_type.shape
        if shape is None:
            raise ValueError("MultiLayerNetwork.init(): the configuration has no input type; pass init(input_shape=...).")
        with torch.random.fork_rng(devices=[]):
            if self.conf.seed is not None:
                torch.manual_seed(self.conf.seed)
            self.build(shape)

    def _segments(self) -> list[tuple[DL4JLayer, Any]]:
        self._require_init("params")
        return [(layer, param) for layer in self.dl4j_layers for param in layer.present_params()]

    def _require_init(self, method: str) -> None:
        if not self.built:
            raise ValueError(f"MultiLayerNetwork.{method}(): call init() first.")

    def params(self) -> np.ndarray:
        """Every parameter as one ``[1, n]`` row vector, in DL4J's order and layouts."""
        parts = [layer.getParam(param.key).ravel(order=param.order) for layer, param in self._segments()]
        return np.concatenate(parts)[None, :] if parts else np.zeros((1, 0), "float32")

    def numParams(self) -> int:
        return self.params().size

    def setParams(self, vector: Any) -> None:
        """Set every parameter from DL4J's flattened vector (``coefficients.bin``'s)."""
        flat = np.asarray(vector, dtype="float32").ravel()
        segments = self._segments()
        shapes = [layer.getParam(param.key).shape for layer, param in segments]
        total = sum(int(np.prod(shape)) for shape in shapes)
        if flat.size != total:
            raise ValueError(f"MultiLayerNetwork.setParams: the network has {total} parameters; received a vector of {flat.size}.")
        offset = 0
        for (layer, param), shape in zip(segments, shapes):
            size = int(np.prod(shape))
            layer.setParam(param.key, flat[offset: offset + size].reshape(shape, order=param.order))
            offset += size

    # -- running, scoring, training --------------------------------------------------------------
    def output(self, x: Any) -> np.ndarray:
        """The network's output for ``x`` (NumPy, in the network's data format), in inference mode."""
        x = np.asarray(x)
        self.init(None if self.conf.input_type is not None else (None,) + x.shape[1:])
        return self.predict(x, batch_size=max(len(x), 1), verbose=0)

    def _score_layer(self, method: str) -> _Scored:
        last = self.dl4j_layers[-1]
        if not isinstance(last, _Scored):
            raise ValueError(f"MultiLayerNetwork.{method}(): the last layer ({type(last).__name__}) is not an output or loss layer.")
        return last

    def _regularization_score(self) -> torch.Tensor:
        terms = [term for layer in self.layers for term in layer.losses]
        return sum(terms, torch.zeros(()))

    def computeGradientAndScore(self, x: Any, labels: Any) -> None:
        """DL4J's score of ``(x, labels)`` and its gradient, for :meth:`score` and :meth:`gradient`."""
        scorer = self._score_layer("computeGradientAndScore")
        inputs = torch.as_tensor(np.asarray(x, dtype="float32"))
        self.init(None if self.conf.input_type is not None else (None,) + tuple(inputs.shape[1:]))
        self.zero_grad(set_to_none=True)
        examples = scorer.score_examples(torch.as_tensor(np.asarray(labels, dtype="float32")), self(inputs))
        examples.sum().backward()
        regularization = self._regularization_score()
        self._score = float(examples.detach().mean() + regularization.detach())
        grads = []
        for layer, param in self._segments():
            weight = next(w for w, t in layer._parameters_in_order() if w.name == param.core_name)
            tensor = layer._parameters[param.core_name]
            grads.append(arrays.to_numpy(weight.layout.to_keras(tensor.grad)).ravel(order=param.order))
        self._gradient = np.concatenate(grads)[None, :]

    def gradient(self) -> np.ndarray:
        """The flattened gradient of the last :meth:`computeGradientAndScore` (DL4J's order)."""
        if self._gradient is None:
            raise ValueError("MultiLayerNetwork.gradient(): call computeGradientAndScore(x, labels) first.")
        return self._gradient

    def score(self) -> float:
        """The score of the last :meth:`computeGradientAndScore` (or the last ``fit`` batch)."""
        if self._score is None:
            raise ValueError("MultiLayerNetwork.score(): call computeGradientAndScore(x, labels) or fit first.")
        return self._score

    def fit(self, x: Any = None, labels: Any = None, epochs: int = 1, batch_size: int | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Train on ``(x, labels)`` for ``epochs`` (DL4J's ``fit(features, labels)``: the whole array one minibatch
        unless ``batch_size``), with the configuration's updater; the score is DL4J's (batch mean)."""
        scorer = self._score_layer("fit")
        x = np.asarray(x, dtype="float32")
        self.init(None if self.conf.input_type is not None else (None,) + x.shape[1:])
        if not self.compiled:
            self.compile(self.conf.updater.optimizer(), DL4JScore(scorer))
        history = super().fit(x, np.asarray(labels, dtype="float32"), batch_size=batch_size or len(x), epochs=epochs,
                              verbose=0, shuffle=False, **kwargs)
        self._score = history.history["loss"][-1]
        return history


class DL4JScore(Loss):
    """The core training loop's loss for a DL4J network: the batch mean of the output layer's example scores."""

    def __init__(self, scorer: _Scored) -> None:
        super().__init__(scorer.score_examples, "dl4j_score")

    def __call__(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return self.fn(y_true, y_pred).mean()
