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
DEFAULT_DASHBOARD_PORT = 8080
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


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
    telegram_bot_username: str | None = None  # the bot's @name for invite links (else asked of Telegram)
    # The staff dashboard (bot/dashboard, docs/DASHBOARD.md): loopback only unless told otherwise;
    # HTTPS is a reverse proxy's job, which then also sets the client address (trusted proxies).
    dashboard_enabled: bool = False  # bin/run starts it
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = DEFAULT_DASHBOARD_PORT
    dashboard_secure_cookies: bool = False
    dashboard_trusted_proxies: int = 0

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
            telegram_bot_username=(get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
            dashboard_enabled=_flag("DASHBOARD_ENABLED", get("DASHBOARD_ENABLED")),
            dashboard_host=get("DASHBOARD_HOST") or "127.0.0.1",
            dashboard_port=_number("DASHBOARD_PORT", get("DASHBOARD_PORT"), DEFAULT_DASHBOARD_PORT, 1, 65535),
            dashboard_secure_cookies=_flag("DASHBOARD_SECURE_COOKIES", get("DASHBOARD_SECURE_COOKIES")),
            dashboard_trusted_proxies=_number("DASHBOARD_TRUSTED_PROXIES", get("DASHBOARD_TRUSTED_PROXIES"), 0, 0, 5),
        )


def _chat_id(name: str, text: str) -> int:
    """Telegram chat ids are integers (negative for groups)."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{name} must hold integer Telegram chat ids") from None


def _flag(name: str, text: str | None) -> bool:
    """1/true/yes/on or 0/false/no/off (any case); unset is false."""
    if text is None:
        return False
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(f"{name} must be one of {_TRUE + _FALSE}")


def _number(name: str, text: str | None, default: int, low: int, high: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value
