"""The ``convlayers`` command: ``demo``, ``summary FILE`` and ``bench``."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .demo import EPOCHS, run_demo
from .io import ModelFileError, load_model

_SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout root when installed from source


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    >>> main(["summary", "no-such-model.safetensors"])
    1
    """
    parser = _parser()
    # Unknown arguments belong to the benchmark when the command is `bench`, and are errors otherwise.
    args, extra = parser.parse_known_args(argv)
    if extra and args.handler is not _bench:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.bench_args = extra
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convlayers",
        description="Convolutional layers of Keras 1/2/3, DL4J and Wolfram on PyTorch.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="train a small CNN on scikit-learn's digits, plot it, save and reload it",
        description="Train a CNN of conv, separable conv and pooling layers on scikit-learn's 8x8 digits; "
        "write the training-history plot, the kernel grid and the saved model to --out; reload the "
        "model and check its predictions are identical. Exits 1 if they are not.",
    )
    demo.add_argument("--epochs", type=_positive_int, default=EPOCHS, metavar="N", help=f"training epochs (default: {EPOCHS})")
    demo.add_argument("--out", type=Path, default=Path("demo-output"), metavar="DIR", help="output folder (default: demo-output/)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--threads", type=_positive_int, default=1, metavar="N", help="torch threads (default: 1, fastest for this small net)")
    demo.set_defaults(handler=_demo)

    summary = commands.add_parser(
        "summary",
        help="print the summary of a saved model file",
        description="Load a model saved with `model.save(path)` / `convlayers.io.save_model` and print its summary table.",
    )
    summary.add_argument("file", type=Path, metavar="FILE", help="a model file written by convlayers")
    summary.set_defaults(handler=_summary)

    # No help of its own: `convlayers bench --help` shows the benchmark's options.
    bench = commands.add_parser(
        "bench",
        add_help=False,
        help="run the benchmarks (python -m bench in the source checkout)",
        description="Run `python -m bench` from the checkout root (the current folder, or the one convlayers "
        "was installed from). Any further arguments go to the benchmark: `convlayers bench ARGS...` (`--help` lists them).",
    )
    bench.set_defaults(handler=_bench)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, received {text}")
    return value


def _demo(args: argparse.Namespace) -> int:
    missing = [module for module in ("sklearn", "matplotlib") if importlib.util.find_spec(module) is None]
    if missing:
        print(
            f"convlayers demo: error: the demo needs scikit-learn and matplotlib; missing: {', '.join(missing)}. "
            f"Install them with: pip install 'convlayers[demo]' (or run `make demo`).",
            file=sys.stderr,
        )
        return 2
    try:
        result = run_demo(epochs=args.epochs, out=args.out, seed=args.seed, threads=args.threads)
    except ValueError as error:  # an unusable --out, found before training
        print(f"convlayers demo: error: {str(error).removeprefix('run_demo: ')}", file=sys.stderr)
        return 2
    return 0 if result.reload_identical else 1


def _summary(args: argparse.Namespace) -> int:
    try:
        model = load_model(args.file)
    except (FileNotFoundError, ModelFileError) as error:
        print(f"convlayers summary: error: {error}", file=sys.stderr)
        return 1
    if hasattr(model, "summary"):
        model.summary()
    else:  # a single saved layer has no summary table: describe it in one line
        shape = model.build_input_shape
        print(
            f"{type(model).__name__} {model.name!r}: input {shape} -> output "
            f"{model.compute_output_shape(shape)}, {model.count_params():,} parameters"
        )
    return 0


def _bench(args: argparse.Namespace) -> int:
    roots = [root for root in (Path.cwd(), _SOURCE_ROOT) if (root / "bench").is_dir()]
    if not roots:
        print(
            f"convlayers bench: error: no bench/ folder in {Path.cwd()} or {_SOURCE_ROOT}. The benchmarks ship "
            f"with the source checkout: run `convlayers bench` (or `make bench`) from its root.",
            file=sys.stderr,
        )
        return 2
    return subprocess.call([sys.executable, "-m", "bench", *args.bench_args], cwd=roots[0])
