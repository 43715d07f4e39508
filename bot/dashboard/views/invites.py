"""Invites: one-use codes, each with its Telegram deep link and a QR code to print."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from bot.coach_desk.texts import invite_link
from bot.dashboard import changes
from bot.dashboard.app import dashboard, signed_in
from bot.db import invites
from bot.db.engine import unit_of_work

blueprint = Blueprint("invites", __name__)


def qr_svg(link: str, scale: int) -> Markup:
    """The link as a QR code, inline SVG (segno writes only the path: nothing to escape)."""
    return Markup(segno.make(link, error="m").svg_inline(scale=scale, dark="#000", light="#fff", omitsize=False))


@blueprint.route("/invites")
def page() -> ResponseReturnValue:
    d = dashboard()
    username = d.telegram.username()
    found = d.desk.invites()[::-1]
    return render_template("invites.html", invites=found, username=username,
                           link=lambda code: invite_link(code, username), qr=qr_svg, zone=d.settings.default_timezone,
                           done=request.args.get("done"), new=request.args.get("new", type=int))


@blueprint.route("/invites", methods=["POST"])
def create() -> ResponseReturnValue:
    invite_id = changes.create_invite(dashboard(), signed_in().staff)
    return redirect(url_for("invites.page", done="created", new=invite_id), 303)


@blueprint.route("/invites/<int:invite_id>/print")
def printable(invite_id: int) -> ResponseReturnValue:
    d = dashboard()
    with unit_of_work(d.engine) as s:
        invite = invites.get_invite(s, invite_id)
    if invite is None:
        abort(404)
    username = d.telegram.username()
    link = invite_link(invite.code, username)
    return render_template("invite_print.html", invite=invite, username=username, link=link,
                           qr=qr_svg(link, 8) if username else None)
