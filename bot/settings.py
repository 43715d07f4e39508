"""Runtime settings read from the environment, so one code base serves laptop and cluster.

The one place that reads the environment: every process takes its settings from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parents[1]
VAR_DIR = REPO_ROOT / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'bone_coach.db'}"
TELEGRAM_MODES = ("polling", "webhook")


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs from its environment; secrets are kept out of repr()."""

    database_url: str = DEFAULT_DATABASE_URL
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_mode: str = "polling"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base_url: str | None = None  # a local or fake Bot API instead of Telegram's
    coach_chat_id: int | None = None
    allowed_chat_ids: tuple[int, ...] = ()
    default_timezone: str = "America/Chicago"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (default: os.environ); empty values count as unset.

        TELEGRAM_MODE defaults to webhook when TELEGRAM_WEBHOOK_URL is set, else polling.
        Raises ValueError with the variable's name (never its value) when one is malformed.
        """
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        webhook_url = get("TELEGRAM_WEBHOOK_URL")
        mode = (get("TELEGRAM_MODE") or ("webhook" if webhook_url else "polling")).lower()
        if mode not in TELEGRAM_MODES:
            raise ValueError(f"TELEGRAM_MODE must be one of {TELEGRAM_MODES}")
        if mode == "webhook" and not webhook_url:
            raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
        coach_chat = get("COACH_CHAT_ID")
        timezone = get("DEFAULT_TIMEZONE") or "America/Chicago"
        try:
            ZoneInfo(timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError("DEFAULT_TIMEZONE must be an IANA zone name") from None
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_mode=mode,
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
            coach_chat_id=_chat_id("COACH_CHAT_ID", coach_chat) if coach_chat else None,
            allowed_chat_ids=tuple(
                _chat_id("ALLOWED_CHAT_IDS", part)
                for part in (get("ALLOWED_CHAT_IDS") or "").split(",")
                if part.strip()
            ),
            default_timezone=timezone,
        )


def _chat_id(name: str, text: str) -> int:
    """Telegram chat ids are integers (negative for groups)."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{name} must hold integer Telegram chat ids") from None
