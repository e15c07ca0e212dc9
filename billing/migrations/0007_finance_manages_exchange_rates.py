"""Finance keeps the exchange rates: add, change and view them in the admin."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

FINANCE = "Finance"
# No delete: an invoice froze the rate it used, and the row says what it was.
PERMISSIONS = ["add_exchangerate", "change_exchangerate", "view_exchangerate"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate).
    app_config = global_apps.get_app_config("billing")
    create_contenttypes(app_config, apps=apps, verbosity=0)
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FINANCE)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="billing", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=FINANCE):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="billing", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_sterling_vat"),
        ("licensing", "0002_reviewer_and_finance_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
