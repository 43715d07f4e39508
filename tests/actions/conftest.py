"""The real custom actions against a real SQLite session database, configured the way the action
server is: DATABASE_URL in the environment, read by `bot.services.default_services()`.

Trackers are built by small factories (Sara / financial-demo style): a numeric Telegram chat id as
sender, the latest message with intent, entities and the sender's first name, slots and events.
The domain is the project's own (`domain.yml`), so forms have their real slots.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import bot.services
from actions.onboarding import ActionSaveProfile
from bot.services import default_services
from tests.support.databases import migrated_sqlite

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
CHAT = 5_000_000_077
FIRST_NAME = "Ruth"
# The action server's clock in these tests: a Wednesday morning in the clinic's zone, so no test
# depends on the day or hour it runs (midnight, a weekend, a DST change).
NOW = datetime(2026, 12, 9, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file per test, reached only through DATABASE_URL; the services' clock is NOW."""
    url = migrated_sqlite(tmp_path, "actions.db")
    monkeypatch.setenv("DATABASE_URL", url)
    build = bot.services.build_services
    monkeypatch.setattr(bot.services, "build_services", lambda settings: build(settings, clock=lambda: NOW))
    default_services.cache_clear()
    yield url
    if default_services.cache_info().currsize:
        default_services().engine.dispose()
    default_services.cache_clear()


@pytest.fixture(scope="session")
def domain() -> DomainDict:
    """The Rasa domain as one dict, as the action server receives it."""
    return dict(yaml.safe_load(DOMAIN_FILE.read_text()))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def user_event(text: str, intent: str, entities: list[dict[str, Any]] | None = None,
               message_id: str | None = None) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.95}, "entities": entities or [],
                       "text": text, "message_id": message_id},
        "message_id": message_id,
        "metadata": {"first_name": FIRST_NAME},
    }


def action_event(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


MakeTracker = Callable[..., Tracker]


@pytest.fixture
def make_tracker() -> MakeTracker:
    """tracker(text, intent, entities=, slots=, turns=, events=, sender_id=, first_name=,
    active_loop=, message_id=). `turns` are earlier user messages (text, intent) before this one;
    `events` replaces the whole event list; `message_id` is the latest message's (Rasa puts it in
    `latest_message`, our Telegram channel makes it "tg-<update id>")."""

    def make(
        text: str = "",
        intent: str = "inform",
        *,
        entities: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
        turns: Sequence[tuple[str, str]] = (),
        events: list[dict[str, Any]] | None = None,
        sender_id: str = str(CHAT),
        first_name: str | None = FIRST_NAME,
        active_loop: str | None = None,
        message_id: str | None = None,
    ) -> Tracker:
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities or [],
            "metadata": {"first_name": first_name} if first_name else {},
            "message_id": message_id,
        }
        if events is None:
            events = []
            for earlier, meant in turns:
                events += [action_event("action_listen"), user_event(earlier, meant)]
            events += [action_event("action_listen"), user_event(text, intent, entities, message_id)]
        return Tracker(sender_id, dict(slots or {}), latest, events, False, None,
                       {"name": active_loop} if active_loop else {}, "action_listen")

    return make


@pytest.fixture
def form_tracker(make_tracker: MakeTracker) -> Callable[..., Tracker]:
    """The tracker a form's validation action sees: the answer as the requested slot's candidate
    value, set by Rasa as the last event."""

    def make(form: str, slot: str, answer: Any, slots: dict[str, Any] | None = None) -> Tracker:
        events = [
            action_event(form),
            {"event": "slot", "name": "requested_slot", "value": slot},
            action_event("action_listen"),
            user_event(str(answer), "inform"),
            {"event": "slot", "name": slot, "value": answer},
        ]
        filled = {**(slots or {}), slot: answer, "requested_slot": slot}
        return make_tracker(str(answer), slots=filled, events=events, active_loop=form)

    return make


@pytest.fixture
def today() -> int:
    """Today's weekday in the clients' zone, by the action server's clock (NOW)."""
    return NOW.astimezone(ZoneInfo("America/Chicago")).weekday()


@pytest.fixture
def profile_slots(today: int) -> dict[str, Any]:
    """The slots of a finished onboarding form; today is one of the two strength days."""
    return {
        "consent": True,
        "experience": "some",
        "vertebral_fracture": False,
        "falls_last_year": 0,
        "balance_confidence": "high",
        "pain_today": 1,
        "sessions_per_week": 2,
        "training_days": sorted({today, (today + 3) % 7}),
        "reminder_time": "07:30",
        "equipment": ["band", "chair"],
        "recent_fracture": False,
        "several_fractures": False,
        "height_loss_or_curve": False,
    }


@pytest.fixture
async def onboarded(make_tracker: MakeTracker, profile_slots: dict[str, Any], domain: DomainDict) -> int:
    """Ruth has finished onboarding (through the real save action); her chat id."""
    await ActionSaveProfile().run(CollectingDispatcher(), make_tracker(slots=profile_slots), domain)
    return CHAT


@pytest.fixture
def said(dispatcher: CollectingDispatcher, domain: DomainDict) -> Callable[[], list[Any]]:
    """What the action sent, in order: a response's name, else the text, else the JSON message.
    Every response named must exist in the domain."""

    def read() -> list[Any]:
        out: list[Any] = []
        for message in dispatcher.messages:
            if message["response"]:
                assert message["response"] in domain["responses"], message["response"]
                out.append(message["response"])
            else:
                out.append(message["text"] or message["custom"])
        return out

    return read
