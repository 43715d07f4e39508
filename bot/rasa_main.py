"""Rasa's command line with the serving loader (`bot.nlp.fast_load`): `python -m bot.rasa_main run …`.

The stack starts the Rasa server through this module so a restart costs seconds, not the minute
Rasa's own loader spends on a training step per model.
"""

from __future__ import annotations

from rasa.__main__ import main

from bot.nlp import fast_load

if __name__ == "__main__":
    fast_load.install()
    main()
