"""Rasa's command line with our serving speed-ups (`bot.serving`): `python -m bot.rasa_main run …`.

The stack starts the Rasa server (and `rasa test` in the tests) through this module: a start costs
seconds instead of the minute Rasa's own loader spends on a training step per model, and a turn
costs less than half of what Rasa's own server spends on it (BENCHMARKS.md, issue 17).
"""

from __future__ import annotations

from rasa.__main__ import main

from bot import serving

if __name__ == "__main__":
    serving.install()
    main()
