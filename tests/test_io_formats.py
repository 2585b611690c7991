"""The same table read from UTF-8, UTF-8-BOM and GBK CSV, XLSX and Parquet is identical."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from riskmodel import ids
from riskmodel.io import load_folder, load_table
from riskmodel.io.encoding import detect_encoding


def resident_id(region: str, birth: str, sequence: int) -> str:
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + ids.check_digit(first17)


ROWS = [
    (resident_id("430421", "19600101", 11), "张三", "6228480012345678", 1234.5, "2024-03-05"),
    (resident_id("430421", "19721231", 22), "李四", "6228480012345679", 120.0, "2024-03-31"),
    (resident_id("430421", "19800229", 33), "王小五", "", 88.88, "2024-04-01"),
    (resident_id("110105", "19491231", 2), "欧阳娜娜", "6217000012345678901", 0.0, "2024-12-31"),
]
HEADERS = [
    "流水号",
    "项目名称",
    "身份证号",
    "姓名",
    "一卡通账号",
    "发放金额（元）",
    "发放日期",
    "村代码",
]


def text_rows():
    return [
        [str(i + 1), "低保金", id_number, name, account, f"{amount:,.2f}", day, "430421100201"]
        for i, (id_number, name, account, amount, day) in enumerate(ROWS)
    ]


def write_csv(path, encoding):
    frame = pd.DataFrame(text_rows(), columns=HEADERS)
    frame.to_csv(path, index=False, encoding=encoding)


def write_xlsx(path):
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("补贴发放明细")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADERS)
    for row, (id_number, name, account, amount, day) in enumerate(ROWS, start=1):
        sheet.write_number(row, 0, row)
        sheet.write_string(row, 1, "低保金")
        sheet.write_string(row, 2, id_number)
        sheet.write_string(row, 3, name)
        sheet.write_string(row, 4, account)
        sheet.write_number(row, 5, amount)
        sheet.write_datetime(row, 6, dt.datetime.fromisoformat(day), date_format)
        sheet.write_number(row, 7, 430421100201)
    book.close()


def write_parquet(path):
    frame = pd.DataFrame(
        {
            "流水号": np.arange(1, len(ROWS) + 1, dtype="int64"),
            "项目名称": "低保金",
            "身份证号": [r[0] for r in ROWS],
            "姓名": [r[1] for r in ROWS],
            "一卡通账号": [r[2] or None for r in ROWS],
            "发放金额（元）": [r[3] for r in ROWS],
            "发放日期": pd.to_datetime([r[4] for r in ROWS]),
            "村代码": np.int64(430421100201),
        }
    )
    frame.to_parquet(path)


WRITERS = {
    "utf8.csv": lambda p: write_csv(p, "utf-8"),
    "bom.csv": lambda p: write_csv(p, "utf-8-sig"),
    "gbk.csv": lambda p: write_csv(p, "gbk"),
    "book.xlsx": write_xlsx,
    "table.parquet": write_parquet,
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    frames = {}
    for name, writer in WRITERS.items():
        path = folder / name
        writer(path)
        frames[name] = load_table(path, "payments")
    return frames


def test_five_formats_give_identical_frames(loaded):
    reference = loaded["utf8.csv"].frame.drop(columns=["_file", "_key"])
    for name, table in loaded.items():
        frame = table.frame.drop(columns=["_file", "_key"])
        pd.testing.assert_frame_equal(frame, reference, obj=name)
        assert table.report.read == table.report.accepted == len(ROWS)


def test_the_frame_has_the_contract_types(loaded):
    frame = loaded["book.xlsx"].frame
    assert frame["amount"].dtype == np.float64
    assert frame["amount"].tolist() == [1234.5, 120.0, 88.88, 0.0]
    assert frame["pay_date"].dtype.kind == "M"
    assert frame["id_number"].tolist() == [r[0] for r in ROWS]
    assert frame["is_valid_id_number"].all()
    assert frame["village_code"].tolist() == ["430421100201"] * 4
    assert frame["payment_id"].tolist() == ["1", "2", "3", "4"]
    assert pd.isna(frame["account_no"].iloc[2])
    assert frame["_line"].tolist() == [2, 3, 4, 5]
    assert frame["_key"].iloc[0] == "book.xlsx:2"


def test_encodings_are_detected_in_the_right_order(tmp_path, loaded):
    utf8 = tmp_path / "u.csv"
    utf8.write_text("姓名\n张三\n", encoding="utf-8")
    gb = tmp_path / "g.csv"
    gb.write_bytes("姓名\n𠮷\n䶮\n".encode("gb18030"))
    utf16 = tmp_path / "w.csv"
    utf16.write_text("姓名\t身份证号\n张三\t1\n", encoding="utf-16")
    assert detect_encoding(utf8).name == "utf-8"
    assert detect_encoding(gb).name == "gb18030"
    assert detect_encoding(utf16).name == "utf-16"
    assert loaded["gbk.csv"].report.encoding == "gb18030"
    assert loaded["bom.csv"].report.encoding == "utf-8-sig"


def test_rare_name_characters_survive_gb18030(tmp_path):
    path = tmp_path / "residents.csv"
    text = f"身份证号,姓名,户编号\n{ROWS[0][0]},王𠮷,H1\n{ROWS[1][0]},李䶮,H1\n"
    path.write_bytes(text.encode("gb18030"))
    assert load_table(path, "residents").frame["name"].tolist() == ["王𠮷", "李䶮"]


def test_gb18030_is_decoded_once_and_read_from_its_utf8_bytes(tmp_path):
    text = "身份证号,姓名\n1,王𠮷\n" * 3
    path = tmp_path / "g.csv"
    # chunks of 5 bytes cut multi-byte characters: the incremental decoder carries them
    path.write_bytes(text.encode("gb18030"))
    assert detect_encoding(path, chunk_bytes=5).utf8 == text.encode("utf-8")
    assert detect_encoding(tmp_path / "g.csv").utf8 is not None
    damaged = tmp_path / "d.csv"
    damaged.write_bytes(text.encode("gb18030") + b"\xff\xff,x\n")
    assert detect_encoding(damaged).errors == "replace"
    assert detect_encoding(damaged).utf8 is None  # the damaged file is read the slow way
    plain = tmp_path / "u.csv"
    plain.write_text(text, encoding="utf-8")
    assert detect_encoding(plain).utf8 is None  # parsed from the file itself


def test_utf16_tab_separated_export_is_read(tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text(f"身份证号\t姓名\t户编号\n{ROWS[0][0]}\t张三\tH1\n", encoding="utf-16")
    loaded = load_table(path, "residents")
    assert loaded.frame["name"].tolist() == ["张三"]
    assert any("separated" in note for note in loaded.report.notes)


def test_folder_finds_tables_by_chinese_name_and_reports_unknown_files(tmp_path):
    write_xlsx(tmp_path / "补贴发放明细.xlsx")
    (tmp_path / "户籍人口.csv").write_text(
        f"身份证号,姓名,户编号\n{ROWS[0][0]},张三,H1\n", encoding="utf-8-sig"
    )
    (tmp_path / "说明.docx").write_bytes(b"x")
    (tmp_path / "~$补贴发放明细.xlsx").write_bytes(b"lock")
    (tmp_path / "_truth").mkdir()
    result = load_folder(tmp_path)
    assert set(result.tables) == {"payments", "residents"}
    assert result.unknown_files == ["说明.docx"]
    assert [entry["table"] for entry in result.inputs] == ["residents", "payments"]
    entry = result.inputs[1]
    assert entry["path"] == "补贴发放明细.xlsx" and len(entry["sha256"]) == 64
    assert entry["read"] == entry["accepted"] + entry["quarantined"] == len(ROWS)


def test_sixteen_digit_numbers_a_system_stored_exactly_are_kept():
    from riskmodel.io.cells import column_text, series_text

    exact = [4304211012010001.0, 4304211012010010.0, 430421100201.0, "H9", None]
    # a 16th digit that is not 0: not typed into Excel (15 digits kept); the whole column is
    assert list(column_text(exact)) == [
        "4304211012010001",
        "4304211012010010",
        "430421100201",
        "H9",
        "",
    ]
    # 16-digit numbers all ending in 0 may be Excel's rounding of longer ones: shown as damage
    typed = [4304211012010000.0, 4.30421199001011e17]
    assert list(column_text(typed)) == ["4.30421101201E+15", "4.30421199001011E+17"]
    parquet = pd.Series([4304211012010001.0, 4304211012010010.0, np.nan])
    assert list(series_text(parquet)) == ["4304211012010001", "4304211012010010", ""]
    assert list(series_text(pd.Series(typed))) == ["4.30421101201E+15", "4.30421199001011E+17"]


def test_a_workbook_of_sixteen_digit_household_numbers_loads_every_row(tmp_path):
    from riskmodel.io import load_folder

    ids_ = ["11010519491231002X", "110105194912310029"]
    households = [4304211012010001, 4304211012010001]
    frame = pd.DataFrame({"身份证号": ids_, "姓名": ["甲", "乙"], "户编号": households})
    folder = tmp_path / "data"
    folder.mkdir()
    frame.to_excel(folder / "户籍人口.xlsx", index=False)
    pd.DataFrame(
        {
            "身份证号": ids_[:1],
            "姓名": ["甲"],
            "项目名称": ["低保"],
            "金额": [480],
            "发放日期": ["2024-03-05"],
        }
    ).to_excel(folder / "补贴发放明细.xlsx", index=False)
    residents = load_folder(folder).tables["residents"]
    assert residents["household_id"].tolist() == ["4304211012010001"] * 2
