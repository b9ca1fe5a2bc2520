"""Conv1D against files written by real Keras 2.3.1 (TensorFlow): its configs, weights, inputs and outputs.

Third-party data: read from ``../shared/fixtures/external`` (never copied into
the repo); skipped, with the reason, where that folder is absent.
"""

import json

import h5py
import numpy as np
import pytest

from conftest import SHARED_FIXTURES
from convlayers import Conv1D

EXTERNAL = SHARED_FIXTURES / "external"
CASES = sorted(
    path
    for folder in ("keras-conv1d", "keras-causal-conv1d")
    for path in (EXTERNAL / folder).glob("*_config.json")
)
pytestmark = pytest.mark.skipif(not CASES, reason=f"external Keras Conv1D files not found under {EXTERNAL}")


def _case_files(config_path):
    stem = str(config_path)[: -len("_config.json")]
    return stem + "_weights.h5", stem + "_inputs_and_outputs.h5"


@pytest.mark.parametrize("config_path", CASES, ids=lambda p: p.stem[: -len("_config")])
def test_matches_keras_2_output(config_path):
    (layer_entry,) = json.loads(config_path.read_text())["config"]["layers"]
    config = layer_entry["config"]
    layer = Conv1D.from_config(config)
    weights_path, io_path = _case_files(config_path)
    with h5py.File(weights_path) as weights, h5py.File(io_path) as io:
        group = weights[config["name"]]
        names = [n.decode() for n in group.attrs["weight_names"]]
        arrays = [group[name][()] for name in names]
        x = io["inputs"][f"{config['name']}_input"][()]
        expected = io["outputs"][config["name"]][()]
    layer.build(x.shape)
    layer.set_weights(arrays)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-6)


def test_the_external_corpus_covers_both_formats_and_causal():
    names = {p.name for p in CASES}
    assert any("_cf_" in n for n in names) and any("_cl_" in n for n in names)
    assert sum(n.startswith("causal_") for n in names) >= 12
