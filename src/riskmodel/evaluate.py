"""Detection quality of a run against the synthetic county's ground truth (``_truth/``).

A lead *finds* a planted instance when ``lead.entity_id`` is the instance's entity or one of
its ``related_ids``, or the instance's entity is among the lead's ``related_ids``
(the matching rule of the project brief). Measured:

* recall per scheme within the top N leads (N = ``top`` at the small scale; at larger scales
  the same share of the lead list: N grows with the synth's ``scheme_multiplier``);
* precision at 50 and 100 (share of those leads that find at least one planted instance);
* look-alikes in the top 100 (leads that match a harmless look-alike and no planted instance);
* village ranking: ROC-AUC of village scores against ``villages.csv`` ``is_corrupt``, and hits
  (corrupt villages among the top k villages, k = number of corrupt villages).

When the run folder shows masked identifiers (the default privacy setting), the truth is masked
the same way before matching; a masked ID keeps region and last four digits, so matching is then
approximate and the result says so.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

PRECISION_AT = (50, 100)
LOOKALIKE_WINDOW = 100


def load_truth(truth_dir: str | Path) -> dict[str, Any]:
    """Read ``planted.csv``, ``lookalikes.csv``, ``villages.csv`` and ``summary.json``."""
    folder = Path(truth_dir)
    if not (folder / "planted.csv").exists():
        raise FileNotFoundError(f"{folder}: no planted.csv (is this a synth _truth folder?)")

    def read(name: str) -> pd.DataFrame:
        path = folder / name
        if not path.exists():
            return pd.DataFrame()
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")

    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    return {
        "planted": read("planted.csv"),
        "lookalikes": read("lookalikes.csv"),
        "villages": read("villages.csv"),
        "summary": summary,
    }


def _ids(text: Any) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {part for part in text.split(";") if part}


def match_matrix(leads: pd.DataFrame, instances: pd.DataFrame) -> np.ndarray:
    """Boolean matrix (leads × instances): does lead i find instance j."""
    if not len(leads) or not len(instances):
        return np.zeros((len(leads), len(instances)), dtype=bool)
    instance_keys = [
        {str(row.entity_id)} | _ids(row.related_ids) for row in instances.itertuples(index=False)
    ]
    instance_entity = [str(row.entity_id) for row in instances.itertuples(index=False)]
    by_key: dict[str, set[int]] = {}
    for position, keys in enumerate(instance_keys):
        for key in keys:
            by_key.setdefault(key, set()).add(position)
    by_entity: dict[str, set[int]] = {}
    for position, entity in enumerate(instance_entity):
        by_entity.setdefault(entity, set()).add(position)
    matrix = np.zeros((len(leads), len(instances)), dtype=bool)
    for row, lead in enumerate(leads.itertuples(index=False)):
        hits = set(by_key.get(str(lead.entity_id), set()))
        for related in _ids(lead.related_ids):
            hits |= by_entity.get(related, set())
        if hits:
            matrix[row, list(hits)] = True
    return matrix


def top_n_for(summary: dict[str, Any], top: int) -> int:
    """N at the run's scale: ``top`` at small scale, scaled by the synth scheme multiplier."""
    scale = summary.get("scale", "small")
    if scale in ("small", "tiny", "", None):
        return top
    try:
        from riskmodel.config import load_config

        scales = load_config()["synth"]["scales"]
        factor = float(scales[scale]["scheme_multiplier"]) / float(
            scales["small"]["scheme_multiplier"]
        )
    except (KeyError, ImportError, ValueError):
        return top
    return math.ceil(top * factor)


