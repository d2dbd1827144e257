"""Each search word carries its user's state, so a tab's search reads its own users' words only
and counts its list from them; the words of the users deleted so far are marked here."""

from django.db import migrations, models


def mark_deleted_users_words(apps, schema_editor):
    alias = schema_editor.connection.alias
    word = apps.get_model("customers", "DirectoryWord")
    user = apps.get_model("customers", "DirectoryUser")
    deleted = user.objects.using(alias).filter(state="deleted").values("pk")
    word.objects.using(alias).filter(user_id__in=deleted).update(state="deleted")
    if schema_editor.connection.vendor == "postgresql":  # plan with the new column counted
        schema_editor.execute(f"ANALYZE {word._meta.db_table}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_customer_licenses_read"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="directoryword",
            name="directory_word_prefix",
        ),
        migrations.AddField(
            model_name="directoryword",
            name="state",
            field=models.CharField(default="active", max_length=8),
        ),
        migrations.RunPython(mark_deleted_users_words, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="directoryword",
            index=models.Index(
                fields=["customer", "generation", "word", "state", "user"],
                name="directory_word_prefix",
                opclasses=["int8_ops", "int4_ops", "varchar_pattern_ops", "varchar_ops", "int8_ops"],
            ),
        ),
    ]
