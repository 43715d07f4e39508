"""One client: profile and screening answers, the clinic's flags (changed with a reason, one
click each), today's plan with every reason and its source, their charts, check-ins, alerts,
the last messages of their conversation and what staff changed about them."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from bot.coaching.progress import summarize_progress
from bot.dashboard import changes
from bot.dashboard.app import dashboard, signed_in
from bot.dashboard.charts import ladder_chart, pain_chart
from bot.dashboard.readmodels import client_facts, plan_reasons
from bot.db import clients
from bot.db.audit import snapshot
from bot.db.conversation import Message, last_messages
from bot.db.engine import unit_of_work
from bot.services.history import client_history
from bot.services.pain import pain_zones
from bot.services.plans import CLINIC_FLAGS

blueprint = Blueprint("client", __name__)
logger = logging.getLogger(__name__)


@blueprint.route("/clients/<int:client_id>")
def page(client_id: int) -> ResponseReturnValue:
    d = dashboard()
    chat_id = changes.client_chat(d, client_id)
    if chat_id is None:
        abort(404)
    # Today's plan as the client gets it (made now if the morning reminder has not made it yet).
    plan = d.services.plans.reminder_plan(chat_id)
    pages = d.content.pages
    with unit_of_work(d.engine) as s:
        now = d.clock()
        facts = client_facts(s, client_id, now, pages.checkins_shown, pages.audit_shown)
        if facts is None:
            abort(404)
        today, history, reports = client_history(s, facts.client, now)
    summary = summarize_progress(history, reports, today)
    report = d.reports.peek()
    return render_template(
        "client.html", facts=facts, client=facts.client, profile=facts.client.profile, plan=plan,
        reasons=plan_reasons(plan) if plan is not None else [], summary=summary,
        report=report.by_chat.get(chat_id) if report is not None else None,
        flags={name: bool(getattr(facts.client, name)) for name in CLINIC_FLAGS},
        messages=_messages(str(chat_id), pages.messages_shown), snapshot=snapshot,
        reason_choices=d.content.flag_reasons, problem=request.args.get("problem"),
        done=request.args.get("done"), zone=facts.client.timezone,
    )


def _messages(sender_id: str, limit: int) -> list[Message] | None:
    """The conversation's last messages; None when Rasa's tracker store cannot be read."""
    try:
        return last_messages(dashboard().tracker, sender_id, limit)
    except SQLAlchemyError as exc:
        logger.warning("Conversation not readable: %s", type(exc).__name__)
        return None


@blueprint.route("/clients/<int:client_id>/flags", methods=["POST"])
def flags(client_id: int) -> ResponseReturnValue:
    """One flag set to yes or no (the button pressed: `change` = "flag:yes"), with a reason."""
    name, _, value = request.form.get("change", "").partition(":")
    if name not in CLINIC_FLAGS or value not in ("yes", "no"):
        abort(400)
    reason = " ".join(request.form.get("reason", "").split())[:500]
    if not reason:
        return redirect(url_for("client.page", client_id=client_id, problem="reason"), 303)
    done = changes.set_clinic_flags(dashboard(), signed_in().staff, client_id, {name: value == "yes"}, reason)
    if done is None:
        abort(404)
    return redirect(url_for("client.page", client_id=client_id, done="flags"), 303)


@blueprint.route("/clients/<int:client_id>/chart/ladders.svg")
def ladders_chart(client_id: int) -> ResponseReturnValue:
    return _chart(client_id, "ladders")


@blueprint.route("/clients/<int:client_id>/chart/pain.svg")
def pain_trend_chart(client_id: int) -> ResponseReturnValue:
    return _chart(client_id, "pain")


def _chart(client_id: int, which: str) -> ResponseReturnValue:
    d = dashboard()
    with unit_of_work(d.engine) as s:
        client = clients.get_client_by_id(s, client_id)
        if client is None:
            abort(404)
        today, history, reports = client_history(s, client, d.clock())
    days = d.content.pages.chart_days
    chart = ladder_chart(history, today, days) if which == "ladders" else pain_chart(
        history, reports, today, days, pain_zones())
    body = render_template(f"charts/{which}.svg", chart=chart)
    return body, 200, {"Content-Type": "image/svg+xml; charset=utf-8"}
