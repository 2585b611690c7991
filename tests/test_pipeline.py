"""Units of the scheduled job: periods, themes, previous runs, publication, store, manifest."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskmodel.config import load_config
from riskmodel.pipeline import find_previous_run, run_job
from riskmodel.pipeline import manifest as manifest_module
from riskmodel.pipeline import publish as publish_module
from riskmodel.pipeline.job import EXIT_BAD_INPUT, RunFailed
from riskmodel.pipeline.periods import PeriodError, auto_period, parse_period, resolve_period
from riskmodel.pipeline.store import load_json, load_table, save_json, save_table
from riskmodel.pipeline.themes import ThemeError, get_theme, theme_program_mask, theme_rule_ids

# --- periods ---------------------------------------------------------------------------


def test_month_and_quarter_bounds() -> None:
    march = parse_period("2024-03")
    assert (march.start, march.end, march.kind) == (date(2024, 3, 1), date(2024, 3, 31), "month")
    q3 = parse_period("2024q3")
    assert (q3.label, q3.start, q3.end) == ("2024Q3", date(2024, 7, 1), date(2024, 9, 30))
    assert parse_period("2024-02").end == date(2024, 2, 29)
    assert q3.as_of == date(2024, 9, 30)


@pytest.mark.parametrize("text", ["2024-13", "2024Q5", "2024", "Q3", "2024-3-1", "auto "])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


@given(st.integers(1900, 2199), st.integers(1, 12))
def test_month_round_trip_and_previous(year: int, month: int) -> None:
    period = parse_period(f"{year}-{month:02d}")
    assert parse_period(period.label) == period
    assert period.previous().end.toordinal() == period.start.toordinal() - 1


@given(st.integers(1900, 2199), st.integers(1, 4))
def test_quarter_previous_is_adjacent(year: int, quarter: int) -> None:
    period = parse_period(f"{year}Q{quarter}")
    assert period.previous().end.toordinal() == period.start.toordinal() - 1
    assert period.previous().kind == "quarter"


@pytest.mark.parametrize(
    ("last_payment", "expected"),
    [
        ("2024-09-15", "2024Q3"),  # data reach the quarter's final month: complete
        ("2024-09-01", "2024Q3"),
        ("2024-08-31", "2024Q2"),  # the last month of Q3 is missing: Q3 incomplete
        ("2024-10-20", "2024Q3"),
        ("2024-02-10", "2023Q4"),  # across the year boundary
        ("2024-03-05", "2024Q1"),
    ],
)
def test_auto_takes_the_last_complete_quarter(last_payment: str, expected: str) -> None:
    dates = pd.Series(pd.to_datetime(["2023-01-05", last_payment]))
    assert auto_period(dates).label == expected


def test_resolve_period() -> None:
    dates = pd.Series(pd.to_datetime(["2024-06-05"]))
    assert resolve_period(None, dates) is None
    assert resolve_period("", dates) is None
    assert resolve_period("AUTO", dates).label == "2024Q2"
    assert resolve_period("2024-05", None).label == "2024-05"
    with pytest.raises(PeriodError):
        auto_period(pd.Series([None, "not a date"]))


# --- themes ----------------------------------------------------------------------------


def test_declared_themes_cover_the_quarterly_themes() -> None:
    config = load_config()
    for name in (
        "agriculture",
        "forestry",
        "education",
        "civil_affairs",
        "poverty_office",
        "village_finance",
        "projects",
    ):
        theme = get_theme(config, name)
        assert theme is not None and theme.title and theme.rule_categories


def test_theme_categories_are_rule_categories() -> None:
    from riskmodel.rules.registry import CATEGORIES

    config = load_config()
    for name, entry in config["themes"].items():
        if isinstance(entry, dict):
            assert set(entry["rule_categories"]) <= set(CATEGORIES), name


def test_unknown_theme_lists_the_declared_ones() -> None:
    with pytest.raises(ThemeError, match="civil_affairs"):
        get_theme(load_config(), "fishing")
    assert get_theme(load_config(), "") is None


def test_theme_selects_programs_by_department_or_name() -> None:
    theme = get_theme(load_config(), "civil_affairs")
    payments = pd.DataFrame(
        {
            "program_code": ["P1", "P2", "P3", "P4"],
            "program_name": ["", "城乡最低生活保障", "耕地地力保护补贴", "生态护林员"],
        }
    )
    programs = pd.DataFrame(
        {
            "program_code": ["P1", "P3"],
            "program_name": ["特困供养", "耕地"],
            "department": ["民政局", "农业农村局"],
        }
    )
    mask = theme_program_mask(theme, payments, programs)
    assert mask.tolist() == [True, True, False, False]
    finance = get_theme(load_config(), "village_finance")
    assert theme_program_mask(finance, payments).all()  # no program filter


def test_theme_rule_ids_by_category_and_id() -> None:
    theme = get_theme(load_config(), "projects")
    rules = {"R001": "eligibility", "R050": "projects", "R060": "relationships"}
    assert theme_rule_ids(theme, rules) == ["R050", "R060"]


def test_user_config_can_add_a_theme(tmp_path: Path) -> None:
    path = tmp_path / "office.toml"
    path.write_text(
        '[themes.housing]\ntitle = "危房改造"\nrule_categories = ["eligibility"]\n'
        'rule_ids = []\ndepartments = ["住建局"]\nprogram_patterns = ["危房"]\n',
        encoding="utf-8",
    )
    theme = get_theme(load_config(path), "housing")
    assert theme.departments == ("住建局",)


# --- previous runs, staging, publication ------------------------------------------------


def make_run(folder: Path, period: str | None, finished: str, status: str = "ok") -> Path:
    folder.mkdir(parents=True)
    (folder / "leads.csv").write_text("lead_id\n", encoding="utf-8")
    manifest = {
        "status": status,
        "finished": finished,
        "period": {"label": period} if period else None,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_previous_run_is_the_newest_earlier_sibling(tmp_path: Path) -> None:
    q1 = make_run(tmp_path / "2024Q1", "2024Q1", "2024-04-05T00:00:00")
    q2 = make_run(tmp_path / "2024Q2", "2024Q2", "2024-07-05T00:00:00")
    make_run(tmp_path / "2024Q4", "2024Q4", "2025-01-05T00:00:00")  # later period: ignored
    make_run(tmp_path / "broken", "2024Q2", "2024-08-01T00:00:00", status="failed")
    (tmp_path / ".2024Q3.staging-1").mkdir()
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == q2
    assert find_previous_run(tmp_path / "2024Q2", "2024Q2") == q1  # rerun: the period before
    assert find_previous_run(tmp_path / "2024Q2", "2024Q3") == q2
    assert find_previous_run(tmp_path / "x", "2024Q2") == q1
    assert find_previous_run(tmp_path / "nothing" / "here") is None


def test_stale_staging_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    dead = tmp_path / ".run.staging-999999999"
    dead.mkdir()
    mine = publish_module.staging_path(out)
    mine.mkdir()
    actions = publish_module.recover_leftovers(out)
    assert not dead.exists() and mine.exists() and out.exists()
    assert actions == ["removed .run.staging-999999999 left by a killed run (process 999999999)"]


def test_old_run_moved_aside_by_a_killed_publish_is_restored(tmp_path: Path) -> None:
    out = tmp_path / "run"
    aside = tmp_path / ".run.old-999999999"
    aside.mkdir()
    (aside / "leads.csv").write_text("old", encoding="utf-8")
    publish_module.recover_leftovers(out)
    assert (out / "leads.csv").read_text() == "old" and not aside.exists()


def test_publish_replaces_the_old_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "a").write_text("old")
    staging = publish_module.staging_path(out)
    staging.mkdir()
    (staging / "a").write_text("new")
    publish_module.publish(staging, out)
    assert (out / "a").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_private_dirs_are_owner_only(tmp_path: Path) -> None:
    folder = publish_module.make_private_dir(tmp_path / "a" / "b")
    assert folder.stat().st_mode & 0o777 == 0o700


def test_failure_records_are_pruned(tmp_path: Path) -> None:
    out = tmp_path / "run"
    for stamp in ("20240101T000000-1", "20240102T000000-1", "20240103T000000-1"):
        (tmp_path / f".failed-run-{stamp}").mkdir()
    publish_module.prune_failure_records(out, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".failed-run-20240102T000000-1",
        ".failed-run-20240103T000000-1",
    ]


# --- bad input before any notebook runs -------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"theme": "fishing"}, "no theme named 'fishing'"),
        ({"period": "2024Q9"}, "not a month"),
    ],
)
def test_bad_arguments_fail_with_exit_1_before_running(
    tmp_path: Path, kwargs: dict, message: str
) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(RunFailed, match=message) as caught:
        run_job(tmp_path / "data", tmp_path / "out", stages=[], progress=False, **kwargs)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert not (tmp_path / "out").exists()


def test_missing_data_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(RunFailed, match="does not exist") as caught:
        run_job(tmp_path / "nope", tmp_path / "out", stages=[], progress=False)
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_unknown_config_key_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    config = tmp_path / "c.toml"
    config.write_text("[pipeline]\nstagez = []\n", encoding="utf-8")
    with pytest.raises(RunFailed, match="stagez") as caught:
        run_job(tmp_path / "data", tmp_path / "out", config_path=config, stages=[], progress=False)
    assert caught.value.exit_code == EXIT_BAD_INPUT


# --- store and manifest -----------------------------------------------------------------


def test_store_round_trip_keeps_types(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "id_number": ["430421199001011234", "430421199001011235"],
            "amount": [12.5, 3.0],
            "pay_date": pd.to_datetime(["2024-03-05", "2024-03-06"]),
            "mixed": pd.Series([1, "a"], dtype=object),  # Arrow cannot type it: kept as text
        }
    )
    save_table(tmp_path, "payments", table)
    back = load_table(tmp_path, "payments")
    assert back["amount"].dtype == "float64" and str(back["pay_date"].dtype).startswith(
        "datetime64"
    )
    assert back["mixed"].tolist() == ["1", "a"]
    save_json(tmp_path, "period", {"label": "2024Q3"})
    assert load_json(tmp_path, "period") == {"label": "2024Q3"}
    assert load_json(tmp_path, "absent", default=[]) == []
    with pytest.raises(FileNotFoundError, match="stage output 'leads' is missing"):
        load_table(tmp_path, "leads")


def test_a_rewritten_table_never_changes_under_a_reader(tmp_path: Path) -> None:
    path = save_table(tmp_path, "leads", pd.DataFrame({"lead": ["x" * 20] * 5000}))
    assert pa.ipc.open_file(pa.memory_map(str(path))).num_record_batches >= 1  # Arrow IPC
    first = load_table(tmp_path, "leads")  # memory-mapped
    save_table(tmp_path, "leads", pd.DataFrame({"lead": ["y"]}))
    assert first["lead"].tolist() == ["x" * 20] * 5000  # the old file stays whole
    assert load_table(tmp_path, "leads")["lead"].tolist() == ["y"]
    assert [p.name for p in (tmp_path / "tables").iterdir()] == ["leads.arrow"]


def test_a_table_keeps_its_index_when_asked(tmp_path: Path) -> None:
    ranged = pd.DataFrame({"a": [1, 2]})
    named = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="person_id"))
    save_table(tmp_path, "ranged", ranged, keep_index=True)
    save_table(tmp_path, "named", named, keep_index=True)
    pd.testing.assert_frame_equal(load_table(tmp_path, "ranged"), ranged, check_index_type=True)
    back = load_table(tmp_path, "named")
    assert back.index.name == "person_id" and back.index.tolist() == ["x", "y"]
    save_table(tmp_path, "dropped", named)
    assert load_table(tmp_path, "dropped").index.tolist() == [0, 1]


def test_fingerprints_detect_changes_and_skip_truth(tmp_path: Path) -> None:
    (tmp_path / "payments.csv").write_text("a")
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "planted.csv").write_text("x")
    before = manifest_module.fingerprint_inputs(tmp_path)
    assert list(before) == ["payments.csv"]
    (tmp_path / "payments.csv").write_text("b")
    (tmp_path / "deaths.csv").write_text("c")
    after = manifest_module.fingerprint_inputs(tmp_path)
    assert manifest_module.changed_inputs(before, after) == [
        "deaths.csv: added during the run",
        "payments.csv: modified during the run",
    ]
    assert manifest_module.changed_inputs(after, after) == []


def test_manifest_never_records_the_pseudonym_key() -> None:
    config = load_config()
    config["privacy"]["pseudonym_key"] = "office-secret"
    manifest = manifest_module.build_manifest(
        status="ok",
        data_dir=Path("d"),
        out_dir=Path("o"),
        config=config,
        config_path=None,
        started="s",
        finished="f",
        stages=[{"name": "01_validate", "seconds": 1.5, "status": "ok"}],
        inputs=None,
        fingerprints={"payments.csv": "abc"},
        period=None,
        theme=None,
        previous=None,
        rule_versions={},
        leads=pd.DataFrame(
            {"severity": ["高", "高", "中"], "status": ["new", "persisting", "new"]}
        ),
        resolved_count=2,
    )
    assert "office-secret" not in json.dumps(manifest, ensure_ascii=False)
    assert manifest["leads"]["by_severity"] == {"高": 2, "中": 1}
    assert manifest["leads"]["by_status"] == {"new": 2, "persisting": 1}
    assert manifest["inputs"] == [{"path": "payments.csv", "sha256": "abc"}]
    assert manifest["stage_seconds"] == {"01_validate": 1.5}
    assert manifest["config_hash"] and manifest["package_version"]


def test_lock_file_lives_beside_the_output(tmp_path: Path) -> None:
    from riskmodel.pipeline.lock import RunLock, lock_path

    out = tmp_path / "reports" / "2024Q3"
    with RunLock(out):
        assert lock_path(out) == tmp_path / "reports" / ".2024Q3.lock"
        assert lock_path(out).read_text() == str(os.getpid())


# --- the command ------------------------------------------------------------------------


def test_command_exit_codes_for_lock_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from riskmodel.cli import main
    from riskmodel.pipeline.lock import RunLock

    (tmp_path / "data").mkdir()
    out = tmp_path / "reports" / "2024Q3"
    with RunLock(out):
        assert main(["run", "--data", str(tmp_path / "data"), "--out", str(out)]) == 3
    assert "another run is writing" in capsys.readouterr().err
    code = main(["run", "--data", str(tmp_path / "data"), "--out", str(out), "--theme", "x"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no theme named 'x'" in err and "left unchanged" in err
