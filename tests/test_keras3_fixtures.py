"""Parity with real Keras: every case of the keras3 corpus, built from its config, matches Keras's output.

The corpus shipped in ``tests/fixtures/keras3`` is always checked; when the
project's shared fixtures sit beside the repo (``../shared/fixtures/keras3``),
any further cases there are checked too.
"""

import json

import numpy as np
import pytest

import convlayers
from conftest import FIXTURES, SHARED_FIXTURES


def _load_corpus():
    cases, arrays = {}, {}
    for root in (FIXTURES / "keras3", SHARED_FIXTURES / "keras3"):
        if not (root / "cases.json").exists():
            continue
        npz = np.load(root / "arrays.npz")
        for case in json.loads((root / "cases.json").read_text())["cases"]:
            if case["id"] not in cases:
                cases[case["id"]] = case
                arrays[case["id"]] = {k.split("/", 1)[1]: npz[k] for k in npz.files if k.startswith(case["id"] + "/")}
    return cases, arrays


CASES, ARRAYS = _load_corpus()
CONV_KINDS = {
    "Conv1D", "Conv2D", "Conv3D",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
}
# Weightless: their `weights` lists are empty, and set_weights([]) must accept that.
RESHAPING_KINDS = {
    "Cropping1D", "Cropping2D", "Cropping3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
}
KINDS = CONV_KINDS | RESHAPING_KINDS


def test_corpus_is_present():
    assert sum(c["layer"] in KINDS for c in CASES.values()) >= 16 * len(KINDS)


@pytest.mark.parametrize("case_id", sorted(i for i, c in CASES.items() if c["layer"] in KINDS))
def test_matches_keras(case_id):
    case, arrays = CASES[case_id], ARRAYS[case_id]
    layer = getattr(convlayers, case["layer"])(**case["config"])
    layer.build(arrays["x"].shape)
    layer.set_weights([arrays[name] for name in case["weights"]])
    y = layer(arrays["x"])
    assert y.shape == tuple(case["output_shape"]) == arrays["y"].shape
    assert layer.compute_output_shape(arrays["x"].shape) == y.shape
    np.testing.assert_allclose(y, arrays["y"], rtol=1e-4, atol=1e-5 * max(1.0, np.abs(arrays["y"]).max()))
