from django.db import migrations, models
from django.db.models import F, Q


def mark_places_set_by_others(apps, schema_editor) -> None:
    """Until now only the admin and the citizen themselves set a place: one
    updated by an account that is not its holder's was set in the admin."""
    IsolationPoint = apps.get_model("visits", "IsolationPoint")
    IsolationPoint.objects.filter(updated_by__isnull=False).filter(
        Q(updated_by__iin__isnull=True) | ~Q(updated_by__iin=F("iin"))
    ).update(set_by_epidemiologist=True)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0002_epidemiologist_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="isolationpoint",
            name="set_by_epidemiologist",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="set by an epidemiologist"
            ),
        ),
        migrations.RunPython(mark_places_set_by_others, migrations.RunPython.noop),
    ]
