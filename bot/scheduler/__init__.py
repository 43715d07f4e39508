"""Daily check-in reminders: due from the session database, claimed once, sent paced to Telegram.

`python -m bot.scheduler` runs it; `run_once(engine, bot, now)` is one pass (tests, tools).
"""

from bot.scheduler.config import ReminderConfig, load_config
from bot.scheduler.runner import ReminderScheduler, RunStats, make_scheduler_bot, run_once

__all__ = ["ReminderConfig", "ReminderScheduler", "RunStats", "load_config", "make_scheduler_bot", "run_once"]
