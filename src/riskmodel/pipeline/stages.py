"""The library calls the stage notebooks make, one per cell, each reading and writing the
work folder (:mod:`riskmodel.pipeline.store`) and returning a small table to display.

Every function takes the notebook's literal parameters (paths as strings, ``""`` for
"not given"), so the notebooks hold no logic. Returned tables are summaries (counts per
kind) or previews passed through the privacy setting: an executed notebook in a run folder
shows identifiers exactly as the run's other outputs do.
"""

from __future__ import annotations

import hashlib
import inspect
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from riskmodel.config import load_config
from riskmodel.pipeline.periods import resolve_period
from riskmodel.pipeline.store import (
    load_json,
    load_table,
    load_tables,
    read_table_file,
    save_json,
    save_table,
    save_tables,
    table_files,
)
from riskmodel.pipeline.themes import get_theme, theme_program_mask, theme_rule_ids
from riskmodel.report.identifiers import (
    identifier_mode,
    protect_frame,
    protect_input_rows,
    protect_text,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# scores/<plural>.csv (CONTRACT §3: scores/villages.csv, scores/programs.csv, …)
PLURALS = {"company": "companies", "person": "persons", "payee": "payees"}


def stage_config(config_path: str = "") -> dict[str, Any]:
    """The run's configuration (defaults overridden by ``config_path`` when given)."""
    return load_config(config_path or None)


def preview(work_dir: str, name: str, config_path: str = "", rows: int = 0) -> pd.DataFrame:
    """The first rows of stage table ``name``, identifiers shown per the privacy setting."""
    config = stage_config(config_path)
    count = rows or int(config["pipeline"]["display_rows"])
    return protect_frame(load_table(work_dir, name).head(count), config)


def _cut_at(tables: dict[str, pd.DataFrame], as_of: Any) -> dict[str, pd.DataFrame]:
    """Drop rows dated after ``as_of`` (the run looks at the county as of the period's end)."""
    from riskmodel.rules.context import AS_OF_COLUMNS

    limit = pd.Timestamp(as_of)
    result = {}
    for name, table in tables.items():
        column = AS_OF_COLUMNS.get(name)
        if column and column in table.columns:
            dates = pd.to_datetime(table[column], errors="coerce")
            table = table[~(dates > limit)]
        result[name] = table
    return result


def load_stage(
    data_dir: str,
    work_dir: str,
    out_dir: str,
    config_path: str = "",
    period: str = "",
    theme: str = "",
) -> pd.DataFrame:
    """Load and validate the data folder; write quarantine and data quality into the run.

    Also resolves the period (``auto`` → last complete quarter), cuts rows dated after its
    end, keeps only the theme's programs, and records the manifest's ``inputs``.
    Returns rows read / accepted / quarantined per input file.
    """
    from riskmodel.io import load_folder, write_validation

    config = stage_config(config_path)
    result = load_folder(data_dir, config=config, progress=False)
    tables = dict(result.tables)
    payments = tables["payments"]
    resolved = resolve_period(period or None, payments.get("pay_date"))
    if resolved is not None:
        tables = _cut_at(tables, resolved.as_of)
    chosen = get_theme(config, theme or None)
    theme_info = None
    if chosen is not None:
        mask = theme_program_mask(chosen, tables["payments"], tables.get("programs"))
        theme_info = {
            "name": chosen.name,
            "title": chosen.title,
            "payments_total": len(tables["payments"]),
            "payments_in_theme": int(mask.sum()),
        }
        tables["payments"] = tables["payments"][mask]
    # the work tables are written (Arrow, without the GIL) beside the validation files
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="input") as pool:
        saving = pool.submit(save_tables, work_dir, "input", tables)
        write_validation(result, out_dir)
        protect_validation(out_dir, config)
        saving.result()
    save_json(work_dir, "inputs", result.inputs)
    save_json(
        work_dir,
        "period",
        None
        if resolved is None
        else {
            "label": resolved.label,
            "start": resolved.start.isoformat(),
            "end": resolved.end.isoformat(),
            "as_of": resolved.as_of.isoformat(),
            "requested": period,
        },
    )
    save_json(work_dir, "theme", theme_info)
    summary = pd.DataFrame(result.inputs)
    keep = [c for c in ("table", "path", "read", "accepted", "quarantined") if c in summary]
    return summary[keep]


