"""When the session database cannot be reached, every action that needs it answers with
utter_error instead of crashing, and still returns the events that tidy its slots."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from rasa_sdk import Action
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.coaching import (
    ActionHandleFatigue,
    ActionHandlePain,
    ActionLogCheckin,
    ActionLogSkip,
    ActionProgress,
    ActionTodaysWorkout,
)
from actions.onboarding import ActionSaveProfile, ActionStartSession
from actions.privacy import ActionForget
from actions.reminders import ActionPauseReminders, ActionResumeReminders, ActionSetReminder
from actions.safety import ActionRecordRedFlag, ActionRequestHuman
from bot.services import default_services

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker

Said = Callable[[], list[Any]]
NOTHING_LISTENS = "postgresql+psycopg2://x@127.0.0.1:1/x"

# Slots None: the finished onboarding form.
CASES: list[tuple[type[Action], dict[str, Any] | None, list[Any]]] = [
    (ActionStartSession, {}, []),
    (ActionSaveProfile, None, []),
    (ActionTodaysWorkout, {}, []),
    (ActionLogCheckin, {"effort": 5, "pain_score": 1}, [SlotSet("effort", None), SlotSet("pain_score", None)]),
    (ActionLogSkip, {"skip_reason": "busy"}, [SlotSet("skip_reason", None)]),
    (ActionHandlePain, {"pain_score": 6, "body_part": "knee"},
     [SlotSet("pain_score", None), SlotSet("body_part", None)]),
    (ActionHandleFatigue, {}, []),
    (ActionProgress, {}, []),
    (ActionRecordRedFlag, {}, [SlotSet("pain_score", None), SlotSet("body_part", None)]),
    (ActionRequestHuman, {}, []),
    (ActionSetReminder, {"reminder_time": "07:00"}, []),
    (ActionPauseReminders, {}, []),
    (ActionResumeReminders, {}, []),
    (ActionForget, {}, []),
]


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", NOTHING_LISTENS)
    default_services.cache_clear()


@pytest.mark.parametrize(("action", "slots", "events"), CASES, ids=[c[0].__name__ for c in CASES])
async def test_an_unreachable_database_gets_a_kind_error_reply(
    action: type[Action], slots: dict[str, Any] | None, events: list[Any], database_down: None,
    make_tracker: MakeTracker, profile_slots: dict[str, Any], dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    tracker = make_tracker("hello", slots=profile_slots if slots is None else slots)
    assert await action().run(dispatcher, tracker, domain) == events
    assert said() == ["utter_error"]


async def test_the_actions_recover_when_the_database_is_back(
    database: str, monkeypatch: pytest.MonkeyPatch, make_tracker: MakeTracker,
    dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
) -> None:
    monkeypatch.setenv("DATABASE_URL", NOTHING_LISTENS)
    default_services.cache_clear()
    await ActionStartSession().run(dispatcher, make_tracker("/start", "start"), domain)
    monkeypatch.setenv("DATABASE_URL", database)
    events = await ActionStartSession().run(dispatcher, make_tracker("/start", "start"), domain)
    assert events == [SlotSet("profile_complete", False)]
    assert said() == ["utter_error"]
