"""Turn records in the channel: a process that died mid-turn is taken over at once and its turn
finished from what was stored; old buttons change nothing; a group is refused once.

A dead owner is a real process that has exited (same host and boot, its pid gone)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import turns
from bot.db.engine import unit_of_work
from bot.db.models import ProcessedUpdate
from bot.telegram import owner as owners
from bot.telegram.handler import message_id_of
from bot.telegram.store import STALE_CLAIM
from bot.telegram.texts import default_texts
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.harness import CLIENT, TinyBot, make_channel, serve

TEXTS = default_texts()
ROOT = Path(__file__).resolve().parents[2]


def dead_owner() -> str:
    """The owner string of a process of this host that has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    me = owners.this_process()
    return str(owners.Owner(me.host, me.boot, process.pid, "1"))


def seed_turn(engine: Engine, update: dict, owner: str, replies: list | None = None,
              delivered: int = 0) -> None:
    """A turn as a killed process left it."""
    with unit_of_work(engine) as s:
        now = datetime.now(timezone.utc)
        assert turns.claim(s, update["update_id"], CLIENT, json.dumps(update), owner, now,
                           lambda *_: False)
        if replies is not None:
            turns.record_replies(s, update["update_id"], owner, replies)
            turns.mark_delivered(s, update["update_id"], owner, delivered, None, now)


def state_of(engine: Engine, update_id: int) -> ProcessedUpdate:
    with unit_of_work(engine) as s:
        row = s.execute(select(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id)).scalar_one()
        s.expunge(row)
        return row


def test_an_exited_process_is_gone_at_once_and_a_live_one_is_not() -> None:
    now = datetime.now(timezone.utc)
    assert owners.is_gone(dead_owner(), now, now, STALE_CLAIM)
    assert not owners.is_gone(str(owners.this_process()), now, now, STALE_CLAIM)
    assert owners.is_gone(None, now, now, STALE_CLAIM)  # released after a failure
    elsewhere = "other-host|boot|1|1"  # a replica on another machine: only by age
    assert not owners.is_gone(elsewhere, now, now + STALE_CLAIM / 2, STALE_CLAIM)
    assert owners.is_gone(elsewhere, now, now + STALE_CLAIM * 2, STALE_CLAIM)


