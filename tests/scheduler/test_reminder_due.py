"""When a reminder is due: `compute_due` over clients in several zones, weekdays and states."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.db.reminders import Candidate, Key, Record
from bot.scheduler import load_config
from bot.scheduler.due import DueReport, compute_due, strength_days

CONFIG = load_config()
MONDAY = date(2026, 6, 1)


def client(
    cid: int = 1,
    tz: str = "America/Chicago",
    at: time = time(8, 0),
    days: tuple[int, ...] = (0, 3),
    light: bool = False,
) -> Candidate:
    return Candidate(cid, 1000 + cid, "Ada", tz, at, days, 2, light)


def local(day: date, clock: time, tz: str) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(tz))


def due(
    candidates: list[Candidate],
    now: datetime,
    records: dict[Key, Record] | None = None,
    checked_in: set[tuple[int, date]] | None = None,
) -> DueReport:
    return compute_due(candidates, records or {}, checked_in or set(), now, CONFIG)


def sent(cid: int, day: date, kind: str, at: datetime) -> dict[Key, Record]:
    return {(cid, day, kind): Record(cid * 10, "sent", 1, at, None, at)}


def test_the_engine_decides_which_weekdays_are_strength_days() -> None:
    assert strength_days(2, (0, 3)) == {0, 3}
    assert strength_days(3, (0, 2, 4)) == {0, 2, 4}
    assert strength_days(2, (0, 1)) != {0, 1}  # never two strength days in a row


def test_due_from_the_chosen_local_time_in_every_zone() -> None:
    zones = ["America/Chicago", "Europe/London", "Asia/Tokyo", "Australia/Sydney", "Pacific/Honolulu"]
    clients = [client(i, tz) for i, tz in enumerate(zones, start=1)]
    for i, tz in enumerate(zones, start=1):
        at_eight = local(MONDAY, time(8, 0), tz)
        assert [d.client_id for d in due(clients, at_eight - timedelta(seconds=1)).due] != [i]
        found = due(clients, at_eight + timedelta(seconds=1)).due
        assert i in [d.client_id for d in found]
        [mine] = [d for d in found if d.client_id == i]
        assert (mine.day, mine.kind, mine.due_at) == (MONDAY, "checkin", at_eight)


def test_the_weekday_is_the_clients_own() -> None:
    # Monday 08:00 in Tokyo is still Sunday in UTC: a Monday client there is due, a Sunday one not.
    now = local(MONDAY, time(8, 5), "Asia/Tokyo")
    assert now.astimezone(timezone.utc).weekday() == 6
    report = due([client(1, "Asia/Tokyo", days=(0, 3)), client(2, "Asia/Tokyo", days=(2, 6))], now)
    assert [d.client_id for d in report.due] == [1]


def test_other_days_only_with_the_light_opt_in() -> None:
    tuesday = local(MONDAY + timedelta(days=1), time(8, 5), "America/Chicago")
    report = due([client(1), client(2, light=True)], tuesday)
    assert [(d.client_id, d.kind) for d in report.due] == [(2, "light")]


def test_more_than_three_hours_late_is_skipped_not_sent() -> None:
    eight = local(MONDAY, time(8, 0), "America/Chicago")
    assert [d.kind for d in due([client()], eight + timedelta(hours=3)).due] == ["checkin"]
    late = due([client()], eight + timedelta(hours=3, seconds=1))
    assert late.due == []
    assert [(c.kind, c.status, c.reason) for c in late.closing] == [("checkin", "skipped", "late")]


def test_a_late_evening_reminder_is_still_due_after_midnight() -> None:
    tuesday_0020 = local(MONDAY + timedelta(days=1), time(0, 20), "America/Chicago")
    report = due([client(at=time(23, 50))], tuesday_0020)
    assert [(d.day, d.kind) for d in report.due] == [(MONDAY, "checkin")]


def test_nothing_is_due_once_sent_or_checked_in() -> None:
    eight = local(MONDAY, time(8, 0), "America/Chicago")
    now = eight + timedelta(minutes=5)
    assert due([client()], now, sent(1, MONDAY, "checkin", eight)).due == []
    assert due([client()], now, checked_in={(1, MONDAY)}).due == []


def test_an_expired_claim_is_due_again_a_live_one_is_not() -> None:
    eight = local(MONDAY, time(8, 0), "America/Chicago")
    now = eight + timedelta(minutes=30)
    live = {(1, MONDAY, "checkin"): Record(7, "claimed", 1, eight, now + timedelta(seconds=1), None)}
    assert due([client()], now, live).due == []
    dead = {(1, MONDAY, "checkin"): Record(7, "claimed", 2, eight, now, None)}
    [again] = due([client()], now, dead).due
    assert (again.record_id, again.attempts) == (7, 2)
    worn_out = {(1, MONDAY, "checkin"): Record(7, "claimed", CONFIG.max_attempts, eight, now, None)}
    report = due([client()], now, worn_out)
    assert report.due == [] and [(c.status, c.record_id) for c in report.closing] == [("failed", 7)]


def test_the_evening_nudge_follows_an_unanswered_morning_reminder() -> None:
    tz = "America/Chicago"
    seven_pm = local(MONDAY, time(19, 0), tz)
    morning = sent(1, MONDAY, "checkin", local(MONDAY, time(8, 0), tz))
    assert due([client()], seven_pm - timedelta(minutes=1), morning).due == []
    assert [d.kind for d in due([client()], seven_pm, morning).due] == ["nudge"]
    assert due([client()], seven_pm, morning, checked_in={(1, MONDAY)}).due == []
    assert due([client()], seven_pm).due == []  # no morning reminder, no nudge
    too_close = sent(1, MONDAY, "checkin", local(MONDAY, time(17, 30), tz))
    assert due([client(at=time(17, 30))], seven_pm, too_close).due == []
    nudged = {**morning, **sent(1, MONDAY, "nudge", seven_pm)}
    assert due([client()], seven_pm + timedelta(minutes=30), nudged).due == []
    assert due([client()], seven_pm + CONFIG.nudge_window + timedelta(seconds=1), morning).due == []


def test_no_third_message_in_a_day() -> None:
    tz = "America/Chicago"
    two = {
        **sent(1, MONDAY, "checkin", local(MONDAY, time(8, 0), tz)),
        **sent(1, MONDAY, "light", local(MONDAY, time(8, 0), tz)),
    }
    report = due([client()], local(MONDAY, time(19, 5), tz), two)
    assert report.due == []
    assert [(c.kind, c.reason) for c in report.closing] == [("nudge", "daily_cap")]


def test_an_unknown_zone_costs_that_client_their_reminders_only() -> None:
    now = local(MONDAY, time(8, 5), "America/Chicago")
    report = due([client(1, "Mars/Olympus_Mons"), client(2)], now)
    assert [d.client_id for d in report.due] == [2]
