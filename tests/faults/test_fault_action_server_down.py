"""The action server dies (kill -9) mid-conversation: the client hears a short, kind error instead
of silence, the message is kept in the conversation, and once the action server is back the next
message gets a real answer and the conversation goes on from there."""

from __future__ import annotations

import re

import pytest

from bot.chat import TerminalChat
from bot.content.loader import channel_texts
from bot.settings import Settings
from bot.stack import Stack
from bot.telegram.texts import default_texts
from tests.faults.conftest import assert_no_stack_trace, stored
from tests.telegram_e2e.conftest import TelegramUser, user_texts

ASK = "what do I do today"
RED_FLAG = "I slipped on the ice and heard a crack in my hip, cant stand on it"


def test_a_dead_action_server_gets_a_kind_error_then_the_conversation_continues(
    client: TelegramUser, restarts: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = restarts
    # the same client also has the terminal chat (Rasa's REST channel) open, on the stack's database
    terminal = TerminalChat(stack.rasa_url, Settings(database_url=stack.config.database_url),
                            sender=str(client.chat_id))
    stack.kill("actions")

    down = client.say(ASK)
    assert down.texts == [default_texts().error], down.calls
    assert len(down.text) < 160 and re.search(r"(?i)sorry", down.text)
    assert not down.buttons
    assert_no_stack_trace(down.texts)
    terminal.exchange(ASK)
    assert capsys.readouterr().out == f"Coach: {channel_texts().error}\n\n"
    assert user_texts(stack, client.chat_id) == [ASK, ASK]  # both messages are kept

    stack.start_actions()
    stack.wait_ready()
    plan = client.say(ASK)
    assert re.search(r"(?i)day", plan.text) and re.search(r"(?m)^1\. ", plan.text), plan.calls
    assert plan.buttons == ["Done", "Too hard", "Pain today"]
    effort = client.press("Done")
    assert re.search(r"(?i)how hard", effort.text), effort.calls
    terminal.exchange("6")  # the same conversation, now over REST: the check-in form goes on
    assert re.search(r"0 to 10", capsys.readouterr().out)
    assert user_texts(stack, client.chat_id) == [ASK, ASK, ASK, "/checkin_done", "6"]


def test_a_red_flag_while_the_action_server_is_down_is_advised_and_recorded(
    client: TelegramUser, restarts: Stack
) -> None:
    """utter_red_flag comes from Rasa itself, and the channel records the red flag, so a dead
    action server neither silences the safety advice nor loses the coach's alert."""
    stack = restarts
    stack.kill("actions")

    red = client.say(RED_FLAG)
    assert "911" in red.text and "stop exercising" in red.text.lower(), red.calls
    assert "red_flag" not in red.text  # the channel's marker is never shown
    data = stored(stack.config.database_url, client.chat_id)
    open_alerts = [(a["kind"], a["detail"]) for a in data["coach_alerts"] if a["handled_at"] is None]
    assert open_alerts == [("red_flag", RED_FLAG)]
    assert [s["kind"] for s in data["symptom_reports"]] == ["red_flag"]

    stack.start_actions()
    stack.wait_ready()
    later = client.say(ASK)  # the plan is blocked: the record was made without the action server
    assert re.search(r"(?i)no exercise", later.text) and not re.search(r"(?m)^1\. ", later.text), later.calls
