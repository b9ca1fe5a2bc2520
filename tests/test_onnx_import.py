"""ONNX import: graphs made with onnx.helper and files from torch.onnx.export, against onnxruntime (the oracle)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import convlayers
from convlayers.io import ModelFileError

onnx = pytest.importorskip("onnx", reason="ONNX import needs the onnx package (the test extras install it)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is the oracle (the test extras install it)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(0)


def _save(tmp_path, nodes, inits=(), opset=19, inputs=("x",), outputs=("y",), name="m.onnx", shape=None):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(i, TensorProto.FLOAT, shape) for i in inputs],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in inits],
    )
    path = tmp_path / name
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


def _check(path, *xs):
    """The imported model gives onnxruntime's numbers (1e-4 relative)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(None, {i.name: x for i, x in zip(session.get_inputs(), xs)})
    model = convlayers.load_onnx(path)
    got = model(*xs)
    got = got if isinstance(got, tuple) else (got,)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    return model


def _x(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# (spatial size, kernel, strides, dilations, padding attributes): odd and even kernels, strides
# and dilations, every auto_pad and asymmetric explicit pads.
CONV_CASES = [
    ((9, 8), (3, 3), (1, 1), (1, 1), {"auto_pad": "SAME_UPPER"}),
    ((9, 8), (2, 4), (2, 3), (1, 1), {"auto_pad": "SAME_UPPER"}),
    ((9, 8), (2, 4), (2, 3), (1, 1), {"auto_pad": "SAME_LOWER"}),
    # onnxruntime refuses dilations under SAME_*: those pads are pinned by the geometry sweep
    # against ONNX's formula (test_padding_rules.py::test_same_upper_and_lower_are_onnx_auto_pad).
    ((10, 7), (4, 3), (2, 2), (1, 1), {"auto_pad": "SAME_LOWER"}),
    ((10, 7), (4, 3), (2, 2), (1, 1), {"auto_pad": "SAME_UPPER"}),
    ((8, 8), (4, 4), (2, 2), (1, 1), {"auto_pad": "SAME_LOWER"}),
    ((9, 8), (3, 2), (2, 1), (1, 2), {"auto_pad": "VALID"}),
    ((9, 8), (3, 2), (1, 2), (1, 1), {"auto_pad": "NOTSET", "pads": [0, 2, 1, 0]}),
    ((9, 8), (3, 3), (2, 2), (2, 1), {"pads": [2, 0, 0, 1]}),
]


@pytest.mark.parametrize("size, kernel, strides, dilations, padding", CONV_CASES)
@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_every_auto_pad_and_asymmetric_pads(tmp_path, size, kernel, strides, dilations, padding, groups):
    w, b = _x(4, 4 // groups, *kernel), _x(4)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=kernel, strides=strides, dilations=dilations, group=groups, **padding)
    _check(_save(tmp_path, [node], [("w", w), ("b", b)]), _x(2, 4, *size))


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"])
@pytest.mark.parametrize("rank", [1, 3])
def test_conv1d_and_3d(tmp_path, auto_pad, rank):
    extra = {"pads": [1] * rank + [0] * rank} if auto_pad == "NOTSET" else {}
    node = helper.make_node("Conv", ["x", "w"], ["y"], strides=[2] * rank, auto_pad=auto_pad, **extra)
    _check(_save(tmp_path, [node], [("w", _x(3, 2, *[2] * rank))]), _x(1, 2, *[7] * rank))


CONV_TRANSPOSE_CASES = [
    ({"strides": [2, 2]}, 1, (3, 3)),
    ({"strides": [2, 3], "pads": [1, 0, 2, 1], "output_padding": [1, 2]}, 1, (3, 4)),
    ({"strides": [2, 2], "dilations": [2, 1], "group": 2}, 2, (3, 2)),
    ({"strides": [2, 2], "auto_pad": "SAME_UPPER"}, 1, (3, 3)),
    ({"strides": [2, 2], "auto_pad": "SAME_LOWER"}, 1, (3, 3)),
    ({"strides": [2, 2], "auto_pad": "SAME_LOWER", "output_padding": [1, 0]}, 1, (4, 2)),
    ({"strides": [2, 2], "auto_pad": "VALID"}, 1, (2, 2)),
    ({"strides": [2, 2], "output_shape": [8, 12]}, 1, (3, 3)),
    ({"strides": [2, 2], "output_shape": [8, 9], "auto_pad": "SAME_UPPER"}, 1, (3, 3)),
    ({"strides": [2, 2], "output_shape": [1, 4, 10, 10], "auto_pad": "SAME_LOWER", "group": 2}, 2, (3, 3)),
]


@pytest.mark.parametrize("attributes, groups, kernel", CONV_TRANSPOSE_CASES)
def test_conv_transpose(tmp_path, attributes, groups, kernel):
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attributes)
    _check(_save(tmp_path, [node], [("w", _x(4, 4 // groups, *kernel)), ("b", _x(4))]), _x(2, 4, 5, 5))


POOL_CASES = [
    {"kernel_shape": [3, 3], "strides": [2, 2]},
    {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
    {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_LOWER"},
    {"kernel_shape": [2, 2], "strides": [1, 1], "auto_pad": "SAME_LOWER"},
    {"kernel_shape": [3, 3], "auto_pad": "VALID"},
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 2, 1]},
    {"kernel_shape": [2, 2], "strides": [3, 3], "ceil_mode": 1},
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 0, 1], "ceil_mode": 1},
    {"kernel_shape": [3, 2], "strides": [1, 2], "dilations": [2, 3]},
    {"kernel_shape": [2, 2], "strides": [2, 1], "dilations": [2, 2], "pads": [1, 0, 1, 1]},
    {"kernel_shape": [2, 3], "strides": [2, 2], "dilations": [3, 2], "pads": [0, 1, 1, 0], "ceil_mode": 1},
]


def _refused(extra, attributes):
    """count_include_pad under SAME at strides > 1 is refused (its pads depend on the input size; test_refusals)."""
    return bool(extra) and attributes.get("auto_pad", "").startswith("SAME") and attributes.get("strides", [1])[0] > 1


@pytest.mark.parametrize(
    "op, extra, attributes",
    [(op, extra, attributes)
     for op, extra in [("MaxPool", {}), ("AveragePool", {}), ("AveragePool", {"count_include_pad": 1})]
     for attributes in POOL_CASES if not _refused(extra, attributes)],
)
def test_pooling(tmp_path, op, extra, attributes):
    node = helper.make_node(op, ["x"], ["y"], **attributes, **extra)
    _check(_save(tmp_path, [node]), _x(2, 3, 9, 8))


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_pooling_1d_and_3d(tmp_path, op):
    for rank in (1, 3):
        node = helper.make_node(op, ["x"], ["y"], kernel_shape=[2] * rank, strides=[2] * rank, ceil_mode=1)
        _check(_save(tmp_path, [node], name=f"p{rank}.onnx"), _x(1, 2, *[5] * rank))


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pooling(tmp_path, op):
    _check(_save(tmp_path, [helper.make_node(op, ["x"], ["y"])]), _x(2, 3, 5, 4))


# Every sampling the importer reads (mode, coordinate transformation, nearest rounding), to
# sizes and by integer, non-integer, up and down scales, 1-D to 3-D.
RESIZE_SAMPLINGS = [
    {"mode": "nearest", "coordinate_transformation_mode": transform, "nearest_mode": rounding}
    for transform in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")
    for rounding in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
] + [
    {"mode": "nearest", "coordinate_transformation_mode": "tf_half_pixel_for_nn", "nearest_mode": "floor"},
    {"mode": "nearest"},  # the defaults: half_pixel, round_prefer_floor
] + [{"mode": "linear", "coordinate_transformation_mode": t} for t in ("half_pixel", "pytorch_half_pixel", "align_corners")]
RESIZE_TARGETS = [
    ("scales", [1, 1, 2, 3]), ("scales", [1, 1, 1.5, 0.5]), ("scales", [1, 1, 0.75, 1.75]), ("scales", [1, 1, 0.25, 2.5]),
    ("sizes", [2, 3, 8, 4]), ("sizes", [2, 3, 1, 3]), ("sizes", [2, 3, 2, 10]), ("sizes", [2, 3, 12, 1]),
]


def _resize_model(tmp_path, attributes, kind, target, opset=19, name="m.onnx"):
    array = np.array(target, np.float32 if kind == "scales" else np.int64)
    inputs = ["x", "", "scales"] if kind == "scales" else ["x", "", "", "sizes"]
    return _save(tmp_path, [helper.make_node("Resize", inputs, ["y"], **attributes)], [(kind, array)], opset=opset, name=name)


@pytest.mark.parametrize("kind, target", RESIZE_TARGETS)
@pytest.mark.parametrize("attributes", RESIZE_SAMPLINGS)
def test_resize_every_sampling(tmp_path, attributes, kind, target):
    _check(_resize_model(tmp_path, attributes, kind, target), _x(2, 3, 4, 6))


@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("kind, target", [("scales", [1, 1, 1.5]), ("sizes", [1, 2, 3, 5, 2]), ("scales", [1, 1, 0.5, 1.25, 2])])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_1d_3d_and_opset_11(tmp_path, opset, kind, target, mode):
    if opset == 11:  # roi and scales are inputs there: empty scales when sizes are given
        node = helper.make_node("Resize", ["x", "roi", "scales"] + (["sizes"] if kind == "sizes" else []), ["y"], mode=mode)
        given = np.array(target, np.float32 if kind == "scales" else np.int64)
        inits = [("roi", np.zeros(0, np.float32)), ("scales", given if kind == "scales" else np.zeros(0, np.float32))]
        path = _save(tmp_path, [node], inits + ([("sizes", given)] if kind == "sizes" else []), opset=11)
    else:
        path = _resize_model(tmp_path, {"mode": mode}, kind, target, opset=opset)
    _check(path, _x(1, 2, *[4] * (len(target) - 2)))


@pytest.mark.parametrize("scales", [[1, 1, 2, 3], [1, 1, 1.5, 2.5], [1, 1, 0.5, 0.75]])
def test_resize_opset_10_and_upsample(tmp_path, scales):
    for op, opset in (("Resize", 10), ("Upsample", 9)):
        if op == "Upsample" and min(scales) < 1:  # Upsample only upscales
            continue
        node = helper.make_node(op, ["x", "scales"], ["y"], mode="nearest")
        _check(_save(tmp_path, [node], [("scales", np.array(scales, np.float32))], opset=opset, name=f"{op}.onnx"), _x(1, 2, 4, 5))
    node = helper.make_node("Upsample", ["x"], ["y"], mode="nearest", scales=[float(s) for s in scales])
    if min(scales) >= 1:
        _check(_save(tmp_path, [node], opset=7, name="upsample7.onnx"), _x(1, 2, 4, 5))


# (pads, axes): one, two or all spatial dims, asymmetric, as long as onnxruntime's reflect
# allows (size - 1; the core keeps reflecting beyond, as np.pad does), negative (crops), and
# opset 18's axes (negative ones too).
PAD_CASES = [
    ([0, 0, 1, 0, 0, 0, 0, 2], None),
    ([0, 0, 2, 3, 0, 0, 1, 0], None),
    ([0, 0, 0, 4, 0, 0, 3, 0], None),
    ([0, 0, -1, 2, 0, 0, 1, -2], None),
    ([1, 2, 2, 0], [2, 3]),
    ([3, 1], [-1]),
]


@pytest.mark.parametrize("pads, axes", PAD_CASES)
@pytest.mark.parametrize("mode, value", [("constant", 0.0), ("constant", -1.5), ("edge", None), ("reflect", None)])
def test_pad_modes_through_the_core_padding(tmp_path, pads, axes, mode, value):
    inputs, inits = ["x", "pads"], [("pads", np.array(pads, np.int64))]
    if value is not None:
        inputs.append("value"), inits.append(("value", np.array(value, np.float32)))
    if axes is not None:
        inputs += [""] * (3 - len(inputs)) + ["axes"]
        inits.append(("axes", np.array(axes, np.int64)))
    node = helper.make_node("Pad", inputs, ["y"], mode=mode)
    model = _check(_save(tmp_path, [node], inits, shape=[2, 3, 4, 5]), _x(2, 3, 4, 5))
    assert any(isinstance(layer, convlayers.Padding2D) for layer in model.modules())
    assert any(isinstance(layer, convlayers.Cropping2D) for layer in model.modules()) == any(p < 0 for p in pads)


@pytest.mark.parametrize("rank", [1, 3])
def test_pad_1d_3d_and_opset_2_attributes(tmp_path, rank):
    pads = [0, 0] + [1] * rank + [0, 0] + [2] * rank
    for mode in ("reflect", "edge", "constant"):
        node = helper.make_node("Pad", ["x"], ["y"], mode=mode, pads=pads, **({"value": 0.5} if mode == "constant" else {}))
        _check(_save(tmp_path, [node], opset=10, name=f"{mode}.onnx"), _x(1, 2, *[3] * rank))


def test_dense_activations_and_branches(tmp_path):
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], epsilon=1e-3),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("LeakyRelu", ["r"], ["l"], alpha=0.2),
        helper.make_node("Elu", ["c"], ["e"], alpha=0.5),
        helper.make_node("Add", ["l", "e"], ["a"]),
        helper.make_node("Mul", ["a", "c"], ["p"]),
        helper.make_node("Concat", ["p", "a"], ["cat"], axis=1),
        helper.make_node("Pad", ["cat", "pads"], ["pad"], mode="reflect"),
        helper.make_node("Pad", ["pad", "zpads"], ["zpad"]),
        helper.make_node("Tanh", ["zpad"], ["t"]),
        helper.make_node("Sigmoid", ["t"], ["sg"]),
        helper.make_node("Flatten", ["sg"], ["f"]),
        helper.make_node("Gemm", ["f", "g", "gb"], ["gm"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Clip", ["gm", "lo", "hi"], ["cl"]),
        helper.make_node("MatMul", ["cl", "mm"], ["mo"]),
        helper.make_node("Add", ["mo", "mb"], ["ma"]),
        helper.make_node("Reshape", ["ma", "shape"], ["rs"]),
        helper.make_node("Softmax", ["rs"], ["y"], axis=1),
    ]
    features = 4 * 5 * 6
    inits = [
        ("w", _x(2, 3, 3, 3)), ("s", _x(2)), ("bb", _x(2)), ("m", _x(2)), ("v", RNG.uniform(0.5, 2, 2).astype(np.float32)),
        ("pads", np.array([0, 0, 1, 0, 0, 0, 0, 1], np.int64)), ("zpads", np.array([0, 0, 0, 1, 0, 0, 0, 0], np.int64)),
        ("g", _x(7, features)), ("gb", _x(7)), ("lo", np.array(-0.5, np.float32)), ("hi", np.array(0.5, np.float32)),
        ("mm", _x(7, 6)), ("mb", _x(6)), ("shape", np.array([0, 2, 3], np.int64)),
    ]
    model = _check(_save(tmp_path, nodes, inits, shape=["N", 3, 4, 4]), _x(2, 3, 4, 4))
    assert any(isinstance(layer, convlayers.Conv2D) for layer in model.layers.values())
    assert any(isinstance(layer, convlayers.BatchNormalization) for layer in model.layers.values())


def test_gemm_trans_a_and_opset_10_clip_and_softmax(tmp_path):
    nodes = [
        helper.make_node("Gemm", ["x", "g", "gb"], ["gm"], transA=1),
        helper.make_node("Clip", ["gm"], ["cl"], min=-0.3, max=0.4),
        helper.make_node("Softmax", ["cl"], ["y"]),
    ]
    _check(_save(tmp_path, nodes, [("g", _x(3, 5)), ("gb", _x(1, 5))], opset=10), _x(3, 2))


class _SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2, ceil_mode=True), torch.nn.Conv2d(8, 8, 3, stride=2, padding=(1, 0)),
            torch.nn.AvgPool2d(2, count_include_pad=True, padding=1), torch.nn.Upsample(scale_factor=2),
            torch.nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
        )
        self.head = torch.nn.Linear(4 * 12 * 8, 5)  # 13x13 in: 7x7, 4x3, 3x2, 6x4, 12x8

    def forward(self, x):
        return torch.softmax(self.head(torch.flatten(self.features(x), 1)), -1)


class _Residual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.b = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        return torch.relu(x + self.bn(self.b(torch.relu(self.a(x)))))


@pytest.mark.parametrize("module, shape", [(_SmallCNN, (2, 3, 13, 13)), (_Residual, (2, 4, 6, 6))])
def test_torch_onnx_export(tmp_path, module, shape):
    torch.manual_seed(0)
    model = module().eval()
    for m in model.modules():  # non-trivial running statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1), m.running_var.uniform_(0.5, 2)
    x = torch.randn(shape)
    path = tmp_path / "torch.onnx"
    for dynamo in (False, True):  # the TorchScript exporter, and torch.export's (weights in path.data beside it)
        torch.onnx.export(model, (x,), str(path), dynamo=dynamo, opset_version=17 if not dynamo else None, verbose=False)
        imported = _check(path, x.numpy())
        with torch.no_grad():
            np.testing.assert_allclose(imported(x).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-5)


def test_imported_model_is_a_trainable_module(tmp_path):
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], auto_pad="SAME_UPPER")
    model = convlayers.load_onnx(_save(tmp_path, [node], [("w", _x(2, 1, 3, 3)), ("b", _x(2))]))
    assert sorted(model.state_dict()) == ["layers.0_Conv.bias", "layers.0_Conv.kernel"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.layers["0_Conv"].kernel.detach().clone()
    model(torch.randn(1, 1, 5, 5)).sum().backward()
    optimizer.step()
    assert not torch.equal(before, model.layers["0_Conv"].kernel)
    assert model.double()(torch.randn(1, 1, 5, 5, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.parametrize(
    "nodes, inits, message",
    [
        ([helper.make_node("Cos", ["x"], ["y"], name="cosine")], [], r"node 'cosine' \(Cos\): the op Cos is not supported"),
        ([helper.make_node("Conv", ["x", "w"], ["y"], name="c", auto_pad="SAME")], [("w", np.ones((1, 1, 1, 1), np.float32))],
         r"node 'c' \(Conv\): the attribute `auto_pad`='SAME' is not supported; expected NOTSET"),
        ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", mode="linear", coordinate_transformation_mode="asymmetric")],
         [("s", np.array([1, 1, 2, 2], np.float32))], r"node 'r' \(Resize\): the attribute `coordinate_transformation_mode`='asymmetric' "
         r"is not supported; mode='linear' reads \['half_pixel', 'pytorch_half_pixel', 'align_corners'\]"),
        ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", coordinate_transformation_mode="tf_crop_and_resize")],
         [("s", np.array([1, 1, 2, 2], np.float32))], r"`coordinate_transformation_mode`='tf_crop_and_resize' is not supported; mode='nearest' reads"),
        ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", coordinate_transformation_mode="tf_half_pixel_for_nn")],
         [("s", np.array([1, 1, 2, 2], np.float32))], r"node 'r' \(Resize\): the attribute `nearest_mode`='round_prefer_floor' is not supported; "
         r"coordinate_transformation_mode='tf_half_pixel_for_nn' is read with 'floor'"),
        ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", mode="cubic")], [("s", np.array([1, 1, 2, 2], np.float32))],
         r"node 'r' \(Resize\): the attribute `mode`='cubic' is not supported; expected one of \['linear', 'nearest'\] \(cubic is not provided\)"),
        ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", antialias=1)], [("s", np.array([1, 1, 0.5, 0.5], np.float32))],
         r"node 'r' \(Resize\): the attribute `antialias`=1 is not supported; convlayers resizes without antialiasing"),
        ([helper.make_node("Resize", ["x", "", "s"], ["y"], name="r")], [("s", np.array([2, 1, 1.5, 2], np.float32))],
         r"node 'r' \(Resize\): scales \[2.0, 1.0, 1.5, 2.0\] are not supported; convlayers resizes the spatial dims"),
        ([helper.make_node("Resize", ["x", "", "s", "z"], ["y"], name="r")],
         [("s", np.array([1, 1, 2, 2], np.float32)), ("z", np.array([1, 1, 4, 4], np.int64))],
         r"node 'r' \(Resize\): it needs exactly one of `scales` and `sizes`; it has both"),
        ([helper.make_node("Pad", ["x", "p"], ["y"], name="p", mode="wrap")], [("p", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))],
         r"node 'p' \(Pad\): the attribute `mode`='wrap' is not supported; expected one of \['constant', 'edge', 'reflect'\] \('wrap' is not provided\)"),
        ([helper.make_node("Pad", ["x", "p"], ["y"], name="p")], [("p", np.array([0, 1, 1, 1, 0, 0, 1, 1], np.int64))],
         r"node 'p' \(Pad\): pads \[0, 1, 1, 1, 0, 0, 1, 1\] change the batch or channel dim \(axes 0 and 1\)"),
        ([helper.make_node("Pad", ["x", "p", "", "a"], ["y"], name="p")], [("p", np.array([1, 1], np.int64)), ("a", np.array([2], np.int64))],
         r"node 'p' \(Pad\): it pads `axes` of an input 'x' whose rank is unknown"),
        ([helper.make_node("AveragePool", ["x"], ["y"], name="a", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER", count_include_pad=1)], [],
         r"node 'a' \(AveragePool\): the attribute `count_include_pad`=1 is not supported"),
        ([helper.make_node("Conv", ["x", "x"], ["y"], name="c")], [], r"node 'c' \(Conv\): the weight 'x' is computed by the graph"),
        ([helper.make_node("Relu", ["x"], ["y"], name="r", foo=1)], [], r"node 'r' \(Relu\): the attribute `foo`=1 is not supported"),
    ],
)
def test_refusals_name_the_node_op_attribute_and_value(tmp_path, nodes, inits, message):
    path = _save(tmp_path, nodes, inits)
    with pytest.raises(ModelFileError, match=message):
        convlayers.load_onnx(path)


