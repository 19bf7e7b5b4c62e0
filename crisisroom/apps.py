from django.apps import AppConfig


class CrisisroomConfig(AppConfig):
    name = "crisisroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers import models and services, which the app registry must load first.
        from crisisroom import receivers

        receivers.connect()
        # Registers the single sign-on settings check.
        from crisisroom import sso  # noqa: F401
