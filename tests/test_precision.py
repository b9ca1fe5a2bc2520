"""TF32 off for convlayers' own CUDA calls: the flags inside a guarded call, and torch's flags untouched after it.

torch's precision flags are process-wide and settable without a GPU, so the
scoping is tested here on CPU. States that cannot be put back from Python (a key
at torch's inheriting default) are probed in fresh interpreters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest
import torch
import torch.nn.functional as F

import convlayers as cl
from convlayers import config, ops
from convlayers.ops import precision

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

PROBE = textwrap.dedent(
    """
    import json, os, sys, torch
    from convlayers.ops import precision
    C = torch._C
    KEYS = [("generic", "all"), ("cuda", "all"), ("cuda", "conv"), ("cuda", "rnn"), ("cuda", "matmul"),
            ("mkldnn", "all"), ("mkldnn", "conv"), ("mkldnn", "matmul")]

    def state():
        out = {f"{b}/{o}": C._get_fp32_precision_getter(b, o) for b, o in KEYS}
        for name, read in [("cudnn.allow_tf32", lambda: torch.backends.cudnn.allow_tf32),
                           ("matmul.allow_tf32", lambda: torch.backends.cuda.matmul.allow_tf32),
                           ("matmul_precision", torch.get_float32_matmul_precision)]:
            try:
                out[name] = read()
            except RuntimeError:
                out[name] = "raises"
        return out

    def forked(body):
        # A fresh copy of this process's flags: what one process does cannot be undone from Python.
        read, write = os.pipe()
        if os.fork() == 0:
            os.close(read)
            os.write(write, json.dumps(body()).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as f:
            out = json.loads(f.read())
        os.wait()
        return out

    def scenario(settings, span):
        def body():
            exec(settings)  # the user's settings
            result = {"before": state()}
            if span:
                precision.enter()
                result["inside"] = state()
                precision.leave()
            result["after"] = state()
            # What the user's later settings reach: an inheriting key must still inherit.
            torch.backends.fp32_precision = "ieee"
            result["later"] = state()
            return result
        return forked(body)

    settings = json.loads(sys.argv[1])
    print(json.dumps({name: {"guarded": scenario(code, True), "unguarded": scenario(code, False)}
                      for name, code in settings.items()}))
    """
)

USER_SETTINGS = {
    "torch's defaults": "",
    "legacy cudnn off": "torch.backends.cudnn.allow_tf32 = False",
    "legacy matmul high": "torch.set_float32_matmul_precision('high')",
    "legacy matmul on": "torch.backends.cuda.matmul.allow_tf32 = True",
    "new api conv tf32": "torch.backends.cudnn.conv.fp32_precision = 'tf32'",
    "new api cuda all tf32": "torch.backends.cuda.matmul.fp32_precision = 'tf32'; torch.backends.cudnn.fp32_precision = 'tf32'",
    "new api generic tf32": "torch.backends.fp32_precision = 'tf32'",
}


@pytest.fixture(scope="module")
def probes() -> dict:
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(USER_SETTINGS)], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(USER_SETTINGS))
def test_a_guarded_span_is_exact_inside_and_leaves_torch_flags_as_they_were(probes, name):
    guarded, unguarded = probes[name]["guarded"], probes[name]["unguarded"]
    assert guarded["inside"]["cuda/conv"] == "ieee" and guarded["inside"]["cuda/matmul"] == "ieee"
    assert guarded["after"] == guarded["before"] == unguarded["before"]
    # The raw state too, not just what the getters resolve: later settings reach the same keys as without us.
    assert guarded["later"] == unguarded["later"]


def _flags() -> tuple[str, str, str, str]:
    return (
        torch.backends.fp32_precision,
        torch.backends.cudnn.conv.fp32_precision,
        torch.backends.cuda.matmul.fp32_precision,
        torch.backends.cudnn.fp32_precision,
    )


def test_the_guard_costs_no_legacy_flag_and_restores_in_process():
    before, legacy = _flags(), (torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision())
    seen = []
    run = precision.full_float32(lambda x: seen.append(_flags()) or x * 2)
    run(torch.ones(2))
    assert seen == [("ieee", "ieee", "ieee", "ieee")]
    assert _flags() == before
    assert (torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()) == legacy


def test_spans_nest_and_the_last_one_restores():
    before = _flags()
    precision.enter()
    precision.enter()
    precision.leave()
    assert torch.backends.cudnn.conv.fp32_precision == "ieee", "an inner span must not end the outer one"
    precision.leave()
    assert _flags() == before


def test_concurrent_spans_keep_the_flags_until_the_last_ends():
    before, inside, go, done = _flags(), [], threading.Event(), threading.Event()

    def other():
        precision.enter()
        go.set()
        done.wait(5)
        inside.append(torch.backends.cudnn.conv.fp32_precision)
        precision.leave()

    thread = threading.Thread(target=other)
    thread.start()
    go.wait(5)
    precision.enter()
    precision.leave()  # this span ends first: the other thread's call is still running
    done.set()
    thread.join(5)
    assert inside == ["ieee"]
    assert _flags() == before


def test_an_exception_inside_the_call_still_restores():
    before = _flags()

    def fails(x):
        raise RuntimeError("kernel failed")

    with pytest.raises(RuntimeError, match="kernel failed"):
        precision.full_float32(fails)(torch.ones(1))
    assert _flags() == before


def test_the_backward_of_a_guarded_call_runs_with_tf32_off_too():
    """The convolution's backward node runs under the guard (checked by a hook registered after ours)."""
    before = _flags()
    x = torch.randn(1, 2, 6, requires_grad=True)
    w = torch.randn(3, 2, 3, requires_grad=True)
    y = precision.full_float32(lambda x, w: F.conv1d(x, w).relu())(x, w)
    seen = []
    nodes = precision.computing_nodes(y, (x, w))
    assert [type(n).__name__ for n in nodes] == ["ConvolutionBackward0"]
    nodes[0].register_prehook(lambda grads: seen.append(_flags()))
    assert _flags() == before, "between forward and backward, the user's flags"
    y.sum().backward()
    assert seen == [("ieee", "ieee", "ieee", "ieee")]
    assert _flags() == before
    expected = torch.autograd.grad(F.conv1d(x, w).relu().sum(), (x, w))
    torch.testing.assert_close((x.grad, w.grad), expected, rtol=0, atol=0)


def test_enabling_tf32_runs_the_call_under_torch_flags():
    seen = []
    run = precision.full_float32(lambda x: seen.append(torch.backends.cudnn.conv.fp32_precision) or x)
    with config.tf32():
        run(torch.ones(1))
    run(torch.ones(1))
    assert seen == [torch.backends.cudnn.conv.fp32_precision, "ieee"]


@pytest.mark.parametrize(
    "make, inputs, name",
    [
        (lambda: cl.Conv2D(3, 3), (2, 5, 5, 2), "ConvolutionBackward0"),
        (lambda: cl.Dense(4), (2, 3, 5), "AddmmBackward0"),
        (lambda: cl.LocallyConnected1D(2, 3), (2, 6, 3), "BmmBackward0"),
    ],
)
def test_the_walk_finds_each_family_computing_node(make, inputs, name):
    layer = make()
    x = torch.randn(inputs, requires_grad=True)
    y = layer(x)
    assert [type(n).__name__ for n in precision.computing_nodes(y, (x,) + tuple(layer.parameters()))] == [name]


def test_the_walk_finds_the_transposed_convolution_of_the_cuda_plan():
    """On CUDA torch's autograd differentiates a transposed window (no custom backward): one convolution node."""
    run = ops.conv_transpose_call((6,), (3, 2, 3), ((0, 12),), (2,), (1,), 1, True, "cuda", torch.float32)
    x, w = torch.randn(2, 6, 3, requires_grad=True), torch.randn(3, 2, 3, requires_grad=True)
    y = run(x, w, None)
    assert [type(n).__name__ for n in precision.computing_nodes(y, (x, w))] == ["ConvolutionBackward0"]


def test_the_walk_stops_at_the_inputs_own_history():
    w = torch.randn(3, 2, 3, requires_grad=True)
    x = F.conv1d(torch.randn(1, 2, 8), w)  # an earlier convolution: not this call's
    y = F.conv1d(x, torch.randn(2, 3, 3))
    assert len(precision.computing_nodes(y, (x,))) == 1
    assert len(precision.computing_nodes(y, ())) == 2


def test_only_cuda_float32_calls_are_guarded():
    step = lambda x: x  # noqa: E731
    assert precision.where_needed("cpu", torch.float32, step) is step
    assert precision.where_needed("meta", torch.float32, step) is step
    assert precision.where_needed("cuda", torch.bfloat16, step) is step
    assert precision.where_needed("cuda", torch.float64, step) is step
    assert precision.where_needed("cuda", torch.float32, step) is not step


def test_the_config_switch():
    assert config.is_tf32_enabled() is False
    config.enable_tf32()
    try:
        assert config.is_tf32_enabled() is True
    finally:
        config.disable_tf32()
    assert config.is_tf32_enabled() is False
    with config.tf32():
        with config.tf32(False):
            assert config.is_tf32_enabled() is False
        assert config.is_tf32_enabled() is True
    assert config.is_tf32_enabled() is False
    with pytest.raises(TypeError, match=r"convlayers.config.tf32: `enabled` must be True or False; received 'yes'"):
        with config.tf32("yes"):
            pass


@pytest.mark.parametrize("value, enabled", [("1", True), ("true", True), ("0", False), ("", False)])
def test_the_environment_variable_sets_the_default(value, enabled):
    env = {**os.environ, "PYTHONPATH": SRC, "CONVLAYERS_TF32": value}
    out = subprocess.run([sys.executable, "-c", "import convlayers; print(convlayers.config.is_tf32_enabled())"],
                         capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == str(enabled)
