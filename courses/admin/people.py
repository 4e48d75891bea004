"""Classes, enrolments, teachers' pins and assignments in the admin."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from courses.actions.enrolment import enrol
from courses.models import (
    Assignment,
    AssignmentExtension,
    Cohort,
    Enrollment,
    PathPin,
)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "teacher"]
    list_filter = ["course"]
    filter_horizontal = ["learners"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        for learner in form.instance.learners.all():
            enrol(learner, form.instance.course)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["learner", "course", "enrolled_at"]
    list_filter = ["course"]
    search_fields = ["learner__username"]



@admin.register(PathPin)
class PathPinAdmin(admin.ModelAdmin):
    list_display = ["exercise", "learner", "cohort", "teacher", "position", "created_at"]
    list_filter = ["exercise__course"]
    raw_id_fields = ["exercise", "learner", "cohort", "teacher"]


class ExtensionInline(admin.TabularInline):
    model = AssignmentExtension
    extra = 0
    raw_id_fields = ["learner"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "kind", "due_at", "lms_grade", "teacher"]
    list_filter = ["cohort__course", "kind"]
    search_fields = ["title"]
    raw_id_fields = ["cohort", "teacher"]
    filter_horizontal = ["skills", "exercises", "learners"]
    inlines = [ExtensionInline]


@admin.register(AssignmentExtension)
class AssignmentExtensionAdmin(admin.ModelAdmin):
    list_display = ["assignment", "learner", "due_at"]
    raw_id_fields = ["assignment", "learner"]
