"""Today: who needs the clinic today. Open red flags first (with "handled" and "cleared to
exercise"), then the other open alerts by kind (texts.yml `today_order`), then the clients
whose adherence is dropping."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.dashboard import changes
from bot.dashboard.app import dashboard, signed_in
from bot.dashboard.readmodels import client_lines, today_page
from bot.db.engine import unit_of_work

blueprint = Blueprint("today", __name__)


@blueprint.route("/today")
def page() -> ResponseReturnValue:
    d = dashboard()
    report = d.reports.current()
    with unit_of_work(d.engine) as s:
        today = today_page(s, d.content.today_order, client_lines(s, report.by_chat), d.content.dropping)
    return render_template("today.html", today=today, report_made_at=report.made_at,
                           zone=d.settings.default_timezone, done=request.args.get("done"))


def back_to(client_id: int | None, done: str) -> ResponseReturnValue:
    """After a change: to the page it was made from (the form's `back`: today or the client)."""
    if request.form.get("back") == "client" and client_id is not None:
        return redirect(url_for("client.page", client_id=client_id, done=done), 303)
    return redirect(url_for("today.page", done=done), 303)


@blueprint.route("/alerts/<int:alert_id>/handled", methods=["POST"])
def handled(alert_id: int) -> ResponseReturnValue:
    done = changes.mark_handled(dashboard(), signed_in().staff, alert_id)
    if done is None:
        abort(404)
    return back_to(changes.alert_client(dashboard(), alert_id), "handled")


@blueprint.route("/clients/<int:client_id>/cleared", methods=["POST"])
def cleared(client_id: int) -> ResponseReturnValue:
    done = changes.clear_to_exercise(dashboard(), signed_in().staff, client_id)
    if done is None:
        abort(404)
    return back_to(client_id, "cleared" if done.cleared or done.alerts_closed else "nothing_to_clear")
