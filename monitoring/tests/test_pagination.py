"""Keyset pages in the explorer and the API: stable under inserts, capped counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from crisisroom.services.users import api_token_create
from monitoring import pagination
from monitoring.ingest import mentions_ingest
from monitoring.models import Mention
from monitoring.pagination import CursorError, ListCount, decode_cursor, encode_cursor

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def items(numbers, *, tie: bool = False):  # type: ignore[no-untyped-def]
    return [
        {
            "source": "twitter",
            "external_id": f"e{n}",
            "text": f"Acme Coffee number {n}",
            # tie: every mention at the same second, so only the id orders them.
            "published_at": (NOW - timedelta(minutes=0 if tie else n)).isoformat(),
        }
        for n in numbers
    ]


def api_client(user) -> Client:  # type: ignore[no-untyped-def]
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user)}"})


def walk(client: Client, **params) -> list[list[str]]:  # type: ignore[no-untyped-def]
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/mentions", query).json()
        pages.append([m["external_id"] for m in body["mentions"]])
        assert body["count"] == len(body["mentions"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("tie", [False, True])
def test_the_api_walks_every_mention_once_newest_first(charlie, brand, tie):
    mentions_ingest(items=items(range(1, 26), tie=tie))
    pages = walk(api_client(charlie), limit=10)
    assert [len(p) for p in pages] == [10, 10, 5]
    flat = [e for page in pages for e in page]
    expected = list(
        Mention.objects.order_by("-published_at", "-pk").values_list("external_id", flat=True)
    )
    assert flat == expected


def test_an_api_page_is_stable_while_mentions_arrive(charlie, brand):
    mentions_ingest(items=items(range(10, 30)))
    client = api_client(charlie)
    first = client.get("/api/v1/mentions", {"limit": 5}).json()
    # Newer mentions arrive between two page reads: with OFFSET the next page would
    # repeat rows from the first one.
    mentions_ingest(items=items(range(1, 10)))
    second = client.get("/api/v1/mentions", {"limit": 5, "cursor": first["next_cursor"]}).json()
    assert [m["external_id"] for m in first["mentions"]] == ["e10", "e11", "e12", "e13", "e14"]
    assert [m["external_id"] for m in second["mentions"]] == ["e15", "e16", "e17", "e18", "e19"]


def test_the_cursor_keeps_the_filters(charlie, brand):
    mentions_ingest(items=items(range(1, 13)))
    pages = walk(api_client(charlie), limit=4, brand=brand.slug, until=NOW.isoformat())
    # until is exclusive: e0 would be at NOW; every other mention is on a page once.
    assert sorted(e for page in pages for e in page) == sorted(f"e{n}" for n in range(1, 13))


def test_a_bad_cursor_is_a_400_in_json(charlie, brand):
    response = api_client(charlie).get("/api/v1/mentions", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]


@pytest.mark.parametrize(
    "value",
    # (a fixed time, not NOW: pytest-xdist's workers must collect the same test ids)
    [
        "",
        "!!!",
        "bm90aGluZw",
        encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), 3)[:-3],
        "eDIwMjYtMDEtMDF8Mw",
    ],
)
def test_decode_cursor_refuses_what_it_did_not_make(value):
    with pytest.raises(CursorError):
        decode_cursor(value)


def test_a_cursor_round_trips():
    cursor = decode_cursor(encode_cursor(NOW, 42, older=False))
    assert (cursor.published_at, cursor.pk, cursor.older) == (NOW, 42, False)


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'data-external-id="([^"]+)"', response.content.decode())


def link(response, rel: str) -> str | None:  # type: ignore[no-untyped-def]
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_explorer_pages_older_and_back_newer(charlie, brand, monkeypatch):
    monkeypatch.setattr("monitoring.views.PAGE_SIZE", 4)
    mentions_ingest(items=items(range(1, 11)))
    client = Client()
    client.force_login(charlie)
    first = client.get("/mentions/", {"brand": brand.slug})
    assert shown(first) == ["e1", "e2", "e3", "e4"]
    assert link(first, "prev") is None
    second = client.get(f"/mentions/?{link(first, 'next')}")
    assert shown(second) == ["e5", "e6", "e7", "e8"]
    third = client.get(f"/mentions/?{link(second, 'next')}")
    assert shown(third) == ["e9", "e10"]
    assert link(third, "next") is None
    back = client.get(f"/mentions/?{link(third, 'prev')}")
    assert shown(back) == ["e5", "e6", "e7", "e8"]
    assert "brand=" in link(back, "prev")  # the filters ride along with the cursor
    assert shown(client.get(f"/mentions/?{link(back, 'prev')}")) == ["e1", "e2", "e3", "e4"]


def test_the_explorer_refuses_a_bad_cursor(charlie):
    client = Client()
    client.force_login(charlie)
    assert client.get("/mentions/", {"cursor": "garbage"}).status_code == 400


def test_the_count_stops_at_the_cap(charlie, brand, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    mentions_ingest(items=items(range(1, 8)))
    client = Client()
    client.force_login(charlie)
    body = client.get("/mentions/").content.decode()
    heading = body.split('id="results-h">', 1)[1].split("</h2>", 1)[0]
    # the list's count stops at the cap (the chart's period total, read off the
    # rollups, may say 7: it costs no scan)
    assert re.sub(r"<[^>]+>", "", heading) == "5+ mentions"
    assert pagination.capped_count(Mention.objects.all(), cap=7) == ListCount(7, "exact")
    assert pagination.capped_count(Mention.objects.all(), cap=6) == ListCount(6, "capped")


def test_a_count_out_of_time_shows_the_planners_estimate(charlie, brand, monkeypatch):
    mentions_ingest(items=items(range(1, 8)))
    # A budget no count meets: pg_sleep makes the count itself slow.
    monkeypatch.setattr(pagination, "COUNT_BUDGET_MS", 1)
    slow = Mention.objects.extra(where=["pg_sleep(0.01) IS NOT NULL"])  # noqa: S610
    count = pagination.capped_count(slow)
    assert count.kind == "estimated"
    assert count.value >= 1
    # The transaction the test runs in is still usable after the cancelled count,
    # and without the budget: a slow query afterwards is not cancelled.
    assert Mention.objects.count() == 7
    assert slow.count() == 7


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_budget_is_reset_too(brand, monkeypatch):
    from django.db import connection

    mentions_ingest(items=items(range(1, 4)))
    monkeypatch.setattr(pagination, "COUNT_BUDGET_MS", 1)
    slow = Mention.objects.extra(where=["pg_sleep(0.01) IS NOT NULL"])  # noqa: S610
    assert not connection.in_atomic_block
    assert pagination.capped_count(slow).kind == "estimated"
    assert slow.count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
