"""A corpus of hostile and broken model files, generated on demand (nothing large is committed).

Each :class:`Case` is a file of one format (our safetensors files, Keras ``.keras`` zips, legacy
``.h5``), how to load it, and what the ``ModelFileError`` must say. The files are small: a
"3 GiB" zip member is a few bytes whose header says 3 GiB, a "40000 x 40000" dataset is a
chunked dataset with no chunk written. ``hostile_probe.py`` loads them in a child process and
measures memory and time; ``test_hostile_files.py`` asserts the bounds.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np
import safetensors.torch
import torch

GiB = 2**30


@dataclass(frozen=True)
class Case:
    """A hostile file: its name in the corpus folder, the loader, and the reason the error must give."""

    name: str
    file: str
    load: str  # "load_model", "load_weights", "load_keras_model" or "load_keras_weights"
    reason: str  # a regular expression the ModelFileError's reason must match
    model: dict[str, Any] | None = None  # the Sequential config of the model weights are loaded into


# -- building blocks: a Dense model in each format -------------------------------------------------
def sequential_config(units: int = 3, inputs: int = 4) -> dict[str, Any]:
    """A Keras Sequential config: Input((inputs,)) then Dense(units) named ``d``."""
    return {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, inputs]}},
                {"class_name": "Dense", "config": {"units": units, "name": "d"}},
            ],
        },
    }


def dense_weights(units: int = 3, inputs: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"kernel": rng.standard_normal((inputs, units)).astype("float32"), "bias": np.zeros(units, "float32")}


def safetensors_file(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    return safetensors.torch.save(tensors, metadata)


def own_model_file(architecture: Any, tensors: dict[str, torch.Tensor], **metadata: str) -> bytes:
    """A convlayers model file with any architecture (JSON text or data) and tensors."""
    text = architecture if isinstance(architecture, str) else json.dumps(architecture)
    header = {"format": "convlayers", "format_version": "1", "contents": "model", "model": text}
    return safetensors_file(tensors, {**header, **metadata})


def raw_safetensors(header: Any, data: bytes = b"") -> bytes:
    """A safetensors file from a header we write by hand (any JSON text or data) and data bytes."""
    text = (header if isinstance(header, str) else json.dumps(header)).encode()
    return struct.pack("<Q", len(text)) + text + data


OUR_METADATA = {"format": "convlayers", "format_version": "1", "contents": "weights"}


def dense_tensors(units: int = 3, inputs: int = 4) -> dict[str, torch.Tensor]:
    """The state_dict of a convlayers Dense(units) on ``inputs`` features (kernel stored (units, inputs))."""
    weights = dense_weights(units, inputs)
    return {"kernel": torch.from_numpy(weights["kernel"].T.copy()), "bias": torch.from_numpy(weights["bias"])}


def dense_layer_entry(units: int = 3, inputs: int = 4) -> dict[str, Any]:
    return {"class_name": "Dense", "config": {"units": units, "name": "d"}, "build_config": {"input_shape": [None, inputs]}}


def keras3_weights(edit: Callable[[h5py.File], None] | None = None, units: int = 3, inputs: int = 4) -> bytes:
    """A Keras 3 ``model.weights.h5`` for :func:`sequential_config`, edited by ``edit``."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        weights = dense_weights(units, inputs)
        f["layers/dense/vars/0"] = weights["kernel"]
        f["layers/dense/vars/1"] = weights["bias"]
        if edit:
            edit(f)
    return buffer.getvalue()


def keras_zip(config: Any = None, weights: bytes | None = None, compression: int = zipfile.ZIP_STORED) -> bytes:
    """A ``.keras`` archive: ``config.json`` (data or text) and ``model.weights.h5``."""
    config = sequential_config() if config is None else config
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", config if isinstance(config, str) else json.dumps(config))
        archive.writestr("model.weights.h5", keras3_weights() if weights is None else weights)
    return buffer.getvalue()


