"""The coach side of Bone Coach: alerts to the clinic's Telegram chat, coach commands, the report.

- alerts.py: `AlertDispatcher` and `notify_pending()` deliver each CoachAlert once, oldest first.
- cleared.py: `ClearNotifier` tells a client cleared to train again, once (coach chat or CLI).
- adherence.py: planned sessions and `detect_missed_sessions()` (three missed in a row).
- commands.py: `CoachCommands`, the coach chat's commands as text in, text out.
- desk.py: `CoachDesk`, their Telegram hook, called by bot.telegram's UpdateHandler.
- report.py: `build_report()` / `sort_report()`: adherence, streak, pain, alerts per client.
- store.py: the database reads and writes above; texts.py: bot/content/coach_texts.yml.
- `python -m bot.coach_desk` (__main__.py): the loop that scans for missed sessions, delivers
  alerts and tells cleared clients.

Nothing is imported here: desk.py imports bot.telegram, which imports desk.py, so importing it
from here would leave one of the two packages half-loaded, depending on which came first.
"""
