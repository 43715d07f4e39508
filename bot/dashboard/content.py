"""bot/dashboard/texts.yml: the dashboard's words and numbers, read through the content loader
(its Section shapes refuse unknown keys and empty texts, and errors name the file and key).

It lives beside the dashboard, not in bot/content: every word in bot/content is part of the
spelling corrector's vocabulary and of what retrains the model, and staff pages are neither."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import PositiveInt, StrictStr

from bot.content.loader import Section, load

Text = StrictStr
TEXTS = Path(__file__).with_name("texts.yml")


class Lockout(Section):
    failures: PositiveInt
    window_minutes: PositiveInt
    lock_minutes: PositiveInt


class Security(Section):
    session_hours: PositiveInt
    idle_minutes: PositiveInt
    min_password_length: PositiveInt
    account_lockout: Lockout
    address_lockout: Lockout


class Dropping(Section):
    """Adherence dropping: the 7-day figure `points` below the 28-day one, enough planned."""

    points: PositiveInt
    min_planned_7: PositiveInt


class Pages(Section):
    clients_per_page: PositiveInt
    report_max_age_seconds: PositiveInt
    checkins_shown: PositiveInt
    messages_shown: PositiveInt
    audit_shown: PositiveInt
    chart_days: PositiveInt


class DashboardContent(Section):
    security: Security
    dropping: Dropping
    pages: Pages
    today_order: list[Text]  # alert kinds, most urgent first
    flag_reasons: list[Text]  # offered in the clinic flags' reason box
    texts: dict[str, dict[str, Text]]  # page -> key -> text (templates read them)


@cache
def dashboard_content() -> DashboardContent:
    return load(DashboardContent, TEXTS)


def texts() -> dict[str, dict[str, str]]:
    return dashboard_content().texts
