"""Create the Reviewers and Finance groups with their permissions."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

GROUPS = {
    "Reviewers": [
        ("licensing", "review_request"),
        ("licensing", "view_republicationrequest"),
        ("licensing", "view_article"),
        ("licensing", "view_outlet"),
        ("licensing", "view_pricerule"),
        ("licensing", "view_autoapprovalrule"),
    ],
    "Finance": [
        ("licensing", "view_republicationrequest"),
        ("licensing", "view_outlet"),
        ("billing", "record_payment"),
        ("billing", "view_invoice"),
        ("billing", "view_creditnote"),
        ("billing", "view_payment"),
        ("billing", "view_paymentproblem"),
        ("billing", "change_paymentproblem"),
    ],
}


def create_groups(apps, schema_editor):
    # Content types and permissions are normally created after all
    # migrations (post_migrate); the groups need them now.
    for label in ("licensing", "billing"):
        app_config = global_apps.get_app_config(label)
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0001_initial"),
        ("billing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
