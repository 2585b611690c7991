"""Eligibility rules: who should not be on the roll at all (death, office, wealth, kin)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskmodel.frames import isin, mapped, take_mapped
from riskmodel.rules import common
from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import build_evidence, empty_evidence

Params = dict[str, Any]
Config = dict[str, Any]
DISABILITY_FAMILIES = ("disability", "disability_care")


GROUP_COLUMNS = (
    "person_id",
    "amount",
    "pay_date",
    "_key",
    "name",
    "village_code",
    "program_name",
    "match_score",
)
"""The payment columns ``_group_payments`` reads (besides its group keys and extras)."""


def _group_payments(rows: pd.DataFrame, by: list[str], extra: dict[str, Any]) -> pd.DataFrame:
    """Aggregate payment rows to one finding per group (keys, sums, first/last date); the
    ``collapse`` columns are joined on group codes (:func:`common.group_agg`)."""
    spec: dict[str, Any] = {
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "first_date": ("pay_date", "min"),
        "last_date": ("pay_date", "max"),
        "keys": ("_key", common.collapse),
        "name": ("name", "first"),
        "village_code": ("village_code", "first"),
        "program_name": ("program_name", "first"),
        "match_quality": ("match_score", "min"),
    }
    spec.update(extra)
    spec = {name: how for name, how in spec.items() if name not in by}
    return common.group_agg(rows, by, spec, sort=False, dropna=False).reset_index()


def _account_holder(context: RuleContext, config: Config, rows: pd.DataFrame) -> pd.Series:
    """The holder of each payment's account when it is not the beneficiary, else ''."""
    if "account_no" not in rows:
        return pd.Series("", index=rows.index, dtype="str")
    holders = common.account_holders(context, config)
    holder = mapped(rows["account_no"].astype("str"), holders.set_index("account_no")["holder_id"])
    holder = common.as_text(holder)
    return holder.where(holder != rows["person_id"], "")


def _holder_official(context: RuleContext, config: Config, rows: pd.DataFrame) -> pd.Series:
    """The account holder of each payment when the holder is an official, else ''."""
    holder = _account_holder(context, config, rows)
    officials = set(common.officials(context, config)["official_id"])
    return holder.where(isin(holder, officials), "")


# --------------------------------------------------------------------------- deaths
def _deaths(context: RuleContext) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        table = context.table("deaths")
        resolved = common.person_ids(context, "deaths", table, "id_number")
        frame = pd.DataFrame(
            {
                "person_id": resolved["person_id"],
                "death_date": pd.to_datetime(table["death_date"], errors="coerce"),
                "death_source": table["source"].astype("str") if "source" in table else "",
            }
        ).dropna(subset=["death_date"])
        return frame.sort_values("death_date").drop_duplicates("person_id")

    return context.cached("deaths", build)


def _paid_after_death(context: RuleContext, config: Config, grace_days: int) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        paid = common.payments(context, config)
        deaths = _deaths(context)
        # only the payments of the dead are joined (not the millions of the living)
        dead = common.payments_in(context, config, "person_id", deaths["person_id"])
        rows = paid[dead].merge(deaths, on="person_id")
        rows = rows[rows["pay_date"] > rows["death_date"]].copy()
        death_month_end = common.month_start(rows["death_date"])
        covered_known = rows["covered_end"].notna()
        before_death = rows["covered_end"] <= death_month_end
        within_grace = rows["pay_date"] <= rows["death_date"] + pd.Timedelta(days=grace_days)
        rows["is_lookalike"] = np.where(covered_known, before_death, within_grace)
        rows["official_id"] = _holder_official(context, config, rows)
        rows["holder_id"] = _account_holder(context, config, rows)
        return rows

    return context.cached(f"paid_after_death:{grace_days}", build)


