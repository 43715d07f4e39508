"""Settings come from the environment and never reveal secrets."""

from __future__ import annotations

import pytest

from bot.settings import REPO_ROOT, Settings


def test_defaults_need_no_environment_at_all() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{REPO_ROOT / 'var' / 'bone_coach.db'}"
    assert settings.telegram_bot_token is None
    assert settings.telegram_mode == "polling"
    assert settings.coach_chat_id is None
    assert settings.allowed_chat_ids == ()
    assert settings.default_timezone == "America/Chicago"


def test_values_are_read_and_parsed() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg2://bot@db/bone",
            "TELEGRAM_BOT_TOKEN": "123456:SECRET-token",
            "TELEGRAM_WEBHOOK_URL": "https://coach.example.org/hook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
            "COACH_CHAT_ID": "-1001234",
            "ALLOWED_CHAT_IDS": " 11, 22 ,,33 ",
        }
    )
    assert settings.database_url == "postgresql+psycopg2://bot@db/bone"
    assert settings.telegram_mode == "webhook"  # a public URL means webhook unless told
    assert settings.coach_chat_id == -1001234
    assert settings.allowed_chat_ids == (11, 22, 33)


def test_secrets_stay_out_of_repr() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123456:SECRET-token",
            "TELEGRAM_WEBHOOK_URL": "https://x.example/h",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        }
    )
    assert "SECRET-token" not in repr(settings) and "s3cret" not in repr(settings)
    assert settings.telegram_bot_token == "123456:SECRET-token"


def test_empty_values_count_as_unset() -> None:
    assert Settings.from_env({"DATABASE_URL": "", "TELEGRAM_BOT_TOKEN": " "}) == Settings()


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE"),
        ({"TELEGRAM_MODE": "webhook"}, "TELEGRAM_WEBHOOK_URL"),
        ({"COACH_CHAT_ID": "coach"}, "COACH_CHAT_ID"),
        ({"ALLOWED_CHAT_IDS": "1,two"}, "ALLOWED_CHAT_IDS"),
        ({"DEFAULT_TIMEZONE": "Duluth/Harbour"}, "DEFAULT_TIMEZONE"),
    ],
)
def test_malformed_values_are_named_in_the_error(env: dict[str, str], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env(env)


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().database_url = "sqlite://"  # type: ignore[misc]
