from django.apps import AppConfig


class CrisisroomConfig(AppConfig):
    name = "crisisroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the single sign-on settings check.
        from crisisroom import sso  # noqa: F401
