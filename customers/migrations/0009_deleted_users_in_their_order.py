"""The Deleted users tab's index holds its whole order, so a page of a customer's deleted users
is read in order and no further: PostgreSQL sorted all of them for each page."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_word_index_serves_every_search"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="directoryuser",
            name="directory_user_by_deletion",
        ),
        migrations.AddIndex(
            model_name="directoryuser",
            index=models.Index(
                fields=[
                    "customer",
                    "generation",
                    "state",
                    "deleted_at",
                    "display_key",
                    "upn_key",
                    "id",
                ],
                name="directory_user_by_deletion",
            ),
        ),
    ]
