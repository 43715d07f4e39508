"""`bone-coach`: the clinic's command line — report, invites, allow-list, alerts, flags, staff, dashboard.

Works on the session database in DATABASE_URL (the embedded SQLite file by default) and creates or
upgrades its schema first. Tables for people by default; `--csv` for spreadsheets. Times are shown
in the client's zone for alerts, in the clinic's (DEFAULT_TIMEZONE) otherwise; CSV has ISO UTC.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.coach_desk.flags import FLAG_NAMES, describe
from bot.coach_desk.report import CSV_COLUMNS, SORT_KEYS, WINDOWS, ClientReport, csv_row, sort_report
from bot.coach_desk.service import Answer, DeskService
from bot.coach_desk.texts import clip, coach_texts, invite_link, kind_label, what_client_did
from bot.db.engine import ensure_schema, make_engine
from bot.db.models import CoachAlert
from bot.settings import Settings

logger = logging.getLogger(__name__)

Row = Sequence[Any]


def _when(at: datetime | None, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if at else ""


def _iso(at: datetime | None) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds") if at else ""


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def print_table(headers: Row, rows: Sequence[Row], empty: str) -> None:
    """Columns padded to their widest cell; `empty` instead when there are no rows."""
    if not rows:
        print(empty)
        return
    cells = [[_cell(v) for v in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(lines))


def print_csv(headers: Row, rows: Sequence[Row]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([[_cell(v) for v in row] for row in rows])


def output(args: argparse.Namespace, headers: Row, rows: Sequence[Row], empty: str,
           csv_headers: Row | None = None, csv_rows: Sequence[Row] | None = None) -> None:
    if args.csv:
        print_csv(csv_headers or headers, rows if csv_rows is None else csv_rows)
    else:
        print_table(headers, rows, empty)


# --- report ------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def cmd_report(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    rows = sort_report(DeskService(engine).report(), args.sort, args.days)

    def counts(row: ClientReport, days: int) -> str:
        done, planned = row.counts(days)
        return f"{done}/{planned}"

    headers = ["Client", "Chat id", "7d done/planned", "28d done/planned", f"Adherence {args.days}d %",
               "Streak", "Last session", "Pain 14d avg", "Pain trend", "Red flags", "Open alerts"]
    table = [
        [r.name, r.chat_id, counts(r, 7), counts(r, 28), _pct(r.adherence(args.days)), r.streak,
         r.last_session, "" if r.pain_average is None else f"{r.pain_average:.1f}", r.pain_trend,
         r.open_red_flags, r.open_alerts]
        for r in rows
    ]
    output(args, headers, table, "No clients yet.", CSV_COLUMNS, [csv_row(r, args.days) for r in rows])
    return 0


# --- invites -----------------------------------------------------------------------------------
def cmd_invite_create(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    code = DeskService(engine).create_invite(args.by)
    print(code)
    username = bot_username(settings)
    print(f"Link for the client: {invite_link(code, username)}")
    if username is None:
        print("(Set TELEGRAM_BOT_TOKEN to get the bot's real link; the code works either way: "
              f"the client sends /start {code} to the bot.)")
    return 0


def bot_username(settings: Settings) -> str | None:
    """The bot's @username from Telegram (getMe), for a real deep link; None without a token or
    when Telegram can't be reached."""
    token = settings.telegram_bot_token
    if not token:
        return None

    # Imported here: python-telegram-bot costs a third of a second, which every other command skips.
    from telegram.error import TelegramError

    from bot.messaging.client import fetch_username, make_bot

    try:
        return fetch_username(make_bot(token, settings.telegram_api_base_url, network_retries=1))
    except (TelegramError, OSError) as exc:
        logger.warning("Could not ask Telegram for the bot's name: %s", type(exc).__name__)
        return None


def cmd_invite_list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    zone = settings.default_timezone
    invites = DeskService(engine).invites()
    table = [[i.code, _when(i.created_at, zone), i.created_by, i.redeemed_by_chat_id, _when(i.redeemed_at, zone)]
             for i in invites]
    csv_rows = [[i.code, _iso(i.created_at), i.created_by, i.redeemed_by_chat_id, _iso(i.redeemed_at)]
                for i in invites]
    output(args, ["Code", "Created", "By", "Used by chat", "Used"], table, coach_texts().commands["cli_no_invites"],
           ["code", "created_at", "created_by", "redeemed_by_chat_id", "redeemed_at"], csv_rows)
    return 0