def evaluate_frames(
    leads: pd.DataFrame,
    village_scores: pd.DataFrame | None,
    truth: dict[str, Any],
    top: int = 200,
) -> dict[str, Any]:
    """Measure ranked ``leads`` (best first) and village scores against ``truth``.

    Returns
    -------
    dict
        ``top_n``, ``leads``, ``recall`` (scheme → share found in the top N), ``found``
        (scheme → [found, planted]), ``precision_at_50``, ``precision_at_100``,
        ``lookalikes_in_top_100``, ``lookalike_kinds_in_top_100``, ``village_auc``,
        ``village_hits`` ([hits, corrupt villages]), ``missed`` (instance ids not found),
        ``instance_rank`` (instance id → rank of the first lead that finds it, None if none)
        and ``deepest_rank`` (scheme → the largest of its instances' ranks: how close the
        scheme's last find is to the cut-off; None when an instance is never found).
    """
    leads = leads.reset_index(drop=True)
    if "rank" in leads.columns:
        ranks = pd.to_numeric(leads["rank"], errors="coerce")
        leads = leads.assign(_rank=ranks).sort_values("_rank", kind="stable")
        leads = leads.reset_index(drop=True)
    planted = truth["planted"].reset_index(drop=True)
    lookalikes = truth.get("lookalikes", pd.DataFrame())
    top_n = top_n_for(truth.get("summary", {}), top)
    planted_hits = match_matrix(leads, planted)
    result: dict[str, Any] = {"top_n": top_n, "leads": len(leads)}
    in_top = planted_hits[:top_n].any(axis=0) if len(leads) else np.zeros(len(planted), bool)
    recall, found = {}, {}
    for scheme, rows in planted.groupby("scheme").groups.items():
        positions = planted.index.get_indexer(rows)
        hit = int(in_top[positions].sum())
        found[scheme] = [hit, len(positions)]
        recall[scheme] = hit / len(positions)
    result["recall"] = recall
    result["found"] = found
    result["missed"] = planted.loc[~in_top, "instance_id"].tolist() if len(planted) else []
    found_any = planted_hits.any(axis=0) if len(leads) else np.zeros(len(planted), bool)
    first = planted_hits.argmax(axis=0) + 1 if len(leads) else np.zeros(len(planted), int)
    ranks = [int(r) if hit else None for r, hit in zip(first, found_any, strict=True)]
    result["instance_rank"] = dict(zip(planted["instance_id"].astype(str), ranks, strict=True))
    deepest: dict[str, int | None] = {}
    for scheme, rank in zip(planted["scheme"].astype(str), ranks, strict=True):
        if scheme in deepest and deepest[scheme] is None:
            continue
        deepest[scheme] = None if rank is None else max(rank, deepest.get(scheme) or 0)
    result["deepest_rank"] = deepest
    lead_is_true = planted_hits.any(axis=1)
    for k in PRECISION_AT:
        window = lead_is_true[:k]
        result[f"precision_at_{k}"] = float(window.mean()) if len(window) else float("nan")
    if len(lookalikes):
        lookalike_hits = match_matrix(leads.iloc[:LOOKALIKE_WINDOW], lookalikes)
        false_alarm = lookalike_hits.any(axis=1) & ~lead_is_true[:LOOKALIKE_WINDOW]
        result["lookalikes_in_top_100"] = int(false_alarm.sum())
        kinds = lookalikes["kind"].to_numpy()
        result["lookalike_kinds_in_top_100"] = sorted(
            {
                str(kinds[j])
                for i in np.flatnonzero(false_alarm)
                for j in np.flatnonzero(lookalike_hits[i])
            }
        )
    else:
        result["lookalikes_in_top_100"] = 0
        result["lookalike_kinds_in_top_100"] = []
    result.update(_village_quality(village_scores, truth.get("villages", pd.DataFrame())))
    return result


def _village_quality(scores: pd.DataFrame | None, villages: pd.DataFrame) -> dict[str, Any]:
    if scores is None or not len(scores) or not len(villages):
        return {"village_auc": float("nan"), "village_hits": [0, 0]}
    column = "village_code" if "village_code" in scores.columns else "entity_id"
    if "entity_id" in scores.columns:
        column = "entity_id"
    score = pd.to_numeric(scores["score"], errors="coerce").fillna(0.0)
    by_village = (
        pd.Series(score.to_numpy(), index=scores[column].astype(str)).groupby(level=0).max()
    )
    truth = villages.assign(
        corrupt=villages["is_corrupt"].astype(str).str.lower().isin(["1", "true", "yes"])
    )
    values = by_village.reindex(truth["village_code"].astype(str)).fillna(0.0).to_numpy()
    labels = truth["corrupt"].to_numpy()
    one_class = labels.all() or not labels.any()
    auc = float("nan") if one_class else float(roc_auc_score(labels, values))
    k = int(labels.sum())
    order = np.argsort(-values, kind="stable")[:k]
    return {"village_auc": auc, "village_hits": [int(labels[order].sum()), k]}


def _mask_like_run(truth: dict[str, Any], leads: pd.DataFrame) -> tuple[dict[str, Any], bool]:
    """Mask the truth the way the run masked its leads (default privacy setting)."""
    sample = " ".join(leads["entity_id"].astype(str).head(200)) + " ".join(
        leads["related_ids"].astype(str).head(200)
    )
    if "*" not in sample:
        return truth, False
    from riskmodel.privacy import protect_frame

    masked = dict(truth)
    for name in ("planted", "lookalikes"):
        frame = truth.get(name)
        if frame is None or not len(frame):
            continue
        masked[name] = protect_frame(
            frame, None, columns=["entity_id", "related_ids"], redact_text=False
        )
    return masked, True


