"""Time loading and validation of a data folder, per table and for the whole folder.

For each table: the bare parse time of its file (pandas reading every cell as text: the
floor any loader pays), the full load + validate time (``riskmodel.io.load_table``), the
rows read, and the peak memory (VmHWM) of a fresh process doing it. Then the whole folder
through ``load_folder`` (issue 2: under 60 s and 6 GB at county scale on 2 cores).

Usage::

    python benchmarks/bench_load.py [DATA_DIR] [--json FILE] [--skip-tables]

DATA_DIR defaults to ``data/county``; when it does not exist it is generated with
``riskmodel synth --out data/county --scale county``. Each measurement runs in its own
subprocess, so peak memory is that of one job, not of the benchmark.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_memory_mb() -> float:
    """Peak resident memory of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_parse(path: Path) -> int:
    """Read ``path`` with pandas, every cell as text; return the number of rows."""
    import pandas as pd

    from riskmodel.io.encoding import detect_encoding
    from riskmodel.io.readers import sniff_format

    kind = sniff_format(path)
    if kind in ("xlsx", "xls"):
        frame = pd.read_excel(path, dtype=str, engine="calamine")
    elif kind == "parquet":
        frame = pd.read_parquet(path)
    else:
        encoding = detect_encoding(path).name
        frame = pd.read_csv(path, dtype=str, encoding=encoding, engine="pyarrow")
    return len(frame)


def run_one(data_dir: Path, table: str, mode: str) -> dict:
    """Measure one job in this process and return its figures (imports not timed)."""
    import pandas  # noqa: F401

    import riskmodel.io  # noqa: F401

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if mode == "folder":
        from riskmodel.io import load_folder

        result = load_folder(data_dir)
        rows = sum(report.read for report in result.reports.values())
        quarantined = sum(report.quarantined for report in result.reports.values())
        extra = {"quarantined": quarantined, "data_quality": len(result.data_quality)}
    else:
        from riskmodel.io.find import find_tables

        path = find_tables(data_dir).files[table]
        if mode == "bare":
            rows = bare_parse(path)
            extra = {"file": path.name, "mb": round(path.stat().st_size / 1e6, 1)}
        else:
            from riskmodel.io import load_table

            loaded = load_table(path, table, data_dir=data_dir)
            rows = loaded.report.read
            extra = {
                "quarantined": loaded.report.quarantined,
                "data_quality": len(loaded.data_quality),
            }
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime + usage.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "rows": rows,
        "peak_mb": round(peak_memory_mb()),
        **extra,
    }


def measure(data_dir: Path, table: str, mode: str) -> dict:
    """Run one measurement in a fresh subprocess."""
    command = [sys.executable, __file__, str(data_dir), "--one", table, "--mode", mode]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_county(data_dir: Path) -> None:
    """Generate the county-scale synthetic data when the folder does not exist."""
    if data_dir.exists():
        return
    print(f"{data_dir} not found: generating it (riskmodel synth --scale county) ...")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "riskmodel.cli",
            "synth",
            "--out",
            str(data_dir),
            "--scale",
            "county",
        ],
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default="data/county")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--skip-tables", action="store_true", help="only the whole folder")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir)
    if args.one is not None:
        print(json.dumps(run_one(data_dir, args.one, args.mode)))
        return 0
    ensure_county(data_dir)
    from riskmodel.io.find import find_tables
    from riskmodel.schemas import TABLES

    files = find_tables(data_dir).files
    figures: dict[str, dict] = {}
    header = (
        f"{'table':<17}{'file':<22}{'MB':>7}{'rows':>11}{'bare s':>8}{'full s':>8}"
        f"{'full cpu':>9}{'bare MB':>9}{'full MB':>9}{'quar.':>7}{'dq':>8}"
    )
    if not args.skip_tables:
        print(header)
        for table in (t.name for t in TABLES if t.name in files):
            bare = measure(data_dir, table, "bare")
            full = measure(data_dir, table, "full")
            figures[table] = {"bare": bare, "full": full}
            if "error" in bare or "error" in full:
                print(f"{table:<17}{bare.get('error', '')} {full.get('error', '')}")
                continue
            print(
                f"{table:<17}{bare['file'][:20]:<22}{bare['mb']:>7}{full['rows']:>11,}"
                f"{bare['seconds']:>8}{full['seconds']:>8}{full['cpu_seconds']:>9}"
                f"{bare['peak_mb']:>9}"
                f"{full['peak_mb']:>9}{full['quarantined']:>7}{full['data_quality']:>8}",
                flush=True,
            )
        bare_total = sum(f["bare"].get("seconds", 0) for f in figures.values())
        full_total = sum(f["full"].get("seconds", 0) for f in figures.values())
        print(f"{'sum':<17}{'':<22}{'':>7}{'':>11}{bare_total:>8.1f}{full_total:>8.1f}")
    folder = measure(data_dir, "_folder", "folder")
    figures["_folder"] = folder
    if "error" in folder:
        print(f"load_folder failed: {folder['error']}")
    else:
        print(
            f"load_folder (all tables, one process): {folder['seconds']} s wall, "
            f"{folder['cpu_seconds']} s CPU, "
            f"{folder['rows']:,} rows, peak {folder['peak_mb']:,} MB, "
            f"{folder['quarantined']} quarantined, {folder['data_quality']} data-quality rows"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
