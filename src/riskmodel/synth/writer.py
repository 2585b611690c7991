"""Write the county the way offices send data, plus the ground truth under ``_truth/``.

Chinese file names and headers (aliases from :mod:`riskmodel.schemas`), mixed CSV encodings
and some XLSX, dates in the contract's spellings, amounts sometimes with thousands separators
or 元, and a few deliberately bad rows whose file and line are recorded in ``bad_rows.csv``.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riskmodel.schemas import aliases_for, get_table
from riskmodel.synth.payments import programs_table

if TYPE_CHECKING:
    from riskmodel.synth.county import County

BIG_TABLES = ("payments", "ledger", "residents")
WRITE_CHUNK_ROWS = 250_000
DATE_STYLES = ("iso", "slash", "compact", "chinese")
TRUTH_DIR = "_truth"


def output_tables(county: County) -> dict[str, pd.DataFrame]:
    """The county's tables with canonical columns only (clean, before formatting)."""
    people = county.people
    register = people[people["in_register"]]
    residents = register[
        [
            "id_number",
            "name",
            "gender",
            "birth_date",
            "household_id",
            "relation",
            "village_code",
            "village_name",
            "household_type",
            "phone",
            "disability",
        ]
    ].copy()
    cadres = pd.concat([county.cadres, county.former_cadres], ignore_index=True)
    officials_rows = pd.DataFrame(
        {
            "id_number": people["id_number"].to_numpy()[cadres["person"].to_numpy()],
            "name": people["name"].to_numpy()[cadres["person"].to_numpy()],
            "org": cadres["org"].to_numpy(),
            "position": cadres["position"].to_numpy(),
            "category": cadres["category"].to_numpy(),
            "village_code": county.villages["village_code"].to_numpy()[
                cadres["village"].to_numpy()
            ],
            "start_date": cadres["start_date"].to_numpy(),
            "end_date": cadres["end_date"].to_numpy(),
            "phone": people["phone"].to_numpy()[cadres["person"].to_numpy()],
            "account_no": county.account_of_person[cadres["person"].to_numpy()],
        }
    )
    employees = county.employees
    employee_rows = pd.DataFrame(
        {
            "id_number": people["id_number"].to_numpy()[employees["person"].to_numpy()],
            "name": people["name"].to_numpy()[employees["person"].to_numpy()],
            "org": employees["org"].to_numpy(),
            "position": employees["position"].to_numpy(),
            "category": employees["category"].to_numpy(),
            "village_code": "",
            "start_date": employees["start_date"].to_numpy(),
            "end_date": pd.NaT,
            "phone": people["phone"].to_numpy()[employees["person"].to_numpy()],
            "account_no": "",
        }
    )
    outsiders = county.outsiders.assign(village_code="", end_date=pd.NaT, phone="", account_no="")[
        officials_rows.columns
    ]
    officials = pd.concat([officials_rows, employee_rows, outsiders], ignore_index=True)
    relatives = pd.DataFrame(county.relatives, columns=["id_number_a", "id_number_b", "relation"])
    relatives = relatives.drop_duplicates(ignore_index=True)
    payments = county.payments[
        [
            "payment_id",
            "program_code",
            "program_name",
            "id_number",
            "name",
            "account_no",
            "amount",
            "pay_date",
            "village_code",
            "village_name",
            "operator",
            "household_id",
            "covered_period",
            "quantity",
            "unit_price",
            "status",
            "batch_id",
            "department",
        ]
    ].copy()
    used = np.array(sorted(county.used_person_accounts), dtype=int)
    accounts = pd.DataFrame(
        {
            "account_no": county.account_of_person[used],
            "holder_id_number": people["id_number"].to_numpy()[used],
            "holder_name": people["name"].to_numpy()[used],
            "bank": county.bank_of_person[used],
            "open_date": np.datetime64("2015-06-01")
            + (np.arange(len(used)) * 7919 % 3000).astype("timedelta64[D]"),
            "phone": people["phone"].to_numpy()[used],
        }
    )
    accounts = pd.concat([accounts, pd.DataFrame(county.extra_accounts)], ignore_index=True)
    companies_accounts = county.companies[["account_no", "credit_code", "name", "bank"]].rename(
        columns={"credit_code": "holder_id_number", "name": "holder_name"}
    )
    accounts = pd.concat(
        [accounts, companies_accounts.assign(open_date=pd.Timestamp("2018-05-01"), phone="")],
        ignore_index=True,
    )
    accounts = accounts.drop_duplicates("account_no", ignore_index=True)
    ledger = county.ledger[
        [
            "voucher_id",
            "village_code",
            "date",
            "summary",
            "category",
            "direction",
            "amount",
            "method",
            "counterparty_name",
            "counterparty_id",
            "counterparty_account",
            "handler",
            "approver",
            "attachment_count",
            "account_code",
        ]
    ].copy()
    projects = county.projects[
        [
            "project_id",
            "project_name",
            "village_code",
            "program_code",
            "budget",
            "contract_amount",
            "contractor_code",
            "contractor_name",
            "tender_date",
            "start_date",
            "completion_date",
            "acceptance_date",
            "status",
        ]
    ].copy()
    project_payments = county.project_payments.sort_values(
        ["project_id", "pay_date"], kind="stable"
    ).reset_index(drop=True)
    companies = county.companies[
        [
            "credit_code",
            "name",
            "legal_rep_id",
            "legal_rep_name",
            "registered_date",
            "address",
            "phone",
            "status",
            "registered_capital",
            "insured_count",
        ]
    ].copy()
    company_people = county.company_people[
        ["credit_code", "id_number", "name", "role", "share_ratio"]
    ].copy()
    vehicles = county.vehicles[
        ["id_number", "plate", "vehicle_type", "register_date", "use_type"]
    ].drop_duplicates("plate", ignore_index=True)
    complaints = county.complaints[
        [
            "complaint_id",
            "received_date",
            "village_code",
            "subject_name",
            "subject_id_number",
            "category",
            "summary",
        ]
    ]
    programs = programs_table()
    programs = pd.concat(
        [
            programs,
            pd.DataFrame(
                [
                    {
                        "program_code": "XJ01",
                        "program_name": "衔接推进乡村振兴补助资金项目",
                        "department": "衡阳县乡村振兴局",
                        "standard_amount": np.nan,
                        "period": "一次性",
                        "unit": "项目",
                    },
                    {
                        "program_code": "YS01",
                        "program_name": "村级公益事业一事一议财政奖补",
                        "department": "衡阳县财政局",
                        "standard_amount": np.nan,
                        "period": "一次性",
                        "unit": "项目",
                    },
                ]
            ),
        ],
        ignore_index=True,
    )
    return {
        "villages": county.villages.copy(),
        "residents": residents.reset_index(drop=True),
        "officials": officials,
        "relatives": relatives,
        "programs": programs,
        "payments": payments,
        "accounts": accounts,
        "ledger": ledger,
        "projects": projects,
        "project_payments": project_payments,
        "companies": companies,
        "company_people": company_people,
        "deaths": county.deaths.copy(),
        "vehicles": vehicles,
        "complaints": complaints.copy(),
    }


