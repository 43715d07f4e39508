"""One content source (issue 15): every threshold and client-facing text is in bot/content/*.yml.

The code keeps no copy: the constants that used to hold them are gone, no other module reads a
content file itself, and no string literal in bot/ or actions/ reads like a sentence a client
would see. A broken content file stops start-up with an error naming the file and the key.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.coaching.library import default_rules
from bot.content import loader
from bot.content.loader import ContentError
from bot.content_check import validate_all

ROOT = Path(__file__).resolve().parents[2]
CODE = sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("actions/*.py")])

# Constants that held a threshold or a client's text, and where each went.
MOVED = {
    "HISTORY_DAYS": "rules.yml history.days",
    "PLAN_BUTTONS": "messages.yml plan.buttons",
    "TITLES": "messages.yml plan.titles",
    "LIMIT": "messages.yml plan.limit",
    "MORE": "messages.yml plan.more",
    "MISSES_FOR_ALERT": "clinic.yml missed_sessions.alert_after",
    "DAYS_LISTED": "clinic.yml missed_sessions.days_listed",
    "MISSES_BEFORE_HUMAN": "clarify.yml misses_before_human",
    "REST_DAY_WORDS": "answers.yml rest_day_topic",
    "EDITABLE": "answers.yml change_profile",
    "EQUIPMENT": "exercises.yml equipment.home",
    "HOME_EQUIPMENT": "exercises.yml equipment.home",
    "EVERYWHERE": "exercises.yml equipment.everywhere",
    "WEEKDAYS": "calendar.day_name",
}

# Modules that still parse YAML themselves, each with its reason. The first four read content
# files until they are switched to the loader's accessors (owned by another change).
READS_YAML = {
    "bot/content/loader.py": "the loader",
    "bot/stack.py": "credentials.yml and endpoints.yml, Rasa's files, not content",
    "bot/nlp/red_flag_classifier.py": "the NLU examples under data/, Rasa's training data",
}

# Literals of four words or more that are not a client's text, each with its reason.
NOT_CLIENT_TEXT = {
    "out of over outta or to and but i im maybe today now tonight pain ish at in on right really "
    "tops max probably though thanks thx please because since after when from with as so if too "
    "this that the my for": "parsing.py: words that may follow a spoken score (a word list)",
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty": "parsing.py: number words (a word list)",
    "Bone Coach: blank English, lookup lemmas, rule-based entities.": "build_pipeline.py: spaCy meta",
}
# Still in code in modules of another change (the channel, the desk, the CLI), to move to
# bot/content; each is a (module, literal) pair, so a new sentence anywhere fails.
PENDING: dict[tuple[str, str], str] = {}
# Calls whose words are not for clients: logs, the operator's terminal, command-line help.
_NOT_FOR_CLIENTS = {"debug", "info", "warning", "error", "exception", "critical", "log",  # logging
                    "print", "exit", "SystemExit", "echo", "input",  # the operator's terminal
                    "add_argument", "ArgumentParser", "add_parser", "add_subparsers",  # CLI help
                    "compile", "text", "execute", "CheckConstraint"}  # regexes, SQL
_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|SET|CREATE|ALTER|DROP|WITH)\b"
                  r"|\b(IN \(|BETWEEN \d|IS (NOT )?NULL)|redis\.call")
_REGEX = re.compile(r"\\[bswd]|\(\?|\[\^")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _excused(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Inside a raise or an exception's __init__, or an argument of a call in _NOT_FOR_CLIENTS."""
    while id(node) in parents:
        node = parents[id(node)]
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "").endswith(("Error", "Exception"))
                                                  for b in node.bases):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _NOT_FOR_CLIENTS:
                return True
    return False


