"""Screenshots of the staff dashboard for docs/DASHBOARD.md: docs/dashboard-today.png (the whole
Today page) and docs/dashboard-client.png (one client's page down to their charts).

A made-up clinic (every name invented) of twelve clients who joined over the last five weeks,
lived day by day through the services, as the chat would: each morning's plan made, sessions
done, partly done or skipped at each client's own rate, pain and effort given. Then this
morning: a red flag, a high pain report and a request to talk to a person; the coach desk's
missed-sessions scan; one client cleared for weights by the clinic. The dashboard serves it (a
clock fixed at "now", so the pictures are reproducible) and Debian's headless Chromium (the
browser tests' launcher) takes the pictures at a 1280x900 viewport.

Run: `.venv/bin/python -m bench.dashboard_screenshots [--out docs]` (about half a minute).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bot.coach_desk.adherence import detect_missed_sessions
from bot.coaching.progress import NOT_TRAINING
from bot.dashboard.app import create_app
from bot.dashboard.auth import StaffAuth
from bot.dashboard.server import serve
from bot.db import clients
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.services import Services
from bot.services.types import ProfileAnswers
from bot.settings import Settings
from tests.dashboard.browser.chromium import VIEWPORT, launch

NOW = datetime(2025, 6, 2, 15, 10, tzinfo=timezone.utc)  # Monday 10:10 in Duluth
STAFF, PASSWORD = "Dana Whitcombe", "screenshots need a long passphrase too"
FIRST_CHAT = 8_100_000_001
SKIP_REASONS = ("Visiting my grandchildren", "Felt under the weather", "Doctor's appointment ran long",
                "Too tired after work")


@dataclass(frozen=True)
class Persona:
    """One made-up client: how often they train, how it feels, what they said at onboarding."""

    name: str
    joined_days_ago: int
    done_rate: float  # share of training days done
    pain: tuple[int, int]  # range of pain scores they give
    effort: tuple[int, int] = (4, 6)
    stopped_days_ago: int = 0  # trains no more since then (adherence dropping)
    partial_rate: float = 0.1
    answers: dict[str, Any] = field(default_factory=dict)


CLINIC = (
    Persona("Marit Halvorsen", 35, 0.9, (1, 2)),
    Persona("Gloria Benitez", 35, 0.85, (1, 2), (3, 5), answers={"training_days": (1, 3, 5)}),
    Persona("Harold Kaminski", 33, 0.7, (1, 3), answers={"experience": "new"}),
    Persona("Doris Whitfield", 35, 0.95, (1, 2), stopped_days_ago=9),
    Persona("Ruth Ann Pedersen", 35, 1.0, (0, 1), (5, 7),
            answers={"experience": "regular", "equipment": frozenset({"chair", "band", "dumbbells"})}),
    Persona("Evelyn Tran", 30, 0.85, (1, 3), answers={"vertebral_fracture": True}),
    Persona("Frank Novak", 28, 0.6, (2, 3), partial_rate=0.4,
            answers={"falls_last_year": 2, "balance_confidence": "low", "training_days": (1, 3)}),
    Persona("Joan Lindqvist", 35, 0.9, (1, 2), answers={"several_fractures": True, "height_loss_or_curve": True}),
    Persona("Walter Brandt", 21, 0.5, (2, 4), answers={"training_days": (0, 3)}),
    Persona("Irene Sato", 10, 1.0, (0, 2), answers={"experience": "some"}),
    Persona("Loretta Hayes", 35, 0.9, (1, 3), stopped_days_ago=8, answers={"training_days": (1, 3, 5)}),
    Persona("Bernard Oyelaran", 26, 0.75, (2, 4), answers={"equipment": frozenset({"chair", "step"})}),
)
RED_FLAG = ("Marit Halvorsen", "I fell getting out of the bath and there's a sharp pain in my back that won't ease")
HIGH_PAIN = ("Gloria Benitez", 8, "knee", "my knee is an 8 today, it swelled up after the gardening")
WANTS_A_PERSON = ("Harold Kaminski", "could someone from the clinic call me about my hip appointment")
CLEARED_FOR_WEIGHTS = "Ruth Ann Pedersen"
SHOWN_CLIENT = "Gloria Benitez"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def answers(persona: Persona) -> ProfileAnswers:
    fields: dict[str, Any] = dict(
        experience="some", vertebral_fracture=False, falls_last_year=0, balance_confidence="medium", pain_today=1,
        training_days=(0, 2, 4), reminder_time=time(9, 0), equipment=frozenset({"chair", "band"}),
        recent_fracture=False, several_fractures=False, height_loss_or_curve=False,
    )
    fields.update(persona.answers)
    return ProfileAnswers(sessions_per_week=len(fields["training_days"]), **fields)


def live_a_day(services: Services, rng: random.Random, chats: dict[str, int], days_ago: int) -> None:
    """Each enrolled client's morning plan, then their session done, partly done, skipped or not."""
    for persona in CLINIC:
        if persona.joined_days_ago < days_ago:
            continue
        chat = chats[persona.name]
        plan = services.plans.reminder_plan(chat)
        if days_ago == 0 or plan is None or plan.kind in NOT_TRAINING:
            continue
        trains = not persona.stopped_days_ago or days_ago > persona.stopped_days_ago
        if trains and rng.random() < persona.done_rate:
            status = "partial" if rng.random() < persona.partial_rate else "done"
            services.checkins.log_checkin(chat, status, rng.randint(*persona.effort), rng.randint(*persona.pain),
                                          None)
        elif trains and rng.random() < 0.5:
            services.checkins.log_skip(chat, rng.choice(SKIP_REASONS))


