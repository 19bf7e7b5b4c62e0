from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CrisisroomConfig(AppConfig):
    name = "crisisroom"
    verbose_name = _("Crisis Room")
    default = True  # this module also holds the admin's config
    default_auto_field = "django.db.models.BigAutoField"
    # The settings menu (/settings/) lists every installed app's entries, in order.
    settings_pages = [
        ("crisisroom:settings-users", _("Users and roles")),
        ("crisisroom:settings-on-call", _("On call: order, rotation and overrides")),
    ]

    def ready(self) -> None:
        # Receivers import models and services, which the app registry must load first.
        from crisisroom import receivers

        receivers.connect()
        # Registers the single sign-on settings check.
        from crisisroom import sso  # noqa: F401


class CrisisRoomAdminConfig(admin_apps.AdminConfig):
    """Django's admin with its login in two steps when the user has two-factor
    (crisisroom/admin_access.py)."""

    default = False
    default_site = "crisisroom.admin_access.AdminSite"
