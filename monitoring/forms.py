from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from monitoring.choices import SentimentLabel, TermKind
from monitoring.language import LANGUAGES
from monitoring.matching import QueryError, validate_query
from monitoring.models import Brand
from monitoring.selectors import MentionFilters

# How a person names the languages the detector tells apart.
LANGUAGE_LABELS = {
    "en": _("English"),
    "zh-hant": _("Traditional Chinese"),
    "zh-hans": _("Simplified Chinese"),
    "other": _("Other languages"),
}

TERM_HELP = {
    TermKind.NAME: _('Names of the brand, e.g. "acme coffee" OR acme咖啡'),
    TermKind.PRODUCT: _('Products, e.g. "cold brew" acme'),
    TermKind.HASHTAG: _("Hashtags, e.g. #AcmeCoffee"),
    TermKind.HANDLE: _("Accounts, e.g. @acmecoffee"),
    TermKind.COMPETITOR: _("Competitors: tracked apart, never counted as the brand's mentions"),
    TermKind.EXCLUDE: _("A mention matching any of these is not about the brand, e.g. grinder"),
}


class MentionFilterForm(forms.Form):
    """The explorer's filters (GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    brand = forms.ModelChoiceField(
        label=_("Brand"),
        queryset=Brand.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All brands"),
    )
    competitor = forms.BooleanField(label=_("Competitor mentions"), required=False)
    platform = forms.CharField(label=_("Platform"), required=False, max_length=40)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        choices=[("", _("Any sentiment")), *SentimentLabel.choices],
        required=False,
    )
    lang = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Any language"))]
        + [(code, LANGUAGE_LABELS.get(code, code)) for code in LANGUAGES],
        required=False,
    )
    since = forms.DateTimeField(
        label=_("From"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reposts = forms.BooleanField(label=_("Show reposts"), required=False)

    def filters(self) -> MentionFilters:
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else {}
        brand = data.get("brand")
        competitor = bool(data.get("competitor"))
        return MentionFilters(
            brand=None if competitor else brand,
            competitor_of=brand if competitor else None,
            platform=data.get("platform") or "",
            sentiment=data.get("sentiment") or "",
            lang=data.get("lang") or "",
            since=data.get("since"),
            until=data.get("until"),
            q=data.get("q") or "",
            include_reposts=bool(data.get("reposts")),
        )


class LabelForm(forms.Form):
    # A person corrects to a sentiment; "unscored" is only ever the analyzers' verdict.
    label = forms.ChoiceField(
        choices=[c for c in SentimentLabel.choices if c[0] != SentimentLabel.UNSCORED]
    )


def check_query_lines(text: str) -> tuple[list[str], list[str]]:
    """(the valid queries, one message per bad line) for a textarea of queries."""
    queries: list[str] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line.strip()) > 300:
            errors.append(_("Line %(n)s is longer than 300 characters.") % {"n": number})
            continue
        try:
            queries.append(validate_query(line))
        except QueryError as exc:
            errors.append(_("Line %(n)s: %(reason)s") % {"n": number, "reason": str(exc)})
    return queries, errors


def _term_field(kind: TermKind) -> forms.CharField:
    name = f"terms_{kind.value}"
    return forms.CharField(
        label=kind.label,
        required=False,
        help_text=TERM_HELP[kind],
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                # Checked as the admin types; the same check runs again on save.
                "hx-post": reverse_lazy("monitoring:brand-check-terms"),
                "hx-trigger": "keyup changed delay:400ms, change",
                "hx-target": f"#errors-{name}",
                "hx-swap": "innerHTML",
                "aria-describedby": f"errors-{name}",
            }
        ),
    )


class BrandForm(forms.ModelForm):
    """A brand, its trigger phrases and its watch terms (one query per line, by kind)."""

    class Meta:
        model = Brand
        fields = ["name", "slug", "active", "trigger_phrases"]
        widgets = {"trigger_phrases": forms.Textarea(attrs={"rows": 4})}
        labels = {
            "name": _("Name"),
            "slug": _("Short name (slug)"),
            "active": _("Listening"),
            "trigger_phrases": _("Trigger phrases"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing: dict[str, list[str]] = {kind: [] for kind in TermKind.values}
        if self.instance.pk:
            for term in self.instance.terms.all():
                existing.setdefault(term.kind, []).append(term.query)
        for kind in TermKind:
            name = f"terms_{kind.value}"
            self.fields[name] = _term_field(kind)
            self.initial.setdefault(name, "\n".join(existing.get(kind.value, [])))

    def term_fields(self) -> list[forms.BoundField]:
        return [self[f"terms_{kind.value}"] for kind in TermKind]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for kind in TermKind:
            name = f"terms_{kind.value}"
            queries, errors = check_query_lines(cleaned.get(name) or "")
            if errors:
                self.add_error(name, errors)
            cleaned[name] = queries
        return cleaned

    def terms(self) -> dict[str, list[str]]:
        return {kind.value: self.cleaned_data[f"terms_{kind.value}"] for kind in TermKind}