# --- formatting ------------------------------------------------------------------------------
def format_dates(values: pd.Series, style: str) -> pd.Series:
    """Spell dates as 2024-03-05, 2024/3/5, 20240305 or 2024年3月5日 ('' for missing)."""
    index = pd.DatetimeIndex(values)
    missing = np.asarray(index.isna())
    filled = index.fillna(pd.Timestamp("2000-01-01"))
    year = pd.Series(filled.year.astype(str))
    if style in ("iso", "compact"):
        month = pd.Series(filled.month.astype(str)).str.zfill(2)
        day = pd.Series(filled.day.astype(str)).str.zfill(2)
        separator = "-" if style == "iso" else ""
        text = year + separator + month + separator + day
    else:
        month = pd.Series(filled.month.astype(str))
        day = pd.Series(filled.day.astype(str))
        text = (
            year + "/" + month + "/" + day
            if style == "slash"
            else (year + "年" + month + "月" + day + "日")
        )
    result = np.where(missing, "", text.to_numpy(dtype=object))
    return pd.Series(result, index=values.index, dtype=object)


def _row_draws(index: pd.Index, salt: int) -> np.ndarray:
    """Uniform draws fixed by the row's position, so a row formats the same every time
    (an exact duplicate must stay exact)."""
    position = np.asarray(index, dtype=np.uint64)
    mixed = (position * np.uint64(2654435761) + np.uint64(salt * 40503)) % np.uint64(2**32)
    mixed = (mixed ^ (mixed >> np.uint64(13))) * np.uint64(1274126177) % np.uint64(2**32)
    return mixed.astype(float) / 2**32


