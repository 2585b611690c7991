"""Foreign office exports: the tables of CONTRACT §1 written the ways county systems, WPS
and Excel users write them.

Each case states its intended outcome: the rows are read with the right values, or set
aside in quarantine with file, line and a clear reason (read = accepted + quarantined),
never silently wrong.
"""

import base64
import csv
import datetime as dt
import io
import zlib

import pandas as pd
import pytest
import xlsxwriter

from riskmodel import ids
from riskmodel.config import load_defaults
from riskmodel.io import DataError, load_folder, load_table
from riskmodel.io.headers import (
    alias_index,
    map_headers,
    match_header,
    normalise_header,
    unit_from_titles,
)
from riskmodel.schemas import TABLES, get_table


def resident_id(region: str, birth: str, sequence: int) -> str:
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + ids.check_digit(first17)


ID_A = resident_id("430421", "19600101", 11)
ID_B = resident_id("430421", "19721231", 22)
ID_X = resident_id("430421", "19800229", 33)  # ends in X
assert ID_X.endswith("X")
IDS = [ID_A, ID_B, ID_X]
NAMES = ["张三", "李四", "王五"]
ACCOUNTS = ["6230907251404430464", "6217000012345678901", "6228480012345678"]
AMOUNTS = [1200.5, 88.0, 300.0]
DAYS = [dt.date(2024, 3, 5), dt.date(2024, 3, 6), dt.date(2024, 12, 31)]
HEADER = ["身份证号", "姓名", "账号", "项目名称", "发放金额", "发放日期"]


def cells(ids_=IDS, names=NAMES, accounts=ACCOUNTS, amounts=None, days=None):
    """Text rows of the three payments."""
    amounts = amounts or [f"{a:.2f}" for a in AMOUNTS]
    days = days or [d.isoformat() for d in DAYS]
    return [
        [i, n, a, "低保金", m, d]
        for i, n, a, m, d in zip(ids_, names, accounts, amounts, days, strict=True)
    ]


def typed_rows():
    """The three payments as typed workbook cells (numbers and dates)."""
    columns = (IDS, NAMES, ACCOUNTS, ["低保金"] * 3, AMOUNTS, DAYS)
    return [list(row) for row in zip(*columns, strict=True)]


def write_csv(path, rows, header=HEADER, encoding="utf-8-sig", sep=",", before=(), after=()):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerows([*before, header, *rows, *after])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, header=HEADER, before=(), after=(), sheet="Sheet1"):
    """Rows of str (text cells), float (number cells) or date (date cells)."""
    book = xlsxwriter.Workbook(path)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    data = book.add_worksheet(sheet)
    for number, row in enumerate([*before, header, *rows, *after]):
        for column, value in enumerate(row):
            if isinstance(value, dt.date):
                data.write_datetime(number, column, value, date_format)
            elif isinstance(value, str):
                data.write_string(number, column, value)
            else:
                data.write_number(number, column, value)
    book.close()
    return path


def load_payments(path, expect_quarantined=0):
    loaded = load_table(path, "payments")
    report = loaded.report
    assert report.read == report.accepted + report.quarantined
    assert len(loaded.quarantine) == expect_quarantined, loaded.quarantine[["line", "reason"]]
    return loaded


def assert_payments(frame, rows=(0, 1, 2)):
    """The accepted rows hold exactly the values of the payments rows."""
    rows = list(rows)
    assert frame["id_number"].tolist() == [IDS[r] for r in rows]
    assert frame["name"].tolist() == [NAMES[r] for r in rows]
    assert frame["amount"].tolist() == [AMOUNTS[r] for r in rows]
    assert frame["pay_date"].tolist() == [pd.Timestamp(DAYS[r]) for r in rows]
    if "account_no" in frame:
        assert frame["account_no"].tolist() == [ACCOUNTS[r] for r in rows]


def reasons(loaded):
    return dict(zip(loaded.quarantine["line"], loaded.quarantine["reason"], strict=True))


# --- already handled: guards for the variations the campaign found read correctly ----------


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [
        ("gbk", ","),
        ("gb18030", ","),
        ("utf-8", ","),
        ("utf-16", "\t"),
        ("utf-16", ","),
        ("utf-8-sig", "\t"),
        ("utf-8-sig", ";"),
        ("utf-8-sig", "|"),
    ],
)
def test_encodings_and_separators(tmp_path, encoding, sep):
    path = write_csv(tmp_path / "payments.csv", cells(), encoding=encoding, sep=sep)
    assert_payments(load_payments(path).frame)


