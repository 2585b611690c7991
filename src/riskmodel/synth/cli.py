"""``riskmodel synth --out DIR [--seed N] [--scale small|county|large]``."""

from __future__ import annotations

import argparse
import time

from riskmodel.synth import generate


def synth_command(args: argparse.Namespace) -> int:
    """Write the synthetic county and print what was written."""
    started = time.perf_counter()
    summary = generate(args.out, seed=int(args.seed), scale=str(args.scale))
    seconds = time.perf_counter() - started
    print(
        f"synthetic county (seed {summary['seed']}, scale {summary['scale']}) -> {args.out}"
        f" in {seconds:.1f} s"
    )
    for table, rows in summary["tables"].items():
        print(
            f"  {table:<17} {rows:>10,} rows  {summary['files'][table]}"
            f"  [{summary['encodings'][table]}]"
        )
    planted = sum(summary["schemes"].values())
    print(
        f"  planted {planted} scheme instances in {len(summary['schemes'])} schemes; "
        f"{sum(summary['lookalikes'].values())} look-alikes; truth in {args.out}/_truth/"
    )
    return 0
