"""Brand settings for admins: brands, watch terms by kind, trigger phrases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, Mention, WatchTerm

pytestmark = pytest.mark.django_db


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form(**extra):  # type: ignore[no-untyped-def]
    data = {
        "name": "Bolt Beans",
        "slug": "bolt-beans",
        "active": "on",
        "trigger_phrases": "boycott\n抵制\n",
        "terms_name": '"bolt beans"\n閃電豆',
        "terms_hashtag": "#BoltBeans",
        "terms_competitor": "acme coffee",
        "terms_exclude": "bolt beans NOT coffee",
    }
    data.update(extra)
    return data


def test_an_admin_adds_a_brand_with_terms_by_kind(alice):
    response = login(alice).post("/brands/new/", form())
    assert response.status_code == 302
    brand = Brand.objects.get(slug="bolt-beans")
    assert sorted(brand.terms.values_list("kind", "query")) == [
        ("competitor", "acme coffee"),
        ("exclude", "bolt beans NOT coffee"),
        ("hashtag", "#BoltBeans"),
        ("name", '"bolt beans"'),
        ("name", "閃電豆"),
    ]
    assert brand.trigger_phrase_list() == ("boycott", "抵制")
    page = login(alice).get("/brands/").content.decode()
    assert "Bolt Beans" in page and "#BoltBeans" in page


def test_a_bad_query_is_refused_with_the_line_and_reason(alice):
    response = login(alice).post(
        "/brands/new/", form(terms_name='"bolt beans\n閃電豆', terms_product="(beans OR bolt")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Line 1: a quoted phrase is not closed" in body
    assert "Line 1: a parenthesis is not closed" in body
    assert not Brand.objects.filter(slug="bolt-beans").exists()


def test_editing_terms_changes_matching_at_once(alice, brand):
    now = datetime.now(UTC).isoformat()
    mentions_ingest(
        items=[{"source": "t", "external_id": "1", "text": "Acme Tea!", "published_at": now}]
    )
    response = login(alice).post(
        f"/brands/{brand.pk}/",
        form(
            name=brand.name,
            slug=brand.slug,
            terms_name="acme tea",
            terms_hashtag="",
            terms_competitor="",
            terms_exclude="",
        ),
    )
    assert response.status_code == 302
    assert list(brand.terms.values_list("query", flat=True)) == ["acme tea"]
    mentions_ingest(
        items=[
            {"source": "t", "external_id": "2", "text": "Acme Tea!!", "published_at": now},
            {"source": "t", "external_id": "3", "text": "Acme Coffee", "published_at": now},
        ]
    )
    assert dict(Mention.objects.values_list("external_id", "brand__slug")) == {
        "1": None,
        "2": "acme-coffee",
        "3": None,
    }


@pytest.mark.parametrize("who", ["bob", "charlie", "dave"])
def test_only_admins_configure_brands(who, brand, request):
    client = login(request.getfixturevalue(who))
    assert client.get("/brands/").status_code == 403
    assert client.post(f"/brands/{brand.pk}/", form()).status_code == 403
    assert WatchTerm.objects.filter(brand=brand).count() == 3


def test_the_django_admin_refuses_a_bad_query_too(brand):
    from django.core.exceptions import ValidationError

    term = WatchTerm(brand=brand, kind="name", query='"acme')
    with pytest.raises(ValidationError, match="quoted phrase is not closed"):
        term.full_clean()


def test_competitor_mentions_have_their_own_view_in_the_explorer(charlie, brand):
    WatchTerm.objects.create(brand=brand, kind="competitor", query="bolt beans")
    now = datetime.now(UTC).isoformat()
    mentions_ingest(
        items=[
            {"source": "t", "external_id": "1", "text": "Bolt Beans rocks", "published_at": now},
            {"source": "t", "external_id": "2", "text": "Acme Coffee rocks", "published_at": now},
        ]
    )
    client = login(charlie)
    own = client.get("/mentions/", {"brand": "acme-coffee"}).content.decode()
    rival = client.get("/mentions/", {"brand": "acme-coffee", "competitor": "on"}).content.decode()
    assert "Acme Coffee rocks" in own and "Bolt Beans rocks" not in own
    assert "Bolt Beans rocks" in rival and "Acme Coffee rocks" not in rival


def test_queries_are_checked_as_the_admin_types(alice, bob):
    response = login(alice).post(
        "/brands/check-terms/", {"terms_name": 'acme\n"acme coffee\n(a OR b)'}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: a quoted phrase is not closed" in body
    assert "Line 1" not in body and "Line 3" not in body
    assert login(alice).post("/brands/check-terms/", {"terms_name": "acme"}).content.strip() == b""
    assert login(bob).post("/brands/check-terms/", {"terms_name": "acme"}).status_code == 403