@pytest.mark.parametrize(
    "spell",
    [
        lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: f"{d.year}年{d.month}月{d.day}号",
        lambda d: d.strftime("%Y.%m.%d"),
        lambda d: d.strftime("%Y%m%d"),
        lambda d: f"{d.year}/{d.month}/{d.day}",
        lambda d: str((d - dt.date(1899, 12, 30)).days),
        lambda d: f"{(d - dt.date(1899, 12, 30)).days}.0",
        lambda d: d.strftime("%Y/%m/%d 0:00:00"),
        lambda d: d.strftime("%Y-%m-%dT00:00:00.000+08:00"),
        lambda d: d.isoformat().translate({c: c + 0xFEE0 for c in b"0123456789-"}),
    ],
    ids=["年月日", "号", "dots", "compact", "slash", "serial", "serial.0", "time", "iso", "fw"],
)
def test_date_spellings(tmp_path, spell):
    path = write_csv(tmp_path / "payments.csv", cells(days=[spell(d) for d in DAYS]))
    assert_payments(load_payments(path).frame)


def test_datetime_keeps_its_time(tmp_path):
    path = write_csv(tmp_path / "payments.csv", cells(days=[f"{d} 10:23:45" for d in DAYS]))
    frame = load_payments(path).frame
    assert frame["pay_date"].tolist() == [pd.Timestamp(f"{d} 10:23:45") for d in DAYS]


@pytest.mark.parametrize(
    "spell",
    [
        "{:,.2f}",
        "¥{:.2f}",
        "￥{:,.2f}元",
        "{:.2f}元",
        "{:.2f} 元",
        "人民币{:.2f}元",
        "RMB{:,.2f}",
        "{:.2f}\u3000",
    ],
)
def test_amount_spellings(tmp_path, spell):
    path = write_csv(tmp_path / "payments.csv", cells(amounts=[spell.format(a) for a in AMOUNTS]))
    assert_payments(load_payments(path).frame)


def test_negative_amount_in_parentheses(tmp_path):
    path = write_csv(tmp_path / "payments.csv", cells(amounts=["(1,200.50)", "（88）", "-300"]))
    assert load_payments(path).frame["amount"].tolist() == [-1200.5, -88.0, -300.0]


@pytest.mark.parametrize(
    "spell",
    [
        str.lower,
        lambda v: "'" + v,
        lambda v: "\t" + v,
        lambda v: f'="{v}"',
        lambda v: f"{v[:6]} {v[6:14]} {v[14:]}",
        lambda v: v.translate({c: c + 0xFEE0 for c in b"0123456789X"}),
    ],
    ids=["lower x", "apostrophe", "tab", "formula", "grouped", "full-width"],
)
def test_id_spellings(tmp_path, spell):
    path = write_csv(tmp_path / "payments.csv", cells(ids_=[spell(v) for v in IDS]))
    frame = load_payments(path).frame
    assert_payments(frame)
    assert frame["is_valid_id_number"].all()


@pytest.mark.parametrize(
    "spell",
    [
        lambda v: " ".join(v[i : i + 4] for i in range(0, len(v), 4)),
        lambda v: "-".join(v[i : i + 4] for i in range(0, len(v), 4)),
        lambda v: "'" + v,
        lambda v: "\t" + v,
    ],
    ids=["spaces", "dashes", "apostrophe", "tab"],
)
def test_account_spellings(tmp_path, spell):
    path = write_csv(tmp_path / "payments.csv", cells(accounts=[spell(v) for v in ACCOUNTS]))
    assert_payments(load_payments(path).frame)


def test_id_in_scientific_notation_is_quarantined_with_line_and_reason(tmp_path):
    path = write_csv(tmp_path / "payments.csv", cells(ids_=["4.30421E+17", ID_B, ID_X]))
    loaded = load_payments(path, expect_quarantined=1)
    assert reasons(loaded) == {2: "damaged by Excel (scientific notation): id_number"}
    assert_payments(loaded.frame, rows=(1, 2))


