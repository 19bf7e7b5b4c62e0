"""Indexes for keyset listings newest first (monitoring/pagination.py): across brands,
per brand, per brand and sentiment. The old (brand, published_at) index goes last,
after its replacement exists."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0006_sources_threads_reactions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(fields=["-published_at", "-id"], name="mention_newest_idx"),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(
                fields=["brand", "-published_at", "-id"], name="mention_brand_newest_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(
                fields=["brand", "sentiment_label", "-published_at", "-id"],
                name="mention_brand_sentiment_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="mention",
            name="monitoring__brand_i_9967e6_idx",
        ),
    ]
