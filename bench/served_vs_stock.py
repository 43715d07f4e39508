"""Does the served stack answer as stock Rasa does? One conversation through both, compared.

Run: `.venv/bin/python -m bench.served_vs_stock`. The same client conversation (bench.transcript's,
bench.run's three times, then questions, forms left midway, a pain report, a fall, reminders) goes
through `python -m bot.rasa_main run` (the serving speed-ups of bot/serving) and through plain
`rasa run` with Rasa's own loader, each on a fresh database, and every reply is compared. Prints
"identical" or the first difference; exits 1 on a difference.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.run import CONVERSATION
from bench.transcript import AFTER_RESTART, BEFORE_RESTART
from bot.chat import send
from bot.db.engine import ensure_schema, make_engine
from bot.stack import Stack, StackConfig

MORE = ["I fell yesterday but it didn't hurt", "yes", "can I do yoga", "I'm so tired", "why these exercises",
        "stop", "remind me at 8am", "only on training days", "my knee hurts 7/10", "no it's my usual ache",
        "what if I fall", "talk to a human", "thanks", "bye"]
MESSAGES = [*BEFORE_RESTART, *AFTER_RESTART, *CONVERSATION * 3, *MORE]


def transcript(stock: bool) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        config = StackConfig(database_url=f"sqlite:///{folder}/coach.db", run_dir=Path(folder),
                             rasa_module="rasa" if stock else "bot.rasa_main")
        ensure_schema(make_engine(config.database_url))
        with Stack(config) as stack:
            for text in MESSAGES:
                lines.append(f"Client: {text}")
                for reply in send(stack.rasa_url, "777", text, {"first_name": "Ruth"}):
                    lines.append(f"Coach: {({k: v for k, v in reply.items() if k != 'recipient_id'})!r}")
    return lines


def main() -> int:
    stock, served = transcript(stock=True), transcript(stock=False)
    for number, (a, b) in enumerate(zip(stock, served, strict=False)):
        if a != b:
            print(f"line {number}: stock {a!r}\n        served {b!r}")
            return 1
    if len(stock) != len(served):
        print(f"lengths differ: stock {len(stock)} lines, served {len(served)}")
        return 1
    print(f"identical: {len(MESSAGES)} messages, {len(stock)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
