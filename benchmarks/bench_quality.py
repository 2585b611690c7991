"""Detection quality on the synthetic county, over several seeds, in-process.

For each seed: synth → load → kinship / crosswalk → graph + official links (when the graph
package is present) → rules → detectors → scores → leads, then ``evaluate``. Prints per-scheme
recall within the top N leads, precision@50/@100, look-alikes in the top 100, village AUC, and
the seconds each stage took.

    .venv/bin/python benchmarks/bench_quality.py --seeds 1 2 3 --scale small
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodel.config import load_config
from riskmodel.evaluate import evaluate_frames, format_result, load_truth, score_data_folder


def write_synthetic(out: Path, seed: int, scale: str) -> None:
    """Write a synthetic county with its ``_truth`` into ``out``."""
    cli = importlib.import_module("riskmodel.synth.cli")
    cli.synth_command(argparse.Namespace(out=str(out), seed=seed, scale=scale))


def evaluate_seed(seed: int, scale: str, top: int, work: Path) -> dict[str, Any]:
    """Synthesize, score and evaluate one seed."""
    config = load_config()
    data_dir = work / f"county-{scale}-{seed}"
    started = time.perf_counter()
    if not (data_dir / "_truth" / "planted.csv").exists():
        write_synthetic(data_dir, seed, scale)
    synth_seconds = time.perf_counter() - started
    outputs, timings = score_data_folder(data_dir, config)
    timings = {"synth": synth_seconds, **timings}
    truth = load_truth(data_dir / "_truth")
    result = evaluate_frames(outputs["leads"], outputs["scores"].get("village"), truth, top=top)
    result["timings"] = timings
    result["outputs"] = outputs
    result["truth"] = truth
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--top", type=int, default=200)
    parser.add_argument("--work", default=None, help="folder for the synthetic counties")
    parser.add_argument(
        "--missed",
        action="store_true",
        help="list the instances not found and the deepest find (rank) per scheme",
    )
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="riskmodel-quality-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in args.seeds:
        print(f"== seed {seed} ({args.scale}) in {work}")
        result = evaluate_seed(seed, args.scale, args.top, work)
        print(format_result(result))
        print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["timings"].items()))
        if args.missed and result["missed"]:
            planted = result["truth"]["planted"].set_index("instance_id")
            print(planted.loc[result["missed"], ["scheme", "entity_type", "note"]].to_string())
        if args.missed:
            deepest = result["deepest_rank"]
            print(
                "deepest find per scheme (rank): "
                + ", ".join(f"{k} {'-' if v is None else v}" for k, v in sorted(deepest.items()))
            )
        row = {"seed": seed, **{f"recall:{k}": v for k, v in result["recall"].items()}}
        row.update(
            {
                "P@50": result["precision_at_50"],
                "P@100": result["precision_at_100"],
                "lookalikes@100": result["lookalikes_in_top_100"],
                "village_auc": result["village_auc"],
                "leads": result["leads"],
            }
        )
        row["deepest find"] = max(
            (v if v is not None else 10**6) for v in result["deepest_rank"].values()
        )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("seed")
    print("\n== summary over seeds (min / mean / max)")
    summary = pd.DataFrame({"min": table.min(), "mean": table.mean(), "max": table.max()})
    with pd.option_context("display.max_rows", 200, "display.width", 120):
        print(summary.round(3).to_string())
    targets = {
        "recall >= 0.95 per scheme": bool(
            (table.filter(like="recall:").min().min() >= 0.95) if len(table) else False
        ),
        "P@100 >= 0.9": bool(table["P@100"].min() >= 0.9),
        "no look-alike in top 100": bool(table["lookalikes@100"].max() == 0),
        "village AUC >= 0.95": bool(table["village_auc"].min() >= 0.95),
    }
    for name, met in targets.items():
        print(f"{'MET ' if met else 'MISS'} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
