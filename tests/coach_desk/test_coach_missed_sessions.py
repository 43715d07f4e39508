"""Three planned sessions missed in a row raise one alert per lapse, whoever scans and how often."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.coach_desk.adherence import detect_missed_sessions, planned_days
from bot.coaching.engine import strength_weekdays, training_weekdays
from bot.coaching.models import Profile
from bot.db import clients, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import CoachAlert
from bot.scheduler.due import strength_days
from tests.coach_desk.seeding import CHICAGO, check_in, enrol, plan

JOINED = datetime(2026, 11, 1, 15, 0, tzinfo=timezone.utc)  # Sunday 1 Nov, 9:00 in Duluth
MON_WED_FRI = (0, 2, 4)
RUTH = 4_200_000_001


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=CHICAGO)


def missed_alerts(engine: Engine) -> list[CoachAlert]:
    with unit_of_work(engine) as s:
        return list(
            s.execute(
                select(CoachAlert).where(CoachAlert.kind == "missed_sessions").order_by(CoachAlert.id)
            ).scalars()
        )


def test_planned_days_are_the_training_weekdays_except_engine_rest_days() -> None:
    plans = {date(2026, 11, 23): "rest", date(2026, 11, 24): "walk", date(2026, 11, 25): "strength"}
    days = planned_days(MON_WED_FRI, plans, date(2026, 11, 20), date(2026, 11, 27))
    assert days == [date(2026, 11, 20), date(2026, 11, 25), date(2026, 11, 27)]


@given(
    weekdays=st.frozensets(st.integers(0, 6)),
    first=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    span=st.integers(-3, 60),
    plans=st.dictionaries(st.dates(date(2026, 1, 1), date(2027, 3, 1)), st.sampled_from(["rest", "stop", "walk",
                                                                                          "strength"])),
)
def test_planned_days_are_the_weekdays_of_the_span_in_order_without_rest_or_stop_days(
    weekdays: frozenset[int], first: date, span: int, plans: dict[date, str]
) -> None:
    last = first + timedelta(days=span)
    every_day = (first + timedelta(days=n) for n in range(span + 1))
    expected = [d for d in every_day if d.weekday() in weekdays and plans.get(d) not in ("rest", "stop")]
    assert planned_days(weekdays, plans, first, last) == expected


def test_the_third_missed_session_raises_one_alert_per_lapse(db_engine: Engine) -> None:
    enrol(db_engine, RUTH, "Ruth", JOINED, MON_WED_FRI)
    check_in(db_engine, RUTH, date(2026, 11, 16))
    check_in(db_engine, RUTH, date(2026, 11, 18))

    # Missed Fri 20 and Mon 23; Wed 25 is still today: two misses, no alert yet.
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 25))) == []
    # Thursday: Wed 25 is over, the third miss.
    created = detect_missed_sessions(db_engine, noon(date(2026, 11, 26)))
    [alert] = missed_alerts(db_engine)
    assert created == [alert.id]
    assert alert.detail == (
        "3 planned sessions in a row not done (Fri 20 Nov, Mon 23 Nov, Wed 25 Nov); last session done: Wed 18 Nov."
    )
    # Scanning again, and a fourth miss, add nothing: it is the same lapse.
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 26))) == []
    assert detect_missed_sessions(db_engine, noon(date(2026, 12, 1))) == []
    assert len(missed_alerts(db_engine)) == 1

    # Back on track on Wed 2 Dec, then three more misses: a new lapse, a new alert.
    check_in(db_engine, RUTH, date(2026, 12, 2), "partial")
    assert detect_missed_sessions(db_engine, noon(date(2026, 12, 8))) == []  # Fri 4, Mon 7
    assert len(detect_missed_sessions(db_engine, noon(date(2026, 12, 10)))) == 1  # + Wed 9
    assert len(missed_alerts(db_engine)) == 2
    assert "last session done: Wed 2 Dec" in missed_alerts(db_engine)[1].detail


def test_skipped_sessions_count_as_missed(db_engine: Engine) -> None:
    enrol(db_engine, RUTH, "Ruth", JOINED, MON_WED_FRI)
    check_in(db_engine, RUTH, date(2026, 11, 18))
    for day in (20, 23, 25):
        check_in(db_engine, RUTH, date(2026, 11, day), "skipped", note="busy week")
    assert len(detect_missed_sessions(db_engine, noon(date(2026, 11, 26)))) == 1


def test_a_rest_day_the_engine_planned_is_not_a_miss(db_engine: Engine) -> None:
    enrol(db_engine, RUTH, "Ruth", JOINED, MON_WED_FRI)
    check_in(db_engine, RUTH, date(2026, 11, 18))
    plan(db_engine, RUTH, date(2026, 11, 23), "rest", noon(date(2026, 11, 23)))  # pain that day
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 26))) == []
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 28))) != []  # + Fri 27


def test_a_new_client_never_trained_is_alerted_once_and_joining_day_is_no_miss(db_engine: Engine) -> None:
    # Joined on Monday 16 Nov, a training day: the first planned day is Wed 18.
    enrol(db_engine, RUTH, "Ruth", noon(date(2026, 11, 16)), MON_WED_FRI)
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 21))) == []  # Wed 18, Fri 20
    assert len(detect_missed_sessions(db_engine, noon(date(2026, 11, 24)))) == 1  # + Mon 23
    assert "last session done: none yet" in missed_alerts(db_engine)[0].detail
    assert detect_missed_sessions(db_engine, noon(date(2026, 12, 24))) == []


def test_clients_told_not_to_train_or_paused_are_not_chased(db_engine: Engine) -> None:
    enrol(db_engine, RUTH, "Ruth", JOINED, MON_WED_FRI)
    enrol(db_engine, RUTH + 1, "Otto", JOINED, MON_WED_FRI)
    with unit_of_work(db_engine) as s:
        symptoms.record_symptom(s, clients.get_client(s, RUTH), "red_flag", None, None, "fell hard", JOINED)
        clients.get_client(s, RUTH + 1).state = "paused"
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 26))) == []


def test_scanners_running_at_once_create_the_alert_once(db_engine: Engine) -> None:
    for n in range(5):
        enrol(db_engine, RUTH + n, f"Client {n}", JOINED, MON_WED_FRI)
    now = noon(date(2026, 11, 26))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: detect_missed_sessions(db_engine, now), range(4)))
    assert sum(len(r) for r in results) == 5
    alerts = missed_alerts(db_engine)
    assert sorted(a.client_id for a in alerts) == sorted({a.client_id for a in alerts})
    assert len(alerts) == 5
    assert now - timedelta(seconds=1) < alerts[0].at <= now


def test_missed_sessions_count_only_the_strength_days_that_plans_and_reminders_use(db_engine: Engine) -> None:
    """Chosen Mon, Tue and Wed: strength is never two days in a row, so plans and reminders use
    Monday and Wednesday, and a Tuesday without a session is not a miss (issue 13, gap 6)."""
    enrol(db_engine, RUTH, "Ruth", JOINED, (0, 1, 2))
    check_in(db_engine, RUTH, date(2026, 11, 16))  # Monday
    # Tue 17 was never planned: Wed 18 and Mon 23 are two misses, no alert yet.
    assert detect_missed_sessions(db_engine, noon(date(2026, 11, 24))) == []
    detect_missed_sessions(db_engine, noon(date(2026, 11, 26)))
    [alert] = missed_alerts(db_engine)
    assert "(Wed 18 Nov, Mon 23 Nov, Wed 25 Nov)" in alert.detail


def test_one_function_decides_training_days_for_plans_reminders_and_missed_sessions() -> None:
    for chosen in ((0, 1, 2), (0, 3), (5, 6), (), (0, 1, 2, 3, 4, 5, 6)):
        for per_week in (2, 3):
            profile = Profile("some", False, 0, "high", 0, per_week, chosen, frozenset())
            expected = frozenset(strength_weekdays(profile))
            assert strength_days(per_week, chosen) == expected
            assert frozenset(training_weekdays(per_week, frozenset(chosen))) == expected
