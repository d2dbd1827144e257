"""Each customer keeps the usage locations of its active users (the users list's Location
filter), filled here from the mirror as it is; syncs and the portal's changes keep it since."""

from django.db import migrations, models


def fill_locations(apps, schema_editor):
    alias = schema_editor.connection.alias
    customer_model = apps.get_model("customers", "DirectoryCustomer")
    user_model = apps.get_model("customers", "DirectoryUser")
    for customer in customer_model.objects.using(alias).filter(generation__gt=0):
        active = user_model.objects.using(alias).filter(
            customer=customer, generation=customer.generation, state="active"
        )
        customer.locations = list(
            active.exclude(usage_location="")
            .order_by("usage_location")
            .values_list("usage_location", flat=True)
            .distinct()
        )
        customer.save(update_fields=["locations"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_user_skus"),
    ]

    operations = [
        migrations.AddField(
            model_name="directorycustomer",
            name="locations",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill_locations, migrations.RunPython.noop),
    ]
