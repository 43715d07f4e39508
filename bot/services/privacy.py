"""A client's own data: `/export` hands all of it over, `/forget` deletes all of it. One
transaction per call."""

from __future__ import annotations

import json

from bot.content.loader import messages
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.services.context import Service
from bot.services.types import Reply


class PrivacyService(Service):
    """export_json and forget."""

    def export_json(self, chat_id: int) -> bytes:
        with unit_of_work(self.engine) as s:
            data = clients.export_client(s, chat_id)
        return json.dumps(data, indent=2, default=str).encode()

    def forget(self, chat_id: int) -> Reply:
        with unit_of_work(self.engine) as s:
            gone = clients.forget_client(s, chat_id)
        return Reply(messages()["forgotten" if gone else "nothing_to_forget"])
