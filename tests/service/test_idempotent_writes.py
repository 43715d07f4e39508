"""Idempotent by message: after a kill -9 the channel may run the same client message through Rasa
again, and the actions then call the service a second time with the same message id. That second
call writes nothing new and answers as the first did (issue 16)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.engine import unit_of_work
from bot.db.models import CheckIn, CoachAlert, SymptomReport
from bot.service import Coach
from tests.service.conftest import Clock, Peek


def _counts(coach: Coach) -> tuple[int, int, int]:
    with unit_of_work(coach.engine) as s:
        return tuple(s.execute(select(func.count()).select_from(model)).scalar_one()  # type: ignore[return-value]
                     for model in (CheckIn, SymptomReport, CoachAlert))


def test_a_checkin_run_again_logs_nothing_new_and_gets_the_same_reply(coach: Coach, clock: Clock, peek: Peek,
                                                                     ruth: int) -> None:
    coach.todays_plan(ruth)
    first = coach.log_checkin(ruth, "done", 6, 7, None, "tg-500064")  # pain 7: a symptom and an alert too
    before = _counts(coach)
    clock.advance(seconds=40)
    again = coach.log_checkin(ruth, "done", 6, 7, None, "tg-500064")
    assert again == first
    assert _counts(coach) == before == (1, 1, 1)
    assert coach.log_checkin(ruth, "done", 6, 1, None, "tg-500065").text  # another message: logged
    assert len(peek.checkins(ruth)) == 2


def test_a_skip_run_again_is_logged_once(coach: Coach, peek: Peek, ruth: int) -> None:
    assert coach.log_skip(ruth, "visiting my sister", "tg-7") == coach.log_skip(ruth, "visiting my sister", "tg-7")
    assert [c["status"] for c in peek.checkins(ruth)] == ["skipped"]


def test_a_pain_report_run_again_is_one_report_and_one_alert(coach: Coach, peek: Peek, ruth: int) -> None:
    first = coach.report_pain(ruth, 8, "hip", "my hip is an 8", message_id="tg-8")
    again = coach.report_pain(ruth, 8, "hip", "my hip is an 8", message_id="tg-8")
    assert again == first
    assert peek.symptoms(ruth) == [("pain", 8, "hip")]
    assert peek.alerts(ruth) == [("pain_high", "pain 8/10")]


def test_a_red_flag_run_again_minutes_later_is_one_report(coach: Coach, clock: Clock, peek: Peek,
                                                          ruth: int) -> None:
    coach.record_red_flag(ruth, "I fell down the stairs, 9 out of 10", 9, "wrist", "tg-9")
    clock.advance(minutes=5)  # past the window that pairs the action with the channel
    coach.record_red_flag(ruth, "I fell down the stairs, 9 out of 10", 9, "wrist", "tg-9")
    assert peek.symptoms(ruth) == [("red_flag", 9, "wrist"), ("pain", 9, "wrist")]
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag", "pain_high"]


def test_a_red_flag_after_a_logged_pain_report_does_not_report_the_pain_twice(
    coach: Coach, peek: Peek, ruth: int
) -> None:
    # "my back is an 8" is logged and asked about; "yes, I'm hurt" records the red flag for it.
    coach.report_pain(ruth, 8, "back", "my back is an 8", with_plan=False, message_id="tg-10")
    coach.record_red_flag(ruth, "my back is an 8", 8, "back", "tg-10")
    assert peek.symptoms(ruth) == [("pain", 8, "back"), ("red_flag", 8, "back")]
    assert [kind for kind, _ in peek.alerts(ruth)] == ["pain_high", "red_flag"]


def test_fatigue_and_a_request_for_a_person_run_again_are_written_once(coach: Coach, peek: Peek,
                                                                       ruth: int) -> None:
    assert coach.report_fatigue(ruth, "so tired", "tg-11") == coach.report_fatigue(ruth, "so tired", "tg-11")
    assert coach.request_human(ruth, "/request_human", "tg-12") and coach.request_human(ruth, "/request_human", "tg-12")
    assert peek.symptoms(ruth) == [("fatigue", None, None)]
    assert peek.alerts(ruth) == [("human_request", "/request_human")]


def test_without_a_message_id_every_call_is_a_new_record(coach: Coach, peek: Peek, ruth: int) -> None:
    coach.report_fatigue(ruth, "tired")
    coach.report_fatigue(ruth, "tired")
    coach.request_human(ruth, "call me")
    coach.request_human(ruth, "call me")
    assert len(peek.symptoms(ruth)) == 2 and len(peek.alerts(ruth)) == 2