def test_ids_stored_as_numbers_in_xlsx_are_quarantined_ids_with_x_survive(tmp_path):
    rows = [[float(i) if i.isdigit() else i, *row[1:]] for i, row in zip(IDS, cells(), strict=True)]
    loaded = load_payments(write_xlsx(tmp_path / "payments.xlsx", rows), expect_quarantined=2)
    assert set(reasons(loaded).values()) == {"damaged by Excel (scientific notation): id_number"}
    assert_payments(loaded.frame, rows=(2,))


def test_account_stored_as_number_in_xlsx_is_dropped_and_listed(tmp_path):
    rows = [[r[0], r[1], float(r[2]), *r[3:]] for r in cells()]
    loaded = load_payments(write_xlsx(tmp_path / "payments.xlsx", rows))
    accounts = loaded.frame["account_no"]
    # 19 digits through a float are lost; 16 (below 2^53, last digit not 0) are exact: a
    # number Excel's 15 digits could not have kept, so the column was stored exactly
    assert accounts.isna().tolist() == [True, True, False]
    assert accounts.iloc[2] == ACCOUNTS[2]
    problems = loaded.data_quality
    assert (problems["column"] == "account_no").sum() == 2
    assert problems["problem"].str.contains("scientific").all()


def test_typed_xlsx_cells(tmp_path):
    rows = typed_rows()
    assert_payments(load_payments(write_xlsx(tmp_path / "payments.xlsx", rows)).frame)


def test_blank_rows_in_the_middle_are_quarantined_by_line(tmp_path):
    rows = cells()
    rows[1:1] = [[""] * len(HEADER), [""] * len(HEADER)]
    for name, writer in (("payments.csv", write_csv), ("payments.xlsx", write_xlsx)):
        folder = tmp_path / name.split(".")[1]
        folder.mkdir()
        loaded = load_payments(writer(folder / name, rows), expect_quarantined=2)
        assert reasons(loaded) == {3: "blank row", 4: "blank row"}
        assert loaded.frame["_line"].tolist() == [2, 5, 6]


def test_title_rows_totals_row_reordered_and_extra_columns(tmp_path):
    order = [5, 4, 3, 2, 1, 0]
    header = ["序号", *(HEADER[i] for i in order), "备注"]
    rows = [[str(n + 1), *(row[i] for i in order), "核实"] for n, row in enumerate(cells())]
    title = [["2024年3月城乡低保金发放明细表"], ["填报单位：XX乡人民政府", "", "", "单位：元"]]
    totals = [["合计", "", "1588.50", "", "", "", "", ""]]
    path = write_csv(tmp_path / "payments.csv", rows, header, before=title, after=totals)
    loaded = load_payments(path, expect_quarantined=1)
    assert reasons(loaded) == {7: "totals row (合计)"}
    assert_payments(loaded.frame)
    assert loaded.frame["序号"].tolist() == ["1", "2", "3"]
    assert loaded.frame["备注"].tolist() == ["核实"] * 3
    assert loaded.frame["_line"].tolist() == [4, 5, 6]


@pytest.mark.parametrize(
    "headers",
    [
        ["身份证\n号码", "姓　名", "账 号", "项目名称", "发放\n金额\n（元）", "发放日期"],
        ["*身份证号", "姓名*", "账号：", "项目名称", "发放金额(元)", " 发放日期 "],
    ],
    ids=["line breaks and spaces", "stars colons brackets"],
)
def test_header_line_breaks_spaces_and_marks(tmp_path, headers):
    path = write_csv(tmp_path / "payments.csv", cells(), header=headers)
    assert_payments(load_payments(path).frame)


