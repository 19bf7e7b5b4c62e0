from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = pgettext_lazy("app", "Monitoring")
    default_auto_field = "django.db.models.BigAutoField"
    # The detector pages are routed in crisisroom/app_urls.py (hence the namespace).
    settings_pages = [
        ("monitoring:brand-list", _("Brands and watch terms")),
        ("sources:list", _("Sources")),
        ("crisisroom:detector-brands", _("Detector settings")),
    ]

    def ready(self) -> None:
        # Detection is queued for the brands a stored batch changed (after the
        # war-room push: crisisroom is installed, and so connects, first).
        from monitoring import events, tasks

        events.mentions_stored.connect(tasks.on_mentions_stored, dispatch_uid="monitoring.detect")
        events.export_requested.connect(
            tasks.on_export_requested, dispatch_uid="monitoring.export-run"
        )
