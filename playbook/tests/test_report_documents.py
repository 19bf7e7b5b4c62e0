"""The post-crisis review as a document: every section (roster, assessment, ledger,
timeline, statements, checklist, lessons) in the PDF, the print view and the Markdown,
in English and in Traditional Chinese, with times in the viewer's zone.

The PDFs are read back with pdftotext (poppler-utils). Set REPORT_WALK_DIR to keep the
PDFs and look at them (pdftoppm -png -r 60)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation

from crisisroom.choices import TimelineKind
from crisisroom.models import Alert, Incident
from crisisroom.services.timeline import timeline_add
from monitoring.models import Rollup
from playbook import exports, report_doc
from playbook.models import RunChecklistItem
from playbook.services import assessment, review, runs
from playbook.services.publishing import statement_mark_published
from playbook.tests.conftest import approved, drafted
from tests.tools import require

LONG_TITLE = (
    "烘焙機設定錯誤導致整批咖啡豆燒焦，門市顧客在社群媒體上大量抱怨並要求退款與公開道歉"
    "（台北、台中、高雄三地門市同時受影響）"
)
ROOT_CAUSE = (
    "台中烘焙廠的二號烘焙機在韌體更新後，溫度曲線被重設為深焙預設值，品管抽驗只檢查重量、"
    "沒有檢查焙度，於是連續三個批次、約一千二百包咖啡豆以過高的溫度出貨。"
) * 4
CLAIM_FALSE = "網傳公司即將倒閉、所有門市下週關門"
CLAIM_OPEN = "Burnt beans were sold knowingly to clear old stock"


def pdf_text(pdf: bytes) -> str:
    require("pdftotext", "poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "report.pdf")
        path.write_bytes(pdf)
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        )
    return out.stdout.decode()


def pdf_pages(pdf: bytes) -> int:
    require("pdfinfo", "poppler-utils")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, check=True).stdout
    line = next(x for x in info.decode().splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def keep(name: str, pdf: bytes) -> None:
    """For the eye: REPORT_WALK_DIR keeps the PDFs (convert with pdftoppm and look)."""
    if folder := os.environ.get("REPORT_WALK_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, name).write_bytes(pdf)


@pytest.fixture
def storm(cast):  # type: ignore[no-untyped-def]
    return fill_storm(cast)


def fill_storm(cast):  # type: ignore[no-untyped-def]
    """The cast's incident, made a full one: a long Chinese title, eight hours of
    mentions with a storm, alerts, an assessment, a ledger, a published statement, a
    ticked checklist and a written review."""
    now = timezone.now().replace(second=0, microsecond=0)
    incident = cast.incident
    start = now - timedelta(hours=8)
    Incident.objects.filter(pk=incident.pk).update(
        title=LONG_TITLE,
        started_at=start,
        opened_at=start + timedelta(minutes=25),
        acknowledged_at=start + timedelta(minutes=40),
    )
    incident.refresh_from_db()
    first = now - timedelta(hours=11)
    first = first - timedelta(minutes=first.minute % 5)
    rows = []
    for i in range(11 * 12):
        bucket = first + timedelta(minutes=5 * i)
        hours_in = (bucket - start).total_seconds() / 3600
        storm_size = 0 if hours_in < 0 else max(0, int(90 * (1 - abs(hours_in - 2) / 3)))
        count = 4 + storm_size
        negative = 1 + int(storm_size * 0.7)
        rows.append(
            Rollup(
                brand=incident.brand,
                bucket=bucket,
                platform="threads",
                count=count,
                negative=negative,
            )
        )
    Rollup.objects.bulk_create(rows)
    for who in ("incident_lead", "pr_lead"):
        Alert.objects.create(
            incident=incident, recipient=cast[who], status="sent", created_at=incident.opened_at
        )
    lead = cast["incident_lead"]
    assessment.assessment_update(
        incident=incident,
        by=lead,
        classification="product_issue",
        response_level="statement",
        original_source="Threads 上的顧客 @beanlover 於早上九點貼出燒焦咖啡豆照片，轉發超過三千次。",
        verified_facts="三個批次受影響；已下架；沒有食安風險。" * 3,
        key_voices="美食部落客「咖啡日記」（十二萬追蹤）",
    )
    assessment.claim_record(
        incident=incident,
        by=lead,
        claim=CLAIM_FALSE,
        status="false",
        evidence="財報與董事會聲明",
        correction="公司營運正常，門市照常營業。",
        correction_url="https://example.com/news/1",
    )
    assessment.claim_record(incident=incident, by=lead, claim=CLAIM_OPEN)
    statement = approved(cast, body="我們很抱歉：燒焦的咖啡豆不該出貨。我們將在週五前全額退款。")
    statement_mark_published(statement, lead, [])
    drafted(cast, body="A second update, still a draft.")
    for item in RunChecklistItem.objects.filter(step__run__incident=incident, event="")[:3]:
        runs.checklist_item_set(item=item, done=True, by=lead)
    review.review_update(
        incident=incident, by=lead, root_cause=ROOT_CAUSE, lessons="每週校正烘焙機"
    )
    review.policy_action_add(
        incident=incident, by=lead, text="韌體更新後重新驗證溫度曲線", owner=lead
    )
    for n in range(30):
        timeline_add(
            incident=incident,
            kind=TimelineKind.NOTE,
            message=f"第 {n + 1} 則現場回報：門市顧客詢問退款流程與新的出貨時間，客服依腳本回覆。",
            actor=lead,
        )
    incident.refresh_from_db()
    return incident


def test_the_chinese_review_pdf_holds_every_section_in_chinese_and_taipei_time(cast, storm):
    require(exports.CJK_FONTS[0][0], "fonts-noto-cjk")
    with translation.override("zh-hant"), timezone.override("Asia/Taipei"):
        pdf = exports.review_pdf(storm)
        started = timezone.localtime(storm.started_at).strftime("%Y-%m-%d %H:%M")
    keep("review-zh-hant.pdf", pdf)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf_pages(pdf) > 1
    text = pdf_text(pdf)
    flat = "".join(text.split())
    for heading in [
        "摘要",
        "時間軸",
        "團隊名單",
        "評估",
        "錯誤資訊紀錄",
        "聲明",
        "檢查清單",
        "教訓與政策行動",
    ]:
        assert heading in flat, heading
    assert "烘焙機設定錯誤導致整批咖啡豆燒焦" in flat  # the title
    assert "incident-lead" in flat and "法律顧問" in flat  # the roster: who and their role
    assert "三個批次受影響" in flat  # the assessment
    assert "".join(CLAIM_FALSE.split("、")[0].split()) in flat and "錯誤" in flat  # the ledger
    assert "第30則現場回報" in flat  # the timeline, to its end
    assert "我們很抱歉" in flat  # the published statement
    assert "".join(f"{started} 台北時間".split()) in flat  # times in the viewer's zone
    assert "第 1 頁，共" in text or "第1頁，共" in flat  # page numbers


def test_the_english_review_pdf_holds_every_section(cast, storm):
    with translation.override("en"), timezone.override("UTC"):
        pdf = exports.review_pdf(storm)
    keep("review-en.pdf", pdf)
    text = pdf_text(pdf)
    for heading in [
        "Summary",
        "Volume and sentiment",
        "Timeline",
        "Team roster",
        "Assessment",
        "Misinformation ledger",
        "Statements",
        "Playbook checklist",
        "Lessons and policy actions",
    ]:
        assert heading in text, heading
    assert "Legal counsel" in text and "social-media-manager" in text
    assert "Burnt beans were sold" in text and "Unverified" in text
    assert "Time to acknowledge" in text and "15 min" in text
    assert "Page 1 of" in text
    assert pdf_pages(pdf) > 1


def test_the_document_is_built_from_sections_every_renderer_reads(cast, storm):
    doc = report_doc.review_document(storm)
    keys = [s.key for s in doc.sections]
    assert keys == [
        "summary",
        "targets",
        "chart",
        "timeline",
        "roster",
        "assessment",
        "ledger",
        "statements",
        "checklist",
        "lessons",
    ]
    sections = {s.key: s for s in doc.sections}
    targets = sections["targets"].blocks[0]
    assert isinstance(targets, report_doc.Table) and len(targets.rows) >= 3
    chart = next(b for b in sections["chart"].blocks if isinstance(b, report_doc.Chart)).data
    assert chart.total > 0 and storm.opened_at in chart.alerts and len(chart.statements) == 1
    assert chart.start <= storm.started_at - timedelta(hours=2)
    checks = [b for s in doc.sections for b in s.blocks if isinstance(b, report_doc.Checks)]
    ticked = [done for block in checks for done, _, _ in block.items]
    assert ticked.count(True) >= 3 and False in ticked
    markdown = report_doc.document_markdown(doc)
    assert "## Team roster" in markdown and "| Legal counsel | legal-counsel |" in markdown
    assert "## Misinformation ledger" in markdown and CLAIM_OPEN in markdown
    assert "- [ ] 韌體更新後重新驗證溫度曲線" in markdown


def test_the_print_view_shows_the_same_document_for_a_reader(cast, storm):
    client = Client()
    client.force_login(cast["viewer"])
    review_page = client.get(f"/incidents/{storm.pk}/playbook/review/").content.decode()
    assert f"/incidents/{storm.pk}/playbook/review/print/" in review_page
    page = client.get(f"/incidents/{storm.pk}/playbook/review/print/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "css/print.css" in html and "<svg" in html and 'class="report-checks"' in html
    for key in ["roster", "assessment", "ledger", "timeline", "statements", "lessons"]:
        assert f'id="report-{key}"' in html
    assert CLAIM_FALSE in html
    client.force_login(cast["no_role"])
    assert client.get(f"/incidents/{storm.pk}/playbook/review/print/").status_code == 403


def test_the_pdf_comes_through_the_view_in_the_viewers_language(cast, storm):
    user = cast["viewer"]
    user.language, user.time_zone = "zh-hant", "Asia/Taipei"
    user.save(update_fields=["language", "time_zone"])
    client = Client()
    client.force_login(user)
    response = client.get(f"/incidents/{storm.pk}/playbook/review/export.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(pdf_text(response.content).split())
    assert "危機後檢討" in text and "團隊名單" in text


def test_a_table_cell_longer_than_a_page_continues_on_the_next_without_losing_text():
    require(exports.CJK_FONTS[0][0], "fonts-noto-cjk")
    from playbook.report_pdf import document_pdf

    claim = "網傳公司即將倒閉、所有門市下週關門。" * 250  # a few pages in one cell
    doc = report_doc.Document(
        kind="review",
        title="T",
        header="H",
        meta=[],
        sections=[
            report_doc.Section(
                "ledger",
                "Ledger",
                [report_doc.Table(["Claim", "Status"], [[claim, "False"]], (70, 30))],
            )
        ],
    )
    pdf = document_pdf(doc)
    assert pdf_pages(pdf) > 2
    text = pdf_text(pdf)
    # Page headers and footers fall between the rows' parts: count the claim's characters.
    assert text.count("網") == 250 and text.count("。") == 250


def test_chinese_lines_break_between_characters_and_never_before_closing_punctuation():
    from playbook.report_pdf import wrap

    text = "第 24 則現場回報：門市顧客詢問退款流程。English words stay whole here"
    lines = wrap(text, 10, len).split("\n")  # ten characters a line
    assert lines[0] == "第 24 則現場回"  # not "第 24" alone, the sentence pushed down
    assert lines[1].startswith("報：")  # the colon stays with the character before it
    assert all(len(line) <= 10 or " " not in line for line in lines)
    assert not any(line[0] in "：。，" for line in lines)
    for word in ["English", "words", "stay", "whole", "here"]:  # English breaks between words
        assert any(word in line for line in lines), word
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert wrap("No Chinese here at all", 7, len) == "No\nChinese\nhere at\nall"
    assert wrap("x" * 25, 10, len) == "x" * 10 + "\n" + "x" * 10 + "\n" + "x" * 5  # too long a word