XLS_PAYMENTS = (
    "eNrtWGtIFFEUPnfmjvvQ1bU00KBEyMoK9oXVD90eVBC0ZUovQsvcLEoNi8h+mGWCIPagoAf1QzAiAit/2BsS"
    "IoICM38ERaA9fgVBUNQPdTrnzOy6awYaJRjzDffce84993537nvmRXdqX+utzH4YgQJQYUh3QEKMTWBwRBQ3"
    "YL6uUzIS2zHoFiYVHHYcyAQN7rue22gMabz7QYGbsgslwDsMW2EfhKqrwlkTiGXchu2C2pCPUsAltCRDBrdq"
    "CssdLKeyvMGeD1guYUsLy3z07RNboDsYyl1kzuJNSjbnJQPVe5vLvGaLF9LhKc3iI6eE4avB0prd2/dOsowZ"
    "MgnaAAd0VbgqXEN6ClwBJ0AtYkFl5YLy8j5Iw8Fug296FsDXyKp+lGXZJ9YuAO0/4u2239jtOIgj7WcUCVAP"
    "+jZeJI24L7dKypGip6ggnLzzSd0AdNJujdMdwAXCBx7wQQAOlPjBXhFa+3Ztz2ly3dWEFZws+V6kgbh+YjDU"
    "1fy9SBxCW+9mV7EEEW4KtNSe/3zQBlxzz+nL5+368kKHLg3Dx/DMiikAAb8n4PN6F+d5PF56vAGsIqvUEVJB"
    "GGQxTgt9Xp/f6/H58tApVPFmA0bN+8+GMLIXtzY76cDhDcodt0G5eOEmoSyHFE6n8vJ1Yw8NXPvyck3ZumAp"
    "W+r5UDKOrlnUU6DDUSqBhZMhUp8hc7nEPJbHuNbpnM5kmYZrC+OcdelmYmUD+xzn3Bzk8TN6g7Nj0nMw3fip"
    "8M6MxvfBuZhuX9V/OK39VbAVsvEoLcfy9DTAfDFfXLxAuBuMxMLc5t6yzPhly7MrbvPddPN8ToFBWuSIVJbk"
    "Ifjt4j0Ee5A0tEj/GZqCmhrVVNRkVJOoaVFNQy3B5FFG8NQpTrYZHuRvjJMtqhGPPaoRD10uHvJbE8+zIhum"
    "Ox4ryEMM6igMKjM4zVpUZhjWiCExqsUyqMxQJugo6YwyyFEYJDPQXFFxxkhmGPi42nf1w7nlVK9kliSTRcax"
    "SGbpkMRyL8pC/aeNGBGNWVwoiVPjcokdDihQsH3UjXioDcMJFixYsGDBggULfwy6BNL9gi5Ski8mxmXYZv7X"
    "GcQwZP0m+W+xHqrxOYAflSugCuMaqB3X/JkGmojUJcZYJvK/kLAR2WtgD5RxO/aMe/7ix4KIfZ8xF3T/vSU0"
    "Xv6h8bTzH/P/BNg/IOw="
)
"""A .xls (BIFF8, written by xlwt): title row, header on row 2 with 身份证号码 and
发放金额（元）, typed number and date cells, the third ID stored as a number, a 合计 row."""