@pytest.mark.parametrize(
    "op, opset, mode, scales, message",
    [
        ("Upsample", 9, "linear", [1, 1, 2, 2], r"the attribute `mode`='linear' is not supported; Upsample-9 interpolates at asymmetric coordinates"),
        ("Resize", 10, "nearest", [1, 1, 2, 0.5], r"scales \[1.0, 1.0, 2.0, 0.5\] both up- and downscale"),
    ],
)
def test_refusals_of_upsample_and_resize_10(tmp_path, op, opset, mode, scales, message):
    node = helper.make_node(op, ["x", "s"], ["y"], name="u", mode=mode)
    with pytest.raises(ModelFileError, match=rf"node 'u' \({op}\): {message}"):
        convlayers.load_onnx(_save(tmp_path, [node], [("s", np.array(scales, np.float32))], opset=opset))


def test_resize_sizes_that_do_not_fit_the_input_are_named_when_called(tmp_path):
    node = helper.make_node("Resize", ["x", "", "", "z"], ["y"], name="r")
    model = convlayers.load_onnx(_save(tmp_path, [node], [("z", np.array([1, 3, 4, 4], np.int64))]))
    with pytest.raises(ValueError, match=re.escape("node 'r' (Resize): sizes [1, 3, 4, 4] do not fit its input of shape [1, 2, 5, 5].")):
        model(_x(1, 2, 5, 5))