def protect_validation(out_dir: str | Path, config: dict[str, Any]) -> None:
    """Apply the privacy setting to the loader's files in the run folder.

    ``quarantine/*.csv`` and ``data_quality.csv`` hold raw rows and suspect values (often the
    ID number itself): masked like every other output; the file and line still locate them.
    A quarantine file keeps the input's own headers (``证件号码``, ``账号``): they are matched
    to the columns of its table (the file name) and those columns protected by kind, so an
    ID typed ``430421 19650601 5412`` or in full-width digits is protected too
    (:func:`riskmodel.privacy.protect_input_rows`); data_quality.csv's ``value`` column is
    protected value by value (IDs and accounts among them).
    """
    if identifier_mode(config) == "full":
        return
    out = Path(out_dir)
    for path in [*sorted((out / "quarantine").glob("*.csv")), out / "data_quality.csv"]:
        if path.exists():
            rows = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            if path.parent.name == "quarantine":
                protected = protect_input_rows(rows, path.stem, config)
            else:
                protected = protect_frame(rows, config)
            protected.to_csv(path, index=False, encoding="utf-8-sig")
    summary = out / "validation.json"
    if summary.exists():
        summary.write_text(protect_text(summary.read_text("utf-8"), config), "utf-8")


def _stamp(work_dir: str, prefix: str) -> tuple[tuple[str, int, int], ...]:
    """Name, inode and modification time of the tables under ``prefix`` (a table is
    rewritten by replacing its file, so a changed table changes its stamp)."""
    stamps = []
    for name, path in table_files(work_dir, prefix).items():
        info = path.stat()
        stamps.append((name, info.st_ino, info.st_mtime_ns))
    return tuple(stamps)


_TABLE_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], dict[str, pd.DataFrame]] = {}


def _tables(work_dir: str) -> dict[str, pd.DataFrame]:
    """The loaded input tables, read once per kernel while their files are unchanged.

    Each call hands out shallow copies: with pandas' copy-on-write a stage that modifies its
    tables never changes what the next stage of the same notebook reads.
    """
    key = (str(Path(work_dir).resolve()), _stamp(work_dir, "input"))
    if key not in _TABLE_CACHE:
        _TABLE_CACHE.clear()
        _TABLE_CACHE[key] = load_tables(work_dir, "input")
    return {name: table.copy(deep=False) for name, table in _TABLE_CACHE[key].items()}


_GRAPH_CACHE: dict[str, tuple[tuple[tuple[str, int, int], ...], Any]] = {}


def _graph_stamp(work_dir: str) -> tuple[tuple[str, int, int], ...]:
    return _stamp(work_dir, "graph_nodes") + _stamp(work_dir, "graph_edges")


def _remember_graph(work_dir: str, graph: Any) -> None:
    _GRAPH_CACHE.clear()
    _GRAPH_CACHE[str(Path(work_dir).resolve())] = (_graph_stamp(work_dir), graph)


def _graph(work_dir: str) -> Any:
    """The graph of :func:`graph_stage` as a :class:`~riskmodel.graph.tables.TableGraph` over
    its node and edge tables, indexed once per kernel while the tables are unchanged."""
    from riskmodel.graph.tables import TableGraph

    cached = _GRAPH_CACHE.get(str(Path(work_dir).resolve()))
    if cached is not None and cached[0] == _graph_stamp(work_dir):
        return cached[1]
    graph = TableGraph(load_tables(work_dir, "graph_nodes"), load_tables(work_dir, "graph_edges"))
    _remember_graph(work_dir, graph)
    return graph


def _has_graph(work_dir: str) -> bool:
    return bool(table_files(work_dir, "graph_edges"))


def _local_graph(work_dir: str, centres: list[str], config: dict[str, Any]) -> Any:
    """The part of the graph within two hops of ``centres`` (what the report's relationship
    views can show) as a :class:`~riskmodel.graph.tables.TableGraph`: node rows are read only
    for the nodes reached, no index over the whole county is built."""
    from riskmodel.graph.tables import TableGraph, neighbourhood

    edges = load_tables(work_dir, "graph_edges")
    stop = config["graph"]["view"]["stop_kinds"]
    reached, among = neighbourhood(edges, centres, radius=2, stop_kinds=stop)
    del edges
    nodes = {}
    wanted = sorted(reached)
    for kind, path in table_files(work_dir, "graph_nodes").items():
        mine = [n for n in wanted if n.startswith(f"{kind}:")]
        if mine:
            nodes[kind] = read_table_file(path, "node", mine)
    return TableGraph(nodes, among)


