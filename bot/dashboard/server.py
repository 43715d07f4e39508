"""Serving the dashboard with waitress: `serve(app, host, port)` gives a server that can run in
the foreground (`python -m bot.dashboard`, `bone-coach dashboard`) or in a thread (tests, browser
tests) and be stopped. Port 0 picks a free one (`server.port` says which)."""

from __future__ import annotations

import logging
import signal
import threading
from functools import partial
from typing import Any

from flask import Flask
from waitress import wasyncore  # type: ignore[import-untyped, unused-ignore]
from waitress.server import create_server  # type: ignore[import-untyped, unused-ignore]

from bot.dashboard.app import create_app, dashboard
from bot.db.engine import ensure_schema, make_engine
from bot.settings import Settings

logger = logging.getLogger("bot.dashboard")
THREADS = 8  # pages wait on the database, not on the CPU


class DashboardServer:
    """One waitress server for one app."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = THREADS) -> None:
        self.app = app
        # waitress logs no requests itself; the app's access log does (method, path, status, time).
        # X-Forwarded-* headers reach the app only behind a trusted proxy (it reads them: ProxyFix).
        behind_proxy = bool(app.extensions["bone_coach"].settings.dashboard_trusted_proxies)
        self._server: Any = create_server(app, host=host, port=port, threads=threads, ident="bone-coach",
                                          clear_untrusted_proxy_headers=not behind_proxy)
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def run(self) -> None:
        """Serve until stop() (from another thread or a signal handler)."""
        self._serving.set()
        try:
            self._server.run()
        finally:
            self._serving.clear()

    def start(self) -> DashboardServer:
        """Serve in a daemon thread; returns at once."""
        self._thread = threading.Thread(target=self.run, name="dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, close every connection, end the worker threads.

        The serving loop closes the sockets itself (woken by waitress's trigger): closed from
        another thread while the loop waits in select() on them, they would fail it (EBADF)."""
        self._server.task_dispatcher.shutdown()
        close = partial(wasyncore.close_all, self._server._map)  # the loop ends when its map is empty
        if self._serving.is_set():
            self._server.trigger.pull_trigger(close)
        else:
            close()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS) -> DashboardServer:
    """A server for `app` on host:port, not yet serving: call run() or start()."""
    return DashboardServer(app, host, port, threads)


def main(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    """Serve the dashboard of `settings` in the foreground until SIGINT or SIGTERM."""
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    app = create_app(settings, engine=engine, background_report=True)
    server = serve(app, host or settings.dashboard_host, port if port is not None else settings.dashboard_port)
    with app.app_context():
        dashboard().reports.warm()  # the first clients page should not wait for the report

    def stop(*_: object) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("Staff dashboard on %s (HTTPS: put a reverse proxy in front; docs/DASHBOARD.md)", server.url)
    server.run()
    engine.dispose()
    return 0
