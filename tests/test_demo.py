"""The main job: the demo trains, plots, saves, reloads and checks; fast smoke runs and the full claim."""

import matplotlib.image
import numpy as np
import pytest
import torch

import convlayers
from convlayers import cli, demo


def test_digit_split_is_stratified_scaled_and_disjoint():
    x_train, y_train, x_test, y_test = demo.load_digit_split(seed=0)
    assert x_train.shape == (1437, 8, 8, 1) and x_test.shape == (360, 8, 8, 1)
    assert x_train.dtype == np.float32 and 0.0 == x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_test).min() >= 35 and np.bincount(y_test).max() <= 37  # every digit about 1/10
    train_rows = {row.tobytes() for row in x_train}
    assert sum(row.tobytes() in train_rows for row in x_test) < 5  # (the data set has a few duplicate images)


def test_model_uses_conv_separable_conv_and_pooling():
    kinds = [type(layer).__name__ for layer in demo.build_model().layers]
    assert {"Conv2D", "SeparableConv2D", "MaxPooling2D"} <= set(kinds)
    assert kinds[-1] == "Dense"


def test_smoke_run_writes_the_files_and_passes_the_reload_check(tmp_path):
    lines = []
    out = tmp_path / "new" / "folder"  # created by the demo
    result = demo.run_demo(epochs=2, out=out, verbose=0, print_fn=lines.append)
    assert result.reload_identical
    assert (result.model_file, result.history_plot, result.kernel_plot) == (
        out / "digits_cnn.safetensors",
        out / "history.png",
        out / "kernels.png",
    )
    for png in (result.history_plot, result.kernel_plot):
        assert matplotlib.image.imread(png).shape[0] > 100
    reloaded = convlayers.load_model(result.model_file)
    assert [type(layer) for layer in reloaded.layers] == [type(layer) for layer in demo.build_model().layers]
    assert sorted(result.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 2 for values in result.history.values())
    text = "\n".join(lines)
    assert 'Model: "digits_cnn"' in text
    assert f"Held-out accuracy: {result.test_accuracy:.2%} on 360 digits" in text
    assert "Reload check (load_model, predict 360 digits): PASSED: predictions are identical" in lines[-1]


def test_same_seed_same_run(tmp_path):
    quiet = dict(epochs=1, verbose=0, print_fn=lambda line: None)
    first = demo.run_demo(out=tmp_path / "a", seed=3, **quiet)
    second = demo.run_demo(out=tmp_path / "b", seed=3, **quiet)
    assert first.history == second.history and first.test_accuracy == second.test_accuracy
    weights = [convlayers.load_model(run.model_file).get_weights() for run in (first, second)]
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


def test_threads_are_restored(tmp_path):
    before = torch.get_num_threads()
    demo.run_demo(epochs=1, out=tmp_path, threads=1, verbose=0, print_fn=lambda line: None)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("argument, value", [("epochs", 0), ("epochs", 2.0), ("threads", 0), ("threads", True)])
def test_run_demo_rejects_bad_counts(tmp_path, argument, value):
    with pytest.raises(ValueError, match=rf"run_demo: `{argument}` must be a positive int\. Received {argument}={value!r}\."):
        demo.run_demo(out=tmp_path, **{argument: value})


def test_cli_demo_shows_summary_and_progress_and_exits_zero(tmp_path, capsys):
    assert cli.main(["demo", "--epochs", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'Model: "digits_cnn"' in out
    assert "41/41" in out  # the progress bar reached the last of 41 steps
    assert "PASSED: predictions are identical" in out


def test_cli_demo_exits_one_when_the_reloaded_model_differs(tmp_path, capsys, monkeypatch):
    def load_and_perturb(path):
        model = convlayers.load_model(path)
        with torch.no_grad():
            model.layers[-1].bias.add_(1e-3)
        return model

    monkeypatch.setattr(demo, "load_model", load_and_perturb)
    assert cli.main(["demo", "--epochs", "1", "--out", str(tmp_path)]) == 1
    assert "Reload check (load_model, predict 360 digits): FAILED: predictions differ" in capsys.readouterr().out


def test_full_demo_reaches_the_target_accuracy_in_under_a_minute(tmp_path):
    result = demo.run_demo(out=tmp_path, verbose=0, print_fn=lambda line: None)
    assert result.test_accuracy >= demo.TARGET_ACCURACY == 0.97
    assert result.total_seconds < 60
    assert result.reload_identical
