"""The post-crisis review's exports: Markdown, PDF (fpdf2, pure Python) and the HTML
print view, all rendered from one document (playbook/report_doc.py)."""

from __future__ import annotations

from crisisroom.models import Incident
from playbook.report_doc import document_markdown, metrics_rows, review_document
from playbook.report_pdf import CJK_FONTS, document_pdf

__all__ = ["CJK_FONTS", "metrics_rows", "review_markdown", "review_pdf"]


def review_markdown(incident: Incident) -> str:
    return document_markdown(review_document(incident))


def review_pdf(incident: Incident, fonts: list[tuple[str, int]] = CJK_FONTS) -> bytes:
    return document_pdf(review_document(incident), fonts)
