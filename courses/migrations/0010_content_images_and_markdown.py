"""Images for course texts, and the stored texts kept reading as written now that they are
Markdown (:func:`courses.rendering.plain.as_markdown`): only texts that would read differently
change, only their text, and every attempt stays as it is."""
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F

import courses.content_images
from courses.rendering.plain import as_markdown

TEXT_FIELDS = {"Exercise": ("prompt", "hint", "solution"), "Skill": ("description",)}


def _escape_where_needed(apps, schema_editor):
    changed_courses = set()
    for model_name, fields in TEXT_FIELDS.items():
        model = apps.get_model("courses", model_name)
        changed = []
        for row in model.objects.only("id", "course_id", *fields).iterator():
            updates = {field: as_markdown(getattr(row, field)) for field in fields}
            if any(updates[field] != getattr(row, field) for field in fields):
                for field, value in updates.items():
                    setattr(row, field, value)
                changed.append(row)
                changed_courses.add(row.course_id)
        model.objects.bulk_update(changed, fields, batch_size=500)
    choice_model = apps.get_model("courses", "Choice")
    changed = []
    for choice in choice_model.objects.select_related("exercise").only(
        "id", "text", "exercise__course_id"
    ).iterator():
        text = as_markdown(choice.text)
        if text != choice.text and len(text) <= 500:
            choice.text = text
            changed.append(choice)
            changed_courses.add(choice.exercise.course_id)
    choice_model.objects.bulk_update(changed, ["text"], batch_size=500)
    apps.get_model("courses", "Course").objects.filter(pk__in=changed_courses).update(
        content_version=F("content_version") + 1
    )


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0009_course_simulated_learners"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentImage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("name", models.CharField(
                    help_text="Texts show it with ![alt text](image:NAME); empty brackets use "
                              "the alt text below.",
                    max_length=80,
                    validators=[django.core.validators.RegexValidator(
                        "^[a-z0-9][a-z0-9_-]*$",
                        "Use lowercase letters, digits, hyphens and underscores.")])),
                ("file", models.FileField(max_length=200,
                                          upload_to=courses.content_images.stored_name)),
                ("alt_text", models.CharField(
                    help_text="What the image shows, for readers who cannot see it.",
                    max_length=300)),
                ("content_type", models.CharField(editable=False, max_length=20)),
                ("width", models.PositiveIntegerField(editable=False)),
                ("height", models.PositiveIntegerField(editable=False)),
                ("uploaded_at", models.DateTimeField(auto_now=True)),
                ("course", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="images", to="courses.course")),
            ],
            options={
                "ordering": ["course", "name"],
                "constraints": [models.UniqueConstraint(fields=("course", "name"),
                                                        name="image_name_unique_in_course")],
            },
        ),
        migrations.RunPython(_escape_where_needed, migrations.RunPython.noop),
    ]