# --- allow-list --------------------------------------------------------------------------------
def cmd_allow_add(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    DeskService(engine).allow(args.chat_id, args.note)
    print(f"Chat {args.chat_id} is on the allow-list.")
    return 0


def cmd_allow_remove(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    if not DeskService(engine).disallow(args.chat_id):
        print(f"Chat {args.chat_id} was not on the allow-list.", file=sys.stderr)
        return 1
    print(f"Chat {args.chat_id} removed from the allow-list.")
    return 0


def cmd_allow_list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    chats = DeskService(engine).allowed_chats()
    table = [[a.chat_id, _when(a.added_at, settings.default_timezone), a.note] for a in chats]
    output(args, ["Chat id", "Added", "Note"], table, coach_texts().commands["cli_allow_list_empty"],
           ["chat_id", "added_at", "note"], [[a.chat_id, _iso(a.added_at), a.note] for a in chats])
    return 0


# --- alerts ------------------------------------------------------------------------------------
def cmd_alerts(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    found = DeskService(engine).alerts(open_only=args.open)

    def client(a: CoachAlert) -> list[Any]:
        return [a.client.display_name, a.client.chat_id]

    table = [
        [a.id, _when(a.at, a.client.timezone), kind_label(a.kind), *client(a), clip(what_client_did(a.detail), 60),
         "yes" if a.notified_at else "not yet", a.handled_by or ""]
        for a in found
    ]
    csv_rows = [
        [a.id, _iso(a.at), a.kind, *client(a), what_client_did(a.detail), _iso(a.notified_at), _iso(a.handled_at),
         a.handled_by]
        for a in found
    ]
    output(args, ["#", "When", "Kind", "Client", "Chat id", "Detail", "Sent to chat", "Handled by"], table,
           "No open alerts." if args.open else "No alerts.",
           ["id", "at", "kind", "name", "chat_id", "detail", "notified_at", "handled_at", "handled_by"], csv_rows)
    return 0


def _answer(answer: Answer) -> int:
    print(answer.text, file=sys.stdout if answer.ok else sys.stderr)
    return 0 if answer.ok else 1


def cmd_alerts_handle(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    """The coach chat's /handled: the same desk service call, the same words."""
    return _answer(DeskService(engine).handle_alert(args.id, args.by))


def cmd_clear(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    """The coach chat's /clear: the client is told by the coach desk (its loop or the channel)."""
    return _answer(DeskService(engine).clear(args.chat_id, args.by))


# --- clinic flags ------------------------------------------------------------------------------
def cmd_flags(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    changes = {column: args.__dict__[short] == "yes" for short, column in FLAG_NAMES.items()
               if args.__dict__[short] is not None}
    flags = DeskService(engine).set_flags(args.chat_id, changes)
    if flags is None:
        print(f"No client with chat id {args.chat_id}.", file=sys.stderr)
        return 1
    print(f"Chat {args.chat_id}: {describe(flags)}")
    return 0


# --- staff dashboard ---------------------------------------------------------------------------
CLI_STAFF = "command line"  # who added or removed an account, in the audit log


def read_password() -> str | None:
    """Asked twice on a terminal (not echoed); the first line of stdin otherwise (scripts, tests).
    None when the two do not match."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        return first if getpass.getpass("Password again: ") == first else None
    return sys.stdin.readline().rstrip("\r\n")


def cmd_staff_add(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    from bot.dashboard.auth import PasswordTooShort, StaffAuth

    password = read_password()
    if password is None:
        print("The two passwords did not match; nothing changed.", file=sys.stderr)
        return 1
    try:
        added = StaffAuth(engine, lambda: datetime.now(timezone.utc)).add_staff(args.name, password, CLI_STAFF)
    except PasswordTooShort as exc:
        print(f"A password needs at least {exc} characters; nothing changed.", file=sys.stderr)
        return 1
    if not added:
        print(f"There is already a staff account called {args.name!r}.", file=sys.stderr)
        return 1
    print(f"Staff account {args.name!r} added: they can sign in to the dashboard now.")
    return 0


def cmd_staff_list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    from bot.dashboard.auth import StaffAuth
    from bot.dashboard.content import texts

    accounts = StaffAuth(engine, lambda: datetime.now(timezone.utc)).staff_list()
    zone = settings.default_timezone
    output(args, ["Name", "Added"], [[name, _when(at, zone)] for name, at in accounts], texts()["staff"]["none"],
           ["name", "created_at"], [[name, _iso(at)] for name, at in accounts])
    return 0


def cmd_staff_remove(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    from bot.dashboard.auth import StaffAuth

    if not StaffAuth(engine, lambda: datetime.now(timezone.utc)).remove_staff(args.name, CLI_STAFF):
        print(f"There is no staff account called {args.name!r}.", file=sys.stderr)
        return 1
    print(f"Staff account {args.name!r} removed and signed out everywhere.")
    return 0


def cmd_dashboard(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    """Serve the staff dashboard (imported here: Flask is not needed by the other commands)."""
    from bot.dashboard.server import main as serve_dashboard

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve_dashboard(settings, args.host, args.port)


# --- wiring ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bone-coach", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_csv(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--csv", action="store_true", help="CSV instead of a table")
        return p

    report = with_csv(commands.add_parser("report", help="sessions, streak, pain and alerts per client"))
    report.add_argument("--days", type=int, choices=WINDOWS, default=7, help="window for adherence %% and its sort")
    report.add_argument("--sort", choices=SORT_KEYS, default="name")
    report.set_defaults(run=cmd_report)

    invite = commands.add_parser("invite", help="one-use invite codes").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    create = invite.add_parser("create", help="make a new code")
    create.add_argument("--by", help="who hands it out (kept with the code)")
    create.set_defaults(run=cmd_invite_create)
    with_csv(invite.add_parser("list", help="all codes and who used them")).set_defaults(run=cmd_invite_list)

    allow = commands.add_parser("allow", help="chats enrolled without a code").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    add = allow.add_parser("add", help="enrol a chat")
    add.add_argument("chat_id", type=int)
    add.add_argument("--note")
    add.set_defaults(run=cmd_allow_add)
    remove = allow.add_parser("remove", help="take a chat off the list")
    remove.add_argument("chat_id", type=int)
    remove.set_defaults(run=cmd_allow_remove)
    with_csv(allow.add_parser("list", help="the allow-list")).set_defaults(run=cmd_allow_list)

    alerts = with_csv(commands.add_parser("alerts", help="coach alerts (list, or handle one)"))
    alerts.add_argument("--open", action="store_true", help="only alerts not yet handled")
    alerts.set_defaults(run=cmd_alerts)
    handle = alerts.add_subparsers(dest="action", metavar="ACTION").add_parser(
        "handle", help="mark an alert handled (a red flag: someone is on it; `clear` lets them train)")
    handle.add_argument("id", type=int)
    handle.add_argument("--by", required=True, help="who dealt with it")
    handle.set_defaults(run=cmd_alerts_handle)

    clear = commands.add_parser("clear", help="clear a client's red flags: they may train again (they are told)")
    clear.add_argument("chat_id", type=int)
    clear.add_argument("--by", required=True, help="who at the clinic cleared them")
    clear.set_defaults(run=cmd_clear)

    flags = commands.add_parser("flags", help="show or set what the clinic assessed (the plan follows at once)")
    flags.add_argument("chat_id", type=int)
    for short in ("fracture", "high_risk", "weights", "floor"):
        flags.add_argument(f"--{short.replace('_', '-')}", dest=short, choices=("yes", "no"),
                           help=coach_texts().commands[f"cli_flag_{short}"])
    flags.set_defaults(run=cmd_flags)

    staff = commands.add_parser("staff", help="who may sign in to the staff dashboard").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    staff_add = staff.add_parser("add", help="add an account (password asked twice, or read from stdin)")
    staff_add.add_argument("name")
    staff_add.set_defaults(run=cmd_staff_add)
    with_csv(staff.add_parser("list", help="every account")).set_defaults(run=cmd_staff_list)
    staff_remove = staff.add_parser("remove", help="delete an account and sign it out everywhere")
    staff_remove.add_argument("name")
    staff_remove.set_defaults(run=cmd_staff_remove)

    dashboard = commands.add_parser("dashboard", help="serve the staff dashboard (docs/DASHBOARD.md)")
    dashboard.add_argument("--host", help="address to listen on (default DASHBOARD_HOST, else 127.0.0.1)")
    dashboard.add_argument("--port", type=int, help="port (default DASHBOARD_PORT, else 8080)")
    dashboard.set_defaults(run=cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"bone-coach: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine)
        return int(args.run(args, engine, settings))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
