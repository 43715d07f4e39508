"""`bone-coach`, the clinic's command line, run as the installed console script against a seeded
SQLite database: the adherence report (table, CSV, sorting), invites, the allow-list, alerts, flags."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.coaching.engine import training_weekdays
from bot.db import alerts, clients, invites, symptoms
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.invites import INVITE_ALPHABET
from bot.db.models import DEFAULT_TIMEZONE
from bot.services import Services
from bot.settings import REPO_ROOT
from tests.coach_desk.seeding import EVERY_DAY, check_in, enrol, local_days_before

BONE_COACH = Path(sys.executable).with_name("bone-coach")
ADA, BEA, CY, DEE = 4_500_000_001, 4_500_000_002, 4_500_000_003, 4_500_000_004


def bone_coach(database: Path, *args: str, expect: int = 0) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run([str(BONE_COACH), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == expect, done.stdout + done.stderr
    return done.stdout + done.stderr if expect else done.stdout


def table(output: str) -> list[list[str]]:
    """The table's rows (header first, the dashes dropped), cells split on runs of spaces."""
    lines = [line for line in output.splitlines() if line and not set(line) <= {"-", " "}]
    return [re.split(r"\s{2,}", line.strip()) for line in lines]


ADA_DONE = range(1, 8)
CY_DONE = (1, 2, 3, 15, 16)


def planned(done_days_ago: Iterable[int], window: int) -> int:
    """Days planned in the report's window (yesterday and the `window - 1` days before it): the
    strength weekdays picked from "every day" at 3 a week, plus the days a session was done."""
    today = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
    strength = training_weekdays(3, range(7))
    days = {today - timedelta(days=n) for n in range(1, window)
            if (today - timedelta(days=n)).weekday() in strength}
    return len(days | {today - timedelta(days=n) for n in done_days_ago if n < window})