def _death_evidence(rows: pd.DataFrame, lookalike: bool) -> pd.DataFrame:
    rows = rows[rows["is_lookalike"] == lookalike]
    if rows.empty:
        return empty_evidence()
    extra = {
        "death_date": ("death_date", "first"),
        "death_source": ("death_source", "first"),
        "official_id": ("official_id", "max"),
        "holders": ("holder_id", common.collapse),
        "accounts": ("account_no", common.collapse) if "account_no" in rows else ("amount", "size"),
        "periods": ("covered_period", common.collapse)
        if "covered_period" in rows
        else ("amount", "size"),
    }
    found = _group_payments(rows, ["person_id", "program_key"], extra)
    found["months_after"] = ((found["last_date"] - found["death_date"]).dt.days / 30.4).round(1)
    found["related"] = (
        found["accounts"].astype("str") + ";" + found["holders"] + ";" + found["official_id"]
    ).map(lambda text: common.collapse(pd.Series(text.split(";"))))
    found["detail"] = [
        f"{r.name}于{common.day(r.death_date)}死亡（来源：{r.death_source or '未注明'}），"
        f"此后{r.program_name}仍发放{r.count}笔共{common.yuan(r.amount)}，"
        f"最后一笔{common.day(r.last_date)}（死亡后约{r.months_after}个月）"
        for r in found.itertuples()
    ]
    found["mitigation"] = (
        "死亡当月或宽限期内发放，所属期间在死亡之前，可能为正常补发" if lookalike else ""
    )
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        official_id="official_id",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        mitigation="mitigation",
        fields=["program_name", "death_date", "count", "amount", "first_date", "last_date"],
    )


def deceased_paid(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A subsidy paid to a person after the person's death, beyond the grace period.

    The earliest death date across death sources is compared with each successful payment.
    A payment is a finding when its ``covered_period`` ends after the month of death, or —
    without a covered period — when it is paid more than ``death_grace_days`` after the death.

    Why
    ---
    Money paid for the dead is collected by a relative or the cadre who holds the card
    (冒领); 忻城 paid 651 dead people 低保 for five years.

    Exclusions
    ----------
    Failed/returned payments; payments for the period up to the month of death or inside the
    grace period (reported by R002 instead, at low severity).

    Evidence
    --------
    One row per person and program: the deceased, the amount paid after death, the accounts
    and their holders (a relative, a cadre) in ``related_ids``; ``official_id`` when an
    official holds the receiving account.
    """
    rows = _paid_after_death(context, config, int(params["programs.thresholds.death_grace_days"]))
    return _death_evidence(rows, lookalike=False)


def deceased_paid_grace(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A payment after death that covers the time before the death (look-alike of R001).

    Payments dated after the death whose covered period ends by the month of death, or (no
    covered period) paid within ``death_grace_days`` of the death.

    Why
    ---
    Usually the last regular payment or a 补发 for months the person was alive; listed so the
    department stops the payments and the analyst sees the death was noticed.

    Exclusions
    ----------
    Everything R001 reports.

    Evidence
    --------
    One row per person and program, with a mitigation text saying why it may be legitimate.
    """
    rows = _paid_after_death(context, config, int(params["programs.thresholds.death_grace_days"]))
    return _death_evidence(rows, lookalike=True)


# --------------------------------------------------------------------------- officials
def _official_matches(context: RuleContext, config: Config, by: str) -> pd.DataFrame:
    paid = common.means_tested_payments(context, config)
    chosen = common.means_tested_rows(context, config)
    officials = common.officials(context, config)
    officials = officials[officials["is_cadre"] | officials["is_public_employee"]]
    columns = ["official_id", "category", "start_date", "end_date", "name_norm"]
    if "org" in officials:
        columns.append("org")
    if by == "person":
        joined = common.payments_in(context, config, "person_id", officials["official_id"], chosen)
        rows = paid[joined].merge(officials[columns], left_on="person_id", right_on="official_id")
    else:
        households = common.household_map(context)
        members = (
            officials[columns]
            .assign(official_household=officials["official_id"].map(households))
            .dropna(subset=["official_household"])
        )
        joined = common.payments_in(
            context, config, "household", members["official_household"], chosen
        )
        rows = paid[joined].merge(members, left_on="household", right_on="official_household")
        rows = rows[rows["official_id"] != rows["person_id"]]
    active = common.active_on(rows["start_date"], rows["end_date"], rows["pay_date"])
    return rows[active]


def official_on_aid(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A public employee or village cadre drawing a means-tested subsidy while in office.

    Payee ID (after entity resolution) is an official whose term covers the pay date, and the
    program is means-tested (``means_tested`` in the program catalogue).

    Why
    ---
    A salaried civil servant, teacher or cadre is not eligible for 低保/特困 (Hubei: 26万
    removed); a cadre on the roll usually approved himself.

    Exclusions
    ----------
    Payments outside the official's term; programs that are not means-tested.

    Evidence
    --------
    One row per official and program: category, term, amount drawn while in office.
    """
    rows = _official_matches(context, config, "person")
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key"],
        {"category": ("category", "first"), "start": ("start_date", "min")},
    )
    found["detail"] = [
        f"{r.name}（{r.category}，任职自{common.day(r.start)}）在职期间领取{r.program_name}"
        f"{r.count}笔共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="official",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        official_id="person_id",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "category", "count", "amount", "first_date", "last_date"],
    )


def official_household_on_aid(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A means-tested subsidy paid into a household that has an official in office.

    The beneficiary's household (register ``household_id``) contains a public employee or
    village cadre whose term covers the pay date.

    Why
    ---
    A household with a 财政供养 member or a cadre rarely meets the income test (护林员 rule:
    "户内无财政供养人员"); the official may have arranged it.

    Exclusions
    ----------
    The official himself (R003); payments outside the term.

    Evidence
    --------
    One row per beneficiary and program, the official named in ``official_id``.
    """
    rows = _official_matches(context, config, "household")
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key", "official_id"],
        {"category": ("category", "first")},
    )
    found["detail"] = [
        f"{r.name}领取{r.program_name}{r.count}笔共{common.yuan(r.amount)}，同户有在职{r.category}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        official_id="official_id",
        related_ids="official_id",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "category", "count", "amount", "first_date", "last_date"],
    )


