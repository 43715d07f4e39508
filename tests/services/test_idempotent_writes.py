"""Idempotent by message: after a kill -9 the channel may run the same client message through Rasa
again, and the actions then call the service a second time with the same message id. That second
call writes nothing new and answers as the first did (issue 16)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.engine import unit_of_work
from bot.db.models import CheckIn, CoachAlert, SymptomReport
from bot.services import Services
from tests.services.conftest import Clock, Peek


def _counts(services: Services) -> tuple[int, int, int]:
    with unit_of_work(services.engine) as s:
        return tuple(s.execute(select(func.count()).select_from(model)).scalar_one()  # type: ignore[return-value]
                     for model in (CheckIn, SymptomReport, CoachAlert))


def test_a_checkin_run_again_logs_nothing_new_and_gets_the_same_reply(services: Services, clock: Clock, peek: Peek,
                                                                     ruth: int) -> None:
    services.plans.todays_plan(ruth)
    first = services.checkins.log_checkin(ruth, "done", 6, 7, None, "tg-500064")  # pain 7: a symptom and an alert too
    before = _counts(services)
    clock.advance(seconds=40)
    again = services.checkins.log_checkin(ruth, "done", 6, 7, None, "tg-500064")
    assert again == first
    assert _counts(services) == before == (1, 1, 1)
    assert services.checkins.log_checkin(ruth, "done", 6, 1, None, "tg-500065").text  # another message: logged
    assert len(peek.checkins(ruth)) == 2


def test_a_skip_run_again_is_logged_once(services: Services, peek: Peek, ruth: int) -> None:
    skip = services.checkins.log_skip
    assert skip(ruth, "visiting my sister", "tg-7") == skip(ruth, "visiting my sister", "tg-7")
    assert [c["status"] for c in peek.checkins(ruth)] == ["skipped"]


def test_a_pain_report_run_again_is_one_report_and_one_alert(services: Services, peek: Peek, ruth: int) -> None:
    first = services.safety.report_pain(ruth, 8, "hip", "my hip is an 8", message_id="tg-8")
    again = services.safety.report_pain(ruth, 8, "hip", "my hip is an 8", message_id="tg-8")
    assert again == first
    assert peek.symptoms(ruth) == [("pain", 8, "hip")]
    assert peek.alerts(ruth) == [("pain_high", "pain 8/10")]


def test_a_red_flag_run_again_minutes_later_is_one_report(services: Services, clock: Clock, peek: Peek,
                                                          ruth: int) -> None:
    services.safety.record_red_flag(ruth, "I fell down the stairs, 9 out of 10", 9, "wrist", "tg-9")
    clock.advance(minutes=5)  # past the window that pairs the action with the channel
    services.safety.record_red_flag(ruth, "I fell down the stairs, 9 out of 10", 9, "wrist", "tg-9")
    assert peek.symptoms(ruth) == [("red_flag", 9, "wrist"), ("pain", 9, "wrist")]
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag", "pain_high"]


def test_a_red_flag_after_a_logged_pain_report_does_not_report_the_pain_twice(
    services: Services, peek: Peek, ruth: int
) -> None:
    # "my back is an 8" is logged and asked about; "yes, I'm hurt" records the red flag for it.
    services.safety.report_pain(ruth, 8, "back", "my back is an 8", with_plan=False, message_id="tg-10")
    services.safety.record_red_flag(ruth, "my back is an 8", 8, "back", "tg-10")
    assert peek.symptoms(ruth) == [("pain", 8, "back"), ("red_flag", 8, "back")]
    assert [kind for kind, _ in peek.alerts(ruth)] == ["pain_high", "red_flag"]


def test_fatigue_and_a_request_for_a_person_run_again_are_written_once(services: Services, peek: Peek,
                                                                       ruth: int) -> None:
    safety = services.safety
    assert safety.report_fatigue(ruth, "so tired", "tg-11") == safety.report_fatigue(ruth, "so tired", "tg-11")
    assert safety.request_human(ruth, "/request_human", "tg-12")
    assert safety.request_human(ruth, "/request_human", "tg-12")
    assert peek.symptoms(ruth) == [("fatigue", None, None)]
    assert peek.alerts(ruth) == [("human_request", "/request_human")]


def test_without_a_message_id_every_call_is_a_new_record(services: Services, peek: Peek, ruth: int) -> None:
    services.safety.report_fatigue(ruth, "tired")
    services.safety.report_fatigue(ruth, "tired")
    services.safety.request_human(ruth, "call me")
    services.safety.request_human(ruth, "call me")
    assert len(peek.symptoms(ruth)) == 2 and len(peek.alerts(ruth)) == 2
