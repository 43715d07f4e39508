"""`python -m bot.scheduler`: send check-in reminders until SIGTERM or Ctrl-C.

Reads DATABASE_URL and TELEGRAM_BOT_TOKEN (bot.settings), and TELEGRAM_API_BASE_URL for a local
or fake Bot API. Safe to run in several processes at once (each reminder goes out once), but each
process paces itself to the bot's whole allowance: run one per bot token, or lower the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import timedelta

from bot.db.engine import ensure_schema, make_engine
from bot.scheduler.config import load_config
from bot.scheduler.runner import ReminderScheduler, make_scheduler_bot
from bot.settings import Settings

logger = logging.getLogger("bot.scheduler")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bone Coach check-in reminders")
    parser.add_argument("--poll-seconds", type=float, help="override delivery.poll_seconds")
    parser.add_argument("--lease-seconds", type=float, help="override delivery.lease_seconds")
    parser.add_argument("--rate", type=float, help="override delivery.rate_per_second")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # 429 answers come to the scheduler, which pauses and retries (make_scheduler_bot); the
    # library would log each one as an error with a traceback.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)

    settings = Settings.from_env()
    if not settings.telegram_bot_token:
        print("The reminder scheduler needs TELEGRAM_BOT_TOKEN.", file=sys.stderr)
        return 2
    config = load_config()
    if args.poll_seconds is not None:
        config = config.with_overrides(poll_seconds=args.poll_seconds)
    if args.lease_seconds is not None:
        config = config.with_overrides(lease=timedelta(seconds=args.lease_seconds))
    if args.rate is not None:
        config = config.with_overrides(rate_per_second=args.rate)
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    bot = make_scheduler_bot(settings.telegram_bot_token, settings.telegram_api_base_url)
    asyncio.run(_serve(ReminderScheduler(engine, bot, config)))
    return 0


async def _serve(scheduler: ReminderScheduler) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, scheduler.stop)
    logger.info("reminder scheduler started")
    try:
        async with scheduler.bot:
            await scheduler.serve()
    finally:
        scheduler.close()
        logger.info("reminder scheduler stopped")


if __name__ == "__main__":
    sys.exit(main())