def legacy_h5(edit: Callable[[h5py.File], None] | None = None, config: Any = None) -> bytes:
    """A tf.keras 2 ``model.save`` ``.h5`` of :func:`sequential_config`, edited by ``edit``."""
    config = sequential_config() if config is None else config
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs.update(keras_version="2.15.0", backend="tensorflow")
        f.attrs["model_config"] = config if isinstance(config, str) else json.dumps(config)
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [b"d"]
        weights = dense_weights()
        group["d/d/kernel:0"] = weights["kernel"]
        group["d/d/bias:0"] = weights["bias"]
        group["d"].attrs["weight_names"] = [b"d/kernel:0", b"d/bias:0"]
        if edit:
            edit(f)
    return buffer.getvalue()


def patch_zip_member(data: bytes, name: str, **fields: int) -> bytes:
    """``data`` (a zip) with a member's header fields (flags, method, size) overwritten in both of its headers.

    Zip keeps each member's fields twice: in a local header before the data and in the
    central directory. Offsets per the zip APPNOTE, sections 4.3.7 and 4.3.12.
    """
    local = {"flags": (6, "<H"), "method": (8, "<H"), "size": (22, "<I")}
    central = {"flags": (8, "<H"), "method": (10, "<H"), "size": (24, "<I")}
    patched = bytearray(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    directory = archive.start_dir
    while data[directory + 46 : directory + 46 + len(name)] != name.encode():
        name_size, extra_size, comment_size = struct.unpack_from("<HHH", data, directory + 28)
        directory += 46 + name_size + extra_size + comment_size
    for field, value in fields.items():
        for base, table in ((info.header_offset, local), (directory, central)):
            offset, form = table[field]
            struct.pack_into(form, patched, base + offset, value)
    return bytes(patched)


def replace(group: h5py.Group, name: str, **create: Any) -> None:
    """Replace dataset ``name`` of ``group`` by one made with ``create_dataset(**create)``."""
    del group[name]
    group.create_dataset(name, **create)


def with_unknown_filter(group: h5py.Group, name: str, values: np.ndarray) -> None:
    """Replace dataset ``name`` by one that declares HDF5 filter 307 (optional, so it can be written)."""
    del group[name]
    plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    plist.set_chunk(values.shape)
    plist.set_filter(307, h5py.h5z.FLAG_OPTIONAL, ())
    space = h5py.h5s.create_simple(values.shape)
    dataset = h5py.Dataset(h5py.h5d.create(group.id, name.encode(), h5py.h5t.NATIVE_FLOAT, space, dcpl=plist))
    dataset[...] = values


def virtual(group: h5py.Group, name: str, source_path: str) -> None:
    """Replace dataset ``name`` by a virtual dataset mapping ``source_path`` in the same file."""
    shape = group[name].shape
    layout = h5py.VirtualLayout(shape=shape, dtype="float32")
    layout[...] = h5py.VirtualSource(".", source_path, shape=shape)
    del group[name]
    group.create_virtual_dataset(name, layout)


# -- the corpus ------------------------------------------------------------------------------------
def write_corpus(directory: Path) -> list[Case]:
    """Write every hostile file into ``directory``; return the cases."""
    secret = directory / "secret.bin"
    secret.write_bytes(np.full((4, 3), 7.0, "float32").tobytes())  # what external storage would leak
    other = directory / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.full((4, 3), 7.0, "float32")
    files: dict[str, bytes] = {}
    cases: list[Case] = []

    def add(name: str, suffix: str, data: bytes, load: str, reason: str, model: dict[str, Any] | None = None) -> None:
        file = f"case{len(cases):02d}{suffix}"
        files[file] = data
        cases.append(Case(name, file, load, reason, model))

    # Our safetensors files.
    weights_model = sequential_config()["config"]
    huge = dense_layer_entry(20000, 20000)
    add("architecture Dense(20000) on 20000 inputs, 1 KB of tensors", ".safetensors", own_model_file(huge, dense_tensors()),
        "load_model", r"does not match the model's architecture: tensors with the wrong shape: 'kernel' is \(3, 4\) in the file but \(20000, 20000\)")
    add("header claims 2**62 bytes", ".safetensors", struct.pack("<Q", 2**62) + b"{}", "load_weights",
        r"the header claims 4611686018427387904 bytes but only 2 follow", weights_model)
    add("shape [2**20, 2**20] over 4 bytes", ".safetensors",
        raw_safetensors({"__metadata__": OUR_METADATA, "w": {"dtype": "F32", "shape": [2**20, 2**20], "data_offsets": [0, 4]}}, bytes(4)),
        "load_weights", r"'w' of dtype F32 and shape \(1048576, 1048576\) needs 4398046511104 bytes, but its data_offsets give 4", weights_model)
    add("data_offsets past the end of the file", ".safetensors",
        raw_safetensors({"__metadata__": OUR_METADATA, "w": {"dtype": "F32", "shape": [2**28], "data_offsets": [0, 2**30]}}, bytes(16)),
        "load_weights", r"the tensor data is corrupt or truncated: the tensor 'w' ends at byte 1073741824 of the data, which has 16 bytes", weights_model)
    add("overlapping tensors", ".safetensors",
        raw_safetensors({"__metadata__": OUR_METADATA, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
        "load_weights", r"the tensors 'a' and 'b' overlap", weights_model)
    add("header nested 100,000 deep", ".safetensors", raw_safetensors("[" * 100_000 + "]" * 100_000), "load_weights",
        r"its header nests 100000 levels deep; at most 100 are read", weights_model)
    add("architecture nested 1,000 deep", ".safetensors", own_model_file("[" * 1000 + "]" * 1000, {}), "load_model",
        r"its architecture nests 1000 levels deep")
    add("format_version of 5,000 digits", ".safetensors", safetensors_file(dense_tensors(), {**OUR_METADATA, "format_version": "9" * 5000}),
        "load_weights", r"format_version='99999999999999999999\.\.\. \(5000 characters\)'", weights_model)
    add("a list where a layer's config belongs", ".safetensors", own_model_file({"class_name": "Dense", "config": [3]}, {}),
        "load_model", r"^its architecture: `config` must be a dict. Received: \[3\]")
    add("a list where build_config belongs", ".safetensors", own_model_file({"class_name": "Dense", "config": {"units": 3}, "build_config": [4]}, {}),
        "load_model", r"its architecture: `build_config` must be a dict")
    add("a list where a Sequential layer's config belongs", ".safetensors",
        own_model_file({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": [3]}]}}, {}),
        "load_model", r"layer 0: `config` must be a dict")
    add("an integer of 5,000 digits in the architecture", ".safetensors", own_model_file('{"class_name": "Dense", "config": {"units": ' + "9" * 5000 + "}}", {}),
        "load_model", r"its architecture cannot be read as JSON \(Exceeds the limit")
    nan = dense_tensors()
    nan["kernel"][0, 0] = float("nan")
    add("a NaN weight", ".safetensors", own_model_file(dense_layer_entry(), nan), "load_model", r"the tensor 'kernel' holds NaN or infinity")
    inf = dense_tensors()
    inf["bias"][1] = float("inf")
    add("an infinite weight", ".safetensors", safetensors_file({"0." + k: v for k, v in inf.items()}, OUR_METADATA), "load_weights",
        r"the tensor '0.bias' holds NaN or infinity", weights_model)
    add("an unknown dtype", ".safetensors",
        raw_safetensors({"__metadata__": OUR_METADATA, "w": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, bytes(4)),
        "load_weights", r"the tensor 'w' has dtype 'F99'", weights_model)
    ints = {"0." + k: v.to(torch.int32) for k, v in dense_tensors().items()}
    add("int32 weights", ".safetensors", safetensors_file(ints, OUR_METADATA), "load_weights",
        r"tensors with the wrong dtype: '0.kernel' is torch.int32 in the file but torch.float32", weights_model)

    # Keras .keras zips.
    bomb = patch_zip_member(keras_zip(), "model.weights.h5", size=3 * GiB)
    add("model.weights.h5 declares 3 GiB", ".keras", bomb, "load_keras_model", r"its member model.weights.h5 declares 3221225472 bytes, more than the \d+ this model can need")
    inflating = io.BytesIO()
    with zipfile.ZipFile(inflating, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(sequential_config()))
        archive.writestr("model.weights.h5", bytes(32 * 2**20))  # deflates to 32 KB
    add("model.weights.h5 inflates to 32 MiB but declares 1 KB", ".keras",
        patch_zip_member(inflating.getvalue(), "model.weights.h5", size=1024), "load_keras_model", r"damaged zip archive \(Bad CRC-32")
    add("config.json declares 2 GiB", ".keras", patch_zip_member(keras_zip(), "config.json", size=2 * GiB), "load_keras_model",
        r"its member config.json declares 2147483648 bytes, more than the 67108864")
    add("an encrypted member", ".keras", patch_zip_member(keras_zip(), "config.json", flags=1), "load_keras_model", r"its member config.json is encrypted")
    add("an unknown compression method", ".keras", patch_zip_member(keras_zip(), "model.weights.h5", method=99), "load_keras_model",
        r"its member model.weights.h5 uses zip compression method 99")
    corrupt = bytearray(keras_zip())
    corrupt[corrupt.index(b'"Sequential"') + 1] ^= 0x20  # one byte of config.json's data: its CRC no longer matches
    add("a bad CRC", ".keras", bytes(corrupt), "load_keras_model", r"damaged zip archive \(Bad CRC-32 for file 'config.json'\)")
    add("config.json nested 1,000 deep", ".keras", keras_zip("[" * 1000 + "]" * 1000), "load_keras_model", r"config.json nests 1000 levels deep")
    add("config.json nested 100,000 deep", ".keras", keras_zip('{"a":' * 100_000 + "1" + "}" * 100_000), "load_keras_model",
        r"config.json nests 100000 levels deep")
    listed = sequential_config()
    listed["config"]["layers"][1]["config"] = ["units", 3]
    add("a list where a layer's config belongs", ".keras", keras_zip(listed), "load_keras_model", r"layer 1 of the config: `config` must be a dict")
    add("a list where the model config belongs", ".keras", keras_zip([sequential_config()]), "load_keras_model",
        r"the model config is not a dict with a `class_name`")
    add("an integer of 5,000 digits", ".keras", keras_zip(json.dumps(sequential_config()).replace('"units": 3', '"units": ' + "9" * 5000)),
        "load_keras_model", r"config.json cannot be read as JSON \(Exceeds the limit")
    add("architecture Dense(20000) on 20000 inputs", ".keras", keras_zip(sequential_config(20000, 20000)), "load_keras_model",
        r"its architecture needs 1600080000 bytes of weights, more than a file of \d+ bytes can hold")

    def keras_edit(name: str, edit: Callable[[h5py.File], None], reason: str) -> None:
        add(name, ".keras", keras_zip(weights=keras3_weights(edit)), "load_keras_model", reason)

    variables = "layers/dense/vars"
    keras_edit("a kernel declared 40000 x 40000", lambda f: replace(f[variables], "0", shape=(40000, 40000), dtype="f4", chunks=(64, 64)),
               r"weight `kernel` must have shape \(4, 3\) \(Keras layout\) but the file's 'layers/dense/vars/0' has shape \(40000, 40000\)")
    keras_edit("a kernel in external storage (another local file)",
               lambda f: replace(f[variables], "0", shape=(4, 3), dtype="f4", external=[(str(secret), 0, 48)]),
               r"/layers/dense/vars/0 cannot be read: its data is in external storage \(the files \['.*secret.bin'\]\)")
    keras_edit("a kernel that is an external link", lambda f: (f[variables].__delitem__("0"), f[variables].__setitem__("0", h5py.ExternalLink(str(other), "/data"))),
               r"/layers/dense/vars/0 is an external link \(to '/data' in file '.*other.h5'\), which is not followed")
    keras_edit("a kernel that is a soft link", lambda f: (f.create_dataset("elsewhere", data=np.zeros((4, 3), "f4")), f[variables].__delitem__("0"),
                                                         f[variables].__setitem__("0", h5py.SoftLink("/elsewhere"))),
               r"/layers/dense/vars/0 is a soft link \(to '/elsewhere'\), which is not followed")
    keras_edit("a kernel that is a virtual dataset", lambda f: (f.create_dataset("elsewhere", data=np.zeros((4, 3), "f4")), virtual(f[variables], "0", "/elsewhere")),
               r"/layers/dense/vars/0 cannot be read: it is a virtual dataset")
    keras_edit("a kernel through an unknown HDF5 filter", lambda f: with_unknown_filter(f[variables], "0", np.ones((4, 3), "f4")),
               r"it is stored through HDF5 filter 307")
    for dtype in ("int32", "bool", "float16", "complex64", "float64"):
        keras_edit(f"a {dtype} kernel", lambda f, dtype=dtype: replace(f[variables], "0", data=np.ones((4, 3), dtype)),
                   rf"weight `kernel` must be float32 but the file's 'layers/dense/vars/0' is {dtype}")
    for value in ("nan", "inf"):
        keras_edit(f"a kernel holding {value}", lambda f, value=value: f[variables]["0"].__setitem__((1, 1), float(value)),
                   r"its weights hold NaN or infinity: layer 'd' \(Dense\) weight `kernel` \(the file's 'layers/dense/vars/0'\)")

    # Legacy .h5 files.
    kernels = "model_weights/d/d"
    for side in (20000, 40000):
        add(f"an .h5 kernel declared {side} x {side}", ".h5",
            legacy_h5(lambda f, side=side: replace(f[kernels], "kernel:0", shape=(side, side), dtype="f4", chunks=(64, 64))), "load_keras_model",
            rf"weight `kernel` must have shape \(4, 3\) \(Keras layout\) but the file's 'd/kernel:0' has shape \({side}, {side}\)")
    add("an .h5 kernel in external storage", ".h5",
        legacy_h5(lambda f: replace(f[kernels], "kernel:0", shape=(4, 3), dtype="f4", external=[(str(secret), 0, 48)])), "load_keras_model",
        r"/model_weights/d/d/kernel:0 cannot be read: its data is in external storage")
    add("an .h5 layer group that is an external link", ".h5",
        legacy_h5(lambda f: (f["model_weights"].__delitem__("d"), f["model_weights"].__setitem__("d", h5py.ExternalLink(str(other), "/")))),
        "load_keras_model", r"/model_weights/d is an external link")
    add("an .h5 whose architecture needs 16 MB, its kernel unwritten", ".h5",
        legacy_h5(lambda f: (replace(f[kernels], "kernel:0", shape=(2000, 2000), dtype="f4", chunks=(500, 500)),
                             replace(f[kernels], "bias:0", shape=(2000,), dtype="f4", chunks=(500,))), config=sequential_config(2000, 2000)),
        "load_keras_model", r"its architecture needs 16008000 bytes of weights, more than a file of \d+ bytes can hold")
    add("an .h5 model_config nested 1,000 deep", ".h5", legacy_h5(config="[" * 1000 + "]" * 1000), "load_keras_model",
        r"its `model_config` attribute nests 1000 levels deep")
    add("an .h5 model_config that is numbers", ".h5", legacy_h5(lambda f: f.attrs.__setitem__("model_config", np.arange(3))), "load_keras_model",
        r"the attribute 'model_config' of / holds int64 values, expected text")
    add("load_keras_weights: an .h5 kernel declared 40000 x 40000", ".h5",
        legacy_h5(lambda f: replace(f[kernels], "kernel:0", shape=(40000, 40000), dtype="f4", chunks=(64, 64))), "load_keras_weights",
        r"has shape \(40000, 40000\)", weights_model)

    for file, data in files.items():
        (directory / file).write_bytes(data)
    return cases


# -- truncations and mutations -----------------------------------------------------------------------
def truncations(data: bytes, count: int) -> list[bytes]:
    """``count`` prefixes of ``data`` spread over its length (the empty one and all but one byte included)."""
    cuts = sorted({0, len(data) - 1} | {round(i * len(data) / count) for i in range(count)})
    return [data[:cut] for cut in cuts]


def mutations(data: bytes, count: int, seed: int, most: int = 10) -> list[bytes]:
    """``count`` copies of ``data``, each with 1 to ``most`` random bytes replaced; copy ``i`` uses ``Random(seed + i)``."""
    return [mutate(data, seed + i, most) for i in range(count)]


def mutate(data: bytes, seed: int, most: int = 10) -> bytes:
    rng = random.Random(seed)
    mutated = bytearray(data)
    for _ in range(rng.randint(1, most)):
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
    return bytes(mutated)
