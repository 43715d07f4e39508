"""`python -m bot.dashboard`: the staff dashboard (DASHBOARD_HOST, DASHBOARD_PORT, DATABASE_URL…)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="address to listen on (default DASHBOARD_HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default DASHBOARD_PORT, else 8080)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"bot.dashboard: {exc}", file=sys.stderr)
        return 2
    from bot.dashboard.server import main as serve_dashboard

    return serve_dashboard(settings, args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
