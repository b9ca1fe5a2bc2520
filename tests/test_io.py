"""Model and weight files: bit-exact round trips, atomic saves, and every kind of bad file."""

import errno
import json
import os
import re
import signal
import struct
import subprocess
import sys

import numpy as np
import pytest
import safetensors.torch
import torch

import convlayers
from convlayers import Conv1D, Conv2D, Conv3D
from convlayers.io import ModelFileError, load_model, load_weights, save_model, save_weights
from convlayers.io import container


def built(layer, input_shape):
    layer.build(input_shape)
    with torch.no_grad():  # non-zero biases, so a lost bias shows
        for parameter in layer.parameters():
            parameter.add_(torch.randn_like(parameter))
    return layer


class WithBuffer(torch.nn.Module):
    """A stand-in model holding a layer and a buffer, as a model with BatchNormalization does."""

    built = True

    def __init__(self, filters=3):
        super().__init__()
        self.conv = built(Conv2D(filters, 2), (None, 5, 5, 1))
        self.register_buffer("moving_mean", torch.randn(filters))

    def get_config(self):
        return {"filters": self.conv.filters}


def snapshot(model):
    return {name: value.clone() for name, value in model.state_dict().items()}


def assert_state_equal(model, expected):
    state = model.state_dict()
    assert state.keys() == expected.keys()
    for name, value in expected.items():
        assert torch.equal(state[name], value), name


# -- round trips -----------------------------------------------------------------------------

