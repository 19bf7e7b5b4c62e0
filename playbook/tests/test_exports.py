"""The post-crisis review exported as Markdown and as PDF (with Chinese text)."""

from __future__ import annotations

from django.test import Client

from playbook import exports
from playbook.services import review
from tests.tools import require


def test_the_markdown_export_has_metrics_review_and_timeline(cast):
    review.review_update(
        incident=cast.incident, by=cast["incident_lead"], root_cause="Roaster", lessons="Audit"
    )
    text = exports.review_markdown(cast.incident)
    assert text.startswith("# Post-crisis review: #")
    assert "| Time to detect |" in text
    assert "## Root cause\n\nRoaster" in text
    assert "Playbook started" in text


def test_the_pdf_export_embeds_a_cjk_font_for_chinese_text(cast):
    require(exports.CJK_FONTS[0][0], "fonts-noto-cjk")
    review.review_update(
        incident=cast.incident,
        by=cast["incident_lead"],
        root_cause="烘焙機設定錯誤",
        lessons="每週檢查",
    )
    pdf = exports.review_pdf(cast.incident)
    assert pdf.startswith(b"%PDF")
    assert b"NotoSansCJK" in pdf or b"NotoSansCJKtc" in pdf


def test_a_viewer_may_export_but_someone_without_a_role_may_not(cast):
    for who, status in [("viewer", 200), ("no_role", 403)]:
        client = Client()
        client.force_login(cast[who])
        response = client.get(f"/incidents/{cast.incident.pk}/playbook/review/export.md")
        assert response.status_code == status


def test_the_pages_render_for_a_reader(cast):
    from playbook.tests.conftest import submitted

    statement = submitted(cast)
    client = Client()
    client.force_login(cast["viewer"])
    base = f"/incidents/{cast.incident.pk}/playbook/"
    for path in [base, f"{base}statements/{statement.pk}/", f"{base}review/"]:
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get(f"{base}statements/{statement.pk}/").content.decode()
    assert "Executive lead: waiting" in page
    assert "Approve" not in page  # a viewer gets no approval button


def test_an_approver_sees_the_approve_button(cast):
    from playbook.tests.conftest import submitted

    statement = submitted(cast)
    client = Client()
    client.force_login(cast["legal_counsel"])
    page = client.get(
        f"/incidents/{cast.incident.pk}/playbook/statements/{statement.pk}/"
    ).content.decode()
    assert ">Approve</button>" in page


def test_the_war_room_panel_costs_the_same_queries_for_one_or_many_statements(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from playbook.tests.conftest import approved

    client = Client()
    client.force_login(cast["viewer"])
    url = f"/incidents/{cast.incident.pk}/"
    approved(cast)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    approved(cast)
    approved(cast)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    assert len(three.captured_queries) == len(one.captured_queries)


def test_without_any_unicode_font_the_pdf_still_renders(cast):
    review.review_update(
        incident=cast.incident, by=cast["incident_lead"], root_cause="烘焙機", lessons="“quoted”"
    )
    pdf = exports.review_pdf(cast.incident, fonts=[("/nonexistent.ttf", 0)])
    assert pdf.startswith(b"%PDF")