# --------------------------------------------------------------------------- wealth
def _household_assets(context: RuleContext, config: Config) -> pd.DataFrame:
    """Assets per household: ``household, owner_id, asset, asset_kind, since, until``."""

    def build() -> pd.DataFrame:
        parts = []
        vehicles = context.table("vehicles")
        if not vehicles.empty:
            kind = vehicles["vehicle_type"].astype("str") if "vehicle_type" in vehicles else ""
            use = vehicles["use_type"].astype("str") if "use_type" in vehicles else ""
            words = config["programs"]["vehicle_excluded_keywords"]
            text = (
                pd.Series(kind, index=vehicles.index).astype("str").fillna("")
                + "|"
                + pd.Series(use, index=vehicles.index).astype("str").fillna("")
            )
            excluded = common._contains_any(text, words)
            kept = vehicles[~excluded]
            parts.append(
                pd.DataFrame(
                    {
                        "owner_id": common.clean_ids(kept["id_number"]),
                        "asset": "车辆" + kept["plate"].astype("str").str[:2] + "***"
                        if "plate" in kept
                        else "车辆",
                        "asset_kind": "vehicle",
                        "since": pd.to_datetime(kept.get("register_date"), errors="coerce")
                        if "register_date" in kept
                        else pd.NaT,
                        "until": pd.to_datetime(kept["deregistered_date"], errors="coerce")
                        if "deregistered_date" in kept
                        else pd.NaT,
                    }
                )
            )
        people = context.table("company_people")
        companies = context.table("companies")
        owners = []
        if not people.empty:
            owners.append(
                pd.DataFrame(
                    {
                        "owner_id": common.clean_ids(people["id_number"]),
                        "credit_code": people["credit_code"].astype("str"),
                    }
                )
            )
        if not companies.empty and "legal_rep_id" in companies:
            owners.append(
                pd.DataFrame(
                    {
                        "owner_id": common.clean_ids(companies["legal_rep_id"]),
                        "credit_code": companies["credit_code"].astype("str"),
                    }
                )
            )
        if owners:
            owned = pd.concat(owners, ignore_index=True).drop_duplicates()
            if not companies.empty:
                info = companies.drop_duplicates("credit_code").set_index("credit_code")
                owned["company_name"] = owned["credit_code"].map(info["name"]).fillna("")
                since = info.get("registered_date")
                owned["since"] = (
                    pd.to_datetime(owned["credit_code"].map(since), errors="coerce")
                    if since is not None
                    else pd.NaT
                )
                closed = pd.Series(pd.NaT, index=owned.index)
                if "status" in info and "status_date" in info:
                    is_closed = (
                        owned["credit_code"]
                        .map(info["status"])
                        .astype("str")
                        .str.contains("注销|吊销")
                        .fillna(False)
                    )
                    closed = pd.to_datetime(
                        owned["credit_code"].map(info["status_date"]), errors="coerce"
                    ).where(is_closed)
                owned["until"] = closed
            else:
                owned["company_name"] = ""
                owned["since"] = pd.NaT
                owned["until"] = pd.NaT
            parts.append(
                pd.DataFrame(
                    {
                        "owner_id": owned["owner_id"],
                        "asset": "企业" + owned["company_name"].astype("str"),
                        "asset_kind": "company",
                        "asset_id": owned["credit_code"],
                        "since": owned["since"],
                        "until": owned["until"],
                    }
                )
            )
        if not parts:
            return pd.DataFrame(
                columns=[
                    "household",
                    "owner_id",
                    "asset",
                    "asset_kind",
                    "asset_id",
                    "since",
                    "until",
                ]
            )
        assets = pd.concat(parts, ignore_index=True)
        if "asset_id" not in assets:
            assets["asset_id"] = ""
        assets["asset_id"] = assets["asset_id"].fillna("").astype("str")
        assets["household"] = common.household_of(context, assets["owner_id"])
        return assets

    return context.cached("household_assets", build)


