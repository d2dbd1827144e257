"""One index of search words serves every search, on its own: it gains the display key (the search
across customers orders by it), and the two other word indexes go. Neither was read by a search
any more, and every sync wrote them: the index of words across customers, and on PostgreSQL the
per-customer prefix index 0001 made by hand, which directory_word_prefix has covered since 0003."""

from django.db import migrations, models

_PATTERN_INDEX = "directory_word_prefix_like"


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {_PATTERN_INDEX}")


def restore_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {_PATTERN_INDEX} ON customers_directoryword "
            "(customer_id, generation, word varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_word_state"),
    ]

    operations = [
        migrations.RunPython(drop_pattern_index, restore_pattern_index),
        migrations.RemoveIndex(
            model_name="directoryword",
            name="directory_word_any",
        ),
        migrations.RemoveIndex(
            model_name="directoryword",
            name="directory_word_prefix",
        ),
        migrations.AddIndex(
            model_name="directoryword",
            index=models.Index(
                fields=["customer", "generation", "word", "state", "user", "display_key"],
                name="directory_word_prefix",
                opclasses=[
                    "int8_ops",
                    "int4_ops",
                    "varchar_pattern_ops",
                    "varchar_ops",
                    "int8_ops",
                    "varchar_ops",
                ],
            ),
        ),
    ]
