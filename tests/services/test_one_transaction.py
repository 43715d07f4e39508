"""Every public service call is one transaction, the replanning it triggers included (issue 15):
counted as the database sees them (the engine's `begin` event: one per BEGIN, savepoints not
counted), and shown by a write the database refuses halfway, which leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.content.loader import messages
from bot.db.engine import ensure_schema
from bot.services import Services
from bot.services.types import ProfileAnswers, Reply
from tests.services.conftest import CHAT, MONDAY, Clock, Peek


@contextmanager
def transactions(engine: Engine) -> Iterator[list[Connection]]:
    """The transactions begun on `engine` inside the block, one entry per BEGIN."""
    begun: list[Connection] = []

    def on_begin(connection: Connection) -> None:
        begun.append(connection)

    event.listen(engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", on_begin)


def _pain(services: Services, ruth: int) -> Any:
    reply = services.safety.report_pain(ruth, 6, "knee", "my knee is a 6", message_id="tg-1")
    assert "Gentle day — Monday 2 June" in reply.text  # the report and the plan remade for it
    return reply


def _checkin(services: Services, ruth: int) -> Any:
    reply = services.checkins.log_checkin(ruth, "done", 6, 9, None, "tg-2")  # 9/10: a report and an alert too
    assert reply.text.startswith(messages()["checkin_done"]["first"].format(name="Ruth"))
    return reply


CALLS: dict[str, Callable[[Services, int], Any]] = {
    "report_pain": _pain,
    "log_checkin": _checkin,
    "report_fatigue": lambda services, ruth: services.safety.report_fatigue(ruth, "so tired", "tg-3"),
    "record_red_flag": lambda services, ruth: services.safety.record_red_flag(ruth, "I fell, 8/10", 8, "hip", "tg-4"),
    "answer_screening": lambda services, ruth: services.plans.answer_screening(ruth, "recent_fracture", False),
    "set_clinic_flags": lambda services, ruth: services.plans.set_clinic_flags(ruth, {"cleared_floor": True}),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_call_that_writes_and_replans_is_one_transaction(
    call: Callable[[Services, int], Any], services: Services, db_engine: Engine, peek: Peek, ruth: int
) -> None:
    services.plans.todays_plan(ruth)  # a plan to remake
    with transactions(db_engine) as begun:
        call(services, ruth)
    assert len(begun) == 1


def test_clearing_a_red_flag_and_replanning_is_one_transaction(
    services: Services, db_engine: Engine, peek: Peek, ruth: int
) -> None:
    services.safety.record_red_flag(ruth, "I fell and heard a crack")
    assert peek.plan(ruth, MONDAY)["kind"] == "stop"
    with transactions(db_engine) as begun:
        cleared = services.safety.clear_red_flags(ruth, "Sue")
    assert len(begun) == 1
    assert cleared is not None and cleared.cleared == 1
    assert peek.plan(ruth, MONDAY)["kind"] == "strength"


def test_saving_a_profile_that_remakes_todays_plan_is_one_transaction(
    services: Services, db_engine: Engine, peek: Peek, answers: ProfileAnswers, ruth: int
) -> None:
    services.plans.todays_plan(ruth)
    with transactions(db_engine) as begun:
        services.plans.save_profile(ruth, None, replace(answers, pain_today=6))  # red pain today: gentle
    assert len(begun) == 1
    assert peek.plan(ruth, MONDAY)["kind"] == "gentle"


# --- all or nothing ---------------------------------------------------------------------------
REFUSE_PLANS = {
    "sqlite": [
        "CREATE TRIGGER refuse_new_plans BEFORE INSERT ON planned_sessions BEGIN SELECT RAISE(ABORT, 'refused'); END",
        "CREATE TRIGGER refuse_plan_edits BEFORE UPDATE ON planned_sessions BEGIN SELECT RAISE(ABORT, 'refused'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
        "CREATE TRIGGER refuse_plans BEFORE INSERT OR UPDATE ON planned_sessions "
        "FOR EACH ROW EXECUTE PROCEDURE refuse_row()",
    ],
}


@pytest.fixture
def own_engine(blank_engine: Callable[[], Engine]) -> Engine:
    """A database of this test's own: its trigger must not reach other tests."""
    engine = blank_engine()
    ensure_schema(engine)
    return engine


REPORTS: dict[str, Callable[[Services], Reply | None]] = {
    "report_pain": lambda services: services.safety.report_pain(CHAT, 8, "hip", "my hip is an 8"),
    "record_red_flag": lambda services: services.safety.record_red_flag(CHAT, "I fell, my hip is an 8", 8, "hip"),
}


@pytest.mark.parametrize("report", REPORTS.values(), ids=REPORTS.keys())
def test_a_report_whose_replan_fails_leaves_nothing_behind(
    report: Callable[[Services], Reply | None], own_engine: Engine, clock: Clock, answers: ProfileAnswers
) -> None:
    """The replan's write is refused by the database itself (a trigger): the report and its
    alert, written earlier in the same call, are rolled back with it, so a retry starts clean."""
    services = Services.over(own_engine, clock)
    services.plans.save_profile(CHAT, "Ruth", answers)
    with own_engine.begin() as connection:
        for statement in REFUSE_PLANS[own_engine.dialect.name]:
            connection.exec_driver_sql(statement)
    with pytest.raises(SQLAlchemyError, match="refused"):
        report(services)
    peek = Peek(own_engine)
    assert (peek.symptoms(CHAT), peek.alerts(CHAT), peek.plan(CHAT, MONDAY)) == ([], [], None)
