"""Coercers: every spelling the contract allows, and what must stay unreadable."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodel.io.coerce import clean_text, coerce_amount, coerce_date, coerce_ratio

MISSING = frozenset({"-", "无"})


def amounts(*values):
    return coerce_amount(pd.Series(values, dtype="str"), MISSING)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", 1234.5),
        ("1,234.50", 1234.5),
        ("1，234.50", 1234.5),
        ("1234.5元", 1234.5),
        ("1 234.50 元", 1234.5),
        ("￥1,234.5", 1234.5),
        ("¥1234.5", 1234.5),
        ("１２３４．５", 1234.5),
        ("(12.00)", -12.0),
        ("（12.00）", -12.0),
        ("-12", -12.0),
        ("－12", -12.0),
        ("1.2万", 12000.0),
        ("1.2万元", 12000.0),
        ("0", 0.0),
        (".5", 0.5),
        ("1.5E+03", 1500.0),
        ("-￥1,234.50", -1234.5),
        ("1,234.50-", -1234.5),
        ("1234.50元整", 1234.5),
        ("1234.5元/人/月", 1234.5),
        ("1,2345", 12345.0),
    ],
)
def test_amount_spellings(text, expected):
    values, bad = amounts(text)
    assert values[0] == pytest.approx(expected)
    assert not bad[0]


@pytest.mark.parametrize(
    "text", ["abc", "12.3.4", "1,2a", "inf", "nan元", "--5x", "1/2", "12,50", "1,20", "壹佰元整"]
)
def test_unreadable_amounts_are_bad_not_zero(text):
    values, bad = amounts(text)
    assert np.isnan(values[0]) and bad[0]


@pytest.mark.parametrize("text", ["", "-", "无"])
def test_missing_amounts_are_missing_not_bad(text):
    values, bad = amounts(text)
    assert np.isnan(values[0]) and not bad[0]


def dates(*values):
    return coerce_date(pd.Series(values, dtype="str"), frozenset({"-"}))


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024/03/05",
        "2024.3.5",
        "20240305",
        "2024年3月5日",
        "2024 年 3 月 5 日",
        "２０２４－０３－０５",
        "45356",
        "2024-03-05 00:00:00",
        "2024-03-05T00:00:00",
        "2024-03-05 星期二",
        "2024年3月5日（周二）",
    ],
)
def test_date_spellings(text):
    values, bad, month_only = dates(text)
    assert values[0] == np.datetime64("2024-03-05")
    assert not bad[0] and not month_only[0]


def test_datetime_keeps_its_time_and_excel_fraction_is_time():
    values, bad, _ = dates("2024-03-05 10:11:12", "45356.5")
    assert values[0] == np.datetime64("2024-03-05T10:11:12")
    assert values[1] == np.datetime64("2024-03-05T12:00:00")
    assert not bad.any()


def test_month_only_reads_as_first_and_is_flagged():
    values, bad, month_only = dates("2024年3月", "2024-03")
    assert (values == np.datetime64("2024-03-01")).all()
    assert month_only.all() and not bad.any()


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2024-13-01", "1800-01-01", "20241301", "2024", "abc", "99999", "12"]
)
def test_impossible_dates_are_bad(text):
    values, bad, _ = dates(text)
    assert np.isnat(values[0]) and bad[0]


def test_excel_serial_range_edges():
    inside, bad_inside, _ = coerce_date(pd.Series(["10000", "80000"]), serial_range=(10000, 80000))
    outside, bad_outside, _ = coerce_date(
        pd.Series(["09999", "80001"]), serial_range=(10000, 80000)
    )
    assert not bad_inside.any() and bad_outside.all() and np.isnat(outside).all()
    assert inside[0] == np.datetime64("1927-05-18")


def test_missing_dates_are_not_bad():
    values, bad, _ = dates("", "-")
    assert np.isnat(values).all() and not bad.any()


def test_ratio_spellings_all_mean_sixty_percent():
    values, bad, in_percent = coerce_ratio(pd.Series(["60", "60%", "0.6", "６０％"]))
    assert values == pytest.approx([0.6, 0.6, 0.6, 0.6])
    assert in_percent and not bad.any()


def test_ratio_fraction_column_keeps_one_as_whole():
    values, _, in_percent = coerce_ratio(pd.Series(["0.6", "1", "0.25"]))
    assert values == pytest.approx([0.6, 1.0, 0.25]) and not in_percent


def test_ratio_percent_header_divides_everything():
    values, _, _ = coerce_ratio(pd.Series(["0.5", "60"]), percent_header=True)
    assert values == pytest.approx([0.005, 0.6])


def test_clean_text_strips_spaces_and_zero_width():
    cleaned = clean_text(pd.Series([" 张三\u200b ", None, "\u3000李\u200d四\t", "王五"]))
    assert cleaned.tolist() == ["张三", "", "李四", "王五"]


# spaces the cleaner strips, zero-width characters it removes, and look-alike bytes that
# must not fool its byte screen (— and ， share lead bytes with spaces; 𠮷 is 4 bytes)
CLEAN_ALPHABET = " \t\n\u3000\u00a0\u2003\u202f\u1680\u200b\u200d\ufeff\u00ad张a1，—。𠮷·"
ZERO_WIDTH_CHARS = "\u200b\u200d\ufeff\u00ad"


def _cleaned(value: str) -> str:
    return value.translate(dict.fromkeys(map(ord, ZERO_WIDTH_CHARS))).strip()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet=CLEAN_ALPHABET, max_size=6), max_size=12),
    st.integers(min_value=0, max_value=3),
)
def test_clean_text_finds_every_space_and_zero_width(texts, skip):
    series = pd.Series(["x"] * skip + texts, dtype="str").iloc[skip:]  # a sliced Arrow array
    assert clean_text(series).tolist() == [_cleaned(value) for value in texts]


@pytest.mark.parametrize(
    "space", list(" \t\r\n\x0b\x0c\x85\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000")
)
@pytest.mark.parametrize("word", ["a", "张", "𠮷", "1"])
def test_clean_text_finds_one_space_at_either_end(space, word):
    for value in (space + word, word + space):
        cleaned = clean_text(pd.Series(["张三", value, "李四"], dtype="str"))
        assert cleaned.tolist() == ["张三", word, "李四"]


def test_clean_text_leaves_clean_columns_alone():
    series = pd.Series(["张三", "", "a b", "—1，", "𠮷。", "·"], dtype="str")
    assert clean_text(series) is series


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_coercers_never_raise_and_keep_length(texts):
    series = pd.Series(texts, dtype="str")
    values, bad = coerce_amount(series)
    assert len(values) == len(bad) == len(texts)
    assert not np.isinf(values).any()
    assert (bad <= np.isnan(values)).all()
    dates_, bad_dates, _ = coerce_date(series)
    assert len(dates_) == len(texts) and (bad_dates <= np.isnat(dates_)).all()
    ratios, _, _ = coerce_ratio(series)
    assert len(ratios) == len(texts)


@settings(max_examples=50, deadline=None)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_formatted_amounts_round_trip(number):
    plain = f"{number:.2f}"
    grouped = f"{number:,.2f}元"
    values, bad = amounts(plain, grouped)
    assert not bad.any()
    assert values[0] == pytest.approx(float(number)) and values[1] == pytest.approx(float(number))


@settings(max_examples=50, deadline=None)
@given(
    st.dates(
        min_value=pd.Timestamp("1930-01-01").date(), max_value=pd.Timestamp("2099-12-31").date()
    )
)
def test_every_date_spelling_round_trips(day):
    spellings = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        day.strftime("%Y%m%d"),
        f"{day.year}年{day.month}月{day.day}日",
        str((pd.Timestamp(day) - pd.Timestamp("1899-12-30")).days),
    ]
    values, bad, _ = dates(*spellings)
    assert not bad.any()
    assert (values == np.datetime64(day)).all()


@pytest.mark.parametrize(
    "text",
    ["2024年03月05日 08时30分", "20240305083000", "20240305 08:30", "2024/3/5 8:30"],
)
def test_date_and_time_spellings(text):
    values, bad, _month_only = dates(text)
    assert values[0] == np.datetime64("2024-03-05T08:30") and not bad[0]


def test_compact_year_month_is_a_month():
    values, bad, month_only = dates("202403", "202413")
    assert values[0] == np.datetime64("2024-03-01") and month_only[0]
    assert bad[1] and not month_only[1]


MIXED_DATES = {
    "2024-03-05": "2024-03-05",
    "２０２４年３月５日": "2024-03-05",  # full-width digits
    "2024年3月5日（星期二）": "2024-03-05",  # full-width brackets around the weekday
    "2024-03-05\u3000": "2024-03-05",
    "2024-03-05\x0b08:30": "2024-03-05T08:30",  # whitespace only Python's re knows as such
    "2024-03-05\xa008:30": "2024-03-05T08:30",
    "2024\u20143\u20145": "2024-03-05",  # em dashes typed as separators
    "2024-3-5T08:30:00+08:00": "2024-03-05T08:30",
    "٢٠٢٤-03-05": None,  # Arabic-Indic digits stay unreadable
    "45356": "2024-03-05",  # Excel serial
    "４５３５６": "2024-03-05",  # Excel serial in full-width digits
}


def test_date_spellings_read_the_same_alone_and_mixed():
    mixed, bad, _ = dates(*MIXED_DATES)
    for position, (text, expected) in enumerate(MIXED_DATES.items()):
        alone, alone_bad, _ = dates(text)
        assert np.array_equal(alone, mixed[position : position + 1], equal_nan=True)
        assert alone_bad[0] == bad[position] == (expected is None)
        if expected is not None:
            assert mixed[position] == np.datetime64(expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789２０年月日-/ :T\u3000\xa0（）星期二号", max_size=14)))
def test_dates_read_each_value_on_its_own(texts):
    together = coerce_date(pd.Series(texts, dtype="str"), MISSING)
    for position, text in enumerate(texts):
        alone = coerce_date(pd.Series([text], dtype="str"), MISSING)
        for joint, single in zip(together, alone, strict=True):
            assert np.array_equal(joint[position : position + 1], single, equal_nan=True)


def test_plain_numbers_among_other_spellings_keep_the_spelling_rules():
    words = frozenset({"-", "0"})
    values, bad = coerce_amount(pd.Series(["12.50", "0", "1" * 400, "1,234元", ""]), words)
    assert values[0] == 12.5 and values[3] == 1234.0
    assert np.isnan(values[1]) and not bad[1]  # a missing word, even when it is a number
    assert np.isnan(values[2]) and bad[2]  # beyond float range: unreadable, never infinite
    assert np.isnan(values[4]) and not bad[4]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.,-元万 ￥（）", max_size=10)))
def test_amounts_read_each_value_on_its_own(texts):
    together = coerce_amount(pd.Series([*texts, "x"], dtype="str"), MISSING)
    for position, text in enumerate(texts):
        alone = coerce_amount(pd.Series([text, "x"], dtype="str"), MISSING)
        for joint, single in zip(together, alone, strict=True):
            assert np.array_equal(joint[position : position + 1], single[:1], equal_nan=True)


def test_a_header_unit_applies_only_to_values_without_their_own():
    from riskmodel.io.coerce import coerce_amount

    text = pd.Series(["0.048万", "480元", "0.0061", "1,234.5", "1.2万元", "", "x"])
    values, bad = coerce_amount(text, header_factor=10_000.0)  # a （万元） column
    assert values[:5].tolist() == [480.0, 480.0, 61.0, 12_345_000.0, 12_000.0]  # no float noise
    assert np.isnan(values[5]) and bad.tolist() == [False] * 6 + [True]
    plain, _ = coerce_amount(pd.Series(["0.0061", "0.5"]), header_factor=10_000.0)
    assert plain.tolist() == [61.0, 5000.0]
    assert coerce_amount(text)[0][:3].tolist() == [480.0, 480.0, 0.0061]  # a 元 column


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/3/5 下午 2:03:11", "2024-03-05T14:03:11"),
        ("2024/3/5 上午 12:10", "2024-03-05T00:10:00"),
        ("2024/3/5 中午 12:30", "2024-03-05T12:30:00"),
        ("2024-03-05 2:03 PM", "2024-03-05T14:03:00"),
        ("2024-03-05 9:03 AM", "2024-03-05T09:03:00"),
        ("2024年3月5日14时23分", "2024-03-05T14:23:00"),
        ("2024年3月5日 下午2时23分", "2024-03-05T14:23:00"),
    ],
)
def test_chinese_locale_times_are_read(text, expected):
    dates, bad, _ = coerce_date(pd.Series([text, "2024-03-05"]))
    assert not bad.any()
    assert str(dates[0].astype("datetime64[s]")) == expected
