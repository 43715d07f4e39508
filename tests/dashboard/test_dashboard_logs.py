"""The dashboard's logs hold no client's name, no health word and no secret: the access log is
method, path, status and time, and an error is logged by its type only."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import Engine

from bot.dashboard.app import SESSION_COOKIE
from bot.db import alerts, clients
from bot.db.engine import unit_of_work
from bot.services import Services
from tests.dashboard.conftest import PASSWORD, Browser, enrol

ZELDA = 5_500_000_001
NAME = "Zelda Quartermaine"
HEALTH_WORDS = ("throbbing", "stairs", "vertebra", "hip", "osteopenia")
ACCESS = re.compile(r"^(GET|POST) /[\w/.<>:-]* \d{3} \d+\.\d ms$")


def test_a_whole_visit_leaves_no_client_data_or_secret_in_any_log(
    app: Flask, services: Services, db_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    zelda = enrol(services, ZELDA, NAME)
    services.safety.report_pain(ZELDA, 8, "hip", "my hip is throbbing")
    services.safety.record_red_flag(ZELDA, "I fell down the stairs and hurt a vertebra")
    services.safety.request_human(ZELDA, "please call me about the osteopenia letter")
    tracker = Path(app.extensions["bone_coach"].tracker_url.removeprefix("sqlite:///"))
    with sqlite3.connect(tracker) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255),"
                   " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")
        db.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 1.0e9, ?)",
                   (str(ZELDA), json.dumps({"text": "my hip is throbbing again"})))
    with unit_of_work(db_engine) as s:
        alert_id = alerts.list_alerts(s, clients.get_client(s, ZELDA), open_only=True)[-1].id

    caplog.set_level(logging.DEBUG)
    with app.test_client() as client:
        browser = Browser(client)
        browser.login()
        requests = 2
        for path in ("/today", "/clients", f"/clients/{zelda}", f"/clients/{zelda}/chart/pain.svg",
                     f"/clients/{zelda}/chart/ladders.svg", "/clients.csv", "/invites", "/audit"):
            assert browser.get(path).status_code == 200, path
            requests += 1
        for path, data in ((f"/alerts/{alert_id}/handled", {}), (f"/clients/{zelda}/cleared", {}),
                           (f"/clients/{zelda}/flags", {"change": "high_risk:yes", "reason": "osteopenia, hip"}),
                           ("/clients/search", {"q": "Quartermaine"}), ("/invites", {})):
            assert browser.post(path, data).status_code == 303, path
            requests += 1
        assert NAME in browser.get("/clients").text  # the pages do show it
        secrets_ = [client.get_cookie(SESSION_COOKIE).value, browser.token or "", PASSWORD]
        browser.post("/logout")
        requests += 2

    logged = [record.getMessage() for record in caplog.records]
    access = [record.getMessage() for record in caplog.records if record.name == "bot.dashboard.access"]
    assert len(access) == requests and all(ACCESS.match(line) for line in access), access
    for forbidden in (NAME, *NAME.split(), *HEALTH_WORDS, *secrets_):
        assert not any(forbidden.lower() in line.lower() for line in logged), forbidden


def test_an_error_is_logged_by_its_type_without_its_message(
    db_engine: Engine, app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    def fails() -> str:
        raise ValueError(f"{NAME} reported throbbing hip pain")

    app.add_url_rule("/fails", "fails", fails)
    app.testing = False  # served as in production: the error becomes a 500 page
    caplog.set_level(logging.DEBUG)
    with app.test_client() as client:
        Browser(client).login()
        response = client.get("/fails")
    assert response.status_code == 500 and "Something went wrong on our side" in response.text
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "GET /fails failed: ValueError" in text
    assert NAME not in text and "throbbing" not in text