def _counts(series: pd.Series, label: str) -> pd.DataFrame:
    counts = series.value_counts().rename_axis(label).reset_index(name="count")
    return counts


def kinship_stage(work_dir: str, config_path: str = "") -> pd.DataFrame:
    """Derive kinship pairs; return pairs per relation."""
    from riskmodel.kinship import derive_kinship

    config = stage_config(config_path)
    tables = _tables(work_dir)
    kinship = derive_kinship(
        tables["residents"], tables.get("relatives"), tables.get("filings"), config
    )
    save_table(work_dir, "kinship", kinship)
    return _counts(kinship["relation"], "relation")


def entities_stage(work_dir: str, config_path: str = "") -> pd.DataFrame:
    """Resolve people across tables (the crosswalk); return records per match method."""
    from riskmodel.entities import resolve_people

    crosswalk = resolve_people(_tables(work_dir), stage_config(config_path))
    save_table(work_dir, "crosswalk", crosswalk)
    return _counts(crosswalk["method"], "method")


def graph_stage(work_dir: str, config_path: str = "") -> pd.DataFrame:
    """Build the relationship graph as node and edge tables; return nodes and edges per kind."""
    from riskmodel.graph.build import graph_tables, job_edge_kinds
    from riskmodel.graph.tables import TableGraph

    config = stage_config(config_path)
    nodes, edges = graph_tables(
        _tables(work_dir),
        load_table(work_dir, "crosswalk"),
        load_table(work_dir, "kinship"),
        config,
        edge_kinds=job_edge_kinds(config),
    )
    # the index for official links (same kernel) is built while the tables are written
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph") as pool:
        graph = pool.submit(TableGraph, nodes, edges)
        save_tables(work_dir, "graph_nodes", nodes)
        save_tables(work_dir, "graph_edges", edges)
        _remember_graph(work_dir, graph.result())
    rows = [("node", kind, len(frame)) for kind, frame in nodes.items()]
    rows += [("edge", kind, len(frame)) for kind, frame in edges.items()]
    return pd.DataFrame(rows, columns=["element", "kind", "count"])


def official_links_stage(work_dir: str, config_path: str = "") -> pd.DataFrame:
    """Paths from officials to beneficiaries, payees and contractors; return counts."""
    from riskmodel.graph import official_links

    links = official_links(
        _graph(work_dir),
        _tables(work_dir),
        stage_config(config_path),
        crosswalk=load_table(work_dir, "crosswalk"),
    )
    save_table(work_dir, "official_links", links)
    return _counts(links["target_type"], "target_type")


def rule_versions() -> dict[str, Any]:
    """Rule id → title, category and a hash of the rule's source (its version)."""
    from riskmodel.rules.catalogue import RULES

    versions = {}
    for rule in RULES:
        try:
            source = inspect.getsource(rule.func)
        except (OSError, TypeError):
            source = rule.func.__qualname__
        versions[rule.id] = {
            "title": rule.title_zh,
            "category": rule.category,
            "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest()[:16],
        }
    return versions


RULE_PARTS = ("tables", "graph")
# derived tables the ``tables`` part hands to the ``graph`` part: the cached builders the
# graph part's rules read (riskmodel.rules.common's and projects'); any other is rebuilt.
# Only these: writing a county's enriched payments to Arrow costs more than rebuilding them.
SHARED_RULE_CACHE = (
    "means_tested_payments",
    "officials",
    "ledger",
    "projects",
    "village_towns",
)


def rule_part(rule: Any) -> str:
    """``graph`` for a rule that needs the official links or other rules' evidence, else
    ``tables``: the job runs the ``tables`` rules beside the graph stage."""
    return "graph" if rule.graph or rule.reads_evidence else "tables"


