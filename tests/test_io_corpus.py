"""The bad-input corpus (issue 7 item 1): files a real office sends.

Each case is built here and states its intended behaviour:
``repaired`` (read correctly, with a note where the repair matters), ``quarantined``
(the row is set aside with file, line and reason; read = accepted + quarantined), or
``DataError`` (one clear message naming the file and the fix).
"""

import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from riskmodel import ids
from riskmodel.io import DataError, load_folder, load_table
from riskmodel.io.encoding import detect_encoding


def resident_id(region: str, birth: str, sequence: int) -> str:
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + ids.check_digit(first17)


ID_A = resident_id("430421", "19600101", 11)
ID_B = resident_id("430421", "19721231", 22)
ID_C = resident_id("430421", "19800229", 33)
HEADER = ["身份证号", "姓名", "项目名称", "发放金额", "发放日期"]
GOOD = [
    [ID_A, "张三", "低保金", "120.00", "2024-03-05"],
    [ID_B, "李四", "低保金", "88.50", "2024-03-05"],
    [ID_C, "王五", "低保金", "300", "2024-03-06"],
]


def write_csv(path, rows, header=HEADER, encoding="utf-8-sig", before=()):
    lines = [*before, ",".join(header), *(",".join(r) for r in rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path, rows, header=HEADER, title_rows=0, hidden_first=False, sheet="明细"):
    book = xlsxwriter.Workbook(path)
    if hidden_first:
        junk = book.add_worksheet("旧数据")
        junk.write_row(0, 0, ["身份证号", "姓名", "金额"])
        junk.write_row(1, 0, ["110105194912310021", "旧人", "999"])
    data = book.add_worksheet(sheet)
    if hidden_first:
        data.activate()
        junk.hide()
    for row in range(title_rows):
        data.merge_range(
            row, 0, row, len(header) - 1, f"2024年3月低保金发放明细表（第{row + 1}行标题）"
        )
    data.write_row(title_rows, 0, header)
    for offset, values in enumerate(rows, start=title_rows + 1):
        data.write_row(offset, 0, values)
    book.close()
    return path


def reconciles(loaded):
    report = loaded.report
    return (
        report.read
        == report.accepted + report.quarantined
        == (len(loaded.frame) + len(loaded.quarantine))
    )


def reasons(loaded):
    return dict(zip(loaded.quarantine["line"], loaded.quarantine["reason"], strict=True))


# --- repaired -----------------------------------------------------------------


def test_title_rows_above_header_in_xlsx_are_skipped_and_lines_are_sheet_rows(tmp_path):
    loaded = load_table(write_xlsx(tmp_path / "p.xlsx", GOOD, title_rows=2), "payments")
    assert loaded.report.header_line == 3
    assert loaded.frame["_line"].tolist() == [4, 5, 6]
    assert loaded.frame["name"].tolist() == ["张三", "李四", "王五"]
    assert any("header found on row 3" in note for note in loaded.report.notes)


def test_title_row_above_header_in_csv_is_skipped(tmp_path):
    path = write_csv(tmp_path / "p.csv", GOOD, before=["2024年3月发放明细,,,,", ",,,,"])
    loaded = load_table(path, "payments")
    assert loaded.report.header_line == 3
    assert loaded.frame["_line"].tolist() == [4, 5, 6]


def test_hidden_sheet_is_skipped(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", GOOD, hidden_first=True)
    loaded = load_table(path, "payments")
    assert loaded.frame["name"].tolist() == ["张三", "李四", "王五"]
    assert any("hidden sheet(s) skipped: 旧数据" in note for note in loaded.report.notes)


def test_sheet_named_after_table_wins_over_first_sheet(tmp_path):
    path = tmp_path / "p.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("说明").write(0, 0, "本表说明")
    data = book.add_worksheet("补贴发放明细")
    data.write_row(0, 0, HEADER)
    data.write_row(1, 0, GOOD[0])
    book.close()
    assert load_table(path, "payments").frame["name"].tolist() == ["张三"]


def test_formulas_are_read_as_their_saved_results(tmp_path):
    path = tmp_path / "p.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, [ID_A, "张三", "低保金"])
    sheet.write_formula(1, 3, "=100+20", None, 120)
    sheet.write_string(1, 4, "2024-03-05")
    book.close()
    assert load_table(path, "payments").frame["amount"].tolist() == [120.0]


def test_formula_without_saved_result_is_quarantined_as_missing(tmp_path):
    path = tmp_path / "p.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append([ID_A, "张三", "低保金", "=100+20", "2024-03-05"])
    book.active.append([ID_B, "李四", "低保金", 88, "2024-03-05"])
    book.save(path)
    loaded = load_table(path, "payments")
    assert reasons(loaded) == {2: "missing value: amount"}
    assert loaded.frame["amount"].tolist() == [88.0]


def test_formula_column_without_any_saved_result_is_a_clear_error(tmp_path):
    path = tmp_path / "p.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append([ID_A, "张三", "低保金", "=100+20", "2024-03-05"])
    book.save(path)
    with pytest.raises(DataError, match=r"empty in every row.*formulas.*save it"):
        load_table(path, "payments")


def test_numbers_stored_as_text_and_typed_cells_read_alike(tmp_path):
    rows = [
        [ID_A, "张三", "低保金", "1,234.50", "2024/3/5"],
        [ID_B, "李四", "低保金", 1234.5, 45356],
    ]
    loaded = load_table(write_xlsx(tmp_path / "p.xlsx", rows), "payments")
    assert loaded.frame["amount"].tolist() == [1234.5, 1234.5]
    assert (loaded.frame["pay_date"] == pd.Timestamp("2024-03-05")).all()


def test_lost_trailing_x_is_restored_and_noted(tmp_path):
    with_x = resident_id("110105", "19491231", 2)
    assert with_x.endswith("X")
    rows = [[with_x[:17], "张三", "低保金", "120", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert loaded.frame["id_number"].tolist() == [with_x]
    assert loaded.frame["is_valid_id_number"].tolist() == [True]
    assert loaded.data_quality["problem"].str.startswith("lost_final_x").tolist() == [True]


def test_fifteen_digit_id_is_upgraded_and_noted(tmp_path):
    legacy = "430421600101011"
    rows = [[legacy, "张三", "低保金", "120", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert loaded.frame["id_number"].tolist() == [ids.upgrade_15_to_18(legacy)]
    assert loaded.frame["is_valid_id_number"].all()
    assert loaded.data_quality["problem"].str.startswith("legacy_15").tolist() == [True]


def test_full_width_digits_spaces_and_zero_width_characters_are_cleaned(tmp_path):
    wide_id = ID_A.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    rows = [
        [f" {wide_id}\u200b", "张三\u200b \u3000", "低保金 ", "１２０．５", "２０２４－０３－０５"]
    ]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    frame = loaded.frame
    assert frame["id_number"].tolist() == [ID_A] and frame["is_valid_id_number"].all()
    assert frame["name"].tolist() == ["张三"]
    assert frame["program_name"].tolist() == ["低保金"]
    assert frame["amount"].tolist() == [120.5]
    assert frame["pay_date"].tolist() == [pd.Timestamp("2024-03-05")]


def test_mixed_encodings_in_one_folder(tmp_path):
    write_csv(tmp_path / "补贴发放明细.csv", GOOD, encoding="gbk")
    residents = [[ID_A, "张𠮷", "H1"], [ID_B, "李四", "H1"]]
    write_csv(
        tmp_path / "户籍人口.csv",
        residents,
        header=["身份证号", "姓名", "户编号"],
        encoding="utf-8",
    )
    write_csv(
        tmp_path / "死亡人员.csv", [[ID_C, "2024-01-01"]], ["身份证号", "死亡日期"], "utf-8-sig"
    )
    result = load_folder(tmp_path)
    assert result.tables["payments"]["name"].tolist() == ["张三", "李四", "王五"]
    assert result.tables["residents"]["name"].tolist() == ["张𠮷", "李四"]
    encodings = {name: report.encoding for name, report in result.reports.items()}
    assert encodings == {"payments": "gb18030", "residents": "utf-8", "deaths": "utf-8-sig"}


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 7, 1 << 20])
def test_utf8_characters_cut_by_any_chunk_end_are_still_utf8(tmp_path, chunk_bytes):
    path = tmp_path / "p.csv"
    path.write_bytes("姓名,金额\n张𠮷,1é\n".encode() * 3)
    assert detect_encoding(path, chunk_bytes).name == "utf-8"
    path.write_bytes(b"\xef\xbb\xbf" + "姓名\n张𠮷\n".encode())
    assert detect_encoding(path, chunk_bytes).name == "utf-8-sig"


@pytest.mark.parametrize("chunk_bytes", [1, 3, 1 << 20])
@pytest.mark.parametrize("bad", [b"\xed\xa0\x80", b"\xc0\x80", b"\xf4\x90\x80\x80", b"\xe5\xbc,"])
def test_surrogates_overlong_and_cut_characters_are_not_utf8(tmp_path, chunk_bytes, bad):
    path = tmp_path / "p.csv"
    path.write_bytes("姓名,金额\n张三,1\n".encode() + bad + b",2\n")
    assert detect_encoding(path, chunk_bytes).name == "gb18030"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    encoding = detect_encoding(path, chunk_bytes)
    assert (encoding.name, encoding.errors) == ("utf-8-sig", "replace")
    assert "are not valid utf-8-sig" in encoding.note


def test_csv_that_is_really_xlsx_is_read_as_xlsx_with_a_note(tmp_path):
    path = write_xlsx(tmp_path / "payments.csv", GOOD)
    loaded = load_table(path, "payments")
    assert loaded.frame["name"].tolist() == ["张三", "李四", "王五"]
    assert loaded.report.file_format == "xlsx"
    assert any("is an Excel workbook" in note for note in loaded.report.notes)


def test_duplicate_columns_keep_the_first_and_keep_the_second_as_extra(tmp_path):
    header = [*HEADER, "证件号码", "姓名"]
    rows = [[*GOOD[0], ID_B, "别名"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows, header), "payments")
    frame = loaded.frame
    assert frame["id_number"].tolist() == [ID_A] and frame["name"].tolist() == ["张三"]
    assert frame["证件号码"].tolist() == [ID_B] and frame["姓名"].tolist() == ["别名"]
    assert sum("duplicate column" in note for note in loaded.report.notes) == 2


def test_all_null_optional_column_is_kept_empty_with_a_note(tmp_path):
    header = [*HEADER, "一卡通账号"]
    rows = [[*row, ""] for row in GOOD]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows, header), "payments")
    assert loaded.frame["account_no"].isna().all() and len(loaded.frame) == 3
    assert any("empty in every row: account_no" in note for note in loaded.report.notes)


def test_blank_columns_are_dropped_and_trailing_blank_rows_are_not_rows(tmp_path):
    header = [*HEADER, "", ""]
    rows = [[*row, "", ""] for row in GOOD] + [[""] * 7, [""] * 7]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows, header), "payments")
    assert loaded.report.read == 3 and len(loaded.frame) == 3
    assert not [c for c in loaded.frame.columns if c.startswith("column_")]
    assert any("2 blank column(s)" in note for note in loaded.report.notes)


