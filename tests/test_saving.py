"""Keras's ``keras.saving``/``keras.models`` spellings: load_model(compile=, custom_objects=), save_model(overwrite=)."""

import numpy as np
import pytest

import convlayers as keras


def _compiled_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="m")
    model.compile("adam", "mse", metrics=["mae"])
    return model


def test_keras_models_and_saving_spell_the_same_functions():
    assert keras.models.load_model is keras.saving.load_model
    assert keras.models.save_model is keras.saving.save_model
    with pytest.raises(AttributeError, match="no attribute 'lode_model'"):
        keras.models.lode_model


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".safetensors"])
def test_compile_false_drops_the_compile_settings_only(tmp_path, suffix):
    model = _compiled_model()
    path = tmp_path / f"m{suffix}"
    keras.saving.save_model(model, path)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    uncompiled = keras.models.load_model(path, compile=False)
    np.testing.assert_array_equal(uncompiled(x), model(x))
    assert not uncompiled.compiled and uncompiled.optimizer is None
    with pytest.raises(RuntimeError, match="must be compiled first"):
        uncompiled.fit(x, x[:, :2], verbose=0)


def test_custom_objects_unused_by_the_file_are_harmless(tmp_path):
    # Custom classes themselves: tests/test_custom_objects.py.
    path = tmp_path / "m.keras"
    _compiled_model().save(path)
    assert keras.models.load_model(path, custom_objects={"Mine": object}) is not None


def test_save_model_without_overwrite_keeps_an_existing_file(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        keras.saving.save_model(_compiled_model(), path, overwrite=False)
    assert path.read_bytes() == b"mine"
