"""Tables of a benchmark run: the console text, the Markdown file and the JSON record."""

from __future__ import annotations

import json
from pathlib import Path

TORCH = ("torch_nchw", "torch_cl")
PEERS = ("tensorflow", "jax")
MODES = ("forward", "train")


def _ms(entry: dict | None, mode: str) -> float | None:
    return None if entry is None else entry.get(f"{mode}_ms")


def _ratio(num: float | None, den: float | None) -> str:
    return "-" if not num or not den else f"{num / den:.2f}x"


def _best(engines: dict, names: tuple[str, ...], mode: str) -> tuple[str | None, float | None]:
    timed = [(engines[n][f"{mode}_ms"], n) for n in names if n in engines and engines[n].get(f"{mode}_ms")]
    if not timed:
        return None, None
    ms, name = min(timed)
    return name, ms


def mode_table(run: dict, mode: str) -> list[list[str]]:
    """Rows: workload, each engine's ``ms (GFLOP/s)``, then convlayers' speedups."""
    names = run["engines"]
    head = ["workload"] + names
    peak = run["peak"].get("nominal_gflops") or run["peak"]["gemm_gflops"]
    head += ["vs best torch", "vs best peer"] if mode == "forward" else ["vs torch_nchw", "vs best torch", "vs best peer"]
    head += ["convlayers % of peak", "foreign load"]
    rows = [head]
    for item in run["workloads"]:
        engines = item["engines"]
        flops = item["train_flops" if mode == "train" else "flops"]
        row = [item["name"]]
        for name in names:
            ms = _ms(engines.get(name), mode)
            row.append("-" if ms is None else f"{ms:.2f} ({flops / ms / 1e6:.0f})")
        ours = _ms(engines.get("convlayers"), mode)
        best_torch, best_peer = _best(engines, TORCH, mode)[1], _best(engines, PEERS, mode)[1]
        if mode == "train":
            row.append(_ratio(_ms(engines.get("torch_nchw"), mode), ours))
        row += [_ratio(best_torch, ours), _ratio(best_peer, ours)]
        row += ["-" if not ours else f"{flops / ours / 1e6 / peak:.0%}", f"{item['foreign_load'].get(mode, 0):.0%}"]
        rows.append(row)
    return rows


def first_call_table(run: dict) -> list[list[str]]:
    """Rows: workload, each engine's first forward / first training call in ms."""
    rows = [["workload"] + [f"{n} fwd / train" for n in run["engines"]]]
    for item in run["workloads"]:
        row = [item["name"]]
        for name in run["engines"]:
            e = item["engines"].get(name)
            row.append("-" if not e or "first_forward_ms" not in e else f"{e['first_forward_ms']:.0f} / {e['first_train_ms']:.0f}")
        rows.append(row)
    return rows


def check_table(run: dict) -> list[list[str]]:
    """Rows: workload, each engine's max relative difference from convlayers (output / input grad)."""
    rows = [["workload"] + run["engines"]]
    for item in run["workloads"]:
        row = [item["name"]]
        for name in run["engines"]:
            e = item["engines"].get(name)
            row.append("-" if not e or "error_forward" not in e else f"{e['error_forward']:.0e} / {e['error_train']:.0e}")
        rows.append(row)
    return rows


def targets(run: dict) -> list[str]:
    """How many workloads meet each target of issue 5 (ratios from this run, no noise margin)."""
    checks = {
        "forward >= best hand-written torch": lambda e: (_best(e, TORCH, "forward")[1], _ms(e.get("convlayers"), "forward"), 1.0),
        "training step >= 2x torch_nchw": lambda e: (_ms(e.get("torch_nchw"), "train"), _ms(e.get("convlayers"), "train"), 2.0),
        "training step >= best peer": lambda e: (_best(e, PEERS, "train")[1], _ms(e.get("convlayers"), "train"), 1.0),
    }
    lines = []
    for label, measure in checks.items():
        met, missed = [], []
        for item in run["workloads"]:
            other, ours, goal = measure(item["engines"])
            if other and ours:
                (met if other / ours >= goal else missed).append(item["name"])
        if met or missed:
            lines.append(f"{label}: {len(met)}/{len(met) + len(missed)}" + (f" (not: {', '.join(missed)})" if missed else ""))
    return lines


def text(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(rows[0]) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def sections(run: dict, render) -> str:
    """Every table of ``run``, rendered with ``render`` (:func:`text` or :func:`markdown`)."""
    peak = run["peak"]
    parts = [
        "Forward, ms (GFLOP/s); speedup = other / convlayers, > 1 means convlayers is faster",
        render(mode_table(run, "forward")),
        "",
        "Training step (forward + input, kernel and bias gradients from a dense upstream gradient), ms (GFLOP/s)",
        render(mode_table(run, "train")),
        "",
        "First call, ms (tracing, compilation, primitive creation). The in-process engines share oneDNN's"
        " kernel cache: convlayers runs first and pays its JIT code generation for each shape.",
        render(first_call_table(run)),
        "",
        "Max relative difference from convlayers: forward output / input gradient",
        render(check_table(run)),
        "",
        f"Peak: best FP32 GEMM (torch.mm, square 1024-2048) {peak['gemm_gflops']:.0f} GFLOP/s"
        + (f"; nominal {peak['nominal_gflops']:.0f} GFLOP/s (--nominal-peak), used for '% of peak'"
           if peak.get("nominal_gflops") else ", used for '% of peak' (a GEMM is a lower bound of the peak)"),
        "Foreign load: share of the cores other processes used while timing; above ~10% the numbers are unreliable.",
        "",
        "Targets met in this run:",
        *targets(run),
    ]
    if run.get("overhead"):
        from .overhead import table

        parts += [
            "",
            "Per-call overhead, one thread, no_grad, us per call (median of interleaved rounds); convlayers on"
            " channels-last data, its torch module on channels-first data. Issue 9's target: Conv2D <= 1.25.",
            render(table(run["overhead"])),
        ]
    if run.get("mixed"):
        from .mixed import table as mixed_table, units_line

        parts += [
            "",
            "mixed_bfloat16 against float32: the same convlayers layer, float32 weights, bfloat16 compute; ms (median of"
            " interleaved rounds) and speedup = float32 / mixed (> 1: mixed is faster); max relative difference of the"
            " forward output.",
            units_line(run["mixed"]["units"]),
            render(mixed_table(run["mixed"]["rows"])),
        ]
    for item in run["workloads"]:
        for name, why in item.get("skipped", {}).items():
            parts.append(f"skipped {name} on {item['name']}: {why}")
    for line in run.get("notes", []):
        parts.append(line)
    return "\n".join(parts)


def save(run: dict, directory: Path) -> tuple[Path, Path]:
    """Write ``bench-<stamp>.json`` and ``.md`` (and ``latest.*`` copies) under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"bench-{run['stamp']}"
    body = json.dumps(run, indent=1)
    md = f"# convlayers benchmark {run['stamp']}\n\n{run['machine']}\n\n```\n{sections(run, text)}\n```\n\n{sections(run, markdown)}\n"
    for path, content in ((stem.with_suffix(".json"), body), (stem.with_suffix(".md"), md),
                          (directory / "latest.json", body), (directory / "latest.md", md)):
        path.write_text(content)
    return stem.with_suffix(".json"), stem.with_suffix(".md")
