"""Every 5 minutes, training runs lost with a killed worker (or a lost message) are queued again;
editable in the admin afterwards."""
from __future__ import annotations

from django.db import migrations

TASK_NAME = "Recover lost training runs"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "courses.tasks.recover_lost_training_runs",
            "interval": interval,
            "description": "Queues again the training runs whose worker died (noticed at once on "
            "the worker's machine, elsewhere after LEARNPATH_TRAINING_LEASE_SECONDS without an "
            "epoch) or whose queued message was lost; fails a run after its third lost try.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("courses", "0005_training_run_lease")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
