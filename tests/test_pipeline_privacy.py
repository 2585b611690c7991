"""End to end: the privacy setting over every file of a real run folder (papermill; slow).

The small synthetic county, with messy identifiers added where real exports have them: an ID
typed with spaces or hyphens, in full-width digits, as a 15-digit legacy number, with a lowercase
x; an account number in groups of four; an ID and an account inside a complaint's free text. Two
runs of :func:`riskmodel.pipeline.run_job`:

* ``identifiers = "pseudonymised"``: no input ID or account number appears anywhere in the
  run folder (leads, evidence, workbook, report, disclosure notices, quarantine, data quality,
  executed notebooks, manifest); every pseudonym is the keyed hash of a normalised input
  identifier, so one person has one pseudonym in every file; the key itself is never written.
* ``show_identifiers = true``: the same leads, with the IDs shown as in the input.

And the default, masked: the quarantine files and data quality of the same folder.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from riskmodel.config import load_config
from riskmodel.ids import mask_account, mask_id, pseudonymise
from riskmodel.io import load_folder, write_validation
from riskmodel.io.coerce import FULLWIDTH
from riskmodel.io.headers import alias_index, match_header
from riskmodel.pipeline import run_job
from riskmodel.pipeline.stages import protect_validation
from riskmodel.privacy import identifier_kind, scan_folder
from riskmodel.schemas import get_table
from riskmodel.synth import generate

pytestmark = pytest.mark.slow

KEY = "privacy-test-key-7f3a"  # not the packaged default: pseudonymised mode requires a key
SEED = 5
BAD_DATE = "2024/02/30"  # unreadable: the row goes to quarantine with its identifiers
TO_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
PSEUDONYM = re.compile(r"P-[0-9a-f]{12}")
SCANNED = (".csv", ".json", ".html", ".ipynb", ".txt", ".xlsx")
TAG = "PRIV"  # appended to the ids of the rows this module adds


# --- the county with messy identifiers -------------------------------------------------------


def _encoding(path: Path) -> str:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def _read_csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(_encoding(path)))))


def _append_csv_rows(path: Path, rows: list[list[str]]) -> None:
    encoding = _encoding(path)
    text = path.read_text(encoding)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(text + ("" if text.endswith("\n") else "\n") + buffer.getvalue(), encoding)


def _raw_columns(path: Path, table: str) -> dict[str, int]:
    """Canonical column → position in the file's header row."""
    index = alias_index(get_table(table))
    header = _read_csv_rows(path)[0]
    return {name: i for i, cell in enumerate(header) if (name := match_header(cell, index)[0])}


def spaced(value: str) -> str:
    """``430421 19890510 1173`` / ``6230 9053 3960 0718 584``: how some exports print them."""
    if len(value) == 18:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def hyphenated(value: str) -> str:
    """``430421-19890510-1173`` / ``6230-9053-3960-0718-584``."""
    return spaced(value).replace(" ", "-")


def legacy(value: str) -> str:
    """The 15-digit form of an 18-digit ID of someone born in the 1900s."""
    assert value[6:8] == "19"
    return value[:6] + value[8:17]


