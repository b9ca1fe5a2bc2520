"""Keras's ``PyDataset`` (``Sequence``) as a data source for fit/evaluate/predict.

Expected call orders are Keras 3.15's own (a PyDataset logging its calls, run there), less
the JAX backend's extra first read of batch 0 to learn the specs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import convlayers
from convlayers.utils import PyDataset, Sequence


class Logged(PyDataset):
    """``n`` batches of two samples whose inputs are the batch index; records every call."""

    def __init__(self, n, y=True, **kwargs):
        super().__init__(**kwargs)
        self.n, self.y, self.calls = n, y, []

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        self.calls.append(index)
        x = np.full((2, 3), index, "float32")
        return (x, np.zeros((2, 1), "float32")) if self.y else x

    def on_epoch_begin(self):
        self.calls.append("begin")

    def on_epoch_end(self):
        self.calls.append("end")


def _model():
    model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_sequence_is_pydataset():
    assert Sequence is PyDataset


def test_fit_reads_every_batch_each_epoch_between_the_hooks():
    data, validation = Logged(3), Logged(2)
    history = _model().fit(data, epochs=2, verbose=0, validation_data=validation, shuffle=False)
    assert data.calls == ["begin", 0, 1, 2, "end"] * 2
    assert validation.calls == ["begin", 0, 1, "end"] * 2
    assert len(history.history["val_loss"]) == 2


def test_fit_shuffles_the_batch_order_each_epoch_with_torch_rng():
    data = Logged(6)
    torch.manual_seed(0)
    _model().fit(data, epochs=2, verbose=0)  # shuffle=True, fit's default
    first, second = data.calls[1:7], data.calls[9:15]
    assert sorted(first) == sorted(second) == list(range(6))
    torch.manual_seed(0)
    model = _model()
    expected = torch.randperm(6).tolist()
    assert first == expected


def test_evaluate_and_predict_read_each_batch_once():
    data = Logged(3)
    model = _model()
    model.evaluate(data, verbose=0)
    assert data.calls == ["begin", 0, 1, 2, "end"]
    inputs = Logged(3, y=False)
    predictions = model.predict(inputs, verbose=0)
    assert inputs.calls == ["begin", 0, 1, 2, "end"] and predictions.shape == (6, 1)


def test_steps_per_epoch_continues_and_warns_when_data_runs_out():
    data = Logged(3)
    with pytest.warns(UserWarning, match="ran out of data"):
        _model().fit(data, epochs=2, steps_per_epoch=2, verbose=0, shuffle=False)
    assert data.calls == ["begin", 0, 1, "end", "begin", 2, "end"]  # Keras's order


def test_training_matches_the_same_batches_as_arrays():
    data = Logged(3)
    torch.manual_seed(1)
    model = _model()
    start = model.get_weights()
    model.fit(data, epochs=1, verbose=0, shuffle=False)
    other = _model()
    other.set_weights(start)
    x = np.concatenate([np.full((2, 3), i, "float32") for i in range(3)])
    other.fit(x, np.zeros((6, 1), "float32"), batch_size=2, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_class_weight_is_applied_per_batch():
    class Labels(PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return np.ones((2, 3), "float32"), np.array([[0.0], [1.0]], "float32")

    torch.manual_seed(0)
    weighted = _model()
    start = weighted.get_weights()
    weighted.fit(Labels(), class_weight={0: 1.0, 1: 3.0}, verbose=0, shuffle=False)
    plain = _model()
    plain.set_weights(start)
    plain.fit(np.ones((2, 3), "float32"), np.array([[0.0], [1.0]], "float32"), sample_weight=np.array([1.0, 3.0]),
              verbose=0, shuffle=False)
    np.testing.assert_allclose(weighted.get_weights()[0], plain.get_weights()[0], rtol=1e-6)


@pytest.mark.parametrize("argument", ["y", "sample_weight"])
def test_targets_and_weights_outside_the_dataset_are_refused(argument):
    with pytest.raises(ValueError, match=f"when providing `x` as a PyDataset, `{argument}` should not be passed"):
        _model().fit(Logged(1), **{argument: np.zeros((2, 1))}, verbose=0)


def test_batch_size_is_refused():
    with pytest.raises(ValueError, match=r"`batch_size` must be None when `x` is a PyDataset.*batch_size=4"):
        _model().fit(Logged(1), batch_size=4, verbose=0)


def test_bad_batches_are_refused_naming_the_format():
    class Bad(PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return (1, 2, 3, 4)

    with pytest.raises(ValueError, match=r"PyDataset.__getitem__\(\) must return a tuple or a dict"):
        _model().fit(Bad(), verbose=0)


def test_infinite_dataset_needs_steps_and_warns_on_shuffle():
    class Endless(PyDataset):
        num_batches = None

        def __getitem__(self, index):
            return np.ones((2, 3), "float32"), np.zeros((2, 1), "float32")

    with pytest.warns(UserWarning, match="infinite PyDataset"):
        history = _model().fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_settings_are_kept_and_missing_super_init_warns():
    data = Logged(1, workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)

    class NoSuper(PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return np.ones((2, 3), "float32"), np.zeros((2, 1), "float32")

    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        assert NoSuper().workers == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Logged(1).workers


def test_missing_len_and_getitem_are_explained():
    with pytest.raises(NotImplementedError, match="must implement `__len__`"):
        PyDataset().num_batches
    with pytest.raises(NotImplementedError, match="must implement `__getitem__"):
        PyDataset()[0]
