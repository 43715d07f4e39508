"""Onboarding (/start): consent, the profile form, and editing it later."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import call, chat_id, first_name, latest_text, say
from bot.content.loader import answers, messages
from bot.nlp import parsing
from bot.services.planning import SCREENING
from bot.services.types import ProfileAnswers, Reply

PROFILE_SLOTS = (
    "consent", "experience", "vertebral_fracture", *SCREENING, "falls_last_year",
    "balance_confidence", "pain_today", "sessions_per_week", "training_days", "reminder_time",
    "equipment",
)
UNSURE = "unsure"  # "not sure": played safe as a yes, worded as a possibility


def match_choice(text: str, options: dict[str, list[str]]) -> str | None:
    """The option whose words appear in the answer (first listed option wins a tie)."""
    return next((option for option, words in options.items() if mentions(text, words)), None)


def mentions(text: str, words: list[str]) -> bool:
    """One of `words` (or phrases) appears in the text as whole words, in any case."""
    lowered = f" {re.sub(r'[^a-z ]+', ' ', text.lower())} "
    return any(f" {w} " in lowered for w in words)


class ActionStartSession(Action):
    """`/start`: a new client goes into onboarding, a known one is welcomed back."""

    def name(self) -> str:
        return "action_start_session"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        complete = await call(dispatcher, lambda s: s.plans.profile_complete(chat_id(tracker)))
        if complete is None:
            return []
        if complete:
            name = first_name(tracker) or await call(dispatcher, lambda s: s.plans.display_name(chat_id(tracker)))
            say(dispatcher, Reply(messages()["welcome_back"].format(name=name)))
        return [SlotSet("profile_complete", complete)]


class ActionClearProfileSlots(Action):
    """"Change my training days": the stored answers come back as slots, and only those the
    client wants to change are cleared, so the form asks just those questions."""

    def name(self) -> str:
        return "action_clear_profile_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker).lower()
        choices = answers().change_profile
        asked = {slot for c in choices.values() if any(w in text for w in c["words"]) for slot in c["asks"]}
        stored = await call(dispatcher, lambda s: s.plans.profile_answers(chat_id(tracker)))
        if stored is None:
            return [SlotSet(slot, None) for slot in PROFILE_SLOTS if slot != "consent"]
        kept = profile_slots(stored) if asked else {"consent": True}
        return [SlotSet(slot, None if slot in asked else kept.get(slot)) for slot in PROFILE_SLOTS]


def profile_slots(answers: ProfileAnswers) -> dict[str, Any]:
    """Stored answers as the form's slots hold them after validation (see ActionSaveProfile)."""
    spine = UNSURE if answers.vertebral_fracture_unsure else answers.vertebral_fracture
    return {
        "consent": True, "experience": answers.experience, "vertebral_fracture": spine,
        **{q: getattr(answers, q) for q in SCREENING},
        "falls_last_year": answers.falls_last_year, "balance_confidence": answers.balance_confidence,
        "pain_today": answers.pain_today, "sessions_per_week": answers.sessions_per_week,
        "training_days": list(answers.training_days),
        "reminder_time": answers.reminder_time.strftime("%H:%M"),
        "equipment": sorted(answers.equipment),
    }


