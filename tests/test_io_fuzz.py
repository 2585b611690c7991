"""Property-based fuzzing of the loaders: no input raises anything but DataError, and
rows always reconcile (read = accepted + quarantined)."""

import csv
import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodel import ids
from riskmodel.io import DataError, load_table

HEADERS = ["身份证号", "姓名", "项目名称", "发放金额", "发放日期", "一卡通账号", "备注", ""]
VALID_ID = "43042119600101011" + ids.check_digit("43042119600101011")
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            VALID_ID,
            "4.30421E+17",
            "430421600101011",
            "１２０．５",
            "1,234.50元",
            "(12)",
            "2024年3月5日",
            "45356",
            "20240230",
            "合计",
            "张三\u200b",
            '"quoted, comma"',
            "line\nbreak",
            "-",
        ]
    ),
    st.text(max_size=8),
)
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_reconciles(path):
    try:
        loaded = load_table(path, "payments")
    except DataError as exc:
        assert str(exc)
        return None
    report = loaded.report
    assert report.read == report.accepted + report.quarantined
    assert len(loaded.frame) == report.accepted and len(loaded.quarantine) == report.quarantined
    assert loaded.frame["_line"].is_unique
    lines = set(loaded.frame["_line"]) | set(loaded.quarantine["line"])
    assert len(lines) == report.read, "every row keeps its own line"
    return loaded


@FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
    rows=st.lists(st.lists(CELLS, max_size=9), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    title=st.booleans(),
)
def test_csv_loader_never_crashes_and_reconciles(tmp_path, header, rows, encoding, title):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if title:
        writer.writerow(["2024年发放明细表"])
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "payments.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    check_reconciles(path)


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_arbitrary_bytes_give_data_error_or_a_table(tmp_path, data, suffix):
    path = tmp_path / f"payments{suffix}"
    path.write_bytes(data)
    check_reconciles(path)


@FUZZ
@given(
    prefix=st.binary(max_size=60),
    cut=st.integers(min_value=1, max_value=200),
)
def test_damaged_valid_csv_gives_data_error_or_a_table(tmp_path, prefix, cut):
    text = f"身份证号,姓名,项目名称,发放金额,发放日期\n{VALID_ID},张三,低保金,120,2024-03-05\n" * 3
    data = prefix + text.encode("utf-8")
    path = tmp_path / "payments.csv"
    path.write_bytes(data[: max(len(data) - cut, 0)])
    check_reconciles(path)


@settings(FUZZ, max_examples=30)
@given(values=st.lists(st.one_of(st.text(max_size=20), CELLS), min_size=1, max_size=30))
def test_id_checking_of_any_text_keeps_every_row(tmp_path, values):
    frame = pd.DataFrame(
        {
            "身份证号": values,
            "姓名": "张三",
            "项目名称": "低保金",
            "发放金额": "1",
            "发放日期": "2024-03-05",
        }
    )
    path = tmp_path / "payments.parquet"
    frame.to_parquet(path)
    loaded = check_reconciles(path)
    if loaded is not None:
        assert loaded.frame["is_valid_id_number"].dtype == bool
