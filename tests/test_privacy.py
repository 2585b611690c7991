import io
import json
import logging
import os
import re
import stat
import sys
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from riskmodel.config import ConfigError, load_config, override
from riskmodel.ids import PROVINCE_CODES, check_digit, find_unmasked_identifiers, pseudonymise
from riskmodel.privacy import (
    PrivacyError,
    _mask_mixed,
    _Protector,
    format_exception_redacted,
    identifier_kind,
    identifier_mode,
    install_excepthook,
    install_log_redaction,
    make_private_dir,
    private_umask,
    protect_frame,
    protect_input_rows,
    protect_text,
    restrict_tree,
    scan_folder,
)

PERSON = "11010519491231002X"
RELATIVE = "440524188001010014"
ACCOUNT = "6228480012345678901"
VILLAGE = "430421100201"
COMPANY = "91350100M000100Y43"


def make_id(region: str, birth: date, sequence: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def config_with(**privacy):
    return override(load_config(), {"privacy": privacy})


@pytest.fixture
def leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": ["L000123456789012345", "L-2", "L-3", "L-4"],
            "entity_type": ["person", "account", "village", "company"],
            "entity_id": [PERSON, ACCOUNT, VILLAGE, COMPANY],
            "entity_name": ["张伟", "", "大塘村", "某建筑公司"],
            "village_code": [VILLAGE] * 4,
            "related_ids": [f"{RELATIVE};{ACCOUNT};{COMPANY}", None, VILLAGE, PERSON],
            "id_number": [PERSON, None, "4.30421E+17", "43042119900101123"],
            "account_no": [ACCOUNT, "62284800", "", None],
            "phone": ["13812345678", None, "0734-1234567", ""],
            "detail": [f"身份证号{PERSON}死亡后仍领取，账号{ACCOUNT}", f"村{VILLAGE}", None, "无"],
            "amount_at_risk": [1200.0, 300.0, 0.0, 5.5],
        }
    ).astype({c: "str" for c in ["lead_id", "entity_type", "entity_id", "related_ids"]})


# --- settings -----------------------------------------------------------------------------


def test_defaults_keep_existing_keys_and_add_protect_phones():
    privacy = load_config()["privacy"]
    assert privacy["identifiers"] == "masked"
    assert privacy["show_identifiers"] is False
    assert privacy["pseudonym_key"] == "change-me"
    assert privacy["protect_phones"] is True


def test_identifier_mode():
    assert identifier_mode(None) == "masked"
    assert identifier_mode(load_config()) == "masked"
    assert identifier_mode(config_with(show_identifiers=True)) == "full"
    assert identifier_mode(config_with(identifiers="full")) == "full"
    assert identifier_mode(config_with(identifiers="pseudonymised")) == "pseudonymised"
    with pytest.raises(PrivacyError, match=r"privacy\.identifiers"):
        identifier_mode(config_with(identifiers="hidden"))


def test_user_file_sets_privacy(tmp_path):
    path = tmp_path / "local.toml"
    path.write_text("[privacy]\nshow_identifiers = true\nprotect_phones = false\n", "utf-8")
    assert identifier_mode(load_config(path)) == "full"
    path.write_text("[privacy]\nprotect_phone = false\n", "utf-8")
    with pytest.raises(ConfigError):
        load_config(path)


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("id_number", "id"),
        ("id_number_a", "id"),
        ("subject_id_number", "id"),
        ("official_id_number", "id"),
        ("legal_rep_id", "id"),
        ("official_id", "id"),
        ("person_id", "id"),
        ("holder_id_number", "mixed"),
        ("counterparty_id", "mixed"),
        ("entity_id", "mixed"),
        ("related_ids", "mixed"),
        ("member_ids", "mixed"),
        ("Related_IDs", "mixed"),
        ("true_id_number", "id"),
        ("account_no", "account"),
        ("payee_account", "account"),
        ("counterparty_account", "account"),
        ("deposit_account", "account"),
        ("phone", "phone"),
        ("contact_phone", "phone"),
        ("village_code", None),
        ("household_id", "mixed"),
        ("payment_id", "mixed"),
        ("rule_id", None),
        ("credit_code", None),
        ("lead_id", None),
        ("detail", None),
        # derived columns named after identifiers: contributions and flags
        ("c_D_ACCOUNT", None),
        ("c_R_OFFICIAL_ID", None),
        ("is_valid_id_number", None),
        ("IS_VALID_ACCOUNT_NO", None),
        ("has_account", None),
        ("has_id_number", None),
        # ... but a name merely containing those letters is still an identifier
        ("basic_id_number", "id"),
        ("disc_account", "account"),
    ],
)
def test_identifier_kind(column, kind):
    assert identifier_kind(column) == kind


