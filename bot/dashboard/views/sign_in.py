"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.coach_desk.texts import local_moment
from bot.dashboard import csrf
from bot.dashboard.app import dashboard

blueprint = Blueprint("auth", __name__)
LOGIN_COOKIE_SECONDS = 3600  # a sign-in page left open longer is refused once, then works again


def _address() -> str:
    """Where the sign-in came from (the reverse proxy's X-Forwarded-For when it is trusted)."""
    return request.remote_addr or "unknown"


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    d = dashboard()
    if g.get("signed_in") is not None:
        return redirect(url_for("today.page"), 303)
    problem, locked_until, name = None, None, ""
    if request.method == "POST":
        name = request.form.get("username", "")
        result = d.auth.sign_in(name, request.form.get("password", ""), _address())
        if result.ok:
            signed = redirect(url_for("today.page"), 303)
            signed.set_cookie(d.cookie_name, result.token or "", httponly=True, samesite="Lax",
                              secure=d.settings.dashboard_secure_cookies, path="/")
            signed.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
            return signed
        problem = "locked" if result.locked_until is not None else "wrong"
        if result.locked_until is not None:
            locked_until = local_moment(result.locked_until, d.settings.default_timezone)
    # A new double-submit token for each showing of the form (csrf.py).
    token = csrf.new_token()
    body = render_template("login.html", login_token=token, problem=problem, name=name,
                           locked_until=locked_until, done=request.args.get("done"))
    status = {"locked": 429, "wrong": 401}.get(problem or "", 200)
    response = make_response(body, status)
    response.set_cookie(csrf.LOGIN_COOKIE, token, max_age=LOGIN_COOKIE_SECONDS, httponly=True, samesite="Strict",
                        secure=d.settings.dashboard_secure_cookies, path="/login")
    return response


@blueprint.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    d = dashboard()
    token = request.cookies.get(d.cookie_name)
    if token:
        d.auth.sign_out(token)
    response = redirect(url_for("auth.login", done="signed_out"), 303)
    response.delete_cookie(d.cookie_name, path="/", secure=d.settings.dashboard_secure_cookies, httponly=True,
                           samesite="Lax")
    return response
