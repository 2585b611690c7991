"""Time the whole scheduled job on a data folder: per-stage seconds and peak memory.

Usage::

    .venv/bin/python benchmarks/bench_run.py DATA_DIR [--out benchmarks/out/run] [--period auto]
        [--baseline]

Prints the per-stage timings from the run's manifest, the wall time, the peak resident
memory of this process and of the largest notebook kernel (each stage runs in its own
kernel), and with ``--baseline`` the time to parse the input files plainly (pandas'
``read_csv``/``read_excel``, every cell as text) and to load and validate them
(``riskmodel.io.load_folder``), each with the run / parse ratio (the issue's goal: ≤ 4×).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def peak_mib(who: int) -> float:
    """Peak resident memory (MiB) of this process or of its largest finished child."""
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def print_cell_timings(folder: Path) -> None:
    """Seconds per code cell of the executed notebooks in ``folder`` (a failure record)."""
    for path in sorted(folder.glob("*.ipynb")):
        cells = json.loads(path.read_text("utf-8"))["cells"]
        for cell in cells:
            meta = cell.get("metadata", {}).get("papermill", {})
            source = "".join(cell.get("source", "")).strip().splitlines()
            if cell["cell_type"] == "code" and meta.get("duration") and source:
                print(f"  {path.stem:<12} {meta['duration']:8.1f} s  {source[0][:60]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--out", default="benchmarks/out/run")
    parser.add_argument("--period", default=None)
    parser.add_argument("--theme", default=None)
    parser.add_argument("--config", default=None)
    parser.add_argument("--baseline", action="store_true", help="also time load_folder alone")
    args = parser.parse_args(argv)

    from riskmodel.pipeline import RunFailed, run_job

    started = time.perf_counter()
    try:
        out = run_job(
            args.data_dir, args.out, period=args.period, config_path=args.config, theme=args.theme
        )
    except RunFailed as failure:
        print(f"run FAILED after {time.perf_counter() - started:.1f} s: {failure}")
        if failure.record:
            print_cell_timings(failure.record)
        print(f"peak memory of the largest kernel: {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB")
        return failure.exit_code
    wall = time.perf_counter() - started
    manifest = json.loads((Path(out) / "manifest.json").read_text("utf-8"))
    rows = sum(item.get("read", 0) or 0 for item in manifest["inputs"])
    print(f"data: {args.data_dir} ({len(manifest['inputs'])} files, {rows:,} rows read)")
    print(f"{'stage':<14}{'seconds':>10}")
    for name, seconds in manifest["stage_seconds"].items():
        print(f"{name:<14}{seconds:>10.1f}")
    print(f"{'total (wall)':<14}{wall:>10.1f}")
    print(f"leads: {manifest['leads']}")
    print(
        f"peak memory: job process {peak_mib(resource.RUSAGE_SELF):,.0f} MiB, "
        f"largest kernel {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )
    if args.baseline:
        from riskmodel.io import load_folder

        started = time.perf_counter()
        plain = pandas_parse(Path(args.data_dir), [item["path"] for item in manifest["inputs"]])
        print(
            f"plain parse (pandas read_csv / read_excel, all text): {plain:.1f} s; "
            f"run / parse = {wall / plain:.2f}x"
        )
        started = time.perf_counter()
        load_folder(args.data_dir)
        parse = time.perf_counter() - started
        print(
            f"load + validate (riskmodel.io.load_folder): {parse:.1f} s; "
            f"run / load = {wall / parse:.2f}x"
        )
    return 0


def pandas_parse(data_dir: Path, names: list[str]) -> float:
    """Seconds to read every input file with pandas' defaults, every cell as text (CSV with
    its detected encoding, workbooks with calamine): the plain parse the run is compared to."""
    import pandas as pd

    from riskmodel.io.encoding import detect_encoding

    started = time.perf_counter()
    for name in names:
        path = data_dir / name
        if path.suffix.lower() == ".csv":
            found = detect_encoding(path)
            pd.read_csv(path, dtype=str, encoding=found.name, encoding_errors=found.errors)
        elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            pd.read_excel(path, dtype=str, engine="calamine", sheet_name=None)
        elif path.suffix.lower() == ".parquet":
            pd.read_parquet(path)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
