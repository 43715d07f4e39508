"""`create_app`: the dashboard's Flask app on one session database, with everything it guards.

Every request: the session cookie is looked up (bot/dashboard/auth.py); a page without a live
session redirects to the sign-in page; a POST without the form's CSRF token is refused (403);
every response says not to cache it, frame it or run scripts from elsewhere. The access log has
one line per request: method, path, status and time, nothing else (no query string, no form,
no client's name); an error is logged by its type only, since its message may hold their words.
"""

from __future__ import annotations

import calendar
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from flask import Flask, Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from jinja2 import StrictUndefined
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.coach_desk.service import DeskService
from bot.coach_desk.texts import local_moment, local_time, short_day, what_client_did
from bot.content.loader import messages
from bot.dashboard import csrf
from bot.dashboard.audit import Auditor
from bot.dashboard.auth import Passwords, SignedIn, StaffAuth
from bot.dashboard.content import DashboardContent, dashboard_content, texts
from bot.dashboard.report_cache import ReportCache
from bot.dashboard.telegram import TelegramLink
from bot.db.conversation import tracker_engine
from bot.db.engine import ensure_schema, make_engine
from bot.services import Services
from bot.services.context import utc_now
from bot.services.types import Clock
from bot.settings import Settings
from bot.stack import tracker_store_url

logger = logging.getLogger("bot.dashboard")
access_log = logging.getLogger("bot.dashboard.access")

PUBLIC = frozenset({"auth.login", "static"})  # everything else needs a signed-in staff member
SESSION_COOKIE = "bone_coach_session"
SECURE_SESSION_COOKIE = "__Host-bone_coach_session"  # the browser sends it over HTTPS only, to this host only
# Only our own stylesheet and images (and inline SVG), no script, no framing, forms to ourselves.
CONTENT_SECURITY_POLICY = ("default-src 'none'", "style-src 'self'", "img-src 'self' data:", "script-src 'self'",
                           "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": "; ".join(CONTENT_SECURITY_POLICY),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class Dashboard:
    """What the pages use, made once per app."""

    settings: Settings
    engine: Engine
    clock: Clock
    content: DashboardContent
    services: Services
    desk: DeskService
    auth: StaffAuth
    auditor: Auditor
    reports: ReportCache
    telegram: TelegramLink
    tracker_url: str
    _tracker: Engine | None = None

    @property
    def tracker(self) -> Engine:
        """Rasa's tracker store, read only (made on first use: most pages never read it)."""
        if self._tracker is None:
            self._tracker = tracker_engine(self.tracker_url)
        return self._tracker

    @property
    def cookie_name(self) -> str:
        return SECURE_SESSION_COOKIE if self.settings.dashboard_secure_cookies else SESSION_COOKIE


def dashboard() -> Dashboard:
    """The current app's Dashboard (inside a request)."""
    found: Dashboard = current_app.extensions["bone_coach"]
    return found


def signed_in() -> SignedIn:
    """The staff member of this request (every page but sign-in has one)."""
    found: SignedIn = g.signed_in
    return found


class DashboardFlask(Flask):
    def log_exception(
        self, exc_info: tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        """An error by its type only: its message or traceback may quote a client's data."""
        logger.error("%s %s failed: %s", request.method, request.url_rule or "(no page)",
                     exc_info[0].__name__ if exc_info[0] else "error")


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock = utc_now,
    passwords: Passwords | None = None,
    telegram: TelegramLink | None = None,
    tracker_url: str | None = None,
    report_max_age: timedelta | None = None,
    background_report: bool = False,
) -> Flask:
    """The dashboard on `engine` (else one made from `settings.database_url`, schema upgraded).

    `clock`, a cheap `passwords` hasher, `telegram` and `report_max_age` are for tests; the
    server passes `background_report=True` so a page never waits for the report's rebuild."""
    settings = settings or Settings()
    if engine is None:
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
    content = dashboard_content()
    app = DashboardFlask(__name__)
    app.jinja_env.undefined = StrictUndefined  # a text missing from texts.yml fails, never shows blank
    if settings.dashboard_trusted_proxies:
        proxies = settings.dashboard_trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.extensions["bone_coach"] = Dashboard(
        settings=settings, engine=engine, clock=clock, content=content,
        services=Services.over(engine, clock), desk=DeskService(engine, clock),
        auth=StaffAuth(engine, clock, passwords, content.security), auditor=Auditor(engine, clock),
        reports=ReportCache(engine, clock, timedelta(seconds=content.pages.report_max_age_seconds)
                            if report_max_age is None else report_max_age,  # timedelta(0), falsy, is "always fresh"
                            background=background_report),
        telegram=telegram or TelegramLink(settings, engine, clock),
        tracker_url=tracker_url or tracker_store_url(settings.database_url),
    )
    _register(app)
    return app


def _register(app: Flask) -> None:
    from bot.dashboard.views import audit_log, client, clients, invites, sign_in, today

    for blueprint in (sign_in.blueprint, today.blueprint, clients.blueprint, client.blueprint,
                      invites.blueprint, audit_log.blueprint):
        app.register_blueprint(blueprint)
    app.before_request(_started)
    app.before_request(_guard)
    app.after_request(_finish)
    app.register_error_handler(HTTPException, _error_page)
    app.add_url_rule("/", "home", lambda: redirect(url_for("today.page")))
    app.jinja_env.globals.update(t=texts(), csrf_field=csrf.FIELD, content=dashboard_content(),
                                 plan_titles=messages().plan.titles)
    app.jinja_env.filters.update(moment=local_moment, when=local_time, day=short_day, pct=_pct, score=_score,
                                 said=what_client_did, weekday=lambda day: calendar.day_name[day])
    app.context_processor(lambda: {"me": g.get("signed_in")})


def _started() -> None:
    g.started = time.perf_counter()


def _guard() -> ResponseReturnValue | None:
    if request.endpoint is None or request.endpoint == "static":
        return None  # no such page (404), or the stylesheet
    d = dashboard()
    token = request.cookies.get(d.cookie_name)
    g.signed_in = d.auth.session(token) if token else None
    if request.endpoint in PUBLIC:
        if request.method == "POST" and not csrf.matches(request.cookies.get(csrf.LOGIN_COOKIE), request):
            return _error(403)
        return None
    if g.signed_in is None:
        return redirect(url_for("auth.login"), 303)
    if request.method == "POST" and not csrf.matches(g.signed_in.csrf_token, request):
        return _error(403)
    return None


def _finish(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # pages hold clients' data
    started = g.get("started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    path = request.path if request.url_rule is not None else "(no page)"
    access_log.info("%s %s %d %.1f ms", request.method, path, response.status_code, elapsed)
    return response


def _error(code: int) -> ResponseReturnValue:
    return render_template("error.html", code=code), code


def _error_page(error: HTTPException) -> ResponseReturnValue:
    return _error(error.code or 500)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
