"""The coaching service's promises about plans and check-ins, through a real session database.

Every test runs on SQLite and on PostgreSQL (`db_engine`), with the clock fixed in Duluth's
summer (no icy-season rules): Monday 2 June 2025, 10:00 local.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING

from bot.coaching.library import default_library, default_rules
from bot.db import clients, symptoms
from bot.db.engine import unit_of_work
from bot.service import Coach, ProfileAnswers, messages, plan_buttons

if TYPE_CHECKING:
    from tests.service.conftest import Clock, Peek

CHAT = 5_000_000_042
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (date(2025, 6, d) for d in (2, 3, 4, 5))
STRENGTH_PATTERNS = {"sit_to_stand", "step_up", "hip_hinge", "row", "push", "back_extensor", "carry",
                     "heel_raise", "anti_rotation"}


def patterns(plan: dict) -> set[str]:
    return {e["pattern"] for e in plan["exercises"]}


def planned_logs(plan: dict) -> list[dict]:
    """What a "done" check-in should log: each planned exercise as prescribed."""
    keys = ("pattern", "rung", "sets", "reps", "seconds")
    return [{k: e[k] for k in keys} for e in plan["exercises"]]


# --- onboarding -------------------------------------------------------------------------------
def test_a_saved_profile_is_read_back_to_the_client_and_completes_onboarding(
    coach: Coach, answers: ProfileAnswers
) -> None:
    assert not coach.profile_complete(CHAT)
    reply = coach.save_profile(CHAT, "Ruth", answers)
    assert reply.text == messages()["profile_saved"].format(
        name="Ruth", days="Monday, Thursday", per_week=2, time="07:30", equipment="band, chair"
    )
    assert reply.buttons == ()
    assert coach.profile_complete(CHAT)
    assert coach.display_name(CHAT) == "Ruth"


def test_editing_the_profile_keeps_one_client_and_the_first_consent(
    coach: Coach, clock: Clock, answers: ProfileAnswers
) -> None:
    coach.save_profile(CHAT, "Ruth", answers)
    clock.advance(days=3)
    reply = coach.save_profile(CHAT, None, replace(answers, training_days=(1, 4), equipment=frozenset()))
    assert "Tuesday, Friday" in reply.text and "none needed" in reply.text
    with unit_of_work(coach.engine) as s:
        client = clients.get_client(s, CHAT)
        assert (client.display_name, client.state) == ("Ruth", "active")
        assert client.consent_at == datetime(2025, 6, 2, 15, 0, tzinfo=timezone.utc)
        assert client.profile.training_days == "1,4"


def test_without_a_profile_there_is_no_plan_no_checkin_and_no_progress(coach: Coach) -> None:
    not_onboarded = messages()["not_onboarded"]
    assert coach.todays_plan(CHAT).text == not_onboarded
    assert coach.log_checkin(CHAT, "done", 5, 1, None).text == not_onboarded
    assert coach.log_skip(CHAT, "busy").text == not_onboarded
    assert coach.progress(CHAT).text == not_onboarded
    assert coach.progress_chart_png(CHAT) is None
    assert coach.reminder_plan(CHAT) is None


# --- today's plan ----------------------------------------------------------------------------
def test_a_strength_weekday_gets_exercises_and_the_other_days_balance_or_walking(
    coach: Coach, clock: Clock, peek: Peek, ruth: int
) -> None:
    monday = coach.todays_plan(ruth)
    assert monday.text.startswith("Strength day — Monday 2 June\n1. ")
    assert monday.text.endswith(messages()["plan_footer"])
    assert monday.buttons == plan_buttons()
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "strength"
    assert len(plan["exercises"]) >= 6 and patterns(plan) & STRENGTH_PATTERNS

    clock.advance(days=1)
    tuesday = coach.todays_plan(ruth)
    assert tuesday.text.startswith("Balance day — Tuesday 3 June\n1. ")
    assert tuesday.buttons == plan_buttons()
    plan = peek.plan(ruth, TUESDAY)
    assert plan["kind"] == "balance" and plan["exercises"]
    assert not patterns(plan) & STRENGTH_PATTERNS

    clock.advance(days=1)
    assert coach.todays_plan(ruth).text.startswith("Walking day — Wednesday 4 June\n1. ")
    plan = peek.plan(ruth, WEDNESDAY)
    assert plan["kind"] == "walk" and "walk" in patterns(plan)
    assert not patterns(plan) & STRENGTH_PATTERNS


def test_the_plan_is_for_the_clients_local_day_not_the_utc_one(
    coach: Coach, clock: Clock, peek: Peek, ruth: int
) -> None:
    clock.now = datetime(2025, 6, 3, 3, 30, tzinfo=timezone.utc)  # Monday 22:30 in Duluth
    assert coach.todays_plan(ruth).text.startswith("Strength day — Monday 2 June")
    coach.log_checkin(ruth, "done", 5, 1, None)
    assert [c["day"] for c in peek.checkins(ruth)] == [MONDAY]
    assert peek.plan(ruth, TUESDAY) is None


def test_the_plan_is_made_once_a_day_and_the_same_plan_is_shown_again(
    coach: Coach, clock: Clock, peek: Peek, ruth: int
) -> None:
    first = coach.todays_plan(ruth)
    made_at, ladders = peek.plan_created_at(ruth, MONDAY), peek.ladders(ruth)
    clock.advance(hours=6)
    assert coach.todays_plan(ruth) == first
    assert peek.plan_created_at(ruth, MONDAY) == made_at
    assert peek.ladders(ruth) == ladders
    reminder = coach.reminder_plan(ruth)
    assert (reminder.kind, [e.name for e in reminder.exercises]) == (
        "strength", [e["name"] for e in peek.plan(ruth, MONDAY)["exercises"]]
    )


def test_a_pain_report_remakes_todays_plan(coach: Coach, clock: Clock, peek: Peek, ruth: int) -> None:
    before = coach.todays_plan(ruth)
    clock.advance(hours=1)
    coach.report_pain(ruth, 6, "knee", "my knee is a 6 today")
    after = coach.todays_plan(ruth)
    assert after != before
    assert after.text.startswith("Gentle day — Monday 2 June")
    assert peek.plan(ruth, MONDAY)["kind"] == "gentle"
    assert peek.plan_created_at(ruth, MONDAY) == clock.now


# --- check-ins --------------------------------------------------------------------------------
def test_a_done_checkin_logs_the_planned_exercises_and_celebrates_the_first_session(
    coach: Coach, peek: Peek, ruth: int
) -> None:
    coach.todays_plan(ruth)
    reply = coach.log_checkin(ruth, "done", 5, 1, None)
    m = messages()
    assert reply.text == " ".join([m["checkin_done"]["first"].format(name="Ruth"), m["effort_easy"].format(rpe=5)])
    [checkin] = peek.checkins(ruth)
    assert (checkin["day"], checkin["status"], checkin["rpe"], checkin["pain"]) == (MONDAY, "done", 5, 1)
    assert checkin["planned_session_id"] is not None
    assert checkin["logs"] == planned_logs(peek.plan(ruth, MONDAY))


def test_a_checkin_without_asking_for_the_plan_logs_the_plan_it_makes(coach: Coach, peek: Peek, ruth: int) -> None:
    coach.log_checkin(ruth, "done", 6, 0, None)
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "strength"
    assert peek.checkins(ruth)[0]["logs"] == planned_logs(plan)


def test_the_second_session_in_a_row_is_a_streak_and_hard_effort_or_pain_is_answered(
    coach: Coach, clock: Clock, ruth: int
) -> None:
    coach.log_checkin(ruth, "done", 5, 1, None)
    clock.advance(days=3)  # Thursday, the next strength day
    reply = coach.log_checkin(ruth, "done", 8, 3, None)
    m = messages()
    assert reply.text == " ".join([
        m["checkin_done"]["streak"].format(name="Ruth", streak=2),
        m["effort_hard"].format(rpe=8),
        m["pain_after"].format(pain=3),
    ])


def test_a_partly_done_session_is_logged_as_partial(coach: Coach, peek: Peek, ruth: int) -> None:
    reply = coach.log_checkin(ruth, "partial", None, None, None)
    assert reply.text == messages()["checkin_partial"]
    assert peek.checkins(ruth)[0]["status"] == "partial"


def test_a_skip_stores_the_reason_without_exercises_and_breaks_the_streak(
    coach: Coach, clock: Clock, peek: Peek, ruth: int
) -> None:
    coach.log_checkin(ruth, "done", 5, 1, None)
    clock.advance(days=3)
    reply = coach.log_skip(ruth, "My grandson was visiting")
    assert reply.text == messages()["skip_ack"].format(reason="My grandson was visiting")
    skipped = peek.checkins(ruth)[-1]
    assert (skipped["day"], skipped["status"], skipped["skip_reason"], skipped["logs"]) == (
        THURSDAY, "skipped", "My grandson was visiting", []
    )
    assert "• Streak: 0 in a row" in coach.progress(ruth).text


# --- pain and fatigue -------------------------------------------------------------------------
def test_red_zone_knee_pain_gets_a_gentle_plan_that_spares_the_knee(coach: Coach, peek: Peek, ruth: int) -> None:
    coach.todays_plan(ruth)  # the strength plan first: the report must replace it
    reply = coach.report_pain(ruth, 6, "knee", "my knee hurts, a 6")
    ack = messages()["pain_ack"]["red"].format(score=6, where="in your knee ")
    assert reply.text == f"{ack}\n\n{coach.todays_plan(ruth).text}"
    assert "Gentle day — Monday 2 June" in reply.text
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "gentle" and plan["exercises"]
    assert not patterns(plan) & STRENGTH_PATTERNS
    loads = {r.id: r.loads for r in default_library().gentle}
    assert all("knee" not in loads[e["rung_id"]] for e in plan["exercises"])
    assert peek.symptoms(ruth) == [("pain", 6, "knee")]
    assert peek.alerts(ruth) == []  # one red report below the alert score: no alert yet


def test_amber_pain_is_acknowledged_and_the_plan_stays_a_strength_day(coach: Coach, peek: Peek, ruth: int) -> None:
    reply = coach.report_pain(ruth, 3, "shoulder", "shoulder a bit sore")
    assert reply.text.startswith(messages()["pain_ack"]["amber"].format(score=3, where="in your shoulder "))
    assert peek.plan(ruth, MONDAY)["kind"] == "strength"
    assert peek.alerts(ruth) == []


def test_pain_at_the_clinics_alert_score_alerts_the_coach_at_once(coach: Coach, peek: Peek, ruth: int) -> None:
    alert_min = default_rules()["pain_zones"]["coach_alert_min"]
    coach.report_pain(ruth, alert_min - 1, "back", "back pain")
    assert peek.alerts(ruth) == []
    coach.report_pain(ruth, alert_min, "back", "back pain worse")
    assert peek.alerts(ruth)[-1] == ("pain_high", f"pain {alert_min}/10")


def test_two_red_pain_reports_in_a_week_alert_the_coach(coach: Coach, clock: Clock, peek: Peek, ruth: int) -> None:
    first = coach.report_pain(ruth, 5, "hip", "hip is a 5")
    assert messages()["pain_repeat_alert"] not in first.text
    clock.advance(days=2)
    second = coach.report_pain(ruth, 6, "hip", "hip is a 6 again")
    assert messages()["pain_repeat_alert"] in second.text
    assert peek.alerts(ruth) == [("pain_high", "two red-zone pain reports in a week")]


def test_red_pain_reports_more_than_a_week_apart_do_not_alert(
    coach: Coach, clock: Clock, peek: Peek, ruth: int
) -> None:
    coach.report_pain(ruth, 6, "hip", "hip is a 6")
    clock.advance(days=8)
    reply = coach.report_pain(ruth, 6, "hip", "hip is a 6 again")
    assert messages()["pain_repeat_alert"] not in reply.text
    assert peek.alerts(ruth) == []


def test_red_pain_at_two_checkins_in_a_week_alerts_the_coach(coach: Coach, clock: Clock, peek: Peek, ruth: int) -> None:
    coach.log_checkin(ruth, "done", 5, 6, None)
    assert peek.alerts(ruth) == []
    clock.advance(days=3)
    reply = coach.log_checkin(ruth, "done", 5, 6, None)
    assert messages()["pain_repeat_alert"] in reply.text
    assert peek.alerts(ruth) == [("pain_high", "two red-zone pain reports in a week")]
    assert [s[:2] for s in peek.symptoms(ruth)] == [("pain", 6), ("pain", 6)]


def test_very_high_pain_at_a_checkin_alerts_the_coach(coach: Coach, peek: Peek, ruth: int) -> None:
    coach.log_checkin(ruth, "done", 5, 9, None)
    assert peek.alerts(ruth) == [("pain_high", "pain 9/10")]


def test_fatigue_on_a_strength_day_gives_a_short_one_set_session(coach: Coach, peek: Peek, ruth: int) -> None:
    coach.todays_plan(ruth)
    reply = coach.report_fatigue(ruth, "so tired today")
    assert reply.text.startswith(messages()["fatigue_ack"] + "\n\nShort session — Monday 2 June\n1. ")
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "minimum"
    assert len(plan["exercises"]) == 3 and {e["sets"] for e in plan["exercises"]} == {1}
    assert plan["minutes"] <= 15
    assert peek.symptoms(ruth) == [("fatigue", None, None)]


def test_fatigue_on_a_light_day_is_short_too(coach: Coach, clock: Clock, peek: Peek, ruth: int) -> None:
    clock.advance(days=1)
    coach.report_fatigue(ruth, "exhausted")
    plan = peek.plan(ruth, TUESDAY)
    assert plan["kind"] == "minimum" and not patterns(plan) & STRENGTH_PATTERNS


def test_tiredness_reported_again_and_again_is_worth_a_word_with_the_clinic(
    coach: Coach, clock: Clock, ruth: int
) -> None:
    persistent = messages()["fatigue_persistent"]
    assert persistent not in coach.report_fatigue(ruth, "tired").text
    clock.advance(days=4)
    assert persistent not in coach.report_fatigue(ruth, "tired again").text
    clock.advance(days=4)
    assert persistent in coach.report_fatigue(ruth, "still tired").text


# --- red flags --------------------------------------------------------------------------------
def test_a_red_flag_stops_every_plan_until_a_coach_clears_it(coach: Coach, clock: Clock, peek: Peek, ruth: int) -> None:
    coach.todays_plan(ruth)
    coach.record_red_flag(ruth, "I fell and heard a crack in my back")
    assert peek.alerts(ruth) == [("red_flag", "I fell and heard a crack in my back")]
    assert peek.symptoms(ruth) == [("red_flag", None, None)]
    for days_on, title in ((0, "Monday 2 June"), (3, "Thursday 5 June"), (4, "Monday 9 June")):
        clock.advance(days=days_on)
        reply = coach.todays_plan(ruth)
        assert reply.text.startswith(f"{messages().plan.titles['stop']} — {title}\n\nWhy today looks like this:")
        assert reply.buttons == ()
        stored = peek.plan(ruth, clock.now.date())
        assert (stored["kind"], stored["exercises"]) == ("stop", [])
    with unit_of_work(coach.engine) as s:
        assert symptoms.clear_red_flags(s, clients.get_client(s, ruth), "Coach Ann", clock.now) == 1
    resumed = coach.todays_plan(ruth)  # the same day, once cleared
    assert resumed.text.startswith("Strength day — Monday 9 June")
    assert resumed.buttons == plan_buttons()
    clock.advance(days=1)
    assert coach.todays_plan(ruth).text.startswith("Walking day — Tuesday 10 June")


def test_a_red_flag_from_a_chat_without_a_profile_still_reaches_the_coach(coach: Coach, peek: Peek) -> None:
    coach.record_red_flag(CHAT, "chest pain")
    assert peek.alerts(CHAT) == [("red_flag", "chest pain")]
    assert coach.todays_plan(CHAT).text == messages()["not_onboarded"]


def test_the_same_red_flag_message_recorded_twice_is_one_report(coach: Coach, clock: Clock, peek: Peek,
                                                                 ruth: int) -> None:
    """The action and the Telegram channel both record a turn's red flag (after a "yes" to the
    safety question the channel has only the "yes"); the second finds the first."""
    coach.record_red_flag(ruth, "I fell and heard a crack in my back")
    coach.record_red_flag(ruth, "/affirm")
    assert peek.alerts(ruth) == [("red_flag", "I fell and heard a crack in my back")]
    clock.advance(minutes=3)
    coach.record_red_flag(ruth, "now my wrist is swollen too")  # a later message: another report
    clock.advance(minutes=11)
    coach.record_red_flag(ruth, "I fell and heard a crack in my back")  # said again later: reported again
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag"] * 3
    assert peek.symptoms(ruth) == [("red_flag", None, None)] * 3


def test_asking_for_a_human_alerts_the_coach(coach: Coach, peek: Peek, ruth: int) -> None:
    assert coach.request_human(ruth, "can someone call me?") is True
    assert peek.alerts(ruth) == [("human_request", "can someone call me?")]


# --- progress --------------------------------------------------------------------------------
def test_three_weeks_of_comfortable_sessions_climb_the_ladders(
    coach: Coach, clock: Clock, peek: Peek, answers: ProfileAnswers
) -> None:
    coach.save_profile(CHAT, "Ruth", replace(answers, experience="regular", sessions_per_week=3,
                                              training_days=(0, 2, 4)))
    assert coach.progress(CHAT).text == messages()["progress_none"]
    assert coach.progress_chart_png(CHAT) is None
    strength_days = []
    for _ in range(21):
        coach.todays_plan(CHAT)
        if peek.plan(CHAT, clock.now.date())["kind"] == "strength":
            coach.log_checkin(CHAT, "done", 5, 1, None)
            strength_days.append(clock.now.date())
        clock.advance(days=1)
    assert [d.weekday() for d in strength_days] == [0, 2, 4] * 3

    lines = coach.progress(CHAT).text.splitlines()
    assert lines[0] == "Your progress, Ruth:"
    assert "• Sessions in the last 4 weeks: 9" in lines
    assert "• Streak: 9 in a row" in lines
    climbed = int(next(line for line in lines if "Ladder steps climbed" in line).rsplit(" ", 1)[1])
    assert climbed > 0

    # The climb is real: logged rungs went up, one step at a time, and the stored ladders agree.
    rungs: dict[str, list[int]] = {}
    for checkin in peek.checkins(CHAT):
        for log in checkin["logs"]:
            rungs.setdefault(log["pattern"], []).append(log["rung"])
    assert all(b - a in (0, 1) for seq in rungs.values() for a, b in zip(seq, seq[1:], strict=False))
    ladders = peek.ladders(CHAT)
    assert sum(max(0, ladders[p] - seq[0]) for p, seq in rungs.items()) == climbed
    assert any(seq[-1] > seq[0] for seq in rungs.values())

    png = coach.progress_chart_png(CHAT)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_reminder_time_and_pause_persist(coach: Coach, ruth: int) -> None:
    m = messages()
    offer = m["reminder_set"].format(time="18:30") + m["reminder_rest_days_offer"]
    assert coach.set_reminder(ruth, time(18, 30)).text == offer
    assert coach.pause_reminders(ruth, True).text == m["reminders_paused"]
    with unit_of_work(coach.engine) as s:
        client = clients.get_client(s, ruth)
        assert (client.profile.reminder_time, client.reminders_paused) == (time(18, 30), True)
    assert coach.pause_reminders(ruth, False).text == m["reminders_resumed"].format(time="18:30")
    coach.pause_reminders(ruth, True)
    coach.set_reminder(ruth, time(7, 0))  # choosing a time turns reminders back on
    with unit_of_work(coach.engine) as s:
        client = clients.get_client(s, ruth)
        assert (client.profile.reminder_time, client.reminders_paused) == (time(7, 0), False)


def test_why_lists_every_reason_of_todays_plan_with_its_source(coach: Coach, ruth: int) -> None:
    """The plan message shows the first reasons and promises all of them on "why"."""
    coach.report_pain(ruth, 6, "knee", "my knee hurts, a 6")
    shown = coach.todays_plan(ruth).text.split(messages()["plan"]["why"])[1]
    shown_reasons = [line for line in shown.splitlines()
                     if line.startswith("- ") and line != messages()["plan"]["more"]]
    header, *why = coach.explain_today(ruth).text.splitlines()
    assert header == messages()["plan"]["why"]
    assert all(line.startswith("- ") and line.endswith(")") for line in why)  # each cites its source
    assert [line.rsplit(" (", 1)[0] for line in why[: len(shown_reasons)]] == shown_reasons
    assert any("knee" in line for line in why)
    assert coach.explain_today(ruth) == coach.explain_today(ruth)  # the stored plan, not a new one


def test_why_without_a_profile_offers_onboarding(coach: Coach) -> None:
    assert coach.explain_today(CHAT).text == messages()["not_onboarded"]