def add_messy_identifiers(data: Path) -> dict[str, str]:
    """Append payment rows and a complaint with identifiers written the ways exports write them.

    Returns the official (planted on aid, so he has leads), the resident whose ID ends in X,
    and the official's account.
    """
    result = load_folder(data, load_config())
    tables = result.tables
    planted = pd.read_csv(data / "_truth" / "planted.csv", dtype=str, keep_default_na=False)
    official = planted.loc[planted["scheme"] == "official_on_aid", "entity_id"].iloc[0]
    payments = tables["payments"]
    own = payments[(payments["id_number"] == official) & payments["account_no"].notna()].iloc[0]
    account = own["account_no"]
    ends_in_x = payments[payments["id_number"].str.endswith("X", na=False)].iloc[0]
    path = data / own["_file"]
    assert path.suffix == ".csv" and ends_in_x["_file"] == own["_file"]
    raw = _read_csv_rows(path)
    where = _raw_columns(path, "payments")
    template_official = raw[int(own["_line"]) - 1]
    template_x = raw[int(ends_in_x["_line"]) - 1]
    assert template_official[where["id_number"]] == official

    def row(template: list[str], serial: int, id_number: str, date: str, acct: str = "") -> list:
        cells = list(template)
        cells[where["payment_id"]] = f"{cells[where['payment_id']]}{TAG}{serial}"
        cells[where["id_number"]] = id_number
        cells[where["pay_date"]] = date
        if acct:
            cells[where["account_no"]] = acct
        return cells

    good_date = template_official[where["pay_date"]]
    x_id = ends_in_x["id_number"]
    _append_csv_rows(
        path,
        [
            # quarantined (unreadable date): the raw cells are kept in quarantine/payments.csv
            row(template_official, 1, spaced(official), BAD_DATE, spaced(account)),
            row(
                template_official,
                2,
                official.translate(TO_FULL_WIDTH),
                BAD_DATE,
                account.translate(TO_FULL_WIDTH),
            ),
            row(template_official, 3, legacy(official), BAD_DATE),
            row(template_x, 4, x_id.lower(), BAD_DATE),
            row(template_official, 7, hyphenated(official), BAD_DATE, hyphenated(account)),
            # accepted: normalised by the loader (the legacy number listed in data_quality.csv)
            row(template_official, 5, legacy(official), good_date),
            row(template_x, 6, x_id.lower(), template_x[where["pay_date"]]),
        ],
    )
    complaint = tables["complaints"].iloc[0]
    complaints_path = data / complaint["_file"]
    assert complaints_path.suffix == ".csv"
    columns = _raw_columns(complaints_path, "complaints")
    cells = list(_read_csv_rows(complaints_path)[int(complaint["_line"]) - 1])
    cells[columns["complaint_id"]] += TAG
    cells[columns["summary"]] = (
        f"群众反映{own['name']}（身份证{official}）用账户{account}代领补贴，"
        f"另涉及{legacy(official)}"
    )
    _append_csv_rows(complaints_path, [cells])
    return {"official": official, "account": account, "ends_in_x": x_id}


def input_identifiers(tables: dict[str, pd.DataFrame]) -> tuple[set[str], set[str]]:
    """(ID numbers, account numbers) of the input, normalised, with the IDs' legacy forms."""
    id_numbers: set[str] = set()
    accounts: set[str] = set()
    for frame in tables.values():
        for column in frame.columns:
            kind = identifier_kind(column)
            if kind not in ("id", "mixed", "account"):
                continue
            for value in frame[column].dropna().astype(str).unique():
                for part in value.split(";"):
                    token = part.strip().upper()
                    if re.fullmatch(r"[0-9]{17}[0-9X]", token):
                        id_numbers.add(token)
                    elif kind == "account" and re.fullmatch(r"[0-9]{12,}", token):
                        accounts.add(token)
    id_numbers |= {legacy(v) for v in id_numbers if v[6:8] == "19"}
    return id_numbers, accounts


