import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskmodel.config import load_config, override
from riskmodel.entities import (
    Comparison,
    attach_person_ids,
    candidate_pairs,
    data_quality_findings,
    link_records,
    normalise_name,
    resolve_people,
)
from riskmodel.entities.comparisons import (
    compare_chinese_name,
    compare_digits,
    compare_id_digits,
    edit_distance,
)
from riskmodel.entities.normalise import (
    digits_array,
    digits_only,
    name_pinyin,
    normalise_many,
    normalise_names,
    pinyin_many,
)
from riskmodel.entities.people import register_frame
from riskmodel.ids import check_digit


def make_id(body17: str) -> str:
    return body17 + check_digit(body17)


ZHANG_A = make_id("43042119800312051")  # 张伟, village A
ZHANG_B = make_id("43042119920704123")  # 张伟, village B (a homonym)
LI = make_id("43042119750101002")  # 李秀英, village A
WANG = make_id("43042119660215003")  # 王芳, village B


def swap(value: str, i: int) -> str:
    chars = list(value)
    chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


@pytest.fixture
def residents():
    return pd.DataFrame(
        {
            "id_number": [ZHANG_A, ZHANG_B, LI, WANG],
            "name": ["张伟", "张伟", "李秀英", "王芳"],
            "gender": ["男", "男", "女", "女"],
            "birth_date": pd.to_datetime(["1980-03-12", "1992-07-04", "1975-01-01", "1966-02-15"]),
            "household_id": ["H1", "H2", "H3", "H4"],
            "relation": ["户主"] * 4,
            "village_code": ["430421100001", "430421100002", "430421100001", "430421100002"],
            "_key": [f"residents.csv:{i}" for i in range(2, 6)],
        }
    )


def payments(rows):
    frame = pd.DataFrame(rows, columns=["id_number", "name", "village_code"])
    frame["amount"] = 100.0
    frame["_key"] = [f"payments.csv:{i}" for i in range(2, 2 + len(frame))]
    return frame


def test_exact_ids_link_and_homonyms_stay_apart(residents):
    paid = payments([(ZHANG_A, "张伟", "430421100001"), (ZHANG_B, "张伟", "430421100002")])
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    assert crosswalk["method"].tolist() == ["exact_id", "exact_id"]
    assert crosswalk["person_id"].tolist() == [ZHANG_A, ZHANG_B]
    assert (crosswalk["score"] == 1.0).all()


def test_mistyped_id_links_to_resident_with_reason(residents):
    typo = swap(ZHANG_B, 14)
    assert typo != ZHANG_B
    paid = payments([(typo, "张伟", "430421100002")])
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    row = crosswalk.iloc[0]
    assert row.method == "fuzzy"
    assert row.person_id == ZHANG_B  # not the homonym in the other village
    assert row.score >= 0.95
    assert "相邻两位颠倒" in row.reason and "姓名相同" in row.reason
    assert ZHANG_B not in row.reason  # the ID is masked in the reason
    findings = data_quality_findings(crosswalk)
    assert findings[["file", "line", "table", "column"]].iloc[0].tolist() == [
        "payments.csv",
        2,
        "payments",
        "id_number",
    ]
    assert "录入错误" in findings["problem"].iloc[0]


def test_typo_with_traditional_and_spaced_name(residents):
    typo = swap(LI, 15)
    paid = payments(
        [
            (typo, " 李 秀英", "430421100001"),
            (swap(WANG, 15), "王\u200b芳", ""),
            (swap(ZHANG_B, 15), "張偉", "430421100002"),
        ]
    )
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    assert crosswalk["person_id"].tolist() == [LI, WANG, ZHANG_B]
    assert (crosswalk["method"] == "fuzzy").all()


def test_homophone_name_and_one_digit_typo(residents):
    one_digit = LI[:15] + ("9" if LI[15] != "9" else "8") + LI[16:]
    paid = payments([(one_digit, "李秀瑛", "430421100001")])  # 英/瑛 homophones
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    assert crosswalk["method"].item() == "fuzzy"
    assert "同音" in crosswalk["reason"].item()


