"""File downloads (post-crisis review, after-action report, label corrections): one
response shape."""

from __future__ import annotations

from django.http import HttpResponse

CONTENT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


def attachment(content: str | bytes, filename: str) -> HttpResponse:
    """``content`` as a file to save, its type from the name's extension."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[filename.rsplit(".", 1)[1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
