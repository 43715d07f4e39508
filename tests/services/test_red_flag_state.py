"""One red-flag state, stored: open -> handled -> cleared, with who and when, moved only forward;
while it is not cleared no session is logged as training and no step up is promised (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.content.loader import clinic, messages
from bot.db import alerts, clients
from bot.db.engine import unit_of_work
from bot.db.models import SymptomReport
from bot.services import Services
from tests.services.conftest import Clock, Peek


def _flags(services: Services, chat_id: int) -> list[dict[str, Any]]:
    with unit_of_work(services.engine) as s:
        client = clients.get_client(s, chat_id)
        rows = s.execute(
            select(SymptomReport).where(SymptomReport.client_id == client.id, SymptomReport.kind == "red_flag")
            .order_by(SymptomReport.id)
        ).scalars()
        return [{"state": r.state, "handled_by": r.handled_by, "handled_at": r.handled_at,
                 "cleared_by": r.cleared_by, "cleared_at": r.cleared_at} for r in rows]


def _alert_id(services: Services, chat_id: int, kind: str) -> int:
    with unit_of_work(services.engine) as s:
        client = clients.get_client(s, chat_id)
        return next(a.id for a in alerts.list_alerts(s, client, open_only=True) if a.kind == kind)


def test_a_red_flag_goes_open_then_handled_then_cleared_with_who_and_when(
    services: Services, clock: Clock, ruth: int
) -> None:
    opened = clock.now
    services.safety.record_red_flag(ruth, "I fell and heard a crack in my back")
    assert _flags(services, ruth) == [dict(state="open", handled_by=None, handled_at=None, cleared_by=None,
                                        cleared_at=None)]

    clock.advance(minutes=20)
    handled = services.safety.handle_alert(_alert_id(services, ruth, "red_flag"), "Sue")
    assert handled is not None and (handled.already, handled.red_flag_open) == (False, True)
    assert _flags(services, ruth)[0] | {"cleared_at": None} == dict(
        state="handled", handled_by="Sue", handled_at=opened.replace(minute=20), cleared_by=None, cleared_at=None)
    assert services.plans.todays_plan(ruth).buttons == ()  # handled is not cleared: still no exercise

    clock.advance(hours=2)
    cleared = services.safety.clear_red_flags(ruth, "Dr Lee")
    assert cleared is not None and (cleared.cleared, cleared.alerts_closed) == (1, 0)
    [flag] = _flags(services, ruth)
    assert (flag["state"], flag["handled_by"], flag["cleared_by"], flag["cleared_at"]) == (
        "cleared", "Sue", "Dr Lee", clock.now)
    assert services.plans.todays_plan(ruth).buttons != ()


def test_clearing_twice_changes_nothing_and_says_who_cleared(services: Services, clock: Clock, ruth: int) -> None:
    services.safety.record_red_flag(ruth, "sudden sharp pain in my back")
    first = services.safety.clear_red_flags(ruth, "Sue")  # straight from open, the alert closed with it
    assert first is not None and (first.cleared, first.alerts_closed) == (1, 1)
    cleared_at = clock.now
    clock.advance(hours=1)
    again = services.safety.clear_red_flags(ruth, "Tom")
    assert again is not None
    assert (again.cleared, again.alerts_closed, again.cleared_by, again.cleared_at) == (0, 0, "Sue", cleared_at)
    assert _flags(services, ruth)[0]["cleared_by"] == "Sue"
    assert services.safety.clear_red_flags(424242, "Sue") is None


def test_handling_an_alert_twice_keeps_the_first_handler(services: Services, clock: Clock, ruth: int) -> None:
    services.safety.record_red_flag(ruth, "my legs went numb")
    alert_id = _alert_id(services, ruth, "red_flag")
    services.safety.handle_alert(alert_id, "Sue")
    clock.advance(hours=1)
    again = services.safety.handle_alert(alert_id, "Tom")
    assert again is not None and (again.already, again.handled_by) == (True, "Sue")
    assert _flags(services, ruth)[0]["handled_by"] == "Sue"
    assert services.safety.handle_alert(alert_id + 1000, "Sue") is None


def test_the_database_refuses_a_state_that_goes_backwards_or_lacks_its_times(services: Services, ruth: int) -> None:
    services.safety.record_red_flag(ruth, "I fell on the ice")
    services.safety.clear_red_flags(ruth, "Sue")
    for bad in ({"state": "open"}, {"state": "handled"}, {"state": None}, {"state": "gone"}):
        with pytest.raises(IntegrityError), unit_of_work(services.engine) as s:
            s.execute(update(SymptomReport).where(SymptomReport.kind == "red_flag").values(**bad))
    with pytest.raises(IntegrityError), unit_of_work(services.engine) as s:  # pain has no state
        s.execute(update(SymptomReport).where(SymptomReport.kind == "red_flag").values(kind="pain"))


@pytest.mark.parametrize("step", ["open", "handled"])
def test_no_checkin_is_logged_as_training_until_the_red_flag_is_cleared(
    services: Services, clock: Clock, peek: Peek, ruth: int, step: str
) -> None:
    services.plans.todays_plan(ruth)
    services.safety.record_red_flag(ruth, "I fell and heard a crack in my wrist")
    rungs = peek.ladders(ruth)
    if step == "handled":
        services.safety.handle_alert(_alert_id(services, ruth, "red_flag"), "Sue")
    m = messages()
    for status, rpe, pain in (("done", 5, 1), ("partial", 4, 2)):
        reply = services.checkins.log_checkin(ruth, status, rpe, pain, None, f"tg-{status}")
        assert reply.text == m["checkin_red_flag_open"].format(phone=clinic()["phone"])
        assert "step up" not in reply.text
    assert peek.checkins(ruth) == []
    assert peek.ladders(ruth) == rungs

    services.safety.clear_red_flags(ruth, "Dr Lee")
    clock.advance(days=3)  # Thursday: a strength day again
    services.plans.todays_plan(ruth)
    reply = services.checkins.log_checkin(ruth, "done", 5, 1, None, "tg-after")
    assert reply.text.startswith(m["checkin_done"]["first"].format(name="Ruth"))
    assert [c["status"] for c in peek.checkins(ruth)] == ["done"]


def test_pain_of_8_said_with_a_red_flag_alerts_both_and_the_plan_after_clearing_cites_it(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    services.safety.report_pain(ruth, 4, "knee", "my knee is a 4")  # the older, milder pain
    clock.advance(days=1)
    services.safety.record_red_flag(ruth, "my back hurts, 8 out of 10", 8, "back", "tg-500070")
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag", "pain_high"]
    assert ("pain", 8, "back") in peek.symptoms(ruth)
    services.safety.clear_red_flags(ruth, "Sue")
    plan = services.plans.todays_plan(ruth).text
    assert "back pain at 8/10" in plan


def test_the_channel_first_then_the_action_with_the_score_still_alerts_the_pain(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    # The channel records the turn's red flag from the text alone; the action brings the score.
    services.safety.record_red_flag(ruth, "my back hurts, 8 out of 10")
    clock.advance(seconds=5)
    services.safety.record_red_flag(ruth, "my back hurts, 8 out of 10", 8, "back", "tg-500071")
    services.safety.record_red_flag(ruth, "my back hurts, 8 out of 10", 8, "back", "tg-500071")  # run again
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag", "pain_high"]
    assert peek.symptoms(ruth) == [("red_flag", 8, "back"), ("pain", 8, "back")]


def test_a_new_red_flag_after_one_was_handled_is_a_new_report(services: Services, clock: Clock, peek: Peek,
                                                              ruth: int) -> None:
    services.safety.record_red_flag(ruth, "I fell on the ice")
    services.safety.handle_alert(_alert_id(services, ruth, "red_flag"), "Sue")
    clock.advance(seconds=30)
    services.safety.record_red_flag(ruth, "now my wrist looks bent")
    assert [f["state"] for f in _flags(services, ruth)] == ["handled", "open"]
    assert [kind for kind, _ in peek.alerts(ruth)] == ["red_flag", "red_flag"]
    cleared = services.safety.clear_red_flags(ruth, "Dr Lee")
    assert cleared is not None and (cleared.cleared, cleared.alerts_closed) == (2, 1)
