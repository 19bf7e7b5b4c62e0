from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "playbook"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers import models and services, which the app registry must load first.
        from crisisroom import api, openapi
        from playbook import openapi as playbook_openapi
        from playbook import receivers, selectors

        receivers.connect()
        if selectors.incident_detail_json not in api.INCIDENT_DETAIL_PARTS:
            api.INCIDENT_DETAIL_PARTS.append(selectors.incident_detail_json)
        openapi.openapi_extend(
            schemas=playbook_openapi.SCHEMAS,
            paths=playbook_openapi.PATHS,
            hook=playbook_openapi.document_hook,
        )
