"""The table declarations are consistent: every name resolves to exactly one thing."""

import pytest

from riskmodel.io.headers import alias_index, normalise_header
from riskmodel.schemas import KINDS, TABLES, TABLES_BY_NAME, Column, aliases_for, get_table


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_no_header_spelling_names_two_columns_of_one_table(table):
    seen: dict[str, str] = {}
    for column in table.columns:
        for alias in aliases_for(table, column):
            key = normalise_header(alias)
            assert seen.setdefault(key, column.name) == column.name, (
                f"{table.name}: header {alias!r} names both {seen[key]} and {column.name}"
            )


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_required_key_and_optional_columns_are_declared(table):
    names = set(table.column_names)
    for spec in table.required:
        for name in spec if isinstance(spec, tuple) else (spec,):
            assert name in names
    assert set(table.key) <= names
    assert set(table.optional_columns) <= names
    assert len(names) == len(table.columns), "a column is declared twice"


def test_file_names_are_unique_across_tables():
    seen: dict[str, str] = {}
    for table in TABLES:
        for name in (table.name, *table.chinese_names):
            assert seen.setdefault(normalise_header(name), table.name) == table.name


def test_only_residents_and_payments_are_required_tables():
    assert {t.name for t in TABLES if t.is_required_table} == {"residents", "payments"}


def test_contract_headers_resolve():
    # spot checks straight from CONTRACT §1
    assert alias_index(get_table("payments"))[normalise_header("一卡通账号")] == "account_no"
    assert alias_index(get_table("residents"))[normalise_header("与户主关系")] == "relation"
    assert alias_index(get_table("villages"))[normalise_header("乡镇（街道）")] == "town_name"
    assert alias_index(get_table("relatives"))[normalise_header("身份证号B")] == "id_number_b"
    assert alias_index(get_table("projects"))[normalise_header("项目名称")] == "project_name"
    assert alias_index(get_table("company_people"))["持股比例"] == "share_ratio"


def test_shared_alias_holds_in_every_table_with_the_column():
    for table in TABLES:
        if "id_number" in table.column_names:
            assert alias_index(table)["公民身份号码"] == "id_number"


def test_unknown_kind_and_table_are_rejected():
    with pytest.raises(ValueError, match="unknown kind"):
        Column("x", "money")
    with pytest.raises(KeyError, match="no table named 'payment'"):
        get_table("payment")
    assert "id" in KINDS and "payments" in TABLES_BY_NAME