# --- reading a run folder --------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def visible_text(path: Path) -> str:
    """What a reader of ``path`` sees: workbook cells, notebook strings, unescaped HTML."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        cells = []
        for sheet in book.worksheets:
            for values in sheet.iter_rows(values_only=True):
                for value in values:
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)  # an ID stored as a number is still an ID
                    if value is not None:
                        cells.append(str(value))
        book.close()
        return "\n".join(cells)
    text = path.read_text("utf-8-sig")
    if path.suffix == ".ipynb":
        return "\n".join(_strings(json.loads(text)))
    return html.unescape(text) if path.suffix == ".html" else text


def contiguous_tokens(text: str) -> set[str]:
    """Runs of 12+ digits (optional final X), full-width digits read as ASCII."""
    return set(re.findall(r"[0-9]{12,}X?", text.translate(FULLWIDTH).upper()))


def number_tokens(text: str) -> set[str]:
    """:func:`contiguous_tokens`, also after dropping single spaces or hyphens between digits."""
    half_width = text.translate(FULLWIDTH)
    tokens = contiguous_tokens(text)
    for separator in (" ", "-"):
        tokens |= contiguous_tokens(re.sub(rf"(?<=[0-9]){separator}(?=[0-9])", "", half_width))
    return tokens


def output_files(run: Path) -> list[Path]:
    return sorted(p for p in run.rglob("*") if p.is_file() and p.suffix in SCANNED)


def masked(token: str) -> str:
    return mask_id(token) if len(token) in (15, 18) else mask_account(token)


def read_csv(run: Path, name: str = "leads.csv") -> pd.DataFrame:
    return pd.read_csv(run / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def sheet(run: Path, title: str) -> pd.DataFrame:
    book = openpyxl.load_workbook(run / "leads.xlsx", read_only=True, data_only=True)
    rows = list(book[title].iter_rows(values_only=True))
    book.close()
    return pd.DataFrame(rows[1:], columns=rows[0])


# --- the two runs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("privacy")
    data = root / "data"
    generate(data, seed=SEED, scale="small")
    messy = add_messy_identifiers(data)
    pseudonymised_config = root / "pseudonymised.toml"
    pseudonymised_config.write_text(
        f'[privacy]\nidentifiers = "pseudonymised"\npseudonym_key = "{KEY}"\n', "utf-8"
    )
    full_config = root / "full.toml"
    full_config.write_text("[privacy]\nshow_identifiers = true\n", "utf-8")
    # separate parents: neither run is the other's previous run
    pseudonymised = run_job(
        data, root / "a" / "run", config_path=pseudonymised_config, progress=False
    )
    full = run_job(data, root / "b" / "run", config_path=full_config, progress=False)
    tables = load_folder(data, load_config()).tables
    id_numbers, accounts = input_identifiers(tables)
    return {
        "data": data,
        "tables": tables,
        "messy": messy,
        "pseudonymised": pseudonymised,
        "full": full,
        "id_numbers": id_numbers,
        "accounts": accounts,
    }


def test_the_messy_rows_reached_quarantine_and_data_quality(runs: dict) -> None:
    run: Path = runs["pseudonymised"]
    quarantine = read_csv(run, "quarantine/payments.csv")
    ours = tagged_rows(quarantine)
    assert sorted(ours) == [1, 2, 3, 4, 7]
    assert all("unreadable date: pay_date" in cells for cells in ours.values())
    quality = read_csv(run, "data_quality.csv")
    assert quality["problem"].str.contains("legacy_15").any()
    complaints = runs["tables"]["complaints"]
    assert complaints["summary"].str.contains(runs["messy"]["account"], regex=False).any()


def tagged_rows(quarantine: pd.DataFrame) -> dict[int, set[str]]:
    """The quarantined rows this module added: serial → the row's cells."""
    rows = {}
    for row in quarantine.astype(str).itertuples(index=False):
        for cell in row:
            if match := re.fullmatch(rf".+{TAG}(\d)", cell):
                rows[int(match[1])] = set(row)
    return rows


def leaked(run: Path, secrets: set[str], joined: bool) -> dict[str, list[str]]:
    """Input identifiers readable in each file of ``run`` (masked, at most five per file)."""
    leaks = {}
    for path in output_files(run):
        text = visible_text(path)
        found = (number_tokens(text) if joined else contiguous_tokens(text)) & secrets
        if found:
            leaks[path.relative_to(run).as_posix()] = sorted(masked(t) for t in found)[:5]
    return leaks


def test_no_input_identifier_in_any_file_of_the_pseudonymised_run(runs: dict) -> None:
    run: Path = runs["pseudonymised"]
    secrets: set[str] = runs["id_numbers"] | runs["accounts"]
    assert runs["messy"]["official"] in secrets and runs["messy"]["account"] in secrets
    names = {p.relative_to(run).as_posix() for p in output_files(run)}
    for expected in (
        "leads.csv",
        "evidence.csv",
        "resolved.csv",
        "leads.xlsx",
        "report.html",
        "data_quality.csv",
        "quarantine/payments.csv",
        "quarantine/complaints.csv",
        "disclosure/index.html",
        "notebooks/01_validate.ipynb",
        "notebooks/10_leads.ipynb",
        "manifest.json",
        "validation.json",
    ):
        assert expected in names, expected
    assert any(name.startswith("disclosure/43") for name in names)
    # unbroken digits: also the full-width, the 15-digit and the lowercase-x forms
    assert leaked(run, secrets, joined=False) == {}
    assert scan_folder(run) == []