def test_fabricated_ids_and_other_names_stay_unmatched(residents):
    ghost = make_id("43042119850505991")  # valid, not in the register
    near_wrong_name = swap(ZHANG_A, 14)  # typo of 张伟's ID but another person's name
    invalid_far = "430421198001019999"
    paid = payments(
        [
            (ghost, "张伟", "430421100001"),
            (near_wrong_name, "赵强", "430421100001"),
            (invalid_far, "李秀英", "430421100001"),
        ]
    )
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    assert crosswalk["method"].tolist() == ["unmatched"] * 3
    assert crosswalk["person_id"].tolist() == [ghost, near_wrong_name, invalid_far]


def test_name_only_record_needs_more_than_name_and_village(residents):
    paid = payments([("", "张伟", "430421100001")])
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    assert crosswalk["method"].item() == "unmatched"
    # with the household as well the evidence suffices
    paid["household_id"] = "H1"
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    assert crosswalk["method"].item() == "fuzzy"
    assert crosswalk["person_id"].item() == ZHANG_A


def test_threshold_is_configurable(residents):
    typo = swap(ZHANG_B, 14)
    paid = payments([(typo, "张伟", "430421100002")])
    strict = override(load_config(), {"entities": {"threshold": 0.999999999}})
    crosswalk = resolve_people({"residents": residents, "payments": paid}, strict)
    assert crosswalk["method"].item() == "unmatched"


def test_attach_person_ids(residents):
    typo = swap(ZHANG_B, 14)
    paid = payments([(typo, "张伟", "430421100002"), (LI, "李秀英", "430421100001")])
    crosswalk = resolve_people({"residents": residents, "payments": paid}, load_config())
    attached = attach_person_ids(paid, crosswalk, "payments")
    assert attached["person_id"].tolist() == [ZHANG_B, LI]
    assert attached["id_number"].tolist() == paid["id_number"].tolist()


def test_other_tables_and_credit_codes_in_ledger(residents):
    ledger = pd.DataFrame(
        {
            "voucher_id": ["1", "2"],
            "village_code": ["430421100001"] * 2,
            "counterparty_id": ["91430421MA4L1234XX", swap(LI, 14)],
            "counterparty_name": ["某建材公司", "李秀英"],
            "_key": ["ledger.csv:2", "ledger.csv:3"],
        }
    )
    relatives = pd.DataFrame(
        {
            "id_number_a": [ZHANG_A],
            "id_number_b": [LI],
            "relation": ["配偶"],
            "_key": ["relatives.csv:2"],
        }
    )
    crosswalk = resolve_people(
        {"residents": residents, "ledger": ledger, "relatives": relatives}, load_config()
    )
    assert set(crosswalk["source_table"]) == {"ledger", "relatives"}
    ledger_rows = crosswalk[crosswalk.source_table == "ledger"]
    assert ledger_rows["person_id"].tolist() == [LI]
    assert len(crosswalk[crosswalk.source_table == "relatives"]) == 2


def test_comparators():
    assert compare_id_digits([ZHANG_A], [swap(ZHANG_A, 14)]).tolist() == [2]
    assert compare_id_digits([ZHANG_A], [ZHANG_A[:-1] + "Y"]).tolist() == [4]
    assert compare_id_digits([""], [ZHANG_A]).tolist() == [0]
    assert compare_digits(["19800312"], ["19800321"]).tolist() == [2]
    assert compare_chinese_name(["张伟|zhangwei"], ["章伟|zhangwei"]).tolist() == [2]
    assert compare_chinese_name(["张伟|zhangwei"], ["张卫|zhangwei"]).tolist() == [2]
    assert compare_chinese_name(["张伟明|zhangweiming"], ["张伟民|zhangweimin"]).tolist() == [3]
    assert compare_chinese_name(["张伟|zhangwei"], ["李强|liqiang"]).tolist() == [4]
    assert edit_distance(["kitten", "", "abc"], ["sitting", "ab", "abc"]).tolist() == [3, 2, 0]


def test_normalise_name():
    assert normalise_name("張　偉") == "张伟"
    assert normalise_name("ＺＨＡＮＧ") == "zhang"
    assert normalise_name("李\u200b秀英 ") == "李秀英"
    assert normalise_name(None) == ""


@given(st.text(max_size=12))
def test_normalise_name_is_idempotent(text):
    once = normalise_name(text)
    assert normalise_name(once) == once
    assert " " not in once


NAME_TEXT = st.text(
    alphabet=st.sampled_from("张章偉伟李秀英瑛劉刘王芳艾力·古丽aZ9 　\u200b.-ＡＢ１é\u0301ﬁİ"),
    max_size=6,
)


