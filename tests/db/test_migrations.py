"""The migrations are the schema: they build exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, inspect
from sqlalchemy.engine import Engine

from bot.db.engine import alembic_config, ensure_schema, head_revision, make_engine
from bot.db.models import Base
from bot.settings import REPO_ROOT


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_there_is_a_single_migration_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_upgrade_from_empty_builds_exactly_the_models(blank_engine: Callable[[], Engine]) -> None:
    engine = blank_engine()
    ensure_schema(engine)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []
    assert _revision(engine) == _head()


def test_migrated_database_has_the_models_checks_and_cascades(
    blank_engine: Callable[[], Engine],
) -> None:
    # compare_metadata does not look at check constraints or ON DELETE: check them here.
    engine = blank_engine()
    ensure_schema(engine)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name
        for fk in inspector.get_foreign_keys(table.name):
            if fk["referred_table"] in ("clients", "checkins"):
                assert fk["options"].get("ondelete", "").upper() == "CASCADE", table.name


def test_ensure_schema_twice_changes_nothing(blank_engine: Callable[[], Engine]) -> None:
    engine = blank_engine()
    ensure_schema(engine)
    ensure_schema(engine)
    assert _revision(engine) == _head()


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert head_revision() == _head()


def test_a_database_one_migration_behind_is_upgraded(blank_engine: Callable[[], Engine]) -> None:
    engine = blank_engine()
    ensure_schema(engine)
    command.downgrade(alembic_config(engine), "-1")
    assert _revision(engine) != _head()
    ensure_schema(engine)
    assert _revision(engine) == _head()


def test_a_database_at_the_head_is_checked_without_loading_alembic(blank_engine: Callable[[], Engine]) -> None:
    engine = blank_engine()
    ensure_schema(engine)
    url = engine.url.render_as_string(hide_password=False)
    script = ("import sys; from bot.db.engine import *; ensure_schema(make_engine(sys.argv[1])); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    done = subprocess.run([sys.executable, "-c", script, url], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_two_processes_migrating_at_once_both_succeed(blank_engine: Callable[[], Engine]) -> None:
    # Replicas starting together: PostgreSQL serialises them with an advisory lock, SQLite
    # with BEGIN IMMEDIATE. Real processes: Alembic's migration context is process-global.
    target = blank_engine()
    url = target.url.render_as_string(hide_password=False)
    script = "import sys; from bot.db.engine import *; ensure_schema(make_engine(sys.argv[1]))"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=REPO_ROOT, stderr=subprocess.PIPE) for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read().decode()[-3000:]) for p in processes]
    assert [code for code, _ in outcomes] == [0, 0], "\n".join(err for _, err in outcomes)
    assert _revision(target) == _head()


def test_downgrade_to_empty_and_back(blank_engine: Callable[[], Engine]) -> None:
    engine = blank_engine()
    ensure_schema(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    ensure_schema(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_first_run_creates_the_sqlite_file_and_its_folder(tmp_path) -> None:
    path = tmp_path / "fresh" / "var" / "bone_coach.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    assert path.exists()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