def csv_rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three clients who train every day of the week, joined 40 days ago:
    Ada did the last 7 days (pain 1); Bea did nothing and reported a red flag;
    Cy did the last 3 days (pain 6) and two sessions two weeks before (pain 2)."""
    path = tmp_path_factory.mktemp("cli") / "bone_coach.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    now = datetime.now(timezone.utc)
    for chat_id, name in ((ADA, "Ada"), (BEA, "Bea"), (CY, "Cy")):
        enrol(engine, chat_id, name, now - timedelta(days=40), EVERY_DAY)
    for n in ADA_DONE:
        check_in(engine, ADA, local_days_before(now, n), pain=1, rpe=5)
    for n, pain in zip(CY_DONE, (6, 6, 6, 2, 2), strict=True):
        check_in(engine, CY, local_days_before(now, n), pain=pain, rpe=6)
    with unit_of_work(engine) as s:
        bea = clients.get_client(s, BEA)
        symptoms.record_symptom(s, bea, "red_flag", None, None, "I fell off a chair", now)
        alerts.create_alert(s, bea, "red_flag", "I fell off a chair", now)
    engine.dispose()
    return path


def test_report_table_shows_each_client_adherence_streak_pain_and_alerts(clinic: Path) -> None:
    header, *rows = table(bone_coach(clinic, "report"))
    assert header == ["Client", "Chat id", "7d done/planned", "28d done/planned", "Adherence 7d %", "Streak",
                      "Last session", "Pain 14d avg", "Pain trend", "Red flags", "Open alerts"]
    by_name = {row[0]: row for row in rows}
    assert [row[0] for row in rows] == ["Ada", "Bea", "Cy"]
    # Today is not over and nobody checked in today: it counts for no one yet. Planned: the
    # strength weekdays the engine picks from "every day" (never two in a row) and any day done.
    ada7, ada28 = planned(ADA_DONE, 7), planned(ADA_DONE, 28)
    assert by_name["Ada"][2:6] == ["6/6", f"7/{ada28}", "100", "7"] and ada7 == 6
    assert by_name["Ada"][7:] == ["1.0", "not enough data", "0", "0"]
    assert by_name["Bea"][2:6] == [f"0/{planned((), 7)}", f"0/{planned((), 28)}", "0", "0"]
    assert by_name["Bea"][-3:] == ["not enough data", "1", "1"]
    cy7 = planned(CY_DONE, 7)
    assert by_name["Cy"][2:6] == [f"3/{cy7}", f"5/{planned(CY_DONE, 28)}", str(round(300 / cy7)), "5"]
    assert by_name["Cy"][7:] == ["6.0", "worse", "0", "0"]


def test_report_csv_has_the_numbers_for_a_spreadsheet(clinic: Path) -> None:
    rows = {r["name"]: r for r in csv_rows(bone_coach(clinic, "report", "--csv", "--days", "28"))}
    assert set(rows) == {"Ada", "Bea", "Cy"}
    assert rows["Ada"]["chat_id"] == str(ADA)
    ada28 = planned(ADA_DONE, 28)
    assert (rows["Ada"]["done_28d"], rows["Ada"]["planned_28d"], rows["Ada"]["adherence_pct"]) == (
        "7", str(ada28), str(round(700 / ada28)))
    cy = rows["Cy"]
    assert (cy["adherence_days"], cy["pain_avg_14d"], cy["pain_trend"]) == ("28", "6.00", "worse")
    assert (rows["Bea"]["open_red_flags"], rows["Bea"]["pain_avg_14d"], rows["Bea"]["last_session"]) == ("1", "", "")
    assert rows["Ada"]["last_session"] == rows["Cy"]["last_session"] != ""


@pytest.mark.parametrize(
    ("options", "order"),
    [
        ((), ["Ada", "Bea", "Cy"]),
        (("--sort", "adherence"), ["Bea", "Cy", "Ada"]),
        (("--sort", "adherence", "--days", "28"), ["Bea", "Cy", "Ada"]),
        (("--sort", "pain"), ["Cy", "Ada", "Bea"]),
        (("--sort", "alerts"), ["Bea", "Ada", "Cy"]),
    ],
)
def test_report_sorts_by_what_the_coach_asks(clinic: Path, options: tuple[str, ...], order: list[str]) -> None:
    assert [r["name"] for r in csv_rows(bone_coach(clinic, "report", "--csv", *options))] == order


def test_report_refuses_other_windows(clinic: Path) -> None:
    assert "invalid choice" in bone_coach(clinic, "report", "--days", "10", expect=2)


def test_invites_are_created_listed_and_show_who_used_them(tmp_path: Path) -> None:
    database = tmp_path / "bone_coach.db"
    assert "No invite codes yet." in bone_coach(database, "invite", "list")
    first, link, *_ = bone_coach(database, "invite", "create", "--by", "Sue").splitlines()
    assert len(first) == 8 and set(first) <= set(INVITE_ALPHABET)
    assert link.endswith(f"?start={first}")
    second = bone_coach(database, "invite", "create").splitlines()[0]
    assert second != first

    engine = make_engine(f"sqlite:///{database}")
    with unit_of_work(engine) as s:
        assert invites.redeem_invite(s, first.lower(), ADA, "Ada", datetime.now(timezone.utc)) is not None
    engine.dispose()

    header, *rows = table(bone_coach(database, "invite", "list"))
    assert header == ["Code", "Created", "By", "Used by chat", "Used"]
    assert [(r[0], r[2], r[3]) for r in rows[:1]] == [(first, "Sue", str(ADA))]
    listed = csv_rows(bone_coach(database, "invite", "list", "--csv"))
    assert [(r["code"], r["created_by"], r["redeemed_by_chat_id"]) for r in listed] == [
        (first, "Sue", str(ADA)), (second, "", "")]


def test_the_allow_list_is_added_to_listed_and_removed_from(tmp_path: Path) -> None:
    database = tmp_path / "bone_coach.db"
    assert "The allow-list is empty." in bone_coach(database, "allow", "list")
    assert "Chat 123456789 is on the allow-list." in bone_coach(database, "allow", "add", "123456789")
    bone_coach(database, "allow", "add", "123456789", "--note", "referred by Dr Lee")
    bone_coach(database, "allow", "add", "-1001", "--note", "walking group")
    header, *rows = table(bone_coach(database, "allow", "list"))
    assert header == ["Chat id", "Added", "Note"]
    assert [(r[0], r[-1]) for r in rows] == [("-1001", "walking group"), ("123456789", "referred by Dr Lee")]

    assert "removed" in bone_coach(database, "allow", "remove", "-1001")
    assert "was not on the allow-list" in bone_coach(database, "allow", "remove", "-1001", expect=1)
    assert [r["chat_id"] for r in csv_rows(bone_coach(database, "allow", "list", "--csv"))] == ["123456789"]


def test_alerts_are_listed_handled_and_a_red_flag_cleared_once(clinic: Path, tmp_path: Path) -> None:
    database = tmp_path / "bone_coach.db"
    database.write_bytes(clinic.read_bytes())  # a copy: this test changes it
    header, *rows = table(bone_coach(database, "alerts", "--open"))
    assert header == ["#", "When", "Kind", "Client", "Chat id", "Detail", "Sent to chat", "Handled by"]
    [row] = rows
    alert_id = row[0]
    assert row[2:] == ["red flag", "Bea", str(BEA), "I fell off a chair", "not yet"]

    assert "--by" in bone_coach(database, "alerts", "handle", alert_id, expect=2)
    assert "There is no alert #9999." in bone_coach(database, "alerts", "handle", "9999", "--by", "Sue", expect=1)
    handled = bone_coach(database, "alerts", "handle", alert_id, "--by", "Sue")
    assert handled.strip() == (f"Alert #{alert_id} (red flag, Bea) marked handled by Sue. Bea still may not train: "
                               f"when the clinic clears them, /clear {BEA} (command line: bone-coach clear {BEA}); "
                               "they are told.")
    assert "already handled by Sue" in bone_coach(database, "alerts", "handle", alert_id, "--by", "Tom")
    bea = {r["name"]: r for r in csv_rows(bone_coach(database, "report", "--csv"))}["Bea"]
    assert bea["open_red_flags"] == "1"  # handled is not cleared

    assert "--by" in bone_coach(database, "clear", str(BEA), expect=2)
    assert "No client with chat id 9." in bone_coach(database, "clear", "9", "--by", "Sue", expect=1)
    cleared = bone_coach(database, "clear", str(BEA), "--by", "Sue")
    assert cleared.strip() == f"Bea (chat {BEA}): 1 red flag(s) cleared, 0 alert(s) closed. They can train again."
    again = bone_coach(database, "clear", str(BEA), "--by", "Tom")
    assert again.startswith(f"Bea (chat {BEA}) has no red flags left to clear: the last was cleared by Sue (")

    assert "No open alerts." in bone_coach(database, "alerts", "--open")
    [listed] = csv_rows(bone_coach(database, "alerts", "--csv"))
    assert (listed["id"], listed["kind"], listed["handled_by"]) == (alert_id, "red_flag", "Sue")
    bea = {r["name"]: r for r in csv_rows(bone_coach(database, "report", "--csv"))}["Bea"]
    assert (bea["open_red_flags"], bea["open_alerts"]) == ("0", "0")


def test_clinic_flags_are_shown_set_and_followed_by_todays_plan(clinic: Path, tmp_path: Path) -> None:
    database = tmp_path / "bone_coach.db"
    database.write_bytes(clinic.read_bytes())
    engine = make_engine(f"sqlite:///{database}")
    enrol(engine, DEE, "Dee", datetime.now(timezone.utc) - timedelta(days=1), EVERY_DAY)
    services = Services.over(engine)
    # Whichever day the test runs (strength, balance or walking day), a plan has exercises.
    assert re.search(r"(?m)^1\. ", services.plans.todays_plan(DEE).text)

    assert bone_coach(database, "flags", str(DEE)).strip() == (
        f"Chat {DEE}: fracture=no high_risk=no weights=no floor=no")
    marked = bone_coach(database, "flags", str(DEE), "--fracture", "yes", "--weights", "yes")
    assert marked.strip() == f"Chat {DEE}: fracture=yes high_risk=no weights=yes floor=no"
    stopped = services.plans.todays_plan(DEE)  # the same day: the stored plan was made again
    assert stopped.buttons == () and not re.search(r"(?m)^1\. ", stopped.text), stopped.text

    bone_coach(database, "flags", str(DEE), "--fracture", "no")
    again = services.plans.todays_plan(DEE)
    assert again.buttons and re.search(r"(?m)^1\. ", again.text), again.text
    assert "No client with chat id 1." in bone_coach(database, "flags", "1", "--floor", "yes", expect=1)
    assert "invalid choice" in bone_coach(database, "flags", str(DEE), "--floor", "maybe", expect=2)
