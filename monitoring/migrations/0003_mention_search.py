from django.db import migrations

from monitoring.search import search_indexes_create, search_indexes_drop


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_listening")]

    operations = [migrations.RunPython(search_indexes_create, search_indexes_drop)]
