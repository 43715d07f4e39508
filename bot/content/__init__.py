"""Bone Coach's content: every client-facing text and every threshold, as YAML data files.

`bot.content.loader` reads and checks them (one cached accessor per file).
"""
