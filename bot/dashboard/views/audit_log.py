"""The audit log: the newest changes staff made, who, when, before and after, and why."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from bot.dashboard.app import dashboard
from bot.db import audit
from bot.db.engine import unit_of_work

blueprint = Blueprint("audit", __name__)


@blueprint.route("/audit")
def page() -> ResponseReturnValue:
    d = dashboard()
    with unit_of_work(d.engine) as s:
        entries = audit.recent_entries(s, None, d.content.pages.audit_shown)
    return render_template("audit.html", entries=entries, snapshot=audit.snapshot, zone=d.settings.default_timezone)
