"""The sandbox answers as production does by default: next links with /v1, a BOM on JSON bodies.

Existing fault settings move to the new defaults too: a row written before this migration holds
the old defaults, not a choice (`sandbox_faults --next-link-v1 false --bom false` goes back).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def production_like(apps: Any, schema_editor: Any) -> None:
    fault_settings = apps.get_model("sandbox", "FaultSettings")
    fault_settings.objects.using(schema_editor.connection.alias).update(
        next_link_with_v1=True, emit_bom=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="faultsettings",
            name="emit_bom",
            field=models.BooleanField(
                default=True,
                help_text="Start every JSON body with a UTF-8 byte-order mark, as the docs' "
                "samples do.",
            ),
        ),
        migrations.AlterField(
            model_name="faultsettings",
            name="next_link_with_v1",
            field=models.BooleanField(
                default=True,
                help_text="Write /v1 at the start of links.next uris, as production does since "
                "2021.",
            ),
        ),
        migrations.RunPython(production_like, migrations.RunPython.noop),
    ]
