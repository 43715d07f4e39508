"""Coach alerts (bot.db.alerts)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.db import alerts, symptoms
from bot.db.engine import unit_of_work
from tests.db.helpers import CHAT, NOW, active_client


def test_handling_a_red_flag_alert_moves_its_red_flags_to_handled_not_cleared(db_engine: Engine) -> None:
    client = active_client(db_engine)
    other = active_client(db_engine, CHAT + 1)
    with unit_of_work(db_engine) as s:
        symptoms.record_symptom(s, client, "red_flag", None, "back", "heard a crack", NOW)
        alert = alerts.create_alert(s, client, "red_flag", "possible fracture", NOW)
        alerts.create_alert(s, other, "human_request", "wants to talk", NOW + timedelta(minutes=1))
    with unit_of_work(db_engine) as s:
        assert [a.kind for a in alerts.list_alerts(s, open_only=True)] == ["red_flag", "human_request"]
        assert [a.id for a in alerts.list_alerts(s, client, open_only=True)] == [alert.id]
        handled = alerts.mark_alert_handled(s, alert.id, "coach anna", NOW)
        assert (handled.handled_by, handled.handled_at) == ("coach anna", NOW)
        [flag] = symptoms.open_red_flags(s, client)  # still not cleared to train
        assert (flag.state, flag.handled_by, flag.handled_at, flag.cleared_at) == ("handled", "coach anna", NOW, None)
        assert alerts.mark_alert_handled(s, alert.id + 1000, "coach anna", NOW) is None
    with unit_of_work(db_engine) as s:
        again = alerts.mark_alert_handled(s, alert.id, "coach ben", NOW + timedelta(hours=1))
        assert again.handled_by == "coach anna"
        open_now = alerts.list_alerts(s, open_only=True)
    assert [a.client.chat_id for a in open_now] == [CHAT + 1]  # client loaded with the alert

