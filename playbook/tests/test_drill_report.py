from __future__ import annotations

import pytest

from crisisroom import drills
from crisisroom.models import Incident
from crisisroom.services.users import user_add
from crisisroom.tests.test_drills import _age, mini  # noqa: F401 - the scenario fixture
from playbook import drill_report
from playbook.models import PlaybookRun, Publication, PublishTarget, RunChecklistItem
from playbook.seed import seed_playbook_now
from playbook.services import assessment, publishing, runs, statements, team

pytestmark = pytest.mark.django_db(transaction=True)


def _drill_with_a_response(alice, bob):  # type: ignore[no-untyped-def]
    """A mini drill whose team assembles, publishes a statement (to the sandbox) and
    corrects a planted claim."""
    seed_playbook_now()  # transactional tests flush what the migration seeded
    erin, _ = user_add(
        username="erin",
        org_role="responder",
        crisis_roles=["executive_lead"],
        email="erin@example.com",
        password="pw-erin",
    )
    drill = drills.drill_start(scenario_id="mini-drill", speed=60, user=alice)
    _age(drill, 13)
    drills.drill_tick(drill_id=drill.pk)
    drills.drill_tick(drill_id=drill.pk)  # curveballs go on the incident's timeline once it exists
    incident = Incident.objects.get(brand=drill.brand, is_drill=True)
    team.team_member_add(incident=incident, user=alice, crisis_role="incident_lead", by=alice)
    team.team_member_add(incident=incident, user=bob, crisis_role="legal_counsel", by=alice)
    team.team_member_add(incident=incident, user=erin, crisis_role="executive_lead", by=alice)
    item = (
        RunChecklistItem.objects.filter(step__run__incident=incident, event="")
        .order_by("step__number", "position")
        .first()
    )
    runs.checklist_item_set(item=item, done=True, by=alice)
    statement = statements.statement_create(
        incident=incident, by=alice, body="We are sorry. Points are restored today."
    )
    statements.statement_submit(statement=statement, by=alice)
    statements.statement_approve(statement=statement, by=bob)
    statements.statement_approve(statement=statement, by=erin)
    # Nothing listens on port 9: a real call would fail; a drill must not make one.
    target = PublishTarget.objects.create(
        name="Brand Mastodon", kind="mastodon", base_url="http://127.0.0.1:9"
    )
    publishing.statement_publish(statement=statement, by=alice, targets=[target])
    assessment.claim_record(
        incident=incident,
        by=alice,
        claim="Mini Tea is going bankrupt",
        status="false",
        correction="Mini Tea is not closing; see our statement.",
    )
    drill.refresh_from_db()
    return drill, incident


def test_the_after_action_report_measures_the_teams_response(mini, alice, bob):  # noqa: F811
    drill, incident = _drill_with_a_response(alice, bob)
    assert list(Publication.objects.values_list("state", flat=True)) == ["sandbox"]
    report = drill_report.drill_after_action(drill)
    assert report["incident"] == incident
    assert report["team_size"] == 3
    assert report["time_to_first_member"] is not None and report["time_to_first_member"] >= 0
    assert report["statements_published"] == report["statements"] == 1
    assert report["time_to_first_statement"] is not None
    assert report["approval_latency_median"] is not None and report["approval_latency_median"] >= 0
    items = RunChecklistItem.objects.filter(step__run=PlaybookRun.objects.get(incident=incident))
    total = items.count()
    # One ticked by hand; the others ticked themselves (lead assigned, team notified,
    # claim recorded, statement submitted, approved, published).
    assert (report["checklist_done"], report["checklist_total"]) == (7, total)
    assert items.filter(done=True).count() == 7
    assert (
        report["claims_corrected"],
        report["claims_false_or_misleading"],
        report["claims_planted"],
    ) == (1, 1, 1)
    assert (report["curveballs_noted"], report["curveballs"]) == (2, 2)
    markdown = drill_report.report_markdown(drill)
    assert "| False or misleading claims corrected | 1 / 1 |" in markdown
    assert f"| Checklist items done | 7 / {total} |" in markdown
    assert "Curveball: A reporter asks when points come back" in markdown
    assert drill_report.report_pdf(drill).startswith(b"%PDF")


def test_a_drill_without_an_incident_says_so(mini, alice):  # noqa: F811
    drill = drills.drill_start(scenario_id="mini-drill", speed=60, user=alice)
    rows = drill_report.report_rows(drill_report.drill_after_action(drill))
    assert rows == [("Incident", "Detection did not open one")]


def test_the_report_pages_are_for_the_organisation_only(mini, client, alice, bob, charlie, dave):  # noqa: F811
    drill, _ = _drill_with_a_response(alice, bob)
    client.force_login(charlie)
    page = client.get(f"/drills/{drill.pk}/report/")
    assert page.status_code == 200
    assert "After-action report" in page.content.decode()
    markdown = client.get(f"/drills/{drill.pk}/report.md")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert client.get(f"/drills/{drill.pk}/report.pdf").content.startswith(b"%PDF")
    assert f"/drills/{drill.pk}/report/print/" in page.content.decode()
    printed = client.get(f"/drills/{drill.pk}/report/print/").content.decode()
    for key in ["figures", "chart", "timeline", "roster", "assessment", "ledger", "checklist"]:
        assert f'id="report-{key}"' in printed, key
    assert "Mini Tea is going bankrupt" in printed and "<svg" in printed
    client.force_login(dave)
    assert client.get(f"/drills/{drill.pk}/report/").status_code == 403
    assert client.get("/drills/987654/report/", follow=False).status_code in {403, 404}


def test_the_after_action_pdf_has_every_section_in_both_languages(mini, alice, bob, settings):  # noqa: F811
    from django.utils import timezone, translation

    from playbook.report_pdf import CJK_FONTS
    from playbook.tests.test_report_documents import keep, pdf_pages, pdf_text
    from tests.tools import require

    require(CJK_FONTS[0][0], "fonts-noto-cjk")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    drill, _ = _drill_with_a_response(alice, bob)
    with translation.override("en"), timezone.override("UTC"):
        english = drill_report.report_pdf(drill)
    with translation.override("zh-hant"), timezone.override("Asia/Taipei"):
        chinese = drill_report.report_pdf(drill)
    keep("drill-en.pdf", english)
    keep("drill-zh-hant.pdf", chinese)
    text = pdf_text(english)
    for heading in ["Figures", "Volume and sentiment", "Timeline", "Team roster", "Assessment"]:
        assert heading in text, heading
    assert "Misinformation ledger" in text and "Mini Tea is going bankrupt" in text
    assert "Legal counsel" in text and "erin" in text
    assert "Curveball: A reporter asks when points come back" in text
    assert pdf_pages(english) > 1
    flat = "".join(pdf_text(chinese).split())
    for heading in [
        "演練檢討報告",
        "數據",
        "時間軸",
        "團隊名單",
        "錯誤資訊紀錄",
        "應變手冊檢查清單",
    ]:
        assert heading in flat, heading
    assert "台北時間" in flat and "法律顧問" in flat
