"""The post-crisis review as Markdown (always) and PDF (fpdf2; Chinese text needs a
CJK font: Debian's fonts-noto-cjk, else DejaVu, whose missing glyphs show as boxes; without either, the core Helvetica prints "?" for them)."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom.models import Incident
from playbook import selectors
from playbook.durations import duration_text as _duration
from playbook.models import PostCrisisReview
from playbook.targets import targets_markdown

CJK_FONTS = [
    # (path, index inside a collection): Noto Sans CJK TC is the 4th face.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 3),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
]


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _count(done: int, total: int) -> str:
    return f"{done} / {total}" if total else "—"


def metrics_rows(incident: Incident) -> list[tuple[str, str]]:
    m = selectors.review_metrics(incident)
    return [
        (_("Time to detect"), _duration(m["time_to_detect"])),
        (_("Time to acknowledge"), _duration(m["time_to_acknowledge"])),
        (_("Time to first response"), _duration(m["time_to_first_response"])),
        (_("Time to resolve"), _duration(m["time_to_resolve"])),
        (_("Checklist items done"), _count(*m["checklist"])),
        (_("Peak volume (mentions per 5 minutes)"), str(m["peak_volume"])),
        (_("Negative share before"), _share(m["negative_share_before"])),
        (_("Negative share during"), _share(m["negative_share_during"])),
        (_("Negative share after"), _share(m["negative_share_after"])),
        (_("Time for sentiment to recover"), _duration(m["time_to_recover"])),
    ]


def review_markdown(incident: Incident) -> str:
    review = PostCrisisReview.objects.filter(incident=incident).first()
    lines = [
        f"# {_('Post-crisis review')}: #{incident.pk} {incident.title}",
        "",
        f"{_('Brand')}: {incident.brand.name}  ",
        f"{_('Exported')}: {timezone.now():%Y-%m-%d %H:%M} UTC",
        "",
        f"## {_('Metrics')}",
        "",
        f"| {_('Metric')} | {_('Value')} |",
        "|---|---|",
    ]
    lines += [f"| {label} | {value} |" for label, value in metrics_rows(incident)]
    lines += ["", *targets_markdown(incident)]
    lines += ["", f"## {_('Root cause')}", "", (review.root_cause if review else "") or "—"]
    lines += ["", f"## {_('Lessons')}", "", (review.lessons if review else "") or "—"]
    lines += ["", f"## {_('Policy actions')}", ""]
    actions = list(review.actions.select_related("owner")) if review else []
    for action in actions:
        owner = action.owner.get_username() if action.owner else "—"
        lines.append(f"- [{'x' if action.done else ' '}] {action.text} ({_('owner')}: {owner})")
    if not actions:
        lines.append("—")
    lines += ["", f"## {_('Statements published')}", ""]
    for statement in selectors.published_statements(incident):
        lines += [f"### #{statement.pk} {statement.title}".rstrip(), "", statement.body, ""]
    lines += [f"## {_('Timeline')}", ""]
    for event in incident.timeline.select_related("actor").order_by("at", "pk"):
        who = f" ({event.actor.get_username()})" if event.actor else ""
        lines.append(f"- {event.at:%Y-%m-%d %H:%M} UTC — {event.message}{who}")
    return "\n".join(lines) + "\n"


def review_pdf(incident: Incident, fonts: list[tuple[str, int]] = CJK_FONTS) -> bytes:
    return markdown_pdf(review_markdown(incident), fonts)


def markdown_pdf(markdown: str, fonts: list[tuple[str, int]] = CJK_FONTS) -> bytes:
    """A report's Markdown as a plain PDF (headings sized, tables as lines): the
    post-crisis review and the drills' after-action reports share it."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    unicode_font = False
    for path, index in fonts:
        if Path(path).exists():
            pdf.add_font("body", "", path, collection_font_number=index)
            pdf.set_font("body", size=10)
            unicode_font = True
            break
    else:
        # The core fonts hold Latin-1 only: anything else prints as "?" rather than failing.
        pdf.set_font("helvetica", size=10)
    for line in markdown.splitlines():
        if line.startswith("|---"):
            continue
        size = 16 if line.startswith("# ") else 13 if line.startswith("## ") else 10
        pdf.set_font_size(size)
        text = line.lstrip("#").strip() or " "
        if not unicode_font:
            text = text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