async def test_an_orphaned_turn_is_finished_at_start_up_without_a_redelivery(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    """The poller had confirmed the update before the kill: only the stored update is left."""
    update = tg.text_message(CLIENT, "what do I do today?")
    update["update_id"] = 9100
    seed_turn(engine, update, dead_owner())

    async with serve(make_channel(fake, engine), tiny_bot):
        await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["echo: what do I do today?"]
    assert tiny_bot.texts == ["what do I do today?"]
    done = state_of(engine, 9100)
    assert (done.state, done.update_json, done.replies) == ("done", None, None)


async def test_decided_replies_are_sent_from_the_record_and_only_the_undelivered_ones(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    update = tg.text_message(CLIENT, "done, effort 6")
    update["update_id"] = 9101
    replies = [{"text": "Logged: effort 6/10."}, {"text": "Any pain?",
               "buttons": [{"title": "No pain", "payload": "/inform"}]}]
    seed_turn(engine, update, dead_owner(), replies, delivered=1)

    async with serve(make_channel(fake, engine), tiny_bot):
        fake.queue_update(update)  # Telegram offers it again too: still answered once
        await fake.wait_for("sendMessage", chat_id=CLIENT)
        await fake.wait_until(lambda: state_of(engine, 9101).state == "done")

    assert fake.texts_to(CLIENT) == ["Any pain?"]  # the first went out before the kill
    assert tiny_bot.texts == []  # Rasa is not asked again


async def test_a_turn_rasa_had_saved_is_answered_from_the_tracker_not_run_twice(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    """Killed after the tracker was saved, before the replies were recorded."""
    update = tg.text_message(CLIENT, "7")
    update["update_id"] = 9102
    seed_turn(engine, update, dead_owner())
    tracker = DialogueStateTracker.from_events(str(CLIENT), [
        ActionExecuted("action_listen"),
        UserUttered("7", message_id=message_id_of(9102)),
        BotUttered("Pain 7/10 noted: today is a gentle day."),
        ActionExecuted("action_listen"),
    ])
    await tiny_bot.tracker_store.save(tracker)

    async with serve(make_channel(fake, engine), tiny_bot):
        await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["Pain 7/10 noted: today is a gentle day."]
    assert tiny_bot.texts == []


async def test_a_live_processes_turn_is_left_alone(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    update = tg.text_message(CLIENT, "hello")
    update["update_id"] = 9103
    seed_turn(engine, update, str(owners.this_process()))  # a live process holds it

    channel = make_channel(fake, engine)
    channel.store.owner = "replica-b|boot|1|1"  # this channel is another replica
    async with serve(channel, tiny_bot):
        fake.queue_update(update)
        fake.queue_update(tg.text_message(CLIENT, "next"))
        await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["echo: next"]
    assert state_of(engine, 9103).state == "processing"


async def test_a_press_on_an_older_keyboard_has_passed_and_changes_nothing(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    tiny_bot.responses = {
        "/checkin_done": [{"text": "How hard was it?", "buttons": [
            {"title": "6", "payload": '/inform{"effort": "6"}'}]}],
        "/ask_todays_workout": [{"text": "Today's plan", "buttons": [
            {"title": "Done", "payload": "/checkin_done"}]}],
    }
    async with serve(make_channel(fake, engine), tiny_bot):
        fake.queue_update(tg.command(CLIENT, "done"))
        await fake.wait_for("sendMessage", chat_id=CLIENT)
        old = fake.press_button(CLIENT, title="6")  # pressed later, after a newer keyboard
        fake._pending.remove(old)
        fake.queue_update(tg.command(CLIENT, "today"))
        await fake.wait_for("sendMessage", 2, chat_id=CLIENT)
        fake.queue_update({key: value for key, value in old.items() if key != "update_id"})
        await fake.wait_for("sendMessage", 3, chat_id=CLIENT)
        fake.press_button(CLIENT, title="Done")  # the newest keyboard still works
        await fake.wait_for("sendMessage", 4, chat_id=CLIENT)

    assert fake.texts_to(CLIENT)[2] == TEXTS.button_passed
    assert tiny_bot.texts == ["/checkin_done", "/ask_todays_workout", "/checkin_done"]
    assert fake.calls_to("answerCallbackQuery")  # the spinner stops either way


async def test_a_group_is_told_once_that_the_coach_works_in_private(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    async with serve(make_channel(fake, engine), tiny_bot):
        for text in ("hi", "/today", "anyone there?"):
            fake.queue_update(tg.group_message(-4001, text))
        fake.queue_update(tg.text_message(CLIENT, "after"))
        await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(-4001) == [TEXTS.group_refused]
    assert tiny_bot.texts == ["after"]


def every_button_the_coach_sends() -> list[dict[str, str]]:
    """Every button of every response in the domain, and of the messages the coach's processes
    send themselves (reminders, the 'did you mean' question)."""
    buttons: dict[str, dict[str, str]] = {}

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("buttons"), list):
                for button in node["buttons"]:
                    if isinstance(button, dict) and "payload" in button:
                        buttons.setdefault(button["payload"], button)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for path in [ROOT / "domain.yml", *ROOT.glob("bot/content/*.yml")]:
        collect(yaml.safe_load(path.read_text(encoding="utf-8")))
    return list(buttons.values())


async def test_every_button_the_coach_sends_has_passed_on_an_older_message(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    buttons = every_button_the_coach_sends()
    assert len(buttons) > 30  # the walk found the domain's keyboards
    tiny_bot.responses = {"/ask_todays_workout": [{"text": "Old question", "buttons": buttons}],
                          "/ask_progress": [{"text": "New question", "buttons": buttons[:1]}]}
    async with serve(make_channel(fake, engine), tiny_bot):
        fake.queue_update(tg.command(CLIENT, "today"))
        await fake.wait_for("sendMessage", chat_id=CLIENT)
        [old] = [m for (chat, _), m in fake._messages.items()
                 if chat == CLIENT and m.get("text") == "Old question"]
        fake.queue_update(tg.command(CLIENT, "progress"))
        await fake.wait_for("sendMessage", 2, chat_id=CLIENT)
        for button in buttons:
            fake.queue_update(tg.callback_query(CLIENT, button["payload"], dict(old)))
        await fake.wait_for("sendMessage", 2 + len(buttons), chat_id=CLIENT, timeout=60)

    assert fake.texts_to(CLIENT)[2:] == [TEXTS.button_passed] * len(buttons)
    assert tiny_bot.texts == ["/ask_todays_workout", "/ask_progress"]  # nothing reached Rasa
