"""``riskmodel validate``: the summary, the written files and the exit code."""

import argparse
import json

import pandas as pd

from riskmodel import ids
from riskmodel.cli import main
from riskmodel.io import load_folder, write_validation
from riskmodel.io.validate import validate_command

ID_A = "43042119600101011" + ids.check_digit("43042119600101011")
ID_B = "43042119721231022" + ids.check_digit("43042119721231022")
WRONG = ID_B[:-1] + ("1" if ID_B[-1] != "1" else "2")


def make_folder(folder):
    folder.mkdir(exist_ok=True)
    (folder / "户籍人口.csv").write_text(
        f"身份证号,姓名,户编号\n{ID_A},张三,H1\n{ID_B},李四,H1\n", encoding="utf-8-sig"
    )
    (folder / "补贴发放明细.csv").write_text(
        "身份证号,姓名,项目名称,发放金额,发放日期\n"
        f"{ID_A},张三,低保金,120,2024-03-05\n"
        f"{WRONG},李四,低保金,120,2024-03-05\n"
        f"{ID_A},张三,低保金,120,2024-03-05\n"
        "合计,,,240,\n",
        encoding="gbk",
    )
    (folder / "readme.txt").write_text("notes", encoding="utf-8")
    return folder


def run(args, capsys):
    code = validate_command(argparse.Namespace(**{"config": None, "out": None, **args}))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_validate_prints_counts_and_writes_files(tmp_path, capsys):
    folder = make_folder(tmp_path / "data")
    out = tmp_path / "out"
    code, printed = run({"data_dir": str(folder), "out": str(out)}, capsys)
    assert code == 0
    assert "payments" in printed and "readme.txt" in printed
    for number in (ID_A, ID_B, WRONG):
        assert number not in printed
    summary = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert summary["can_score"] is True
    entry = next(e for e in summary["inputs"] if e["table"] == "payments")
    assert (entry["read"], entry["accepted"], entry["quarantined"]) == (4, 2, 2)
    assert set(entry) == {"table", "path", "sha256", "read", "accepted", "quarantined"}
    assert summary["tables"]["payments"]["reasons"] == {"totals row": 1, "exact duplicate": 1}
    raw = (out / "quarantine" / "payments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    quarantine = pd.read_csv(out / "quarantine" / "payments.csv", dtype=str, encoding="utf-8-sig")
    assert list(quarantine.columns[:4]) == ["file", "line", "reason", "身份证号"]
    assert quarantine["line"].tolist() == ["4", "5"]
    quality = pd.read_csv(out / "data_quality.csv", dtype=str, encoding="utf-8-sig")
    assert list(quality.columns) == ["file", "line", "table", "column", "value", "problem"]
    assert quality["value"].tolist() == [ids.mask_id(WRONG)]
    assert (out / "quarantine" / "residents.csv").exists()


def test_validate_exits_1_with_a_clear_message_when_not_scorable(tmp_path, capsys):
    folder = make_folder(tmp_path / "data")
    (folder / "户籍人口.csv").unlink()
    code, printed = run({"data_dir": str(folder)}, capsys)
    assert code == 1
    assert "required table residents is missing" in printed
    assert "Traceback" not in printed


def test_validate_exits_1_on_missing_required_column(tmp_path, capsys):
    folder = make_folder(tmp_path / "data")
    (folder / "户籍人口.csv").write_text(f"身份证号,姓名\n{ID_A},张三\n", encoding="utf-8")
    code, printed = run({"data_dir": str(folder)}, capsys)
    assert code == 1
    assert "户籍人口.csv: required column household_id" in printed
    assert ID_A not in printed


def test_validate_exits_1_on_missing_folder_and_bad_config(tmp_path, capsys):
    code, printed = run({"data_dir": str(tmp_path / "nope")}, capsys)
    assert code == 1 and "no such data folder" in printed
    bad = tmp_path / "c.toml"
    bad.write_text("[loading]\nheader_scan = 3\n", encoding="utf-8")
    folder = make_folder(tmp_path / "data")
    code, printed = run({"data_dir": str(folder), "config": str(bad)}, capsys)
    assert code == 1 and "loading.header_scan" in printed


def test_cli_dispatches_to_validate(tmp_path, capsys):
    folder = make_folder(tmp_path / "data")
    assert main(["validate", str(folder)]) == 0
    assert "residents" in capsys.readouterr().out


def test_write_validation_from_a_non_strict_result(tmp_path):
    folder = make_folder(tmp_path / "data")
    (folder / "死亡人员.csv").write_bytes(b"")
    result = load_folder(folder, strict=False)
    assert not result.can_score
    write_validation(result, tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "validation.json").read_text(encoding="utf-8"))
    assert summary["can_score"] is False
    assert any("死亡人员.csv: the file is empty" in e for e in summary["errors"])