def _assets_at_payment(
    context: RuleContext, config: Config, kind: str, paid: pd.DataFrame | None = None
) -> pd.DataFrame:
    assets = _household_assets(context, config)
    assets = assets[assets["asset_kind"] == kind]
    if paid is None:
        paid = common.means_tested_payments(context, config)
        held = common.payments_in(
            context,
            config,
            "household",
            assets["household"],
            common.means_tested_rows(context, config),
        )
        rows = paid[held].merge(assets, on="household")
    else:
        rows = common.inner_join(paid, assets, on="household")
    held = (rows["since"].isna() | (rows["since"] <= rows["pay_date"])) & (
        rows["until"].isna() | (rows["until"] > rows["pay_date"])
    )
    return rows[held]


def _asset_evidence(rows: pd.DataFrame, label: str) -> pd.DataFrame:
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key"],
        {
            "assets": ("asset", common.collapse),
            "owners": ("owner_id", common.collapse),
            "asset_ids": ("asset_id", common.collapse),
        },
    )
    found["related"] = (found["owners"] + ";" + found["asset_ids"]).str.strip(";")
    found["detail"] = [
        f"{r.name}领取{r.program_name}{r.count}笔共{common.yuan(r.amount)}，"
        f"其家庭在发放时名下有{label}：{r.assets}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "assets", "count", "amount", "first_date", "last_date"],
    )


