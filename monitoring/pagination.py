"""Keyset ("cursor") pagination and capped counts for mention listings.

OFFSET paging reads and throws away every row before the page, and an exact
``COUNT(*)`` reads every row that matches: both grow with the table. A keyset page
instead starts where the previous one stopped, at the last row's
(``published_at``, ``id``), and reads its rows straight off an index in that order
(``Mention.Meta.indexes``). A page is stable under inserts: new mentions arrive at
the top and never shift the rows of a page already handed out. Counts stop at
``COUNT_CAP`` ("10,000+") and get a time budget, past which the planner's estimate
is shown ("about 12,000").

A cursor is opaque to callers: url-safe base64 of ``<direction><ISO time>|<id>``,
direction ``o`` (older: the page after this row) or ``n`` (newer: the page before).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet

COUNT_CAP = 10_000
COUNT_BUDGET_MS = 60


class CursorError(ValueError):
    """A cursor that was not made by ``encode_cursor`` (or was cut short)."""


@dataclass(frozen=True)
class Cursor:
    published_at: datetime
    pk: int
    older: bool = True


def encode_cursor(published_at: datetime, pk: int, *, older: bool = True) -> str:
    raw = f"{'o' if older else 'n'}{published_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        direction, rest = raw[0], raw[1:]
        moment, _, pk = rest.rpartition("|")
        published_at = datetime.fromisoformat(moment)
        if direction not in "on" or published_at.tzinfo is None:
            raise ValueError(raw)
        return Cursor(published_at=published_at, pk=int(pk), older=direction == "o")
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise CursorError("That cursor is not valid; start again from the first page.") from exc


@dataclass
class KeysetPage:
    """One page of rows, newest first, with the cursors to its neighbours."""

    rows: list[Any]
    next_cursor: str | None  # older rows
    previous_cursor: str | None  # newer rows
    is_first: bool

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def keyset_page(queryset: QuerySet, *, cursor: Cursor | None, size: int) -> KeysetPage:
    """``size`` rows of ``queryset`` (any filters; ordered here by -published_at, -pk)
    after (or, for a "newer" cursor, before) ``cursor``. One query: it reads
    ``size + 1`` rows to know whether there is a further page."""
    if cursor is None or cursor.older:
        rows = queryset
        if cursor is not None:
            # "published_at <= t" is the index range; the OR only breaks ties at t.
            rows = rows.filter(published_at__lte=cursor.published_at).filter(
                Q(published_at__lt=cursor.published_at) | Q(pk__lt=cursor.pk)
            )
        found = list(rows.order_by("-published_at", "-pk")[: size + 1])
        more = len(found) > size
        found = found[:size]
        next_cursor = _cursor_after(found) if more else None
        previous_cursor = _cursor_before(found) if cursor is not None and found else None
        return KeysetPage(found, next_cursor, previous_cursor, is_first=cursor is None)
    rows = queryset.filter(published_at__gte=cursor.published_at).filter(
        Q(published_at__gt=cursor.published_at) | Q(pk__gt=cursor.pk)
    )
    found = list(rows.order_by("published_at", "pk")[: size + 1])
    more = len(found) > size
    found = list(reversed(found[:size]))
    return KeysetPage(
        found,
        next_cursor=_cursor_after(found) if found else None,
        previous_cursor=_cursor_before(found) if more else None,
        is_first=not more,
    )


def _cursor_after(rows: list[Any]) -> str:
    last = rows[-1]
    return encode_cursor(last.published_at, last.pk, older=True)


def _cursor_before(rows: list[Any]) -> str:
    first = rows[0]
    return encode_cursor(first.published_at, first.pk, older=False)


@dataclass(frozen=True)
class ListCount:
    """How many rows a listing has: exact, at least ``value`` (capped), or about
    ``value`` (the planner's estimate, when even the capped count ran out of time)."""

    value: int
    kind: str  # "exact" | "capped" | "estimated"


def capped_count(queryset: QuerySet, cap: int | None = None) -> ListCount:
    """The exact count up to ``cap`` (default COUNT_CAP); past it, "cap+". Reads at
    most ``cap + 1`` index entries instead of every matching row. On PostgreSQL the
    count gets COUNT_BUDGET_MS: a filter that matches few rows far apart (a rare
    search word) would otherwise read the whole table to find cap+1 of them; then
    the planner's estimate is shown instead ("about N")."""
    cap = COUNT_CAP if cap is None else cap
    rows = queryset.order_by().values("pk")
    if connection.vendor != "postgresql":
        count = rows[: cap + 1].count()
    else:
        count = _count_within_budget(rows, cap)
        if count is None:
            return ListCount(_estimate(rows), "estimated")
    return ListCount(cap, "capped") if count > cap else ListCount(count, "exact")


def _count_within_budget(rows: QuerySet, cap: int) -> int | None:
    """The capped count under statement_timeout = COUNT_BUDGET_MS; None if cancelled.
    Only the count runs under the budget: the setting is put back right after it
    (inside a transaction, a savepoint undoes it if the count is cancelled)."""
    budget = f"{int(COUNT_BUDGET_MS)}ms"
    if connection.in_atomic_block:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [budget])
                count = rows[: cap + 1].count()
                _reset_timeout(cursor)
                return count
        except OperationalError:
            return None
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", [budget])
        try:
            return rows[: cap + 1].count()
        except OperationalError:
            return None
        finally:
            _reset_timeout(cursor)


def _reset_timeout(cursor) -> None:  # type: ignore[no-untyped-def]
    # RESET itself runs under the budget: on a machine that busy, try again.
    for attempt in range(3):
        try:
            cursor.execute("RESET statement_timeout")
            return
        except OperationalError:
            if attempt == 2:
                raise


def _estimate(rows: QuerySet) -> int:
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
