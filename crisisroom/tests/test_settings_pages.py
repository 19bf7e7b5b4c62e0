"""The settings pages: the menu, users and roles, the on-call list with its rotation,
overrides and preview, and the brand check of the raise form. alice is an admin
(owner), bob a responder and charlie a viewer (members), dave has no role (outsider)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisisroom.models import Incident, OnCallEntry, OnCallOverride, OnCallRotation, User
from crisisroom.selectors import on_call_order, on_call_preview
from crisisroom.services import on_call as on_call_services
from crisisroom.services.alerts import alerts_escalate, alerts_queue
from crisisroom.services.incidents import incident_open
from crisisroom.services.users import UserChangeError, user_invite, user_update
from monitoring.models import Brand

ADMIN_PAGES = ["/settings/", "/settings/users/", "/settings/on-call/", "/settings/detector/"]


def _names(users) -> list[str]:  # type: ignore[no-untyped-def]
    return [u.username for u in users]


# --- The menu and who may see it ---------------------------------------------------------


def test_the_settings_menu_lists_every_apps_pages_for_admins(client, alice):
    client.force_login(alice)
    page = client.get("/settings/").content.decode().split('id="main"')[1]
    for href in ("/settings/users/", "/settings/on-call/", "/settings/detector/", "/brands/"):
        assert f'href="{href}"' in page, href
    # Users come before brands: INSTALLED_APPS order (crisisroom, then monitoring).
    assert page.index("/settings/users/") < page.index("/brands/")
    nav = client.get("/").content.decode()
    assert 'href="/settings/"' in nav


@pytest.mark.parametrize("who", ["bob", "charlie", "dave"])
def test_members_and_outsiders_get_403_on_every_settings_page(client, who, request, alice):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for path in ADMIN_PAGES + [f"/settings/users/{alice.pk}/"]:
        assert client.get(path).status_code == 403, path
    entry = OnCallEntry.objects.create(user=alice)
    posts = {
        "/settings/users/": {"username": "mallory", "org_role": "admin"},
        f"/settings/users/{alice.pk}/": {"org_role": "viewer"},
        "/settings/on-call/add/": {"user": user.pk},
        f"/settings/on-call/{entry.pk}/move/": {"direction": "down"},
        f"/settings/on-call/{entry.pk}/remove/": {},
        "/settings/on-call/rotation/": {"mode": "weekly", "starts_on": "2026-01-05"},
    }
    for path, data in posts.items():
        assert client.post(path, data).status_code == 403, path
    assert not User.objects.filter(username="mallory").exists()
    assert User.objects.get(pk=alice.pk).org_role == "admin"
    assert OnCallEntry.objects.filter(pk=entry.pk).exists()
    assert 'href="/settings/"' not in client.get("/drills/").content.decode()


def test_a_stranger_is_sent_to_log_in(client, db):
    response = client.get("/settings/on-call/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_settings_posts_need_the_csrf_token(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert (
        strict.post("/settings/users/", {"username": "x", "org_role": "viewer"}).status_code == 403
    )
    assert not User.objects.filter(username="x").exists()


# --- Users and roles ------------------------------------------------------------------


def test_an_admin_adds_a_user_with_roles(client, alice):
    client.force_login(alice)
    response = client.post(
        "/settings/users/",
        {
            "username": "erin",
            "email": "erin@example.com",
            "org_role": "responder",
            "crisis_roles": ["pr_lead", "legal_counsel"],
        },
    )
    assert response.status_code == 302
    erin = User.objects.get(username="erin")
    assert (erin.org_role, erin.email, erin.has_usable_password()) == (
        "responder",
        "erin@example.com",
        False,
    )
    assert sorted(erin.crisis_roles.values_list("slug", flat=True)) == ["legal_counsel", "pr_lead"]
    assert "erin" in client.get("/settings/users/").content.decode()


def test_adding_a_taken_name_or_bad_input_is_a_400_that_says_why(client, alice, bob):
    client.force_login(alice)
    page = client.post("/settings/users/", {"username": "BOB", "org_role": "admin"})
    assert page.status_code == 400
    assert "A user named BOB exists already" in page.content.decode()
    assert User.objects.get(username="bob").org_role == "responder"
    page = client.post(
        "/settings/users/",
        {"username": "a b", "org_role": "boss", "email": "nope", "crisis_roles": ["chef"]},
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "Enter a valid username" in text and "Enter a valid email address" in text
    assert "Select a valid choice" in text
    page = client.post(
        "/settings/users/", {"username": "frank", "org_role": "viewer", "password": "123"}
    )
    assert page.status_code == 400 and "too short" in page.content.decode()
    assert not User.objects.filter(username__in=["a b", "frank"]).exists()


def test_an_admin_changes_roles_and_deactivates_without_deleting(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        f"/settings/users/{bob.pk}/",
        {"email": "bob@example.com", "org_role": "viewer", "crisis_roles": ["hr_representative"]},
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.org_role, bob.is_active) == ("viewer", False)
    assert list(bob.crisis_roles.values_list("slug", flat=True)) == ["hr_representative"]
    page = client.get("/settings/users/").content.decode()
    assert "bob" in page and "Deactivated" in page


def test_an_admin_cannot_demote_or_deactivate_themselves(client, alice):
    client.force_login(alice)
    page = client.post(
        f"/settings/users/{alice.pk}/",
        {"email": alice.email, "org_role": "responder", "is_active": "on"},
    )
    assert page.status_code == 400
    assert "You cannot remove your own admin rights" in page.content.decode()
    page = client.post(f"/settings/users/{alice.pk}/", {"email": alice.email, "org_role": "admin"})
    assert page.status_code == 400 and "You cannot deactivate yourself" in page.content.decode()
    alice.refresh_from_db()
    assert (alice.org_role, alice.is_active, alice.is_staff) == ("admin", True, True)


def test_the_user_services_refuse_self_lockout_and_taken_names(alice, bob):
    with pytest.raises(UserChangeError):
        user_update(
            user=alice, by=alice, org_role="viewer", crisis_roles=[], is_active=True, email=""
        )
    with pytest.raises(UserChangeError):
        user_invite(username="Alice", org_role="viewer")
    promoted = user_update(
        user=bob, by=alice, org_role="admin", crisis_roles=[], is_active=True, email="b@x.org"
    )
    assert (promoted.org_role, promoted.is_staff, promoted.email) == ("admin", True, "b@x.org")
    assert promoted.crisis_roles.count() == 0


# --- On call ------------------------------------------------------------------------------


def test_places_on_the_list_cannot_collide_in_the_database(alice, bob):
    OnCallEntry.objects.create(user=alice, position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        OnCallEntry.objects.create(user=bob, position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        OnCallEntry.objects.create(user=alice, position=5)


def test_up_and_down_reorder_the_list_the_alerts_page(client, alice, bob):
    charlie_ = User.objects.create_user(
        username="carol", email="carol@example.com", org_role="responder"
    )
    for user in (alice, bob, charlie_):
        on_call_services.on_call_add(user=user)
    assert _names(on_call_order()) == ["alice", "bob", "carol"]
    client.force_login(alice)
    carol = OnCallEntry.objects.get(user=charlie_)
    assert (
        client.post(f"/settings/on-call/{carol.pk}/move/", {"direction": "up"}).status_code == 302
    )
    assert _names(on_call_order()) == ["alice", "carol", "bob"]
    first = OnCallEntry.objects.get(user=alice)
    page = client.post(f"/settings/on-call/{first.pk}/move/", {"direction": "up"})
    assert page.status_code == 400 and "alice is already first." in page.content.decode()
    page = client.post(f"/settings/on-call/{first.pk}/move/", {"direction": "sideways"})
    assert page.status_code == 400 and "Move a person up or down." in page.content.decode()
    assert sorted(OnCallEntry.objects.values_list("position", flat=True)) == [0, 1, 2]
    # The alert path reads the same order.
    incident = incident_open(brand=Brand.objects.create(name="A", slug="a"), title="x")
    assert [a.recipient.username for a in incident.alerts.filter(recipient__isnull=False)] == [
        "alice"
    ]
    client.post(f"/settings/on-call/{first.pk}/move/", {"direction": "down"})
    assert _names(on_call_order()) == ["carol", "alice", "bob"]


def test_adding_to_the_list_refuses_viewers_people_without_email_and_repeats(
    client, alice, charlie
):
    client.force_login(alice)
    assert client.post("/settings/on-call/add/", {"user": alice.pk}).status_code == 302
    page = client.post("/settings/on-call/add/", {"user": alice.pk})
    assert page.status_code == 400 and "alice is already on the list." in page.content.decode()
    page = client.post("/settings/on-call/add/", {"user": charlie.pk})
    assert page.status_code == 400 and "charlie is a viewer" in page.content.decode()
    nomail = User.objects.create_user(username="gus", org_role="responder")
    page = client.post("/settings/on-call/add/", {"user": nomail.pk})
    assert page.status_code == 400 and "gus has no email address" in page.content.decode()
    page = client.post("/settings/on-call/add/", {"user": 99999})
    assert page.status_code == 400 and "Choose a person from the list." in page.content.decode()
    assert list(OnCallEntry.objects.values_list("user__username", flat=True)) == ["alice"]


def test_pause_and_remove_take_a_person_out_of_the_order(client, alice, bob):
    client.force_login(alice)
    for user in (alice, bob):
        on_call_services.on_call_add(user=user)
    entry = OnCallEntry.objects.get(user=alice)
    client.post(f"/settings/on-call/{entry.pk}/toggle/")
    assert _names(on_call_order()) == ["bob"]
    client.post(f"/settings/on-call/{entry.pk}/toggle/")
    assert _names(on_call_order()) == ["alice", "bob"]
    client.post(f"/settings/on-call/{entry.pk}/remove/")
    assert _names(on_call_order()) == ["bob"]


def test_the_weekly_rotation_set_in_the_app_turns_the_list(client, alice, bob):
    for user in (alice, bob):
        on_call_services.on_call_add(user=user)
    client.force_login(alice)  # alice's zone is UTC
    response = client.post(
        "/settings/on-call/rotation/", {"mode": "weekly", "starts_on": "2026-01-05"}
    )
    assert response.status_code == 302
    row = OnCallRotation.objects.get()
    assert row.starts_at == datetime(2026, 1, 5, tzinfo=UTC)
    start = row.starts_at
    assert _names(on_call_order(at=start + timedelta(days=1))) == ["alice", "bob"]
    assert _names(on_call_order(at=start + timedelta(days=8))) == ["bob", "alice"]
    page = client.post("/settings/on-call/rotation/", {"mode": "daily", "starts_on": "tuesday"})
    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()
    assert "Enter a valid date" in page.content.decode()
    assert OnCallRotation.objects.get().mode == "weekly"


def test_the_first_handover_is_midnight_in_the_admins_zone(client, alice):
    alice.time_zone = "Asia/Taipei"
    alice.save()
    client.force_login(alice)
    client.post("/settings/on-call/rotation/", {"mode": "weekly", "starts_on": "2026-01-05"})
    assert OnCallRotation.objects.get().starts_at == datetime(2026, 1, 4, 16, tzinfo=UTC)


def test_an_override_puts_its_person_first_for_its_days_then_the_order(client, alice, bob):
    on_call_services.on_call_add(user=alice)
    client.force_login(alice)
    today = timezone.localdate()
    first, last = today + timedelta(days=2), today + timedelta(days=4)
    response = client.post(
        "/settings/on-call/overrides/",
        {
            "user": bob.pk,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "note": "swap",
        },
    )
    assert response.status_code == 302
    override = OnCallOverride.objects.get()
    assert override.starts_at == datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    assert override.ends_at == override.starts_at + timedelta(days=3)
    assert _names(on_call_order(at=override.starts_at)) == ["bob", "alice"]
    assert _names(on_call_order(at=override.ends_at - timedelta(seconds=1))) == ["bob", "alice"]
    assert _names(on_call_order(at=override.ends_at)) == ["alice"]
    preview = on_call_preview(since=datetime.combine(today, datetime.min.time(), tzinfo=UTC))
    assert [(s.user.username, s.override is not None) for s in preview] == [
        ("alice", False),
        ("bob", True),
        ("alice", False),
    ]
    assert preview[1].starts_at == override.starts_at and preview[1].ends_at == override.ends_at
    assert preview[-1].ends_at - preview[0].starts_at == timedelta(days=14)
    page = client.get("/settings/on-call/").content.decode()
    assert "swap" in page and page.count('class="preview-who"') == 3


def test_overrides_that_overlap_end_before_they_start_or_are_over_are_refused(
    client, alice, bob, charlie
):
    client.force_login(alice)
    today = timezone.localdate()

    def post(user, first, last):  # type: ignore[no-untyped-def]
        return client.post(
            "/settings/on-call/overrides/",
            {
                "user": user.pk,
                "first_day": (today + timedelta(days=first)).isoformat(),
                "last_day": (today + timedelta(days=last)).isoformat(),
            },
        )

    assert post(bob, 1, 3).status_code == 302
    page = post(alice, 3, 5)
    assert page.status_code == 400 and "It overlaps the override for bob" in page.content.decode()
    page = post(alice, 5, 4)
    assert (
        page.status_code == 400 and "The last day comes before the first." in page.content.decode()
    )
    page = post(alice, -5, -2)
    assert page.status_code == 400 and "This override is over already" in page.content.decode()
    page = post(charlie, 6, 7)
    assert page.status_code == 400 and "charlie is a viewer" in page.content.decode()
    assert OnCallOverride.objects.count() == 1
    assert post(alice, 4, 5).status_code == 302
    override = OnCallOverride.objects.get(user=alice)
    assert client.post(f"/settings/on-call/overrides/{override.pk}/remove/").status_code == 302
    assert OnCallOverride.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_escalation_follows_an_override_then_the_list(alice, bob):
    carol = User.objects.create_user(username="carol", email="c@example.com", org_role="responder")
    for user in (alice, carol):
        on_call_services.on_call_add(user=user)
    now = timezone.now()
    on_call_services.on_call_override_add(
        user=bob, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1), by=alice
    )
    incident = incident_open(brand=Brand.objects.create(name="B", slug="b"), title="y")
    assert [a.recipient.username for a in incident.alerts.filter(recipient__isnull=False)] == [
        "bob"
    ]
    alerts_queue(incident=incident, reason="opened")  # idempotent: nobody paged twice
    escalated = alerts_escalate(now=now + timedelta(hours=2))
    assert [a.recipient.username for a in escalated] == ["alice"]
    assert Incident.objects.get(pk=incident.pk).alerts.filter(recipient__isnull=False).count() == 2


def test_the_environment_rotation_applies_until_one_is_set_in_the_app(settings, alice, bob):
    settings.ON_CALL_ROTATION = "weekly"
    settings.ON_CALL_ROTATION_START = "2026-01-05"
    for user in (alice, bob):
        on_call_services.on_call_add(user=user)
    at = datetime(2026, 1, 13, tzinfo=UTC)
    assert _names(on_call_order(at=at)) == ["bob", "alice"]
    on_call_services.on_call_rotation_set(mode="ordered", starts_at=at, by=alice)
    assert _names(on_call_order(at=at)) == ["alice", "bob"]


def test_the_migration_renumbers_collisions_before_the_constraint(alice, bob):
    import importlib

    migration = importlib.import_module(
        "crisisroom.migrations.0013_on_call_places_rotation_overrides"
    )
    from django.apps import apps as real_apps

    # Drop the constraints for a moment to build what old data looked like.
    from django.db import connection

    with connection.schema_editor() as editor:
        for constraint in OnCallEntry._meta.constraints:
            editor.remove_constraint(OnCallEntry, constraint)
    try:
        OnCallEntry.objects.create(user=alice, position=0)
        OnCallEntry.objects.create(user=bob, position=0)
        OnCallEntry.objects.create(user=alice, position=3)
        migration.renumber_on_call(real_apps, None)
        assert list(OnCallEntry.objects.values_list("user__username", "position")) == [
            ("alice", 0),
            ("bob", 1),
        ]
    finally:
        # Back as the migration leaves it (the test's transaction rolls all of it back too).
        OnCallEntry.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            for constraint in OnCallEntry._meta.constraints:
                editor.add_constraint(OnCallEntry, constraint)


# --- Detector settings and the raise form -------------------------------------------------


def test_the_detector_list_links_every_brand_to_its_page(client, alice):
    Brand.objects.create(name="Acme", slug="acme")
    Brand.objects.create(name="Globex", slug="globex", detector_settings={"min_volume": 5})
    client.force_login(alice)
    page = client.get("/settings/detector/").content.decode()
    assert 'href="/brands/acme/detector/"' in page and 'href="/brands/globex/detector/"' in page
    assert 'href="/brands/acme/detector/"' in client.get("/brands/").content.decode()


def test_the_raise_form_refuses_an_unknown_brand_by_name(client, bob):
    Brand.objects.create(name="Acme", slug="acme")
    client.force_login(bob)
    page = client.post("/incidents/new/", {"title": "Leak", "brand": "acmee", "severity": "high"})
    assert page.status_code == 400
    assert "There is no brand “acmee”" in page.content.decode()
    assert not Brand.objects.filter(slug="acmee").exists()
    assert not Incident.objects.exists()


def test_every_member_reads_the_preview_on_the_on_call_page(client, alice, bob, charlie):
    on_call_services.on_call_add(user=alice)
    now = timezone.now()
    on_call_services.on_call_override_add(
        user=bob, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2), by=alice
    )
    client.force_login(charlie)
    page = client.get("/on-call/").content.decode()
    assert page.count('class="preview-who"') == 3
    assert page.index(">alice", page.index("preview-who")) < page.index(
        ">bob", page.index("preview-who")
    )
    assert "/settings/on-call/" not in page.split('id="main"')[1]