# --- protect_frame ------------------------------------------------------------------------


def test_masked_by_default(leads):
    before = leads.copy()
    protected = protect_frame(leads, load_config())
    pd.testing.assert_frame_equal(leads, before)  # input untouched
    assert protected.shape == leads.shape
    assert protected["entity_id"].tolist() == [
        "110105********002X",
        "6228***********8901",
        VILLAGE,
        COMPANY,
    ]
    assert protected["related_ids"].iloc[0] == (f"440524********0014;6228***********8901;{COMPANY}")
    assert pd.isna(protected["related_ids"].iloc[1])
    assert protected["related_ids"].iloc[2] == VILLAGE
    assert protected["id_number"].iloc[0] == "110105********002X"
    assert pd.isna(protected["id_number"].iloc[1])
    assert protected["id_number"].iloc[3] == "430421*******1123"  # 17 digits: still masked
    assert protected["account_no"].tolist()[:3] == ["6228***********8901", "****4800", ""]
    assert protected["phone"].iloc[0] == "138****5678"
    assert (
        protected["detail"].iloc[0]
        == "身份证号110105********002X死亡后仍领取，账号6228***********8901"
    )
    assert protected["detail"].iloc[1] == f"村{VILLAGE}"
    # keys and codes are never rewritten; names and amounts unchanged
    assert protected["lead_id"].tolist() == leads["lead_id"].tolist()
    assert protected["village_code"].tolist() == [VILLAGE] * 4
    assert protected["entity_name"].tolist() == leads["entity_name"].tolist()
    assert protected["amount_at_risk"].tolist() == leads["amount_at_risk"].tolist()
    text = protected.to_csv(index=False)
    assert find_unmasked_identifiers(text) == []
    assert PERSON not in text and ACCOUNT not in text and RELATIVE not in text


def test_full_shows_everything(leads):
    for config in (config_with(show_identifiers=True), config_with(identifiers="full")):
        pd.testing.assert_frame_equal(protect_frame(leads, config), leads)


def test_pseudonymised_is_keyed_stable_and_consistent(leads):
    config = config_with(identifiers="pseudonymised", pseudonym_key="office-secret")
    first = protect_frame(leads, config)
    again = protect_frame(leads, config)
    pd.testing.assert_frame_equal(first, again)
    pseudonym = first["id_number"].iloc[0]
    assert re.fullmatch(r"P-[0-9a-f]{12}", pseudonym)
    # the same person is the same pseudonym in every column, including free text
    assert first["entity_id"].iloc[0] == pseudonym
    assert first["related_ids"].iloc[3] == pseudonym
    assert pseudonym in first["detail"].iloc[0]
    assert first["entity_id"].iloc[1] == first["account_no"].iloc[0]
    assert first["entity_id"].iloc[2] == VILLAGE
    other = protect_frame(leads, config_with(identifiers="pseudonymised", pseudonym_key="other"))
    assert other["id_number"].iloc[0] != pseudonym
    assert find_unmasked_identifiers(first.to_csv(index=False)) == []


def test_pseudonymised_refuses_the_packaged_key(leads):
    with pytest.raises(PrivacyError, match="pseudonym_key"):
        protect_frame(leads, config_with(identifiers="pseudonymised"))


