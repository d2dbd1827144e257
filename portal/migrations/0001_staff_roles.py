"""The three staff roles of DESIGN.md section 3, as Django groups superusers assign in the admin.

The groups carry no Django model permissions: what a role may do is decided by `portal.staff.access`,
and Django's admin is for superusers only. The names are written out here rather than imported,
so this migration keeps working if the code's `Role` enum ever changes.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROLE_GROUPS = ("Admin agent", "Helpdesk agent", "Sales agent")


def create_role_groups(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        group_model.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    # Reversing keeps the groups: deleting them would silently drop every staff member's role.
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
