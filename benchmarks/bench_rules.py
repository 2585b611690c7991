"""Time the rule catalogue alone at county scale: ``run_rules`` and the slowest rules.

Usage::

    printf '[pipeline]\\nkeep_work = true\\n' > /tmp/keep.toml
    .venv/bin/python benchmarks/bench_run.py data/county --out /tmp/county --config /tmp/keep.toml
    .venv/bin/python benchmarks/bench_rules.py /tmp/county/work

Reads the stage tables of a kept work folder (inputs, crosswalk, kinship, official links),
then prints the time to read them (not counted), the seconds of ``run_rules`` over the whole
catalogue, the slowest rules (a shared intermediate table is paid by the first rule that
needs it) and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work_dir")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--truth", help="DATA_DIR/_truth: check every planted instance is caught")
    args = parser.parse_args(argv)

    from riskmodel.config import load_config
    from riskmodel.pipeline.store import load_table, load_tables
    from riskmodel.rules import RuleContext, run_rules

    started = time.perf_counter()
    context = RuleContext(
        tables=load_tables(args.work_dir, "input"),
        crosswalk=load_table(args.work_dir, "crosswalk"),
        kinship=load_table(args.work_dir, "kinship"),
        official_links=load_table(args.work_dir, "official_links"),
    )
    print(f"read stage tables (not counted): {time.perf_counter() - started:.1f} s")
    rows = sum(len(table) for table in context.tables.values())
    started = time.perf_counter()
    run = run_rules(context, load_config())
    seconds = time.perf_counter() - started
    status = run.status
    ran = int((status["status"] == "ran").sum())
    print(
        f"run_rules: {seconds:.1f} s for {len(status)} rules ({ran} ran, "
        f"{int((status['status'] == 'skipped').sum())} skipped, "
        f"{int((status['status'] == 'failed').sum())} failed) over {rows:,} input rows; "
        f"{len(run.evidence):,} findings (target < 60 s)"
    )
    print(f"{'rule':<6}{'seconds':>9}{'findings':>10}  title")
    for row in status.sort_values("seconds", ascending=False).head(args.top).itertuples():
        print(f"{row.rule_id:<6}{row.seconds:>9.1f}{row.findings:>10}  {row.title}")
    if args.truth:
        report_caught(run.evidence, Path(args.truth))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MiB")
    return 0


def report_caught(evidence, truth: Path) -> None:
    """Planted instances caught by at least one rule whose evidence names the instance's
    entity (or names it among the related ids), per scheme; the misses listed."""
    import pandas as pd

    planted = pd.read_csv(truth / "planted.csv", dtype=str, keep_default_na=False)
    by_entity = set(evidence["entity_id"].astype(str))
    related = set()
    for value in evidence["related_ids"].astype(str):
        related.update(value.split(";"))
    rows = []
    for instance in planted.itertuples():
        ids = {instance.entity_id} | {x for x in instance.related_ids.split(";") if x}
        caught = bool(ids & by_entity) or instance.entity_id in related
        named = instance.entity_id in by_entity
        rows.append((instance.scheme, instance.instance_id, caught, named))
    table = pd.DataFrame(rows, columns=["scheme", "instance", "caught", "entity_named"])
    summary = table.groupby("scheme").agg(
        planted=("caught", "size"), caught=("caught", "sum"), named=("entity_named", "sum")
    )
    print(f"planted instances caught by a rule: {int(table['caught'].sum())}/{len(table)}")
    print(summary.to_string())
    missed = table[~table["caught"]]
    if len(missed):
        print("missed: " + ", ".join(f"{r.instance} ({r.scheme})" for r in missed.itertuples()))


if __name__ == "__main__":
    sys.exit(main())
