"""SafetyService's promises, through a real session database: pain and fatigue reports remake
today's plan, the clinic is alerted at its thresholds, and a red flag stops every plan until the
clinic clears it.

Every test runs on SQLite and on PostgreSQL (`db_engine`), with the clock fixed in Duluth's
summer (no icy-season rules): Monday 2 June 2025, 10:00 local.
"""

from __future__ import annotations

from bot.coaching.library import default_library, default_rules
from bot.content.loader import messages
from bot.db import clients, symptoms
from bot.db.engine import unit_of_work
from bot.services import Services
from bot.services.planning import plan_buttons
from tests.services.conftest import (
    CHAT,
    MONDAY,
    STRENGTH_PATTERNS,
    TUESDAY,
    Clock,
    Peek,
    patterns,
)


def test_a_pain_report_remakes_todays_plan(services: Services, clock: Clock, peek: Peek, ruth: int) -> None:
    before = services.plans.todays_plan(ruth)
    clock.advance(hours=1)
    services.safety.report_pain(ruth, 6, "knee", "my knee is a 6 today")
    after = services.plans.todays_plan(ruth)
    assert after != before
    assert after.text.startswith("Gentle day — Monday 2 June")
    assert peek.plan(ruth, MONDAY)["kind"] == "gentle"
    assert peek.plan_created_at(ruth, MONDAY) == clock.now


def test_red_zone_knee_pain_gets_a_gentle_plan_that_spares_the_knee(services: Services, peek: Peek, ruth: int) -> None:
    services.plans.todays_plan(ruth)  # the strength plan first: the report must replace it
    reply = services.safety.report_pain(ruth, 6, "knee", "my knee hurts, a 6")
    ack = messages()["pain_ack"]["red"].format(score=6, where="in your knee ")
    assert reply.text == f"{ack}\n\n{services.plans.todays_plan(ruth).text}"
    assert "Gentle day — Monday 2 June" in reply.text
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "gentle" and plan["exercises"]
    assert not patterns(plan) & STRENGTH_PATTERNS
    loads = {r.id: r.loads for r in default_library().gentle}
    assert all("knee" not in loads[e["rung_id"]] for e in plan["exercises"])
    assert peek.symptoms(ruth) == [("pain", 6, "knee")]
    assert peek.alerts(ruth) == []  # one red report below the alert score: no alert yet


def test_amber_pain_is_acknowledged_and_the_plan_stays_a_strength_day(
    services: Services, peek: Peek, ruth: int
) -> None:
    reply = services.safety.report_pain(ruth, 3, "shoulder", "shoulder a bit sore")
    assert reply.text.startswith(messages()["pain_ack"]["amber"].format(score=3, where="in your shoulder "))
    assert peek.plan(ruth, MONDAY)["kind"] == "strength"
    assert peek.alerts(ruth) == []


def test_pain_at_the_clinics_alert_score_alerts_the_clinic_at_once(services: Services, peek: Peek, ruth: int) -> None:
    alert_min = default_rules()["pain_zones"]["coach_alert_min"]
    services.safety.report_pain(ruth, alert_min - 1, "back", "back pain")
    assert peek.alerts(ruth) == []
    services.safety.report_pain(ruth, alert_min, "back", "back pain worse")
    assert peek.alerts(ruth)[-1] == ("pain_high", f"pain {alert_min}/10")


