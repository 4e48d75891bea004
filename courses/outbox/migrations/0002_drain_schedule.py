"""Every minute, the outbox's due rows (retries, and those whose delivery task a broker outage
lost) are delivered; editable in the admin afterwards."""
from __future__ import annotations

from django.db import migrations

TASK_NAME = "Deliver the outbox"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "courses.outbox.tasks.drain_outbox",
            "interval": interval,
            "description": "Delivers the outbox's due messages (xAPI statements, LTI grades) of "
            "every channel: retries after their backoff, and messages whose delivery task was "
            "never queued; forgets messages sent more than 30 days ago.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
