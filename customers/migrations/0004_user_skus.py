"""A user's licences become rows (one per SKU held) that the users list can filter by; the
JSON list they replace is copied into them first."""

import django.db.models.deletion
from django.db import migrations, models


def copy_sku_lists(apps, schema_editor):
    licenses = apps.get_model("customers", "DirectoryUserLicenses")
    user_sku = apps.get_model("customers", "DirectoryUserSku")
    batch = []
    for row in licenses.objects.using(schema_editor.connection.alias).iterator(chunk_size=2000):
        for sku_id in dict.fromkeys(row.sku_ids or []):
            batch.append(user_sku(customer_id=row.customer_id, user_id=row.user_id, sku_id=sku_id))
        if len(batch) >= 2000:
            user_sku.objects.using(schema_editor.connection.alias).bulk_create(batch)
            batch = []
    user_sku.objects.using(schema_editor.connection.alias).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_word_order_and_cover"),
    ]

    operations = [
        migrations.CreateModel(
            name="DirectoryUserSku",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("user_id", models.CharField(max_length=64)),
                ("sku_id", models.CharField(max_length=64)),
                (
                    "customer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="user_skus",
                        to="customers.directorycustomer",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["customer", "sku_id", "user_id"], name="directory_sku_holders"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("customer", "user_id", "sku_id"), name="directory_user_sku_once"
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="directoryuserlicenses",
            index=models.Index(fields=["read_at"], name="directory_licenses_age"),
        ),
        migrations.RunPython(copy_sku_lists, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="directoryuserlicenses",
            name="sku_ids",
        ),
    ]