def test_protect_phones_can_be_switched_off(leads):
    protected = protect_frame(leads, config_with(protect_phones=False))
    assert protected["phone"].iloc[0] == "13812345678"
    assert protected["id_number"].iloc[0] == "110105********002X"


def test_numeric_and_list_columns():
    frame = pd.DataFrame(
        {
            "id_number": pd.Series([430421199001011233, 110105194912310021], dtype="int64"),
            "related_ids": [[PERSON, VILLAGE], (ACCOUNT,)],
            "holder_id_number": [COMPANY, PERSON],
        }
    )
    protected = protect_frame(frame, None)
    assert protected["id_number"].tolist() == ["430421********1233", "110105********0021"]
    assert protected["related_ids"].iloc[0] == ["110105********002X", VILLAGE]
    assert protected["related_ids"].iloc[1] == ("6228***********8901",)
    assert protected["holder_id_number"].tolist() == [COMPANY, "110105********002X"]


def test_explicit_columns(leads):
    frame = pd.DataFrame({"收款人": [PERSON], "备注": [f"卡号{ACCOUNT}"]})
    protected = protect_frame(frame, None, columns=["收款人"])
    assert protected["收款人"].iloc[0] == "110105********002X"
    assert protected["备注"].iloc[0] == "卡号6228***********8901"
    kept = protect_frame(frame, None, columns=["收款人"], redact_text=False)
    assert kept["备注"].iloc[0] == f"卡号{ACCOUNT}"
    with pytest.raises(PrivacyError, match="no column"):
        protect_frame(frame, None, columns=["missing"])


def test_household_numbers_are_kept_where_their_village_is_known():
    household = VILLAGE + "0023"
    frame = pd.DataFrame(
        {
            "entity_type": ["household", "person"],
            "entity_id": [household, PERSON],
            "village_code": [VILLAGE, VILLAGE],
            "related_ids": [f"{PERSON};{household}", household],
            "detail": [f"户{household}的成员{PERSON}", ""],
        }
    )
    protected = protect_frame(frame, None)
    assert protected["entity_id"].tolist() == [household, "110105********002X"]
    assert protected["related_ids"].tolist() == [f"110105********002X;{household}", household]
    assert protected["detail"].iloc[0] == f"户{household}的成员110105********002X"
    assert find_unmasked_identifiers(protected.to_csv(index=False)) == []
    # without a village code to recognise it, a 16-digit number is masked like an account
    alone = protect_frame(frame[["entity_id"]], None)
    assert alone["entity_id"].iloc[0] == "4304********0023"


def test_duplicate_column_names_are_each_protected():
    frame = pd.DataFrame([[PERSON, RELATIVE, f"卡{ACCOUNT}", f"卡{ACCOUNT}"]])
    frame.columns = ["id_number", "id_number", "detail", "detail"]
    protected = protect_frame(frame, None)
    assert list(protected.columns) == list(frame.columns)
    assert protected.iloc[0].tolist() == [
        "110105********002X",
        "440524********0014",
        "卡6228***********8901",
        "卡6228***********8901",
    ]


def test_other_keys_pass_unless_they_look_like_identifiers():
    frame = pd.DataFrame(
        {
            "payment_id": ["ZF24000000123", PERSON],
            "project_id": ["XM20240005", "XM20240006"],
            "household_id": [VILLAGE + "0023", VILLAGE + "0024"],
            "village_code": [VILLAGE, VILLAGE],
            "lead_id": ["L7985a915a15b", "1234567890123456"],
        }
    )
    protected = protect_frame(frame, None)
    assert protected["payment_id"].tolist() == ["ZF24000000123", "110105********002X"]
    assert protected["project_id"].tolist() == ["XM20240005", "XM20240006"]
    assert protected["household_id"].tolist() == [VILLAGE + "0023", VILLAGE + "0024"]
    assert protected["lead_id"].tolist() == ["L7985a915a15b", "1234567890123456"]
    without_village = protect_frame(frame[["household_id"]], None)
    assert without_village["household_id"].iloc[0] == "4304********0023"


