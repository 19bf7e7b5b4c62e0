"""Filters of the settings pages."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from foundation.i18n import localized
from playbook.review import PLACEHOLDER
from playbook.settings_forms import DETAIL_KINDS

register = template.Library()


@register.filter
def detail_label(code: str) -> str:
    """A binding's "only for" (a role, a part of the assessment, a channel) in words."""
    for labels in DETAIL_KINDS.values():
        if code in labels:
            return str(labels[code])
    return code


@register.filter
def local(obj: object, field: str) -> str:
    """A bilingual field in the reader's language (English when it has no translation)."""
    return localized(obj, field)


@register.filter
def blanks_marked(text: str) -> str:
    """The text escaped, each {placeholder} shown as code (a blank to fill), lines kept."""
    escaped = conditional_escape(text)
    marked = PLACEHOLDER.sub(lambda m: f'<code class="blank">{m.group(0)}</code>', escaped)
    return mark_safe(marked.replace("\n", "<br>"))  # noqa: S308 - escaped above
