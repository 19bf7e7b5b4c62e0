from django.apps import AppConfig


class CrisisroomConfig(AppConfig):
    name = "crisisroom"
    default_auto_field = "django.db.models.BigAutoField"
