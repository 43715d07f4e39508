"""The whole stack is killed (kill -9, both servers) mid-conversation and started again: the
conversation continues where it was — the question in progress is still the one being answered,
the profile is known — and every check-in and report stored before the crash is still there."""

from __future__ import annotations

import re

from bot.db import clients
from bot.db.engine import make_engine, unit_of_work
from bot.stack import Stack
from tests.faults.conftest import checkins
from tests.telegram_e2e.conftest import TelegramUser, onboard, user_texts


def test_after_kill_9_of_both_servers_the_conversation_and_the_data_survive(
    new_chat: TelegramUser, restarts: Stack
) -> None:
    stack, user = restarts, new_chat
    onboard(user)
    plan = user.say("what do I do today")
    assert re.search(r"(?m)^1\. ", plan.text), plan.calls
    user.press("Done")
    user.press("6")
    logged = user.press("1")
    assert re.search(r"(?i)logged", logged.text), logged.calls
    pain = user.say("my knee hurts, about a 3 out of 10")
    assert "3/10" in pain.text, pain.calls
    asked = user.command("reminder")  # a form in progress: the coach waits for a time
    assert re.search(r"(?i)what time", asked.text), asked.calls
    turns_before = user_texts(stack, user.chat_id)

    stack.kill("rasa")
    stack.kill("actions")
    stack.start_actions()
    stack.start_rasa()
    stack.wait_ready()

    resumed = user.say("7am")  # answers the question asked before the crash
    assert re.search(r"(?i)07:00", resumed.text), resumed.calls
    today = user.command("today")
    assert re.search(r"(?m)^1\. ", today.text) and "/start" not in today.text, today.calls
    assert user_texts(stack, user.chat_id) == [*turns_before, "7am", "/ask_todays_workout"]

    [checkin] = checkins(stack.config.database_url, user.chat_id)
    assert (checkin.status, checkin.rpe, checkin.pain) == ("done", 6, 1)
    assert checkin.exercise_logs
    engine = make_engine(stack.config.database_url)
    with unit_of_work(engine) as s:
        client = clients.get_client(s, user.chat_id)
        assert [(r.kind, r.score, r.body_part) for r in client.symptom_reports] == [("pain", 3, "knee")]
        assert client.profile.reminder_time.strftime("%H:%M") == "07:00"
    engine.dispose()
