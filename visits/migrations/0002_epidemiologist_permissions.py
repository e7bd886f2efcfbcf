"""What the `epidemiologist` group may do with visits and venues (docs/rules.md §5).

Three permissions of their own, on the visit model: tracing contacts,
exporting visits and tracing results, and opening the person page. They are
created here rather than in `Visit.Meta.permissions`, and added, with the
model permissions the admin pages need, to the group that
statuses/0002_epidemiologist_group created.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "epidemiologist"

CUSTOM = {
    "trace_contacts": "Can trace contacts",
    "export_visits": "Can export visits and tracing results",
    "view_person": "Can open the person page",
}

PERMISSIONS = {
    ("visits", "visit"): ["view_visit", *CUSTOM],
    ("visits", "isolationpoint"): [
        "view_isolationpoint",
        "add_isolationpoint",
        "change_isolationpoint",
    ],
    ("accounts", "auditentry"): ["view_auditentry"],
    # Suspending a venue is a change of the venue; zones are set on regions.
    ("venues", "venue"): ["view_venue", "change_venue"],
    ("venues", "region"): ["view_region", "change_region"],
    ("venues", "organisation"): ["view_organisation"],
    ("venues", "category"): ["view_category"],
}


def grant(apps, schema_editor):
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

    visit_type = ContentType.objects.db_manager(using).get(app_label="visits", model="visit")
    for codename, name in CUSTOM.items():
        Permission.objects.db_manager(using).get_or_create(
            content_type=visit_type, codename=codename, defaults={"name": name}
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
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.db_manager(using).filter(name=GROUP).first()
    if group is not None:
        for (app_label, model), codenames in PERMISSIONS.items():
            group.permissions.remove(
                *Permission.objects.db_manager(using).filter(
                    content_type__app_label=app_label,
                    content_type__model=model,
                    codename__in=codenames,
                )
            )
    Permission.objects.db_manager(using).filter(
        content_type__app_label="visits", codename__in=list(CUSTOM)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_append_only"),
        ("venues", "0002_reference_data"),
        ("statuses", "0002_epidemiologist_group"),
        ("visits", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