def test_two_red_pain_reports_in_a_week_alert_the_clinic(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    first = services.safety.report_pain(ruth, 5, "hip", "hip is a 5")
    assert messages()["pain_repeat_alert"] not in first.text
    clock.advance(days=2)
    second = services.safety.report_pain(ruth, 6, "hip", "hip is a 6 again")
    assert messages()["pain_repeat_alert"] in second.text
    assert peek.alerts(ruth) == [("pain_high", "two red-zone pain reports in a week")]


def test_red_pain_reports_more_than_a_week_apart_do_not_alert(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    services.safety.report_pain(ruth, 6, "hip", "hip is a 6")
    clock.advance(days=8)
    reply = services.safety.report_pain(ruth, 6, "hip", "hip is a 6 again")
    assert messages()["pain_repeat_alert"] not in reply.text
    assert peek.alerts(ruth) == []


def test_fatigue_on_a_strength_day_gives_a_short_one_set_session(services: Services, peek: Peek, ruth: int) -> None:
    services.plans.todays_plan(ruth)
    reply = services.safety.report_fatigue(ruth, "so tired today")
    assert reply.text.startswith(messages()["fatigue_ack"] + "\n\nShort session — Monday 2 June\n1. ")
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "minimum"
    assert len(plan["exercises"]) == 3 and {e["sets"] for e in plan["exercises"]} == {1}
    assert plan["minutes"] <= 15
    assert peek.symptoms(ruth) == [("fatigue", None, None)]


def test_fatigue_on_a_light_day_is_short_too(services: Services, clock: Clock, peek: Peek, ruth: int) -> None:
    clock.advance(days=1)
    services.safety.report_fatigue(ruth, "exhausted")
    plan = peek.plan(ruth, TUESDAY)
    assert plan["kind"] == "minimum" and not patterns(plan) & STRENGTH_PATTERNS


def test_tiredness_reported_again_and_again_is_worth_a_word_with_the_clinic(
    services: Services, clock: Clock, ruth: int
) -> None:
    persistent = messages()["fatigue_persistent"]
    assert persistent not in services.safety.report_fatigue(ruth, "tired").text
    clock.advance(days=4)
    assert persistent not in services.safety.report_fatigue(ruth, "tired again").text
    clock.advance(days=4)
    assert persistent in services.safety.report_fatigue(ruth, "still tired").text


def test_a_red_flag_stops_every_plan_until_the_clinic_clears_it(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    services.plans.todays_plan(ruth)
    services.safety.record_red_flag(ruth, "I fell and heard a crack in my back")
    assert peek.alerts(ruth) == [("red_flag", "I fell and heard a crack in my back")]
    assert peek.symptoms(ruth) == [("red_flag", None, None)]
    for days_on, title in ((0, "Monday 2 June"), (3, "Thursday 5 June"), (4, "Monday 9 June")):
        clock.advance(days=days_on)
        reply = services.plans.todays_plan(ruth)
        assert reply.text.startswith(f"{messages().plan.titles['stop']} — {title}\n\nWhy today looks like this:")
        assert reply.buttons == ()
        stored = peek.plan(ruth, clock.now.date())
        assert (stored["kind"], stored["exercises"]) == ("stop", [])
    with unit_of_work(services.engine) as s:
        assert symptoms.clear_red_flags(s, clients.get_client(s, ruth), "Ann", clock.now) == 1
    resumed = services.plans.todays_plan(ruth)  # the same day, once cleared
    assert resumed.text.startswith("Strength day — Monday 9 June")
    assert resumed.buttons == plan_buttons()
    clock.advance(days=1)
    assert services.plans.todays_plan(ruth).text.startswith("Walking day — Tuesday 10 June")


def test_a_red_flag_from_a_chat_without_a_profile_still_reaches_the_clinic(services: Services, peek: Peek) -> None:
    services.safety.record_red_flag(CHAT, "chest pain")
    assert peek.alerts(CHAT) == [("red_flag", "chest pain")]
    assert services.plans.todays_plan(CHAT).text == messages()["not_onboarded"]


def test_the_same_red_flag_message_recorded_twice_is_one_report(services: Services, clock: Clock, peek: Peek,
                                                                 ruth: int) -> None:
    """The action and the Telegram channel both record a turn's red flag (after a "yes" to the
    safety question the channel has only the "yes"); the second finds the first."""
    services.safety.record_red_flag(ruth, "I fell and heard a crack in my back")
    services.safety.record_red_flag(ruth, "/affirm")
    assert peek.alerts(ruth) == [("red_flag", "I fell and heard a crack in my back")]
    clock.advance(minutes=3)
    services.safety.record_red_flag(ruth, "now my wrist is swollen too")  # a later message: another report
    clock.advance(minutes=11)
    services.safety.record_red_flag(ruth, "I fell and heard a crack in my back")  # said again later: reported again
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag"] * 3
    assert peek.symptoms(ruth) == [("red_flag", None, None)] * 3


def test_asking_for_a_human_alerts_the_clinic(services: Services, peek: Peek, ruth: int) -> None:
    assert services.safety.request_human(ruth, "can someone call me?") is True
    assert peek.alerts(ruth) == [("human_request", "can someone call me?")]
