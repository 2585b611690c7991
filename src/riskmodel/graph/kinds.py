"""Node and edge kinds of the relationship graph, declared as data.

The builder (``build.py``) has no per-kind code: it reads these declarations.

A **node kind**: ``kind`` (the id prefix, ``person:<id>``), Chinese and English labels, and
the tables that describe nodes of that kind (``key`` column(s) joined by ``:``, ``name``
column, ``attributes`` to carry).

An **edge kind**: ``kind``, labels (``label_zh_reverse`` reads the edge from target to
source; symmetric kinds have none), ``table``, ``source`` and ``target`` node references,
``attributes`` (edge attribute ← column), optional ``where`` (row filter) and
``aggregate`` (one edge per source/target pair with the listed aggregations) and
``fold_into`` (an edge whose ends already share an edge of another kind is folded into it,
carrying the listed attributes), ``shared_only`` (keep the edge only when its target — a
phone — is used by at least two distinct sources across all ``shared_only`` kinds: a phone
used once links nothing). A node
reference is ``{"kind": ..., "columns": [...]}``; kind ``party`` means *a person or a
company*, decided per row by the shape of the value (a credit code is a company);
``"by_name_in": "village_code"`` resolves a name column to an official of the same village.
Person references go through the entity-resolution crosswalk automatically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NODE_KINDS: tuple[dict[str, Any], ...] = (
    {
        "kind": "phone",
        "label_zh": "电话",
        "label_en": "phone",
        "sources": [],
    },
    {
        "kind": "person",
        "label_zh": "人员",
        "label_en": "person",
        "sources": [
            {
                "table": "residents",
                "key": ["id_number"],
                "name": "name",
                "attributes": ["village_code", "household_id", "household_type"],
            },
            {
                "table": "officials",
                "key": ["id_number"],
                "name": "name",
                "attributes": ["position", "category", "org"],
                "flag": "is_official",
            },
        ],
    },
    {
        "kind": "household",
        "label_zh": "户",
        "label_en": "household",
        "sources": [
            {
                "table": "residents",
                "key": ["household_id"],
                "attributes": ["village_code", "household_type"],
            }
        ],
    },
    {
        "kind": "village",
        "label_zh": "村",
        "label_en": "village",
        "sources": [
            {
                "table": "villages",
                "key": ["village_code"],
                "name": "village_name",
                "attributes": ["town_name", "town_code"],
            }
        ],
    },
    {
        "kind": "town",
        "label_zh": "乡镇",
        "label_en": "town",
        "sources": [
            {
                "table": "villages",
                "key": ["town_name"],
                "name": "town_name",
                "attributes": ["town_code"],
            }
        ],
    },
    {
        "kind": "post",
        "label_zh": "职务",
        "label_en": "official post",
        "sources": [
            {
                "table": "officials",
                "key": ["village_code", "org", "position"],
                "name": "position",
                "attributes": ["category", "village_code"],
            }
        ],
    },
    {
        "kind": "program",
        "label_zh": "补贴项目",
        "label_en": "program",
        "sources": [
            {
                "table": "programs",
                "key": ["program_code"],
                "name": "program_name",
                "attributes": ["department", "standard_amount", "period", "unit"],
            }
        ],
    },
    {
        "kind": "account",
        "label_zh": "账户",
        "label_en": "account",
        "sources": [
            {
                "table": "accounts",
                "key": ["account_no"],
                "name": "holder_name",
                "attributes": ["bank", "phone"],
            }
        ],
    },
    {
        "kind": "company",
        "label_zh": "企业",
        "label_en": "company",
        "sources": [
            {
                "table": "companies",
                "key": ["credit_code"],
                "name": "name",
                "attributes": ["legal_rep_name", "address", "phone", "status"],
            }
        ],
    },
    {
        "kind": "project",
        "label_zh": "项目",
        "label_en": "project",
        "sources": [
            {
                "table": "projects",
                "key": ["project_id"],
                "name": "project_name",
                "attributes": ["village_code", "budget", "contract_amount", "status"],
            }
        ],
    },
)

EDGE_KINDS: tuple[dict[str, Any], ...] = (
    {
        "kind": "uses_phone",
        "label_zh": "登记电话",
        "label_en": "registered phone",
        "table": "accounts",
        "source": {"kind": "account", "columns": ["account_no"]},
        "target": {"kind": "phone", "columns": ["phone"]},
        "shared_only": True,
    },
    {
        "kind": "uses_phone",
        "label_zh": "登记电话",
        "label_en": "registered phone",
        "table": "officials",
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "phone", "columns": ["phone"]},
        "shared_only": True,
    },
    {
        "kind": "uses_phone",
        "label_zh": "登记电话",
        "label_en": "registered phone",
        "table": "companies",
        "source": {"kind": "company", "columns": ["credit_code"]},
        "target": {"kind": "phone", "columns": ["phone"]},
        "shared_only": True,
    },
    {
        "kind": "member_of",
        "label_zh": "户成员",
        "label_zh_reverse": "户内成员",
        "label_en": "member of",
        "table": "residents",
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "household", "columns": ["household_id"]},
        "attributes": {"relation": "relation"},
    },
    {
        "kind": "located_in",
        "label_zh": "位于",
        "label_en": "located in",
        "table": "residents",
        "source": {"kind": "household", "columns": ["household_id"]},
        "target": {"kind": "village", "columns": ["village_code"]},
        "aggregate": {"members": ["id_number", "size"]},
    },
    {
        "kind": "in_town",
        "label_zh": "属于乡镇",
        "label_en": "in town",
        "table": "villages",
        "source": {"kind": "village", "columns": ["village_code"]},
        "target": {"kind": "town", "columns": ["town_name"]},
    },
    {
        "kind": "relative_of",
        "label_zh": "亲属",
        "label_en": "relative of",
        "table": "kinship",
        "source": {"kind": "person", "columns": ["id_a"], "resolved": True},
        "target": {"kind": "person", "columns": ["id_b"], "resolved": True},
        "attributes": {"relation": "relation", "degree": "degree", "via": "via"},
        "undirected": True,
    },
    {
        "kind": "holds_post",
        "label_zh": "任职",
        "label_zh_reverse": "任职人",
        "label_en": "holds post",
        "table": "officials",
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "post", "columns": ["village_code", "org", "position"]},
        "attributes": {
            "position": "position",
            "category": "category",
            "start_date": "start_date",
            "end_date": "end_date",
        },
    },
    {
        "kind": "serves_in",
        "label_zh": "任职村",
        "label_en": "serves in",
        "table": "officials",
        "source": {"kind": "post", "columns": ["village_code", "org", "position"]},
        "target": {"kind": "village", "columns": ["village_code"]},
    },
    {
        "kind": "receives",
        "label_zh": "领取",
        "label_zh_reverse": "发放给",
        "label_en": "receives",
        "table": "payments",
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "program", "columns": ["program_code"]},
        "aggregate": {
            "amount": ["amount", "sum"],
            "payments": ["amount", "size"],
            "months": ["pay_date", "months"],
            "first_date": ["pay_date", "min"],
            "last_date": ["pay_date", "max"],
        },
    },
    {
        "kind": "paid_into",
        "label_zh": "打入账户",
        "label_zh_reverse": "代收",
        "label_en": "paid into",
        "table": "payments",
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "account", "columns": ["account_no"]},
        "aggregate": {
            "amount": ["amount", "sum"],
            "payments": ["amount", "size"],
            "programs": ["program_code", "nunique"],
        },
        # paid into an account the person holds: the holds_account edge carries the amounts
        "fold_into": {
            "kind": "holds_account",
            "carry": {"paid_amount": "amount", "paid_payments": "payments"},
        },
    },
    {
        "kind": "holds_account",
        "label_zh": "开户",
        "label_zh_reverse": "户主",
        "label_en": "holds account",
        "table": "accounts",
        "source": {"kind": "party", "columns": ["holder_id_number"]},
        "target": {"kind": "account", "columns": ["account_no"]},
        "attributes": {"bank": "bank", "open_date": "open_date"},
    },
    {
        "kind": "represents",
        "label_zh": "法定代表人",
        "label_en": "legal representative",
        "table": "companies",
        "source": {"kind": "person", "columns": ["legal_rep_id"]},
        "target": {"kind": "company", "columns": ["credit_code"]},
    },
    {
        "kind": "owns",
        "label_zh": "股东",
        "label_en": "shareholder",
        "table": "company_people",
        "where": {"column": "role", "contains": ["股东", "出资"]},
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "company", "columns": ["credit_code"]},
        "attributes": {"role": "role", "share_ratio": "share_ratio"},
    },
    {
        "kind": "represents",
        "label_zh": "法定代表人",
        "label_en": "legal representative",
        "table": "company_people",
        "where": {"column": "role", "contains": ["法定代表人", "法人"]},
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "company", "columns": ["credit_code"]},
        "attributes": {"role": "role", "share_ratio": "share_ratio"},
    },
    {
        "kind": "officer_of",
        "label_zh": "任职企业",
        "label_zh_reverse": "任职人员",
        "label_en": "officer of",
        "table": "company_people",
        "where": {"column": "role", "not_contains": ["股东", "出资", "法定代表人", "法人"]},
        "source": {"kind": "person", "columns": ["id_number"]},
        "target": {"kind": "company", "columns": ["credit_code"]},
        "attributes": {"role": "role"},
    },
    {
        "kind": "contracted",
        "label_zh": "中标",
        "label_zh_reverse": "中标单位",
        "label_en": "contracted",
        "table": "projects",
        "source": {"kind": "company", "columns": ["contractor_code"]},
        "target": {"kind": "project", "columns": ["project_id"]},
        "attributes": {"contract_amount": "contract_amount", "tender_date": "tender_date"},
    },
    {
        "kind": "project_in",
        "label_zh": "项目所在村",
        "label_en": "project in",
        "table": "projects",
        "source": {"kind": "project", "columns": ["project_id"]},
        "target": {"kind": "village", "columns": ["village_code"]},
    },
    {
        "kind": "funded_by",
        "label_zh": "资金来源",
        "label_en": "funded by",
        "table": "projects",
        "source": {"kind": "project", "columns": ["project_id"]},
        "target": {"kind": "program", "columns": ["program_code"]},
    },
    {
        "kind": "paid",
        "label_zh": "拨付",
        "label_zh_reverse": "收到拨付",
        "label_en": "paid",
        "table": "project_payments",
        "source": {"kind": "project", "columns": ["project_id"]},
        "target": {"kind": "party", "columns": ["payee_code"]},
        "aggregate": {"amount": ["amount", "sum"], "payments": ["amount", "size"]},
    },
    {
        "kind": "paid_to_account",
        "label_zh": "拨付账户",
        "label_en": "paid to account",
        "table": "project_payments",
        "source": {"kind": "project", "columns": ["project_id"]},
        "target": {"kind": "account", "columns": ["payee_account"]},
        "aggregate": {"amount": ["amount", "sum"]},
    },
    {
        "kind": "paid_to",
        "label_zh": "村账支付",
        "label_zh_reverse": "收到村账支付",
        "label_en": "paid to (ledger)",
        "table": "ledger",
        "where": {"column": "direction", "contains": ["支出", "付"]},
        "source": {"kind": "village", "columns": ["village_code"]},
        "target": {"kind": "party", "columns": ["counterparty_id"]},
        "aggregate": {"amount": ["amount", "sum"], "vouchers": ["amount", "size"]},
    },
    {
        "kind": "handled",
        "label_zh": "经手",
        "label_zh_reverse": "经手人",
        "label_en": "handled",
        "table": "ledger",
        "where": {"column": "direction", "contains": ["支出", "付"]},
        "source": {"kind": "person", "columns": ["handler"], "by_name_in": "village_code"},
        "target": {"kind": "party", "columns": ["counterparty_id"]},
        "aggregate": {"amount": ["amount", "sum"], "vouchers": ["amount", "size"]},
    },
    {
        "kind": "approved",
        "label_zh": "审批",
        "label_zh_reverse": "审批人",
        "label_en": "approved",
        "table": "ledger",
        "where": {"column": "direction", "contains": ["支出", "付"]},
        "source": {"kind": "person", "columns": ["approver"], "by_name_in": "village_code"},
        "target": {"kind": "party", "columns": ["counterparty_id"]},
        "aggregate": {"amount": ["amount", "sum"], "vouchers": ["amount", "size"]},
    },
)

AGGREGATIONS = {"sum", "size", "min", "max", "nunique", "months"}


class KindError(ValueError):
    """A node or edge kind declaration is invalid."""


def validate_kinds(
    node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
    edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
) -> None:
    """Reject a bad declaration with a message naming the kind and the problem."""
    known = set()
    for node in node_kinds:
        for field in ("kind", "label_zh", "label_en", "sources"):
            if field not in node:
                raise KindError(f"node kind {node.get('kind', '?')!r}: missing {field!r}")
        for source in node["sources"]:
            if "table" not in source or not source.get("key"):
                raise KindError(f"node kind {node['kind']!r}: a source needs table and key")
        known.add(node["kind"])
    known.add("party")
    for edge in edge_kinds:
        name = edge.get("kind", "?")
        for field in ("kind", "label_zh", "label_en", "table", "source", "target"):
            if field not in edge:
                raise KindError(f"edge kind {name!r}: missing {field!r}")
        for end in ("source", "target"):
            reference = edge[end]
            if reference.get("kind") not in known:
                raise KindError(
                    f"edge kind {name!r}: {end} has unknown node kind {reference.get('kind')!r}"
                )
            if not reference.get("columns"):
                raise KindError(f"edge kind {name!r}: {end} needs columns")
        for attribute, spec in edge.get("aggregate", {}).items():
            if not isinstance(spec, list | tuple) or len(spec) != 2:
                raise KindError(f"edge kind {name!r}: aggregate {attribute!r} is [column, how]")
            if spec[1] not in AGGREGATIONS:
                raise KindError(
                    f"edge kind {name!r}: aggregate {attribute!r} has unknown {spec[1]!r}; "
                    f"known: {sorted(AGGREGATIONS)}"
                )
        if edge.get("fold_into") and "aggregate" not in edge:
            raise KindError(f"edge kind {name!r}: fold_into needs aggregate (one edge per pair)")
        where = edge.get("where")
        if where and not ({"column"} <= set(where) and {"contains", "not_contains"} & set(where)):
            raise KindError(f"edge kind {name!r}: where needs column and contains/not_contains")


def label_of(kind: str) -> tuple[str, str]:
    """Chinese and English label of a node or edge kind."""
    for declared in (*NODE_KINDS, *EDGE_KINDS):
        if declared["kind"] == kind:
            return declared["label_zh"], declared["label_en"]
    return kind, kind


validate_kinds()
