"""Time the whole scheduled job on a data folder: per-stage seconds and peak memory.

Usage::

    .venv/bin/python benchmarks/bench_run.py DATA_DIR [--out benchmarks/out/run] [--period auto]
        [--baseline]

Prints the per-stage timings from the run's manifest (when each stage started and how long
it took: stages run side by side, so they add up to more than the wall time), the wall time,
the peak memory of the largest notebook kernel and of all processes together, and with
``--baseline`` the time to parse the input files plainly (pandas' ``read_csv``/
``read_excel``, every cell as text) and to load and validate them
(``riskmodel.io.load_folder``), each with the run / parse ratio (the issue's goal: ≤ 4×).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path


def peak_mib(who: int) -> float:
    """Peak resident memory (MiB) of this process or of its largest finished child."""
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


class MemorySampler(threading.Thread):
    """Peak memory of this process with all its descendants (the notebook kernels, several at
    once when stages run side by side), sampled every ``interval`` seconds.

    ``peak_rss`` sums resident sets, counting a page shared by kernels (the memory-mapped work
    tables) once per kernel: an upper bound. ``peak_pss`` sums proportional sets, a shared page
    split among its users: what the machine actually holds.
    """

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_at = 0.0  # seconds after the start when the PSS peaked
        self.samples: list[tuple[float, int]] = []  # (seconds after the start, PSS bytes)
        self.stopped = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        start = time.perf_counter()
        while not self.stopped.wait(self.interval):
            rss = pss = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    info = process.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
            self.peak_rss = max(self.peak_rss, rss)
            self.samples.append((time.perf_counter() - start, pss))
            if pss > self.peak_pss:
                self.peak_pss, self.peak_at = pss, time.perf_counter() - start


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

    sampler = MemorySampler()
    sampler.start()
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
    print(f"{'stage':<14}{'started at':>12}{'seconds':>10}")
    for stage in manifest["stages"]:
        start = stage.get("started_after", float("nan"))
        print(f"{stage['name']:<14}{start:>12.1f}{stage['seconds']:>10.1f}")
    print(f"{'total (wall)':<14}{wall:>10.1f}")
    print(f"leads: {manifest['leads']}")
    sampler.stopped.set()
    print(
        f"peak memory: job process {peak_mib(resource.RUSAGE_SELF):,.0f} MiB, "
        f"largest kernel {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB; "
        f"all processes together (sampled each second): {sampler.peak_pss / 2**20:,.0f} MiB "
        f"proportional (PSS), {sampler.peak_rss / 2**20:,.0f} MiB resident (RSS)"
    )
    running = []
    print("peak PSS of all processes while each stage ran:")
    for stage in manifest["stages"]:
        begin = stage.get("started_after", 0.0)
        end = begin + stage["seconds"]
        window = [pss for at, pss in sampler.samples if begin <= at <= end + 1]
        print(f"  {stage['name']:<14}{max(window, default=0) / 2**20:>10,.0f} MiB")
        if begin <= sampler.peak_at <= end + 2:
            running.append(stage["name"])
    print(f"PSS peaked {sampler.peak_at:.0f} s after the start, during {', '.join(running)}")
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
