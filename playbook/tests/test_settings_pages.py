"""The in-app settings pages of the playbook (/settings/playbook/…): who may use them,
what every form refuses and says, secrets never shown back, and the template editor's
effect on new incidents (and none on running ones)."""

from __future__ import annotations

import pytest
from django.test import Client

from crisisroom.models import CrisisRole, OutgoingWebhook
from crisisroom.services.incidents import incident_open
from foundation.permissions import PermissionDenied
from playbook import selectors
from playbook.models import (
    ApprovalPolicy,
    ChecklistItemTemplate,
    MessageTemplate,
    PlaybookTemplate,
    PublishTarget,
    RunChecklistItem,
    StepTemplate,
)
from playbook.services import settings as svc
from playbook.services.statements import statement_create

PAGES = [
    "/settings/playbook/",
    "/settings/playbook/approvals/",
    "/settings/playbook/approvals/new/",
    "/settings/playbook/templates/",
    "/settings/playbook/templates/new/",
    "/settings/playbook/publishing/",
    "/settings/playbook/publishing/targets/new/",
    "/settings/playbook/publishing/webhooks/new/",
    "/settings/playbook/playbooks/",
]


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def default_playbook() -> PlaybookTemplate:
    return PlaybookTemplate.objects.get(is_default=True)


