from django.db import migrations

ROLES = [
    "incident_lead",
    "social_media_manager",
    "pr_lead",
    "legal_counsel",
    "hr_representative",
    "executive_lead",
]


def seed(apps, schema_editor):
    CrisisRole = apps.get_model("crisisroom", "CrisisRole")
    for position, slug in enumerate(ROLES):
        CrisisRole.objects.update_or_create(slug=slug, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("crisisroom", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
