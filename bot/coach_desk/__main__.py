"""`python -m bot.coach_desk`: deliver coach alerts, tell cleared clients, find missed sessions.

The Telegram channel delivers an alert as soon as a conversation turn created it; this loop is
the safety net (a failed send, an alert created by another process, a restart), and the only
place missed sessions are looked for. Needs TELEGRAM_BOT_TOKEN and COACH_CHAT_ID; DATABASE_URL
and TELEGRAM_API_BASE_URL (a local or fake Bot API) as everywhere else. Any number may run:
each alert is claimed by one sender, each missed-sessions alert created once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from datetime import datetime, timezone

from bot.coach_desk.adherence import detect_missed_sessions
from bot.coach_desk.alerts import AlertDispatcher
from bot.coach_desk.cleared import ClearNotifier
from bot.db.engine import ensure_schema, make_engine
from bot.messaging.client import make_bot
from bot.settings import Settings

logger = logging.getLogger("bot.coach_desk")


async def run(interval: float, scan_every: float, once: bool) -> int:
    settings = Settings.from_env()
    if not settings.telegram_bot_token or settings.coach_chat_id is None:
        print("bot.coach_desk needs TELEGRAM_BOT_TOKEN and COACH_CHAT_ID.", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    bot = make_bot(settings.telegram_bot_token, settings.telegram_api_base_url)
    dispatcher = AlertDispatcher(engine, bot, settings.coach_chat_id)
    clear_notifier = ClearNotifier(engine, bot)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    last_scan = float("-inf")
    async with bot:
        logger.info("Coach desk running: alerts every %.0f s, missed sessions every %.0f s", interval, scan_every)
        while not stop.is_set():
            try:
                if time.monotonic() - last_scan >= scan_every:
                    await asyncio.to_thread(detect_missed_sessions, engine, datetime.now(timezone.utc))
                    last_scan = time.monotonic()
                await dispatcher.dispatch()
                await clear_notifier.deliver()  # clients cleared from the command line too
            except Exception as exc:  # the database or Telegram is away: try again next round
                logger.error("Coach desk round failed: %s", type(exc).__name__)
                if once:
                    return 1
            if once:
                return 0
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.coach_desk", description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between delivery rounds")
    parser.add_argument("--scan-every", type=float, default=600.0,
                        help="seconds between looks for missed sessions")
    parser.add_argument("--once", action="store_true", help="one round, then exit (cron, tests)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(run(args.interval, args.scan_every, args.once))


if __name__ == "__main__":
    sys.exit(main())
