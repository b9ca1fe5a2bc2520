"""Layers and models are plain torch modules: torch.compile, ONNX export and DDP work on them."""

import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

import convlayers as cl


def _model():
    return cl.Sequential([
        cl.Input((8, 8, 1)),
        cl.Conv2D(4, 3, padding="same", activation="relu"),
        cl.SeparableConv2D(8, 3, strides=2, padding="same"),
        cl.MaxPooling2D(2),
        cl.Conv2DTranspose(3, 3, strides=2, padding="same"),
        cl.UpSampling2D(2, interpolation="bilinear"),
        cl.Flatten(),
        cl.Dense(10, activation="softmax"),
    ])


@pytest.mark.parametrize(
    "layer",
    [
        cl.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        cl.Conv1D(3, 2, padding="causal", dilation_rate=2),
        cl.DepthwiseConv2D(3, depth_multiplier=2),
        cl.Conv3DTranspose(2, 2, strides=2),
        cl.AveragePooling2D(3, strides=2, padding="same"),
        cl.UpSampling2D((2, 3), interpolation="bicubic"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_torch_compile_captures_a_whole_graph(layer):
    shape = (2, 9, 9, 3) if layer.rank == 2 else (2, 9, 3) if layer.rank == 1 else (2, 4, 4, 4, 3)
    x = torch.randn(shape)
    eager = layer(x)
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)  # fullgraph: no graph breaks
    torch.testing.assert_close(compiled(x), eager)


def test_torch_compile_of_a_model_trains():
    model = _model()
    compiled = torch.compile(model, backend="aot_eager")
    x = torch.randn(4, 8, 8, 1)
    loss = compiled(x).square().sum()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_onnx_export_matches_onnxruntime():
    model = _model().eval()
    x = torch.randn(2, 8, 8, 1)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = os.path.join(tmp, "model.onnx")
        torch.onnx.export(model, (x,), path, dynamo=True, input_names=["x"], output_names=["y"])
        session = onnxruntime.InferenceSession(path)
        (y,) = session.run(None, {"x": x.numpy()})
    np.testing.assert_allclose(y, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


_DDP_STEP = """
import tempfile
import torch
import torch.distributed as dist
from test_interop import _model

torch.manual_seed(0)
model, reference = _model(), _model()
reference.set_weights(model.get_weights())
x = torch.randn(4, 8, 8, 1)
with tempfile.NamedTemporaryFile() as store_file:
    dist.init_process_group("gloo", init_method=f"file://{store_file.name}", rank=0, world_size=1)
    try:
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        ddp(x).square().sum().backward()
        del ddp
    finally:
        dist.destroy_process_group()
reference(x).square().sum().backward()
for got, want in zip(model.parameters(), reference.parameters()):
    torch.testing.assert_close(got.grad, want.grad)
print("ok")
"""


def test_distributed_data_parallel_step_matches_a_plain_step():
    """One DDP step (gloo, one process) gives the gradients of a plain step.

    In a process of its own, as DDP runs: torch 2.13's gloo process group can
    deadlock on teardown (its destructor joins a thread that waits for the GIL
    the destructor holds) when earlier tests in the same process left Python
    state in torch's thread-local state; pytest-timeout cannot break that.
    """
    run = subprocess.run([sys.executable, "-c", _DDP_STEP], cwd=Path(__file__).parent, capture_output=True,
                         text=True, timeout=240)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stdout + run.stderr
