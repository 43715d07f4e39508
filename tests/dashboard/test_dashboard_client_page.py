"""One client's page: profile and screening, today's plan with every reason and its source, the
charts (images from routes on the client's id), the conversation from Rasa's tracker store, and
the clinic's flags changed with a reason, audited, and followed by the next plan."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from xml.etree import ElementTree

from flask import Flask
from sqlalchemy.engine import Engine

from bot.coaching.library import default_rules
from bot.db.status import AuditAction
from bot.services import Services
from tests.dashboard.conftest import STAFF, Browser, audit_rows, client_id, enrol

ADA, BEA = 5_400_000_001, 5_400_000_002


def test_the_page_shows_the_profile_screening_and_every_reason_of_todays_plan_with_its_source(
    browser: Browser, services: Services
) -> None:
    ada = enrol(services, ADA, "Ada Quill", falls_last_year=2, vertebral_fracture=True, several_fractures=True)
    plan = services.plans.reminder_plan(ADA)
    page = browser.get(f"/clients/{ada}").text
    assert 'data-testid="client-name">Ada Quill<' in page and str(ADA) in page
    assert "Falls in the last year</dt><dd>2</dd>" in page
    assert 'data-testid="screening-several_fractures">Yes<' in page
    assert 'data-testid="screening-recent_fracture">No<' in page
    sources = default_rules().sources
    assert len(plan.reasons) >= 2
    for reason in plan.reasons:
        assert f"{reason.text} <span class=\"source\">({sources[reason.source]})</span>" in page.replace("&#39;", "'")
    assert "Spine-protect" in page and "Falls-first" in page


def test_the_charts_are_images_served_on_the_clients_id(browser: Browser, services: Services) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    services.plans.todays_plan(ADA)
    services.checkins.log_checkin(ADA, "done", rpe=5, pain=3, note=None)  # today's plan, done
    page = browser.get(f"/clients/{ada}").text
    for chart in ("ladders", "pain"):
        assert f'src="/clients/{ada}/chart/{chart}.svg"' in page
        response = browser.get(f"/clients/{ada}/chart/{chart}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert ElementTree.fromstring(response.text).tag == "{http://www.w3.org/2000/svg}svg"  # well-formed
    assert "<circle" in browser.get(f"/clients/{ada}/chart/pain.svg").text  # the score of 3
    assert "sit-to-stand" in browser.get(f"/clients/{ada}/chart/ladders.svg").text
    assert browser.get("/clients/999999/chart/pain.svg").status_code == 404
    assert browser.get("/clients/999999").status_code == 404


def test_a_clinic_flag_changed_with_a_reason_is_audited_and_the_next_plan_follows_it(
    browser: Browser, services: Services, db_engine: Engine
) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    assert services.plans.reminder_plan(ADA).kind != "stop"
    response = browser.post(f"/clients/{ada}/flags", {"change": "recent_fracture_uncleared:yes",
                                                      "reason": "Wrist fracture on X-ray, 3 weeks ago"})
    assert response.headers["Location"].endswith(f"/clients/{ada}?done=flags")
    assert services.plans.reminder_plan(ADA).kind == "stop"
    page = browser.get(f"/clients/{ada}").text
    assert 'data-testid="flag-recent_fracture_uncleared" data-value="yes"' in page
    assert "Wrist fracture on X-ray, 3 weeks ago" in page  # the client's own changes

    browser.post(f"/clients/{ada}/flags", {"change": "recent_fracture_uncleared:no", "reason": "Healed, per GP"})
    browser.post(f"/clients/{ada}/flags", {"change": "cleared_for_weights:yes", "reason": "Assessed today"})
    assert services.plans.reminder_plan(ADA).kind != "stop"
    first, second, third = audit_rows(db_engine)
    assert (first.action, first.staff, first.client_id) == (AuditAction.CLINIC_FLAGS_SET, STAFF, ada)
    assert first.reason == "Wrist fracture on X-ray, 3 weeks ago"
    assert json.loads(first.before_json)["recent_fracture_uncleared"] is False
    assert json.loads(first.after_json)["recent_fracture_uncleared"] is True
    assert json.loads(third.before_json)["cleared_for_weights"] is False
    assert json.loads(third.after_json) == {"cleared_floor": False, "cleared_for_weights": True, "high_risk": False,
                                            "recent_fracture_uncleared": False}


def test_a_flag_change_without_a_reason_changes_nothing(browser: Browser, services: Services,
                                                       db_engine: Engine) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    response = browser.post(f"/clients/{ada}/flags", {"change": "cleared_for_weights:yes", "reason": "  "})
    assert response.headers["Location"].endswith("problem=reason")
    assert "Please give a reason first" in browser.get(response.headers["Location"]).text
    assert audit_rows(db_engine) == []
    assert browser.post(f"/clients/{ada}/flags", {"change": "is_a_wizard:yes", "reason": "x"}).status_code == 400


def test_the_last_messages_come_from_rasas_tracker_store(browser: Browser, services: Services, app: Flask) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    tracker = Path(app.extensions["bone_coach"].tracker_url.removeprefix("sqlite:///"))
    assert "No messages yet." in browser.get(f"/clients/{ada}").text  # no tracker store yet
    with sqlite3.connect(tracker) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255),"
                   " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")
        rows = [(str(ADA), "user", 1_748_872_800.0 + n, json.dumps({"text": f"message {n}"})) for n in range(60)]
        rows += [(str(ADA), "bot", 1_748_872_900.0, json.dumps({"text": "Lovely work today!"})),
                 (str(ADA), "action", 1_748_872_901.0, json.dumps({"name": "action_listen"})),
                 (str(ADA), "user", 1_748_872_902.0, json.dumps({"text": "/request_human"})),
                 (str(BEA), "user", 1_748_872_903.0, json.dumps({"text": "someone else's words"}))]
        db.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)", rows)
    page = browser.get(f"/clients/{ada}").text
    shown = page[page.index('id="messages"'):]
    assert shown.count('data-testid="message"') == 50
    assert "message 12<" in shown and "message 11<" not in shown  # 62 with text: the first 12 are older
    assert shown.index("message 59") < shown.index("Lovely work today!")
    assert "tapped “Talk to a person”" in shown and "/request_human" not in shown
    assert "someone else" not in shown


def test_a_client_who_has_only_written_to_the_bot_has_a_page_too(browser: Browser, services: Services,
                                                                  db_engine: Engine) -> None:
    services.safety.request_human(BEA, "hello? who is this")
    page = browser.get(f"/clients/{client_id(db_engine, BEA)}")
    assert page.status_code == 200
    assert "The client has not answered the first questions yet." in page.text
    assert "No plan yet" in page.text and "hello? who is this" in page.text
