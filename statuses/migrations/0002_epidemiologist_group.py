"""The `epidemiologist` group (docs/rules.md §1, §5) with exactly the permissions it needs.

Status records are added and lifted, never changed or deleted: lifting is its
own permission, `statuses.lift_statusrecord`, checked by the admin. Imports
are uploaded and viewed; status explanations are edited; the rest is read.
Epidemiologists are staff users (`is_staff`) in this group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "epidemiologist"

LIFT_CODENAME = "lift_statusrecord"
LIFT_NAME = "Can lift status records"

PERMISSIONS = {
    ("statuses", "statusrecord"): ["view_statusrecord", "add_statusrecord", LIFT_CODENAME],
    ("statuses", "labresult"): ["view_labresult"],
    ("statuses", "labimport"): ["view_labimport", "add_labimport"],
    ("statuses", "statusinfo"): ["view_statusinfo", "change_statusinfo"],
    ("statuses", "notification"): ["view_notification"],
    ("accounts", "user"): ["view_user"],
}


def create_group(apps, schema_editor):
    using = schema_editor.connection.alias
    # Permissions normally appear after `migrate` finishes (post_migrate);
    # a fresh database needs them now.
    for label in {app_label for app_label, _ in PERMISSIONS}:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    record_type = ContentType.objects.db_manager(using).get(
        app_label="statuses", model="statusrecord"
    )
    Permission.objects.db_manager(using).get_or_create(
        content_type=record_type, codename=LIFT_CODENAME, defaults={"name": LIFT_NAME}
    )

    permissions = []
    for (app_label, model), codenames in PERMISSIONS.items():
        found = list(
            Permission.objects.db_manager(using).filter(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=codenames,
            )
        )
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            raise RuntimeError(f"permissions missing for {app_label}.{model}: {sorted(missing)}")
        permissions.extend(found)

    group, _ = Group.objects.db_manager(using).get_or_create(name=GROUP)
    group.permissions.set(permissions)


def delete_group(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.db_manager(using).filter(name=GROUP).delete()
    Permission.objects.db_manager(using).filter(
        content_type__app_label="statuses", codename=LIFT_CODENAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("statuses", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
