"""planted_path_coverage: does the graph hold the relationships planted schemes rely on?

Literal link tables for each case (covered, not covered, targets among ``related_ids``, hops),
then the small synthetic county: every planted relationship the data carry is an official path,
in the full graph and in the job's path graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodel.config import load_config
from riskmodel.entities import resolve_people
from riskmodel.graph import build_graph, official_links
from riskmodel.graph.build import job_edge_kinds
from riskmodel.graph.coverage import COVERAGE_COLUMNS, PLANTED_PATHS, planted_path_coverage
from riskmodel.graph.queries import OFFICIAL_LINK_COLUMNS
from riskmodel.io import load_folder
from riskmodel.kinship import derive_kinship
from riskmodel.synth import generate

PLANTED_COLUMNS = ["instance_id", "scheme", "entity_id", "related_ids", "official_id"]


def link(official: str, target_type: str, target: str, path: list[str]) -> dict[str, object]:
    """One official_links row whose hops are the path length."""
    return {
        "official_id": official,
        "target_type": target_type,
        "target_id": target,
        "hops": len(path) - 1 if target_type != "contractor" else len(path) - 2,
        "relations": "",
        "path_text": "",
        "path_ids": ";".join(path),
    }


LINKS = pd.DataFrame(
    [
        # O1's wife W1 is on aid (1 hop), and reachable a second, longer way (2 hops)
        link("O1", "beneficiary", "W1", ["O1", "W1"]),
        link("O1", "beneficiary", "W1", ["O1", "H1", "W1"]),
        # O1 pays himself from the ledger (0 hops)
        link("O1", "payee", "O1", ["O1"]),
        # the firm of O1's brother won project XM1 (brother B1, firm C1, project appended)
        link("O1", "contractor", "C1", ["O1", "B1", "C1", "XM1"]),
        # villagers V1, V2 paid into the card of O1's wife: V1 a beneficiary 3 hops away
        link("O1", "beneficiary", "V1", ["O1", "W1", "A1", "V1"]),
        # V2 appears only inside a path to someone else (position 2)
        link("O1", "beneficiary", "X9", ["O1", "A1", "V2", "X9"]),
        # O2 reaches R2 only as a payee, never as a beneficiary
        link("O2", "payee", "R2", ["O2", "R2"]),
    ],
    columns=OFFICIAL_LINK_COLUMNS,
)


def planted_rows(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=PLANTED_COLUMNS)


def coverage_of(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return planted_path_coverage(LINKS, planted_rows(*rows)).set_index("instance_id")


def test_entity_target_reached_by_the_responsible_official_is_covered() -> None:
    result = coverage_of(("P1", "relative_favoured", "W1", "O1;A9", "O1"))
    row = result.loc["P1"]
    assert (row["targets"], row["found"], bool(row["covered"])) == (1, 1, True)
    assert row["hops"] == 1  # the shortest of the two paths
    assert row["scheme"] == "relative_favoured" and row["official_id"] == "O1"


def test_target_missing_or_reached_from_another_official_is_not_covered() -> None:
    result = coverage_of(
        ("P1", "relative_favoured", "Z1", "", "O1"),  # no path at all
        ("P2", "relative_favoured", "W1", "", "O2"),  # W1 is O1's, not O2's
        ("P3", "official_on_aid", "O3", "", "O3"),  # an official absent from the links
    )
    assert not result["covered"].any()
    assert result["found"].tolist() == [0, 0, 0] and result["targets"].tolist() == [1, 1, 1]
    assert result["hops"].isna().all()


def test_target_type_must_match_the_scheme() -> None:
    # R2 is O2's payee; relative_favoured needs a beneficiary path, self_payment a payee path
    result = coverage_of(
        ("P1", "relative_favoured", "R2", "", "O2"),
        ("P2", "self_payment", "R2", "", "O2"),
        ("P3", "contract_to_kin", "W1", "", "O1"),  # W1 is a beneficiary, not a contractor
    )
    assert result["covered"].tolist() == [False, True, False]
    assert result.loc["P2", "hops"] == 1


def test_self_payment_is_a_path_of_zero_hops_and_contractor_counts_the_firm() -> None:
    result = coverage_of(
        ("P1", "self_payment", "O1", "V0", "O1"),
        ("P2", "contract_to_kin", "C1", "XM1;B1", "O1"),
    )
    assert result["covered"].all()
    assert result.loc["P1", "hops"] == 0
    assert result.loc["P2", "hops"] == 2  # official → brother → firm (the project not counted)


def test_related_targets_exclude_the_official_and_count_people_on_paths() -> None:
    # card capture: the targets are the related people except the official himself
    result = coverage_of(
        ("P1", "card_capture", "A1", "O1; V1;V2;", "O1"),
        ("P2", "card_capture", "A1", "O1;V1;Z7", "O1"),  # Z7 never reached
        ("P3", "card_capture", "A1", "O1", "O1"),  # nobody but the official: nothing to reach
    )
    assert result.loc["P1", "targets"] == 2 and result.loc["P1", "found"] == 2
    assert bool(result.loc["P1", "covered"])
    # V1 is a beneficiary at 3 hops, V2 only on a path at position 2: the longest counts
    assert result.loc["P1", "hops"] == 3
    assert (result.loc["P2", "targets"], result.loc["P2", "found"]) == (2, 1)
    assert not result.loc["P2", "covered"] and result.loc["P2", "hops"] == 3
    assert result.loc["P3", "targets"] == 0 and not result.loc["P3", "covered"]


def test_entity_on_a_path_does_not_count_for_entity_schemes() -> None:
    # V2 lies on a path of O1 but is no beneficiary target of it: a ghost needs the target
    result = coverage_of(("P1", "ghost", "V2", "A1;O1", "O1"))
    assert not result.loc["P1", "covered"]


def test_other_schemes_and_instances_without_official_are_left_out() -> None:
    planted = planted_rows(
        ("P1", "deceased_paid", "W1", "", "O1"),  # no relationship path needed
        ("P2", "relative_favoured", "W1", "", ""),  # empty official (keep_default_na=False)
        ("P3", "relative_favoured", "W1", "", np.nan),  # missing official (default NaN)
        ("P4", "relative_favoured", "W1", np.nan, " O1 "),  # spaces around the official
        ("P5", "card_capture", "A1", np.nan, "O1"),  # missing related ids: nothing to reach
    )
    result = planted_path_coverage(LINKS, planted)
    assert result["instance_id"].tolist() == ["P4", "P5"]
    assert bool(result["covered"].iloc[0]) and result["official_id"].iloc[0] == "O1"
    assert result["targets"].iloc[1] == 0 and not result["covered"].iloc[1]


def test_empty_inputs_give_an_empty_typed_frame() -> None:
    empty_links = pd.DataFrame(columns=OFFICIAL_LINK_COLUMNS)
    result = planted_path_coverage(empty_links, planted_rows())
    assert list(result.columns) == COVERAGE_COLUMNS and result.empty
    assert result["covered"].dtype == bool and result["hops"].dtype == float
    nothing_found = planted_path_coverage(
        empty_links, planted_rows(("P1", "ghost", "G1", "A1;O1", "O1"))
    )
    assert nothing_found["found"].tolist() == [0] and not nothing_found["covered"].any()


# --- the small synthetic county ------------------------------------------------------------


def without_link_in_data(planted: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> set[str]:
    """Ghosts paid into an account opened in their own name whose reserved phone is empty.

    Nothing in the data would tie such a ghost to the cadre (the synthetic county copies the
    cadre's phone into the account, and pays the ghosts of cadres without a phone into the
    cadre's own or a relative's account), so there must be none.
    """
    accounts = tables["accounts"]
    phones = accounts["phone"].fillna("").astype(str).str.strip()
    own = accounts.assign(phone=phones).set_index("account_no")
    unlinked = set()
    for instance in planted[planted["scheme"] == "ghost"].itertuples(index=False):
        account = instance.related_ids.split(";")[0]
        if account not in own.index:
            continue
        row = own.loc[account]
        if row["holder_id_number"] == instance.entity_id and not row["phone"]:
            unlinked.add(instance.instance_id)
    return unlinked


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder: Path = tmp_path_factory.mktemp("coverage") / "data"
    generate(folder, seed=5, scale="small")
    config = load_config()
    tables = load_folder(folder, config).tables
    crosswalk = resolve_people(tables, config)
    kinship = derive_kinship(tables["residents"], tables.get("relatives"), None, config)
    planted = pd.read_csv(folder / "_truth" / "planted.csv", dtype=str, keep_default_na=False)
    links = {}
    for name, kinds in (("full", None), ("job", job_edge_kinds(config))):
        extra = {} if kinds is None else {"edge_kinds": kinds}
        graph = build_graph(tables, crosswalk, kinship, config, **extra)
        links[name] = official_links(graph, tables, config, crosswalk=crosswalk)
    return {"tables": tables, "planted": planted, "links": links}


@pytest.mark.parametrize("graph_name", ["full", "job"])
def test_every_planted_relationship_in_the_data_is_an_official_path(
    county: dict[str, object], graph_name: str
) -> None:
    planted: pd.DataFrame = county["planted"]
    coverage = planted_path_coverage(county["links"][graph_name], planted)
    expected = planted[planted["scheme"].isin(PLANTED_PATHS) & (planted["official_id"] != "")]
    # one row per relationship instance, every scheme represented
    assert sorted(coverage["instance_id"]) == sorted(expected["instance_id"])
    assert set(coverage["scheme"]) == set(PLANTED_PATHS)
    # the synthetic county ties every ghost to its cadre in the data, and the graph finds it
    assert without_link_in_data(planted, county["tables"]) == set()
    missed = set(coverage.loc[~coverage["covered"], "instance_id"])
    assert missed == set(), coverage[~coverage["covered"]]
    covered = coverage[coverage["covered"]]
    assert (covered["found"] == covered["targets"]).all() and (covered["targets"] > 0).all()
    assert covered["hops"].between(0, 3).all()  # graph.paths.max_hops
    hops = covered.groupby("scheme")["hops"].agg(["min", "max"])
    assert hops.loc["self_payment"].tolist() == [0, 0]
    assert hops.loc["official_on_aid"].tolist() == [0, 0]
    assert hops.loc["relative_favoured", "min"] >= 1
    assert hops.loc["contract_to_kin", "min"] >= 1  # via a relative or the official himself


def test_the_job_graph_finds_the_same_official_links(county: dict[str, object]) -> None:
    columns = ["official_id", "target_type", "target_id", "hops"]
    full, job = (county["links"][name][columns] for name in ("full", "job"))
    key = columns[:3]
    assert len(job) > 0
    shortest_full = full.groupby(key)["hops"].min().sort_index()
    shortest_job = job.groupby(key)["hops"].min().sort_index()
    assert shortest_full.equals(shortest_job)
