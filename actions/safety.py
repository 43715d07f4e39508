"""Red flags, a request for a human, and the low-confidence fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import call, chat_id, latest_text, message_id, say
from bot.content.loader import clarify, clinic, coach_texts, messages
from bot.nlp import parsing
from bot.services.types import Reply

REPORT_INTENTS = ("red_flag", "report_pain")
_PAIN_WORDS = re.compile(r"\b(?:pain\w*|hurt\w*|ache\w*|aching|sore\w*|agony|injur\w*|throbb\w*)\b", re.I)


@dataclass(frozen=True)
class ReportedMessage:
    """The client's own report behind a red flag or a safety question, with what it named."""

    text: str
    pain_score: int | None
    body_part: str | None
    message_id: str | None = None  # the report's own message (not the "yes" after it)

    @property
    def mentions_pain(self) -> bool:
        return bool(_PAIN_WORDS.search(self.text))


def reported_message(tracker: Tracker) -> ReportedMessage:
    """The newest red-flag or pain message (not a "yes"/"no" answer or a bare score), its pain
    score (the slot, else the message's pain_score entity) and body part."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    report = next(
        (e for e in reversed(users)
         if (e.get("parse_data") or {}).get("intent", {}).get("name") in REPORT_INTENTS
         and not str(e.get("text") or "").startswith("/")),
        None,
    )
    text = str(report.get("text") or "") if report else latest_text(tracker)
    entities = (report.get("parse_data") or {}).get("entities", []) if report else []
    score = tracker.get_slot("pain_score") if score_logged_before_question(tracker) else None
    if score is None:
        said = next((e.get("value") for e in entities if e.get("entity") == "pain_score"), None)
        score = _score(said)
    body_part = tracker.get_slot("body_part") or parsing.parse_body_part(text)
    said_in = (report.get("message_id") if report else None) or message_id(tracker)
    return ReportedMessage(text=text, pain_score=None if score is None else int(score), body_part=body_part,
                           message_id=str(said_in)[:64] if said_in else None)


def score_logged_before_question(tracker: Tracker) -> bool:
    """Was the safety question asked by action_handle_pain, after it logged the score? Only
    then is the pain_score slot this report's: a number in any earlier message (an onboarding
    answer, a check-in) also fills it."""
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    asked = max((i for i, name in enumerate(actions) if name == "utter_ask_safety_check"), default=None)
    return asked is not None and asked > 0 and actions[asked - 1] == "action_handle_pain"


def _score(value: object) -> int | None:
    """A number on the 0-10 scale in the entity ("8 out of 10", "a 6"); a phrase without one
    ("sudden pain") gives none, not 0."""
    try:
        return parsing.parse_score(str(value), 0, 10) if value is not None else None
    except parsing.ScoreOutOfRange:
        return None


class ActionRecordRedFlag(Action):
    """After utter_red_flag (sent by Rasa itself, so it arrives even if we are down).

    After a "yes" to the safety question, what is recorded (and quoted to the clinic) is the
    message that raised the question, not the "yes"; a pain score said with it is kept too.
    """

    def name(self) -> str:
        return "action_record_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        report = reported_message(tracker)
        await call(dispatcher, lambda s: s.safety.record_red_flag(
            chat_id(tracker), report.text, report.pain_score, report.body_part, report.message_id))
        return [SlotSet("pain_score", None), SlotSet("body_part", None)]


class ActionSafetyCheckNo(Action):
    """"No, it's my usual ache": carry on with the pain flow, with the answer on record.

    A pain score already logged (the question came from a high score) gets today's plan; a
    message that named a score is logged now; a pain without a score gets the 0-10 question.
    """

    def name(self) -> str:
        return "action_safety_check_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        report = reported_message(tracker)
        client = chat_id(tracker)
        reset = [SlotSet("pain_score", None), SlotSet("body_part", None)]
        if score_logged_before_question(tracker) and tracker.get_slot("pain_score") is not None:
            plan = await call(dispatcher, lambda s: s.plans.todays_plan(client, True))  # remade for the pain
            if plan is not None:
                say(dispatcher, Reply(f"{messages()['safety_check_no']}\n\n{plan.text}", plan.buttons))
            return reset
        if report.pain_score is not None:
            note = coach_texts().alert.details["not_an_injury"].format(text=report.text)
            reply = await call(dispatcher, lambda s: s.safety.report_pain(
                client, report.pain_score, report.body_part, note, True, report.message_id))
            if reply is not None:
                say(dispatcher, Reply(f"{messages()['safety_check_no']}\n\n{reply.text}", reply.buttons))
            return reset
        if report.body_part is not None or report.mentions_pain:
            # The pain form asks the 0-10 question, so a typed "4" is taken as the answer too.
            dispatcher.utter_message(text=messages()["safety_check_no"])
            return [*reset, SlotSet("body_part", report.body_part), FollowupAction("pain_form")]
        dispatcher.utter_message(text=messages()["safety_check_no_other"].format(phone=clinic()["phone"]))
        return reset


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = await call(dispatcher, lambda s: s.safety.request_human(
            chat_id(tracker), latest_text(tracker), message_id(tracker)))
        if done is not None:
            dispatcher.utter_message(response="utter_human_handoff")
        return []


class ActionGreet(Action):
    """A hello; someone without a profile yet is offered onboarding instead of a menu."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        complete = await call(dispatcher, lambda s: s.plans.profile_complete(chat_id(tracker)))
        if complete is not None:
            dispatcher.utter_message(response="utter_greet" if complete else "utter_greet_new_client")
        return []


