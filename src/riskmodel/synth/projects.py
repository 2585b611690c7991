"""Companies with their people, village projects with contracts and payments, complaints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riskmodel.synth import names as name_data
from riskmodel.synth.identity import make_account_numbers, make_credit_codes, make_phones

if TYPE_CHECKING:
    from riskmodel.synth.county import County

PROJECT_KINDS = (
    "村组道路硬化工程",
    "农田水利渠道修复工程",
    "山塘清淤扩容工程",
    "农村安全饮水工程",
    "产业路建设工程",
    "村部及便民服务中心改造",
    "太阳能路灯安装工程",
    "人居环境整治工程",
    "机耕道建设工程",
    "河道护坡工程",
)
COMPLAINT_CATEGORIES = (
    "优亲厚友",
    "虚报冒领",
    "截留挪用",
    "工程问题",
    "吃拿卡要",
    "违规发放",
    "村务不公开",
)


def build_companies(county: County) -> None:
    """Construction firms and small businesses; legal reps are residents or outsiders."""
    rng = county.rng
    people = county.people
    villages = county.villages
    count = max(30, len(villages) // 2 + 20)
    names = name_data.firm_names(rng, count, county.settings["county_name"])
    codes = make_credit_codes(rng, count, county.settings["county_code"], "91")
    accounts, banks = make_account_numbers(rng, count)
    adults = np.flatnonzero(
        (people["age"].to_numpy() >= 28)
        & (people["age"].to_numpy() <= 60)
        & people["death_date"].isna().to_numpy()
        & ~county.needy_people()  # needy households passed the asset check: no company
        # an official's household running a contractor is the contract_to_kin scheme
        & ~county.official_family()
    )
    officials = set(county.cadres["person"]) | set(county.employees["person"])
    reps = []
    while len(reps) < count:
        person = int(adults[int(rng.integers(0, len(adults)))])
        if person not in officials and person not in reps:
            reps.append(person)
    reps_array = np.array(reps)
    towns = villages["town_name"].to_numpy()[people["village"].to_numpy()[reps_array]]
    village_names = people["village_name"].to_numpy()[reps_array]
    companies = pd.DataFrame(
        {
            "credit_code": codes,
            "name": names,
            "legal_rep_id": people["id_number"].to_numpy()[reps_array],
            "legal_rep_name": people["name"].to_numpy()[reps_array],
            "registered_date": np.datetime64("2006-01-01")
            + rng.integers(0, 6200, count).astype("timedelta64[D]"),
            "address": [
                f"湖南省衡阳县{t}{v}{int(g)}组"
                for t, v, g in zip(towns, village_names, rng.integers(1, 12, count), strict=True)
            ],
            "phone": make_phones(rng, count),
            "status": "存续",
            "registered_capital": rng.choice([50, 100, 200, 300, 500, 800, 1000], count) * 10000.0,
            "insured_count": rng.integers(3, 40, count),
            "account_no": accounts,
            "bank": banks,
            "rep_person": reps_array,
        }
    )
    county.companies = companies
    county.vendor_companies = companies
    rows = []
    for _, company in companies.iterrows():
        share = float(rng.choice([0.51, 0.6, 0.7, 0.8, 1.0]))
        rows.append(
            {
                "credit_code": company["credit_code"],
                "id_number": company["legal_rep_id"],
                "name": company["legal_rep_name"],
                "role": "法定代表人",
                "share_ratio": share,
                "person": company["rep_person"],
            }
        )
        if share < 1.0:
            person = int(adults[int(rng.integers(0, len(adults)))])
            rows.append(
                {
                    "credit_code": company["credit_code"],
                    "id_number": people.at[person, "id_number"],
                    "name": people.at[person, "name"],
                    "role": "股东",
                    "share_ratio": round(1.0 - share, 2),
                    "person": person,
                }
            )
        person = int(adults[int(rng.integers(0, len(adults)))])
        rows.append(
            {
                "credit_code": company["credit_code"],
                "id_number": people.at[person, "id_number"],
                "name": people.at[person, "name"],
                "role": "监事",
                "share_ratio": np.nan,
                "person": person,
            }
        )
    county.company_people = pd.DataFrame(rows)


def add_company(
    county: County,
    name: str,
    rep_person: int,
    shareholder: int | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> dict:
    """Register one more company (used by the schemes); return its row."""
    rng = county.rng
    code = make_credit_codes(rng, 1, county.settings["county_code"], "91")[0]
    while code in set(county.companies["credit_code"]):
        code = make_credit_codes(rng, 1, county.settings["county_code"], "91")[0]
    account, bank = make_account_numbers(rng, 1)
    people = county.people
    row = {
        "credit_code": code,
        "name": name,
        "legal_rep_id": people.at[rep_person, "id_number"],
        "legal_rep_name": people.at[rep_person, "name"],
        "registered_date": pd.Timestamp("2019-01-01")
        + pd.Timedelta(days=int(rng.integers(0, 1700))),
        "address": address
        or f"湖南省衡阳县{people.at[rep_person, 'village_name']}{int(rng.integers(1, 12))}组",
        "phone": phone or str(make_phones(rng, 1)[0]),
        "status": "存续",
        "registered_capital": float(rng.choice([50, 100, 200])) * 10000.0,
        "insured_count": int(rng.integers(0, 6)),
        "account_no": str(account[0]),
        "bank": str(bank[0]),
        "rep_person": rep_person,
    }
    county.companies = pd.concat([county.companies, pd.DataFrame([row])], ignore_index=True)
    people_rows = [
        {
            "credit_code": code,
            "id_number": row["legal_rep_id"],
            "name": row["legal_rep_name"],
            "role": "法定代表人",
            "share_ratio": 0.6 if shareholder is not None else 1.0,
            "person": rep_person,
        }
    ]
    if shareholder is not None:
        people_rows.append(
            {
                "credit_code": code,
                "id_number": people.at[shareholder, "id_number"],
                "name": people.at[shareholder, "name"],
                "role": "股东",
                "share_ratio": 0.4,
                "person": shareholder,
            }
        )
    county.company_people = pd.concat(
        [county.company_people, pd.DataFrame(people_rows)], ignore_index=True
    )
    return row


def build_projects(county: County) -> None:
    """Village projects won by construction firms, with tender-to-acceptance dates and payments."""
    rng = county.rng
    villages = county.villages
    size = county.settings["scales"][county.scale]
    companies = county.companies
    builders = companies[companies["name"].str.contains("工程|建设|建筑|路桥|劳务")]
    if builders.empty:
        builders = companies
    counts = rng.poisson(size["projects_per_village"], len(villages))
    rows = []
    year = county.year
    serial = 0
    for village, count in enumerate(counts):
        for _ in range(int(count)):
            serial += 1
            rows.append(_project_row(county, rng, village, serial, builders, year))
    county.projects = pd.DataFrame(rows)
    county.project_serial = serial
    county.project_payments = pd.concat(
        [_payments_for(county, rng, p) for _, p in county.projects.iterrows()], ignore_index=True
    )


def _project_row(
    county: County,
    rng,
    village: int,
    serial: int,
    builders: pd.DataFrame,
    year: int,
    company: pd.Series | None = None,
) -> dict:
    if company is None:
        company = builders.iloc[int(rng.integers(0, len(builders)))]
    contract = float(np.round(180000 * np.exp(rng.normal(0, 0.8)), -2))
    contract = float(min(max(contract, 30000.0), 1500000.0))
    tender = pd.Timestamp(f"{year}-02-01") + pd.Timedelta(days=int(rng.integers(0, 170)))
    start = tender + pd.Timedelta(days=int(rng.integers(7, 35)))
    completion = start + pd.Timedelta(days=int(rng.integers(30, 150)))
    accepted = rng.random() < 0.85 and completion < pd.Timestamp(f"{year}-12-01")
    acceptance = completion + pd.Timedelta(days=int(rng.integers(5, 40))) if accepted else pd.NaT
    if pd.notna(acceptance) and acceptance > pd.Timestamp(f"{year}-12-31"):
        acceptance = pd.NaT
    kind = PROJECT_KINDS[int(rng.integers(0, len(PROJECT_KINDS)))]
    village_name = county.villages.at[village, "village_name"]
    return {
        "project_id": f"XM{year}{serial:04d}",
        "project_name": f"{village_name}{kind}",
        "village": village,
        "village_code": county.village_code(village),
        "program_code": "XJ01" if rng.random() < 0.7 else "YS01",
        "budget": float(np.round(contract * rng.uniform(1.0, 1.15), -2)),
        "contract_amount": contract,
        "contractor_code": company["credit_code"],
        "contractor_name": company["name"],
        "tender_date": tender,
        "start_date": start,
        "completion_date": completion if completion < pd.Timestamp(f"{year}-12-31") else pd.NaT,
        "acceptance_date": acceptance,
        "status": "已验收"
        if pd.notna(acceptance)
        else ("已完工" if completion < pd.Timestamp(f"{year}-12-31") else "在建"),
    }


def _payments_for(
    county: County,
    rng,
    project: pd.Series,
    shares: tuple[float, ...] | None = None,
    before_acceptance: bool = False,
) -> pd.DataFrame:
    """预付款 30 % after start, 进度款 40 %, 结算款 27 % after acceptance (质保金 3 % kept)."""
    codes = county.companies["credit_code"].to_numpy(dtype=object)
    company = county.companies.iloc[int(np.flatnonzero(codes == project["contractor_code"])[0])]
    contract = project["contract_amount"]
    start = project["start_date"]
    dates = [start + pd.Timedelta(days=int(rng.integers(3, 20)))]
    amounts = [0.3 * contract]
    middle = (
        start + (pd.Timestamp(project["completion_date"]) - start) / 2
        if pd.notna(project["completion_date"])
        else start + pd.Timedelta(days=60)
    )
    dates.append(middle + pd.Timedelta(days=int(rng.integers(0, 10))))
    amounts.append(0.4 * contract)
    if pd.notna(project["acceptance_date"]) and not before_acceptance:
        final = project["acceptance_date"] + pd.Timedelta(days=int(rng.integers(5, 30)))
        if final <= pd.Timestamp(f"{county.year}-12-31"):
            dates.append(final)
            amounts.append(0.27 * contract)
    if shares is not None:
        amounts = [s * contract for s in shares]
        dates = dates[: len(amounts)]
        while len(dates) < len(amounts):
            dates.append(dates[-1] + pd.Timedelta(days=int(rng.integers(10, 40))))
    return pd.DataFrame(
        {
            "project_id": project["project_id"],
            "pay_date": dates,
            "amount": np.round(amounts, 2),
            "payee_code": company["credit_code"],
            "payee_name": company["name"],
            "payee_account": company["account_no"],
        }
    )


def build_background_complaints(county: County) -> None:
    """Complaints about random villages and cadres (mostly without findings)."""
    rng = county.rng
    villages = county.villages
    cadres = county.cadres
    count = max(10, len(villages) * 2)
    rows = []
    for _k in range(count):
        village = int(rng.integers(0, len(villages)))
        rows.append(_complaint_row(county, rng, village, cadres, None))
    planted = county.planted_complaints
    frame = pd.DataFrame(rows + planted)
    frame = frame.sort_values("received_date", kind="stable").reset_index(drop=True)
    frame["complaint_id"] = [f"XF{county.year}{i:05d}" for i in range(1, len(frame) + 1)]
    if "truth_index" in frame:
        for complaint_id, index in zip(frame["complaint_id"], frame["truth_index"], strict=True):
            if pd.notna(index):
                row = county.planted[int(index)]
                row["related_ids"] = ";".join(filter(None, [row["related_ids"], complaint_id]))
    county.complaints = frame


def _complaint_row(
    county: County,
    rng,
    village: int,
    cadres: pd.DataFrame,
    subject: int | None,
    category: str | None = None,
    summary: str | None = None,
) -> dict:
    people = county.people
    if subject is None:
        village_cadres = cadres[cadres["village"] == village]["person"].to_numpy()
        subject = (
            int(village_cadres[int(rng.integers(0, len(village_cadres)))])
            if len(village_cadres) and rng.random() < 0.7
            else None
        )
    category = category or COMPLAINT_CATEGORIES[int(rng.integers(0, len(COMPLAINT_CATEGORIES)))]
    name = people.at[subject, "name"] if subject is not None else ""
    village_name = county.villages.at[village, "village_name"]
    summary = summary or f"群众反映{village_name}{name or '村干部'}存在{category}问题"
    return {
        "received_date": pd.Timestamp(f"{county.year}-01-05")
        + pd.Timedelta(days=int(rng.integers(0, 350))),
        "village_code": county.village_code(village),
        "subject_name": name,
        "subject_id_number": people.at[subject, "id_number"]
        if subject is not None and rng.random() < 0.6
        else "",
        "category": category,
        "summary": summary,
        "subject": subject if subject is not None else -1,
    }