def vehicle_owner_on_aid(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A means-tested subsidy paid while the household owns a car.

    A vehicle registered to a member of the beneficiary's household on or before the pay date
    and not deregistered by then, whose type/use is not in ``vehicle_excluded_keywords``.

    Why
    ---
    Owning a car fails the 低保 asset test; the 永善 party secretary's brother kept 低保 after
    buying one.

    Exclusions
    ----------
    Two-wheel motorbikes, disabled persons' mobility vehicles, farm vehicles; vehicles
    registered after or deregistered before the payment.

    Evidence
    --------
    One row per beneficiary and program: the vehicles (plate masked) and their owners.
    """
    return _asset_evidence(_assets_at_payment(context, config, "vehicle"), "机动车")


def company_owner_on_aid(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A means-tested subsidy paid while a household member owns or runs a company.

    A member of the beneficiary's household is legal representative or a registered person
    (shareholder, manager) of a company registered by the pay date and not closed by then.

    Why
    ---
    Business owners fail the income and asset test (贵州: a 贫困户 with a 5.2m company).

    Exclusions
    ----------
    Companies founded after, or deregistered/revoked before, the payment.

    Evidence
    --------
    One row per beneficiary and program: the companies and the members linked to them.
    """
    return _asset_evidence(_assets_at_payment(context, config, "company"), "企业")


# --------------------------------------------------------------------------- cadres' kin
def _relative_payments(context: RuleContext, config: Config, same_village: bool) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        paid = common.payments(context, config)
        relatives = common.cadre_relatives(context, config)
        chosen = (paid["means_tested"] | paid["family"].isin(DISABILITY_FAMILIES)) & (
            common.payments_in(context, config, "person_id", relatives["person_id"])
        )
        rows = paid[chosen].merge(relatives, on="person_id")
        rows = rows[rows["person_id"] != rows["cadre_id"]]
        active = common.active_on(rows["cadre_start"], rows["cadre_end"], rows["pay_date"])
        rows = rows[active]
        if same_village:
            rows = rows[
                (rows["cadre_village"] == "")
                | (rows["village_code"] == "")
                | (rows["cadre_village"] == rows["village_code"])
            ]
        people = common.residents(context)
        disability = (
            take_mapped(
                common.resident_index(context)["disability"],
                common.resident_rows(context, rows["person_id"]),
                rows.index,
            ).astype("str")
            if "disability" in people
            else pd.Series("", index=rows.index)
        )
        rows = rows.assign(disability=disability.fillna("").to_numpy())
        severe = rows["disability"].str.contains("一级|二级|1级|2级|重度").fillna(False)
        rows["is_lookalike"] = rows["family"].isin(DISABILITY_FAMILIES) & severe
        filings = context.table("filings")
        if not filings.empty:
            filed = set(
                zip(
                    common.clean_ids(filings["id_number"]),
                    common.clean_ids(filings["official_id_number"]),
                    strict=True,
                )
            )
            rows["is_filed"] = [
                (a, b) in filed for a, b in zip(rows["person_id"], rows["cadre_id"], strict=True)
            ]
        else:
            rows["is_filed"] = False
        return rows.reset_index(drop=True)

    return context.cached(f"relative_payments:{same_village}", build)


def _relative_evidence(rows: pd.DataFrame, mitigation: str, extra_text: str = "") -> pd.DataFrame:
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key", "cadre_id"],
        {
            "cadre_name": ("cadre_name", "first"),
            "relation": ("relation", "first"),
            "degree": ("degree", "min"),
            "is_filed": ("is_filed", "max"),
            "disability": ("disability", "first"),
            "assets": ("asset", common.collapse) if "asset" in rows else ("amount", "size"),
        },
    )
    found["mitigation"] = np.where(
        found["is_filed"],
        "已按规定备案的干部近亲属" + ("；" + mitigation if mitigation else ""),
        mitigation,
    )
    found["match_quality"] = found["match_quality"] * np.where(found["degree"] <= 1, 1.0, 0.85)
    found["detail"] = [
        f"{r.name}是村干部{r.cadre_name}的{r.relation or '亲属'}（{r.degree}度），在其任职期间领取"
        f"{r.program_name}{r.count}笔共{common.yuan(r.amount)}"
        + (f"；{extra_text}{r.assets}" if extra_text else "")
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        official_id="cadre_id",
        related_ids="cadre_id",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        mitigation="mitigation",
        fields=["program_name", "relation", "degree", "count", "amount", "is_filed"],
    )


