"""A stored search vector for word and phrase search (PostgreSQL only; a no-op on
SQLite): ``search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', text))
STORED`` on the (partitioned) mentions table, every partition with it, and the GIN
index ``mention_text_fts_idx`` on it in place of the one on the expression. See
monitoring/search.py. Not a model field: Django's state does not change.

Adding the column rewrites every partition under an ACCESS EXCLUSIVE lock (reads and
writes wait): measured in README.md, "Speed at scale"."""

from django.db import migrations

from monitoring.search import search_vector_create, search_vector_drop


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0012_partition_mentions")]

    operations = [migrations.RunPython(search_vector_create, search_vector_drop)]
