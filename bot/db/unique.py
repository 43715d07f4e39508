"""Inserting a row that a unique key may already hold (shared by the aggregate modules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


def add_or_existing(s: Session, row: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert `row` in a SAVEPOINT; on a unique-key clash return the row that won instead.

    The savepoint keeps the outer transaction usable after the clash (PostgreSQL would abort
    it). An IntegrityError with no existing row (a check constraint, say) is raised as is.
    The flag says whether `row` was inserted.
    """
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return row, True
