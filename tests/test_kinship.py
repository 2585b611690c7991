import pandas as pd
import pytest

from riskmodel.kinship import canonical_relation, derive_kinship, household_role


def _residents(rows):
    frame = pd.DataFrame(rows, columns=["id_number", "household_id", "relation", "gender"])
    frame["_key"] = [f"residents.csv:{i + 2}" for i in range(len(frame))]
    return frame


def _relation(kinship, a, b):
    hit = kinship[(kinship.id_a == a) & (kinship.id_b == b)]
    assert len(hit) <= 1
    return None if hit.empty else (hit.relation.item(), int(hit.degree.item()))


@pytest.fixture
def family():
    return _residents(
        [
            ("H", "h1", "户主", "男"),
            ("W", "h1", "妻", "女"),
            ("S", "h1", "长子", "男"),
            ("D", "h1", "女儿", "女"),
            ("DL", "h1", "儿媳", "女"),
            ("G", "h1", "孙子", "男"),
            ("F", "h1", "父亲", "男"),
            ("L", "h1", "保姆", "女"),
            ("X", "h2", "户主", "男"),
            ("XM", "h2", "母亲", "女"),
            ("Z", "h3", "户主", "男"),
        ]
    )


def test_household_relations_to_head_and_between_members(family):
    kin = derive_kinship(family)
    assert _relation(kin, "H", "W") == ("配偶", 1)
    assert _relation(kin, "S", "H") == ("父母", 1)
    assert _relation(kin, "S", "W") == ("父母", 1)  # head's spouse is the children's parent
    assert _relation(kin, "W", "D") == ("子女", 1)
    assert _relation(kin, "S", "D") == ("兄弟姐妹", 2)
    assert _relation(kin, "H", "DL") == ("儿媳", 2)
    assert _relation(kin, "DL", "H") == ("公婆", 2)
    assert _relation(kin, "H", "G") == ("祖孙", 2)
    assert _relation(kin, "H", "F") == ("父母", 1)
    assert _relation(kin, "W", "F") == ("公婆", 2)  # gendered by the wife
    assert _relation(kin, "S", "F") == ("祖孙", 2)
    assert _relation(kin, "H", "L") == ("同户", 3)
    # two children in the household: the grandchild's parent is unknown
    assert _relation(kin, "S", "G") == ("同户", 3)
    # no relation across unrelated households
    assert _relation(kin, "H", "X") is None
    assert _relation(kin, "H", "Z") is None


def test_single_child_is_parent_of_grandchild():
    kin = derive_kinship(
        _residents(
            [
                ("A", "h", "户主", "男"),
                ("B", "h", "儿子", "男"),
                ("C", "h", "儿媳", "女"),
                ("E", "h", "孙女", "女"),
            ]
        )
    )
    assert _relation(kin, "E", "B") == ("父母", 1)
    assert _relation(kin, "B", "C") == ("配偶", 1)
    assert _relation(kin, "E", "C") == ("父母", 1)


def test_result_is_symmetric_and_one_row_per_pair(family):
    relatives = pd.DataFrame(
        {"id_number_a": ["D", "S"], "id_number_b": ["X", "H"], "relation": ["丈夫", "父亲"]}
    )
    kin = derive_kinship(family, relatives)
    assert not kin.duplicated(["id_a", "id_b"]).any()
    forward = set(zip(kin.id_a, kin.id_b, strict=True))
    assert forward == {(b, a) for a, b in forward}
    assert (kin.id_a != kin.id_b).all()


def test_declared_spouse_in_other_household_links_in_laws(family):
    relatives = pd.DataFrame(
        {
            "id_number_a": ["D"],
            "id_number_b": ["X"],
            "relation": ["丈夫"],
            "_key": ["relatives.csv:2"],
        }
    )
    kin = derive_kinship(family, relatives)
    assert _relation(kin, "D", "X") == ("配偶", 1)
    assert _relation(kin, "X", "H") == ("岳父母", 2)  # spouse's parent, X is male
    assert _relation(kin, "H", "X") == ("女婿", 2)
    assert _relation(kin, "X", "S") == ("姻亲", 2)  # spouse's sibling
    assert _relation(kin, "D", "XM") == ("公婆", 2)  # spouse's household member (his mother)
    row = kin[(kin.id_a == "X") & (kin.id_b == "H")].iloc[0]
    assert row.source_table == "derived"
    assert row.via == "D"
    assert "relatives.csv:2" in row.source_key


def test_siblings_across_households_through_a_declared_parent():
    residents = _residents(
        [("P", "h1", "户主", "男"), ("A", "h1", "儿子", "男"), ("B", "h2", "户主", "男")]
    )
    relatives = pd.DataFrame({"id_number_a": ["B"], "id_number_b": ["P"], "relation": ["父亲"]})
    kin = derive_kinship(residents, relatives)
    assert _relation(kin, "A", "B") == ("兄弟姐妹", 2)
    assert kin[(kin.id_a == "A") & (kin.id_b == "B")].via.item() == "P"
    no_declared = derive_kinship(residents)
    assert _relation(no_declared, "A", "B") is None


def test_filings_are_relations_of_the_official():
    residents = _residents([("O", "h1", "户主", "男"), ("R", "h2", "户主", "女")])
    filings = pd.DataFrame(
        {
            "id_number": ["R"],
            "official_id_number": ["O"],
            "relation": ["妹妹"],
            "filed_date": [pd.Timestamp("2024-01-01")],
        }
    )
    kin = derive_kinship(residents, filings=filings)
    assert _relation(kin, "O", "R") == ("兄弟姐妹", 2)
    assert kin[(kin.id_a == "O")].source_table.item() == "filings"


def test_household_relation_beats_declared_and_derived(family):
    relatives = pd.DataFrame({"id_number_a": ["S"], "id_number_b": ["H"], "relation": ["朋友"]})
    kin = derive_kinship(family, relatives)
    assert _relation(kin, "S", "H") == ("父母", 1)
    assert kin[(kin.id_a == "S") & (kin.id_b == "H")].source_table.item() == "residents"


def test_large_collective_household_pairs_only_family_roles():
    rows = [("head", "c", "户主", "男")] + [(f"m{i}", "c", "集体户成员", "男") for i in range(40)]
    kin = derive_kinship(_residents(rows), config={"large_household": 30})
    assert kin.empty
    small = derive_kinship(_residents(rows[:5]), config={"large_household": 30})
    assert len(small) == 5 * 4


def test_missing_ids_and_gb_codes():
    residents = _residents(
        [
            ("A", "h", "02", "男"),
            ("B", "h", "10", "女"),
            (None, "h", "20", "男"),
            ("C", "h", "20", ""),
        ]
    )
    kin = derive_kinship(residents)
    assert _relation(kin, "A", "B") == ("配偶", 1)
    assert _relation(kin, "B", "C") == ("子女", 1)
    assert set(kin.id_a) == {"A", "B", "C"}


def test_vocabulary():
    assert household_role("次女") == "child"
    assert household_role(" 配偶 ") == "spouse"
    assert household_role("38") == "child_in_law"
    assert household_role(None) == "other"
    assert canonical_relation("大舅子") == "姻亲"
    assert canonical_relation("外孙女") == "祖孙"
    assert canonical_relation("同事") == "其他亲属"


def test_empty_inputs():
    kin = derive_kinship(_residents([]))
    assert list(kin.columns[:6]) == [
        "id_a",
        "id_b",
        "relation",
        "degree",
        "source_table",
        "source_key",
    ]
    assert kin.empty