def test_entity_id_without_entity_type_uses_value_shape():
    frame = pd.DataFrame({"entity_id": [PERSON, VILLAGE, COMPANY, "H0012", ACCOUNT]})
    protected = protect_frame(frame, None)
    assert protected["entity_id"].tolist() == [
        "110105********002X",
        VILLAGE,
        COMPANY,
        "H0012",
        "6228***********8901",
    ]


valid_ids = st.builds(
    make_id,
    st.builds(
        lambda p, r: f"{p:02d}{r:04d}",
        st.sampled_from(sorted(PROVINCE_CODES)),
        st.integers(0, 9999),
    ),
    st.dates(date(1920, 1, 1), date(2020, 12, 31)),
    st.integers(0, 999),
)
accounts = st.integers(10**15, 10**19 - 1).map(str)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.tuples(
            valid_ids,
            accounts,
            st.lists(st.one_of(valid_ids, accounts), max_size=3).map(";".join),
            st.sampled_from(["person", "official", "account", "payee", "household"]),
            st.one_of(valid_ids, accounts),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_masked_frames_never_leak(rows):
    frame = pd.DataFrame(
        rows, columns=["id_number", "payee_account", "related_ids", "entity_type", "entity_id"]
    )
    frame["detail"] = [f"核查{a}与{b}" for a, b, *_ in rows]
    protected = protect_frame(frame, load_config())
    assert find_unmasked_identifiers(protected.to_csv(index=False)) == []
    assert find_unmasked_identifiers(protected.to_json(force_ascii=False)) == []


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(
                st.one_of(
                    valid_ids,
                    accounts,
                    st.sampled_from([VILLAGE, VILLAGE + "0023", COMPANY, "991234567890", ""]),
                    st.text(alphabet="0123456789X;x １", max_size=20),
                    st.text(max_size=6),
                ),
                min_size=1,
                max_size=3,
            ).map(";".join),
        ),
        max_size=12,
    )
)
def test_vectorised_mixed_agrees_with_scalar(values):
    series = pd.Series(values, dtype=object)
    codes = {VILLAGE}
    vectorised = _mask_mixed(series, codes)
    scalar = series.map(_Protector("masked", division_codes=codes).mixed)
    for position, value in enumerate(values):
        if value is None:
            assert pd.isna(vectorised.iloc[position])
        else:
            assert vectorised.iloc[position] == scalar.iloc[position], value


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=25), st.integers(), st.floats()), max_size=8),
    st.sampled_from(["masked", "pseudonymised"]),
)
def test_arbitrary_values_never_crash(values, mode):
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype=object)
            for name in ("id_number", "related_ids", "account_no", "phone", "detail")
        }
    )
    frame["entity_type"] = "person"
    frame["entity_id"] = pd.Series(values, dtype=object)
    config = config_with(identifiers=mode, pseudonym_key="k1")
    protected = protect_frame(frame, config)
    assert protected.shape == frame.shape
    for value in values:
        if isinstance(value, str):
            protect_text(value, config)


def test_protect_text():
    text = f"核查 {PERSON} 与 {ACCOUNT}"
    assert protect_text(text, None) == "核查 110105********002X 与 6228***********8901"
    assert protect_text(text, config_with(show_identifiers=True)) == text
    pseudo = protect_text(text, config_with(identifiers="pseudonymised", pseudonym_key="k1"))
    assert PERSON not in pseudo and re.search(r"P-[0-9a-f]{12}", pseudo)
    # used while reporting errors: a bad setting falls back to masking instead of raising
    masked = "核查 110105********002X 与 6228***********8901"
    assert protect_text(text, config_with(identifiers="pseudonymised")) == masked
    assert protect_text(text, {"privacy": {"identifiers": "bogus"}}) == masked


# --- logs and tracebacks -------------------------------------------------------------------


