"""Fresh migrated SQLite session databases, fast: migrated once per test process, then copied.

Running every Alembic migration costs about 0.1 s; a test that wants a database of its own (the
action tests reach theirs through DATABASE_URL, as the action server does) gets a copy instead.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from bot.db.engine import ensure_schema, make_engine


@lru_cache(maxsize=1)
def _template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bone-coach-template-")) / "bone_coach.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    engine.dispose()  # the last connection out folds the write-ahead log into the file
    return path


def migrated_sqlite(folder: Path, name: str = "bone_coach.db") -> str:
    """The URL of a new, fully migrated SQLite database file `folder/name`."""
    target = folder / name
    shutil.copyfile(_template(), target)
    return f"sqlite:///{target}"