def format_amounts(
    values: pd.Series, salt: int, settings: dict, decorate: bool = True
) -> pd.Series:
    """Two decimals; a share with thousands separators or a trailing 元."""
    numbers = values.to_numpy(dtype=float)
    missing = np.isnan(numbers)
    text = np.char.mod("%.2f", np.nan_to_num(numbers)).astype(object)
    if decorate:
        separated = (np.abs(numbers) >= 1000) & (
            _row_draws(values.index, salt) < settings["thousands_separator_share"]
        )
        for i in np.flatnonzero(separated):
            text[i] = f"{numbers[i]:,.2f}"
        yuan = _row_draws(values.index, salt + 1) < settings["yuan_suffix_share"]
        text[yuan] = text[yuan] + "元"
    text[missing] = ""
    return pd.Series(text, index=values.index, dtype=object)


# Plausible headers per column, most common first (each must be an alias the schema accepts
# for that table; the others are used only when the schema declares them).
HEADER_CHOICES: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "公民身份号码", "证件号码", "身份证号码"),
    "name": ("姓名",),
    "village_code": ("村代码", "区划代码", "村级代码"),
    "village_name": ("行政村", "村名", "村"),
    "program_code": ("项目代码", "补贴项目代码"),
    "program_name": ("项目名称", "补贴项目", "补贴类型"),
    "account_no": ("账号", "一卡通账号", "社保卡号", "银行账号", "卡号"),
    "amount": ("发放金额", "金额"),
    "pay_date": ("发放日期", "发放时间"),
    "phone": ("联系电话", "手机号", "电话"),
    "household_id": ("户编号", "户号"),
    "relation": ("与户主关系", "关系"),
    "department": ("主管部门",),
    "project_id": ("项目编号",),
    "credit_code": ("统一社会信用代码", "信用代码"),
}
TABLE_HEADER_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("project_payments", "pay_date"): ("拨付日期", "支付日期"),
    ("project_payments", "amount"): ("金额",),
    ("ledger", "amount"): ("金额",),
    ("relatives", "relation"): ("关系",),
    ("officials", "start_date"): ("任职时间",),
    ("officials", "village_code"): ("任职村", "村代码"),
    ("projects", "start_date"): ("开工日期",),
    ("projects", "project_name"): ("项目名称",),
    ("accounts", "phone"): ("预留手机号", "联系电话"),
}


def choose_headers(table: str, rng: np.random.Generator, canonical: bool) -> dict[str, str]:
    """One header per column: a Chinese alias that no other column of the table uses."""
    declaration = get_table(table)
    if canonical:
        return {c.name: c.name for c in declaration.columns}
    owners: dict[str, set[str]] = {}
    for column in declaration.columns:
        for alias in aliases_for(declaration, column):
            owners.setdefault(alias, set()).add(column.name)
    headers = {}
    for column in declaration.columns:
        preferred = TABLE_HEADER_CHOICES.get((table, column.name)) or (
            *column.aliases,
            *HEADER_CHOICES.get(column.name, ()),
        )
        options = [a for a in preferred if owners.get(a) == {column.name}]
        if not options:
            headers[column.name] = column.name
            continue
        pick = 0 if rng.random() < 0.6 or len(options) == 1 else int(rng.integers(1, len(options)))
        headers[column.name] = options[pick]
    return headers


