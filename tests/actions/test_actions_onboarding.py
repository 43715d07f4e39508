"""/start and the onboarding form: every answer parsed from plain words, an unclear one re-asked,
the profile saved only with consent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.onboarding import (
    PROFILE_SLOTS,
    ActionClearProfileSlots,
    ActionSaveProfile,
    ActionSaveScreeningAnswer,
    ActionStartSession,
    ValidateOnboardingForm,
)
from bot.content.loader import messages
from bot.nlp.parsing import parse_weekdays
from bot.services import default_services
from bot.services.planning import SCREENING
from tests.actions.conftest import action_event

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker

CHAT = 5_000_000_077
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FORM = "onboarding_form"
Said = Callable[[], list[Any]]
FormTracker = Callable[..., Tracker]

GOOD_ANSWERS = [
    ("consent", "yes", True),
    ("consent", "Yes please", True),
    ("consent", "no thanks", False),
    ("experience", "I'm a complete beginner", "new"),
    ("experience", "a little, years ago", "some"),
    ("experience", "I go to the gym every week", "regular"),
    ("vertebral_fracture", "no", False),
    ("vertebral_fracture", "yes, in 2019", True),
    # "Not sure" gets the spine-safe plan until the clinic says otherwise, worded as a possibility.
    ("vertebral_fracture", "not sure", "unsure"),
    ("vertebral_fracture", "I don't know", "unsure"),
    ("recent_fracture", "no", False),
    ("recent_fracture", "yes, my wrist in March", True),
    ("recent_fracture", "not sure", "unsure"),
    ("several_fractures", "no", False),
    ("several_fractures", "yes", True),
    ("height_loss_or_curve", "I'm not sure", "unsure"),
    ("height_loss_or_curve", "no", False),
    ("falls_last_year", "none", 0),
    ("falls_last_year", "twice", 2),
    ("falls_last_year", "1", 1),
    ("balance_confidence", "pretty steady", "high"),
    ("balance_confidence", "a bit wobbly", "low"),
    ("balance_confidence", "okay I guess", "medium"),
    ("pain_today", "no pain", 0),
    ("pain_today", "about a 3", 3),
    ("pain_today", "4/10", 4),
    ("sessions_per_week", "2", 2),
    ("sessions_per_week", "three times", 3),
    ("reminder_time", "7am", "07:00"),
    ("reminder_time", "6:30 pm", "18:30"),
    ("reminder_time", "evenings", "18:00"),
    ("equipment", "a chair and a band", ["band", "chair"]),
    ("equipment", "dumbbells and a step", ["dumbbells", "step"]),
    ("equipment", "nothing", []),
]
BAD_ANSWERS = [
    ("consent", "what is this?"),
    ("consent", "maybe"),
    ("experience", "purple"),
    ("vertebral_fracture", "purple"),
    ("recent_fracture", "purple"),
    ("several_fractures", "hmm"),
    ("height_loss_or_curve", "purple"),
    ("falls_last_year", "lots"),
    ("falls_last_year", "100"),
    ("balance_confidence", "hmm"),
    ("pain_today", "pain 15/10"),
    ("pain_today", "dunno"),
    ("sessions_per_week", "5"),
    ("sessions_per_week", "once"),
    ("reminder_time", "whenever"),
    ("reminder_time", "25:00"),
    ("equipment", "a rowing machine"),
]
# (answer, sessions per week already given, days kept or None when re-asked)
TRAINING_DAYS = [
    ("Monday and Thursday", 2, [0, 3]),
    ("Tuesday, Saturday", 2, [1, 5]),
    ("mon wed fri", 3, [0, 2, 4]),
    ("Mon Tue", 2, None),  # strength days may not be back to back
    ("Sunday and Monday", 2, None),  # nor across the weekend
    ("Monday", 2, None),  # too few: the reply says 2 sessions need 2 days
    ("Mon Thu", 3, None),  # 3 sessions need 3 days (the example of 2 was not enough)
]


async def test_a_new_chat_is_not_onboarded_yet(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    events = await ActionStartSession().run(dispatcher, make_tracker("/start", "start"), domain)
    assert events == [SlotSet("profile_complete", False)]
    assert said() == []


async def test_a_known_client_is_welcomed_back_by_name(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    events = await ActionStartSession().run(dispatcher, make_tracker("/start", "start", first_name=None), domain)
    assert events == [SlotSet("profile_complete", True)]
    assert said() == [messages()["welcome_back"].format(name="Ruth")]


@pytest.mark.parametrize(("slot", "answer", "value"), GOOD_ANSWERS)
async def test_a_clear_answer_fills_its_slot(
    slot: str, answer: str, value: Any, form_tracker: FormTracker, dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    events = await ValidateOnboardingForm().run(dispatcher, form_tracker(FORM, slot, answer), domain)
    expected = [SlotSet(slot, value)]
    if value is False and slot == "consent":  # no consent, no more questions
        expected.append(SlotSet("requested_slot", None))
    assert events == expected
    assert said() == []


@pytest.mark.parametrize(("slot", "answer"), BAD_ANSWERS)
async def test_an_unclear_answer_is_reasked(
    slot: str, answer: str, form_tracker: FormTracker, dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    events = await ValidateOnboardingForm().run(dispatcher, form_tracker(FORM, slot, answer), domain)
    assert events == [SlotSet(slot, None)]
    assert said() == [f"utter_invalid_{slot}"]


@pytest.mark.parametrize(("answer", "per_week", "days"), TRAINING_DAYS)
async def test_training_days_must_leave_a_day_between_strength_sessions(
    answer: str, per_week: int, days: list[int] | None, form_tracker: FormTracker,
    dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
) -> None:
    tracker = form_tracker(FORM, "training_days", answer, {"sessions_per_week": per_week})
    events = await ValidateOnboardingForm().run(dispatcher, tracker, domain)
    assert events == [SlotSet("training_days", days)]
    named = len(parse_weekdays(answer))
    if days:
        assert said() == []
    elif named < per_week:
        [reply] = said()
        assert reply.startswith(f"You chose {per_week} sessions a week, so I need {per_week} days")
    else:
        assert said() == ["utter_invalid_training_days"]


async def test_without_consent_the_form_asks_nothing_more(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    form = ValidateOnboardingForm()
    slots = form.domain_slots(domain)
    assert slots[0] == "consent" and len(slots) == len(PROFILE_SLOTS)
    declined = make_tracker("no", slots={"consent": False})
    assert await form.required_slots(slots, dispatcher, declined, domain) == []
    agreed = make_tracker("yes", slots={"consent": True})
    assert await form.required_slots(slots, dispatcher, agreed, domain) == slots


async def test_a_declined_onboarding_stores_nothing_and_clears_the_answers(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    events = await ActionSaveProfile().run(dispatcher, make_tracker("no", slots={"consent": False}), domain)
    assert events == [SlotSet(slot, None) for slot in PROFILE_SLOTS]
    assert said() == ["utter_onboarding_declined"]
    assert not default_services().plans.profile_complete(CHAT)
    assert default_services().privacy.export_json(CHAT) == b"{}"


async def test_the_finished_form_saves_the_profile_and_reads_it_back(
    make_tracker: MakeTracker, profile_slots: dict[str, Any], dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    events = await ActionSaveProfile().run(dispatcher, make_tracker("a chair and a band", slots=profile_slots), domain)
    assert events == [SlotSet("profile_complete", True)]
    days = ", ".join(DAY_NAMES[d] for d in profile_slots["training_days"])
    assert said() == [messages()["profile_saved"].format(
        name="Ruth", days=days, per_week=2, time="07:30", equipment="band, chair"
    )]
    assert default_services().plans.profile_complete(CHAT)
    assert default_services().plans.display_name(CHAT) == "Ruth"


def test_the_form_asks_the_screening_questions_in_the_words_the_today_reminder_uses(
    domain: DomainDict,
) -> None:
    questions = messages()["screening"]["questions"]
    for question in SCREENING:
        response = domain["responses"][f"utter_ask_{question}"][0]
        assert response["text"] == questions[question]
        assert [b["title"] for b in response["buttons"]] == ["Yes", "No", "Not sure"]
        assert f"utter_invalid_{question}" in domain["responses"]
    assert set(SCREENING) <= set(domain["forms"]["onboarding_form"]["required_slots"])


async def test_a_recent_fracture_in_the_form_stops_the_first_plan(
    make_tracker: MakeTracker, profile_slots: dict[str, Any], dispatcher: CollectingDispatcher,
    domain: DomainDict,
) -> None:
    slots = {**profile_slots, "recent_fracture": "unsure", "vertebral_fracture": "unsure"}
    await ActionSaveProfile().run(dispatcher, make_tracker("chair", slots=slots), domain)
    reply = default_services().plans.todays_plan(CHAT)
    assert "No exercise today" in reply.text and not reply.buttons


async def test_a_screening_button_at_today_saves_the_answer_and_asks_the_next_question(
    make_tracker: MakeTracker, profile_slots: dict[str, Any], dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    old = {k: v for k, v in profile_slots.items() if k not in SCREENING}
    await ActionSaveProfile().run(CollectingDispatcher(), make_tracker("chair", slots=old), domain)
    first = default_services().plans.todays_plan(CHAT)
    assert messages()["screening"]["questions"]["recent_fracture"] in first.text
    button = [{"entity": "screening", "value": "recent_fracture:no"}]
    tracker = make_tracker('/screening_answer{"screening": "recent_fracture:no"}', "screening_answer",
                           entities=button)
    assert await ActionSaveScreeningAnswer().run(dispatcher, tracker, domain) == []
    [message] = dispatcher.messages
    assert message["text"] == messages()["screening"]["questions"]["several_fractures"]
    assert [b["title"] for b in message["buttons"]] == ["Yes", "No", "Not sure"]


@pytest.mark.parametrize(("message", "asked"), [
    ("change my training days", {"training_days"}),
    ("can I move my reminder time", {"reminder_time"}),
    ("I want to do 3 sessions per week now", {"sessions_per_week", "training_days"}),
    ("I got some dumbbells, can you update my equipment", {"equipment"}),
])
async def test_a_change_asks_only_what_it_names_and_keeps_the_stored_answers(
    message: str, asked: set[str], onboarded: int, make_tracker: MakeTracker,
    profile_slots: dict[str, Any], dispatcher: CollectingDispatcher, domain: DomainDict,
) -> None:
    """Even after the conversation that gave them has expired (the tracker has no slots)."""
    events = await ActionClearProfileSlots().run(dispatcher, make_tracker(message, "change_profile"), domain)
    slots = {e["name"]: e["value"] for e in events}
    assert set(slots) == set(PROFILE_SLOTS)
    assert {slot for slot, value in slots.items() if value is None} == asked
    assert all(slots[slot] == profile_slots[slot] for slot in PROFILE_SLOTS if slot not in asked)


async def test_a_change_naming_nothing_asks_everything_but_consent(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict,
) -> None:
    events = await ActionClearProfileSlots().run(dispatcher, make_tracker("redo my profile", "change_profile"),
                                                 domain)
    slots = {e["name"]: e["value"] for e in events}
    assert slots.pop("consent") is True and set(slots.values()) == {None}


async def test_the_form_restarting_keeps_every_stored_answer_as_it_is(
    profile_slots: dict[str, Any], make_tracker: MakeTracker, dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    """Rasa validates every filled slot when a form starts: the stored values (True, 0, a list
    of days, "07:30") must pass unchanged, with no question asked again."""
    events = [action_event(FORM), *({"event": "slot", "name": k, "value": v} for k, v in profile_slots.items())]
    tracker = make_tracker("change my training days", slots=profile_slots, events=events, active_loop=FORM)
    result = await ValidateOnboardingForm().run(dispatcher, tracker, domain)
    assert {e["name"]: e["value"] for e in result if e["name"] != "requested_slot"} == profile_slots
    assert said() == []
