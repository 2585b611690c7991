"""Header mapping: canonical names, aliases, spacing and brackets, unit suffixes."""

import pandas as pd
import pytest

from riskmodel.io import load_table
from riskmodel.io.headers import alias_index, map_headers, match_header, normalise_header
from riskmodel.schemas import get_table

PAYMENTS = get_table("payments")


@pytest.mark.parametrize(
    ("header", "column", "unit"),
    [
        ("amount", "amount", ""),
        ("Amount", "amount", ""),
        ("金额", "amount", ""),
        (" 发放金额 ", "amount", ""),
        ("发放金额（元）", "amount", "元"),
        ("发放金额(元)", "amount", "元"),
        ("金额（万元）", "amount", "万元"),
        ("金额（单位：万元）", "amount", "万元"),
        ("身 份 证 号", "id_number", ""),
        ("公民身份号码", "id_number", ""),
        ("身份证号\u200b", "id_number", ""),
        ("*姓名", "name", ""),
        ("一卡通账号", "account_no", ""),
        ("发放时间", "pay_date", ""),
        ("补贴项目", "program_name", ""),
        ("流水号", "payment_id", ""),
        ("金额/元", "amount", "元"),
        ("金额（千元）", "amount", "千元"),
        ("补贴标准（元/人/月）", None, ""),
        ("发放金额（元/人/月）", "amount", "元"),
        ("身份证号码（18位）", "id_number", ""),
        ("【姓名】", "name", ""),
        ("姓名[必填]", "name", ""),
        ("银行卡号", "account_no", ""),
        ("id number", "id_number", ""),
    ],
)
def test_header_spellings(header, column, unit):
    assert match_header(header, alias_index(PAYMENTS)) == (column, unit)


@pytest.mark.parametrize(
    "header",
    ["备注", "金额2", "", "身份证号码核对", "金额（美元）", "身份证号（户主）", "户主姓名"],
)
def test_unknown_headers_match_nothing(header):
    assert match_header(header, alias_index(PAYMENTS))[0] is None


def test_full_width_brackets_in_alias_match():
    index = alias_index(get_table("villages"))
    assert match_header("乡镇（街道）", index)[0] == "town_name"
    assert match_header("乡镇(街道)", index)[0] == "town_name"
    assert normalise_header("ＡＢＣ（元）") == "abc(元)"


def test_unit_factors_and_duplicates_and_extras():
    headers = ["身份证号", "金额（万元）", "证件号码", "备注", "备注", ""]
    mapped = map_headers(PAYMENTS, headers, blank_columns={5})
    assert mapped.canonical == {"id_number": 0, "amount": 1}
    assert mapped.factors == {"amount": 10_000.0}
    assert mapped.names[:5] == ["id_number", "amount", "证件号码", "备注", "备注.2"]
    assert any("duplicate column id_number" in note for note in mapped.notes)
    assert any("万元" in note for note in mapped.notes)


def write_payments(path, amount_header, amount):
    frame = pd.DataFrame(
        {
            "身份证号": ["11010519491231002X"],
            "姓名": ["张三"],
            amount_header: [amount],
            "发放日期": ["2024-03-05"],
            "项目名称": ["低保金"],
            "备注": ["留"],
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [("金额（万元）", "1.5", 15_000.0), ("金额（元）", "1.5", 1.5), ("发放金额", "1,500", 1500.0)],
)
def test_unit_suffix_is_read_not_ignored(tmp_path, header, cell, expected):
    path = tmp_path / "payments.csv"
    write_payments(path, header, cell)
    loaded = load_table(path, "payments")
    assert loaded.frame["amount"].tolist() == [expected]
    assert loaded.frame["备注"].tolist() == ["留"], "unknown columns are kept"


def test_of_two_headers_for_one_column_the_one_with_values_is_used(tmp_path):
    from riskmodel.io import load_folder

    folder = tmp_path / "data"
    folder.mkdir()
    person = "11010519491231002X"
    (folder / "户籍人口.csv").write_text(
        f"身份证号,姓名,户编号,公民身份号码\n,甲,H1,{person}\n", encoding="utf-8"
    )
    (folder / "补贴发放明细.csv").write_text(
        f"身份证号,姓名,项目名称,金额,发放日期\n{person},甲,低保,480,2024-03-05\n",
        encoding="utf-8",
    )
    result = load_folder(folder)
    assert result.tables["residents"]["id_number"].tolist() == [person]
    notes = " ".join(result.reports["residents"].notes)
    assert "the one with values is used" in notes
