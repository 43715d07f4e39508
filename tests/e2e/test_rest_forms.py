"""Forms never trap a client (issue 11): inside a form, a question, a command and a red flag are
answered; the form then asks its question again, or is left (a red flag), through the real stack."""

from __future__ import annotations

import re

from tests.e2e.conftest import Chat, texts
from tests.e2e.test_rest_conversation import onboard

EFFORT_QUESTION = r"(?i)how hard did it feel"


def test_a_question_and_a_command_inside_the_check_in_are_answered_then_it_resumes(chat: Chat) -> None:
    onboard(chat)
    assert re.search(EFFORT_QUESTION, texts(chat("/checkin_done")))
    faq = texts(chat("is walking enough for my bones?"))
    assert re.search(r"(?i)walk", faq) and re.search(EFFORT_QUESTION, faq), faq
    plan = texts(chat("/ask_todays_workout"))
    assert re.search(r"(?i)day —", plan) and re.search(EFFORT_QUESTION, plan), plan
    assert re.search(r"0 to 10", texts(chat("6")))  # the form goes on where it was
    assert re.search(r"(?i)logged", texts(chat("1")))


def test_a_red_flag_inside_the_check_in_leaves_it(chat: Chat) -> None:
    onboard(chat)
    assert re.search(EFFORT_QUESTION, texts(chat("/checkin_done")))
    red = texts(chat("I just fell off the step and can't get up"))
    assert re.search(r"(?i)stop exercising", red) and not re.search(EFFORT_QUESTION, red), red
    assert re.search(r"(?i)no exercise", texts(chat("what should I do today?")))


def test_the_pain_report_from_the_issue_gives_a_gentle_day(chat: Chat) -> None:
    onboard(chat)
    reply = texts(chat("my knee is really sore today, about 7/10"))
    assert re.search(r"(?i)gentle", reply), reply
    assert re.search(r"(?i)gentle", texts(chat("so what do I do today")))