def test_log_redaction_covers_messages_tracebacks_and_children():
    stream = io.StringIO()
    logger = logging.getLogger("riskmodel.test_privacy")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        install_log_redaction(logger)
        install_log_redaction(logger)  # twice is harmless
        assert sum(type(f).__name__ == "RedactingFilter" for f in handler.filters) == 1
        logger.warning("ID %s paid into %s", PERSON, ACCOUNT)
        try:
            raise ValueError(f"bad row with {RELATIVE}")
        except ValueError:
            logger.exception("load failed")
        logging.getLogger("riskmodel.test_privacy.child").error("child %s", PERSON)
        logger.info("village %s", VILLAGE)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "ID 110105********002X paid into 6228***********8901" in output
    assert "ValueError: bad row with 440524********0014" in output
    assert "child 110105********002X" in output
    assert find_unmasked_identifiers(output) == []
    assert PERSON not in output and RELATIVE not in output and ACCOUNT not in output


def test_root_redaction_covers_the_last_resort_handler(capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "filters", [])
    last_resort = logging.lastResort
    monkeypatch.setattr(last_resort, "filters", [])
    install_log_redaction(root)
    logger = logging.getLogger("lastresort_probe")
    logger.warning("paid %s", PERSON)
    err = capsys.readouterr().err
    assert "paid 110105********002X" in err and PERSON not in err, err


def test_log_redaction_without_filter_would_leak():
    # the control case: the same logging set-up without the filter shows the raw ID
    stream = io.StringIO()
    logger = logging.getLogger("riskmodel.test_privacy.unfiltered")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("ID %s", PERSON)
    finally:
        logger.removeHandler(handler)
    assert find_unmasked_identifiers(stream.getvalue()) == [PERSON]


