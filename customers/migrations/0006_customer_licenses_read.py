"""Each customer keeps how many of its users' licenses are known (the license scan's progress),
filled here from the licenses read so far; every write of licenses keeps it since."""

from django.db import migrations, models


def count_licenses_read(apps, schema_editor):
    alias = schema_editor.connection.alias
    customer_model = apps.get_model("customers", "DirectoryCustomer")
    licenses_model = apps.get_model("customers", "DirectoryUserLicenses")
    for customer in customer_model.objects.using(alias).all():
        customer.licenses_read = licenses_model.objects.using(alias).filter(customer=customer).count()
        customer.save(update_fields=["licenses_read"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_customer_locations"),
    ]

    operations = [
        migrations.AddField(
            model_name="directorycustomer",
            name="licenses_read",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_licenses_read, migrations.RunPython.noop),
    ]