def _literals(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal that is not a docstring; an f-string's fields read {}."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings or isinstance(parents.get(id(node)), ast.JoinedStr):
                continue
            text = node.value
        else:
            continue
        if not _excused(node, parents):
            yield node.lineno, text


def _reads_like_a_sentence(text: str) -> bool:
    words = text.split()
    return (
        len(words) >= 4
        and sum(1 for w in words if re.fullmatch(r"[A-Za-z'’,.:;!?()-]+", w)) >= 3
        and not _SQL.search(text) and not _REGEX.search(text)
        and text.strip() not in NOT_CLIENT_TEXT
    )


def test_the_moved_constants_are_gone_from_the_code() -> None:
    left = [
        f"{_rel(path)}: {name} (now {where})"
        for path in CODE if path.name != "loader.py"
        for name, where in MOVED.items()
        if re.search(rf"^\s*{name}\s*[:=]", path.read_text(encoding="utf-8"), re.M)
    ]
    assert left == []


def test_the_pain_zones_come_from_the_engines_rules() -> None:
    from bot.coaching.library import default_rules
    from bot.services.pain import pain_zones

    zones = default_rules()["pain_zones"]
    assert pain_zones() == {"amber": zones["amber_min"], "red": zones["red_min"],
                             "alert": zones["coach_alert_min"]}


def test_only_the_loader_reads_content_files() -> None:
    readers = sorted(
        _rel(path) for path in CODE
        if re.search(r"^import yaml|^from yaml", path.read_text(encoding="utf-8"), re.M)
    )
    assert set(readers) <= set(READS_YAML), set(readers) - set(READS_YAML)


def test_no_client_facing_sentence_is_written_in_the_code() -> None:
    found = [
        f"{_rel(path)}:{line}: {text!r}"
        for path in CODE if path.parent.name != "content"
        for line, text in _literals(path)
        if _reads_like_a_sentence(text) and (_rel(path), text) not in PENDING
    ]
    assert found == []


def test_the_scan_finds_a_sentence_and_passes_a_log_message(tmp_path: Path) -> None:
    """The heuristic itself: a reply written in code is found; the excused kinds are not."""
    module = tmp_path / "module.py"
    module.write_text(
        '"""A docstring of several words."""\n'
        "import logging\n"
        "def reply(name):\n"
        '    logging.getLogger().info("sent the reply to %s just now", name)\n'
        '    if not name:\n'
        '        raise ValueError(f"no name was given for {name}")\n'
        '    return f"Well done {name}, see you tomorrow!"\n'
    )
    found = [text for _, text in _literals(module) if _reads_like_a_sentence(text)]
    assert found == ["Well done {}, see you tomorrow!"]


# --- start-up checks ------------------------------------------------------------------------------
def test_every_content_file_is_valid_now() -> None:
    validate_all()


def _broken(tmp_path: Path, name: str, change: dict[str, object]) -> Path:
    data = yaml.safe_load((loader.CONTENT_DIR / name).read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        target = data
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    path = tmp_path / "bot" / "content" / name
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "model", "change", "key"),
    [
        ("messages.yml", loader.Messages, {"pain_ack.red": None}, "pain_ack.red"),
        ("messages.yml", loader.Messages, {"plan.limit": "long"}, "plan.limit"),
        ("messages.yml", loader.Messages, {"plan.titles.stop": "  "}, "plan.titles"),
        ("clinic.yml", loader.Clinic, {"missed_sessions.alert_after": 0}, "missed_sessions.alert_after"),
        ("clinic.yml", loader.Clinic, {"alert_repeat.weekdays": [0, 9]}, "alert_repeat.weekdays.1"),
        ("clarify.yml", loader.Clarify, {"misses_before_human": None}, "misses_before_human"),
        ("clarify.yml", loader.Clarify, {"faq_min_confidence": 6}, "faq_min_confidence"),
        ("answers.yml", loader.Answers, {"rest_day_topic": "rest days"}, "rest_day_topic"),
        ("reminders.yml", loader.Reminders, {"delivery.batch_size": -1}, "delivery.batch_size"),
        ("coach_texts.yml", loader.CoachTexts, {"alert.detail": "typo"}, "alert.detail"),
        ("channel_texts.yml", loader.ChannelTexts, {"error": None}, "error"),
    ],
)
def test_a_broken_file_names_the_file_and_the_key(
    tmp_path: Path, name: str, model: type[loader.Section], change: dict[str, object], key: str
) -> None:
    path = _broken(tmp_path, name, change)
    with pytest.raises(ContentError) as error:
        loader.load(model, path)
    assert f"bot/content/{name}: " in str(error.value)
    assert f" {key}: " in f" {str(error.value).split(': ', 1)[1]}"


def test_a_file_that_is_not_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"clinic\.yml: not valid YAML"):
        loader.load(loader.Clinic, path)


def test_a_broken_rules_file_names_the_file_and_the_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _broken(tmp_path, "rules.yml", {"pain_two_red.source": "blog"})
    (tmp_path / "bot" / "content" / "clinic.yml").write_text(
        (loader.CONTENT_DIR / "clinic.yml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(loader, "CONTENT_DIR", tmp_path / "bot" / "content")
    default_rules.cache_clear()
    loader.clinic.cache_clear()
    try:
        with pytest.raises(ContentError, match=r"bot/content/rules\.yml: rule pain_two_red: needs a source"):
            default_rules()
    finally:
        monkeypatch.undo()
        default_rules.cache_clear()
        loader.clinic.cache_clear()
