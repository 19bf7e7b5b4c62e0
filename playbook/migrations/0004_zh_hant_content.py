from django.db import migrations, models


def fill(apps, schema_editor):
    from playbook.seed import fill_zh_hant

    fill_zh_hant(apps)


class Migration(migrations.Migration):
    dependencies = [("playbook", "0003_checklist_bindings")]
    operations = [
        migrations.AddField(
            model_name="steptemplate",
            name="title_zh_hant",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="title (Traditional Chinese)"
            ),
        ),
        migrations.AddField(
            model_name="steptemplate",
            name="description_zh_hant",
            field=models.TextField(blank=True, verbose_name="description (Traditional Chinese)"),
        ),
        migrations.AddField(
            model_name="checklistitemtemplate",
            name="text_zh_hant",
            field=models.CharField(
                blank=True, max_length=300, verbose_name="text (Traditional Chinese)"
            ),
        ),
        migrations.AddField(
            model_name="runstep",
            name="title_zh_hant",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="runstep",
            name="description_zh_hant",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="runchecklistitem",
            name="text_zh_hant",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
