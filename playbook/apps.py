from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybookConfig(AppConfig):
    name = "playbook"
    verbose_name = _("Playbook")
    default_auto_field = "django.db.models.BigAutoField"
    # Listed on the in-app settings menu (/settings/) for org admins.
    settings_pages = [
        ("playbook:settings-policies", _("Approval policies")),
        ("playbook:settings-templates", _("Message templates")),
        ("playbook:settings-publishing", _("Publishing targets and webhooks")),
        ("playbook:settings-playbooks", _("Playbook template")),
        ("playbook:targets-settings", _("Response targets")),
    ]

    def ready(self) -> None:
        # Receivers import models and services, which the app registry must load first.
        from crisisroom import api, consumers, openapi
        from monitoring import row_extras
        from playbook import coach, receivers, selectors, targets
        from playbook import openapi as playbook_openapi
        from playbook.templatetags import playbook_tags

        receivers.connect()
        for part in (
            selectors.incident_detail_json,
            coach.incident_detail_part,
            targets.incident_detail_part,
        ):
            if part not in api.INCIDENT_DETAIL_PARTS:
                api.INCIDENT_DETAIL_PARTS.append(part)
        for viewer_part in (playbook_tags.next_actions_oob, playbook_tags.targets_oob):
            if viewer_part not in consumers.VIEWER_PARTS:
                consumers.VIEWER_PARTS.append(viewer_part)
        if playbook_tags.explorer_reply_parts not in row_extras.MENTION_ROW_PARTS:
            row_extras.MENTION_ROW_PARTS.append(playbook_tags.explorer_reply_parts)
        openapi.openapi_extend(
            schemas=playbook_openapi.SCHEMAS,
            paths=playbook_openapi.PATHS,
            hook=playbook_openapi.document_hook,
        )
