"""The real stack (Rasa with the trained model, the action server) killed with kill -9 in the
middle of a turn, as the acceptance run did it (issue 16):

- while the reply is in flight (Telegram answered 429 and the client waits to send again): after
  the restart the client gets that reply once, without sending their message again;
- just after the coach asked a question: the client's answer after the restart is understood.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.db.engine import make_engine, unit_of_work
from bot.db.models import ProcessedUpdate
from bot.stack import Stack
from tests.faults.conftest import ensure_running
from tests.support import fake_telegram as tg
from tests.telegram_e2e.conftest import TelegramUser, recorded_calls, wait_for_request

PLAN_LINE = re.compile(r"(?m)^1\. ")


def kill_all(stack: Stack) -> None:
    stack.kill("rasa")
    stack.kill("actions")


def unfinished(stack: Stack) -> list[int]:
    engine = make_engine(stack.config.database_url)
    with unit_of_work(engine) as s:
        ids = list(s.execute(select(ProcessedUpdate.update_id)
                             .where(ProcessedUpdate.state == "processing")).scalars())
    engine.dispose()
    return ids


def texts_to(user: TelegramUser) -> list[str]:
    return [c["params"]["text"] for c in recorded_calls(user.fake, "sendMessage")
            if c["params"].get("chat_id") == user.chat_id and c["status"] == 200]


def test_a_reply_held_by_telegram_when_everything_is_killed_arrives_once_after_the_restart(
    client: TelegramUser, restarts: Stack
) -> None:
    stack, user = restarts, client
    user.fake.fail_next("sendMessage", 1, status=429, retry_after=30)
    user.send(tg.text_message(user.chat_id, "what do I do today?", user.first_name))
    wait_for_request(user.fake, "sendMessage")  # refused with 429: the reply waits 30 s
    kill_all(stack)
    assert unfinished(stack), "the turn should be left unfinished by the kill"

    ensure_running(stack)  # the new process takes the dead one's turn over at start-up
    answered = user.say("thanks")

    plans = [t for t in texts_to(user) if PLAN_LINE.search(t)]
    assert len(plans) == 1, texts_to(user)
    assert answered.text, answered.calls
    assert unfinished(stack) == []


def test_the_answer_to_a_question_asked_just_before_kill_9_is_understood(
    client: TelegramUser, restarts: Stack
) -> None:
    stack, user = restarts, client
    user.say("what do I do today")
    asked = user.press("Done")
    assert re.search(r"(?i)how hard|effort", asked.text), asked.calls
    kill_all(stack)  # the question went out a moment ago
    ensure_running(stack)

    answer = user.say("6")
    assert re.search(r"(?i)pain|0 to 10", answer.text), answer.calls  # the check-in goes on
    assert not re.search(r"(?i)didn't (quite )?(catch|understand)|not sure I understood",
                         answer.text), answer.calls
