"""Does the graph hold the relationships planted schemes rely on? (synthetic ground truth)

For each planted instance of a relationship scheme in ``_truth/planted.csv`` this checks that
:func:`riskmodel.graph.official_links` found a path from the responsible official to the
entity the scheme needs: the relative on aid, the firm that won the contract, the people
whose subsidies go into the cadre's card, the ghost paid into a cadre's account, the official
himself on aid or paid by his own ledger.
"""

from __future__ import annotations

import pandas as pd

# scheme → (target_type of the path, where the targets are: "entity" or "related")
PLANTED_PATHS: dict[str, tuple[str, str]] = {
    "relative_favoured": ("beneficiary", "entity"),
    "official_on_aid": ("beneficiary", "entity"),
    "ghost": ("beneficiary", "entity"),
    "card_capture": ("beneficiary", "related"),
    "contract_to_kin": ("contractor", "entity"),
    "self_payment": ("payee", "entity"),
}
COVERAGE_COLUMNS = ["instance_id", "scheme", "official_id", "targets", "found", "covered", "hops"]


def planted_path_coverage(links: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    """One row per relationship instance: ``instance_id``, ``scheme``, ``official_id``,
    ``targets`` (how many entities should be reachable), ``found`` (how many are),
    ``covered`` (all found), ``hops`` (longest shortest path among them; NaN when none).

    Instances of other schemes, and instances without a responsible official (``official_id``
    empty or missing), are left out: they rely on no official→target path.
    """
    found_pairs = links.groupby(["official_id", "target_type", "target_id"])["hops"].min()
    # an entity on a path counts as reached too (the spouse whose card collects for others)
    on_path: dict[tuple[str, str], int] = {}
    for official, path_ids in zip(links["official_id"], links["path_ids"], strict=True):
        for position, entity in enumerate(str(path_ids).split(";")):
            key = (official, entity)
            on_path[key] = min(on_path.get(key, position), position)
    rows = []
    for instance in planted.itertuples(index=False):
        official = instance.official_id
        if instance.scheme not in PLANTED_PATHS or not isinstance(official, str):
            continue
        official = official.strip()
        if not official:  # no responsible official (read with keep_default_na=False)
            continue
        target_type, where = PLANTED_PATHS[instance.scheme]
        if where == "entity":
            targets = [instance.entity_id]
        else:
            related = instance.related_ids if isinstance(instance.related_ids, str) else ""
            parts = (part.strip() for part in related.split(";"))
            targets = [t for t in parts if t and t != official]
        hops = [
            found_pairs.get(
                (official, target_type, target),
                on_path.get((official, target)) if where == "related" else None,
            )
            for target in targets
        ]
        reached = [h for h in hops if h is not None]
        rows.append(
            (
                instance.instance_id,
                instance.scheme,
                official,
                len(targets),
                len(reached),
                len(reached) == len(targets) and bool(targets),
                max(reached) if reached else None,
            )
        )
    coverage = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    return coverage.astype(
        {"targets": "int64", "found": "int64", "covered": "bool", "hops": "float64"}
    )
