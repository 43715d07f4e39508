"""CSRF: every form carries a token another site cannot know; a POST without the right one is 403.

Signed in, the token is the session's own (stored with it, bot/db/staff.py). The sign-in form has
no session yet, so it uses a double-submit cookie: a random value set on the sign-in page, sent
back in the form, compared. Either check also accepts the token in an `X-CSRF-Token` header.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Request

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "bone_coach_login"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def sent_token(request: Request) -> str:
    return request.form.get(FIELD) or request.headers.get(HEADER) or ""


def matches(expected: str | None, request: Request) -> bool:
    """The request's token is `expected` (compared in constant time); never with nothing expected."""
    given = sent_token(request)
    return bool(expected) and bool(given) and hmac.compare_digest(given.encode(), (expected or "").encode())