def test_xls_workbook(tmp_path):
    path = tmp_path / "payments.xls"
    path.write_bytes(zlib.decompress(base64.b64decode("".join(XLS_PAYMENTS))))
    loaded = load_payments(path, expect_quarantined=2)
    assert loaded.report.file_format == "xls" and loaded.report.header_line == 2
    assert reasons(loaded) == {
        5: "damaged by Excel (scientific notation): id_number",
        6: "totals row (合计)",
    }
    frame = loaded.frame
    assert frame["id_number"].tolist() == [ID_A, ID_B]
    assert frame["amount"].tolist() == [1200.5, 88.0]
    assert frame["pay_date"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-06")]
    assert frame["_line"].tolist() == [3, 4]


# --- fixed: header spellings, units, notes -------------------------------------------------

SYNONYMS = {
    "id_number": [
        "证件号",
        "公民身份证号码",
        "身份证件号码",
        "居民身份证号",
        "补贴对象身份证号",
        "身份证号码（18位）",
        "证件号码(身份证)",
        "ID Number",
    ],
    "name": ["补贴对象姓名", "享受人员姓名", "对象姓名", "姓名（必填）", "【姓名】"],
    "account_no": [
        "开户账号",
        "银行卡号",
        "收款账号",
        "社会保障卡号",
        "存折号",
        "银行帐号",
        "账号（一卡通/社保卡）",
    ],
    "amount": ["发放金额（元）", "补贴金额", "实发金额(元)", "金额/元", "金额（元/人/月）"],
    "pay_date": ["到账日期", "拨付时间", "发放日期（格式：yyyy-mm-dd）", "发放日期(年/月/日)"],
    "program_name": ["补贴项目名称", "补贴名称", "资金名称", "补贴类别"],
}
SYNONYM_CASES = [(column, header) for column, headers in SYNONYMS.items() for header in headers]
CANONICAL_POSITION = {"id_number": 0, "name": 1, "account_no": 2, "program_name": 3}
CANONICAL_POSITION |= {"amount": 4, "pay_date": 5}


@pytest.mark.parametrize(("column", "header"), SYNONYM_CASES, ids=[h for _, h in SYNONYM_CASES])
def test_header_synonyms_of_county_systems(tmp_path, column, header):
    headers = list(HEADER)
    headers[CANONICAL_POSITION[column]] = header
    loaded = load_payments(write_csv(tmp_path / "payments.csv", cells(), header=headers))
    assert_payments(loaded.frame)
    assert loaded.frame["program_name"].tolist() == ["低保金"] * 3


@pytest.mark.parametrize(
    ("table", "header", "column"),
    [
        ("payments", "村（社区）名称", "village_name"),
        ("payments", "村(居)委会", "village_name"),
        ("payments", "行政区划代码", "village_code"),
        ("payments", "业务流水号", "payment_id"),
        ("residents", "家庭编号", "household_id"),
        ("residents", "出生年月", "birth_date"),
        ("residents", "与户主的关系", "relation"),
        ("villages", "乡镇名称", "town_name"),
        ("accounts", "身份证号", "holder_id_number"),
        ("accounts", "姓名", "holder_name"),
        ("accounts", "银行卡号", "account_no"),
        ("accounts", "开户银行", "bank"),
        ("deaths", "死亡时间", "death_date"),
        ("ledger", "收款人", "counterparty_name"),
        ("ledger", "收款人身份证号", "counterparty_id"),
        ("project_payments", "拨付金额", "amount"),
    ],
)
def test_more_header_synonyms(table, header, column):
    assert match_header(header, alias_index(get_table(table)))[0] == column


@pytest.mark.parametrize(
    "header",
    [
        "身份证号（户主）",
        "姓名(代领人)",
        "金额（美元）",
        "金额(大写)",
        "领取人姓名",
        "户主姓名",
        "应发金额",
    ],
)
def test_headers_naming_someone_or_something_else_stay_extra_columns(header):
    assert match_header(header, alias_index(get_table("payments")))[0] is None


def test_no_configured_spelling_names_two_columns_or_two_tables():
    loading = load_defaults()["loading"]
    aliases = {k: v for k, v in loading["header_aliases"].items() if not k.startswith("_")}
    columns = {column.name for table in TABLES for column in table.columns}
    assert set(aliases) <= columns, "a configured alias names no column"
    for table in TABLES:
        seen: dict[str, str] = {}
        for column in table.columns:
            for alias in aliases.get(column.name, ()):
                owner = alias_index(table).get(normalise_header(alias))
                assert owner == column.name, f"{table.name}: {alias} is {owner}, not {column.name}"
                assert seen.setdefault(normalise_header(alias), column.name) == column.name
    names = {k: v for k, v in loading["file_names"].items() if not k.startswith("_")}
    assert set(names) <= {t.name for t in TABLES}
    owners: dict[str, str] = {}
    for table in TABLES:
        for name in (table.name, *table.chinese_names, *names.get(table.name, ())):
            assert owners.setdefault(normalise_header(name), table.name) == table.name, name


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [
        ("金额（千元）", "1.5", 1_500.0),
        ("金额/万元", "1.5", 15_000.0),
        ("金额（元/人/月）", "1.5", 1.5),
        ("金额(单位:万元)", "1.5", 15_000.0),
    ],
)
def test_unit_suffix_spellings(tmp_path, header, cell, expected):
    headers = [*HEADER[:4], header, HEADER[5]]
    path = write_csv(tmp_path / "payments.csv", [[*cells()[0][:4], cell, "2024-03-05"]], headers)
    assert load_payments(path).frame["amount"].tolist() == [expected]


def test_a_title_row_declares_the_unit():
    assert unit_from_titles([["2024年项目库"], ["", "单位：万元"]]) == "万元"
    assert unit_from_titles([["（金额单位：元）"]]) == "元"
    assert unit_from_titles([["填报单位：元江村委会"]]) == "", "a place name is not a unit"
    mapped = map_headers(
        get_table("projects"), ["项目编号", "预算金额", "合同金额（元）"], set(), None, "万元"
    )
    assert mapped.factors == {"budget": 10_000.0, "contract_amount": 1.0}
    assert any("单位：万元" in note for note in mapped.notes)


