from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Detection is queued for the brands a stored batch changed (after the
        # war-room push: crisisroom is installed, and so connects, first).
        from monitoring import events, tasks

        events.mentions_stored.connect(tasks.on_mentions_stored, dispatch_uid="monitoring.detect")
        events.export_requested.connect(
            tasks.on_export_requested, dispatch_uid="monitoring.export-run"
        )
