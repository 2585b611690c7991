import networkx as nx
import pandas as pd
import pytest

from riskmodel.config import load_config, override
from riskmodel.entities import resolve_people
from riskmodel.graph import (
    EDGE_KINDS,
    KindError,
    accounts_for_many,
    build_graph,
    ego_network,
    official_links,
    shared_account_clusters,
    shared_clusters,
    validate_kinds,
)
from riskmodel.ids import check_digit, credit_check_char
from riskmodel.kinship import derive_kinship

V1, V2 = "430421100001", "430421100002"


def make_id(body17: str) -> str:
    return body17 + check_digit(body17)


def make_credit(body17: str) -> str:
    return body17 + credit_check_char(body17)


OFF = make_id("43042119700101001")  # 王某, 村主任 of V1
SP = make_id("43042119720202002")  # 李某, his wife
BEN = make_id("43042119500303003")  # 赵某, an unrelated beneficiary
BRO = make_id("43042119680404005")  # 李某兄, the wife's brother (declared relative)
REP = make_id("43042119800505007")  # 陈某, legal representative of the firm
C1 = make_credit("91430421MA4L12345")  # 某建材公司
A1, A2 = "6230901234567890", "6230909876543210"


def keyed(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    frame["_key"] = [f"{file}:{i}" for i in range(2, 2 + len(frame))]
    return frame


def swap(value: str, i: int) -> str:
    chars = list(value)
    chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


@pytest.fixture(scope="module")
def county():
    tables = {
        "villages": keyed(
            pd.DataFrame(
                {
                    "village_code": [V1, V2],
                    "village_name": ["甲村", "乙村"],
                    "town_name": ["西渡镇", "西渡镇"],
                }
            ),
            "villages.csv",
        ),
        "residents": keyed(
            pd.DataFrame(
                {
                    "id_number": [OFF, SP, BEN, BRO, REP],
                    "name": ["王某", "李某", "赵某", "李某兄", "陈某"],
                    "gender": ["男", "女", "男", "男", "男"],
                    "household_id": ["H1", "H1", "H2", "H3", "H4"],
                    "relation": ["户主", "妻子", "户主", "户主", "户主"],
                    "village_code": [V1, V1, V1, V2, V2],
                }
            ),
            "residents.csv",
        ),
        "officials": keyed(
            pd.DataFrame(
                {
                    "id_number": [OFF],
                    "name": ["王某"],
                    "org": ["甲村村委会"],
                    "position": ["村主任"],
                    "category": ["村干部"],
                    "village_code": [V1],
                    "phone": ["13800000002"],
                }
            ),
            "officials.csv",
        ),
        "relatives": keyed(
            pd.DataFrame({"id_number_a": [SP], "id_number_b": [BRO], "relation": ["哥哥"]}),
            "relatives.csv",
        ),
        "programs": keyed(
            pd.DataFrame({"program_code": ["P1"], "program_name": ["农村低保"]}), "programs.csv"
        ),
        "payments": keyed(
            pd.DataFrame(
                {
                    "payment_id": ["1", "2", "3", "4"],
                    "program_code": ["P1"] * 4,
                    "id_number": [BEN, BEN, swap(BRO, 15), SP],
                    "name": ["赵某", "赵某", "李某兄", "李某"],
                    "account_no": [A1, A1, A2, A2],
                    "amount": [500.0, 500.0, 450.0, 300.0],
                    "pay_date": pd.to_datetime(
                        ["2024-01-10", "2024-02-10", "2024-01-10", "2024-03-10"]
                    ),
                    "village_code": [V1, V1, V2, V1],
                }
            ),
            "payments.csv",
        ),
        "accounts": keyed(
            pd.DataFrame(
                {
                    "account_no": [A1, A2],
                    "holder_id_number": [BEN, OFF],
                    "holder_name": ["赵某", "王某"],
                    "phone": ["13800000001", "13800000002"],
                }
            ),
            "accounts.csv",
        ),
        "companies": keyed(
            pd.DataFrame(
                {
                    "credit_code": [C1],
                    "name": ["某建材公司"],
                    "legal_rep_id": [REP],
                    "legal_rep_name": ["陈某"],
                }
            ),
            "companies.csv",
        ),
        "company_people": keyed(
            pd.DataFrame(
                {
                    "credit_code": [C1, C1, C1],
                    "id_number": [REP, BRO, REP],
                    "name": ["陈某", "李某兄", "陈某"],
                    "role": ["法定代表人", "股东", "监事"],
                    "share_ratio": [0.6, 0.4, None],
                }
            ),
            "company_people.csv",
        ),
        "projects": keyed(
            pd.DataFrame(
                {
                    "project_id": ["PJ1"],
                    "project_name": ["某道路项目"],
                    "village_code": [V1],
                    "program_code": ["P9"],
                    "contractor_code": [C1],
                    "contract_amount": [380000.0],
                }
            ),
            "projects.csv",
        ),
        "project_payments": keyed(
            pd.DataFrame(
                {
                    "project_id": ["PJ1", "PJ1"],
                    "pay_date": pd.to_datetime(["2024-04-01", "2024-06-01"]),
                    "amount": [200000.0, 180000.0],
                    "payee_code": [C1, C1],
                    "payee_account": [A1[:-1] + "7"] * 2,
                }
            ),
            "project_payments.csv",
        ),
        "ledger": keyed(
            pd.DataFrame(
                {
                    "voucher_id": ["1", "2"],
                    "village_code": [V1, V1],
                    "date": pd.to_datetime(["2024-05-01", "2024-05-02"]),
                    "direction": ["支出", "收入"],
                    "amount": [8000.0, 100.0],
                    "counterparty_id": [C1, BEN],
                    "counterparty_name": ["某建材公司", "赵某"],
                    "handler": ["王 某", "王某"],
                    "approver": ["王某", "王某"],
                }
            ),
            "ledger.csv",
        ),
    }
    config = load_config()
    crosswalk = resolve_people(tables, config)
    kinship = derive_kinship(tables["residents"], tables["relatives"])
    graph = build_graph(tables, crosswalk, kinship, config)
    return tables, crosswalk, kinship, graph, config


def edges_of(graph, kind):
    return [(u, v, d) for u, v, k, d in graph.edges(keys=True, data=True) if k == kind]


def test_every_edge_kind_is_built_with_provenance(county):
    _, _, _, graph, _ = county
    declared = {e["kind"] for e in EDGE_KINDS}
    built = {k for _, _, k in graph.edges(keys=True)}
    assert built == declared
    for _, _, data in graph.edges(data=True):
        assert data["source_table"]
        assert data["source_keys"]
        assert data["rows"] >= 1


def test_node_ids_kinds_and_names(county):
    _, _, _, graph, _ = county
    assert graph.nodes[f"person:{OFF}"]["name"] == "王某"
    assert graph.nodes[f"person:{OFF}"]["is_official"] is True
    assert graph.nodes[f"company:{C1}"]["kind"] == "company"
    assert graph.nodes["project:PJ1"]["name"] == "某道路项目"
    assert graph.nodes["village:" + V1]["town_name"] == "西渡镇"
    assert graph.has_edge("village:" + V1, "town:西渡镇", key="in_town")
    assert graph.nodes["household:H1"]["kind"] == "household"
    # a program known only from payments and projects still gets its kind
    assert graph.nodes["program:P9"]["kind"] == "program"


def test_member_relative_and_post_edges(county):
    _, _, _, graph, _ = county
    assert graph.has_edge(f"person:{SP}", "household:H1", key="member_of")
    assert graph.edges[f"person:{SP}", "household:H1", "member_of"]["relation"] == "妻子"
    assert graph.has_edge("household:H1", "village:" + V1, key="located_in")
    assert graph.edges["household:H1", "village:" + V1, "located_in"]["members"] == 2
    spouse = graph.edges[f"person:{OFF}", f"person:{SP}", "relative_of"]
    assert spouse["relation"] == "配偶" and spouse["degree"] == 1
    assert spouse["source_table"] == "residents"
    brother = graph.edges[f"person:{SP}", f"person:{BRO}", "relative_of"]
    assert brother["source_table"] == "relatives"
    in_law = graph.edges[f"person:{OFF}", f"person:{BRO}", "relative_of"]
    assert in_law["relation"] == "姻亲" and in_law["source_table"] == "derived"
    post = f"post:{V1}:甲村村委会:村主任"
    assert graph.has_edge(f"person:{OFF}", post, key="holds_post")
    assert graph.has_edge(post, "village:" + V1, key="serves_in")


def test_payment_edges_are_aggregated_and_resolved(county):
    _, _, _, graph, _ = county
    receives = graph.edges[f"person:{BEN}", "program:P1", "receives"]
    assert receives["amount"] == 1000.0
    assert receives["payments"] == 2
    assert receives["months"] == 2
    assert receives["source_keys"] == "payments.csv:2;payments.csv:3"
    # the mistyped ID of the brother lands on the resident, not on a ghost node
    assert graph.has_edge(f"person:{BRO}", "program:P1", key="receives")
    assert not any(n == f"person:{swap(BRO, 15)}" for n in graph)
    assert graph.edges[f"person:{BRO}", f"account:{A2}", "paid_into"]["amount"] == 450.0
    assert graph.has_edge(f"person:{OFF}", f"account:{A2}", key="holds_account")
    # paid into his own account: folded onto the holds_account edge
    assert not graph.has_edge(f"person:{BEN}", f"account:{A1}", key="paid_into")
    own = graph.edges[f"person:{BEN}", f"account:{A1}", "holds_account"]
    assert own["paid_amount"] == 1000.0 and own["paid_payments"] == 2
    # a phone used by two entities links them; a phone used once is left out
    assert graph.has_edge(f"person:{OFF}", "phone:13800000002", key="uses_phone")
    assert graph.has_edge(f"account:{A2}", "phone:13800000002", key="uses_phone")
    assert "phone:13800000001" not in graph


def test_company_project_and_ledger_edges(county):
    _, _, _, graph, _ = county
    assert graph.has_edge(f"person:{REP}", f"company:{C1}", key="represents")
    assert graph.edges[f"person:{REP}", f"company:{C1}", "officer_of"]["role"] == "监事"
    assert graph.has_edge("project:PJ1", f"account:{A1[:-1]}7", key="paid_to_account")
    owns = graph.edges[f"person:{BRO}", f"company:{C1}", "owns"]
    assert owns["share_ratio"] == 0.4 and owns["role"] == "股东"
    assert graph.has_edge(f"company:{C1}", "project:PJ1", key="contracted")
    assert graph.has_edge("project:PJ1", "village:" + V1, key="project_in")
    paid = graph.edges["project:PJ1", f"company:{C1}", "paid"]
    assert paid["amount"] == 380000.0 and paid["rows"] == 2
    ledger = graph.edges["village:" + V1, f"company:{C1}", "paid_to"]
    assert ledger["amount"] == 8000.0
    # income vouchers are not payments; the handler's name (with a stray space) is resolved
    assert not graph.has_edge("village:" + V1, f"person:{BEN}", key="paid_to")
    assert graph.has_edge(f"person:{OFF}", f"company:{C1}", key="handled")
    assert graph.has_edge(f"person:{OFF}", f"company:{C1}", key="approved")


def test_official_links_spell_out_paths(county):
    tables, crosswalk, _, graph, config = county
    links = official_links(graph, tables, config, crosswalk=crosswalk)
    by_target = {(r.target_type, r.target_id): r for r in links.itertuples()}
    spouse = by_target[("beneficiary", SP)]
    assert spouse.hops == 1
    assert spouse.path_text == "村主任 王某 —配偶— 李某"
    assert spouse.relations == "配偶"
    contractor = by_target[("contractor", C1)]
    assert contractor.path_text.endswith("—股东— 某建材公司 —中标— 某道路项目")
    assert contractor.path_text.startswith("村主任 王某 —")
    assert contractor.hops == 2
    assert ("beneficiary", BRO) in by_target
    assert ("payee", C1) in by_target
    # the unrelated beneficiary is not linked; no ID number appears in any path text
    assert ("beneficiary", BEN) not in by_target
    for text in links["path_text"]:
        assert OFF not in text and BRO not in text and A2 not in text
    assert set(links["official_id"]) == {OFF}


def test_official_links_respect_max_hops(county):
    tables, crosswalk, _, graph, config = county
    short = override(config, {"graph": {"paths": {"max_hops": 1}}})
    links = official_links(graph, tables, short, crosswalk=crosswalk)
    assert links["hops"].max() <= 1
    assert ("beneficiary", SP) in set(zip(links.target_type, links.target_id, strict=True))
    assert "contractor" not in set(links.target_type)


def test_hub_accounts_are_crossed_only_next_to_the_official():
    graph = nx.MultiGraph()
    graph.add_node("person:O", kind="person", name="干部")
    graph.add_edge("person:O", "account:X", key="holds_account", label_zh="开户")
    graph.add_edge("person:O", "person:S", key="relative_of", relation="子女")
    graph.add_edge("person:S", "account:Y", key="holds_account", label_zh="开户")
    for i in range(50):
        # his own account collects for 50 people: reached (2 hops)
        graph.add_edge(
            f"person:B{i}",
            "account:X",
            key="paid_into",
            label_zh="打入账户",
            label_zh_reverse="代收",
            from_node=f"person:B{i}",
        )
        graph.add_edge(f"person:B{i}", "program:P", key="receives", label_zh="领取")
        # his son's account is a collective one (a nursing home's): not crossed
        graph.add_edge(f"person:Z{i}", "account:Y", key="paid_into", label_zh="打入账户")
        graph.add_edge(f"person:Z{i}", "program:P", key="receives", label_zh="领取")
    tables = {
        "officials": pd.DataFrame(
            {"id_number": ["O"], "name": ["干部"], "position": ["会计"], "village_code": ["V"]}
        )
    }
    links = official_links(graph, tables, load_config())
    assert sorted(links["target_id"]) == sorted(f"B{i}" for i in range(50))
    assert (links["hops"] == 2).all()
    assert links["path_text"].iloc[0].startswith("会计 干部 —开户— 账户(")
    assert "—代收— 人员(" in links["path_text"].iloc[0]  # paid_into read from account to person
    wider = override(load_config(), {"graph": {"paths": {"max_hub_degree": 100}}})
    assert len(official_links(graph, tables, wider)) == 100


def test_accounts_for_many_and_shared_clusters(county):
    _tables, _, _, graph, _ = county
    many = accounts_for_many(graph)
    assert many["account_no"].tolist() == [A2]
    assert many.loc[0, "households"] == 2 and many.loc[0, "people"] == 2
    assert many.loc[0, "holders"] == OFF
    assert accounts_for_many(graph, min_households=3).empty
    shared_tables = {
        "accounts": pd.DataFrame(
            {
                "account_no": ["1", "2", "3"],
                "holder_id_number": [OFF, BEN, BRO],
                "phone": ["13900000009"] * 3,
            }
        ),
        "payments": pd.DataFrame({"id_number": [SP, REP, BEN], "account_no": ["9", "9", "5"]}),
    }
    clusters = shared_clusters(shared_tables, load_config(), min_shared=2)
    assert set(clusters["entity_id"]) == {OFF, BEN, BRO, SP, REP}
    by_id = dict(zip(clusters["entity_id"], clusters["cluster_id"], strict=True))
    assert by_id[OFF] == by_id[BEN] == by_id[BRO] != by_id[SP] == by_id[REP]
    assert "139****0009" in clusters.loc[clusters.entity_id == OFF, "shared"].item()
    accounts_only = shared_account_clusters(shared_tables, load_config(), min_shared=2)
    assert set(accounts_only["entity_id"]) == {SP, REP}
    assert shared_clusters(shared_tables, load_config(), min_shared=4).empty


def test_ego_network_does_not_expand_through_villages(county):
    _, _, _, graph, config = county
    ego = ego_network(graph, f"person:{BEN}", radius=3, config=config)
    assert f"person:{BEN}" in ego
    assert "village:" + V1 in ego
    assert ego.nodes[f"person:{BEN}"]["hops"] == 0
    # reached only through the village node: not expanded
    assert "project:PJ1" not in ego
    with pytest.raises(KeyError):
        ego_network(graph, "person:nobody")


def test_bad_declarations_are_rejected():
    bad = [
        {
            "kind": "x",
            "label_zh": "x",
            "label_en": "x",
            "table": "t",
            "source": {"kind": "spaceship", "columns": ["a"]},
            "target": {"kind": "person", "columns": ["b"]},
        }
    ]
    with pytest.raises(KindError, match="spaceship"):
        validate_kinds(edge_kinds=bad)
    bad[0]["source"]["kind"] = "person"
    bad[0]["aggregate"] = {"amount": ["amount", "median"]}
    with pytest.raises(KindError, match="median"):
        validate_kinds(edge_kinds=bad)
    del bad[0]["aggregate"]
    bad[0]["fold_into"] = {"kind": "holds_account", "carry": {}}
    with pytest.raises(KindError, match="fold_into needs aggregate"):
        validate_kinds(edge_kinds=bad)


def test_missing_optional_tables_build_a_smaller_graph(county):
    tables = {name: county[0][name] for name in ("residents", "payments")}
    graph = build_graph(tables, None, None, load_config())
    kinds = {k for _, _, k in graph.edges(keys=True)}
    assert kinds == {"member_of", "located_in", "receives", "paid_into"}
    # without the crosswalk the mistyped ID is its own (ghost) node
    assert f"person:{swap(BRO, 15)}" in graph
