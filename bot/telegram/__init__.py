"""Bone Coach's Telegram channel for Rasa (`bot.telegram.TelegramInput` in credentials.yml)."""

from bot.telegram.channel import TelegramInput
from bot.telegram.client import make_bot
from bot.telegram.output import TelegramOutput

__all__ = ["TelegramInput", "TelegramOutput", "make_bot"]
