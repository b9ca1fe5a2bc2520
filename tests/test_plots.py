"""Plots: valid PNGs with the expected panels and tiles, and clear errors for bad input."""

import matplotlib.image
import numpy as np
import pytest

from convlayers import Conv1D, Conv2D, Conv3D, MaxPooling2D
from convlayers.plots import plot_history, plot_kernels

HISTORY = {
    "loss": [1.2, 0.6, 0.4],
    "accuracy": [0.6, 0.8, 0.9],
    "val_loss": [1.3, 0.7, 0.5],
    "val_accuracy": [0.55, 0.75, 0.85],
}


def read_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas
    return image


class FakeHistory:
    history = HISTORY


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions draw, captured as they are saved."""
    import convlayers.plots as plots

    captured = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (captured.append(figure), save(figure, path))[1])
    return captured


def test_plot_history_writes_a_png_one_panel_per_metric(tmp_path):
    path = plot_history(FakeHistory(), tmp_path / "history.png")
    assert path == tmp_path / "history.png"
    two_metrics = read_png(path)
    one_metric = read_png(plot_history({"loss": [1.0, 0.5]}, tmp_path / "loss.png"))
    assert two_metrics.shape[1] == 2 * one_metric.shape[1]  # panels of equal width, side by side


def test_plot_history_panels_titles_labels_and_legends(tmp_path, figures):
    plot_history(HISTORY, tmp_path / "h.png", title="Digits")
    (figure,) = figures
    assert figure.get_suptitle() == "Digits"
    panels = figure.axes
    assert [axes.get_title() for axes in panels] == ["loss", "accuracy"]
    for axes, name in zip(panels, ["loss", "accuracy"]):
        assert axes.get_xlabel() == "epoch" and axes.get_ylabel() == name
        assert [text.get_text() for text in axes.get_legend().get_texts()] == ["training", "validation"]
        training, validation = axes.get_lines()
        assert list(training.get_xdata()) == [1, 2, 3]
        assert list(training.get_ydata()) == HISTORY[name]
        assert list(validation.get_ydata()) == HISTORY["val_" + name]


def test_plot_history_puts_loss_first_and_draws_validation_only_curves(tmp_path, figures):
    plot_history({"accuracy": [0.5, 0.7], "val_loss": [0.9, 0.8]}, tmp_path / "h.png")
    loss, accuracy = figures[0].axes
    assert (loss.get_title(), accuracy.get_title()) == ("loss", "accuracy")
    assert [line.get_label() for line in loss.get_lines()] == ["validation"]


@pytest.mark.parametrize(
    "history, error, message",
    [
        ({}, TypeError, r"plot_history expects a History or a non-empty dict of metric name -> per-epoch values\. Received dict: \{\}\."),
        ([1, 2], TypeError, r"plot_history expects a History .* Received list: \[1, 2\]\."),
        ({"loss": []}, ValueError, r"plot_history: metric 'loss' must be a non-empty list of per-epoch values\. Received \[\]\."),
    ],
)
def test_plot_history_rejects_bad_histories(tmp_path, history, error, message):
    with pytest.raises(error, match=message):
        plot_history(history, tmp_path / "h.png")


def test_plot_history_into_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Cannot write the plot to '.*nowhere/h.png': the directory '.*nowhere' does not exist\."):
        plot_history(HISTORY, tmp_path / "nowhere" / "h.png")


def _tiles(figure):
    return [axes for axes in figure.axes if axes.images and axes.get_title()]


def test_plot_kernels_one_channel_tiles_every_filter(tmp_path, figures):
    layer = Conv2D(10, 3, name="first")
    layer.build((None, 8, 8, 1))
    read_png(plot_kernels(layer, tmp_path / "k.png"))
    (figure,) = figures
    tiles = _tiles(figure)
    kernel = layer.get_weights()[0]
    assert [axes.get_title() for axes in tiles] == [f"filter {f}" for f in range(10)]
    for f, axes in enumerate(tiles):
        (image,) = axes.images
        np.testing.assert_array_equal(image.get_array(), kernel[:, :, 0, f])
        # one colour scale for all tiles, symmetric about zero
        assert image.get_clim() == (-np.abs(kernel).max(), np.abs(kernel).max())
    assert figure.get_suptitle() == "Conv2D 'first': 10 kernels of 3x3, 1 input channel"


def test_plot_kernels_several_channels_one_row_each_and_caps(tmp_path, figures):
    layer = Conv2D(5, 2, name="wide")
    layer.build((None, 8, 8, 4))
    read_png(plot_kernels(layer, tmp_path / "k.png", max_filters=3, max_channels=2))
    (figure,) = figures
    titles = [axes.get_title() for axes in _tiles(figure)]
    assert titles == [f"f{f} / in {c}" for c in range(2) for f in range(3)]
    assert figure.get_suptitle() == "Conv2D 'wide': 5 kernels of 2x2, 4 input channels\n(showing 3 filters x 2 channels)"


def test_plot_kernels_of_a_model_draws_its_first_conv_layer(tmp_path, figures):
    pool, first, second = MaxPooling2D(2), Conv2D(2, 3, name="one"), Conv2D(3, 3, name="two")
    first.build((None, 8, 8, 1))
    second.build((None, 6, 6, 2))

    class Model:
        layers = [pool, first, second]

    plot_kernels(Model(), tmp_path / "k.png")
    assert figures[0].get_suptitle().startswith("Conv2D 'one': 2 kernels")


def test_plot_kernels_draws_1d_kernels_as_strips(tmp_path, figures):
    layer = Conv1D(2, 5)
    layer.build((None, 10, 1))
    read_png(plot_kernels(layer, tmp_path / "k.png"))
    (image,) = _tiles(figures[0])[0].images
    assert image.get_array().shape == (1, 5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Conv2D(2, 3), r"plot_kernels needs a built 1-D or 2-D convolution layer, or a model containing one\. Received Conv2D with layers \['Conv2D'\]\."),
        (lambda: _built(Conv3D(2, 2), (None, 4, 4, 4, 1)), r"Received Conv3D with layers \['Conv3D'\]"),
        (lambda: MaxPooling2D(2), r"Received MaxPooling2D with layers \['MaxPooling2D'\]"),
    ],
)
def test_plot_kernels_rejects_layers_without_2d_kernels(tmp_path, make, message):
    with pytest.raises(ValueError, match=message):
        plot_kernels(make(), tmp_path / "k.png")


@pytest.mark.parametrize("argument", ["max_filters", "max_channels"])
@pytest.mark.parametrize("value", [0, 2.5, True])
def test_plot_kernels_rejects_bad_caps(tmp_path, argument, value):
    layer = _built(Conv2D(2, 3), (None, 5, 5, 1))
    with pytest.raises(ValueError, match=rf"plot_kernels: `{argument}` must be a positive int\. Received {argument}={value!r}\."):
        plot_kernels(layer, tmp_path / "k.png", **{argument: value})


def _built(layer, shape):
    layer.build(shape)
    return layer
