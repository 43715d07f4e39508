"""Symptom reports and red flags (bot.db.symptoms)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.db import symptoms
from bot.db.engine import unit_of_work
from tests.db.helpers import NOW, active_client


def test_red_flags_stay_open_until_a_coach_clears_them(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        symptoms.record_symptom(s, client, "pain", 4, "knee", "knee  hurts\nafter stairs", NOW)
        flag = symptoms.record_symptom(s, client, "red_flag", None, "back", "x" * 500, NOW)
        assert flag.text_excerpt.endswith("…") and len(flag.text_excerpt) == symptoms.EXCERPT_MAX
        assert symptoms.symptoms_since(s, client, NOW)[0].text_excerpt == "knee hurts after stairs"
        assert symptoms.symptoms_since(s, client, NOW + timedelta(seconds=1)) == []
        assert [r.id for r in symptoms.open_red_flags(s, client)] == [flag.id]
    with unit_of_work(db_engine) as s:
        assert symptoms.clear_red_flags(s, client, "coach anna", NOW) == 1
        assert symptoms.open_red_flags(s, client) == []
        assert symptoms.clear_red_flags(s, client, "coach anna", NOW) == 0

