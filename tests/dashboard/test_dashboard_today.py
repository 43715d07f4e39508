"""Today: red flags first, then high pain, "talk to a person" and missed sessions; "handled" and
"cleared to exercise" work in one click, are audited, and a cleared client trains again and hears
it on Telegram at once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.coach_desk.texts import coach_texts
from bot.dashboard.auth import Passwords, StaffAuth
from bot.dashboard.telegram import TelegramLink
from bot.db import alerts, clients, sessions
from bot.db.engine import unit_of_work
from bot.db.models import DEFAULT_TIMEZONE
from bot.db.status import AlertKind, AuditAction
from bot.services import Services
from bot.settings import Settings
from tests.dashboard.conftest import PASSWORD, STAFF, Browser, Clock, audit_rows, enrol, make_app
from tests.support.fake_telegram import FakeTelegramThread

ADA, BEA, CY, DEE, EVE = 5_100_000_001, 5_100_000_002, 5_100_000_003, 5_100_000_004, 5_100_000_005


def open_alerts(engine: Engine, chat_id: int) -> list[tuple[int, str]]:
    with unit_of_work(engine) as s:
        return [(a.id, a.kind) for a in alerts.list_alerts(s, clients.get_client(s, chat_id), open_only=True)]


def test_red_flags_come_first_then_pain_a_person_and_missed_sessions(
    browser: Browser, services: Services, clock: Clock
) -> None:
    enrol(services, ADA, "Ada Quill")
    enrol(services, BEA, "Bea Marsh")
    enrol(services, CY, "Cy Lund")
    services.safety.request_human(CY, "can someone call me please")
    clock.advance(minutes=5)
    services.safety.report_pain(BEA, 8, "knee", "my knee is an 8 today")
    clock.advance(minutes=5)
    services.safety.record_red_flag(ADA, "I fell and my back hurts badly")
    page = browser.get("/today").text
    order = [page.index(marker) for marker in
             ('id="red-flags"', "Ada Quill", 'id="alerts-pain_high"', "Bea Marsh", 'id="alerts-human_request"',
              "Cy Lund", 'id="alerts-missed_sessions"', 'id="dropping"')]
    assert order == sorted(order)
    assert "I fell and my back hurts badly" in page and "Nobody has picked this up yet." in page


def test_handled_closes_the_alert_and_is_audited_but_a_red_flag_client_stays_stopped(
    browser: Browser, services: Services, db_engine: Engine
) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    services.safety.record_red_flag(ADA, "sudden sharp pain in my spine")
    [(alert_id, kind)] = open_alerts(db_engine, ADA)
    assert kind == AlertKind.RED_FLAG

    response = browser.post(f"/alerts/{alert_id}/handled", {"back": "today"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/today?done=handled")
    assert open_alerts(db_engine, ADA) == []
    assert services.plans.reminder_plan(ADA).kind == "stop"  # handled is not cleared
    page = browser.get("/today").text
    assert "Someone at the clinic has picked this up." in page and f'id="cleared-{ada}"' in page

    [entry] = audit_rows(db_engine)
    assert (entry.staff, entry.action, entry.client_id, entry.target) == (STAFF, AuditAction.ALERT_HANDLED, ada,
                                                                          f"alert {alert_id}")
    before, after = json.loads(entry.before_json), json.loads(entry.after_json)
    assert before["handled_by"] is None and after["handled_by"] == STAFF
    assert [f["state"] for f in before["red_flags_not_cleared"]] == ["open"]
    assert [f["state"] for f in after["red_flags_not_cleared"]] == ["handled"]


def test_cleared_to_exercise_is_audited_and_the_next_plan_is_a_plan_again(
    browser: Browser, services: Services, db_engine: Engine
) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    services.safety.record_red_flag(ADA, "sudden sharp pain in my spine")
    assert services.plans.reminder_plan(ADA).kind == "stop"

    response = browser.post(f"/clients/{ada}/cleared", {"back": "client"})
    assert response.headers["Location"].endswith(f"/clients/{ada}?done=cleared")
    assert services.plans.reminder_plan(ADA).kind != "stop"
    assert "no exercise" not in services.plans.todays_plan(ADA).text.lower()
    assert open_alerts(db_engine, ADA) == []  # the red flag's alert closed with it

    [entry] = audit_rows(db_engine)
    assert (entry.action, entry.client_id, entry.staff) == (AuditAction.RED_FLAGS_CLEARED, ada, STAFF)
    before, after = json.loads(entry.before_json), json.loads(entry.after_json)
    assert len(before["red_flags_not_cleared"]) == 1 and len(before["open_red_flag_alerts"]) == 1
    assert after == {"red_flags_not_cleared": [], "open_red_flag_alerts": []}
    again = browser.post(f"/clients/{ada}/cleared")
    assert again.headers["Location"].endswith("done=nothing_to_clear")


def test_a_cleared_client_hears_it_on_telegram_at_once(
    db_engine: Engine, clock: Clock, passwords: Passwords, services: Services, tmp_path: Path
) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    services.safety.record_red_flag(ADA, "sudden sharp pain in my spine")
    StaffAuth(db_engine, clock, passwords).add_staff(STAFF, PASSWORD, "test")
    with FakeTelegramThread() as fake:
        settings = Settings(telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url)
        app = make_app(db_engine, clock, passwords, settings, tmp_path / "t.db",
                       TelegramLink(settings, db_engine, clock))
        with app.test_client() as client:
            browser = Browser(client)
            browser.login()
            assert browser.post(f"/clients/{ada}/cleared").status_code == 303
        [sent] = fake.calls_to("sendMessage", chat_id=ADA)
        assert sent.params["text"] == coach_texts()["client"]["cleared"]


def test_clients_whose_adherence_is_dropping_are_listed_after_the_alerts(
    browser: Browser, services: Services, clock: Clock, db_engine: Engine
) -> None:
    clock.advance(days=-35)
    enrol(services, DEE, "Dee Falls", training_days=(0, 2, 4))
    enrol(services, EVE, "Eve Steady", training_days=(0, 2, 4))
    clock.advance(days=35)
    today = clock().astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    with unit_of_work(db_engine) as s:
        dee, eve = clients.get_client(s, DEE), clients.get_client(s, EVE)
        for n in range(1, 29):
            day = today - timedelta(days=n)
            if day.weekday() in (0, 2, 4):
                sessions.record_checkin(s, eve, day, "done", rpe=5, now=clock())
                if n > 7:  # Dee trained until last week, then stopped
                    sessions.record_checkin(s, dee, day, "done", rpe=5, now=clock())
    page = browser.get("/today").text
    dropping = page[page.index('id="dropping"'):]
    assert "Dee Falls" in dropping and "Eve Steady" not in dropping