def test_accounts_exported_with_plain_person_headers(tmp_path):
    path = write_csv(
        tmp_path / "accounts.csv",
        [[a, n, i, "农商银行"] for a, n, i in zip(ACCOUNTS, NAMES, IDS, strict=True)],
        header=["银行卡号", "姓名", "身份证号", "开户银行"],
    )
    frame = load_table(path, "accounts").frame
    assert frame["account_no"].tolist() == ACCOUNTS
    assert frame["holder_id_number"].tolist() == IDS
    assert frame["holder_name"].tolist() == NAMES
    assert frame["bank"].tolist() == ["农商银行"] * 3


def test_files_named_the_way_offices_name_them(tmp_path):
    write_csv(
        tmp_path / "户籍信息.csv",
        [[i, n, "H1"] for i, n in zip(IDS, NAMES, strict=True)],
        header=["身份证号", "姓名", "户编号"],
    )
    write_csv(tmp_path / "2024年一卡通发放数据.csv", cells())
    result = load_folder(tmp_path)
    assert {e["table"]: e["path"] for e in result.inputs} == {
        "residents": "户籍信息.csv",
        "payments": "2024年一卡通发放数据.csv",
    }
    assert_payments(result.tables["payments"])


# --- fixed: encodings and values ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark(tmp_path, encoding):
    path = write_csv(tmp_path / "payments.csv", cells(), encoding=encoding, sep="\t")
    loaded = load_payments(path)
    assert_payments(loaded.frame)
    assert any("byte-order mark" in note for note in loaded.report.notes)


def test_binary_file_is_still_a_clear_error(tmp_path):
    path = tmp_path / "payments.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DataError, match="not a text CSV file"):
        load_table(path, "payments")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024年03月05日 08时30分", "2024-03-05 08:30"),
        ("2024-03-05 星期二", "2024-03-05"),
        ("2024-03-05（周二）", "2024-03-05"),
        ("20240305083000", "2024-03-05 08:30"),
        ("20240305 08:30:00", "2024-03-05 08:30"),
    ],
)
def test_more_date_spellings(tmp_path, cell, expected):
    path = write_csv(tmp_path / "payments.csv", [[*cells()[0][:5], cell]])
    assert load_payments(path).frame["pay_date"].tolist() == [pd.Timestamp(expected)]


def test_year_and_month_only_is_the_first_and_noted(tmp_path):
    path = write_csv(tmp_path / "payments.csv", [[*cells()[0][:5], "202403"]])
    loaded = load_payments(path)
    assert loaded.frame["pay_date"].tolist() == [pd.Timestamp("2024-03-01")]
    assert any("only a month" in note for note in loaded.report.notes)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("-￥1,200.50", -1200.5), ("1,200.50-", -1200.5), ("1200.50元整", 1200.5)],
)
def test_more_amount_spellings(tmp_path, cell, expected):
    path = write_csv(tmp_path / "payments.csv", [[*cells()[0][:4], cell, "2024-03-05"]])
    assert load_payments(path).frame["amount"].tolist() == [expected]


def test_amount_per_period_suffix_is_the_amount(tmp_path):
    path = write_csv(tmp_path / "payments.csv", [[*cells()[0][:4], "1200.50元/月", "2024-03-05"]])
    assert load_payments(path).frame["amount"].tolist() == [1200.5]


def test_decimal_comma_is_quarantined_not_read_a_hundred_times_larger(tmp_path):
    path = write_csv(tmp_path / "payments.csv", cells(amounts=["1200,50", "88.00", "1,20"]))
    loaded = load_payments(path, expect_quarantined=2)
    assert reasons(loaded) == {2: "unreadable amount: amount", 4: "unreadable amount: amount"}
    assert loaded.frame["amount"].tolist() == [88.0]


def test_formula_results_read_as_excel_shows_them(tmp_path):
    rows = typed_rows()
    rows[0][4] = 0.1 * 3 * 4001.6666666666665  # 1200.4999999999998 in binary
    rows[1][4] = 88.00000000000001
    loaded = load_payments(write_xlsx(tmp_path / "payments.xlsx", rows))
    assert loaded.frame["amount"].tolist() == [1200.5, 88.0, 300.0]


# --- remaining: need readers.py / rows.py / load.py (owned by another helper) --------------