def test_accepted_rows_around_quarantined_ones_keep_values_lines_and_keys(tmp_path):
    folder = make_folder(tmp_path / "data")
    (folder / "户籍人口.csv").write_text(
        "身份证号,姓名,户编号,联系电话\n"
        f"{ID_A},张三,H1,\n"
        ",,,\n"
        f"{ID_B},李四,H1,13800000000\n"
        f"{ID_B},李四,H1,13800000000\n"
        f"{WRONG},王五,H2,\n",
        encoding="utf-8",
    )
    result = load_folder(folder)
    residents = result.tables["residents"]
    assert residents["_line"].tolist() == [2, 4, 6]
    assert residents["_key"].tolist() == ["户籍人口.csv:2", "户籍人口.csv:4", "户籍人口.csv:6"]
    assert residents["_file"].tolist() == ["户籍人口.csv"] * 3
    assert residents["name"].tolist() == ["张三", "李四", "王五"]
    assert residents["phone"].isna().tolist() == [True, False, True]  # '' -> missing
    assert residents["is_valid_id_number"].tolist() == [True, True, False]
    assert list(residents.index) == [0, 1, 2]
    quarantine = result.quarantine["residents"]
    assert quarantine["line"].tolist() == [3, 5]
    assert quarantine["reason"].tolist() == ["blank row", "exact duplicate of line 4"]
    assert quarantine["姓名"].tolist() == ["", "李四"]


def test_a_required_table_without_a_usable_row_cannot_be_scored(tmp_path, capsys):
    folder = make_folder(tmp_path / "data")
    (folder / "补贴发放明细.csv").write_text(
        "身份证号,姓名,项目名称,发放金额,发放日期\n", encoding="utf-8"
    )
    code, printed = run({"data_dir": str(folder)}, capsys)
    assert code == 1
    assert "required table payments has no usable row (no data row below the header)" in printed
    make_folder(folder)  # payments back; every household number rounded by Excel
    (folder / "户籍人口.csv").write_text(
        f"身份证号,姓名,户编号\n{ID_A},张三,4.30421E+15\n{ID_B},李四,4.30421E+15\n",
        encoding="utf-8",
    )
    code, printed = run({"data_dir": str(folder)}, capsys)
    assert code == 1
    assert "required table residents has no usable row (2 row(s) read, all quarantined:" in printed
    assert "damaged by Excel (scientific notation): household_id (2)" in printed
    assert ID_A not in printed and "Traceback" not in printed


def test_an_optional_table_without_a_usable_row_is_noted_as_absent(tmp_path):
    folder = make_folder(tmp_path / "data")
    no_such_date = f"身份证号,姓名,死亡日期\n{ID_A},张三,2024/13/45\n"
    (folder / "死亡人员.csv").write_text(no_such_date, encoding="utf-8")
    result = load_folder(folder)
    assert result.can_score and len(result.tables["deaths"]) == 0
    assert any("no row of deaths accepted" in note for note in result.notes)
