"""Every environment variable is read through bot.settings.Settings, so each one is named,
checked and documented in one place (read with ast: os.getenv, os.environ.get, os.environ[…])."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import REPO_ROOT, Settings

SETTINGS = REPO_ROOT / "bot" / "settings.py"


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def environment_reads(path: Path) -> list[int]:
    """Lines of `path` that read one variable from the environment (copying the whole
    environment for a child process, dict(os.environ), is not a read)."""
    def reads(node: ast.AST) -> bool:
        if isinstance(node, ast.Subscript):
            return _is_environ(node.value)
        call = node.func if isinstance(node, ast.Call) else None
        return isinstance(call, ast.Attribute) and (
            call.attr == "getenv" or (call.attr in ("get", "pop", "setdefault") and _is_environ(call.value)))

    return [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if reads(node)]


def test_only_settings_reads_the_environment() -> None:
    sources = [*sorted((REPO_ROOT / "bot").rglob("*.py")), *sorted((REPO_ROOT / "actions").rglob("*.py"))]
    found = [f"{path.relative_to(REPO_ROOT)}:{line}" for path in sources if path != SETTINGS
             for line in environment_reads(path)]
    assert found == []
    assert environment_reads(SETTINGS) == []  # it reads the mapping it is given


def test_the_checker_sees_each_way_of_reading(tmp_path: Path) -> None:
    source = tmp_path / "reads.py"
    source.write_text(
        "import os\nfrom os import environ\n"
        "a = os.environ.get('A')\nb = os.getenv('B')\nc = os.environ['C']\nd = environ.get('D')\n"
        "e = dict(os.environ)\n"
    )
    assert environment_reads(source) == [3, 4, 5, 6]


def test_the_bot_api_address_comes_from_settings() -> None:
    """TELEGRAM_API_BASE_URL (a local or fake Bot API) is a setting like the others."""
    assert Settings.from_env({}).telegram_api_base_url is None
    settings = Settings.from_env({"TELEGRAM_API_BASE_URL": " http://127.0.0.1:8081/bot "})
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
