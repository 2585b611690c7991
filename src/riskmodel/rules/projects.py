"""Project rules: kin contractors, tender thresholds, payments against progress, collusion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskmodel.rules import common
from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import build_evidence, empty_evidence

Params = dict[str, Any]
Config = dict[str, Any]


def _projects(context: RuleContext) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        table = context.table("projects")
        if table.empty:
            return table
        frame = table.assign(
            project_id=table["project_id"].astype("str"),
            village_code=table["village_code"].astype("str"),
        )
        for column in ("budget", "contract_amount"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
        for column in ("tender_date", "start_date", "completion_date", "acceptance_date"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], errors="coerce")
            else:
                frame[column] = pd.NaT
        if "contractor_code" in frame:
            frame["contractor_code"] = common.clean_ids(frame["contractor_code"])
        else:
            frame["contractor_code"] = ""
        if "contractor_name" not in frame:
            frame["contractor_name"] = ""
        frame["town"] = common.town_of(context, frame["village_code"])
        frame["when"] = frame["tender_date"].fillna(frame["start_date"])
        return frame

    return context.cached("projects", build)


def _project_evidence(
    found: pd.DataFrame,
    fields: list[str],
    amount: str | float = "amount",
    official: str | None = None,
    related: str | None = None,
    source_table: str = "projects",
    entity_type: str = "project",
    entity_id: str = "project_id",
    name: str = "project_name",
    mitigation: str | None = None,
    quality: str | float = 1.0,
) -> pd.DataFrame:
    return build_evidence(
        found,
        entity_type=entity_type,
        entity_id=entity_id,
        entity_name=name,
        village_code="village_code",
        official_id=official,
        related_ids=related,
        source_table=source_table,
        source_key="keys",
        amount_at_risk=amount,
        match_quality=quality,
        detail="detail",
        mitigation=mitigation,
        fields=fields,
    )


def _official_scope_ok(context: RuleContext, found: pd.DataFrame, same_town: bool) -> pd.Series:
    """Whether the official serves the project's village (or its town when ``same_town``)."""
    village = found["official_village"].astype("str").fillna("")
    same_village = village == found["village_code"]
    if not same_town:
        return same_village | (village == "")
    town = common.town_of(context, village)
    return same_village | (village == "") | (town == found["town"])