def test_header_only_file_is_an_empty_table(tmp_path):
    loaded = load_table(write_csv(tmp_path / "p.csv", []), "payments")
    assert loaded.report.read == 0 and list(loaded.frame["amount"]) == []


# --- quarantined ------------------------------------------------------------------


def test_totals_row_is_quarantined(tmp_path):
    rows = [*GOOD, ["合 计", "", "", "508.50", ""], ["", "", "本页小计：", "508.50", ""]]
    loaded = load_table(write_xlsx(tmp_path / "p.xlsx", rows), "payments")
    assert reasons(loaded) == {5: "totals row (合计)", 6: "totals row (本页小计：)"}
    assert len(loaded.frame) == 3 and reconciles(loaded)


def test_name_containing_a_totals_word_is_not_a_totals_row(tmp_path):
    rows = [[ID_A, "合计生", "低保金", "120", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert len(loaded.frame) == 1 and loaded.quarantine.empty


def test_blank_rows_inside_the_table_are_quarantined(tmp_path):
    rows = [GOOD[0], [""] * 5, GOOD[1]]
    path = tmp_path / "p.csv"
    text = ",".join(HEADER) + "\n" + ",".join(GOOD[0]) + "\n\n,,,,\n" + ",".join(GOOD[1]) + "\n"
    path.write_text(text, encoding="utf-8")
    loaded = load_table(path, "payments")
    assert reasons(loaded) == {3: "blank row", 4: "blank row"}
    assert loaded.frame["_line"].tolist() == [2, 5] and reconciles(loaded)
    xlsx = load_table(write_xlsx(tmp_path / "p.xlsx", rows), "payments")
    assert reasons(xlsx) == {3: "blank row"} and reconciles(xlsx)


def test_exact_duplicate_rows_are_quarantined_but_not_near_duplicates(tmp_path):
    near = [ID_A, "张三", "低保金", "120.00", "2024-04-05"]
    rows = [*GOOD, GOOD[0], near, [f"{ID_A} ", "张三", "低保金", "120.00", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert reasons(loaded) == {5: "exact duplicate of line 2", 7: "exact duplicate of line 2"}
    assert len(loaded.frame) == 4


@pytest.mark.parametrize("writer", ["csv", "xlsx"])
def test_id_in_scientific_notation_is_quarantined(tmp_path, writer):
    if writer == "csv":
        rows = [GOOD[0], ["4.30421E+17", "张三", "低保金", "120", "2024-03-05"]]
        loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    else:
        rows = [GOOD[0], [float(ID_B), "李四", "低保金", 120, "2024-03-05"]]
        loaded = load_table(write_xlsx(tmp_path / "p.xlsx", rows), "payments")
    assert reasons(loaded) == {3: "damaged by Excel (scientific notation): id_number"}
    assert reconciles(loaded)


def test_damaged_optional_account_keeps_the_row_and_is_noted(tmp_path):
    rows = [[*GOOD[0], "6.22848E+15"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows, [*HEADER, "一卡通账号"]), "payments")
    assert len(loaded.frame) == 1 and loaded.frame["account_no"].isna().all()
    assert loaded.data_quality["problem"].str.startswith("scientific_notation").all()


def test_suspect_id_is_accepted_marked_and_listed_masked(tmp_path):
    wrong = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    rows = [[wrong, "张三", "低保金", "120", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert loaded.frame["is_valid_id_number"].tolist() == [False]
    assert loaded.frame["amount"].tolist() == [120.0], "money against a suspect ID is kept"
    quality = loaded.data_quality
    assert quality[["line", "table", "column"]].values.tolist() == [[2, "payments", "id_number"]]
    assert quality["value"].iloc[0] == ids.mask_id(wrong)
    assert wrong not in quality.to_csv()
    assert quality["problem"].iloc[0].startswith("bad_check_digit")


def test_unreadable_required_values_are_quarantined_optional_ones_noted(tmp_path):
    header = [*HEADER, "数量"]
    rows = [
        [ID_A, "张三", "低保金", "一百二", "2024-03-05", "1"],
        [ID_B, "李四", "低保金", "120", "2024-02-30", "1"],
        [ID_C, "王五", "低保金", "120", "2024-03-05", "一亩"],
        [ID_A, "", "低保金", "", "2024-03-07", ""],
        [ID_B, "李四", "低保金", "--", "2024-03-07", ""],
        ["无", "王五", "低保金", "5", "2024-03-07", ""],
    ]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows, header), "payments")
    assert reasons(loaded) == {
        2: "unreadable amount: amount",
        3: "unreadable date: pay_date",
        5: "missing value: amount",
        6: "missing value: amount",
        7: "missing value: id_number",
    }
    assert loaded.frame["_line"].tolist() == [4]
    assert loaded.data_quality[["line", "column"]].values.tolist() == [[4, "quantity"]]


def test_missing_program_code_and_name_is_quarantined(tmp_path):
    rows = [[ID_A, "张三", "", "120", "2024-03-05"], GOOD[1]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert reasons(loaded) == {2: "missing value: program_code or program_name"}
    assert loaded.frame["_line"].tolist() == [3]


def test_truncated_csv_quarantines_the_cut_row(tmp_path):
    path = tmp_path / "p.csv"
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in GOOD) + "\n"
    path.write_bytes(text.encode("utf-8")[:-16])
    loaded = load_table(path, "payments")
    assert len(loaded.frame) == 2
    assert "wrong number of fields" in reasons(loaded)[4]
    assert "truncated" in reasons(loaded)[4] and reconciles(loaded)


def test_csv_cut_inside_a_character_is_read_with_a_note(tmp_path):
    path = tmp_path / "p.csv"
    text = ",".join(HEADER) + "\n" + ",".join(GOOD[0]) + "\n" + ID_B + ",李"
    path.write_bytes(text.encode("utf-8")[:-1])
    loaded = load_table(path, "payments")
    assert loaded.report.encoding == "utf-8"
    assert any("truncated" in note for note in loaded.report.notes)
    assert len(loaded.frame) == 1 and reconciles(loaded)


# --- DataError --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["payments.csv", "payments.xlsx", "payments.parquet"])
def test_zero_byte_file_is_a_clear_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(DataError, match=rf"{name}: the file is empty \(0 bytes\); export"):
        load_table(path, "payments")


def test_truncated_xlsx_is_a_clear_error(tmp_path):
    path = write_xlsx(tmp_path / "payments.xlsx", GOOD)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"payments.xlsx: the workbook is damaged or truncated"):
        load_table(path, "payments")


def test_zip_that_is_not_a_workbook_is_a_clear_error(tmp_path):
    path = tmp_path / "payments.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(DataError, match=r"payments.xlsx: .*save it again"):
        load_table(path, "payments")


def test_binary_file_named_csv_is_a_clear_error(tmp_path):
    path = tmp_path / "payments.csv"
    path.write_bytes(b"\x00\x01\x02garbage\x00" * 10)
    with pytest.raises(DataError, match=r"payments.csv: not a text CSV file"):
        load_table(path, "payments")


def test_missing_required_column_names_file_column_and_aliases(tmp_path):
    path = write_csv(
        tmp_path / "p.csv", [row[:3] + row[4:] for row in GOOD], [*HEADER[:3], HEADER[4]]
    )
    with pytest.raises(DataError) as caught:
        load_table(path, "payments")
    message = str(caught.value)
    assert message.startswith("p.csv: required column amount (金额/发放金额) is missing")
    assert "rename" in message
    assert ID_A not in message


def test_all_null_required_column_is_a_clear_error(tmp_path):
    rows = [[*row[:3], "", row[4]] for row in GOOD]
    with pytest.raises(DataError, match=r"required column amount .* is empty in every row"):
        load_table(write_csv(tmp_path / "p.csv", rows), "payments")


def test_folder_errors_name_every_file_and_required_table(tmp_path):
    (tmp_path / "payments.csv").write_bytes(b"")
    write_csv(tmp_path / "deaths.csv", [[ID_A, "2024-01-01"]], ["身份证号", "死亡日期"])
    with pytest.raises(DataError) as caught:
        load_folder(tmp_path)
    problems = caught.value.problems
    assert any("payments.csv: the file is empty" in p for p in problems)
    assert any("required table residents is missing" in p for p in problems)
    result = load_folder(tmp_path, strict=False)
    assert not result.can_score and "deaths" in result.tables


def test_two_files_for_one_table_is_a_clear_error(tmp_path):
    write_csv(tmp_path / "payments.csv", GOOD)
    write_xlsx(tmp_path / "补贴发放明细.xlsx", GOOD)
    write_csv(tmp_path / "residents.csv", [[ID_A, "张三", "H1"]], ["身份证号", "姓名", "户编号"])
    with pytest.raises(DataError, match="several files for table payments; keep one"):
        load_folder(tmp_path)


def test_html_saved_as_xls_is_a_clear_error(tmp_path):
    path = tmp_path / "payments.xls"
    path.write_text("<html><table><tr><td>身份证号</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(DataError, match=r"web page .*save it as .xlsx"):
        load_table(path, "payments")


def test_no_identifier_reaches_notes_or_reasons(tmp_path):
    rows = [*GOOD, GOOD[0], ["4.30421E+17", "赵六", "低保金", "x", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    text = " ".join([*loaded.report.notes, *loaded.quarantine["reason"], str(loaded.report)])
    for number in (ID_A, ID_B, ID_C):
        assert number not in text


def test_dates_from_datetime_cells_keep_day(tmp_path):
    rows = [[ID_A, "张三", "低保金", 120, dt.datetime(2024, 3, 5, 9, 30)]]
    path = tmp_path / "p.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, rows[0][:4])
    sheet.write_datetime(1, 4, rows[0][4], book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    book.close()
    assert load_table(path, "payments").frame["pay_date"].tolist() == [
        pd.Timestamp("2024-03-05 09:30")
    ]


def test_quoted_line_break_keeps_physical_line_numbers(tmp_path):
    path = tmp_path / "p.csv"
    text = (
        ",".join([*HEADER, "备注"])
        + "\n"
        + ",".join([*GOOD[0], '"第一行\n第二行"'])
        + "\n"
        + ",".join([*GOOD[1], ""])
        + "\n"
    )
    path.write_text(text, encoding="utf-8")
    loaded = load_table(path, "payments")
    assert loaded.frame["_line"].tolist() == [2, 4]
    assert loaded.frame["备注"].iloc[0] == "第一行\n第二行"


def test_id_with_digits_lost_to_excel_is_quarantined(tmp_path):
    damaged = f"{float(ID_B):.0f}"  # what Excel shows after storing the ID as a number
    assert damaged.endswith("000") or damaged != ID_B
    rows = [GOOD[0], [ID_B[:15] + "000", "李四", "低保金", "120", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert reasons(loaded) == {3: "damaged by Excel (digits lost, ends in 000): id_number"}


def test_valid_id_ending_in_000_is_not_damaged(tmp_path):
    first17 = next(
        f"4304211960{month:02d}{day:02d}{tens}00"
        for month in range(1, 13)
        for day in range(1, 29)
        for tens in range(10)
        if ids.check_digit(f"4304211960{month:02d}{day:02d}{tens}00") == "0"
    )
    assert (first17 + "0").endswith("000")
    rows = [[first17 + "0", "张三", "低保金", "120", "2024-03-05"]]
    loaded = load_table(write_csv(tmp_path / "p.csv", rows), "payments")
    assert loaded.quarantine.empty and loaded.frame["is_valid_id_number"].all()
