"""The one way to read bot/content/*.yml: each file checked against its shape when first read,
cached for the process; bot/content_check.py reads them all at start-up, so a broken file stops
the process with an error that names the file and the key, instead of failing in a client's
conversation.

Shapes are pydantic models (unknown keys are refused, so a typo is caught). Sections support
`section["key"]` as well as `section.key`, so texts read like the YAML they come from. The
rules and exercise files are parsed by the engine's own module (bot/coaching/library.py, which
reads them through `read_yaml` and raises ContentError with the file name too), so this module
imports nothing of the bot.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    Extra,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    StrictInt,
    StrictStr,
    ValidationError,
    validator,
)

CONTENT_DIR = Path(__file__).resolve().parent
M = TypeVar("M", bound="Section")

Text = StrictStr  # never empty: Section checks every string
Words = list[StrictStr]


class ContentError(ValueError):
    """A content file is missing, is not YAML, or breaks its shape: names the file and the key."""


class Section(BaseModel):
    """A checked, read-only part of a content file."""

    class Config:
        extra = Extra.forbid
        allow_mutation = False

    @validator("*")
    def _no_blank_text(cls, value: Any) -> Any:  # noqa: N805 (a pydantic validator)
        if _has_blank(value):
            raise ValueError("an empty text")
        return value

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def keys(self) -> Iterator[str]:
        return iter(self.__fields__)


def _has_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict):
        return any(_has_blank(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_blank(v) for v in value)
    return False


# --- shapes -------------------------------------------------------------------------------------
class Button(Section):
    title: Text
    payload: Text


class PainAck(Section):
    green: Text
    amber: Text
    red: Text


class CheckinDone(Section):
    first: Text
    streak: Text
    plain: Text


class Screening(Section):
    intro: Text
    questions: dict[str, Text]
    buttons: list[tuple[Text, Text]]
    alert: Text


class PlanTexts(Section):
    """How a plan is written out (bot/coaching/formatting.py)."""

    limit: PositiveInt
    titles: dict[str, Text]
    minutes: Text
    warmup: Text
    why: Text
    more: Text
    buttons: list[Button]


class ChartTexts(Section):
    title: Text
    strength: Text
    other: Text
    sessions: Text
    pain: Text
    pain_axis: Text


class Messages(Section):
    """messages.yml: what the coach says from its actions."""

    not_onboarded: Text
    plan_footer: Text
    plan: PlanTexts
    chart: ChartTexts
    checkin_done: CheckinDone
    checkin_partial: Text
    effort_hard: Text
    effort_easy: Text
    pain_after: Text
    skip_ack: Text
    pain_ack: PainAck
    pain_where: Text
    pain_repeat_alert: Text
    fatigue_ack: Text
    fatigue_persistent: Text
    progress: Text
    progress_none: Text
    reminder_set: Text
    reminder_rest_days_on: Text
    reminder_rest_days_off: Text
    reminder_rest_days_offer: Text
    reminders_paused: Text
    rest_days_on: Text
    rest_days_off: Text
    reminders_resumed: Text
    reminder_time_unknown: Text
    profile_saved: Text
    no_equipment: Text
    default_name: Text
    welcome_back: Text
    forgotten: Text
    nothing_to_forget: Text
    export_ready: Text
    safety_check_no: Text
    safety_check_no_other: Text
    red_flag_open_notice: Text
    screening: Screening
    checkin_red_flag_open: Text
    training_days_too_few: dict[StrictInt, Text]


class AlertRepeat(Section):
    after_minutes: PositiveInt
    kinds: Words
    timezone: Text
    weekdays: list[StrictInt]  # Monday = 0
    opens: Text
    closes: Text

    @validator("weekdays", each_item=True)
    def _weekday(cls, value: int) -> int:  # noqa: N805
        if not 0 <= value <= 6:
            raise ValueError("a weekday is 0 (Monday) to 6")
        return value


class MissedSessions(Section):
    alert_after: PositiveInt
    days_listed: PositiveInt


class Clinic(Section):
    """clinic.yml: the clinic behind Bone Coach, and when its team is alerted."""

    name: Text
    city: Text
    phone: Text
    email: Text
    hours: Text
    emergency_number: Text
    alert_repeat: AlertRepeat
    missed_sessions: MissedSessions


class ChangeProfile(Section):
    words: Words
    asks: Words


class Answers(Section):
    """answers.yml: the words clients use for onboarding choices and profile changes."""

    experience: dict[str, Words]
    balance_confidence: dict[str, Words]
    partial_checkin: Words
    rest_day_topic: Words
    rest_day_reminders: dict[str, Words]
    change_profile: dict[str, ChangeProfile]


class Clarify(Section):
    """clarify.yml: "did you mean" buttons, the FAQ gate, and when a person is offered."""

    question: Text
    max_choices: PositiveInt
    faq_min_confidence: NonNegativeFloat
    misses_before_human: PositiveInt
    something_else: Button
    intents: dict[str, Button]
    faq: dict[str, Button]

    @validator("faq_min_confidence")
    def _at_most_one(cls, value: float) -> float:  # noqa: N805
        if value > 1:
            raise ValueError("a confidence is at most 1")
        return value


class Command(Section):
    command: Text
    payload: Text
    description: Text
    argument: Text | None = None


class ChannelTexts(Section):
    """channel_texts.yml: what the Telegram channel itself says, and its slash commands."""

    commands: list[Command]
    not_enrolled: Text
    invite_invalid: Text
    group_refused: Text
    non_text: Text
    caption_note: Text
    unknown_command: Text
    long_message: Text
    error: Text
    error_kept: Text
    choose: Text
    button_passed: Text


class CoachAlertTexts(Section):
    headings: dict[str, Text]
    body: Text
    no_detail: Text
    recent_heading: Text
    recent_none: Text
    footer: Text
    footer_red_flag: Text
    button: Text
    repeat: Text
    missed_detail: Text
    never: Text
    # What an alert says happened (bot/services), and the note kept with a pain score.
    details: dict[str, Text]


class RecentTexts(Section):
    checkin: Text
    symptom: Text
    statuses: dict[str, Text]
    symptom_kinds: dict[str, Text]
    effort: Text
    pain: Text
    score: Text
    body_part: Text
    quote: Text


class CoachTexts(Section):
    """coach_texts.yml: the coach desk's words."""

    kinds: dict[str, Text]
    alert: CoachAlertTexts
    recent: RecentTexts
    commands: dict[str, Text]
    button_presses: dict[str, Text]
    client: dict[str, Text]