def _plan_bad_rows(
    table: str, frame: pd.DataFrame, format_row, rng: np.random.Generator, count: int
) -> tuple[list[tuple[int, dict, str]], bool]:
    """Bad rows to insert: [(insert before this row index, row as text, problem)], total row?"""
    problems = ["bad_amount", "missing_id", "duplicate", "bad_date", "blank_row", "total_row"]
    if table == "ledger":
        problems = ["bad_amount", "duplicate", "bad_date", "blank_row", "total_row", "missing_key"]
    problems = problems[: max(count, 0)]
    inserts: list[tuple[int, dict, str]] = []
    n = len(frame)
    date_column = {"payments": "pay_date", "ledger": "date", "residents": "birth_date"}[table]
    for k, problem in enumerate(problems):
        if problem == "total_row":
            continue
        source = int(rng.integers(0, n))
        row = format_row(frame.iloc[[source]])
        if problem == "bad_amount" and "amount" in row:
            row["amount"] = ("12O.00", "#VALUE!", "壹佰元", "--")[int(rng.integers(0, 4))]
            if "payment_id" in row:
                row["payment_id"] = f"{row['payment_id']}B{k}"
            if table == "ledger":
                row["summary"] = f"{row['summary']}（更正）"
        elif problem == "bad_amount" and table == "residents":
            problem = "missing_id"
        if problem == "missing_id" and "id_number" in row:
            row["id_number"] = ""
            if "payment_id" in row:
                row["payment_id"] = f"{row['payment_id']}M{k}"
        elif problem == "missing_key":
            row["voucher_id"] = ""
        elif problem == "bad_date":
            row[date_column] = ("2024-13-45", "2024/02/30", "待定", "0000-00-00")[
                int(rng.integers(0, 4))
            ]
            if "payment_id" in row:
                row["payment_id"] = f"{row['payment_id']}D{k}"
            if table == "residents":
                row["id_number"] = ""
                problem = "missing_id"
            if table == "ledger":
                row["summary"] = f"{row['summary']}（待补）"
        elif problem == "blank_row":
            row = {c: "" for c in row}
        inserts.append((source + 1, row, problem))
    inserts.sort(key=lambda item: item[0])
    return inserts, "total_row" in problems


def line_numbers(index: np.ndarray, insert_positions: np.ndarray) -> np.ndarray:
    """1-based file lines (header = 1) of original rows after bad rows were inserted."""
    return index + 2 + np.searchsorted(insert_positions, index, side="right")


def _append_rows(path: Path, rows: pd.DataFrame, encoding: str) -> None:
    rows.to_csv(path, mode="a", index=False, header=False, encoding=encoding, lineterminator="\r\n")


