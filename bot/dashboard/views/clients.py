"""Clients: the clinic's report as a table, sorted, filtered and paged on the server over every
client (query parameters hold only column names and filter values), searched by name (the search
is kept in the session, never in a URL), and as CSV with `bone-coach report`'s columns."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.coach_desk.report import CSV_COLUMNS, WINDOWS, csv_row, sort_report
from bot.dashboard.app import dashboard, signed_in
from bot.dashboard.readmodels import FLAG_FILTERS, TIERS, ClientQuery, client_lines, clients_page
from bot.db.engine import unit_of_work

blueprint = Blueprint("clients", __name__)


@blueprint.route("/clients")
def table() -> ResponseReturnValue:
    d = dashboard()
    report = d.reports.current()
    with unit_of_work(d.engine) as s:
        lines = client_lines(s, report.by_chat)
    page = clients_page(lines, ClientQuery.from_args(request.args), signed_in().client_search,
                        d.content.pages.clients_per_page, d.content.dropping, report.made_at)
    return render_template("clients.html", page=page, tiers=TIERS, flag_filters=FLAG_FILTERS, windows=WINDOWS,
                           zone=d.settings.default_timezone)


@blueprint.route("/clients/search", methods=["POST"])
def search() -> ResponseReturnValue:
    """Remember (or, with `clear`, forget) the name searched for; back to the table as it was."""
    text = None if "clear" in request.form else request.form.get("q")
    dashboard().auth.remember_search(signed_in().session_id, text)
    kept = ClientQuery.from_args(request.form).args(page=1)
    return redirect(url_for("clients.table", **kept), 303)


@blueprint.route("/clients.csv")
def download() -> ResponseReturnValue:
    """Every client, freshly computed, in `bone-coach report --csv`'s columns and order."""
    days = int(request.args["days"]) if request.args.get("days") in {str(w) for w in WINDOWS} else WINDOWS[0]
    rows = sort_report(dashboard().desk.report(), "name", days)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(row, days) for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="bone-coach-report.csv"'})