class ActionAnswerFaq(Action):
    """An FAQ answer when the response selector is sure of the topic; otherwise "did you mean"
    (a wrong answer to a question nobody asked is worse than asking)."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        parse = tracker.latest_message
        response = (((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {})
        topic = str(response.get("intent_response_key") or "")
        if topic and float(response.get("confidence") or 0.0) >= clarify().faq_min_confidence:
            dispatcher.utter_message(response=f"utter_{topic}")
            return []
        ask_did_you_mean(dispatcher, parse)
        return []


class ActionFallback(Action):
    """When unsure: the likeliest meanings as buttons ("did you mean"); with no likely meaning,
    what the coach can do; after a few misses in a row (clarify.yml), a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _misses_in_a_row(tracker) >= clarify().misses_before_human:
            dispatcher.utter_message(response="utter_offer_human")
            return []
        ask_did_you_mean(dispatcher, tracker.latest_message)
        return []


def ask_did_you_mean(dispatcher: CollectingDispatcher, parse: dict[str, Any]) -> None:
    """The likeliest meanings as buttons plus [Something else]; with none, what the coach can do."""
    choices = did_you_mean(parse)
    if not choices:
        dispatcher.utter_message(response="utter_default")
        return
    content = clarify()
    dispatcher.utter_message(text=content.question, buttons=[*choices, content.something_else.dict()])


def did_you_mean(parse: dict[str, Any]) -> list[dict[str, str]]:
    """Buttons for the likeliest meanings the NLU ranked, most likely first (at most
    `max_choices`); an FAQ guess becomes its topic's plain question."""
    content = clarify()
    faq_ranking = ((parse.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    choices: list[dict[str, str]] = []
    for entry in parse.get("intent_ranking") or []:
        name = str(entry.get("name"))
        if name == "faq" and faq_ranking:
            topic = str(faq_ranking[0].get("intent_response_key", "")).removeprefix("faq/")
            button = content["faq"].get(topic)
        else:
            button = content["intents"].get(name)
        if button and button not in choices:
            choices.append(dict(button))
        if len(choices) == content.max_choices:
            break
    return choices


def _misses_in_a_row(tracker: Tracker) -> int:
    """This miss plus the user's previous messages that were answered by a fallback, back to back."""
    turns: list[list[str]] = []
    for event in tracker.events:
        if event.get("event") == "user":
            turns.append([])
        elif event.get("event") == "action" and turns:
            turns[-1].append(str(event.get("name")))
    misses = 1
    for actions in reversed(turns[:-1]):
        if "action_fallback" not in actions:
            break
        misses += 1
    return misses