LAYERS = [
    (lambda: Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"), (None, 12, 2)),
    (lambda: Conv2D(6, (3, 2), strides=2, padding=((1, 0), (2, 1)), groups=2, use_bias=True), (None, 9, 9, 4)),
    (lambda: Conv2D(3, 3, padding="same", data_format="channels_first", use_bias=False, dtype="float64"), (None, 2, 7, 7)),
    (lambda: Conv3D(2, 2, kernel_regularizer="l2"), (None, 4, 4, 4, 1)),
]


@pytest.mark.parametrize("make, input_shape", LAYERS)
def test_model_round_trip_is_bit_exact(tmp_path, make, input_shape):
    layer = built(make(), input_shape)
    path = save_model(layer, tmp_path / "model.safetensors")
    loaded = load_model(path)
    assert type(loaded) is type(layer)
    assert loaded.get_config() == layer.get_config()
    assert_state_equal(loaded, layer.state_dict())
    for a, b in zip(loaded.get_weights(), layer.get_weights()):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    x = np.random.default_rng(0).standard_normal((3,) + input_shape[1:]).astype(np.float32)
    assert np.array_equal(loaded(x), layer(x))


def trained_sequential():
    """A Sequential with every kind of state: kernels, biases, BatchNormalization's moving statistics."""
    from convlayers.models import Sequential

    model = Sequential(
        [
            convlayers.Input((6, 6, 2)),
            Conv2D(4, 3, padding="same", activation="relu"),
            convlayers.SeparableConv2D(4, 3, depth_multiplier=2),
            convlayers.BatchNormalization(),
            convlayers.MaxPooling2D(2),
            convlayers.Flatten(),
            convlayers.Dropout(0.5),
            convlayers.Dense(3, activation="softmax"),
        ],
        name="round_trip",
    )
    rng = np.random.default_rng(0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(rng.random((16, 6, 6, 2), dtype=np.float32), rng.integers(0, 3, 16), epochs=1, verbose=0)
    return model


def test_sequential_round_trip_keeps_config_weights_buffers_and_predictions(tmp_path):
    model = trained_sequential()
    moving_mean = model.layers[2].get_weights()[2]
    assert not np.array_equal(moving_mean, np.zeros_like(moving_mean))  # training moved the statistics
    model.save(tmp_path / "model.safetensors")
    loaded = convlayers.load_model(tmp_path / "model.safetensors")
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    assert_state_equal(loaded, model.state_dict())
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        assert np.array_equal(a, b)
    x = np.random.default_rng(1).random((8, 6, 6, 2), dtype=np.float32)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_sequential_weights_methods_round_trip_and_refuse_other_architectures(tmp_path):
    model, twin = trained_sequential(), trained_sequential()
    model.save_weights(tmp_path / "w.safetensors")
    twin.load_weights(tmp_path / "w.safetensors")
    assert_state_equal(twin, model.state_dict())
    other = built(Conv2D(2, 3), (None, 6, 6, 2))
    save_weights(other, tmp_path / "other.safetensors")
    before = snapshot(twin)
    with pytest.raises(ModelFileError, match=r"missing tensors \['0.bias', '0.kernel', '1.bias', '1.depthwise_kernel', '1.pointwise_kernel'\] and \d+ more; unexpected tensors \['bias', 'kernel'\]"):
        twin.load_weights(tmp_path / "other.safetensors")
    assert_state_equal(twin, before)


def test_load_model_is_exported_at_top_level(tmp_path):
    layer = built(Conv1D(2, 2), (None, 5, 1))
    assert convlayers.load_model(save_model(layer, tmp_path / "m.safetensors")).get_config() == layer.get_config()


def test_weights_round_trip_includes_buffers(tmp_path):
    model, twin = WithBuffer(), WithBuffer()
    assert not torch.equal(model.moving_mean, twin.moving_mean)
    save_weights(model, tmp_path / "w.safetensors")
    load_weights(twin, tmp_path / "w.safetensors")
    assert_state_equal(twin, model.state_dict())


def test_load_weights_accepts_a_model_file(tmp_path):
    layer, twin = built(Conv1D(2, 3), (None, 6, 2)), built(Conv1D(2, 3), (None, 6, 2))
    save_model(layer, tmp_path / "m.safetensors")
    load_weights(twin, tmp_path / "m.safetensors")
    assert_state_equal(twin, layer.state_dict())


def test_saved_file_is_plain_safetensors_with_json_config(tmp_path):
    layer = built(Conv2D(2, 3), (None, 5, 5, 1))
    path = save_model(layer, tmp_path / "m.safetensors")
    with safetensors.safe_open(path, framework="pt") as handle:
        metadata = handle.metadata()
        assert sorted(handle.keys()) == ["bias", "kernel"]
    assert metadata["format"] == "convlayers" and metadata["format_version"] == "1"
    assert metadata["contents"] == "model"
    architecture = json.loads(metadata["model"])
    assert architecture["class_name"] == "Conv2D"
    assert architecture["build_config"] == {"input_shape": [None, 5, 5, 1]}
    assert architecture["config"]["filters"] == 2


# -- atomic saves ------------------------------------------------------------------------------


def test_save_leaves_no_temporary_files(tmp_path):
    layer = built(Conv1D(2, 2), (None, 5, 1))
    save_model(layer, tmp_path / "m.safetensors")
    save_model(layer, tmp_path / "m.safetensors")  # overwrite
    save_weights(layer, tmp_path / "w.safetensors")
    assert sorted(os.listdir(tmp_path)) == ["m.safetensors", "w.safetensors"]


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    old = built(Conv1D(2, 2), (None, 5, 1))
    save_model(old, path)
    before = path.read_bytes()

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(container.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_model(built(Conv1D(3, 2), (None, 5, 1)), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_save_into_a_missing_directory_says_so(tmp_path):
    layer = built(Conv1D(2, 2), (None, 5, 1))
    with pytest.raises(FileNotFoundError, match=r"Cannot save to '.*nowhere/m.safetensors': the directory '.*nowhere' does not exist"):
        save_model(layer, tmp_path / "nowhere" / "m.safetensors")


def test_save_rejects_unbuilt_models_and_non_models(tmp_path):
    with pytest.raises(ValueError, match=r"Cannot save Conv2D 'lazy': it is not built yet, so it has no weights"):
        save_model(Conv2D(2, 3, name="lazy"), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match=r"Cannot save the weights of 'abc': expected a convlayers model or layer .* received str"):
        save_weights("abc", tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match=r"`path` must be a str or os.PathLike. Received path=3 of type int"):
        save_model(built(Conv1D(2, 2), (None, 5, 1)), 3)


def test_save_rejects_a_config_that_is_not_json(tmp_path):
    model = WithBuffer()
    model.get_config = lambda: {"activation": object()}
    with pytest.raises(TypeError, match=r"Cannot save WithBuffer '': its config is not JSON-serializable"):
        save_model(model, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


# -- bad files: each gives a clear error naming the file and leaves the model as it was ---------


def _valid_bytes(tmp_path):
    return save_weights(WithBuffer(), tmp_path / "valid.safetensors").read_bytes()


def _file_with(tmp_path, tensors, **header):
    header.setdefault("contents", "weights")
    return container.write_file(tmp_path / "crafted.safetensors", tensors, header).read_bytes()


def _good_tensors():
    return {name: value.clone() for name, value in WithBuffer().state_dict().items()}


def _with(tensors, **changes):
    tensors.update(changes)
    return {name: value for name, value in tensors.items() if value is not None}


BAD_FILES = {
    "empty": (lambda tmp: b"", r"the file is empty \(0 bytes\)"),
    "too short": (lambda tmp: b"\x01\x02\x03", r"it is not a safetensors file, or it is truncated: 3 bytes is too short"),
    "truncated header": (lambda tmp: _valid_bytes(tmp)[:40], r"it is not a safetensors file, or it is truncated: the header claims \d+ bytes but only 32 follow\.$"),
    "truncated data": (lambda tmp: _valid_bytes(tmp)[:-7], r"the tensor data is corrupt or truncated"),
    "random bytes": (lambda tmp: np.random.default_rng(0).bytes(4096), r"it is not a safetensors file, or it is truncated: the header claims \d+ bytes but only 4088 follow\.$"),
    "header not json": (lambda tmp: struct.pack("<Q", 4) + b"\xff{x}", r"it is not a safetensors file, or it is truncated: its header is not valid JSON \('utf-8' codec can't decode"),
    "foreign safetensors": (
        lambda tmp: safetensors.torch.save(_good_tensors(), {"source": "elsewhere"}),
        r"it is a safetensors file but was not written by convlayers \(its metadata has format=None, expected 'convlayers'\)",
    ),
    "newer version": (
        lambda tmp: safetensors.torch.save(_good_tensors(), {"format": "convlayers", "format_version": "7", "contents": "weights"}),
        r"it has format_version='7'; this convlayers reads versions up to 1",
    ),
    "unknown contents": (lambda tmp: _file_with(tmp, _good_tensors(), contents="pictures"), r"its metadata has contents='pictures', expected one of \['model', 'weights'\]"),
    "other architecture": (
        lambda tmp: save_weights(WithBuffer(filters=5), tmp / "other.safetensors").read_bytes(),
        r"the file does not match the model's architecture: tensors with the wrong shape: (?=.*'conv.kernel' is \(5, 1, 2, 2\) in the file but \(3, 1, 2, 2\) in the model)(?=.*'conv.bias' is \(5,\) in the file but \(3,\) in the model)(?=.*'moving_mean' is \(5,\) in the file but \(3,\) in the model)",
    ),
    "wrong shape": (
        lambda tmp: _file_with(tmp, _with(_good_tensors(), moving_mean=torch.zeros(4))),
        r"the file does not match the model's architecture: tensors with the wrong shape: 'moving_mean' is \(4,\) in the file but \(3,\) in the model\.$",
    ),
    "missing tensor": (
        lambda tmp: _file_with(tmp, _with(_good_tensors(), moving_mean=None)),
        r"the file does not match the model's architecture: missing tensors \['moving_mean'\]\.$",
    ),
    "extra tensor": (
        lambda tmp: _file_with(tmp, _with(_good_tensors(), moving_var=torch.ones(3))),
        r"the file does not match the model's architecture: unexpected tensors \['moving_var'\]\.$",
    ),
    "wrong dtype": (
        lambda tmp: _file_with(tmp, _with(_good_tensors(), moving_mean=torch.zeros(3, dtype=torch.float64))),
        r"the file does not match the model's architecture: tensors with the wrong dtype: 'moving_mean' is torch.float64 in the file but torch.float32 in the model\.$",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_weights_file_raises_and_leaves_the_model_unchanged(tmp_path, case):
    make_bytes, message = BAD_FILES[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(make_bytes(tmp_path))
    model = WithBuffer()
    before = snapshot(model)
    with pytest.raises(ModelFileError, match=r"^Cannot load weights from '.*bad.safetensors': " + message) as error:
        load_weights(model, path)
    assert error.value.path == path
    assert_state_equal(model, before)


@pytest.mark.parametrize("case", ["empty", "truncated data", "random bytes", "foreign safetensors", "newer version"])
def test_bad_model_file_raises(tmp_path, case):
    make_bytes, message = BAD_FILES[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(make_bytes(tmp_path))
    with pytest.raises(ModelFileError, match=r"^Cannot load a model from '.*bad.safetensors': " + message):
        load_model(path)


def test_the_error_survives_pickling(tmp_path):
    import pickle

    error = ModelFileError(tmp_path / "m.safetensors", "a model", "the file is empty (0 bytes).")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.path == error.path


def test_missing_file(tmp_path):
    model = WithBuffer()
    before = snapshot(model)
    with pytest.raises(FileNotFoundError, match=r"Cannot load weights from '.*absent.safetensors': no such file\."):
        load_weights(model, tmp_path / "absent.safetensors")
    assert_state_equal(model, before)
    with pytest.raises(FileNotFoundError, match=r"Cannot load a model from '.*absent.safetensors': no such file\."):
        load_model(tmp_path / "absent.safetensors")


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"Cannot load a model from '.*': it is a directory, not a file\."):
        load_model(tmp_path)


def test_load_model_of_a_weights_file_says_to_use_load_weights(tmp_path):
    path = save_weights(built(Conv1D(2, 2), (None, 5, 1)), tmp_path / "w.safetensors")
    with pytest.raises(ModelFileError, match=r"it holds weights only, with no architecture\. Build the model in code, then call `model.load_weights\(path\)`"):
        load_model(path)


def test_model_file_whose_config_is_for_another_architecture(tmp_path):
    small, large = built(Conv2D(4, 3), (None, 6, 6, 1)), built(Conv2D(8, 3), (None, 6, 6, 1))
    architecture = {"class_name": "Conv2D", "config": large.get_config(), "build_config": {"input_shape": [None, 6, 6, 1]}}
    path = container.write_file(tmp_path / "m.safetensors", small.state_dict(), {"contents": "model", "model": architecture})
    with pytest.raises(ModelFileError, match=r"tensors with the wrong shape: .*'kernel' is \(4, 1, 3, 3\) in the file but \(8, 1, 3, 3\) in the model"):
        load_model(path)
    # ... and a built model of the saved architecture refuses the other one's weights, unchanged.
    before = snapshot(large)
    with pytest.raises(ModelFileError, match=r"does not match the model's architecture"):
        load_weights(large, save_model(small, tmp_path / "small.safetensors"))
    assert_state_equal(large, before)


@pytest.mark.parametrize(
    "architecture, message",
    [
        ({"config": {}}, r"its architecture has no `class_name`\."),
        ({"class_name": "Conv2D", "config": {"filters": 0, "kernel_size": 3}}, r"its architecture does not build a Conv2D: .*filters"),
        ({"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3}, "build_config": {"input_shape": [None, 2, 2, 1]}}, r"its architecture does not build a Conv2D: .*the window does not fit"),
        ({"class_name": "Conv9D", "config": {}}, r"its architecture does not build a Conv9D: Unknown layer class 'Conv9D'"),
    ],
)
def test_model_file_with_a_broken_architecture(tmp_path, architecture, message):
    path = container.write_file(tmp_path / "m.safetensors", {}, {"contents": "model", "model": architecture})
    with pytest.raises(ModelFileError, match=r"^Cannot load a model from '.*m.safetensors': " + message):
        load_model(path)


# -- saving: the target, its errors, and nothing left behind ------------------------------------------
def test_save_to_a_directory_is_refused_naming_it(tmp_path):
    layer = built(Conv1D(2, 2), (None, 5, 1))
    (tmp_path / "models").mkdir()
    for target in (f"{tmp_path}/models", f"{tmp_path}/models/", f"{tmp_path}/new/"):
        with pytest.raises(IsADirectoryError, match=re.escape(f"Cannot save to '{target}': it names a directory. Give a file path, such as")):
            save_model(layer, target)
    assert sorted(os.listdir(tmp_path)) == ["models"] and os.listdir(tmp_path / "models") == []


def test_save_errors_name_the_target_not_a_temporary_file(tmp_path):
    layer = built(Conv1D(2, 2), (None, 5, 1))
    long_name = "m" * 243 + ".safetensors"  # 255 bytes, a legal name: its temporary name must be legal too
    save_model(layer, tmp_path / long_name)
    assert os.listdir(tmp_path) == [long_name]
    too_long = tmp_path / ("m" * 300 + ".safetensors")
    with pytest.raises(OSError, match=re.escape(f"Cannot save to '{too_long}': File name too long")) as error:
        save_model(layer, too_long)
    assert error.value.errno == errno.ENAMETOOLONG and ".tmp" not in str(error.value)
    assert os.listdir(tmp_path) == [long_name]


KILLED_SAVE = """
import os, sys, time
import convlayers

if sys.argv[2] == "named":  # as on a file system without O_TMPFILE
    from convlayers.io import atomic

    atomic._write_unnamed = lambda target, data: False

def stall(descriptor):  # the bytes are written, not yet named: be killed here
    print("writing", flush=True)
    time.sleep(60)

os.fsync = stall
layer = convlayers.Dense(64)
layer.build((None, 64))
convlayers.io.save_model(layer, sys.argv[1])
"""


@pytest.mark.parametrize("temporary", ["unnamed", "named"])
def test_a_killed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, temporary):
    path = tmp_path / "m.safetensors"
    save_model(built(Conv1D(2, 2), (None, 5, 1)), path)
    before = path.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path), temporary], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "writing\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert path.read_bytes() == before
    if temporary == "named":  # the dead writer's file is there until the next save in the folder
        assert len(os.listdir(tmp_path)) == 2
        save_weights(built(Conv1D(2, 2), (None, 5, 1)), tmp_path / "w.safetensors")
        save_model(built(Conv1D(2, 2), (None, 5, 1)), path)
    assert sorted(os.listdir(tmp_path)) == ["m.safetensors"] + (["w.safetensors"] if temporary == "named" else [])
