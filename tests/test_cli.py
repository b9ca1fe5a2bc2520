"""The ``convlayers`` command: help, ``summary FILE``, ``bench`` dispatch, and argument errors."""

import subprocess
import sys
from pathlib import Path

import pytest

import convlayers
from convlayers import cli
from convlayers.io import save_model


def tiny_model():
    from convlayers.models import Sequential

    return Sequential(
        [convlayers.Input((8, 8, 1)), convlayers.Conv2D(4, 3, name="first_conv"), convlayers.Flatten(), convlayers.Dense(10, name="head")],
        name="tiny",
    )


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: convlayers [-h] COMMAND ...")
    for command in ("demo", "summary", "bench"):
        assert f"\n    {command} " in out


def test_demo_help_shows_the_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    out = capsys.readouterr().out
    assert " ".join(out.split()).startswith("usage: convlayers demo [-h] [--epochs N] [--out DIR] [--seed SEED] [--threads N]")
    assert "training epochs (default: 25)" in out


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run([sys.executable, "-m", "convlayers", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: convlayers")


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([])
    assert exit_.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-3"])
def test_demo_rejects_non_positive_epochs(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["demo", "--epochs", value])
    assert exit_.value.code == 2
    assert f"argument --epochs: must be a positive integer, received {value}" in capsys.readouterr().err


def test_demo_without_its_dependencies_says_what_to_install(capsys, monkeypatch):
    real_find_spec = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None if name == "sklearn" else real_find_spec(name))
    assert cli.main(["demo"]) == 2
    assert capsys.readouterr().err == (
        "convlayers demo: error: the demo needs scikit-learn and matplotlib; missing: sklearn. "
        "Install them with: pip install 'convlayers[demo]' (or run `make demo`).\n"
    )


def test_summary_prints_the_saved_models_table(tmp_path, capsys):
    model = tiny_model()
    save_model(model, tmp_path / "tiny.safetensors")
    assert cli.main(["summary", str(tmp_path / "tiny.safetensors")]) == 0
    out = capsys.readouterr().out
    assert out.startswith('Model: "tiny"')
    assert "first_conv (Conv2D)" in out and "(None, 6, 6, 4)" in out
    assert "head (Dense)" in out
    assert f"Total params: {model.count_params():,}" in out


def test_summary_of_a_saved_layer_prints_one_line(tmp_path, capsys):
    layer = convlayers.Conv2D(4, 3, name="lone")
    layer.build((None, 8, 8, 2))
    save_model(layer, tmp_path / "layer.safetensors")
    assert cli.main(["summary", str(tmp_path / "layer.safetensors")]) == 0
    assert capsys.readouterr().out == "Conv2D 'lone': input (None, 8, 8, 2) -> output (None, 6, 6, 4), 76 parameters\n"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file."),
        (b"", "the file is empty (0 bytes)."),
        (b"not a model at all", "it is not a safetensors file, or it is truncated: the header claims"),
    ],
)
def test_summary_of_a_bad_file_fails_with_the_reason(tmp_path, capsys, content, message):
    path = tmp_path / "bad.safetensors"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["summary", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"convlayers summary: error: Cannot load a model from '{path}': {message}")


def test_bench_runs_python_dash_m_bench_from_the_checkout(tmp_path, monkeypatch):
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    (bench / "__main__.py").write_text(
        "import os, sys\n"
        "open('ran.txt', 'w').write(os.getcwd() + '|' + ' '.join(sys.argv[1:]))\n"
        "sys.exit(3)\n"
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "--quick", "conv"]) == 3  # the benchmark's own exit status
    cwd, args = (tmp_path / "ran.txt").read_text().split("|")
    assert Path(cwd) == tmp_path and args == "--quick conv"


def test_bench_without_a_bench_folder_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_SOURCE_ROOT", tmp_path / "installed")
    assert cli.main(["bench"]) == 2
    assert capsys.readouterr().err == (
        f"convlayers bench: error: no bench/ folder in {tmp_path} or {tmp_path / 'installed'}. The benchmarks ship "
        f"with the source checkout: run `convlayers bench` (or `make bench`) from its root.\n"
    )


def test_unknown_arguments_are_errors_outside_bench(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["summary", "model.safetensors", "--bogus"])
    assert exit_.value.code == 2
    assert "convlayers: error: unrecognized arguments: --bogus" in capsys.readouterr().err


def test_demo_out_onto_an_existing_file_is_one_line(tmp_path, capsys):
    existing = tmp_path / "taken.txt"
    existing.write_text("keep me")
    assert cli.main(["demo", "--out", str(existing), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err == f"convlayers demo: error: `out` must be a folder; {str(existing)!r} is an existing file.\n"
    assert existing.read_text() == "keep me"


def test_demo_out_where_no_folder_can_be_made_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["demo", "--out", str(blocker / "sub"), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"convlayers demo: error: cannot create the output folder {str(blocker / 'sub')!r}: Not a directory")


def test_bench_help_is_the_benchmarks_own(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command, cwd: calls.append(command) or 0)
    assert cli.main(["bench", "--help"]) == 0
    assert calls == [[sys.executable, "-m", "bench", "--help"]]


def test_the_benchmark_parser_documents_its_options(capsys):
    from bench.cli import parse

    with pytest.raises(SystemExit):
        parse(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m bench") and "--filter" in out


ROOT = Path(__file__).resolve().parents[1]


def test_make_help_lists_every_target():
    result = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    targets = [line.split()[0] for line in result.stdout.splitlines()]
    assert targets == ["help", "install", "install-test", "demo", "test", "fuzz", "bench", "bench-peers", "clean"]


def test_bench_peers_gives_pip_one_plain_requirement_per_line(tmp_path):
    from packaging.requirements import Requirement

    peers = tmp_path / "peers"
    subprocess.run(["make", "-s", f"PEERS={peers}", f"{peers}/requirements.txt"], cwd=ROOT, check=True, capture_output=True)
    lines = (peers / "requirements.txt").read_text().split()
    names = [Requirement(line).name for line in lines]  # a quoted line would not parse
    assert names == ["tensorflow-cpu", "jax"]
