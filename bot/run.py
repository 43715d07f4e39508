"""`bin/run`: the whole coach on one machine.

With TELEGRAM_BOT_TOKEN set, the Rasa server serves Telegram (polling or webhook); without it,
a terminal chat talks to the same stack through Rasa's REST channel. With DASHBOARD_ENABLED=1 the
staff dashboard runs beside them (docs/DASHBOARD.md).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from bot.chat import TerminalChat
from bot.db.engine import ensure_schema, make_engine
from bot.settings import Settings
from bot.stack import ROOT, Stack, StackConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5005, help="Rasa server port (loopback)")
    parser.add_argument("--action-port", type=int, default=5055)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    # Migrate once here, before two processes could race to create the schema.
    ensure_schema(make_engine(settings.database_url))
    config = StackConfig(
        database_url=settings.database_url,
        run_dir=ROOT / "var" / "run",
        rasa_port=args.port,
        action_port=args.action_port,
        telegram=bool(settings.telegram_bot_token),
    )
    stack = Stack(config)
    print("Starting Bone Coach (action server + Rasa server). Loading the model takes about "
          "a minute on a small machine (40-70 s on 2 cores)…", flush=True)
    try:
        started = time.monotonic()
        stack.start()
        print(f"Ready after {time.monotonic() - started:.0f} s.", flush=True)
        if settings.dashboard_enabled:
            stack.start_dashboard()
            print(f"Staff dashboard: http://{settings.dashboard_host}:{settings.dashboard_port}/ "
                  "(add staff with `bone-coach staff add NAME`; log: var/run/dashboard.log)", flush=True)
        if config.telegram:
            stack.start_scheduler()
            if settings.coach_chat_id is not None:
                stack.start_coach_desk()
            else:
                print("COACH_CHAT_ID is not set: coach alerts stay in the database "
                      "(see `bone-coach alerts`).", file=sys.stderr)
            print(f"Serving Telegram ({settings.telegram_mode}). Logs: var/run/. Ctrl-C stops.")
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while all(p.poll() is None for p in stack.procs.values()):
                time.sleep(1)
            print("A server stopped; see var/run/*.log", file=sys.stderr)
            return 1
        TerminalChat(stack.rasa_url, settings).loop()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        print("\nStopping…", flush=True)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
