"""A TensorFlow or JAX engine in its own process, driven by JSON lines on stdin/stdout.

Run by :mod:`bench.peers` as ``python -m bench.peer tensorflow|jax`` with the
peers' interpreter. Requests and replies (one JSON object a line):

- ``{"cmd": "setup", "workload": {...}, "data": "x.npz", "out": "dir"}`` builds the
  workload from the same arrays, times the first forward and training calls
  (tracing, compilation) and saves their results for validation;
  replies ``{"first_ms": {...}, "result": {"forward": path, "train": path}, "info": str}``.
- ``{"cmd": "time", "mode": "forward"|"train", "calls": n, "warm": s}`` runs one
  :func:`~bench.timing.turn` and replies ``{"seconds": [...]}``.
- ``{"cmd": "quit"}``.

Every reply carries ``cpu`` (CPU seconds this process used since the last
reply), so the parent does not count it as foreign load, or ``error``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

import numpy as np

from .timing import turn
from .workloads import Workload


def _tf_engine(w: Workload, a: dict[str, np.ndarray]):
    import tensorflow as tf

    s, d = w.strides, w.dilation
    consts = {k: tf.constant(v) for k, v in a.items()}

    def conv(x, kernel, bias):
        if w.padding == "causal":
            x = tf.pad(x, [[0, 0], [(w.kernel - 1) * d, 0], [0, 0]])
        y = tf.nn.convolution(x, kernel, strides=s, padding="VALID" if w.padding != "same" else "SAME", dilations=d)
        return tf.nn.bias_add(y, bias)

    def depthwise(x, kernel, bias):
        y = tf.nn.depthwise_conv2d(x, kernel, [1, s, s, 1], "SAME", dilations=[d, d])
        return tf.nn.bias_add(y, bias)

    def separable(x, dw, pw, bias):
        y = tf.nn.separable_conv2d(x, dw, pw, [1, s, s, 1], "SAME", dilations=[d, d])
        return tf.nn.bias_add(y, bias)

    def transpose(x, kernel, bias):
        y = tf.nn.conv_transpose(x, kernel, w.output_shape(), strides=s, padding="SAME")
        return tf.nn.bias_add(y, bias)

    fn = {"conv": conv, "depthwise": depthwise, "separable": separable, "transpose": transpose}[w.kind]
    inputs = [consts["x"]] + [consts[k] for k in w.weight_shapes()]
    dy = consts["dy"]

    def make(jit: bool):
        forward = tf.function(fn, jit_compile=jit)

        @tf.function(jit_compile=jit)
        def train(*args):
            with tf.GradientTape() as tape:
                tape.watch(args)
                y = fn(*args)
            # Returning y keeps the forward pass: a conv's gradients do not need it, and the
            # graph optimizer would prune it, timing only the backward pass.
            return y, tape.gradient(y, args, output_gradients=dy)

        return (lambda: forward(*inputs)), (lambda: train(*inputs))

    forward, train = make(jit=False)
    try:
        forward()
        info = "tf.function"
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError) as err:
        # TF's CPU kernels lack some convs (grouped); Keras's TF backend compiles those with XLA too.
        forward, train = make(jit=True)
        info = f"tf.function(jit_compile=True): {type(err).__name__}"
    return forward, train, (lambda y: np.asarray(y)), (lambda out: np.asarray(out[1][0])), info


def _jax_engine(w: Workload, a: dict[str, np.ndarray]):
    import jax
    import jax.numpy as jnp
    from jax import lax

    r, s, d = w.rank, w.strides, w.dilation
    spatial = "DHW"[3 - r :]
    dims = ("N" + spatial + "C", spatial + "IO", "N" + spatial + "C")
    arrays = {k: jnp.asarray(v) for k, v in a.items()}

    def padding():
        if w.padding == "causal":
            return [((w.kernel - 1) * d, 0)] * r
        return w.padding.upper()

    def conv(x, kernel, bias, groups=w.groups):
        y = lax.conv_general_dilated(x, kernel, (s,) * r, padding(), rhs_dilation=(d,) * r,
                                     dimension_numbers=dims, feature_group_count=groups)
        return y + bias if bias is not None else y

    def depthwise(x, kernel, bias):
        return conv(x, kernel.reshape(kernel.shape[:r] + (1, -1)), bias, groups=w.channels)

    def separable(x, dw, pw, bias):
        h = depthwise(x, dw, None)
        return lax.conv_general_dilated(h, pw, (1,) * r, "VALID", dimension_numbers=dims) + bias

    def transpose(x, kernel, bias):
        # TF's 'same': lhs-dilate by the stride, correlate with the flipped kernel (k, out, in).
        span = (w.kernel - 1) * d
        before = max(span + 1 - s, 0) // 2
        pads = [(span - before, s - 1 + before)] * r
        flipped = jnp.flip(kernel, axis=tuple(range(r)))
        y = lax.conv_general_dilated(x, flipped, (1,) * r, pads, lhs_dilation=(s,) * r, rhs_dilation=(d,) * r,
                                     dimension_numbers=("N" + spatial + "C", spatial + "OI", "N" + spatial + "C"))
        return y + bias

    fn = {"conv": conv, "depthwise": depthwise, "separable": separable, "transpose": transpose}[w.kind]
    inputs = [arrays["x"]] + [arrays[k] for k in w.weight_shapes()]
    dy = arrays["dy"]
    def step(dy, *args):
        # The output is returned so that XLA keeps the forward pass (the gradients don't need it).
        y, pullback = jax.vjp(fn, *args)
        return y, pullback(dy)

    forward_jit, train_jit = jax.jit(fn), jax.jit(step)
    forward = lambda: forward_jit(*inputs).block_until_ready()
    train = lambda: jax.block_until_ready(train_jit(dy, *inputs))
    return forward, train, (lambda y: np.asarray(y)), (lambda out: np.asarray(out[1][0])), f"jax.jit on {jax.devices()[0].platform}"


ENGINES = {"tensorflow": _tf_engine, "jax": _jax_engine}


def versions(name: str) -> str:
    if name == "tensorflow":
        import tensorflow as tf

        return f"tensorflow {tf.__version__}"
    import jax

    return f"jax {jax.__version__}"


def serve(name: str) -> None:
    """Answer requests until ``quit`` or end of input."""
    # Replies go to the original stdout; anything a library prints goes to stderr.
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    state: dict = {}
    cpu = time.process_time()

    def reply(obj: dict) -> None:
        nonlocal cpu
        now = time.process_time()
        replies.write(json.dumps({**obj, "cpu": now - cpu}) + "\n")
        cpu = now

    reply({"ready": versions(name)})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["cmd"] == "quit":
                break
            if request["cmd"] == "setup":
                w = Workload.from_json(request["workload"])
                with np.load(request["data"]) as data:
                    arrays = {k: data[k] for k in data.files}
                forward, train, out_y, out_g, info = ENGINES[name](w, arrays)
                first, results = {}, {}
                for mode, fn, convert in (("forward", forward, out_y), ("train", train, out_g)):
                    begin = time.perf_counter()
                    value = fn()
                    first[mode] = (time.perf_counter() - begin) * 1e3
                    results[mode] = os.path.join(request["out"], f"{name}_{mode}.npy")
                    np.save(results[mode], convert(value))
                state = {"forward": forward, "train": train}
                reply({"first_ms": first, "result": results, "info": info})
            elif request["cmd"] == "time":
                reply({"seconds": turn(state[request["mode"]], request["calls"], request["warm"])})
            else:
                reply({"error": f"unknown command {request['cmd']!r}"})
        except Exception as err:  # reported to the parent, which skips this engine for the workload
            reply({"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc(limit=3)})


if __name__ == "__main__":
    serve(sys.argv[1])