def write_table(
    table: str,
    frame: pd.DataFrame,
    out_dir: Path,
    rng: np.random.Generator,
    settings: dict,
    encoding: str,
    as_xlsx: bool,
    with_bad_rows: bool,
    extra_chunks: Iterable[pd.DataFrame] = (),
) -> tuple[str, list[dict], np.ndarray, int]:
    """Write one table; return (file name, bad records, insert positions, appended rows).

    Insert positions give the file line of every original row (:func:`line_numbers`).

    ``extra_chunks`` are appended to a CSV with the same spellings (earlier years at the
    ``large`` scale), so the big table never has to be in memory all at once.
    """
    extra_rows = 0
    declaration = get_table(table)
    messiness = settings["messiness"]
    name = declaration.chinese_names[int(rng.integers(0, len(declaration.chinese_names)))]
    canonical = rng.random() < 0.08 and table not in BIG_TABLES
    headers = choose_headers(table, rng, canonical)
    date_style = DATE_STYLES[int(rng.integers(0, len(DATE_STYLES)))]
    ratio_style = int(rng.integers(0, 3))
    amount_salt = int(rng.integers(0, 1000))
    kinds = {c.name: c.kind for c in declaration.columns}

    def format_frame(chunk: pd.DataFrame) -> pd.DataFrame:
        formatted = chunk.copy()
        for column in formatted.columns:
            kind = kinds.get(column)
            if kind == "date" and not as_xlsx:
                formatted[column] = format_dates(formatted[column], date_style)
            elif kind == "amount" and not as_xlsx:
                formatted[column] = format_amounts(
                    formatted[column],
                    amount_salt,
                    messiness,
                    decorate=table in ("payments", "ledger", "project_payments"),
                )
            elif kind == "ratio":
                values = formatted[column].to_numpy(dtype=float)
                formatted[column] = [
                    (
                        ""
                        if np.isnan(v)
                        else (f"{v * 100:g}%", f"{v * 100:g}", f"{v:g}")[ratio_style]
                    )
                    for v in values
                ]
            elif kind in ("number",) and not as_xlsx:
                formatted[column] = formatted[column].map(lambda v: "" if pd.isna(v) else f"{v:g}")
        return formatted

    def format_row(row: pd.DataFrame) -> dict:
        text = format_frame(row).iloc[0].to_dict()
        return {k: ("" if isinstance(v, float) and np.isnan(v) else v) for k, v in text.items()}

    unit_header = table == "projects" and rng.random() < 0.5
    header_row = [
        headers.get(c, c)
        + ("（万元）" if unit_header and c in ("budget", "contract_amount") else "")
        for c in frame.columns
    ]
    bad: list[tuple[int, str]] = []
    positions = np.array([], dtype=int)
    if as_xlsx:
        file_name = f"{name}.xlsx"
        output = format_frame(frame)
        if unit_header:
            for column in ("budget", "contract_amount"):
                output[column] = pd.to_numeric(frame[column], errors="coerce") / 10000
        output.columns = header_row
        for column, header in zip(frame.columns, header_row, strict=True):
            if kinds.get(column) in ("id", "party", "account", "code", "credit"):
                output[header] = output[header].astype(object).where(output[header].notna(), "")
                output[header] = output[header].astype(str)
            elif kinds.get(column) == "date" and date_style == "compact":
                # some offices paste dates as Excel serial numbers
                serial = (pd.to_datetime(output[header]) - pd.Timestamp("1899-12-30")).dt.days
                output[header] = serial.astype("Int64")
        with pd.ExcelWriter(
            out_dir / file_name,
            engine="xlsxwriter",
            datetime_format="yyyy-mm-dd",
            date_format="yyyy-mm-dd",
        ) as writer:
            # a fixed creation time keeps the file byte-identical for a seed
            writer.book.set_properties({"created": datetime.datetime(2025, 1, 1)})
            output.to_excel(writer, index=False, sheet_name=name)
    else:
        file_name = f"{name}.csv"
        path = out_dir / file_name
        append_encoding = encoding.replace("-sig", "")
        inserts: list[tuple[int, dict, str]] = []
        total_row = False
        if with_bad_rows:
            inserts, total_row = _plan_bad_rows(
                table, frame, format_row, rng, int(messiness["bad_rows_per_big_table"])
            )
        positions = np.array([p for p, _, _ in inserts], dtype=int)
        pd.DataFrame(columns=header_row).to_csv(
            path, index=False, encoding=encoding, lineterminator="\r\n"
        )
        n = len(frame)
        cuts = sorted({0, n, *positions.tolist(), *range(0, n, WRITE_CHUNK_ROWS)})
        by_position: dict[int, list[dict]] = {}
        for position, row, _ in inserts:
            by_position.setdefault(position, []).append(row)
        for low, high in itertools.pairwise(cuts):
            for row in by_position.get(low, []):
                _append_rows(path, pd.DataFrame([row], columns=frame.columns), append_encoding)
            chunk = format_frame(frame.iloc[low:high])
            if unit_header:
                for column in ("budget", "contract_amount"):
                    values = pd.to_numeric(frame[column].iloc[low:high], errors="coerce") / 10000
                    chunk[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
            _append_rows(path, chunk, append_encoding)
            del chunk
        for row in by_position.get(n, []):
            _append_rows(path, pd.DataFrame([row], columns=frame.columns), append_encoding)
        bad = [(p + k, problem) for k, (p, _, problem) in enumerate(inserts)]
        for chunk in extra_chunks:
            for low in range(0, len(chunk), WRITE_CHUNK_ROWS):
                _append_rows(
                    path, format_frame(chunk.iloc[low : low + WRITE_CHUNK_ROWS]), append_encoding
                )
            extra_rows += len(chunk)
        if total_row:
            total = {c: "" for c in frame.columns}
            total[frame.columns[0]] = "合计"
            if "amount" in total:
                total["amount"] = f"{float(frame['amount'].sum()):.2f}"
            _append_rows(path, pd.DataFrame([total]), append_encoding)
            bad.append((n + len(inserts) + extra_rows, "total_row"))
    records = [
        {"table": table, "file": file_name, "line": position + 2, "problem": problem}
        for position, problem in bad
    ]
    return file_name, records, positions, extra_rows


def earlier_years(county: County, payments: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """Payments of the years before ``county.year`` (the ``large`` scale): the final year's
    honest pattern moved back one year at a time, with its own serial numbers."""
    years = int(county.settings["scales"][county.scale]["years"])
    for back in range(1, years):
        year = county.year - back
        chunk = payments.copy()
        chunk["pay_date"] = chunk["pay_date"] - pd.DateOffset(years=back)
        chunk["payment_id"] = chunk["payment_id"].str.replace(
            f"ZF{county.year % 100:02d}", f"ZF{year % 100:02d}", n=1, regex=False
        )
        chunk["covered_period"] = chunk["covered_period"].str.replace(
            str(county.year), str(year), n=1, regex=False
        )
        chunk["batch_id"] = chunk["batch_id"].str.replace(
            str(county.year), str(year), n=1, regex=False
        )
        yield chunk
        del chunk


def remove_previous_output(out: Path) -> None:
    """Delete table files an earlier synth run wrote here (any table name, any format).

    Only a folder holding ``_truth/summary.json`` (a synthetic county) is cleaned, so real
    exports are never touched.
    """
    from riskmodel.schemas import TABLES

    if not (out / TRUTH_DIR / "summary.json").is_file():
        return

    stems = {n for t in TABLES for n in (t.name, *t.chinese_names)}
    for path in out.iterdir():
        if path.is_file() and path.stem in stems and path.suffix in (".csv", ".xlsx", ".parquet"):
            path.unlink()
    for path in (out / TRUTH_DIR).glob("*"):
        if path.is_file():
            path.unlink()


def write_county(county: County, out_dir: str | Path) -> dict:
    """Write all tables and ``_truth/``; return the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if (
        any(p.suffix in (".csv", ".xlsx", ".parquet") for p in out.iterdir())
        and not (out / TRUTH_DIR / "summary.json").is_file()
    ):
        raise FileExistsError(f"{out} holds data files that are not a synthetic county")
    remove_previous_output(out)
    truth_dir = out / TRUTH_DIR
    truth_dir.mkdir(exist_ok=True)
    settings = county.settings
    messiness = settings["messiness"]
    rng = np.random.default_rng([county.seed, 1])
    tables = output_tables(county)
    encodings = list(messiness["encodings"])
    csv_tables = [t for t in tables if t in BIG_TABLES]
    xlsx_candidates = [
        t
        for t in tables
        if t in messiness["xlsx_tables"] and len(tables[t]) <= messiness["xlsx_max_rows"]
    ]
    chosen_xlsx = {t for t in xlsx_candidates if rng.random() < messiness["xlsx_share"]}
    if xlsx_candidates and not chosen_xlsx:
        chosen_xlsx.add(xlsx_candidates[int(rng.integers(0, len(xlsx_candidates)))])
    encoding_cycle = [encodings[i] for i in rng.permutation(len(encodings))]
    files: dict[str, str] = {}
    encodings_used: dict[str, str] = {}
    bad_records: list[dict] = []
    written: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    csv_index = 0
    for table, frame in tables.items():
        as_xlsx = table in chosen_xlsx
        encoding = encoding_cycle[csv_index % len(encoding_cycle)]
        if not as_xlsx:
            csv_index += 1
        chunks = earlier_years(county, frame) if table == "payments" else ()
        file_name, records, positions, appended = write_table(
            table, frame, out, rng, settings, encoding, as_xlsx, table in BIG_TABLES, chunks
        )
        counts[table] = len(frame) + appended
        files[table] = file_name
        encodings_used[table] = "xlsx" if as_xlsx else encoding
        bad_records.extend(records)
        written[table] = positions
        if table in csv_tables:
            del frame
    links = _person_links(county, files, written)
    _write_truth(county, truth_dir, files, encodings_used, bad_records, links, counts)
    summary = json.loads((truth_dir / "summary.json").read_text(encoding="utf-8"))
    return summary


def _person_links(
    county: County, files: dict[str, str], written: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Typo rows of payments (true ID known) and homonym rows (same name, other person)."""
    payments = county.payments
    lines = line_numbers(np.arange(len(payments)), written["payments"])
    line_of_payment = pd.Series(lines, index=payments["payment_id"].to_numpy())
    rows = []
    if "typo_of" in payments:
        typos = payments[payments["typo_of"].notna()]
        for payment_id, raw, true_id in zip(
            typos["payment_id"], typos["id_number"], typos["typo_of"], strict=True
        ):
            rows.append(
                {
                    "source_table": "payments",
                    "file": files["payments"],
                    "line": int(line_of_payment[payment_id]),
                    "column": "id_number",
                    "raw_value": raw,
                    "true_id_number": true_id,
                    "kind": "typo",
                }
            )
    people = county.people
    counts = people["name"].value_counts()
    shared = set(counts[counts > 1].index)
    candidates = payments[
        payments["name"].isin(shared)
        & (payments["person"] >= 0)
        & payments.get("typo_of", pd.Series(None, index=payments.index)).isna()
    ]
    first_rows = candidates.drop_duplicates("person")
    wanted = county.lookalike_count("homonym_pairs")
    rng = np.random.default_rng([county.seed, 2])
    if len(first_rows):
        picked = first_rows.iloc[
            np.sort(rng.choice(len(first_rows), min(wanted, len(first_rows)), replace=False))
        ]
        for payment_id, name, person in zip(
            picked["payment_id"], picked["name"], picked["person"], strict=True
        ):
            rows.append(
                {
                    "source_table": "payments",
                    "file": files["payments"],
                    "line": int(line_of_payment[payment_id]),
                    "column": "name",
                    "raw_value": name,
                    "true_id_number": county.id_of(int(person)),
                    "kind": "homonym",
                }
            )
    return pd.DataFrame(
        rows,
        columns=["source_table", "file", "line", "column", "raw_value", "true_id_number", "kind"],
    )


def _write_truth(
    county: County,
    truth_dir: Path,
    files: dict[str, str],
    encodings: dict[str, str],
    bad_records: list[dict],
    links: pd.DataFrame,
    tables: dict[str, int],
) -> None:
    planted = pd.DataFrame(
        county.planted,
        columns=[
            "scheme",
            "entity_type",
            "entity_id",
            "village_code",
            "related_ids",
            "official_id",
            "amount",
            "note",
        ],
    )
    planted.insert(0, "instance_id", [f"P{i + 1:04d}" for i in range(len(planted))])
    planted.to_csv(truth_dir / "planted.csv", index=False, encoding="utf-8")
    lookalikes = pd.DataFrame(
        county.lookalikes,
        columns=["kind", "entity_type", "entity_id", "village_code", "related_ids", "note"],
    )
    lookalikes.insert(0, "instance_id", [f"L{i + 1:04d}" for i in range(len(lookalikes))])
    lookalikes.to_csv(truth_dir / "lookalikes.csv", index=False, encoding="utf-8")
    pd.DataFrame(bad_records, columns=["table", "file", "line", "problem"]).to_csv(
        truth_dir / "bad_rows.csv", index=False, encoding="utf-8"
    )
    villages = county.villages[["village_code"]].copy()
    corrupt = set(county.corrupt_villages) | set(county.village_schemes)
    villages["is_corrupt"] = [v in corrupt for v in range(len(villages))]
    villages["schemes"] = [
        ";".join(sorted(county.village_schemes.get(v, set()))) for v in range(len(villages))
    ]
    villages.to_csv(truth_dir / "villages.csv", index=False, encoding="utf-8")
    links.to_csv(truth_dir / "person_links.csv", index=False, encoding="utf-8")
    summary = {
        "seed": county.seed,
        "scale": county.scale,
        "year": county.year,
        "years": int(county.settings["scales"][county.scale]["years"]),
        "files": files,
        "encodings": encodings,
        "tables": dict(tables),
        "bad_rows": {t: sum(1 for r in bad_records if r["table"] == t) for t in tables},
        "schemes": {k: int(v) for k, v in planted["scheme"].value_counts().sort_index().items()},
        "lookalikes": {
            k: int(v) for k, v in lookalikes["kind"].value_counts().sort_index().items()
        },
        "person_links": {k: int(v) for k, v in links["kind"].value_counts().sort_index().items()},
        "corrupt_villages": sorted(county.village_code(v) for v in county.corrupt_villages),
    }
    (truth_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