def rules_stage(
    work_dir: str, config_path: str = "", theme: str = "", part: str = ""
) -> pd.DataFrame:
    """Run the rule catalogue (the theme's rules only, with a theme); return the status.

    ``part`` splits the catalogue in two stages (:func:`rule_part`): ``tables`` needs only
    the loaded tables, crosswalk and kinship; ``graph`` runs the rest once the official links
    exist and merges both parts into ``evidence`` and ``rule_status``, in the order one run
    of the whole catalogue gives. ``""`` runs everything at once.
    """
    from riskmodel.rules import RuleContext, run_rules
    from riskmodel.rules.catalogue import RULES
    from riskmodel.rules.evidence import empty_evidence
    from riskmodel.rules.runner import STATUS_COLUMNS, RuleRun

    if part not in ("", *RULE_PARTS):
        raise ValueError(f"rules part must be one of {RULE_PARTS} or empty, got {part!r}")
    config = stage_config(config_path)
    period = load_json(work_dir, "period")
    context = RuleContext(
        tables=_tables(work_dir),
        crosswalk=load_table(work_dir, "crosswalk"),
        kinship=load_table(work_dir, "kinship"),
        official_links=None if part == "tables" else load_table(work_dir, "official_links"),
        as_of=period["as_of"] if period else None,
        period=period["label"] if period else None,
        _cache=_shared_rule_cache(work_dir) if part == "graph" else {},
    )
    versions = rule_versions()
    chosen = get_theme(config, theme or None)
    wanted = [rule.id for rule in RULES]
    if chosen is not None:
        in_theme = set(theme_rule_ids(chosen, {r: v["category"] for r, v in versions.items()}))
        wanted = [rule_id for rule_id in wanted if rule_id in in_theme]
    parts = {rule.id: rule_part(rule) for rule in RULES}
    if part:
        wanted = [rule_id for rule_id in wanted if parts[rule_id] == part]
    earlier = load_table(work_dir, "rules_part.evidence") if part == "graph" else None
    if wanted:
        run = run_rules(context, config, only=wanted, earlier=earlier)
    else:  # a theme with no rule in this part (run_rules without ids runs them all)
        run = RuleRun(evidence=empty_evidence(), status=pd.DataFrame(columns=list(STATUS_COLUMNS)))
    if part == "tables":
        save_table(work_dir, "rules_part.evidence", run.evidence)
        save_table(work_dir, "rules_part.status", run.status)
        _save_shared_rule_cache(work_dir, context)
        return run.status
    evidence, status = run.evidence, run.status
    if part == "graph":
        evidence, status = _merge_rule_parts(
            [earlier, evidence], [load_table(work_dir, "rules_part.status"), status]
        )
    save_table(work_dir, "evidence", evidence)
    save_table(work_dir, "rule_status", status)
    save_json(work_dir, "rule_versions", versions)
    return status


_UNNAMED = "__unnamed__"
_INDEX = "__index__"


def _save_shared_rule_cache(work_dir: str, context: Any) -> None:
    """Write the :data:`SHARED_RULE_CACHE` entries the rules built (index kept; which
    columns held Python objects is recorded, Arrow would read them back as ``str``)."""
    for kind in ("frame", "series"):  # an earlier run's entries
        for path in table_files(work_dir, f"rules_cache.{kind}").values():
            path.unlink()
    objects: dict[str, list[str]] = {}
    for key in SHARED_RULE_CACHE:
        value = context._cache.get(key)
        if isinstance(value, pd.Series):
            value = value.to_frame(_UNNAMED if value.name is None else value.name)
            kind = "series"
        elif isinstance(value, pd.DataFrame):
            kind = "frame"
        else:
            continue
        objects[key] = [str(c) for c in value.columns if value[c].dtype == object]
        if value.index.dtype == object:
            objects[key].append(_INDEX)
        save_table(work_dir, f"rules_cache.{kind}.{key}", value, keep_index=True)
    save_json(work_dir, "rules_cache_objects", objects)


def _shared_rule_cache(work_dir: str) -> dict[str, Any]:
    """The entries :func:`_save_shared_rule_cache` wrote, as the rules' cache held them."""
    objects = load_json(work_dir, "rules_cache_objects", {})
    cache: dict[str, Any] = {}
    for kind in ("frame", "series"):
        for name, frame in load_tables(work_dir, f"rules_cache.{kind}").items():
            columns = [c for c in objects.get(name, []) if c in frame.columns]
            if columns:
                frame = frame.astype(dict.fromkeys(columns, object))
            if _INDEX in objects.get(name, []):
                frame.index = frame.index.astype(object)
            if kind == "series":
                series = frame.iloc[:, 0]
                cache[name] = series.rename(None) if series.name == _UNNAMED else series
            else:
                cache[name] = frame
    return cache


