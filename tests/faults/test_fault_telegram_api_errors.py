"""The Bot API fails while the coach replies (429 with retry_after, 500, a request that hangs past
the client's timeout): the reply is retried and arrives, the conversation turn runs once, and
nothing reaches the client twice.

What bot/messaging/client.py promises: every failed send is retried (429 after its retry_after,
5xx and timeouts with back-off); a timed-out send may have reached Telegram, so that one case may
show a message twice. Here the hung request is answered with an error after the client gave up,
i.e. it did not reach the chat, so exactly one copy arrives."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.stack import Stack
from tests.support.fake_telegram import FakeTelegramThread
from tests.telegram_e2e.conftest import TelegramUser, recorded_calls, user_texts

CLIENT_READ_TIMEOUT = 15.0  # bot.messaging.client.make_bot's default


FAULTS = {
    "429 with retry_after": ({"status": 429, "retry_after": 2}, [429, 429]),
    "500": ({"status": 500}, [500, 500]),
    "hang past the client timeout": ({"status": 500, "hang": CLIENT_READ_TIMEOUT + 5}, [0]),
}


@pytest.mark.parametrize(("fault", "failed"), FAULTS.values(), ids=FAULTS.keys())
def test_a_failing_send_is_retried_and_the_reply_arrives_once(
    client: TelegramUser, fake: FakeTelegramThread, polling_stack: Stack,
    fault: dict[str, Any], failed: list[int],
) -> None:
    fake.fail_next("sendMessage", len(failed), **fault)
    started = time.monotonic()
    turn = client.command("help")
    took = time.monotonic() - started

    sends = [c for c in turn.calls if c["method"] == "sendMessage"]
    assert [c["status"] for c in sends] == [*failed, 200], sends  # 0: still hanging
    assert len(turn.texts) == 1 and "/today" in turn.text
    assert user_texts(polling_stack, client.chat_id) == ["/ask_capabilities"]  # one Rasa turn
    if fault["status"] == 429:
        assert took >= len(failed) * fault["retry_after"]  # Telegram's retry_after honoured
    if "hang" in fault:
        assert CLIENT_READ_TIMEOUT <= took < fault["hang"]  # gave up on the hung request in time
        assert final_status(fake, sends[0]) == 500  # it ended in an error: it never reached the chat
    # the next message is answered normally, and the earlier reply was not sent again
    after = client.command("help")
    assert [c["status"] for c in after.calls if c["method"] == "sendMessage"] == [200]
    assert fake.texts_to(client.chat_id) == [turn.text, after.text]


def final_status(fake: FakeTelegramThread, call: dict[str, Any], timeout: float = 30.0) -> int:
    """The status the fake answered `call` with, once it has answered (a hung call is 0 until then)."""
    deadline = time.monotonic() + timeout
    while True:
        [now] = [c for c in recorded_calls(fake, call["method"]) if c["at"] == call["at"]]
        if now["status"] or time.monotonic() > deadline:
            return int(now["status"])
        time.sleep(0.5)