def cadre_relative_on_aid(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A close relative of a village cadre drawing a means-tested subsidy during the term.

    Kinship (degree ≤ ``relative_max_degree``) with a cadre whose term covers the pay date;
    with ``same_village_only`` the cadre serves the beneficiary's village.

    Why
    ---
    优亲厚友: cadres decide who gets 低保; relatives of cadres and 经办人 must be filed (备案).

    Exclusions
    ----------
    A relative with a registered severe disability drawing the disability subsidy (R008);
    payments outside the cadre's term; filed relatives stay listed with a mitigation text.

    Evidence
    --------
    One row per relative, program and cadre: relation, degree, the cadre in ``official_id``.
    """
    rows = _relative_payments(context, config, bool(params["same_village_only"]))
    return _relative_evidence(rows[~rows["is_lookalike"] & rows["means_tested"]], "")


def cadre_relative_disability(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A cadre's relative with a severe disability drawing the disability subsidy (look-alike).

    Same match as R007, restricted to the disability-subsidy families (困难残疾人生活补贴,
    重度残疾人护理补贴) and beneficiaries whose register ``disability`` is grade 1/2
    (一级/二级/重度).

    Why
    ---
    Entitlement follows the disability certificate, not the income test, so kinship alone is
    weak; listed at low severity so the analyst can confirm the certificate.

    Exclusions
    ----------
    Everything R007 reports.

    Evidence
    --------
    One row per relative, program and cadre, with a mitigation text.
    """
    rows = _relative_payments(context, config, bool(params["same_village_only"]))
    return _relative_evidence(
        rows[rows["is_lookalike"]], "持有重度残疾证，残疾人补贴按证发放，可能合规"
    )


def cadre_relative_with_assets(
    context: RuleContext, config: Config, params: Params
) -> pd.DataFrame:
    """A cadre's relative on means-tested aid whose household owns a car or a company.

    Rows of R007 (excluding the disability look-alike) whose household holds a vehicle
    (R005 test) or a company (R006 test) at the pay date.

    Why
    ---
    The classic 优亲厚友 pattern: the secretary's brother on 低保 while owning a car.

    Exclusions
    ----------
    As R005, R006 and R007.

    Evidence
    --------
    One row per relative, program and cadre, naming the assets.
    """
    rows = _relative_payments(context, config, bool(params["same_village_only"]))
    rows = rows[~rows["is_lookalike"] & rows["means_tested"]]
    assets = _household_assets(context, config)
    joined = rows.merge(assets, on="household")
    held = (joined["since"].isna() | (joined["since"] <= joined["pay_date"])) & (
        joined["until"].isna() | (joined["until"] > joined["pay_date"])
    )
    return _relative_evidence(joined[held], "", "家庭名下有")


# --------------------------------------------------------------------------- identity
def _identity(context: RuleContext, config: Config) -> pd.DataFrame:
    """Payments not matched exactly to a resident, with the paid ID (``raw_id``) and whether
    it passes the check digit (``raw_valid``)."""

    def build() -> pd.DataFrame:
        paid = common.payments(context, config)
        # the identity rules read only unmatched and fuzzy payees: the rest is not checked
        paid = paid[(paid["method"] != "exact_id").to_numpy(dtype=bool)]
        raw = common.clean_ids(paid["id_number"])
        valid_column = "is_valid_id_number"
        valid = paid[valid_column].astype(bool) if valid_column in paid else common.valid_ids(raw)
        return paid.assign(raw_id=raw, raw_valid=valid.to_numpy())

    return context.cached("identity", build)


def ghost_beneficiary(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A valid ID number that was paid but belongs to no resident (查无此人).

    The paid ID passes the GB 11643 check, is not in the register, and entity resolution found
    no resident it could be a typo of (crosswalk ``method`` = unmatched).

    Why
    ---
    Fabricated or borrowed identities: 喜德 officials copied IDs into 24 townships' lists.

    Exclusions
    ----------
    Invalid IDs (R011/R012 data quality); IDs resolved by fuzzy matching (a mistyped real
    resident, R011).

    Evidence
    --------
    One row per paid ID: programs, total paid, accounts used.
    """
    rows = _identity(context, config)
    rows = rows[rows["raw_valid"] & (rows["method"] == "unmatched")]
    if rows.empty:
        return empty_evidence()
    extra = {"programs": ("program_name", common.collapse)}
    if "account_no" in rows:
        extra["accounts"] = ("account_no", common.collapse)
    found = _group_payments(rows, ["raw_id"], extra)
    found["related"] = found.get("accounts", "")
    found["detail"] = [
        f"身份证号有效但户籍库中无此人（姓名“{r.name}”），领取{r.programs}{r.count}笔共"
        f"{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="raw_id",
        entity_name="name",
        village_code="village_code",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality=1.0,
        detail="detail",
        fields=["programs", "count", "amount", "first_date", "last_date"],
    )


def mistyped_id(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A paid ID that entity resolution traced to a real resident (likely a typo).

    Crosswalk ``method`` = fuzzy: the paid ID differs from the resident's ID (swapped digits,
    failing check digit) but name, birth date and village identify the resident.

    Why
    ---
    A data error to correct (数据纠错), not a ghost; the money is still traced to the person.

    Exclusions
    ----------
    Exact matches; unmatched IDs (R010, R012).

    Evidence
    --------
    One row per resident: the resident (entity), the paid ID spelling in ``related_ids``.
    """
    rows = _identity(context, config)
    rows = rows[rows["method"] == "fuzzy"]
    if rows.empty:
        return empty_evidence()
    found = _group_payments(rows, ["person_id"], {"raw_ids": ("raw_id", common.collapse)})
    found["detail"] = [
        f"发放记录中{r.name}的身份证号录入有误，经姓名、出生日期比对确认为户籍人员，"
        f"涉及{r.count}笔共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    found["mitigation"] = "身份证号录入错误，属数据纠错，资金已对应到真实户籍人员"
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        related_ids="raw_ids",
        source_table="payments",
        source_key="keys",
        amount_at_risk=0.0,
        match_quality="match_quality",
        detail="detail",
        mitigation="mitigation",
        fields=["count", "amount", "first_date", "last_date"],
    )


def invalid_id_unresolved(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A paid ID that fails the check digit and matches no resident.

    Invalid GB 11643 ID (check digit, birth date) and crosswalk ``method`` = unmatched.

    Why
    ---
    Either a typo nobody can trace or an invented number; money paid to it cannot be
    attributed to anyone until corrected.

    Exclusions
    ----------
    Invalid IDs resolved to a resident (R011).

    Evidence
    --------
    One row per paid ID spelling.
    """
    rows = _identity(context, config)
    rows = rows[~rows["raw_valid"] & (rows["method"] == "unmatched") & (rows["raw_id"] != "")]
    if rows.empty:
        return empty_evidence()
    found = _group_payments(rows, ["raw_id"], {"programs": ("program_name", common.collapse)})
    found["detail"] = [
        f"身份证号校验不通过且无法对应户籍人员（姓名“{r.name}”），领取{r.programs}{r.count}笔共"
        f"{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="raw_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality=0.6,
        detail="detail",
        fields=["programs", "count", "amount"],
    )


def _texts(values: pd.Series) -> np.ndarray:
    """``values.astype("str").fillna("")`` as objects, without the round trip through Arrow
    when they are Python strings already."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.to_numpy(dtype=object)
    return values.astype("str").fillna("").to_numpy(dtype=object)


def _paid_outside_home(context: RuleContext, config: Config, paid: pd.DataFrame) -> pd.DataFrame:
    """Payments (rows of :func:`common.payments`) whose village differs from the payee's
    register village (both known), with ``home_village``; compared as village codes, only
    the rows found are copied."""
    homes, home_names = common.resident_codes(context, "village_code")
    home_text = _texts(pd.Series(home_names, dtype=object))  # per distinct register village
    position = common.payment_residents(context, config)[paid.index.to_numpy()]
    found = position >= 0
    codes, villages = common.payment_codes(context, config, "village_code")
    paid_village = codes[paid.index.to_numpy()]
    paid_known = (pd.notna(villages) & (villages != ""))[paid_village]
    # a register village no payment names gets -2: it differs from every payment village
    resident_village = pd.Index(villages).get_indexer(home_text)
    resident_village = np.where(resident_village >= 0, resident_village, -2)
    home = np.full(len(paid), len(home_text), dtype=np.int64)  # past the end: no resident
    home[found] = homes[position[found]]
    home_village = np.append(resident_village, -2)[home]
    has_home = np.append(home_text != "", False)[home]
    differs = has_home & paid_known & (home_village != paid_village)
    rows = paid[differs]
    return rows.assign(
        home_village=pd.Series(home_text[home[differs]], index=rows.index, dtype="str")
    )


def out_of_area(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A beneficiary paid through a village other than the one of his household registration.

    The resolved resident's register ``village_code`` differs from the payment's
    ``village_code`` (both known), for at least ``min_payments`` payments.

    Why
    ---
    Non-local people added to a village list (宜昌: 城镇低保 for a non-resident), or a moved
    person kept on the old village's roll.

    Exclusions
    ----------
    Unresolved payees (R010); fewer payments than ``min_payments``.

    Evidence
    --------
    One row per person and paying village.
    """
    paid = common.payments(context, config)
    people = common.residents(context)
    if "village_code" not in people or paid.empty:
        return empty_evidence()
    rows = _paid_outside_home(context, config, paid)
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows, ["person_id", "village_code"], {"home_village": ("home_village", "first")}
    ).drop(columns=[], errors="ignore")
    found = found[found["count"] >= int(params["min_payments"])]
    found["detail"] = [
        f"{r.name}户籍在{r.home_village}，却由{r.village_code}发放{r.count}笔共"
        f"{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        related_ids="home_village",
        source_table="payments",
        source_key="keys",
        amount_at_risk=0.0,
        match_quality="match_quality",
        detail="detail",
        fields=["home_village", "count", "amount"],
    )


def paid_after_exit(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A payment dated after the beneficiary's recorded exit (退出/停保) date.

    ``pay_date`` later than ``residents.exit_date`` + ``grace_days``, for means-tested programs.

    Why
    ---
    Payments continuing after 停保 are collected by someone (南安 removed 1 011 people).

    Exclusions
    ----------
    Payments within ``grace_days`` of exit (the last regular payment); other programs.

    Evidence
    --------
    One row per person and program: exit date and the amount paid after it.
    """
    paid = common.means_tested_payments(context, config)
    exits = pd.to_datetime(common.resident_index(context)["exit_date"], errors="coerce")
    rows = paid.assign(exit_date=paid["person_id"].map(exits))
    limit = rows["exit_date"] + pd.Timedelta(days=int(params["grace_days"]))
    rows = rows[rows["exit_date"].notna() & (rows["pay_date"] > limit)]
    if rows.empty:
        return empty_evidence()
    found = _group_payments(rows, ["person_id", "program_key"], {"exit": ("exit_date", "first")})
    found["detail"] = [
        f"{r.name}已于{common.day(r.exit)}退出，此后仍发放{r.program_name}{r.count}笔共"
        f"{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "exit", "count", "amount", "last_date"],
    )


def age_ineligible(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A beneficiary whose age at the pay date is outside the program's age range.

    Age from ``residents.birth_date`` compared with the family's ``age_min``/``age_max``
    (e.g. 护林员 ≤ 60, 高龄津贴 ≥ 80).

    Why
    ---
    Over-age rangers and trainees aged 86 were paid in real cases (衡阳: 超龄人员一律解聘).

    Exclusions
    ----------
    Unknown birth dates; programs without an age range.

    Evidence
    --------
    One row per person and program with the age.
    """
    paid = common.payments(context, config)
    people = common.residents(context)
    if "birth_date" not in people or paid.empty:
        return empty_evidence()
    birth = pd.to_datetime(common.resident_values(context, config, "birth_date"))
    age = ((paid["pay_date"] - birth).dt.days / 365.25).to_numpy()
    outside = (age < paid["age_min"].to_numpy()) | (age > paid["age_max"].to_numpy() + 1)
    rows = paid[outside].assign(age=age[outside])
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key"],
        {"age": ("age", "max"), "age_max": ("age_max", "first"), "age_min": ("age_min", "first")},
    )
    found["age"] = found["age"].round(1)
    found["detail"] = [
        f"{r.name}领取{r.program_name}时{r.age:.0f}岁，不在项目年龄范围"
        f"{r.age_min:.0f}–{r.age_max:.0f}岁内，{r.count}笔共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "age", "count", "amount"],
    )


def disability_subsidy_without_disability(
    context: RuleContext, config: Config, params: Params
) -> pd.DataFrame:
    """The disability subsidy paid to a resident with no registered disability.

    Family ``disability`` and an empty ``residents.disability`` for the resolved resident.

    Why
    ---
    保靖: dead or non-disabled people drew the two disability subsidies.

    Exclusions
    ----------
    Unresolved payees; registers without the ``disability`` column (skipped).

    Evidence
    --------
    One row per person and program with the amount paid.
    """
    paid = common.payments(context, config)
    paid = paid[[*GROUP_COLUMNS, "program_key"]][paid["family"].isin(DISABILITY_FAMILIES)]
    found = common.payment_residents(context, config)[paid.index.to_numpy()]
    disability = common.resident_index(context)["disability"].astype("str")
    # tested once per resident, then looked up by each payment's resident row
    none_words = disability.fillna("").isin(["", "无", "否", "nan", "None"]).to_numpy(dtype=bool)
    known = found >= 0
    rows = paid[known & none_words[np.where(known, found, 0)]]
    if rows.empty:
        return empty_evidence()
    found = _group_payments(rows, ["person_id", "program_key"], {})
    found["detail"] = [
        f"{r.name}户籍信息中无残疾登记，却领取{r.program_name}{r.count}笔共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "count", "amount"],
    )