def test_two_row_header_with_cells_merged_down(tmp_path):
    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Sheet1")
    for column, header in enumerate(HEADER[:4]):
        sheet.merge_range(0, column, 1, column, header)
    sheet.merge_range(0, 4, 0, 5, "发放信息")
    sheet.write_row(1, 4, ["金额", "日期"])
    for number, row in enumerate(cells(), start=2):
        sheet.write_row(number, 0, row)
    book.close()
    loaded = load_payments(path)
    assert_payments(loaded.frame)
    assert loaded.frame["_line"].tolist() == [3, 4, 5]


def test_cover_sheet_before_the_data_sheet(tmp_path):
    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("填表说明").write_row(0, 0, ["请勿修改表头；金额单位：元"])
    data = book.add_worksheet("2024年3月")
    for number, row in enumerate([HEADER, *cells()]):
        data.write_row(number, 0, row)
    book.close()
    loaded = load_payments(path)
    assert_payments(loaded.frame)
    assert loaded.report.sheet == "2024年3月"
    assert loaded.frame["_key"].tolist() == [
        "payments.xlsx:2",
        "payments.xlsx:3",
        "payments.xlsx:4",
    ]


def test_household_cells_merged_over_members(tmp_path):
    path = tmp_path / "residents.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("花名册")
    sheet.write_row(0, 0, ["户编号", "姓名", "与户主关系", "身份证号", "村"])
    sheet.merge_range(1, 0, 3, 0, "4304211012010001")
    sheet.merge_range(1, 4, 3, 4, "北林村")
    for number, (name, relation, id_number) in enumerate(
        zip(NAMES, ["户主", "配偶", "子女"], IDS, strict=True), start=1
    ):
        sheet.write_row(number, 1, [name, relation, id_number])
    book.close()
    loaded = load_table(path, "residents")
    assert loaded.report.quarantined == 0
    assert loaded.frame["household_id"].tolist() == ["4304211012010001"] * 3
    assert loaded.frame["village_name"].tolist() == ["北林村"] * 3


def test_unit_declared_in_a_title_row_is_read(tmp_path):
    path = write_csv(
        tmp_path / "projects.csv",
        [["XM20240001", "北冲村安全饮水工程", "430421101202", "8.17"]],
        header=["项目编号", "项目名称", "村代码", "预算金额"],
        before=[["2024年衔接资金项目库"], ["", "", "", "单位：万元"]],
    )
    loaded = load_table(path, "projects")
    assert loaded.frame["budget"].tolist() == [81_700.0]
    assert any("单位：万元" in note for note in loaded.report.notes)


def test_footer_row_is_quarantined_as_a_footer(tmp_path):
    footer = [["制表人：张三", "", "审核人：李四", "", "制表日期：2024年3月5日", ""]]
    loaded = load_payments(write_csv(tmp_path / "payments.csv", cells(), after=footer), 1)
    assert reasons(loaded) == {5: "footer row (制表人)"}
    assert loaded.report.reasons == {"footer row": 1}
    assert_payments(loaded.frame)


def test_a_data_row_with_a_note_is_not_a_footer(tmp_path):
    rows = [[*row, ""] for row in cells()]
    rows[1][6] = "注：已核实"
    rows[2][0] = ""
    footer = [["", "", "", "", "", "", "注：本表金额单位为元"]]
    path = write_csv(tmp_path / "payments.csv", rows, [*HEADER, "备注"], after=footer)
    loaded = load_payments(path, 2)
    assert reasons(loaded) == {4: "missing value: id_number", 5: "footer row (注)"}
    assert loaded.frame["备注"].tolist()[1] == "注：已核实"


@pytest.mark.parametrize("cell", ["合计：3人", "合计(3户)", "本页小计 3 笔"])
def test_totals_row_with_a_count(tmp_path, cell):
    totals = [[cell, "", "", "", "1588.50", ""]]
    loaded = load_payments(write_csv(tmp_path / "payments.csv", cells(), after=totals), 1)
    assert reasons(loaded)[5] == f"totals row ({cell.replace(' ', '')})"
    assert_payments(loaded.frame)


def test_repeated_header_row(tmp_path):
    rows = cells()
    rows.insert(2, HEADER)
    rows.insert(4, HEADER)
    loaded = load_payments(write_csv(tmp_path / "payments.csv", rows), 2)
    assert reasons(loaded) == {4: "repeated header row", 6: "repeated header row"}
    assert_payments(loaded.frame)