def seed(engine: Any, clock: Clock) -> dict[str, int]:
    """The clinic, five weeks of it; returns each client's row id by name."""
    services = Services.over(engine, clock)
    rng = random.Random(14)
    chats = {persona.name: FIRST_CHAT + n for n, persona in enumerate(CLINIC)}
    for days_ago in range(max(p.joined_days_ago for p in CLINIC), -1, -1):
        clock.now = NOW - timedelta(days=days_ago, minutes=40)  # 9:30, the reminders are out
        for persona in CLINIC:
            if persona.joined_days_ago == days_ago:
                services.plans.save_profile(chats[persona.name], persona.name, answers(persona))
        live_a_day(services, rng, chats, days_ago)
    clock.now = NOW - timedelta(days=1, hours=3)
    services.safety.request_human(chats[WANTS_A_PERSON[0]], WANTS_A_PERSON[1])
    clock.now = NOW - timedelta(minutes=35)
    services.safety.report_pain(chats[HIGH_PAIN[0]], *HIGH_PAIN[1:])
    clock.now = NOW - timedelta(minutes=12)
    services.safety.record_red_flag(chats[RED_FLAG[0]], RED_FLAG[1])
    clock.now = NOW
    services.plans.set_clinic_flags(chats[CLEARED_FOR_WEIGHTS], {"cleared_for_weights": True})
    detect_missed_sessions(engine, NOW)
    with unit_of_work(engine) as s:
        return {name: int(clients.get_client(s, chat).id) for name, chat in chats.items()}


def screenshots(url: str, client_id: int, out: Path) -> list[Path]:
    today, client = out / "dashboard-today.png", out / "dashboard-client.png"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(base_url=url, viewport=VIEWPORT)
        page.goto("/login")
        page.fill("#username", STAFF)
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        page.wait_for_url("**/today")
        page.screenshot(path=str(today), full_page=True)
        page.goto(f"/clients/{client_id}")
        for chart in ("#ladder-chart", "#pain-chart"):
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=page.locator(chart).element_handle())
        box = page.locator("#progress").bounding_box()
        assert box is not None
        height = int(box["y"] + box["height"] + 16)  # down to the charts, a section boundary
        page.screenshot(path=str(client), full_page=True, clip={"x": 0, "y": 0, "width": VIEWPORT["width"],
                                                                  "height": height})
        browser.close()
    return [today, client]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder for the PNGs (default: docs)")
    args = parser.parse_args(argv)
    clock = Clock(NOW)
    with tempfile.TemporaryDirectory(prefix="bone-coach-screenshots-") as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'bone_coach.db'}",
                            telegram_bot_username="DuluthBoneCoachBot")
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        ids = seed(engine, clock)
        StaffAuth(engine, clock).add_staff(STAFF, PASSWORD, "screenshots")
        app = create_app(settings, engine=engine, clock=clock)
        with serve(app, "127.0.0.1", 0) as server:
            saved = screenshots(server.url, ids[SHOWN_CLIENT], args.out)
        engine.dispose()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
