"""Issue 12 through the running stack (REST, Rasa + action server + SQLite): the messages the net
used to miss now get the red-flag advice, and a grey-zone message gets one safety question."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Chat, texts
from tests.nlp.test_safety_net import ISSUE_EXAMPLES

QUESTION = "That sounds like it could be an injury."


@pytest.mark.parametrize("text", ISSUE_EXAMPLES)
def test_each_example_the_net_missed_now_gets_the_red_flag_advice(chat: Chat, text: str) -> None:
    reply = texts(chat(text))
    assert re.search(r"(?i)stop exercising", reply) and "911" in reply, (text, reply)


def test_a_grey_zone_message_asks_first_and_no_goes_on_to_the_pain_question(chat: Chat) -> None:
    asked = chat("sudden pain in my shoulder when I reached up to the shelf")
    assert QUESTION in texts(asked), asked
    assert [b["title"] for b in asked[-1]["buttons"]] == ["Yes, I'm hurt", "No, it's my usual ache"]
    score = texts(chat("/deny"))
    assert re.search(r"(?i)usual ache", score) and re.search(r"0 to 10", score), score


def test_a_grey_zone_message_then_yes_is_a_red_flag(chat: Chat) -> None:
    assert QUESTION in texts(chat("sudden pain in my shoulder when I reached up to the shelf"))
    reply = texts(chat("yes"))
    assert re.search(r"(?i)stop exercising", reply), reply