def test_identifiers_typed_with_spaces_do_not_leak(runs: dict) -> None:
    secrets: set[str] = runs["id_numbers"] | runs["accounts"]
    assert leaked(runs["pseudonymised"], secrets, joined=True) == {}


def test_masked_quarantine_and_data_quality_hide_every_spelling(runs: dict, tmp_path: Path) -> None:
    # the default setting, on the loader's files only (a whole masked run adds a minute)
    secrets: set[str] = runs["id_numbers"] | runs["accounts"]
    out = tmp_path / "run"
    write_validation(load_folder(runs["data"], load_config()), out)
    assert leaked(out, secrets, joined=True)  # the loader's files hold them as typed
    protect_validation(out, load_config())
    assert leaked(out, secrets, joined=True) == {}
    assert scan_folder(out) == []
    ours = tagged_rows(read_csv(out, "quarantine/payments.csv"))
    official, account = runs["messy"]["official"], runs["messy"]["account"]
    for serial in (1, 2, 3, 7):
        assert mask_id(official) in ours[serial] or mask_id(legacy(official)) in ours[serial]
    for serial in (1, 2, 7):
        assert mask_account(account) in ours[serial]
    assert mask_id(runs["messy"]["ends_in_x"]) in ours[4]


def test_validate_out_writes_the_loader_files_masked(runs: dict, tmp_path: Path) -> None:
    from riskmodel.cli import main

    secrets: set[str] = runs["id_numbers"] | runs["accounts"]
    out = tmp_path / "checked"
    main(["validate", str(runs["data"]), "--out", str(out)])
    assert (out / "quarantine" / "payments.csv").exists()
    assert leaked(out, secrets, joined=True) == {}
    assert scan_folder(out) == []


def test_the_pseudonym_key_is_never_written(runs: dict) -> None:
    run: Path = runs["pseudonymised"]
    for path in output_files(run):
        assert KEY not in visible_text(path), path.name
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    assert manifest["privacy"]["identifiers"] == "pseudonymised"
    assert manifest["config"]["privacy"]["pseudonym_key"] == "<not recorded>"


def known_pseudonyms(runs: dict, everything: bool) -> set[str]:
    """Pseudonyms of the normalised input identifiers (``everything``: of every input value)."""
    values = set(runs["id_numbers"] | runs["accounts"])
    if everything:  # household numbers, phones, credit codes are pseudonymised too
        for frame in runs["tables"].values():
            for column in frame.columns:
                if isinstance(frame[column].dtype, pd.StringDtype) or frame[column].dtype == object:
                    for value in frame[column].dropna().astype(str).unique():
                        values.update(part.strip() for part in value.split(";"))
    return {pseudonymise(value, KEY) for value in values if value}


def test_leads_and_evidence_name_people_and_accounts_by_their_pseudonyms(runs: dict) -> None:
    run: Path = runs["pseudonymised"]
    known = known_pseudonyms(runs, everything=False)
    for name in ("leads.csv", "evidence.csv"):
        rows = read_csv(run, name)
        hidden = rows[rows["entity_type"].isin(["person", "official", "account"])]
        assert len(hidden) > 10
        assert hidden["entity_id"].isin(known).all(), name
        if "related_ids" in rows:
            related = {p for ids in rows["related_ids"] for p in PSEUDONYM.findall(ids)}
            assert related and related <= known_pseudonyms(runs, everything=True)


def test_every_pseudonym_is_the_keyed_hash_of_an_input_value(runs: dict) -> None:
    run: Path = runs["pseudonymised"]
    known = known_pseudonyms(runs, everything=True)
    strays = {}
    for path in output_files(run):
        unknown = set(PSEUDONYM.findall(visible_text(path))) - known
        if unknown:
            strays[path.relative_to(run).as_posix()] = sorted(unknown)[:5]
    assert strays == {}


