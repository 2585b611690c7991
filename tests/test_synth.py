"""The synthetic county: determinism, valid identifiers, planted schemes and consistent truth."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodel import ids
from riskmodel.schemas import aliases_for, get_table
from riskmodel.synth import build_county, generate, write_county
from riskmodel.synth.identity import make_id_numbers, swap_adjacent_digits

SCHEMES = (
    "deceased_paid",
    "official_on_aid",
    "relative_favoured",
    "card_capture",
    "ghost",
    "duplicate_payment",
    "over_standard",
    "skimming",
    "split_payment",
    "self_payment",
    "contract_to_kin",
    "paid_before_done",
    "invented_ledger",
    "complaint_corroborated",
)
KINDS = (
    "death_month_payment",
    "disabled_relative",
    "household_account",
    "nursing_home_account",
    "mistyped_id",
    "welfare_post_wages",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    # another seed can be tried with RISKMODEL_SYNTH_TEST_SEED=<n>
    generate(out, seed=int(os.environ.get("RISKMODEL_SYNTH_TEST_SEED", "11")), scale="small")
    return out


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """Read a written table back with canonical column names, all values as text."""
    summary = json.loads((folder / "_truth" / "summary.json").read_text(encoding="utf-8"))
    path = folder / summary["files"][table]
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=str, engine="calamine").fillna("")
    else:
        frame = pd.read_csv(
            path,
            dtype=str,
            encoding=summary["encodings"][table],
            keep_default_na=False,
            skip_blank_lines=False,
        )
    declaration = get_table(table)
    rename = {}
    for column in declaration.columns:
        for alias in aliases_for(declaration, column):
            for header in frame.columns:
                if header.split("（")[0] == alias and header not in rename:
                    rename[header] = column.name
    return frame.rename(columns=rename)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in any of the spellings the writer uses (2024年3月5日 included)."""
    text = values.astype(str).str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    serial = text.str.fullmatch(r"\d{5}(\.0)?")  # Excel serial dates in XLSX files
    days = pd.to_numeric(text.where(serial), errors="coerce")
    return parsed.where(~serial, pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D"))


def truth(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / "_truth" / name, dtype=str, keep_default_na=False)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_files_and_other_seed_differs(tmp_path):
    generate(tmp_path / "a", seed=3, scale="tiny")
    generate(tmp_path / "b", seed=3, scale="tiny")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    other = build_county(seed=4, scale="tiny")
    planted = truth(tmp_path / "a", "planted.csv")
    people = set(planted.loc[planted["entity_type"] == "person", "entity_id"])
    assert people.isdisjoint(row["entity_id"] for row in other.planted)
    first = read_table(tmp_path / "a", "residents")["id_number"]
    assert not set(first).intersection(other.people["id_number"].head(200))


def test_every_scheme_and_lookalike_is_planted(small):
    planted = truth(small, "planted.csv")
    counts = planted["scheme"].value_counts()
    for scheme in SCHEMES:
        assert counts.get(scheme, 0) >= 5, scheme
    assert set(planted["scheme"]) <= set(SCHEMES)
    lookalikes = truth(small, "lookalikes.csv")
    for kind in KINDS:
        assert lookalikes["kind"].value_counts().get(kind, 0) >= 5, kind
    assert planted["instance_id"].is_unique


def test_schemes_concentrated_in_a_minority_of_villages(small):
    villages = truth(small, "villages.csv")
    corrupt = villages["is_corrupt"] == "True"
    assert 0 < corrupt.sum() <= len(villages) * 0.4
    planted = truth(small, "planted.csv")
    assert set(planted["village_code"]) <= set(villages.loc[corrupt, "village_code"])


def test_amounts_vary_within_a_scheme(small):
    planted = truth(small, "planted.csv")
    for scheme in SCHEMES:
        if scheme == "complaint_corroborated":
            continue
        amounts = planted.loc[planted["scheme"] == scheme, "amount"].astype(float)
        assert amounts.nunique() > 1, scheme


def test_resident_ids_valid_and_payment_ids_valid_except_typos(small):
    residents = read_table(small, "residents")
    real = residents[residents["id_number"] != ""]
    real = real[~real.iloc[:, 0].str.contains("合计")]
    checked = ids.check_ids(real["id_number"])
    assert checked["is_valid"].all()
    checked_genders = checked["gender"].to_numpy()
    assert (checked_genders == real["gender"].to_numpy()).all()
    payments = read_table(small, "payments")
    links = truth(small, "person_links.csv")
    typo_lines = set(links.loc[links["kind"] == "typo", "line"].astype(int))
    bad = truth(small, "bad_rows.csv")
    bad_lines = set(bad.loc[bad["table"] == "payments", "line"].astype(int))
    lines = np.arange(len(payments)) + 2
    valid = ids.check_ids(payments["id_number"])["is_valid"].to_numpy()
    invalid_lines = set(lines[~valid]) - bad_lines
    assert invalid_lines == typo_lines
    assert len(typo_lines) >= 5


def test_typos_are_adjacent_swaps_of_real_residents(small):
    links = truth(small, "person_links.csv")
    residents = set(read_table(small, "residents")["id_number"])
    typos = links[links["kind"] == "typo"]
    for raw, true in zip(typos["raw_value"], typos["true_id_number"], strict=True):
        assert true in residents
        assert not ids.check_id(raw).is_valid
        differing = [i for i in range(18) if raw[i] != true[i]]
        assert len(differing) == 2 and differing[1] == differing[0] + 1
    homonyms = links[links["kind"] == "homonym"]
    assert len(homonyms) >= 5
    names = read_table(small, "residents")["name"].value_counts()
    assert (names[homonyms["raw_value"]] > 1).all()


def test_ghosts_are_valid_ids_of_nobody(small):
    planted = truth(small, "planted.csv")
    residents = set(read_table(small, "residents")["id_number"])
    paid = set(read_table(small, "payments")["id_number"])
    for ghost in planted.loc[planted["scheme"] == "ghost", "entity_id"]:
        assert ids.check_id(ghost).is_valid
        assert ghost not in residents
        assert ghost in paid


def test_deceased_are_paid_after_death_and_lookalikes_only_for_the_past_month(small):
    planted = truth(small, "planted.csv")
    deaths = read_table(small, "deaths")
    death_date = dict(zip(deaths["id_number"], parse_dates(deaths["death_date"]), strict=True))
    payments = read_table(small, "payments")
    payments = payments[payments["status"] == "成功"]
    payments = payments.assign(date=parse_dates(payments["pay_date"]))
    for person in planted.loc[planted["scheme"] == "deceased_paid", "entity_id"]:
        after = payments[
            (payments["id_number"] == person) & (payments["date"] > death_date[person])
        ]
        assert len(after) >= 2, person
    lookalikes = truth(small, "lookalikes.csv")
    for person in lookalikes.loc[lookalikes["kind"] == "death_month_payment", "entity_id"]:
        died = death_date[person]
        after = payments[(payments["id_number"] == person) & (payments["date"] > died)]
        assert len(after) >= 1
        assert (after["date"].dt.month == died.month).all()
        periods = pd.PeriodIndex(after["covered_period"], freq="M")
        assert (periods < pd.Period(died, freq="M")).all()


def test_card_capture_accounts_collect_for_several_households(small):
    planted = truth(small, "planted.csv")
    payments = read_table(small, "payments")
    residents = read_table(small, "residents")
    household = dict(zip(residents["id_number"], residents["household_id"], strict=True))
    for account in planted.loc[planted["scheme"] == "card_capture", "entity_id"]:
        paid = payments[payments["account_no"] == account]
        households = {household.get(i) for i in paid["id_number"]}
        assert len(households) >= 3


def test_skimmed_payments_are_short_of_the_standard(small):
    planted = truth(small, "planted.csv")
    payments = read_table(small, "payments")
    amounts = pd.to_numeric(
        payments["amount"].str.replace(",", "").str.rstrip("元"), errors="coerce"
    )
    standards = {"MZ01": 480, "MZ02": 760, "CL01": 70, "CL02": 70, "MZ03": 50}
    for _, row in planted[planted["scheme"] == "skimming"].iterrows():
        program = row["related_ids"].split(";")[0]
        mine = (payments["village_code"] == row["village_code"]) & (
            payments["program_code"] == program
        )
        ratio = amounts[mine] / standards[program]
        short = ratio[(ratio >= 0.79) & (ratio <= 0.91)]
        assert len(short) >= 10


def test_contract_to_kin_names_company_project_and_cadre(small):
    planted = truth(small, "planted.csv")
    projects = read_table(small, "projects")
    officials = set(read_table(small, "officials")["id_number"])
    companies = read_table(small, "companies")
    people = read_table(small, "company_people")
    for _, row in planted[planted["scheme"] == "contract_to_kin"].iterrows():
        project, cadre, relative = row["related_ids"].split(";")[:3]
        assert row["entity_id"] in set(companies["credit_code"])
        assert ids.is_valid_credit_code(row["entity_id"])
        won = projects[projects["project_id"] == project]
        assert won["contractor_code"].iloc[0] == row["entity_id"]
        assert cadre in officials and cadre == row["official_id"]
        company_ids = set(people.loc[people["credit_code"] == row["entity_id"], "id_number"])
        assert relative in company_ids


def test_bad_rows_are_really_bad(small):
    bad = truth(small, "bad_rows.csv")
    summary = json.loads((small / "_truth" / "summary.json").read_text(encoding="utf-8"))
    assert set(bad["problem"]) >= {
        "duplicate",
        "blank_row",
        "total_row",
        "bad_amount",
        "missing_id",
    }
    for table, group in bad.groupby("table"):
        frame = read_table(small, table)
        for line, problem in zip(group["line"].astype(int), group["problem"], strict=True):
            row = frame.iloc[line - 2]
            if problem == "blank_row":
                assert (row == "").all()
            elif problem == "total_row":
                assert "合计" in "".join(row)
            elif problem == "duplicate":
                assert (frame.iloc[: line - 2] == row).all(axis=1).any()
            elif problem == "bad_amount":
                assert pd.isna(
                    pd.to_numeric(row["amount"].replace(",", "").rstrip("元"), errors="coerce")
                )
            elif problem == "missing_id":
                assert row["id_number"] == ""
            elif problem == "bad_date":
                date_column = "pay_date" if table == "payments" else "date"
                assert pd.isna(parse_dates(pd.Series([row[date_column]])).iloc[0])
            elif problem == "missing_key":
                assert row["voucher_id"] == ""
    assert summary["bad_rows"]["payments"] >= 5


def test_files_have_chinese_names_mixed_encodings_and_xlsx(small):
    summary = json.loads((small / "_truth" / "summary.json").read_text(encoding="utf-8"))
    encodings = set(summary["encodings"].values())
    assert {"xlsx"} < encodings and len(encodings - {"xlsx"}) >= 2
    for table, file_name in summary["files"].items():
        assert Path(file_name).stem in get_table(table).chinese_names
    for table in ("payments", "residents", "ledger"):
        assert summary["encodings"][table] != "xlsx"


def test_vouchers_restart_per_village_and_month(small):
    ledger = read_table(small, "ledger")
    ledger = ledger[ledger["voucher_id"].str.startswith("记")]
    dates = parse_dates(ledger["date"])
    first = (
        ledger.assign(month=dates.dt.month).groupby(["village_code", "month"])["voucher_id"].min()
    )
    assert (first == "记-001").mean() > 0.9


def test_officials_are_mostly_residents_and_cadres_per_village(small):
    officials = read_table(small, "officials")
    residents = set(read_table(small, "residents")["id_number"])
    share = officials["id_number"].isin(residents).mean()
    assert 0.7 < share < 1.0
    cadres = officials[officials["category"].isin(["村干部", "村务监督委员"])]
    current = cadres[cadres["end_date"] == ""]
    assert current.groupby("village_code").size().between(3, 6).all()
    former = cadres[cadres["end_date"] != ""]
    assert len(former) > 0 and set(former["village_code"]) <= set(current["village_code"])


def test_id_generation_helpers():
    rng = np.random.default_rng(0)
    births = np.array(["1960-02-29", "2001-12-31"], dtype="datetime64[D]")
    made, _ = make_id_numbers(rng, np.array([430421, 430422]), births, np.array([True, False]))
    for value, male in zip(made, (True, False), strict=True):
        check = ids.check_id(value)
        assert check.is_valid and check.gender == ("男" if male else "女")
        assert value[17] == ids.check_digit(value[:17])
        typo = swap_adjacent_digits(rng, value)
        assert not ids.check_id(typo).is_valid


def test_unknown_scale_is_rejected():
    with pytest.raises(ValueError, match="unknown scale"):
        build_county(seed=1, scale="planet")


def test_multi_year_scale_appends_earlier_years(tmp_path):
    from riskmodel.config import load_config

    config = load_config()
    config["synth"]["scales"]["tiny"]["years"] = 2
    county = build_county(seed=2, scale="tiny", config=config)
    one_year = len(county.payments)
    summary = write_county(county, tmp_path)
    assert summary["seed"] == 2 and summary["years"] == 2
    assert summary["tables"]["payments"] == 2 * one_year
    payments = read_table(tmp_path, "payments")
    dates = parse_dates(payments["pay_date"])
    assert set(dates.dt.year.dropna().astype(int)) == {county.year - 1, county.year}
    bad = truth(tmp_path, "bad_rows.csv")
    bad_positions = bad.loc[bad["table"] == "payments", "line"].astype(int) - 2
    real = payments.drop(index=bad_positions.to_numpy())
    assert real["payment_id"].is_unique
    # bad rows and typo lines still point at the right lines of the first (final) year
    links = truth(tmp_path, "person_links.csv")
    typo = links[links["kind"] == "typo"]
    for line, raw in zip(typo["line"].astype(int), typo["raw_value"], strict=True):
        assert payments.iloc[line - 2]["id_number"] == raw


def amounts_of(frame: pd.DataFrame, column: str = "amount") -> pd.Series:
    text = frame[column].astype(str).str.replace(",", "").str.rstrip("元")
    return pd.to_numeric(text, errors="coerce")


def test_ledger_schemes_show_in_the_vouchers(small):
    planted = truth(small, "planted.csv")
    ledger = read_table(small, "ledger")
    ledger = ledger.assign(value=amounts_of(ledger), when=parse_dates(ledger["date"]))
    officials = read_table(small, "officials")
    name_of = dict(zip(officials["id_number"], officials["name"], strict=True))
    for _, row in planted[planted["scheme"] == "split_payment"].iterrows():
        paid = ledger[
            (ledger["counterparty_id"] == row["entity_id"])
            & (ledger["village_code"] == row["village_code"])
            & ledger["value"].between(9000, 9999.99)
        ]
        when = paid["when"].sort_values().to_numpy()
        assert len(when) >= 3
        assert (
            min(
                (when[k + 2] - when[k]).astype("timedelta64[D]").astype(int)
                for k in range(len(when) - 2)
            )
            <= 60
        )
    for _, row in planted[planted["scheme"] == "self_payment"].iterrows():
        name = name_of[row["entity_id"]]
        own = ledger[
            (ledger["handler"] == name)
            & (ledger["counterparty_name"] == name)
            & (ledger["village_code"] == row["village_code"])
            & (ledger["summary"] != "借支")
        ]
        assert len(own) >= 2
    invented = set(planted.loc[planted["scheme"] == "invented_ledger", "village_code"])
    spending = ledger[ledger["direction"] == "支出"]
    round_share = (spending["value"] % 100 == 0).groupby(spending["village_code"]).mean()
    december = (spending["when"].dt.month == 12).groupby(spending["village_code"]).mean()
    others = round_share.drop(list(invented))
    assert round_share[list(invented)].min() > others.quantile(0.9)
    assert december[list(invented)].mean() > 1.5 * december.drop(list(invented)).mean()
    wages = truth(small, "lookalikes.csv")
    for village in wages.loc[wages["kind"] == "welfare_post_wages", "village_code"]:
        assert village not in invented


def test_payment_schemes_show_in_the_payments(small):
    planted = truth(small, "planted.csv")
    payments = read_table(small, "payments")
    payments = payments.assign(value=amounts_of(payments))
    standards = {"MZ01": 480, "MZ02": 760, "CL01": 70, "CL02": 70, "MZ03": 50, "RS01": 800}
    officials = set(read_table(small, "officials")["id_number"])
    for person in planted.loc[planted["scheme"] == "official_on_aid", "entity_id"]:
        assert person in officials
        aid = payments[
            (payments["id_number"] == person) & payments["program_code"].isin(["MZ01", "MZ02"])
        ]
        assert len(aid) >= 6
    for person in planted.loc[planted["scheme"] == "over_standard", "entity_id"]:
        mine = payments[payments["id_number"] == person]
        ratio = mine["value"] / mine["program_code"].map(standards)
        assert (ratio >= 1.6).sum() >= 4
    for person in planted.loc[planted["scheme"] == "duplicate_payment", "entity_id"]:
        mine = payments[(payments["id_number"] == person) & (payments["status"] == "成功")]
        same_period = mine.duplicated(["program_code", "covered_period"], keep=False).any()
        months = mine[mine["program_code"].isin(["MZ01", "MZ02", "RS01", "LY01"])]
        exclusive = {"MZ01", "MZ02"} <= set(months["program_code"]) or {"RS01", "LY01"} <= set(
            months["program_code"]
        )
        assert same_period or exclusive


def test_kin_schemes_are_traceable(small):
    planted = truth(small, "planted.csv")
    residents = read_table(small, "residents")
    household = dict(zip(residents["id_number"], residents["household_id"], strict=True))
    relatives = read_table(small, "relatives")
    declared = set(zip(relatives["id_number_a"], relatives["id_number_b"], strict=True))
    spouse_of: dict[str, set[str]] = {}
    for a, b, relation in zip(
        relatives["id_number_a"], relatives["id_number_b"], relatives["relation"], strict=True
    ):
        if relation == "配偶":
            spouse_of.setdefault(a, set()).add(b)
    by_household = residents.groupby("household_id")["id_number"].apply(set).to_dict()

    def linked(cadre: str, relative: str) -> bool:
        if household.get(cadre) == household.get(relative):
            return True
        partners = by_household.get(household.get(cadre), set()) | {cadre}
        return any((p, relative) in declared for p in partners)

    vehicles = set(read_table(small, "vehicles")["id_number"])
    for _, row in planted[planted["scheme"] == "relative_favoured"].iterrows():
        cadre = row["official_id"]
        assert linked(cadre, row["entity_id"])
        companies = set(row["related_ids"].split(";")) - {cadre}
        assert row["entity_id"] in vehicles or any(
            len(c) == 18 and c.startswith("9") for c in companies
        )
    for _, row in planted[planted["scheme"] == "contract_to_kin"].iterrows():
        cadre, relative = row["related_ids"].split(";")[1:3]
        assert linked(cadre, relative)
    complaints = read_table(small, "complaints")
    for _, row in planted[planted["scheme"] == "complaint_corroborated"].iterrows():
        complaint_id = row["related_ids"].split(";")[-1]
        complaint = complaints[complaints["complaint_id"] == complaint_id].iloc[0]
        assert complaint["village_code"] == row["village_code"]
        assert row["entity_id"] in set(planted["official_id"]) - {""}


def test_projects_paid_before_done_or_beyond_contract(small):
    planted = truth(small, "planted.csv")
    projects = read_table(small, "projects").set_index("project_id")
    paid = read_table(small, "project_payments")
    paid = paid.assign(value=amounts_of(paid), when=parse_dates(paid["pay_date"]))
    for _, row in planted[planted["scheme"] == "paid_before_done"].iterrows():
        project = projects.loc[row["entity_id"]]
        contract = float(project["contract_amount"]) * (
            10000 if float(project["contract_amount"]) < 1000 else 1
        )
        mine = paid[paid["project_id"] == row["entity_id"]]
        accepted = parse_dates(pd.Series([project["acceptance_date"]])).iloc[0]
        before = mine if pd.isna(accepted) else mine[mine["when"] < accepted]
        assert before["value"].sum() >= 0.99 * contract or mine["value"].sum() > 1.05 * contract


def test_never_overwrites_a_folder_of_real_exports(tmp_path):
    real = tmp_path / "exports"
    real.mkdir()
    (real / "补贴发放明细.csv").write_text("姓名\n张伟\n", encoding="utf-8")
    county = build_county(seed=1, scale="tiny")
    with pytest.raises(FileExistsError):
        write_county(county, real)
    assert (real / "补贴发放明细.csv").read_text(encoding="utf-8") == "姓名\n张伟\n"


@pytest.mark.parametrize("seed", [2, 7])
def test_every_planted_instance_is_in_the_written_files(tmp_path, seed):
    """What each truth row and its note claim is really present in the files written."""
    generate(tmp_path, seed=seed, scale="small")
    planted = truth(tmp_path, "planted.csv")
    payments = read_table(tmp_path, "payments")
    payments = payments.assign(value=amounts_of(payments))
    standards = {"MZ01": 480, "MZ02": 760, "CL01": 70, "CL02": 70, "MZ03": 50, "RS01": 800}
    for row in planted[planted["scheme"] == "over_standard"].itertuples():
        mine = payments[payments["id_number"] == row.entity_id]
        ratio = mine["value"] / mine["program_code"].map(standards)
        assert (ratio >= 1.6).sum() >= 4, row.instance_id
    residents = read_table(tmp_path, "residents")
    household = dict(zip(residents["id_number"], residents["household_id"], strict=True))
    members = residents.groupby("household_id")["id_number"].apply(set).to_dict()
    relatives = read_table(tmp_path, "relatives")
    declared = set(zip(relatives["id_number_a"], relatives["id_number_b"], strict=True))
    vehicles = read_table(tmp_path, "vehicles")
    company_people = read_table(tmp_path, "company_people")
    for row in planted[planted["scheme"] == "relative_favoured"].itertuples():
        family = members.get(household.get(row.entity_id), set()) | {row.entity_id}
        if "登记" in row.note:
            kind = row.note.split("登记")[-1].split("（")[0]
            cars = vehicles[vehicles["id_number"].isin(family)]
            assert kind in set(cars["vehicle_type"]), row.instance_id
        else:
            assert row.entity_id in set(company_people["id_number"]), row.instance_id
    for row in planted[planted["scheme"] == "contract_to_kin"].itertuples():
        cadre, relative = row.related_ids.split(";")[1:3]
        if "亲属关系申报表" in row.note:
            partners = members.get(household.get(cadre), set()) | {cadre}
            assert any((p, relative) in declared for p in partners), row.instance_id
        else:
            assert household.get(cadre) == household.get(relative), row.instance_id


@pytest.mark.parametrize("seed", [4, 12, 25])
def test_a_tiny_county_without_former_cadres_still_generates(tmp_path, seed):
    """Seeds where no village draws a cadre of the previous term (an empty table whose
    columns must keep their types)."""
    summary = generate(tmp_path, seed=seed, scale="tiny")
    assert summary["tables"]["officials"] > 0