def test_an_admin_sees_every_settings_page(alice):
    client = client_for(alice)
    template = default_playbook()
    step = template.steps.first()
    item = step.items.first()
    pages = [
        *PAGES,
        f"/settings/playbook/playbooks/{template.pk}/",
        f"/settings/playbook/playbooks/{template.pk}/name/",
        f"/settings/playbook/playbooks/{template.pk}/steps/new/",
        f"/settings/playbook/playbooks/{template.pk}/steps/{step.pk}/",
        f"/settings/playbook/playbooks/{template.pk}/steps/{step.pk}/items/new/",
        f"/settings/playbook/playbooks/{template.pk}/steps/{step.pk}/items/{item.pk}/",
        f"/settings/playbook/templates/{MessageTemplate.objects.first().pk}/",
        f"/settings/playbook/approvals/{ApprovalPolicy.objects.first().pk}/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path


@pytest.mark.parametrize("who", ["bob", "charlie", "dave"])
def test_nobody_but_an_admin_reads_or_writes_them(who, request):
    client = client_for(request.getfixturevalue(who))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    response = client.post(
        "/settings/playbook/approvals/new/",
        {"response_level": "statement", "required_roles": [CrisisRole.objects.first().pk]},
    )
    assert response.status_code == 403
    assert "Only admins change these settings." in response.content.decode()
    before = PlaybookTemplate.objects.count()
    client.post(f"/settings/playbook/playbooks/{default_playbook().pk}/do/copy/")
    assert PlaybookTemplate.objects.count() == before


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/settings/playbook/approvals/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_services_refuse_a_non_admin(bob):
    with pytest.raises(PermissionDenied):
        svc.playbook_template_copy(template=default_playbook(), by=bob)
    with pytest.raises(PermissionDenied):
        svc.message_template_delete(template=MessageTemplate.objects.first(), by=bob)


# --- Approval policies ------------------------------------------------------------


def role(slug: str) -> CrisisRole:
    return CrisisRole.objects.get(slug=slug)


def test_an_approval_policy_sets_who_approves_at_its_level(alice, brand):
    client = client_for(alice)
    ApprovalPolicy.objects.filter(response_level="clarification").delete()
    response = client.post(
        "/settings/playbook/approvals/new/",
        {"response_level": "clarification", "required_roles": [role("pr_lead").pk]},
    )
    assert response.status_code == 302
    incident = incident_open(brand=brand, title="Typo", opened_by=alice)
    statement = statement_create(incident=incident, by=alice, body="A typo, fixed.")
    statement.response_level = "clarification"
    assert selectors.required_roles(statement) == ["pr_lead"]


def test_a_second_policy_for_a_level_or_none_of_the_roles_is_a_clear_400(alice):
    client = client_for(alice)
    assert ApprovalPolicy.objects.filter(response_level="statement").exists()
    response = client.post(
        "/settings/playbook/approvals/new/",
        {"response_level": "statement", "required_roles": [role("pr_lead").pk]},
    )
    assert response.status_code == 400
    assert "This response level already has a policy: edit that one." in response.content.decode()
    policy = ApprovalPolicy.objects.get(response_level="statement")
    before = set(policy.required_roles.values_list("slug", flat=True))
    response = client.post(
        f"/settings/playbook/approvals/{policy.pk}/", {"response_level": "statement"}
    )
    assert response.status_code == 400
    assert "Choose at least one role that must approve." in response.content.decode()
    assert set(policy.required_roles.values_list("slug", flat=True)) == before


# --- Message templates --------------------------------------------------------------


def test_a_message_template_is_edited_in_both_languages_with_a_preview(alice):
    client = client_for(alice)
    en = MessageTemplate.objects.filter(kind="holding", lang="en").first()
    zh = MessageTemplate.objects.filter(kind="holding", lang="zh-hant").first()
    response = client.post(
        f"/settings/playbook/templates/{en.pk}/",
        {
            "kind": "holding",
            "lang": "en",
            "title": "Holding",
            "body": "We know. Next: {next_update}",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/settings/playbook/templates/{zh.pk}/",
        {
            "kind": "holding",
            "lang": "zh-hant",
            "title": "暫時聲明",
            "body": "我們知道了。",
            "preview": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "我們知道了。" in page  # previewed, not saved
    zh.refresh_from_db()
    assert zh.body != "我們知道了。"
    client.post(
        f"/settings/playbook/templates/{zh.pk}/",
        {"kind": "holding", "lang": "zh-hant", "title": "暫時聲明", "body": "我們知道了。"},
    )
    en.refresh_from_db(), zh.refresh_from_db()
    assert (en.body, zh.body) == ("We know. Next: {next_update}", "我們知道了。")
    page = client.get(f"/settings/playbook/templates/{en.pk}/").content.decode()
    assert '<code class="blank">{next_update}</code>' in page
    assert (
        f'href="/settings/playbook/templates/{zh.pk}/"' in page
    )  # the other language's  # a blank to fill, named in the preview
    listing = client.get("/settings/playbook/templates/").content.decode()
    assert "暫時聲明" in listing and "Holding" in listing


def test_a_template_with_an_unknown_language_or_no_body_is_refused(alice):
    client = client_for(alice)
    before = MessageTemplate.objects.count()
    response = client.post(
        "/settings/playbook/templates/new/",
        {"kind": "faq", "lang": "klingon", "title": "FAQ", "body": ""},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in page and "This field is required." in page
    assert MessageTemplate.objects.count() == before


def test_the_preview_counts_the_length_the_way_each_channel_does(alice):
    from playbook.settings_views import template_preview

    preview = template_preview("咖啡" * 200)
    by_code = {row["channel"].code: row for row in preview["lengths"]}
    assert by_code["x"]["length"] == 800 and by_code["x"]["over"]  # CJK weighs 2
    assert by_code["threads"]["length"] == 400 and not by_code["threads"]["over"]


# --- Publishing targets and webhooks -------------------------------------------------


def test_a_target_with_a_bad_url_is_a_400_that_keeps_what_was_typed(alice):
    client = client_for(alice)
    response = client.post(
        "/settings/playbook/publishing/targets/new/",
        {"name": "Brand account", "kind": "mastodon", "base_url": "not a url", "secret": "tok"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid URL." in page and 'value="Brand account"' in page
    assert not PublishTarget.objects.exists()


def test_a_target_on_a_private_address_is_refused_by_the_guard(alice, settings):
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    response = client_for(alice).post(
        "/settings/playbook/publishing/targets/new/",
        {"name": "Inside", "kind": "webhook", "base_url": "http://127.0.0.1:8000/hook"},
    )
    assert response.status_code == 400
    assert "This address cannot be used" in response.content.decode()
    assert not PublishTarget.objects.exists()


def test_a_mastodon_target_needs_a_token_and_bluesky_a_handle(alice):
    client = client_for(alice)
    response = client.post(
        "/settings/playbook/publishing/targets/new/",
        {"name": "M", "kind": "mastodon", "base_url": "https://mastodon.example"},
    )
    assert "A Mastodon target needs its access token." in response.content.decode()
    response = client.post(
        "/settings/playbook/publishing/targets/new/",
        {"name": "B", "kind": "bluesky", "base_url": "https://bsky.example", "secret": "pw"},
    )
    assert "A Bluesky target needs its handle." in response.content.decode()
    assert not PublishTarget.objects.exists()


def test_a_secret_is_never_shown_back_kept_when_left_empty_and_rotated_when_typed(alice):
    client = client_for(alice)
    response = client.post(
        "/settings/playbook/publishing/targets/new/",
        {
            "name": "M",
            "kind": "mastodon",
            "base_url": "https://mastodon.example",
            "secret": "s3cret-token-1",
            "active": "on",
        },
    )
    assert response.status_code == 302
    target = PublishTarget.objects.get(name="M")
    page = client.get(f"/settings/playbook/publishing/targets/{target.pk}/").content.decode()
    assert "s3cret-token-1" not in page and "A secret is stored (not shown)." in page
    assert "s3cret-token-1" not in client.get("/settings/playbook/publishing/").content.decode()
    data = {"name": "M", "kind": "mastodon", "base_url": "https://mastodon.example", "active": "on"}
    client.post(f"/settings/playbook/publishing/targets/{target.pk}/", {**data, "secret": ""})
    target.refresh_from_db()
    assert target.secret == "s3cret-token-1"
    client.post(f"/settings/playbook/publishing/targets/{target.pk}/", {**data, "secret": "new-2"})
    target.refresh_from_db()
    assert target.secret == "new-2"


def test_a_webhook_needs_a_secret_and_a_public_address_and_can_be_disabled(alice, settings):
    client = client_for(alice)
    response = client.post(
        "/settings/playbook/publishing/webhooks/new/",
        {"name": "Buffer", "url": "https://hooks.example/in"},
    )
    assert response.status_code == 400
    assert "A new webhook needs a signing secret." in response.content.decode()
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    response = client.post(
        "/settings/playbook/publishing/webhooks/new/",
        {"name": "Buffer", "url": "http://localhost/in", "secret": "k"},
    )
    assert response.status_code == 400
    assert not OutgoingWebhook.objects.exists()
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = True
    client.post(
        "/settings/playbook/publishing/webhooks/new/",
        {"name": "Buffer", "url": "https://hooks.example/in", "secret": "sign-me", "active": "on"},
    )
    hook = OutgoingWebhook.objects.get()
    assert hook.secret == "sign-me" and hook.active
    assert (
        "sign-me"
        not in client.get(f"/settings/playbook/publishing/webhooks/{hook.pk}/").content.decode()
    )
    client.post(f"/settings/playbook/publishing/webhook/{hook.pk}/active/", {"active": "0"})
    hook.refresh_from_db()
    assert not hook.active


# --- The playbook template -----------------------------------------------------------


def test_an_item_added_to_a_step_is_in_new_incidents_not_running_ones(alice, brand):
    running = incident_open(brand=brand, title="Before", opened_by=alice)
    template = default_playbook()
    step = template.steps.get(number=2)
    response = client_for(alice).post(
        f"/settings/playbook/playbooks/{template.pk}/steps/{step.pk}/items/new/",
        {
            "text": "Call the insurer",
            "text_zh_hant": "致電保險公司",
            "event": "",
            "event_detail": "",
        },
    )
    assert response.status_code == 302
    assert step.items.order_by("position").last().text == "Call the insurer"
    later = incident_open(brand=brand, title="After", opened_by=alice)
    new_item = RunChecklistItem.objects.get(step__run__incident=later, text="Call the insurer")
    assert new_item.text_zh_hant == "致電保險公司" and new_item.step.number == 2
    assert not RunChecklistItem.objects.filter(
        step__run__incident=running, text="Call the insurer"
    ).exists()


def test_a_binding_names_a_role_or_channel_that_exists(alice):
    template = default_playbook()
    step = template.steps.get(number=1)
    url = f"/settings/playbook/playbooks/{template.pk}/steps/{step.pk}/items/new/"
    client = client_for(alice)
    before = step.items.count()
    response = client.post(
        url, {"text": "Legal joins", "event": "member.assigned", "event_detail": "lawyer"}
    )
    assert response.status_code == 400
    assert "“lawyer” is not one of:" in response.content.decode()
    response = client.post(
        url, {"text": "Legal joins", "event": "assessment.saved", "event_detail": "legal_counsel"}
    )
    assert response.status_code == 400
    response = client.post(
        url, {"text": "Legal joins", "event": "member.assigned", "event_detail": "legal_counsel"}
    )
    assert response.status_code == 302
    assert step.items.count() == before + 1


def test_steps_move_up_and_down_and_items_too(alice):
    template = default_playbook()
    client = client_for(alice)
    first, second = template.steps.order_by("number")[:2]
    base = f"/settings/playbook/playbooks/{template.pk}/steps/"
    client.post(f"{base}{second.pk}/do/up/")
    assert list(template.steps.order_by("number").values_list("pk", flat=True)[:2]) == [
        second.pk,
        first.pk,
    ]
    client.post(f"{base}{second.pk}/do/up/")  # already first: nothing moves
    assert StepTemplate.objects.get(pk=second.pk).number == 1
    client.post(f"{base}{second.pk}/do/down/")
    assert StepTemplate.objects.get(pk=first.pk).number == 1
    items = list(first.items.order_by("position", "pk"))
    client.post(f"{base}{first.pk}/items/{items[1].pk}/do/up/")
    assert list(first.items.order_by("position").values_list("pk", flat=True)[:2]) == [
        items[1].pk,
        items[0].pk,
    ]


def test_deleting_a_step_renumbers_the_rest(alice):
    template = default_playbook()
    third = template.steps.get(number=3)
    client_for(alice).post(
        f"/settings/playbook/playbooks/{template.pk}/steps/{third.pk}/do/delete/"
    )
    assert list(template.steps.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_a_step_needs_a_title_and_a_role_that_exists(alice):
    template = default_playbook()
    response = client_for(alice).post(
        f"/settings/playbook/playbooks/{template.pk}/steps/new/",
        {"title": "", "owner_role": 999999},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page and "Choose a crisis role that exists." in page
    assert template.steps.count() == 7


def test_a_template_in_use_by_an_open_incident_or_the_default_is_not_deleted(alice, brand):
    client = client_for(alice)
    default = default_playbook()
    response = client.post(f"/settings/playbook/playbooks/{default.pk}/do/delete/")
    assert response.status_code == 409
    assert "This is the default playbook" in response.content.decode()
    copy = svc.playbook_template_copy(template=default, by=alice)
    assert copy.steps.count() == 7
    assert ChecklistItemTemplate.objects.filter(step__template=copy).count() == (
        ChecklistItemTemplate.objects.filter(step__template=default).count()
    )
    svc.playbook_template_make_default(template=copy, by=alice)
    incident = incident_open(brand=brand, title="Live", opened_by=alice)
    svc.playbook_template_make_default(template=default, by=alice)
    response = client.post(f"/settings/playbook/playbooks/{copy.pk}/do/delete/")
    assert response.status_code == 409
    assert f"Open incidents run this playbook (#{incident.pk})" in response.content.decode()
    assert PlaybookTemplate.objects.filter(pk=copy.pk).exists()
    incident.status = "resolved"
    incident.save(update_fields=["status"])
    assert client.post(f"/settings/playbook/playbooks/{copy.pk}/do/delete/").status_code == 302
    assert not PlaybookTemplate.objects.filter(pk=copy.pk).exists()


# --- Channel owners ----------------------------------------------------------------------


def test_an_unknown_channel_owner_is_an_error_not_dropped(cast):
    lead = cast["incident_lead"]
    client = client_for(lead)
    update = cast.incident.channel_updates.get(channel="website")
    url = f"/incidents/{cast.incident.pk}/playbook/channels/{update.pk}/"
    response = client.post(url, {"state": "done", "owner": "nobody-here"})
    assert response.status_code == 400
    assert "No user is called “nobody-here”" in response.content.decode()
    update.refresh_from_db()
    assert (update.state, update.owner) == ("todo", None)
    response = client.post(url, {"state": "done", "owner": lead.username})
    update.refresh_from_db()
    assert (update.state, update.owner) == ("done", lead)


def test_an_unknown_policy_action_owner_is_an_error(cast):
    client = client_for(cast["admin"])
    url = f"/incidents/{cast.incident.pk}/playbook/review/actions/"
    response = client.post(url, {"text": "Train support", "owner": "ghost"})
    assert response.status_code == 400
    assert "No user is called “ghost”" in response.content.decode()


def test_editing_a_seeded_item_keeps_its_assessment_binding(alice):
    item = ChecklistItemTemplate.objects.get(
        step__template__is_default=True, event="assessment.saved", event_detail="facts"
    )
    step = item.step
    response = client_for(alice).post(
        f"/settings/playbook/playbooks/{step.template_id}/steps/{step.pk}/items/{item.pk}/",
        {
            "text": item.text,
            "text_zh_hant": "查證事實",
            "event": item.event,
            "event_detail": "facts",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.text_zh_hant, item.event_detail) == ("查證事實", "facts")


def test_a_message_template_can_be_deleted_from_its_page(alice):
    client = client_for(alice)
    template = MessageTemplate.objects.filter(kind="faq", lang="en").first()
    page = client.get(f"/settings/playbook/templates/{template.pk}/").content.decode()
    assert f"/settings/playbook/templates/{template.pk}/delete/" in page
    response = client.post(f"/settings/playbook/templates/{template.pk}/delete/")
    assert response.status_code == 302
    assert not MessageTemplate.objects.filter(pk=template.pk).exists()


def test_the_template_editor_reads_in_a_fixed_number_of_queries(
    alice, django_assert_max_num_queries
):
    client = client_for(alice)
    template = default_playbook()
    client.get(f"/settings/playbook/playbooks/{template.pk}/")  # warm the session
    with django_assert_max_num_queries(12):
        assert client.get(f"/settings/playbook/playbooks/{template.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/settings/playbook/templates/").status_code == 200


def test_an_unknown_kind_or_action_is_a_404_not_a_crash(alice):
    client = client_for(alice)
    assert client.post("/settings/playbook/publishing/printer/1/active/").status_code == 404
    template = default_playbook()
    assert client.post(f"/settings/playbook/playbooks/{template.pk}/do/explode/").status_code == 404
    step = template.steps.first()
    base = f"/settings/playbook/playbooks/{template.pk}/steps/{step.pk}/"
    assert client.post(base + "do/sideways/").status_code == 404
    assert client.post(f"{base}items/{step.items.first().pk}/do/sideways/").status_code == 404
    other = svc.playbook_template_copy(template=template, by=alice)
    # A step reached through another template's address is not found.
    assert (
        client.get(f"/settings/playbook/playbooks/{other.pk}/steps/{step.pk}/").status_code == 404
    )


def test_an_alert_webhook_url_is_write_only_guarded_and_can_be_disabled(alice, bob, settings):
    from crisisroom.models import Webhook

    client = client_for(alice)
    new = "/settings/playbook/publishing/alerts/new/"
    response = client.post(new, {"name": "War room", "kind": "slack", "url": ""})
    assert response.status_code == 400
    assert "A new alert webhook needs its URL." in response.content.decode()
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    response = client.post(new, {"name": "War room", "kind": "slack", "url": "http://10.0.0.5/x"})
    assert response.status_code == 400 and not Webhook.objects.exists()
    secret_url = "https://hooks.slack.example/services/T000/B000/token-123"
    data = {"name": "War room", "kind": "slack", "active": "on"}
    assert client.post(new, {**data, "url": secret_url}).status_code == 302
    hook = Webhook.objects.get()
    assert hook.url == secret_url and hook.active
    page = client.get(f"/settings/playbook/publishing/alerts/{hook.pk}/").content.decode()
    listing = client.get("/settings/playbook/publishing/").content.decode()
    assert "token-123" not in page and "token-123" not in listing and "War room" in listing
    # Left empty, the stored URL stays; a new one replaces it.
    client.post(f"/settings/playbook/publishing/alerts/{hook.pk}/", {**data, "url": ""})
    hook.refresh_from_db()
    assert hook.url == secret_url
    rotated = "https://hooks.slack.example/services/T000/B000/token-456"
    client.post(f"/settings/playbook/publishing/alerts/{hook.pk}/", {**data, "url": rotated})
    hook.refresh_from_db()
    assert hook.url == rotated
    client.post(f"/settings/playbook/publishing/alert/{hook.pk}/active/", {"active": "0"})
    hook.refresh_from_db()
    assert not hook.active
    assert client_for(bob).get(new).status_code == 403  # a responder, not an admin