def test_one_person_one_pseudonym_in_every_file(runs: dict) -> None:
    run: Path = runs["pseudonymised"]
    official = runs["messy"]["official"]
    alias = pseudonymise(official, KEY)
    leads = read_csv(run, "leads.csv")
    own = leads[leads["entity_id"] == alias]
    assert len(own) >= 1 and set(own["entity_type"]) <= {"official", "person"}
    evidence = read_csv(run, "evidence.csv")
    assert (evidence.loc[evidence["lead_id"].isin(own["lead_id"]), "entity_id"] == alias).any()
    book = sheet(run, "线索清单")
    in_book = book[book.astype(str).isin(set(own["lead_id"])).any(axis=1)]
    assert len(in_book) == len(own)
    assert alias in set(in_book.astype(str).to_numpy().ravel())
    assert alias in visible_text(run / "report.html")
    # his ID and account written in full width in a quarantined row: the same pseudonyms
    ours = tagged_rows(read_csv(run, "quarantine/payments.csv"))
    assert alias in ours[2]
    assert pseudonymise(runs["messy"]["account"], KEY) in ours[2]
    # the lowercase x: the pseudonym of the upper-case ID
    assert pseudonymise(runs["messy"]["ends_in_x"], KEY) in ours[4]
    # the 15-digit legacy number and the hyphenated ID: the same pseudonym
    assert alias in ours[3]
    assert alias in ours[7]
    assert pseudonymise(runs["messy"]["account"], KEY) in ours[7]
    # accepted, upgraded and listed in data_quality.csv: masked there, in every mode
    quality = read_csv(run, "data_quality.csv")
    listed = quality.loc[quality["problem"].str.startswith("legacy_15"), "value"]
    assert list(listed) == [mask_id(legacy(official))]


def test_pseudonymised_and_full_runs_hold_the_same_leads(runs: dict) -> None:
    pseudonymised, full = read_csv(runs["pseudonymised"]), read_csv(runs["full"])
    assert len(full) > 0
    assert pseudonymised["lead_id"].tolist() == full["lead_id"].tolist()
    merged = pseudonymised.merge(full, on="lead_id", suffixes=("_p", "_f"))
    hidden = merged["entity_type_f"].isin(["person", "official", "account"])
    assert hidden.sum() > 10
    expected = merged.loc[hidden, "entity_id_f"].map(lambda v: pseudonymise(v, KEY))
    assert (merged.loc[hidden, "entity_id_p"] == expected).all()
    assert (merged["score_p"] == merged["score_f"]).all()


def test_score_contributions_are_not_identifiers(runs: dict) -> None:
    files = sorted(p.name for p in (runs["full"] / "scores").glob("*.csv"))
    assert "accounts.csv" in files and "villages.csv" in files
    for name in files:
        shown = read_csv(runs["pseudonymised"], f"scores/{name}")
        plain = read_csv(runs["full"], f"scores/{name}")
        contributions = [c for c in plain.columns if c.startswith("c_")]
        assert contributions
        pd.testing.assert_frame_equal(shown[contributions], plain[contributions])


def test_full_run_shows_the_identifiers(runs: dict) -> None:
    run: Path = runs["full"]
    leads = read_csv(run, "leads.csv")
    people = leads[leads["entity_type"].isin(["person", "official"])]
    assert len(people) > 5
    assert people["entity_id"].isin(runs["id_numbers"]).all()
    assert runs["messy"]["official"] in set(people["entity_id"])
    accounts = leads[leads["entity_type"] == "account"]
    assert accounts["entity_id"].isin(runs["accounts"]).all()
    book = sheet(run, "线索清单")
    assert runs["messy"]["official"] in set(book.astype(str).to_numpy().ravel())
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    assert manifest["privacy"] == {"identifiers": "masked", "show_identifiers": True}
    # the check that finds nothing in the pseudonymised run finds them here
    assert leaked(run, runs["id_numbers"], joined=False).get("leads.csv")


def test_public_disclosure_notices_stay_masked_when_identifiers_are_shown(runs: dict) -> None:
    # show_identifiers is for inspection teams; the notices are posted in the village
    run: Path = runs["full"]
    secrets: set[str] = runs["id_numbers"] | runs["accounts"]
    shown = leaked(run, secrets, joined=True)
    assert "leads.csv" in shown
    notices = sorted((run / "disclosure").glob("43*.html"))
    assert notices
    assert not [name for name in shown if name.startswith("disclosure/")]
    text = visible_text(notices[0])
    assert re.search(r"43\*{10,}[0-9]{2}[0-9X]", text)  # 43*************854