def contractor_linked_graph(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A project won by a contractor linked to an official of its village or town (graph path).

    ``official_links`` rows with ``target_type`` = contractor and ``hops`` ≤ ``k_hops``, joined
    to projects by contractor code; the official serves the project's village (or its town).

    Why
    ---
    Contracts to kin hide behind a brother-in-law's company or a shareholder two steps away;
    the relationship graph spells the chain out.

    Exclusions
    ----------
    Paths longer than ``k_hops``; officials of other towns.

    Evidence
    --------
    One row per project and official: the contractor (company) as entity, the project and the
    official in ``related_ids``, the path in Chinese in the detail.
    """
    links = context.official_links
    links = links[
        (links["target_type"] == "contractor")
        & (
            pd.to_numeric(links["hops"], errors="coerce")
            <= int(params["programs.thresholds.k_hops"])
        )
    ]
    projects = _projects(context)
    rows = projects.merge(
        links.assign(
            target_id=common.clean_ids(links["target_id"]),
            official_id=common.clean_ids(links["official_id"]),
        ),
        left_on="contractor_code",
        right_on="target_id",
    )
    officials = common.officials(context, config).drop_duplicates("official_id")
    rows["official_village"] = (
        rows["official_id"]
        .map(officials.set_index("official_id")["village_code"])
        .astype("str")
        .fillna("")
    )
    rows = rows[_official_scope_ok(context, rows, bool(params["same_town"]))]
    if rows.empty:
        return empty_evidence()
    rows = rows.sort_values("hops").drop_duplicates(["project_id", "official_id"])
    rows["keys"] = rows["_key"]
    rows["related"] = rows["project_id"] + ";" + rows["official_id"]
    rows["amount"] = rows.get("contract_amount", 0.0)
    rows["quality"] = 1.0 / pd.to_numeric(rows["hops"]).clip(lower=1) ** 0.5
    rows["detail"] = [
        f"项目“{r.project_name}”由{r.contractor_name}承接，该企业与公职人员存在关联："
        f"{r.path_text}（{r.hops}步）"
        for r in rows.itertuples()
    ]
    return _project_evidence(
        rows,
        ["project_id", "project_name", "hops", "relations"],
        official="official_id",
        related="related",
        quality="quality",
        entity_type="company",
        entity_id="contractor_code",
        name="contractor_name",
    )


def _company_people(context: RuleContext) -> pd.DataFrame:
    """credit_code → person_id, role (legal reps and registered people)."""
    parts = []
    people = context.table("company_people")
    if not people.empty:
        parts.append(
            pd.DataFrame(
                {
                    "credit_code": common.clean_ids(people["credit_code"]),
                    "person_id": common.clean_ids(people["id_number"]),
                    "role": people["role"].astype("str") if "role" in people else "登记人员",
                }
            )
        )
    companies = context.table("companies")
    if not companies.empty and "legal_rep_id" in companies:
        parts.append(
            pd.DataFrame(
                {
                    "credit_code": common.clean_ids(companies["credit_code"]),
                    "person_id": common.clean_ids(companies["legal_rep_id"]),
                    "role": "法定代表人",
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["credit_code", "person_id", "role"])
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["person_id"] != ""].drop_duplicates(["credit_code", "person_id"])


def contractor_kin(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A project won by a company whose legal rep or shareholder is an official or his kin.

    Company people (``company_people``, ``companies.legal_rep_id``) joined to officials
    directly and through kinship (degree ≤ ``relative_max_degree``); the official serves the
    project's village (or its town with ``same_town``) and is in office at the tender.

    Why
    ---
    关联企业中标: the village road given to the secretary's brother-in-law's company.

    Exclusions
    ----------
    Officials of other villages/towns; terms not covering the tender date.

    Evidence
    --------
    One row per project and official: the contractor (company) as entity, the project, the
    linked person and the official in ``related_ids``; relation and role in the detail.
    """
    projects = _projects(context)
    people = _company_people(context)
    officials = common.officials(context, config)
    officials = officials[officials["is_cadre"] | officials["is_public_employee"]]
    kin = common.kinship(context, config)
    kin = kin[kin["degree"] <= int(config["programs"]["relative_max_degree"])]
    self_links = pd.DataFrame(
        {
            "id_a": officials["official_id"],
            "id_b": officials["official_id"],
            "relation": "本人",
            "degree": 0,
        }
    )
    links = pd.concat(
        [self_links, kin[kin["id_a"].isin(officials["official_id"])]], ignore_index=True
    ).drop_duplicates(["id_a", "id_b"])
    owned = people.merge(links, left_on="person_id", right_on="id_b")
    rows = projects.merge(owned, left_on="contractor_code", right_on="credit_code")
    rows = rows.merge(
        officials[["official_id", "village_code", "start_date", "end_date", "name"]].rename(
            columns={
                "village_code": "official_village",
                "name": "official_name",
                "start_date": "term_start",
                "end_date": "term_end",
            }
        ),
        left_on="id_a",
        right_on="official_id",
    )
    rows = rows[_official_scope_ok(context, rows, bool(params["same_town"]))]
    rows = rows[common.active_on(rows["term_start"], rows["term_end"], rows["when"])]
    if rows.empty:
        return empty_evidence()
    rows = rows.sort_values("degree").drop_duplicates(["project_id", "official_id"])
    rows["keys"] = rows["_key"]
    rows["related"] = rows["project_id"] + ";" + rows["person_id"] + ";" + rows["official_id"]
    rows["amount"] = rows.get("contract_amount", 0.0)
    rows["detail"] = [
        f"项目“{r.project_name}”由{r.contractor_name}承接，该企业{r.role}是公职人员"
        f"{r.official_name}的{r.relation}"
        for r in rows.itertuples()
    ]
    return _project_evidence(
        rows,
        ["project_id", "project_name", "role", "relation", "degree"],
        official="official_id",
        related="related",
        entity_type="company",
        entity_id="contractor_code",
        name="contractor_name",
    )


def near_tender_threshold(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A contract priced just under a tendering threshold.

    ``contract_amount`` (else ``budget``) in ``[fraction × T, T)`` for a tender level T
    (programs.thresholds.tender_levels).

    Why
    ---
    Pricing a job at 9.8万 avoids the 10万 open-tender line (安吉).

    Exclusions
    ----------
    Amounts below the band or at/above the line.

    Evidence
    --------
    One row per project with the line it stays under.
    """
    projects = _projects(context)
    value = projects["contract_amount"] if "contract_amount" in projects else projects["budget"]
    value = value.fillna(projects["budget"]) if "budget" in projects else value
    rows = []
    for level in sorted(float(t) for t in params["programs.thresholds.tender_levels"]):
        band = projects[(value >= float(params["fraction"]) * level) & (value < level)]
        rows.append(band.assign(level=level, amount=value[band.index]))
    found = pd.concat(rows).drop_duplicates("project_id") if rows else pd.DataFrame()
    if found.empty:
        return empty_evidence()
    found["keys"] = found["_key"]
    found["detail"] = [
        f"项目“{r.project_name}”合同金额{common.yuan(r.amount)}，略低于招标限额{common.yuan(r.level)}"
        for r in found.itertuples()
    ]
    return _project_evidence(found, ["amount", "level"], related="contractor_code", amount=0.0)


def split_projects(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """Projects split between one contractor and village to stay under a tender line.

    Projects of the same village and contractor whose tender (or start) dates chain with gaps
    ≤ ``window_days``; each under the lowest tender level T, together ≥ T.

    Why
    ---
    拆分工程: two "projects" at the same place and time, each just under the line (安吉).

    Exclusions
    ----------
    Single projects; chains whose total stays under the line.

    Evidence
    --------
    One row per chain (entity: its first project, the others and the contractor related).
    """
    projects = _projects(context)
    level = min(float(t) for t in params["programs.thresholds.tender_levels"])
    value = projects["contract_amount"].fillna(projects.get("budget", np.nan))
    rows = projects.assign(amount=value)
    rows = rows[(rows["amount"] < level) & (rows["contractor_code"] != "") & rows["when"].notna()]
    if rows.empty:
        return empty_evidence()
    rows = rows.sort_values(["village_code", "contractor_code", "when"])
    same = (rows["village_code"] == rows["village_code"].shift()) & (
        rows["contractor_code"] == rows["contractor_code"].shift()
    )
    gap = (rows["when"] - rows["when"].shift()).dt.days
    rows = rows.assign(chain=(~(same & (gap <= int(params["window_days"])))).cumsum().to_numpy())
    found = rows.groupby("chain", as_index=False).agg(
        project_id=("project_id", "first"),
        project_name=("project_name", "first"),
        village_code=("village_code", "first"),
        contractor=("contractor_name", "first"),
        contractor_code=("contractor_code", "first"),
        amount=("amount", "sum"),
        count=("amount", "size"),
        projects=("project_id", common.collapse),
        keys=("_key", common.collapse),
    )
    found = found[(found["count"] >= 2) & (found["amount"] >= level)]
    if found.empty:
        return empty_evidence()
    found["related"] = found["projects"] + ";" + found["contractor_code"]
    found["detail"] = [
        f"{r.contractor}在同村短期内承接{r.count}个项目，单个均低于招标限额{common.yuan(level)}，"
        f"合计{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _project_evidence(found, ["count", "amount"], related="related")


def _paid(context: RuleContext) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        table = context.table("project_payments")
        return table.assign(
            project_id=table["project_id"].astype("str"),
            pay_date=pd.to_datetime(table["pay_date"], errors="coerce"),
            amount=pd.to_numeric(table["amount"], errors="coerce").astype("float64"),
        )

    return context.cached("project_paid", build)


def paid_before_acceptance(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A project paid in full (or largely) before acceptance, or paid before it started.

    Cumulative payments dated before ``acceptance_date`` (all payments when there is none)
    above ``max_share_before_acceptance`` × contract amount; or any payment before
    ``start_date``.

    Why
    ---
    Pay by progress (按工程进度比例付款): full payment before acceptance is how fake or
    unfinished works get paid.

    Exclusions
    ----------
    Advance payments up to the configured share; projects without a contract amount.

    Evidence
    --------
    One row per project; amount at risk = what was paid before acceptance.
    """
    projects = _projects(context)
    paid = _paid(context).merge(
        projects[
            [
                "project_id",
                "project_name",
                "village_code",
                "contract_amount",
                "acceptance_date",
                "start_date",
                "contractor_code",
            ]
        ],
        on="project_id",
    )
    if paid.empty:
        return empty_evidence()
    before_start = paid["start_date"].notna() & (paid["pay_date"] < paid["start_date"])
    before_acceptance = paid["acceptance_date"].isna() | (
        paid["pay_date"] < paid["acceptance_date"]
    )
    rows = paid[before_acceptance | before_start].assign(early_start=before_start)
    found = rows.groupby("project_id", as_index=False).agg(
        project_name=("project_name", "first"),
        village_code=("village_code", "first"),
        contract=("contract_amount", "first"),
        amount=("amount", "sum"),
        early_start=("early_start", "sum"),
        keys=("_key", common.collapse),
        accepted=("acceptance_date", "first"),
        contractor_code=("contractor_code", "first"),
    )
    share = found["amount"] / found["contract"]
    found = found[
        (share > float(params["max_share_before_acceptance"])) | (found["early_start"] > 0)
    ]
    if found.empty:
        return empty_evidence()
    found["share"] = (found["amount"] / found["contract"]).round(3)
    found["detail"] = [
        f"项目“{r.project_name}”"
        + (f"在{common.day(r.accepted)}验收前" if pd.notna(r.accepted) else "未验收即")
        + f"已付{common.yuan(r.amount)}（合同额的{r.share:.0%}）"
        + (f"，其中{r.early_start}笔付于开工前" if r.early_start else "")
        for r in found.itertuples()
    ]
    return _project_evidence(
        found,
        ["amount", "contract", "share", "early_start"],
        related="contractor_code",
        source_table="project_payments",
    )


def paid_beyond_contract(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A project paid more than its contract amount.

    Total payments > contract amount × (1 + ``tolerance``).

    Why
    ---
    Overpayment without a documented variation is money without a basis.

    Exclusions
    ----------
    Overruns within the tolerance; projects without a contract amount.

    Evidence
    --------
    One row per project; amount at risk = the excess.
    """
    projects = _projects(context)
    totals = (
        _paid(context)
        .groupby("project_id", as_index=False)
        .agg(amount=("amount", "sum"), keys=("_key", common.collapse))
    )
    found = projects[
        ["project_id", "project_name", "village_code", "contract_amount", "contractor_code"]
    ].merge(totals, on="project_id")
    found = found[found["amount"] > found["contract_amount"] * (1 + float(params["tolerance"]))]
    if found.empty:
        return empty_evidence()
    found["excess"] = found["amount"] - found["contract_amount"]
    found["detail"] = [
        f"项目“{r.project_name}”累计支付{common.yuan(r.amount)}，超过合同金额"
        f"{common.yuan(r.contract_amount)}达{common.yuan(r.excess)}"
        for r in found.itertuples()
    ]
    return _project_evidence(
        found,
        ["amount", "contract_amount", "excess"],
        amount="excess",
        related="contractor_code",
        source_table="project_payments",
    )


def contractor_concentration(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """One contractor winning most of a town's project value in a year.

    Per town and year of tender: a contractor's share of contract value > ``min_share`` with
    at least ``min_projects`` projects, in towns with at least ``min_town_projects`` projects.

    Why
    ---
    包揽: one firm winning everything suggests steering, kickbacks or a cadre's own company.

    Exclusions
    ----------
    Towns with few projects.

    Evidence
    --------
    One row per contractor, town and year.
    """
    projects = _projects(context)
    rows = projects[(projects["contractor_code"] != "") & projects["when"].notna()]
    rows = rows.assign(year=rows["when"].dt.year, value=rows["contract_amount"].fillna(0))
    town = rows.groupby(["town", "year"]).agg(total=("value", "sum"), n=("value", "size"))
    found = (
        rows.groupby(["town", "year", "contractor_code"], as_index=False)
        .agg(
            value=("value", "sum"),
            count=("value", "size"),
            name=("contractor_name", "first"),
            keys=("_key", common.collapse),
            village_code=("village_code", "first"),
            projects=("project_id", common.collapse),
        )
        .merge(town.reset_index(), on=["town", "year"])
    )
    found["share"] = found["value"] / found["total"]
    found = found[
        (found["share"] > float(params["min_share"]))
        & (found["count"] >= int(params["min_projects"]))
        & (found["n"] >= int(params["min_town_projects"]))
    ]
    if found.empty:
        return empty_evidence()
    found["detail"] = [
        f"{r.name}在{r.year}年承接本乡镇{r.n}个项目中的{r.count}个，金额占{r.share:.0%}"
        for r in found.itertuples()
    ]
    return _project_evidence(
        found,
        ["year", "count", "share", "value"],
        amount=0.0,
        related="projects",
        entity_type="company",
        entity_id="contractor_code",
        name="name",
    )


def contractors_share_contacts(
    context: RuleContext, config: Config, params: Params
) -> pd.DataFrame:
    """Contractors (or bidders) that share a phone, an address or a person.

    Among companies that won projects or bid: pairs with the same ``phone``, the same
    normalised ``address``, the same legal representative, or a person registered in both.

    Why
    ---
    《招标投标法实施条例》art. 40: bidders sharing people or accounts are presumed to
    collude; "different" contractors of one village that share a phone are one firm.

    Exclusions
    ----------
    Companies that never contracted or bid; empty values.

    Evidence
    --------
    One row per company with the companies it shares contacts with.
    """
    companies = context.table("companies")
    projects = _projects(context)
    active = set(projects["contractor_code"])
    bids = context.table("bids")
    if not bids.empty:
        active |= set(common.clean_ids(bids["bidder_code"]))
    companies = companies.assign(credit_code=common.clean_ids(companies["credit_code"]))
    companies = companies[companies["credit_code"].isin(active)]
    links = []
    for column, label in (("phone", "电话"), ("address", "地址")):
        if column in companies:
            values = common.normalise_names(companies[column])
            links.append(
                pd.DataFrame(
                    {
                        "credit_code": companies["credit_code"],
                        "value": values,
                        "kind": label,
                        "_key": companies["_key"],
                    }
                )
            )
    people = _company_people(context)
    people = people[people["credit_code"].isin(active)]
    links.append(
        pd.DataFrame(
            {
                "credit_code": people["credit_code"],
                "value": people["person_id"],
                "kind": "人员",
                "_key": "",
            }
        )
    )
    links = pd.concat(links, ignore_index=True)
    links = links[(links["value"] != "") & (links["value"] != "nan")].drop_duplicates(
        ["credit_code", "value", "kind"]
    )
    pairs = links.merge(links, on=["value", "kind"])
    pairs = pairs[pairs["credit_code_x"] != pairs["credit_code_y"]]
    if pairs.empty:
        return empty_evidence()
    found = (
        pairs.groupby("credit_code_x", as_index=False)
        .agg(
            others=("credit_code_y", common.collapse),
            kinds=("kind", common.collapse),
            keys=("_key_x", common.collapse),
        )
        .rename(columns={"credit_code_x": "credit_code"})
    )
    names = companies.drop_duplicates("credit_code").set_index("credit_code")["name"]
    found["name"] = found["credit_code"].map(names).fillna("")
    villages = projects.groupby("contractor_code")["village_code"].first()
    found["village_code"] = found["credit_code"].map(villages).fillna("")
    found["detail"] = [
        f"{r.name}与其他{len(r.others.split(';'))}家承包/投标企业共用{r.kinds}"
        for r in found.itertuples()
    ]
    return _project_evidence(
        found,
        ["kinds"],
        amount=0.0,
        related="others",
        entity_type="company",
        entity_id="credit_code",
        name="name",
        source_table="companies",
    )


def payee_not_contractor(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A project payment made to someone other than the contractor.

    ``project_payments.payee_code`` present and different from ``projects.contractor_code``.

    Why
    ---
    婺城: the contract party was not the tender winner; 桐庐: the winner's withdrawal slip was
    signed by the village secretary.

    Exclusions
    ----------
    Payments without a payee code (unknown).

    Evidence
    --------
    One row per project with the other payees.
    """
    projects = _projects(context)
    paid = _paid(context)
    paid = paid.assign(payee_code=common.clean_ids(paid["payee_code"])).merge(
        projects[
            ["project_id", "project_name", "village_code", "contractor_code", "contractor_name"]
        ],
        on="project_id",
    )
    rows = paid[
        (paid["payee_code"] != "")
        & (paid["contractor_code"] != "")
        & (paid["payee_code"] != paid["contractor_code"])
    ]
    if rows.empty:
        return empty_evidence()
    found = rows.groupby("project_id", as_index=False).agg(
        project_name=("project_name", "first"),
        village_code=("village_code", "first"),
        amount=("amount", "sum"),
        payees=("payee_code", common.collapse),
        names=("payee_name", common.collapse) if "payee_name" in rows else ("payee_code", "first"),
        contractor=("contractor_name", "first"),
        keys=("_key", common.collapse),
    )
    found["detail"] = [
        f"项目“{r.project_name}”的款项{common.yuan(r.amount)}付给了中标单位{r.contractor}以外的"
        f"{r.names}"
        for r in found.itertuples()
    ]
    return _project_evidence(found, ["amount"], related="payees", source_table="project_payments")


def shell_company_winner(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A project won by a company founded shortly before the tender or with no insured staff.

    ``tender_date − registered_date < max_age_days``, or ``insured_count`` = 0.

    Why
    ---
    夏邑: the winner was 3 months old with 0 insured staff and sub-contracted everything.

    Exclusions
    ----------
    Companies without a registration date and without an insured count.

    Evidence
    --------
    One row per project: company age and insured staff.
    """
    projects = _projects(context)
    companies = context.table("companies")
    info = (
        companies.assign(credit_code=common.clean_ids(companies["credit_code"]))
        .drop_duplicates("credit_code")
        .set_index("credit_code")
    )
    rows = projects[projects["contractor_code"].isin(info.index)].copy()
    registered = pd.to_datetime(
        rows["contractor_code"].map(info["registered_date"]), errors="coerce"
    )
    rows["age_days"] = (rows["when"] - registered).dt.days
    insured = (
        pd.to_numeric(rows["contractor_code"].map(info["insured_count"]), errors="coerce")
        if "insured_count" in info
        else pd.Series(np.nan, index=rows.index)
    )
    rows["insured"] = insured
    young = rows["age_days"].notna() & (rows["age_days"] < int(params["max_age_days"]))
    rows = rows[young | (rows["insured"] == 0)]
    if rows.empty:
        return empty_evidence()
    rows["keys"] = rows["_key"]
    rows["detail"] = [
        f"项目“{r.project_name}”的中标单位{r.contractor_name}"
        + (
            f"成立仅{r.age_days:.0f}天"
            if pd.notna(r.age_days) and r.age_days < int(params["max_age_days"])
            else ""
        )
        + ("，参保人数为0" if r.insured == 0 else "")
        for r in rows.itertuples()
    ]
    return _project_evidence(rows, ["age_days", "insured"], amount=0.0, related="contractor_code")
