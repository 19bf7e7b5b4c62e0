"""A trigram index for Chinese substring search (PostgreSQL only; a no-op on SQLite):
``mention_text_trgm_idx``, GIN ``(text gin_trgm_ops)`` on the (partitioned) mentions
table, which serves ``text ILIKE '%…%'`` (monitoring/search.py). It needs the
``pg_trgm`` extension (PostgreSQL's contrib): created here when missing, which takes
a superuser or, pg_trgm being a trusted extension, the database's owner; when that is
not allowed the migration logs a warning and leaves the index out (substring search
still works, reading the rows in time order). See README.md, "Speed at scale"."""

from django.db import migrations

from monitoring.search import trigram_index_create, trigram_index_drop


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0013_mention_search_vector")]

    operations = [migrations.RunPython(trigram_index_create, trigram_index_drop)]
