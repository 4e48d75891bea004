"""Every minute, programs left waiting (a judge that died, a message the broker lost) are
queued again; editable in the admin afterwards."""
from __future__ import annotations

from django.db import migrations

TASK_NAME = "Judge programs left waiting"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "courses.judging.tasks.requeue_waiting_submissions",
            "interval": interval,
            "description": "Queues again the submitted programs whose judge worker died "
            "mid-run (their lease ran out) or whose message the broker lost.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("judging", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