def test_redacted_tracebacks(capsys, monkeypatch):
    try:
        raise KeyError(PERSON)
    except KeyError as error:
        text = format_exception_redacted(error)
    assert "110105********002X" in text and PERSON not in text
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    try:
        raise RuntimeError(f"account {ACCOUNT}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    err = capsys.readouterr().err
    assert "RuntimeError: account 6228***********8901" in err and ACCOUNT not in err


# --- owner-only files ----------------------------------------------------------------------


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_private_dir_and_umask(tmp_path):
    folder = make_private_dir(tmp_path / "reports" / "2024Q3")
    assert _mode(folder) == 0o700
    make_private_dir(folder)  # existing folder: fine
    previous = os.umask(0o022)
    try:
        with private_umask():
            (folder / "leads.csv").write_text("x", "utf-8")
            (folder / "scores").mkdir()
        (folder / "after.txt").write_text("x", "utf-8")
    finally:
        os.umask(previous)
    assert _mode(folder / "leads.csv") == 0o600
    assert _mode(folder / "scores") == 0o700
    assert _mode(folder / "after.txt") == 0o644  # umask restored after the block


def test_restrict_tree(tmp_path):
    (tmp_path / "run" / "notebooks").mkdir(parents=True)
    (tmp_path / "run" / "notebooks" / "a.ipynb").write_text("{}", "utf-8")
    os.chmod(tmp_path / "run" / "notebooks" / "a.ipynb", 0o644)
    restrict_tree(tmp_path / "run")
    assert _mode(tmp_path / "run") == 0o700
    assert _mode(tmp_path / "run" / "notebooks") == 0o700
    assert _mode(tmp_path / "run" / "notebooks" / "a.ipynb") == 0o600


# --- scanning a run folder -----------------------------------------------------------------


def test_scan_folder_finds_leaks_and_ignores_decoys(tmp_path):
    decoys = (
        f"lead_id,village_code,score,entity_id,hash\n"
        f"L-1,{VILLAGE},0.30000000000000004,110105********002X,"
        f"3a5f1234567890123456789b0c\n"
    )
    (tmp_path / "leads.csv").write_text(decoys, "utf-8-sig")
    (tmp_path / "evidence.csv").write_text(f"lead_id,entity_id\nL-1,{PERSON}\n", "utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"account": ACCOUNT}), "utf-8")
    (tmp_path / "report.html").write_text(f"<td>{RELATIVE}</td>", "utf-8")
    (tmp_path / "notebooks").mkdir()
    notebook = {"cells": [{"outputs": [{"text": f"payee {ACCOUNT}"}]}]}
    (tmp_path / "notebooks" / "03_rules.ipynb").write_text(json.dumps(notebook), "utf-8")
    (tmp_path / "run.log").write_text(f"loading {VILLAGE}: household {VILLAGE}0023\n", "utf-8")
    (tmp_path / "households.txt").write_text(f"户编号 {VILLAGE}0023\n", "utf-8")
    (tmp_path / "notes.txt").write_text(f"GBK 身份证 {PERSON}".encode("gbk").decode("gbk"), "gbk")
    (tmp_path / "image.png").write_bytes(PERSON.encode())  # not a scanned type
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["entity_id", "amount"])
    sheet.append([430421199001011233, 12.5])  # an ID typed as a number
    sheet.append(["110105********002X", 1.0])
    workbook.save(tmp_path / "leads.xlsx")

    findings = scan_folder(tmp_path)
    by_file = {}
    for file, sample in findings:
        by_file.setdefault(file, []).append(sample)
    assert by_file == {
        "evidence.csv": ["110105********002X"],
        "households.txt": ["4304********0023"],  # no village code in that file: conservative
        # Excel stores the number as a float: the last digits are lost, the leak is not
        "leads.xlsx": ["430421********1328"],
        "manifest.json": ["6228***********8901"],
        "notebooks/03_rules.ipynb": ["6228***********8901"],
        "notes.txt": ["110105********002X"],
        "report.html": ["440524********0014"],
    }
    assert PERSON not in repr(findings) and ACCOUNT not in repr(findings)
    allowed = scan_folder(tmp_path, allow={f"{VILLAGE}0023"})
    assert "households.txt" not in {file for file, _ in allowed}


def test_scan_of_protected_outputs_is_clean(tmp_path, leads):
    protected = protect_frame(leads, load_config())
    protected.to_csv(tmp_path / "leads.csv", index=False, encoding="utf-8-sig")
    protected.to_excel(tmp_path / "leads.xlsx", index=False)
    protected.to_json(tmp_path / "leads.json", force_ascii=False)
    assert scan_folder(tmp_path) == []
    leads.to_excel(tmp_path / "full.xlsx", index=False)
    assert {file for file, _ in scan_folder(tmp_path)} == {"full.xlsx"}


# --- identifiers typed in groups; derived columns; quarantine rows ------------------------------

SPACED_ID = "430421 19650601 5412"
SPACED_ID_DIGITS = "430421196506015412"
SPACED_CARD = "6217 9990 6823 6662 452"
CARD_DIGITS = "6217999068236662452"
KEY_CONFIG = {"privacy": {"identifiers": "pseudonymised", "pseudonym_key": "k1"}}


def test_text_columns_with_identifiers_typed_in_groups():
    frame = pd.DataFrame(
        {
            "detail": [
                f"身份证 {SPACED_ID}，卡号 {SPACED_CARD}",
                "身份证 430421-19650601-5412，卡号 6217-9990-6823-6662-452",
                "2024-05-01 发放 1 234.50 元，电话 138 1234 5678",
                "比例 0.30000000000000004，信用代码 9143042171081317X7 / 914304217108131006",
            ]
        }
    )
    masked = protect_frame(frame, None)["detail"].tolist()
    assert masked[0] == "身份证 430421********5412，卡号 6217***********2452"
    assert masked[1] == "身份证 430421********5412，卡号 6217***********2452"
    assert masked[2:] == frame["detail"].tolist()[2:]
    pseudonymised = protect_frame(frame, KEY_CONFIG)["detail"].tolist()
    person, card = pseudonymise(SPACED_ID_DIGITS, "k1"), pseudonymise(CARD_DIGITS, "k1")
    assert pseudonymised[0] == f"身份证 {person}，卡号 {card}"
    assert pseudonymised[1] == f"身份证 {person}，卡号 {card}"
    assert pseudonymised[2:] == frame["detail"].tolist()[2:]


def test_pseudonyms_are_not_pseudonymised_again():
    alias = "P-123456789012"  # a pseudonym whose 12 hex characters are all digits
    assert protect_text(f"对象 {alias}", KEY_CONFIG) == f"对象 {alias}"
    assert protect_text(f"对象 {alias}", None) == f"对象 {alias}"
    frame = pd.DataFrame({"reasons": [f"关联 {alias};P-430421196506"]})
    assert protect_frame(frame, KEY_CONFIG).equals(frame)


def test_mixed_values_typed_in_groups():
    frame = pd.DataFrame(
        {"related_ids": [f"{SPACED_ID};430421-19650601-5412", SPACED_CARD, "2024-05-01"]}
    )
    masked = protect_frame(frame, None)["related_ids"].tolist()
    assert masked == ["430421********5412;430421********5412", "6217***********2452", "2024-05-01"]


def test_derived_columns_are_not_masked():
    scores = pd.DataFrame(
        {
            "entity_id": [CARD_DIGITS],
            "entity_type": ["account"],
            "score": [80.0],
            "c_D_ACCOUNT": [12.5],
            "c_R_SHARED_ACCOUNT": ["3.25"],
            "is_valid_id_number": [True],
            "has_account_no": ["True"],
        }
    )
    for config in (None, KEY_CONFIG):
        protected = protect_frame(scores, config)
        assert protected["entity_id"].iloc[0] != CARD_DIGITS
        derived = ["c_D_ACCOUNT", "c_R_SHARED_ACCOUNT", "is_valid_id_number", "has_account_no"]
        pd.testing.assert_frame_equal(protected[derived], scores[derived])


def test_protect_frame_with_explicit_kinds():
    frame = pd.DataFrame({"证件": [SPACED_ID, "无"], "账": [SPACED_CARD, ""], "备注": ["x", "y"]})
    masked = protect_frame(frame, None, kinds={"证件": "mixed", "账": "account"})
    assert masked["证件"].tolist() == ["430421********5412", "无"]
    assert masked["账"].tolist() == ["6217***********2452", ""]
    assert masked["备注"].tolist() == ["x", "y"]
    with pytest.raises(PrivacyError, match="unknown identifier kind"):
        protect_frame(frame, None, kinds={"证件": "secret"})
    with pytest.raises(PrivacyError, match="no column"):
        protect_frame(frame, None, kinds={"missing": "id"})


def quarantined_payments() -> pd.DataFrame:
    """A quarantine file as the loader writes it: file, line, reason, the raw headers."""
    return pd.DataFrame(
        {
            "file": ["补贴.csv"] * 5,
            "line": ["7", "8", "9", "10", "11"],
            "reason": ["unreadable date: pay_date"] * 4 + ["missing value: id_number"],
            "流水号": ["ZF001", "ZF002", "ZF003", "ZF004", "ZF005"],
            "证件号码": [
                SPACED_ID,
                "430421-19650601-5412",
                "４３０４２１１９６５０６０１５４１２",
                "430421650601541",
                "无",
            ],
            "姓名": ["张三"] * 5,
            "账号": [SPACED_CARD, "6217-9990-6823-6662-452", CARD_DIGITS, "", "不详"],
            "发放金额": ["480.00"] * 5,
            "发放日期": ["2024/02/30"] * 4 + ["2024-05-01"],
            "村级代码": [VILLAGE] * 5,
            "户号": [VILLAGE + "0023"] * 5,
            "备注": [f"代领人 {SPACED_ID}", "", "", "", "电话 138 1234 5678"],
            "备注.original": ["", "", "", "", ""],
        }
    )


def test_quarantine_rows_are_protected_by_the_columns_their_headers_name():
    rows = quarantined_payments()
    masked = protect_input_rows(rows, "payments", None)
    assert list(masked.columns) == list(rows.columns)  # the input's headers are kept
    person = "430421********5412"
    assert masked["证件号码"].tolist() == [person, person, person, "430421*****1541", "无"]
    card = "6217***********2452"
    assert masked["账号"].tolist() == [card, card, card, "", "不详"]
    assert masked["备注"].tolist() == [f"代领人 {person}", "", "", "", "电话 138 1234 5678"]
    for kept in ("file", "line", "reason", "流水号", "姓名", "发放金额", "发放日期", "村级代码"):
        assert masked[kept].tolist() == rows[kept].tolist(), kept
    assert masked["户号"].tolist() == rows["户号"].tolist()  # household numbers of the village
    assert len(find_unmasked_identifiers(rows.to_csv())) == 7
    assert find_unmasked_identifiers(masked.to_csv()) == []


def test_quarantine_rows_pseudonymised():
    rows = quarantined_payments()
    shown = protect_input_rows(rows, "payments", KEY_CONFIG)
    person = pseudonymise(SPACED_ID_DIGITS, "k1")
    # every spelling of the one ID, the 15-digit legacy form too, has one pseudonym
    assert shown["证件号码"].tolist()[:4] == [person] * 4
    assert shown["证件号码"].iloc[4] == "无"
    card = pseudonymise(CARD_DIGITS, "k1")
    assert shown["账号"].tolist() == [card, card, card, "", "不详"]
    assert shown["发放日期"].tolist() == rows["发放日期"].tolist()
    assert protect_input_rows(rows, "payments", config_with(show_identifiers=True)).equals(rows)


@pytest.mark.parametrize("config", [None, KEY_CONFIG], ids=["masked", "pseudonymised"])
def test_truncated_ids_and_accounts_in_quarantine_keep_only_their_last_four(config):
    rows = pd.DataFrame(
        {
            "证件号码": [
                "430421.19650601",
                "4304211965060",
                "张三４３０４２１１９６５",
                "12345",
                "无",
            ],
            "账号": ["622848001234", "62284800", "6228-4800-12", "1234", ""],
            "发放金额": ["480.00"] * 5,
        }
    )
    shown = protect_input_rows(rows, "payments", config)
    for column in ("证件号码", "账号"):
        for value in shown[column]:  # no six digits of the input in a row, however spelled
            if value.startswith("P-"):  # a pseudonym
                continue
            assert not re.search(r"[0-9０-９]{6}", re.sub(r"[^0-9０-９*]", "", value)), value
    assert shown["证件号码"].tolist()[3:] == ["12345", "无"]
    assert shown["账号"].tolist()[3:] == ["1234", ""]
    if config is None:
        ids = ["******.****0601", "*********5060", "张三******1965", "12345", "无"]
        assert shown["证件号码"].tolist() == ids
        assert shown["账号"].tolist() == ["********1234", "****4800", "****-**00-12", "1234", ""]
    assert shown["发放金额"].tolist() == rows["发放金额"].tolist()
    full = protect_input_rows(rows, "payments", config_with(show_identifiers=True))
    assert full.equals(rows)


def test_quarantine_rows_of_an_unknown_table_are_protected_by_name_and_text():
    rows = pd.DataFrame({"id_number": [SPACED_ID], "备注": [f"卡 {SPACED_CARD}"]})
    masked = protect_input_rows(rows, "no_such_table", None)
    assert masked.iloc[0].tolist() == ["430421********5412", "卡 6217***********2452"]
    assert protect_input_rows(rows, None, None).equals(masked)


def test_scan_folder_finds_identifiers_typed_in_groups(tmp_path):
    (tmp_path / "q.csv").write_text(f"a,{SPACED_ID}\nb,6217-9990-6823-6662-452\n", "utf-8")
    (tmp_path / "ok.csv").write_text("2024-05-01,138 1234 5678,0.30000000000000004\n", "utf-8")
    assert sorted(scan_folder(tmp_path)) == [
        ("q.csv", "430421********5412"),
        ("q.csv", "6217***********2452"),
    ]
