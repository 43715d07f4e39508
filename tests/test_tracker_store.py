"""The tracker store keeps a conversation's tracker between turns only while it is what Rasa would
load (bot/tracker_store.py): each check compares with a store that keeps nothing, on one database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot import tracker_store
from bot.tracker_store import ForgetfulSQLTrackerStore

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, report_pain]
slots:
  pain_score:
    type: float
    influence_conversation: false
    mappings: [{type: custom}]
actions: [action_handle_pain, action_forget]
responses:
  utter_greet: [{text: "Hello"}]
""")


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture()
def db(tmp_path: Path) -> str:
    return str(tmp_path / "trackers.db")


def store(db: str) -> ForgetfulSQLTrackerStore:
    return ForgetfulSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)


def turn(n: int) -> list[Event]:
    return [
        UserUttered(f"my back hurts, {n}", {"name": "report_pain", "confidence": 0.9}, message_id=f"m{n}"),
        ActionExecuted("action_handle_pain"),
        SlotSet("pain_score", float(n)),
        BotUttered(f"Noted: {n}"),
        ActionExecuted("action_listen"),
    ]


def state(tracker: DialogueStateTracker | None) -> Any:
    assert tracker is not None
    return tracker.current_state(EventVerbosity.ALL)


def take_turn(kept: ForgetfulSQLTrackerStore, sender: str, n: int) -> DialogueStateTracker:
    tracker = run(kept.get_or_create_tracker(sender))
    for event in turn(n):
        tracker.update(event)
    run(kept.save(tracker))
    return tracker


def test_the_kept_tracker_is_what_a_fresh_load_gives(db: str) -> None:
    kept = store(db)
    for n in range(5):
        take_turn(kept, "ruth", n)
        assert state(run(kept.retrieve("ruth"))) == state(run(store(db).retrieve("ruth")))
    assert run(kept.retrieve("ruth")) is run(kept.retrieve("ruth"))  # kept, not reloaded
    assert run(kept.retrieve("ruth")).get_slot("pain_score") == 4.0


def test_what_another_replica_saved_is_loaded(db: str) -> None:
    kept, other = store(db), store(db)
    take_turn(kept, "ruth", 1)
    take_turn(other, "ruth", 2)
    loaded = run(kept.retrieve("ruth"))
    assert state(loaded) == state(run(store(db).retrieve("ruth")))
    assert loaded.get_slot("pain_score") == 2.0


def test_a_turn_that_failed_before_saving_leaves_nothing_behind(db: str) -> None:
    kept = store(db)
    take_turn(kept, "ruth", 1)
    tracker = run(kept.retrieve("ruth"))
    tracker.update(UserUttered("half a turn", {"name": "greet", "confidence": 1.0}))
    tracker.update(SlotSet("pain_score", 9.0))  # ...and then the turn failed: never saved
    loaded = run(kept.retrieve("ruth"))
    assert state(loaded) == state(run(store(db).retrieve("ruth")))
    assert loaded.get_slot("pain_score") == 1.0


def test_a_new_session_is_loaded_as_rasa_loads_it(db: str) -> None:
    kept = store(db)
    take_turn(kept, "ruth", 1)
    tracker = run(kept.retrieve("ruth"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("pain_score", 1.0))
    tracker.update(ActionExecuted("action_listen"))
    run(kept.save(tracker))  # the session's first events, after the old session's in memory
    loaded = run(kept.retrieve("ruth"))
    assert state(loaded) == state(run(store(db).retrieve("ruth")))
    assert not any(isinstance(e, UserUttered) for e in loaded.events)  # only the new session


def test_forget_deletes_the_log_and_nothing_is_kept(db: str) -> None:
    kept = store(db)
    tracker = take_turn(kept, "ruth", 1)
    tracker.update(UserUttered("/forget", {"name": "forget", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_forget"))
    run(kept.save(tracker))
    assert run(kept.retrieve("ruth")) is None
    assert run(store(db).retrieve("ruth")) is None


def test_only_the_most_recent_conversations_are_kept(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_store, "KEPT_TRACKERS", 2)
    kept = store(db)
    for sender in ("a", "b", "c"):
        take_turn(kept, sender, 1)
    assert list(kept._kept) == ["b", "c"]
    assert state(run(kept.retrieve("a"))) == state(run(store(db).retrieve("a")))


def stored_events(db: str, sender: str) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        return [json.loads(data) for (data,) in rows]


def test_a_kept_tracker_stores_each_event_once_without_counting(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = store(db)
    take_turn(kept, "ruth", 0)
    counted: list[str] = []
    rasas_count = SQLTrackerStore._additional_events

    def counting(self: SQLTrackerStore, session: Any, tracker: DialogueStateTracker) -> Any:
        counted.append(tracker.sender_id)
        return rasas_count(self, session, tracker)

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", counting)
    for n in range(1, 6):
        tracker = take_turn(kept, "ruth", n)
    assert counted == []  # every save after the first took the kept tracker's new events
    assert stored_events(db, "ruth") == [e.as_dict() for e in tracker.events]


def test_a_kept_tracker_behind_the_database_is_saved_as_rasa_saves(db: str) -> None:
    kept, other = store(db), store(db)
    take_turn(kept, "ruth", 1)
    tracker = run(kept.retrieve("ruth"))  # kept, then another replica writes during this turn
    take_turn(other, "ruth", 2)
    for event in turn(3):
        tracker.update(event)
    run(kept.save(tracker))
    # Rasa's own rule (store the events past the stored count) decided: nothing counted twice.
    assert len(stored_events(db, "ruth")) == len(tracker.events)
    assert state(run(kept.retrieve("ruth"))) == state(run(store(db).retrieve("ruth")))


def test_the_conversation_log_is_written_ahead(db: str) -> None:
    take_turn(store(db), "ruth", 1)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