class ReminderSchedule(Section):
    window_minutes: PositiveFloat
    nudge_time: Text
    nudge_min_gap_minutes: NonNegativeFloat
    nudge_window_minutes: PositiveFloat
    max_unprompted_per_day: PositiveInt


class ReminderDelivery(Section):
    poll_seconds: PositiveFloat
    batch_size: PositiveInt
    lease_seconds: PositiveFloat
    retry_delay_seconds: NonNegativeFloat
    max_attempts: PositiveInt
    concurrency: PositiveInt
    rate_per_second: NonNegativeFloat
    per_chat_seconds: NonNegativeFloat


class ReminderTexts(Section):
    checkin: dict[str, Text]
    light: dict[str, Text]
    nudge: Text


class Reminders(Section):
    """reminders.yml: when check-in reminders go out, how fast, and what they say."""

    schedule: ReminderSchedule
    delivery: ReminderDelivery
    buttons: list[Button]
    texts: ReminderTexts


# --- reading ------------------------------------------------------------------------------------
def _name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(CONTENT_DIR.parent.parent))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> dict[str, Any]:
    """A content file as a mapping; ContentError (naming the file) when it is missing or not
    a YAML mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ContentError(f"{_name(path)}: cannot be read ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise ContentError(f"{_name(path)}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ContentError(f"{_name(path)}: expected a mapping of keys at the top")
    return data


def parse(model: type[M], data: dict[str, Any], where: str) -> M:
    """`data` checked against `model`; every problem is listed with its key path."""
    try:
        return model.parse_obj(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ContentError(f"{where}: {problems}") from error


def load(model: type[M], path: Path) -> M:
    return parse(model, read_yaml(path), _name(path))


def _file(name: str) -> Path:
    return CONTENT_DIR / name


# --- one cached accessor per file ---------------------------------------------------------------
@cache
def messages() -> Messages:
    return load(Messages, _file("messages.yml"))


@cache
def clinic() -> Clinic:
    return load(Clinic, _file("clinic.yml"))


@cache
def answers() -> Answers:
    return load(Answers, _file("answers.yml"))


@cache
def clarify() -> Clarify:
    return load(Clarify, _file("clarify.yml"))


@cache
def channel_texts() -> ChannelTexts:
    return load(ChannelTexts, _file("channel_texts.yml"))


@cache
def coach_texts() -> CoachTexts:
    return load(CoachTexts, _file("coach_texts.yml"))


@cache
def reminders() -> Reminders:
    return load(Reminders, _file("reminders.yml"))


@cache
def entity_patterns() -> dict[str, Any]:
    """entity_patterns.yml (spaCy patterns; bot/nlp/build_pipeline.py checks the patterns)."""
    data = read_yaml(_file("entity_patterns.yml"))
    if not isinstance(data.get("labels"), dict):
        raise ContentError(f"{_name(_file('entity_patterns.yml'))}: labels: a mapping is required")
    return data


def entity_intents() -> dict[str, Any]:
    """entity_intents.yml (bot/nlp/entity_intents.py builds and caches its rules)."""
    return read_yaml(_file("entity_intents.yml"))


def red_flags() -> dict[str, Any]:
    """red_flags.yml (bot/nlp/red_flag_rules.py builds and caches its rules)."""
    return read_yaml(_file("red_flags.yml"))


def red_flag_training() -> dict[str, Any]:
    """red_flag_training.yml (bot/nlp/red_flag_classifier.py reads it when it trains)."""
    return read_yaml(_file("red_flag_training.yml"))