def test_hostile_files(tmp_path):
    node = helper.make_node("Conv", ["x", "w"], ["y"])
    good = _save(tmp_path, [node], [("w", _x(2, 1, 3, 3))])
    data = good.read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        convlayers.load_onnx(truncated)
    # An initializer claiming 2**40 floats in a file of a few hundred bytes: refused before allocating.
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**20, 2**20, 1, 1], raw_data=b"\0" * 16)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [huge])
    onnx.save(helper.make_model(graph), str(tmp_path / "huge.onnx"))
    with pytest.raises(ModelFileError, match="needs 4398046511104 bytes of weights, more than a file of"):
        convlayers.load_onnx(tmp_path / "huge.onnx")
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 1, 3, 3], raw_data=b"\0" * 16)
    graph = helper.make_graph([node], "g", graph.input, graph.output, [short])
    onnx.save(helper.make_model(graph), str(tmp_path / "short.onnx"))
    with pytest.raises(ModelFileError, match=r"declares dims \[2, 1, 3, 3\] \(18 values\) but holds 4"):
        convlayers.load_onnx(tmp_path / "short.onnx")
    external = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1], data_location=TensorProto.EXTERNAL)
    external.external_data.add(key="location", value="../../etc/passwd")  # would read another file
    graph = helper.make_graph([node], "g", graph.input, graph.output, [external])
    onnx.save(helper.make_model(graph), str(tmp_path / "external.onnx"), save_as_external_data=False)
    with pytest.raises(ModelFileError, match=r"external data at '../../etc/passwd'; only files beside the model are read"):
        convlayers.load_onnx(tmp_path / "external.onnx")
    cycle = [helper.make_node("Relu", ["x", "b"], ["a"], name="one"), helper.make_node("Relu", ["a"], ["b"], name="two")]
    with pytest.raises(ModelFileError, match=r"the graph has a cycle: node 'one' \(Relu\), node 'two' \(Relu\)"):
        convlayers.load_onnx(_save(tmp_path, cycle, name="cycle.onnx"))
    with pytest.raises(FileNotFoundError):
        convlayers.load_onnx(tmp_path / "missing.onnx")
    unranked = [helper.make_node("BatchNormalization", ["x", "w", "w", "w", "w"], ["y"], name="bn")]
    with pytest.raises(ModelFileError, match=r"node 'bn' \(BatchNormalization\): the rank of its input 'x' is unknown"):
        convlayers.load_onnx(_save(tmp_path, unranked, [("w", np.ones(2, np.float32))], name="unranked.onnx"))


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx":
            raise ImportError("no onnx")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ImportError, match=r"pip install 'convlayers\[onnx\]'"):
        convlayers.load_onnx(tmp_path / "m.onnx")
