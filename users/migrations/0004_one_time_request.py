# Add user's record of which form created which user becomes the record of every one-time form
# (Add user and Reset password): written before the call, completed after the answer.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("users", "0003_bulk_jobs"),
    ]

    operations = [
        migrations.RenameModel(old_name="CreatedUser", new_name="OneTimeRequest"),
        migrations.RenameField(model_name="onetimerequest", old_name="created_at", new_name="done_at"),
        migrations.AlterField(
            model_name="onetimerequest",
            name="done_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="onetimerequest",
            name="user_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="onetimerequest",
            name="action",
            field=models.CharField(
                choices=[("user_create", "Add user"), ("user_reset_password", "Reset password")],
                default="user_create",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="onetimerequest",
            name="sent_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="onetimerequest",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