@given(st.lists(NAME_TEXT, max_size=8))
def test_column_normalisation_matches_the_scalar_functions(values):
    names = normalise_many(values)
    assert names == [normalise_name(v) for v in values]
    assert pinyin_many(names) == [name_pinyin(n) for n in names]
    series = pd.Series([*values, None], dtype="str")
    assert normalise_names(series).tolist() == [*names, ""]


def test_digits_array_matches_digits_only():
    phones = pd.Series(["138 0013 8000", "１３９－００", None, "x12", "电话:12"], dtype="str")
    assert digits_array(phones, len(phones)).to_pylist() == digits_only(phones).tolist()
    assert digits_array(None, 2).to_pylist() == ["", ""]


def test_register_frame_one_row_per_id_with_fields_from_the_id(residents):
    register = pd.concat([residents, residents.iloc[[1]]], ignore_index=True)  # a repeat
    register.loc[0, "id_number"] = " " + ZHANG_A + " "
    register.loc[1, ["gender", "birth_date"]] = [None, pd.NaT]
    register.loc[2, "name"] = " 李\u200b秀英"
    register["phone"] = ["１３８00138000", None, "", "139-0013-9000", "1"]
    register.loc[len(register)] = {"id_number": "", "name": "无号"}
    frame = register_frame(register)
    assert frame["id_number"].tolist() == [ZHANG_A, ZHANG_B, LI, WANG]
    assert frame["birth"].tolist() == ["19800312", "19920704", "19750101", "19660215"]
    assert frame["gender"].tolist() == ["男", "男", "女", "女"]  # ZHANG_B's from the ID
    assert frame["name_key"].tolist()[2] == "李秀英|lixiuying"
    assert frame["phone"].tolist() == ["13800138000", "", "", "13900139000"]


@given(st.text(alphabet="abcdef", max_size=8), st.text(alphabet="abcdef", max_size=8))
def test_edit_distance_is_symmetric_and_bounded(a, b):
    d = edit_distance([a], [b])[0]
    assert d == edit_distance([b], [a])[0]
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 0) == (a == b)


def test_engine_is_generic_over_declared_comparisons():
    left = pd.DataFrame({"ssn": ["1234567", "7654321"], "surname": ["smith", "jones"]})
    right = pd.DataFrame(
        {"ssn": ["1234576", "7654321", "0000000"], "surname": ["smith", "jonas", "smith"]}
    )
    comparisons = [Comparison("ssn", "digits", "ssn"), Comparison("surname", "string", "surname")]
    weights = {
        "ssn": {"exact": 10, "transposition": 8, "different": -10},
        "surname": {"exact": 5, "similar": 3, "fuzzy": 1, "different": -5},
    }
    links = link_records(
        left,
        right,
        comparisons,
        [{"variants": "ssn"}, {"columns": ["surname"]}],
        weights,
        prior=-5,
        threshold=0.9,
    )
    chosen = dict(zip(links["left"], links["right"], strict=True))
    assert links["is_link"].all()
    assert chosen == {0: 0, 1: 1}
    assert {"w_ssn", "w_surname", "level_ssn", "match_weight"} <= set(links.columns)
    assert np.isclose(links.loc[links.left == 0, "match_weight"].item(), -5 + 8 + 5)


def test_candidate_pairs_block_on_non_empty_columns_in_merge_order():
    left = pd.DataFrame({"pinyin": ["li", "wang", "", "li"], "village": ["A", "B", "A", "A"]})
    right = pd.DataFrame(
        {"pinyin": ["li", "li", "wang", "", "li"], "village": ["A", "B", "B", "A", "A"]}
    )
    pairs = candidate_pairs(left, right, [{"columns": ["pinyin", "village"]}])
    assert list(zip(pairs["left"], pairs["right"], strict=True)) == [
        (0, 0),
        (0, 4),
        (1, 2),
        (3, 0),
        (3, 4),
    ]
    capped = candidate_pairs(left, right, [{"columns": ["pinyin"], "max_block": 2}])
    assert list(zip(capped["left"], capped["right"], strict=True)) == [(1, 2)]  # 3 × li
    typo = candidate_pairs(
        pd.DataFrame({"id": ["12345", "99"]}),
        pd.DataFrame({"id": ["12354", "12345", "02345", "1234X"]}),
        [{"variants": "id"}],
    )
    assert sorted(zip(typo["left"], typo["right"], strict=True)) == [(0, 0), (0, 1), (0, 2)]