def test_short_rows_without_trailing_empty_fields(tmp_path):
    path = tmp_path / "payments.csv"
    lines = [",".join([*HEADER, "备注"]), ",".join([*cells()[0], "核实"])]
    lines += [",".join(row) for row in cells()[1:]]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    loaded = load_payments(path)
    assert_payments(loaded.frame)
    assert loaded.frame["备注"].iloc[0] == "核实"
    assert loaded.frame["备注"].iloc[1:].isna().all()
    assert loaded.frame["_line"].tolist() == [2, 3, 4]


def test_one_sheet_per_month(tmp_path):
    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(path)
    for month, rows in (("3月", cells()[:2]), ("4月", cells()[2:])):
        sheet = book.add_worksheet(month)
        for number, row in enumerate([HEADER, *rows]):
            sheet.write_row(number, 0, row)
    book.close()
    loaded = load_payments(path)
    assert loaded.report.read == 3
    assert_payments(loaded.frame)
    assert loaded.frame["_key"].tolist() == [
        "payments.xlsx#3月:2",
        "payments.xlsx#3月:3",
        "payments.xlsx#4月:2",
    ]
    assert loaded.frame["_file"].tolist() == ["payments.xlsx#3月"] * 2 + ["payments.xlsx#4月"]


def test_quarantined_rows_of_a_month_sheet_name_their_sheet(tmp_path):
    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(path)
    rows = cells()
    rows[2][0] = ""
    for month, part in (("3月", rows[:2]), ("4月", rows[2:])):
        sheet = book.add_worksheet(month)
        for number, row in enumerate([HEADER, *part]):
            sheet.write_row(number, 0, row)
    book.close()
    loaded = load_payments(path, expect_quarantined=1)
    assert loaded.quarantine[["file", "line"]].values.tolist() == [["payments.xlsx#4月", 2]]
    assert_payments(loaded.frame, rows=(0, 1))


def test_data_quality_of_a_month_sheet_names_its_sheet(tmp_path):
    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(path)
    rows = cells()
    rows[2][0] = ID_X[:-1] + "0"  # wrong check character: accepted and listed
    for month, part in (("3月", rows[:2]), ("4月", rows[2:])):
        sheet = book.add_worksheet(month)
        for number, row in enumerate([HEADER, *part]):
            sheet.write_row(number, 0, row)
    book.close()
    loaded = load_payments(path)
    problems = loaded.data_quality
    assert problems[["file", "line", "column"]].values.tolist() == [
        ["payments.xlsx#4月", 2, "id_number"]
    ]
    assert loaded.frame["is_valid_id_number"].tolist() == [True, True, False]


def test_a_row_repeated_on_the_next_month_sheet_names_the_first_sheet(tmp_path):
    path = tmp_path / "payments.xlsx"
    book = xlsxwriter.Workbook(path)
    for month, part in (("3月", cells()[:2]), ("4月", [cells()[2], cells()[0]])):
        sheet = book.add_worksheet(month)
        for number, row in enumerate([HEADER, *part]):
            sheet.write_row(number, 0, row)
    book.close()
    loaded = load_payments(path, expect_quarantined=1)
    assert loaded.quarantine[["file", "line", "reason"]].values.tolist() == [
        ["payments.xlsx#4月", 3, "exact duplicate of line 2 (3月)"]
    ]
    assert loaded.report.reasons == {"exact duplicate": 1}


def test_user_config_adds_a_file_name(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[loading.file_names]\npayments = ["低保花名册"]\n', encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    write_csv(
        data / "residents.csv",
        [[i, n, "H1"] for i, n in zip(IDS, NAMES, strict=True)],
        header=["身份证号", "姓名", "户编号"],
    )
    write_csv(data / "2024年3月低保花名册.csv", cells())
    assert "payments" not in load_folder(data, strict=False).tables
    result = load_folder(data, config)
    assert {e["table"]: e["path"] for e in result.inputs}["payments"] == "2024年3月低保花名册.csv"
    assert_payments(result.tables["payments"])


def test_user_config_adds_a_header_spelling(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[loading.header_aliases]\nid_number = ["受助人证件"]\n', encoding="utf-8")
    headers = ["受助人证件", *HEADER[1:]]
    path = write_csv(tmp_path / "payments.csv", cells(), header=headers)
    assert_payments(load_table(path, "payments", config).frame)
