from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisroom.choices import CrisisRoleSlug, Severity
from crisisroom.models import OnCallRotation, User
from foundation.roles import OrgRole
from foundation.timezones import zone_choices_common_first
from monitoring.models import Brand


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=zone_choices_common_first,
        # A text box over a datalist: type "Taipei" or 台北 and pick; the common zones first.
        widget=forms.TextInput(attrs={"list": "zone-list", "autocomplete": "off"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ChatForm(forms.Form):
    body = forms.CharField(max_length=4000, strip=True)


class TimelineNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, strip=True)


class TimelinePinForm(forms.Form):
    event = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    pinned = forms.BooleanField(required=False)


SPEEDS = [(1.0, "×1"), (5.0, "×5"), (10.0, "×10"), (30.0, "×30"), (60.0, "×60")]


class DrillStartForm(forms.Form):
    scenario = forms.ChoiceField(label=_("Scenario"))
    speed = forms.TypedChoiceField(label=_("Speed"), choices=SPEEDS, coerce=float, initial=10.0)

    def __init__(self, *args, scenarios: list[dict], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.scenarios = scenarios
        self.fields["scenario"].choices = [(s["id"], s["title"]) for s in scenarios]


class SurpriseDrillForm(DrillStartForm):
    """A drill that starts without warning somewhere inside a window (the viewer's zone)."""

    not_before = forms.DateTimeField(
        label=_("Not before"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    not_after = forms.DateTimeField(
        label=_("Not after"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class IncidentRaiseForm(forms.Form):
    """Manual raise: the same fields as POST /api/v1/incidents."""

    title = forms.CharField(label=_("Title"), max_length=200)
    brand = forms.SlugField(
        label=_("Brand"),
        max_length=60,
        help_text=_("The slug of a brand that exists (admins add brands on the Brands page)."),
    )
    severity = forms.ChoiceField(label=_("Severity"), initial="medium", choices=())
    is_drill = forms.BooleanField(label=_("This is a drill"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = Severity.choices

    def clean_brand(self) -> Brand:
        # A mistyped slug must not quietly become a new, unwatched brand.
        slug = self.cleaned_data["brand"]
        brand = Brand.objects.filter(slug=slug).first()
        if brand is None:
            raise forms.ValidationError(
                _("There is no brand “%(slug)s”. Check the spelling, or ask an admin to add it."),
                code="unknown_brand",
                params={"slug": slug},
            )
        return brand


class IncidentDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this a false alarm?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TwoFactorCodeForm(forms.Form):
    """A code from the authenticator app (six digits) or, where allowed, a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=32, strip=True)


# --- Settings pages (admins) -----------------------------------------------------------


def _crisis_role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Crisis roles"),
        choices=CrisisRoleSlug.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The roles this person can fill on an incident's roster."),
    )


class UserAddForm(forms.Form):
    username = forms.CharField(
        label=_("User name"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("Needed to receive alerts when on call."),
    )
    org_role = forms.ChoiceField(label=_("Organisation role"), choices=OrgRole.choices)
    crisis_roles = _crisis_role_field()
    password = forms.CharField(
        label=_("First password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty when they sign in with single sign-on."),
    )

    def clean_password(self) -> str | None:
        password = self.cleaned_data["password"]
        if not password:
            return None
        validate_password(password, User(username=self.data.get("username", "")))
        return password


class UserEditForm(forms.Form):
    email = forms.EmailField(label=_("Email"), required=False)
    org_role = forms.ChoiceField(label=_("Organisation role"), choices=OrgRole.choices)
    crisis_roles = _crisis_role_field()
    is_active = forms.BooleanField(
        label=_("Active (may sign in)"),
        required=False,
        help_text=_("A deactivated user keeps their history but cannot sign in or be paged."),
    )


class OnCallAddForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["user"].error_messages["invalid_choice"] = _("Choose a person from the list.")


class OnCallMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


def _local_midnight(day) -> datetime:  # type: ignore[no-untyped-def]
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


class OnCallRotationForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Rotation"), choices=OnCallRotation.Mode.choices, widget=forms.RadioSelect
    )
    starts_on = forms.DateField(
        label=_("First handover"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The weekly handover happens at midnight of this weekday, in your time zone."),
    )

    def starts_at(self) -> datetime:
        return _local_midnight(self.cleaned_data["starts_on"])


class OnCallOverrideForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    first_day = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["user"].error_messages["invalid_choice"] = _("Choose a person from the list.")

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The last day comes before the first."))
        return data

    def window(self) -> tuple[datetime, datetime]:
        """From the first day's midnight to the day after the last, in the admin's zone."""
        data = self.cleaned_data
        return _local_midnight(data["first_day"]), _local_midnight(
            data["last_day"] + timedelta(days=1)
        )
