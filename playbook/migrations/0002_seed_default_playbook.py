from django.db import migrations


def seed(apps, schema_editor):
    from playbook.seed import seed_playbook

    seed_playbook(apps)


class Migration(migrations.Migration):
    dependencies = [("playbook", "0001_initial"), ("crisisroom", "0003_seed_crisis_roles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
