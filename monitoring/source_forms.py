"""The add/edit form for polled sources (admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput, JSONString
from django.utils.translation import gettext_lazy as _

from foundation import jsonio
from foundation.http import address_allowed
from monitoring.choices import POLLED_KINDS
from monitoring.connectors.presets import RSS_PRESETS, preset_for
from monitoring.models import Source
from monitoring.secrets import secret_name_problem

SECRETISH = ("password", "token", "secret", "key")


class _BoundedJSONField(forms.JSONField):
    """The config as JSON through the one reader (depth, number, NaN limits) and with
    no NUL or lone surrogate anywhere (PostgreSQL's jsonb cannot store them)."""

    def to_python(self, value: Any) -> Any:
        if self.disabled or value in self.empty_values:
            return super().to_python(value)
        if isinstance(value, list | dict | int | float | JSONString):
            return value
        try:
            converted = jsonio.loads(str(value), max_depth=8)
        except jsonio.JSONInputError as exc:
            raise forms.ValidationError(
                _("Enter valid JSON (%(reason)s).") % {"reason": exc}, code="invalid"
            ) from exc
        if bad := jsonio.bad_text_path(converted):
            raise forms.ValidationError(
                _("%(where)s %(reason)s.") % {"where": bad[0], "reason": bad[1]}, code="invalid"
            )
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Redisplaying what was typed must not parse it with the unbounded json.loads.
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            value = jsonio.loads(str(data), max_depth=8)
        except jsonio.JSONInputError:
            return InvalidJSONInput(data)
        # Shown back as typed (escapes and all), never as a lone surrogate in the page.
        return InvalidJSONInput(data) if jsonio.bad_text_path(value) else value


class SourceForm(forms.ModelForm):
    url = forms.URLField(
        required=False,
        max_length=1000,
        assume_scheme="https",
        label=_("URL"),
        help_text=Source._meta.get_field("url").help_text,
    )
    config = _BoundedJSONField(
        required=False,
        initial=dict,
        label=_("Settings (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            'JSON, e.g. {"query": "acme"} or {"hashtag": "acme"}. Put secrets in the '
            'environment and name the variable: {"secret_env": "CRISISROOM_SOURCE_BLUESKY_PASSWORD"} (only names starting with '
            "CRISISROOM_SOURCE_)."
        ),
    )

    preset = forms.ChoiceField(
        required=False,
        label=_("News search preset"),
        help_text=_(
            "RSS only: pick a news search and type the query; the feed URL is made for you."
        ),
    )
    search_query = forms.CharField(
        required=False,
        max_length=300,
        label=_("Search query"),
        help_text=_('For a news search preset, e.g. 全聯 OR "全聯福利中心" when:1d'),
    )

    class Meta:
        model = Source
        fields = [
            "kind",
            "key",
            "name",
            "platform",
            "url",
            "brand",
            "config",
            "poll_interval_seconds",
        ]
        labels = {
            "kind": _("Kind"),
            "key": _("Key"),
            "name": _("Name"),
            "platform": _("Platform"),
            "brand": _("Brand"),
            "config": _("Settings (JSON)"),
            "poll_interval_seconds": _("Poll every (seconds)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (value, label) for value, label in self.fields["kind"].choices if value in POLLED_KINDS
        ]
        self.fields["poll_interval_seconds"].min_value = 30
        self.fields["preset"].choices = [("", "—")] + [
            (name, preset.label) for name, preset in RSS_PRESETS.items()
        ]
        if self.instance.pk and self.instance.kind == "rss":
            found = preset_for(self.instance.url)
            if found:
                self.initial.setdefault("preset", found[0])
                self.initial.setdefault("search_query", found[1])
        # Keep the form's order: the preset and its query after the URL they make.
        order = list(self.fields)
        for name in ("preset", "search_query"):
            order.remove(name)
        at = order.index("url") + 1
        self.order_fields(order[:at] + ["preset", "search_query"] + order[at:])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        preset = cleaned.get("preset") or ""
        if not preset:
            return cleaned
        if cleaned.get("kind") != "rss":
            self.add_error(
                "preset", _("A news search preset is an RSS source: choose the RSS kind.")
            )
            return cleaned
        query = (cleaned.get("search_query") or "").strip()
        if not query:
            self.add_error("search_query", _("Type what to search for."))
            return cleaned
        cleaned["url"] = RSS_PRESETS[preset].url(query)
        self.instance.url = cleaned["url"]
        return cleaned

    def clean_config(self) -> dict[str, Any]:
        config = self.cleaned_data.get("config") or {}
        if not isinstance(config, dict):
            raise forms.ValidationError(_("The configuration must be a JSON object."))
        for name in config:
            if name != "secret_env" and any(word in name.lower() for word in SECRETISH):
                raise forms.ValidationError(
                    _("Do not store secrets here; name an environment variable in secret_env.")
                )
        if "secret_env" in config:
            name = config["secret_env"]
            if not isinstance(name, str):
                raise forms.ValidationError(_("secret_env must be the name of a variable."))
            if problem := secret_name_problem(name.strip()):
                raise forms.ValidationError(problem)
            config["secret_env"] = name.strip()
        return config

    def clean_url(self) -> str:
        """Early word on an address the poller will refuse (names are checked when polled)."""
        from urllib.parse import urlsplit

        url = self.cleaned_data.get("url") or ""
        host = (urlsplit(url).hostname or "").strip("[]")
        if host == "localhost" or host.endswith(".localhost"):
            host = "127.0.0.1"
        try:
            allowed = address_allowed(host)
        except ValueError:
            return url  # a name, not an address
        if not allowed:
            raise forms.ValidationError(
                _("This address is on a private network; polling it is not allowed here.")
            )
        return url

    def clean_poll_interval_seconds(self) -> int:
        value = self.cleaned_data["poll_interval_seconds"]
        if value < 30:
            raise forms.ValidationError(_("Poll at most every 30 seconds."))
        return value