def keeps_parsed(validate: Any) -> Any:
    """An answer kept from the stored profile was parsed when first given: the form validates
    every filled slot when it starts, and a typed answer is always text, so a value of another
    type (True, 2, a list of days) passes unchanged."""

    def validated(self: Any, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> dict[str, Any]:
        if value is not None and not isinstance(value, str):
            return {validate.__name__.removeprefix("validate_"): value}
        return validate(self, value, dispatcher, tracker, domain)

    validated.__name__ = validate.__name__
    return validated


class ValidateOnboardingForm(FormValidationAction):
    """Each answer parsed from plain words; an unclear answer gets a clear re-ask."""

    def name(self) -> str:
        return "validate_onboarding_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # No consent, no questions: the form ends and nothing is stored.
        if tracker.get_slot("consent") is False:
            return []
        return domain_slots

    @staticmethod
    def _reask(dispatcher: CollectingDispatcher, slot: str) -> dict[str, Any]:
        dispatcher.utter_message(response=f"utter_invalid_{slot}")
        return {slot: None}

    @keeps_parsed
    def validate_consent(self, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        answer = parsing.parse_yes_no(str(value))
        return {"consent": answer} if answer is not None else self._reask(dispatcher, "consent")

    @keeps_parsed
    def validate_experience(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        choice = match_choice(str(value), answers().experience)
        return {"experience": choice} if choice else self._reask(dispatcher, "experience")

    def _yes_no_unsure(self, slot: str, value: Any, dispatcher: CollectingDispatcher
                       ) -> dict[str, Any]:
        answer = yes_no_unsure(str(value))
        return {slot: answer} if answer is not None else self._reask(dispatcher, slot)

    @keeps_parsed
    def validate_vertebral_fracture(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no_unsure("vertebral_fracture", value, dispatcher)

    @keeps_parsed
    def validate_recent_fracture(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no_unsure("recent_fracture", value, dispatcher)

    @keeps_parsed
    def validate_several_fractures(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no_unsure("several_fractures", value, dispatcher)

    @keeps_parsed
    def validate_height_loss_or_curve(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no_unsure("height_loss_or_curve", value, dispatcher)

    @keeps_parsed
    def validate_falls_last_year(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        count = parsing.parse_count(str(value))
        if count is None or not 0 <= count <= 50:
            return self._reask(dispatcher, "falls_last_year")
        return {"falls_last_year": count}

    @keeps_parsed
    def validate_balance_confidence(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        choice = match_choice(str(value), answers().balance_confidence)
        return {"balance_confidence": choice} if choice else self._reask(dispatcher, "balance_confidence")

    @keeps_parsed
    def validate_pain_today(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        score = _score(str(value), parsing.parse_pain_score)
        return {"pain_today": score} if score is not None else self._reask(dispatcher, "pain_today")

    @keeps_parsed
    def validate_sessions_per_week(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        count = parsing.parse_count(str(value))
        if count not in (2, 3):
            return self._reask(dispatcher, "sessions_per_week")
        return {"sessions_per_week": count}

    @keeps_parsed
    def validate_training_days(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        days = parsing.parse_weekdays(str(value))
        needed = int(tracker.get_slot("sessions_per_week") or 2)
        if days and len(days) < needed:
            # Say why: the number of days follows the sessions a week they chose.
            text = messages()["training_days_too_few"][needed].format(count=len(days))
            dispatcher.utter_message(text=text)
            return {"training_days": None}
        if len(days) < needed or not _has_spaced_days(days, needed):
            return self._reask(dispatcher, "training_days")
        return {"training_days": list(days)}

    @keeps_parsed
    def validate_reminder_time(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        at = parsing.parse_time(str(value))
        return {"reminder_time": at.strftime("%H:%M")} if at else self._reask(dispatcher, "reminder_time")

    @keeps_parsed
    def validate_equipment(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value)
        kit = parsing.parse_equipment(text)
        if not kit and parsing.parse_yes_no(text) is None and not _says_nothing(text):
            return self._reask(dispatcher, "equipment")
        return {"equipment": sorted(kit)}


class ActionSaveScreeningAnswer(Action):
    """A screening button at /today (a client onboarded before the questions): store the answer,
    then the next question or today's plan."""

    def name(self) -> str:
        return "action_save_screening_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        value = next(tracker.get_latest_entity_values("screening"), None) or ""
        question, _, answer = str(value).partition(":")
        parsed = _answered(yes_no_unsure(answer))
        if question not in SCREENING or parsed is None:
            # Not a button we sent: ask again from the start of what is still open.
            reply = await call(dispatcher, lambda s: s.plans.todays_plan(chat_id(tracker)))
        else:
            reply = await call(dispatcher, lambda s: s.plans.answer_screening(chat_id(tracker), question, parsed))
        if reply is not None:
            say(dispatcher, reply)
        return []


class ActionSaveProfile(Action):
    def name(self) -> str:
        return "action_save_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("consent") is not True:
            dispatcher.utter_message(response="utter_onboarding_declined")
            return [SlotSet(slot, None) for slot in PROFILE_SLOTS]
        hh, mm = (int(x) for x in tracker.get_slot("reminder_time").split(":"))
        spine = tracker.get_slot("vertebral_fracture")
        answers = ProfileAnswers(
            experience=tracker.get_slot("experience"),
            vertebral_fracture=bool(spine),
            vertebral_fracture_unsure=spine == UNSURE,
            **{q: _answered(tracker.get_slot(q)) for q in SCREENING},
            falls_last_year=int(tracker.get_slot("falls_last_year")),
            balance_confidence=tracker.get_slot("balance_confidence"),
            pain_today=int(tracker.get_slot("pain_today")),
            sessions_per_week=int(tracker.get_slot("sessions_per_week")),
            training_days=tuple(tracker.get_slot("training_days")),
            reminder_time=time(hh, mm),
            equipment=frozenset(tracker.get_slot("equipment") or ()),
        )
        reply = await call(dispatcher, lambda s: s.plans.save_profile(chat_id(tracker), first_name(tracker), answers))
        if reply is None:
            return []
        say(dispatcher, reply)
        return [SlotSet("profile_complete", True)]


def yes_no_unsure(text: str) -> bool | str | None:
    """Yes, no or "not sure" (UNSURE); None when the answer is none of them."""
    lowered = text.lower()
    if UNSURE in lowered or "sure" in lowered or "know" in lowered or "maybe" in lowered:
        return UNSURE
    return parsing.parse_yes_no(lowered)


def _answered(value: Any) -> bool | None:
    """A yes / no / unsure slot as the profile stores it: "not sure" is played safe as yes."""
    return None if value is None else value is True or value == UNSURE


def _score(text: str, parse: Any) -> int | None:
    try:
        return parse(text)
    except parsing.ScoreOutOfRange:
        return None


def _has_spaced_days(days: tuple[int, ...], needed: int) -> bool:
    """Strength days are never back to back: can `needed` of these days be picked with gaps?"""
    ordered = sorted(set(days))
    for start in ordered:
        picked = [start]
        for day in ordered:
            if day - picked[-1] >= 2:
                picked.append(day)
        if len(picked) > 1 and picked[0] + 7 - picked[-1] < 2:  # Sunday then Monday
            picked.pop()
        if len(picked) >= needed:
            return True
    return False


def _says_nothing(text: str) -> bool:
    return bool(re.search(r"\b(nothing|none|no equipment|just me)\b", text.lower()))
