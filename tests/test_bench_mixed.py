"""The benchmark's mixed_bfloat16 table (bench/mixed.py): the CPU units line, the table in the report, --no-mixed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's bench/ package

from bench import cli, mixed, report  # noqa: E402


def test_cpu_units_reads_the_flags_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\nbugs\t\t: spectre\n")
    assert mixed.cpu_units(str(cpuinfo)) == {"avx512f": True, "avx512_bf16": True, "amx_tile": False, "amx_bf16": False}


def test_the_report_shows_the_mixed_table_and_the_units():
    row = {"name": "conv2d_3x3", "float32_ms": {"forward": 4.0, "train": 12.0}, "mixed_ms": {"forward": 2.0, "train": 8.0},
           "speedup": {"forward": 2.0, "train": 1.5}, "error": 0.004}
    run = {"engines": [], "workloads": [], "peak": {"gemm_gflops": 100.0},
           "mixed": {"units": {"avx512f": True, "amx_bf16": True}, "rows": [row]}}
    text = report.sections(run, report.text)
    assert "avx512f yes, avx512_bf16 no, amx_tile no, amx_bf16 yes" in text
    assert any(line.split() == ["conv2d_3x3", "4.00", "2.00", "2.00x", "12.00", "8.00", "1.50x", "4e-03"] for line in text.splitlines())
    assert "mixed_bfloat16" not in report.sections(dict(run, mixed=None), report.text)


def test_no_mixed_skips_the_table():
    assert cli.parse(["--no-mixed"]).no_mixed and not cli.parse([]).no_mixed
