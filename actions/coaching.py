"""Today's workout, check-ins, pain and fatigue, progress: thin wrappers over bot.services."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import call, chat_id, latest_text, message_id, say
from bot.content.loader import answers
from bot.db.status import CheckInStatus
from bot.nlp import parsing
from bot.services.pain import onset_question_needed


def _score_or_reask(value: Any, parse: Any, slot: str, response: str,
                    dispatcher: CollectingDispatcher) -> dict[str, Any]:
    if value is None:
        # A slot cleared just before the form started (action_safety_check_no) is validated
        # too: "None" would read as "none", a pain of 0. Not an answer, so nothing to re-ask.
        return {slot: None}
    try:
        score = parse(str(value))
    except parsing.ScoreOutOfRange:
        score = None
    if score is None:
        dispatcher.utter_message(response=response)
        return {slot: None}
    return {slot: score}


class ActionTodaysWorkout(Action):
    def name(self) -> str:
        return "action_todays_workout"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await call(dispatcher, lambda s: s.plans.todays_plan(chat_id(tracker)))
        if reply is not None:
            say(dispatcher, reply)
        return []


class ActionExplainPlan(Action):
    """"why": every reason behind today's plan."""

    def name(self) -> str:
        return "action_explain_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await call(dispatcher, lambda s: s.plans.explain_today(chat_id(tracker)))
        if reply is not None:
            say(dispatcher, reply)
        return []


class ValidateCheckinForm(FormValidationAction):
    """Effort (RPE 1–10) and pain (0–10) after a session; buttons or plain words."""

    def name(self) -> str:
        return "validate_checkin_form"

    def validate_effort(self, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return _score_or_reask(value, parsing.parse_effort, "effort", "utter_invalid_effort", dispatcher)

    def validate_pain_score(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return _score_or_reask(value, parsing.parse_pain_score, "pain_score",
                               "utter_invalid_pain_score", dispatcher)


class ActionLogCheckin(Action):
    def name(self) -> str:
        return "action_log_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        status = CheckInStatus.PARTIAL if _sounds_partial(_checkin_message(tracker)) else CheckInStatus.DONE
        effort, pain = _int(tracker.get_slot("effort")), _int(tracker.get_slot("pain_score"))
        reply = await call(dispatcher, lambda s: s.checkins.log_checkin(
            chat_id(tracker), status, effort, pain, None, message_id(tracker)))
        if reply is not None:
            say(dispatcher, reply)
        return [SlotSet("effort", None), SlotSet("pain_score", None)]


class ValidateSkipForm(FormValidationAction):
    def name(self) -> str:
        return "validate_skip_form"

    def validate_skip_reason(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        reason = " ".join(str(value or "").split())[:200]
        if not reason:  # the form asks again
            return {"skip_reason": None}
        return {"skip_reason": reason}


class ActionLogSkip(Action):
    def name(self) -> str:
        return "action_log_skip"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = str(tracker.get_slot("skip_reason"))
        reply = await call(dispatcher, lambda s: s.checkins.log_skip(chat_id(tracker), reason, message_id(tracker)))
        if reply is not None:
            say(dispatcher, reply)
        return [SlotSet("skip_reason", None)]


class ValidatePainForm(FormValidationAction):
    def name(self) -> str:
        return "validate_pain_form"

    def validate_pain_score(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return _score_or_reask(value, parsing.parse_pain_score, "pain_score",
                               "utter_invalid_pain_score", dispatcher)


class ActionHandlePain(Action):
    """Logs the report (score, where) and answers with today's adapted plan."""

    def name(self) -> str:
        return "action_handle_pain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        report = _pain_report_message(tracker)
        body_part = tracker.get_slot("body_part") or parsing.parse_body_part(report)
        score = int(tracker.get_slot("pain_score"))
        ask_first = onset_question_needed(score, body_part) and not _onset_answered(tracker)
        # Logged before the question, so a client who never answers it still has it on record.
        reply = await call(dispatcher, lambda s: s.safety.report_pain(
            chat_id(tracker), score, body_part, report, not ask_first, message_id(tracker)))
        if reply is not None and ask_first:
            # The slots stay set: action_safety_check_no sees that the score is already logged.
            return [SlotSet("body_part", body_part), FollowupAction("utter_ask_safety_check")]
        if reply is not None:
            say(dispatcher, reply)
        return [SlotSet("pain_score", None), SlotSet("body_part", None)]


class ActionHandleFatigue(Action):
    def name(self) -> str:
        return "action_handle_fatigue"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await call(dispatcher, lambda s: s.safety.report_fatigue(
            chat_id(tracker), latest_text(tracker), message_id(tracker)))
        if reply is not None:
            say(dispatcher, reply)
        return []


class ActionProgress(Action):
    """Progress as text, plus a chart the channel renders (Telegram: a photo)."""

    def name(self) -> str:
        return "action_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await call(dispatcher, lambda s: s.plans.progress(chat_id(tracker)))
        if reply is not None:
            say(dispatcher, reply)
            dispatcher.utter_message(json_message={"progress_chart": True})
        return []


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _user_texts(tracker: Tracker, intent: str) -> list[str]:
    return [
        str(e.get("text") or "") for e in tracker.events
        if e.get("event") == "user" and (e.get("parse_data") or {}).get("intent", {}).get("name") == intent
    ]


def _checkin_message(tracker: Tracker) -> str:
    texts = _user_texts(tracker, "checkin_done")
    return texts[-1] if texts else ""


def _pain_report_message(tracker: Tracker) -> str:
    texts = _user_texts(tracker, "report_pain")
    return texts[-1] if texts else latest_text(tracker)


def _onset_answered(tracker: Tracker) -> bool:
    """The client has just said "not an injury" about this pain (and was then asked its score):
    asking the same question again would be a loop. Looks back past the newest message to the
    report before it."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_safety_check_no":
            return True
        if event.get("event") != "user":
            continue
        users += 1
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if users > 1 and intent in ("report_pain", "red_flag"):
            return False
    return False


def _sounds_partial(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in answers().partial_checkin)
