"""Bone Coach's custom actions. The content files are checked as the action server imports
this package, so a broken file stops it at start-up (naming the file and the key)."""

from bot.content_check import validate_all

validate_all()
