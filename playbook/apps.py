from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "playbook"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers import models and services, which the app registry must load first.
        from crisisroom import api, consumers, openapi
        from monitoring import row_extras
        from playbook import coach, receivers, selectors
        from playbook import openapi as playbook_openapi
        from playbook.templatetags import playbook_tags

        receivers.connect()
        for part in (selectors.incident_detail_json, coach.incident_detail_part):
            if part not in api.INCIDENT_DETAIL_PARTS:
                api.INCIDENT_DETAIL_PARTS.append(part)
        if playbook_tags.next_actions_oob not in consumers.VIEWER_PARTS:
            consumers.VIEWER_PARTS.append(playbook_tags.next_actions_oob)
        if playbook_tags.explorer_reply_parts not in row_extras.MENTION_ROW_PARTS:
            row_extras.MENTION_ROW_PARTS.append(playbook_tags.explorer_reply_parts)
        openapi.openapi_extend(
            schemas=playbook_openapi.SCHEMAS,
            paths=playbook_openapi.PATHS,
            hook=playbook_openapi.document_hook,
        )