def evaluate_run(run_dir: str | Path, truth_dir: str | Path, top: int = 200) -> dict[str, Any]:
    """Evaluate a run folder (``leads.csv``, ``scores/villages.csv``) against ``truth_dir``."""
    run = Path(run_dir)
    leads_path = run / "leads.csv"
    if not leads_path.exists():
        raise FileNotFoundError(f"{run}: no leads.csv (is this a run folder?)")
    leads = pd.read_csv(leads_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    villages_path = run / "scores" / "villages.csv"
    village_scores = (
        pd.read_csv(villages_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if villages_path.exists()
        else None
    )
    truth, approximate = _mask_like_run(load_truth(truth_dir), leads)
    result = evaluate_frames(leads, village_scores, truth, top=top)
    result["approximate_masked_matching"] = approximate
    return result


def score_data_folder(
    data_dir: str | Path, config: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, float]]:
    """Run every stage up to the leads on ``data_dir``; return the outputs and stage timings."""
    from riskmodel.detectors import run_detectors
    from riskmodel.entities import resolve_people
    from riskmodel.io import load_folder
    from riskmodel.kinship import derive_kinship
    from riskmodel.leads import build_leads
    from riskmodel.rules import RuleContext, run_rules
    from riskmodel.scoring import score_all

    timings: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(name: str):
        started = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - started

    with timed("load"):
        tables = dict(load_folder(data_dir, config=config, progress=False).tables)
    with timed("kinship"):
        kinship = derive_kinship(
            tables["residents"], tables.get("relatives"), tables.get("filings"), config
        )
    with timed("entities"):
        crosswalk = resolve_people(tables, config)
    links = None
    with timed("graph"):
        try:
            graph_module = importlib.import_module("riskmodel.graph")
            graph = graph_module.build_graph(tables, crosswalk, kinship, config)
            links = graph_module.official_links(graph, tables, config)
        except (ImportError, AttributeError) as exc:
            timings["graph_skipped"] = 0.0
            del exc
    with timed("rules"):
        run = run_rules(
            RuleContext(tables=tables, crosswalk=crosswalk, kinship=kinship, official_links=links),
            config,
        )
    evidence = run.evidence
    with timed("detectors"):
        findings = run_detectors(tables, evidence, config)
    with timed("scoring"):
        scores = score_all(evidence, findings, tables, config)
    with timed("leads"):
        leads, lead_evidence = build_leads(evidence, findings, scores, tables, config)
    outputs = {
        "tables": tables,
        "evidence": evidence,
        "rule_status": run.status,
        "findings": findings,
        "scores": scores,
        "leads": leads,
        "lead_evidence": lead_evidence,
    }
    return outputs, timings


def format_result(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table."""
    lines = [f"top N = {result['top_n']} of {result['leads']} leads", ""]
    lines.append(f"{'scheme':<24}{'found':>8}{'planted':>9}{'recall':>9}")
    for scheme in sorted(result["recall"]):
        hit, total = result["found"][scheme]
        lines.append(f"{scheme:<24}{hit:>8}{total:>9}{result['recall'][scheme]:>9.2f}")
    lines.append("")
    for k in PRECISION_AT:
        lines.append(f"precision@{k:<4}{result[f'precision_at_{k}']:>10.2f}")
    kinds = ", ".join(result["lookalike_kinds_in_top_100"]) or "-"
    lines.append(f"look-alikes in top 100: {result['lookalikes_in_top_100']} ({kinds})")
    hits, corrupt = result["village_hits"]
    lines.append(
        f"village AUC: {result['village_auc']:.3f}; hits {hits}/{corrupt} in top {corrupt}"
    )
    if result.get("approximate_masked_matching"):
        lines.append("note: identifiers are masked in this run; matching is approximate")
    return "\n".join(lines)


def evaluate_command(args: Any) -> int:
    """``riskmodel evaluate RUN_DIR --truth DIR [--top N]``: print the quality table."""
    try:
        result = evaluate_run(args.run_dir, args.truth, top=int(getattr(args, "top", 200)))
    except FileNotFoundError as exc:
        print(f"error: {exc}")
        return 1
    print(format_result(result))
    return 0
