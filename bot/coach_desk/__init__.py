"""The coach side of Bone Coach: alerts to the clinic's Telegram chat, coach commands, the report.

- alerts.py: `AlertDispatcher` and `notify_pending()` deliver each CoachAlert once, oldest first.
- adherence.py: planned sessions and `detect_missed_sessions()` (three missed in a row).
- commands.py: the coach chat's commands as text in, text out; desk.py: their Telegram hook.
- report.py: per-client adherence, streak, pain and alerts (for /report and `bone-coach report`).
- `python -m bot.coach_desk`: the loop that scans for missed sessions and delivers alerts.

desk.py is not imported here: it imports bot.telegram, which imports it (see its docstring).
"""

from bot.coach_desk.adherence import detect_missed_sessions
from bot.coach_desk.alerts import AlertDispatcher, notify_pending
from bot.coach_desk.commands import CoachCommands
from bot.coach_desk.report import ClientReport, build_report, sort_report

__all__ = [
    "AlertDispatcher",
    "ClientReport",
    "CoachCommands",
    "build_report",
    "detect_missed_sessions",
    "notify_pending",
    "sort_report",
]
