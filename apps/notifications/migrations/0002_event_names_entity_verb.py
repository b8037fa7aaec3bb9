from django.db import migrations

# Event names before the one `entity:verb` rule (apps.core.events.EVENTS); `case:*` names already had it.
RENAMED = {
    "claim.status_changed": "claim:status_changed",
    "claim.assigned": "claim:assigned",
    "claim.payment_pending": "claim:payment_pending",
    "renewal.batch_progress": "batch:progress",
    "renewal.reminder_sent": "case:reminder_sent",
    "billing.payment_due": "instalment:due",
}


def rename(apps, schema_editor, mapping):
    Notification = apps.get_model("notifications", "Notification")
    for old, new in mapping.items():
        Notification.objects.filter(event=old).update(event=new)


def forwards(apps, schema_editor):
    """Stored notifications name the event they came from as the API shows it: under its current name."""
    rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    """Back to the earlier names."""
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    # A data fix: nothing to rename on a fresh database, so a squash drops it.
    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
