"""The default retraining schedule (every 6 hours), editable in the admin afterwards."""
from __future__ import annotations

from django.db import migrations

TASK_NAME = "Retrain course models when due"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=6, period="hours")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "courses.tasks.retrain_due_models",
            "interval": interval,
            "description": "Retrains each course's sequence model when enough new attempts "
            "have arrived since its active model (see the course's retrain threshold).",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_recommender"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
