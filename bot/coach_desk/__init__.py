"""The coach side of Bone Coach: alerts to the clinic's Telegram chat, coach commands, the report.

- alerts.py: `AlertDispatcher` and `notify_pending()` deliver each CoachAlert once, oldest first.
- cleared.py: `ClearNotifier` tells a client cleared to train again, once (coach chat or CLI).
- adherence.py: planned sessions and `detect_missed_sessions()` (three missed in a row).
- service.py: `DeskService`, what staff can do (alerts, red flags, clinic flags, invites, the
  allow-list, the report), shared by the coach chat and `bone-coach` (bot/cli.py).
- commands.py: `CoachCommands`, the coach chat's commands as text in, text out.
- desk.py: `CoachDesk`, their Telegram hook, given to bot.telegram's channel, which calls it first.
- report.py: `build_report()` / `sort_report()`: adherence, streak, pain, alerts per client.
- texts.py: bot/content/coach_texts.yml. The database reads and writes are bot.db's.
- `python -m bot.coach_desk` (__main__.py): the loop that scans for missed sessions, delivers
  alerts and tells cleared clients.

Sends through bot.messaging; never imports bot.telegram (the channel imports this package).
"""
