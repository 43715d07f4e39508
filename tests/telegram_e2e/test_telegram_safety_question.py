"""Issue 12 over Telegram, real stack, fake Bot API: 8/10 back pain sent with the pain buttons asks
the onset question before anything else; each answer does what its button says; while a red flag
is open every message ends with the reminder."""

from __future__ import annotations

import re

from tests.support import fake_telegram as tg
from tests.telegram_e2e.conftest import TelegramUser, onboard

QUESTION = ("That sounds like it could be an injury. Are you hurt right now, or did this start "
            "suddenly or after a fall?")
ANSWERS = ["Yes, I'm hurt", "No, it's my usual ache"]


def _pain_8_by_buttons(user: TelegramUser) -> None:
    """Pain of 8/10 given with the plan's [Pain today] button and the 0-10 buttons."""
    onboard(user)
    user.say("what do I do today")
    score = user.press("Pain today")
    assert re.search(r"0 to 10", score.text) and score.buttons == [str(n) for n in range(11)], score.calls
    onset = user.press("8")
    assert onset.text == QUESTION, onset.calls
    assert onset.buttons == ANSWERS


def test_8_of_10_pain_by_button_asks_first_and_no_carries_on_gently(user: TelegramUser) -> None:
    _pain_8_by_buttons(user)
    usual = user.press("No, it's my usual ache")
    assert re.search(r"(?i)usual ache", usual.text) and re.search(r"(?i)gentle day", usual.text), usual.calls
    assert "Reminder: no exercise" not in usual.text


def test_8_of_10_pain_by_button_then_yes_is_a_red_flag_with_a_reminder_after(user: TelegramUser) -> None:
    _pain_8_by_buttons(user)
    hurt = user.press("Yes, I'm hurt")
    assert re.search(r"(?i)stop exercising", hurt.text) and "911" in hurt.text, hurt.calls
    assert "Reminder: no exercise" not in hurt.text  # the advice itself says it
    later = user.say("thanks, what should I do today?")
    assert re.search(r"(?i)no exercise", later.text), later.calls
    assert later.text.rstrip().endswith("if it gets worse, call 911."), later.calls


def test_a_red_flag_in_a_photo_caption_is_a_red_flag(user: TelegramUser) -> None:
    onboard(user)
    turn = user.deliver(tg.photo(user.chat_id, caption="I fell down the stairs, this is my wrist, it looks bent"))
    assert re.search(r"(?i)can't see pictures", turn.text), turn.calls
    assert re.search(r"(?i)stop exercising", turn.text) and "911" in turn.text, turn.calls
