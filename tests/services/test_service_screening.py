"""Onboarding screens what matters before the first plan (issue 13, gaps 1, 2 and 5).

A fracture in the last 12 weeks stops every session until the clinic clears it; two or more
fractures since 50, or height loss or a forward curve, give the spine-protecting plan
(EXERCISE_SCIENCE.md section 0). Pain of 5 or more today makes the first plan gentle (section 5).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
import yaml

from bot.content.loader import CONTENT_DIR as CONTENT
from bot.content.loader import messages
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.services import Services
from bot.services.planning import SCREENING
from bot.services.types import ProfileAnswers

if TYPE_CHECKING:
    from tests.services.conftest import Peek

CHAT = 5_000_000_042
PHONE = yaml.safe_load((CONTENT / "clinic.yml").read_text())["phone"]


def _payload_answer(payload: str) -> tuple[str, bool]:
    """What a screening button sends, read the way action_save_screening_answer reads it."""
    question, _, answer = payload.split('"screening": "')[1].rstrip('"}').partition(":")
    return question, answer != "no"


def test_a_fracture_in_the_last_12_weeks_stops_the_plan_and_tells_the_clinic(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, recent_fracture=True))
    reply = services.plans.todays_plan(CHAT)
    plan = peek.plan(CHAT, services.plans.clock().date())
    assert plan["kind"] == "stop" and plan["exercises"] == []
    assert PHONE in reply.text and not reply.buttons
    [(kind, detail)] = peek.alerts(CHAT)
    assert kind == "recent_fracture"
    assert "12 weeks" in detail and "clears" in detail


def test_the_fracture_alert_is_sent_once_when_the_profile_is_saved_again(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, recent_fracture=True))
    services.plans.save_profile(CHAT, None, replace(answers, recent_fracture=True, training_days=(1, 4)))
    assert [k for k, _ in peek.alerts(CHAT)] == ["recent_fracture"]


def test_once_the_clinic_clears_the_fracture_the_plan_comes_back(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, recent_fracture=True))
    services.plans.todays_plan(CHAT)
    services.plans.set_clinic_flags(CHAT, {"recent_fracture_uncleared": False})
    assert peek.plan(CHAT, services.plans.clock().date())["kind"] == "strength"


@pytest.mark.parametrize(
    ("answer", "why"),
    [("several_fractures", "two or more fractures"), ("height_loss_or_curve", "height loss")],
)
def test_several_fractures_or_height_loss_give_the_spine_protecting_plan_and_high_risk(
    services: Services, peek: Peek, answers: ProfileAnswers, answer: str, why: str
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, **{answer: True}))
    reply = services.plans.todays_plan(CHAT)
    plan = peek.plan(CHAT, services.plans.clock().date())
    assert "spine_protect" in plan["tiers"]
    assert why in reply.text
    with unit_of_work(services.engine) as s:
        assert clients.get_client(s, CHAT).high_risk


def test_pain_of_5_or_more_given_at_onboarding_makes_the_first_plan_gentle(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, pain_today=8))
    services.plans.todays_plan(CHAT)
    plan = peek.plan(CHAT, services.plans.clock().date())
    assert plan["kind"] == "gentle"
    assert ("pain", 8, None) in peek.symptoms(CHAT)


def test_pain_below_5_at_onboarding_keeps_a_strength_day(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, pain_today=4))
    services.plans.todays_plan(CHAT)
    assert peek.plan(CHAT, services.plans.clock().date())["kind"] == "strength"


def test_a_client_onboarded_before_the_questions_answers_them_once_at_the_next_today(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    old = replace(answers, recent_fracture=None, several_fractures=None, height_loss_or_curve=None)
    services.plans.save_profile(CHAT, "Ruth", old)
    reply = services.plans.todays_plan(CHAT)
    questions = messages()["screening"]["questions"]
    assert messages()["screening"]["intro"] in reply.text
    assert peek.plan(CHAT, services.plans.clock().date()) is None, "no plan before the answers"
    asked = []
    while any(questions[q] in reply.text for q in SCREENING):
        asked.append(next(q for q in SCREENING if questions[q] in reply.text))
        assert [t for t, _ in reply.buttons] == ["Yes", "No", "Not sure"]
        no = next(p for t, p in reply.buttons if t == "No")
        question, answer = _payload_answer(no)
        reply = services.plans.answer_screening(CHAT, question, answer)
    assert asked == list(SCREENING)
    assert peek.plan(CHAT, services.plans.clock().date())["kind"] == "strength"
    again = services.plans.todays_plan(CHAT)
    assert not any(questions[q] in again.text for q in SCREENING), "asked once only"


def test_an_old_client_answering_not_sure_to_a_recent_fracture_is_stopped(
    services: Services, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, recent_fracture=None))
    reply = services.plans.todays_plan(CHAT)
    unsure = next(p for t, p in reply.buttons if t == "Not sure")
    reply = services.plans.answer_screening(CHAT, *_payload_answer(unsure))
    assert peek.plan(CHAT, services.plans.clock().date())["kind"] == "stop"
    assert PHONE in reply.text
    assert [k for k, _ in peek.alerts(CHAT)] == ["recent_fracture"]


def test_not_sure_about_a_spine_fracture_is_played_safe_and_says_why(
    services: Services, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, vertebral_fracture=True, vertebral_fracture_unsure=True))
    text = services.plans.todays_plan(CHAT).text
    assert "the fracture in your back" not in text
    assert "don't know yet" in text


def test_every_screening_button_fits_telegrams_64_byte_callback(
    services: Services, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, recent_fracture=None, several_fractures=None,
                                             height_loss_or_curve=None))
    for question in SCREENING:
        reply = services.plans.todays_plan(CHAT)
        assert all(len(payload.encode()) <= 64 for _, payload in reply.buttons)
        services.plans.answer_screening(CHAT, question, False)