def _merge_rule_parts(
    evidence: list[pd.DataFrame], status: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evidence and status of the rule parts in the order of one whole-catalogue run: rules
    in catalogue order, those reading evidence last; rows of a rule in its own order."""
    from riskmodel.rules.catalogue import RULES

    ordered = [r.id for r in RULES if not r.reads_evidence]
    ordered += [r.id for r in RULES if r.reads_evidence]
    rank = {rule_id: position for position, rule_id in enumerate(ordered)}

    def in_order(frames: list[pd.DataFrame]) -> pd.DataFrame:
        whole = pd.concat([f for f in frames if f is not None], ignore_index=True)
        order = whole["rule_id"].map(rank).to_numpy()
        return whole.iloc[order.argsort(kind="stable")].reset_index(drop=True)

    return in_order(evidence), in_order(status)


def detectors_stage(work_dir: str, config_path: str = "") -> pd.DataFrame:
    """Run the statistical detectors; return their status (ran/skipped/failed).

    They read the loaded tables only (no detector uses rule evidence), so the job runs this
    stage beside the graph and rules stages.
    """
    from riskmodel.detectors import detector_status, run_detectors

    findings = run_detectors(_tables(work_dir), None, stage_config(config_path))
    status = detector_status(findings)
    findings.attrs = {}
    save_table(work_dir, "findings", findings)
    save_table(work_dir, "detector_status", status)
    return status


def scoring_stage(work_dir: str, config_path: str = "") -> pd.DataFrame:
    """Score every entity type; return entities scored and above 0 per type."""
    from riskmodel.scoring import score_all

    scores = score_all(
        load_table(work_dir, "evidence"),
        load_table(work_dir, "findings"),
        _tables(work_dir),
        stage_config(config_path),
    )
    save_tables(work_dir, "scores", scores)
    return pd.DataFrame(
        [
            {
                "entity_type": kind,
                "scored": len(table),
                "above_zero": int((table["score"] > 0).sum()),
            }
            for kind, table in scores.items()
        ]
    )


def leads_stage(
    work_dir: str, out_dir: str, previous_dir: str = "", config_path: str = ""
) -> pd.DataFrame:
    """Group evidence into leads, mark them new/persisting against the previous run.

    Returns leads per severity and status.
    """
    from riskmodel.leads import build_leads, mark_status

    config = stage_config(config_path)
    leads, lead_evidence = build_leads(
        load_table(work_dir, "evidence"),
        load_table(work_dir, "findings"),
        load_tables(work_dir, "scores"),
        _tables(work_dir),
        config,
    )
    previous = None
    if previous_dir and (Path(previous_dir) / "leads.csv").exists():
        previous = pd.read_csv(Path(previous_dir) / "leads.csv", dtype=str, encoding="utf-8-sig")
    leads, resolved = mark_status(leads, previous)
    save_table(work_dir, "leads", leads)
    save_table(work_dir, "lead_evidence", lead_evidence)
    save_table(work_dir, "resolved", resolved)
    if not len(leads):
        return pd.DataFrame(columns=["severity", "status", "count"])
    return leads.groupby(["severity", "status"]).size().reset_index(name="count")


def _write_csv(frame: pd.DataFrame, path: Path, config: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    protect_frame(frame, config).to_csv(path, index=False, encoding="utf-8-sig")


def run_info(work_dir: str, config: dict[str, Any]) -> dict[str, Any]:
    """Facts about the run for the workbook and report headers (Chinese labels)."""
    period = load_json(work_dir, "period")
    theme = load_json(work_dir, "theme")
    info: dict[str, Any] = {"期间": period["label"] if period else "全部数据"}
    if theme:
        info["专题"] = theme["title"]
    inputs = load_json(work_dir, "inputs") or []
    info["输入文件"] = f"{len(inputs)} 个"
    return info


def exports_stage(work_dir: str, out_dir: str, config_path: str = "") -> pd.DataFrame:
    """Write every hand-out of the leads: :func:`tables_stage`, :func:`workbook_stage` and
    :func:`report_stage` in one call; return the files written with their sizes."""
    tables_stage(work_dir, out_dir, config_path)
    workbook_stage(work_dir, out_dir, config_path)
    report_stage(work_dir, out_dir, config_path)
    return _written(Path(out_dir))


def tables_stage(work_dir: str, out_dir: str, config_path: str = "") -> pd.DataFrame:
    """Write leads.csv, evidence.csv, resolved.csv and scores/ into the run folder."""
    config = stage_config(config_path)
    out = Path(out_dir)
    written = [out / "leads.csv", out / "evidence.csv", out / "resolved.csv"]
    _write_csv(load_table(work_dir, "leads"), written[0], config)
    _write_csv(load_table(work_dir, "lead_evidence"), written[1], config)
    _write_csv(load_table(work_dir, "resolved"), written[2], config)
    for kind, table in load_tables(work_dir, "scores").items():
        name = PLURALS.get(kind, kind if kind.endswith("s") else f"{kind}s")
        written.append(out / "scores" / f"{name}.csv")
        _write_csv(table, written[-1], config)
    return _written(out, written)


def workbook_stage(work_dir: str, out_dir: str, config_path: str = "") -> pd.DataFrame:
    """Write leads.xlsx, the inspection teams' workbook, into the run folder."""
    from riskmodel.report.workbook import write_workbook

    config = stage_config(config_path)
    path = Path(out_dir) / "leads.xlsx"
    leads = load_table(work_dir, "leads")
    evidence = load_table(work_dir, "lead_evidence")
    write_workbook(path, leads, evidence, config, run_info(work_dir, config))
    return _written(Path(out_dir), [path])


def report_stage(work_dir: str, out_dir: str, config_path: str = "") -> pd.DataFrame:
    """Write report.html, the self-contained report for the leadership, into the run folder."""
    from riskmodel.report.html import case_centres, write_report

    config = stage_config(config_path)
    path = Path(out_dir) / "report.html"
    leads = load_table(work_dir, "leads")
    tables = _tables(work_dir)
    scores = load_tables(work_dir, "scores")
    graph = _local_graph(work_dir, case_centres(leads), config) if _has_graph(work_dir) else None
    write_report(
        path,
        leads,
        load_table(work_dir, "lead_evidence"),
        config,
        payments=tables.get("payments"),
        villages=tables.get("villages"),
        scores={"villages": scores.get("village"), "programs": scores.get("program")},
        run_info=run_info(work_dir, config),
        rule_status=load_table(work_dir, "rule_status"),
        graph=graph,
    )
    return _written(Path(out_dir), [path])


def _written(out: Path, files: list[Path] | None = None) -> pd.DataFrame:
    """``files`` (default: every file of the run folder outside ``work``) with their sizes."""
    if files is None:
        files = sorted(p for p in out.rglob("*") if p.is_file() and "work" not in p.parts)
    return pd.DataFrame(
        {
            "file": [str(p.relative_to(out)) for p in files],
            "bytes": [p.stat().st_size for p in files],
        }
    )


def disclosure_stage(work_dir: str, out_dir: str, config_path: str = "") -> pd.DataFrame:
    """Write the public disclosure notices (one per village) into ``disclosure/``; return
    the notices written with their rows (none when disabled in config)."""
    from riskmodel.report.disclosure import write_disclosure

    config = stage_config(config_path)
    tables = _tables(work_dir)
    period = load_json(work_dir, "period")
    written = write_disclosure(
        Path(out_dir) / "disclosure",
        tables["payments"],
        config,
        villages=tables.get("villages"),
        period_label=period["label"] if period else "",
        start=period["start"] if period else None,
        end=period["end"] if period else None,
    )
    return pd.DataFrame(
        {
            "file": [str(p.relative_to(out_dir)) for p in written],
            "bytes": [p.stat().st_size for p in written],
        }
    )


def severity_chart(work_dir: str) -> Figure:
    """Leads by severity and triage (a chart for the leads notebook)."""
    from riskmodel.report.charts import leads_by_severity_chart

    return leads_by_severity_chart(load_table(work_dir, "leads"))
