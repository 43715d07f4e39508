"""`python -m bench.serving_variant run …`: bot.rasa_main without the speed-ups named in
BENCH_SERVING_WITHOUT (comma-separated names of bot.serving.SPEED_UPS);
bench.serving_ab starts the Rasa server through it to measure what each speed-up is worth."""

from __future__ import annotations

import os

from rasa.__main__ import main

from bot import serving

if __name__ == "__main__":
    serving.install(without=frozenset(filter(None, os.environ.get("BENCH_SERVING_WITHOUT", "").split(","))))
    main()
