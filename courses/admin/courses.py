"""Courses in the admin: the list with its export and attempt-log links, the retrain action,
and the course JSON import and attempt-log CSV import pages."""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from courses.actions.attempt_log import AttemptLogError, import_attempt_log, read_attempt_log
from courses.actions.course_import import CourseDocumentError, import_course, parse_course_json
from courses.admin.banks import bank_export_view, bank_import_view
from courses.admin.model_versions import warn_about_artifacts
from courses.ml.training import open_run
from courses.models import (
    Course,
    TrainingRun,
)
from courses.queries.course_export import export_course


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "skill_count", "exercise_count", "export_link",
                    "attempt_log_link", "bank_link"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["export_json", "retrain_model"]
    change_list_template = "admin/courses/course/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_about_artifacts(request)
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Retrain the sequence model now"))
    def retrain_model(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        for course in queryset:
            run, created = open_run(course, TrainingRun.Trigger.ADMIN)
            note = "queued" if created else "already queued or running"
            url = reverse("admin:courses_trainingrun_change", args=[run.pk])
            self.message_user(
                request, format_html('Training of {}: <a href="{}">run #{}</a> {}.',
                                     course.title, url, run.pk, note)
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        return super().get_queryset(request).prefetch_related("skills", "exercises")

    @admin.display(description=_("skills"))
    def skill_count(self, course: Course) -> int:
        return len(course.skills.all())

    @admin.display(description=_("exercises"))
    def exercise_count(self, course: Course) -> int:
        return len(course.exercises.all())

    @admin.display(description=_("export"))
    def export_link(self, course: Course) -> str:
        url = reverse("admin:courses_course_export", args=[course.pk])
        return format_html('<a href="{}">JSON</a>', url)

    @admin.display(description=_("attempt log"))
    def attempt_log_link(self, course: Course) -> str:
        url = reverse("admin:courses_course_import_attempts", args=[course.pk])
        return format_html('<a href="{}">Import (CSV)</a>', url)

    @admin.display(description=_("question bank"))
    def bank_link(self, course: Course) -> str:
        return format_html('<a href="{}">Import</a> · <a href="{}">Moodle XML</a>',
                           reverse("admin:courses_course_import_bank", args=[course.pk]),
                           reverse("admin:courses_course_export_bank", args=[course.pk]))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:course_id>/import-bank/",
                self.admin_site.admin_view(partial(bank_import_view, self)),
                name="courses_course_import_bank",
            ),
            path(
                "<int:course_id>/export-bank/",
                self.admin_site.admin_view(partial(bank_export_view, self)),
                name="courses_course_export_bank",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="courses_course_import",
            ),
            path(
                "<int:course_id>/import-attempts/",
                self.admin_site.admin_view(self.import_attempts_view),
                name="courses_course_import_attempts",
            ),
            path(
                "<int:course_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="courses_course_export",
            ),
        ]
        return own + super().get_urls()

    @admin.action(description=_("Export the selected course as JSON"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[Course]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one course to export."), messages.WARNING)
            return None
        return _json_download(queryset.get())

    def export_view(self, request: HttpRequest, course_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse("Not allowed.", status=403)
        return _json_download(get_object_or_404(Course, pk=course_id))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse("Not allowed.", status=403)
        posted = request.method == "POST"
        # Bound even when empty: a POST without a file must say the file is missing.
        form = CourseImportForm(request.POST, request.FILES) if posted else CourseImportForm()
        status = 200
        if posted:
            if form.is_valid():
                summary = form.cleaned_data["summary"]
                verb = "Created" if summary.created else "Updated"
                retired = f", retired {len(summary.retired)}" if summary.retired else ""
                self.message_user(
                    request,
                    f"{verb} {summary.course.title}: {summary.skills} skills, "
                    f"{summary.exercises} exercises{retired}.",
                )
                return HttpResponseRedirect(reverse("admin:courses_course_changelist"))
            status = 400
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import course"}
        return TemplateResponse(request, "admin/courses/course/import.html", context, status=status)


    def import_attempts_view(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course = get_object_or_404(Course, pk=course_id)
        if not self.has_change_permission(request, course):
            return HttpResponse("Not allowed.", status=403)
        posted = request.method == "POST"
        form = AttemptLogForm(course, request.POST, request.FILES) if posted else \
            AttemptLogForm(course)
        status = 200
        if posted:
            if form.is_valid():
                summary = form.cleaned_data["summary"]
                created = (f", {summary.created_learners} learner accounts created"
                           if summary.created_learners else "")
                self.message_user(
                    request,
                    f"{course.title}: {summary.imported} attempts of {summary.learners} learners "
                    f"imported, {summary.already_stored} already stored{created}.",
                )
                return HttpResponseRedirect(reverse("admin:courses_course_changelist"))
            status = 400
        context = {**self.admin_site.each_context(request), "form": form, "course": course,
                   "title": f"Import an attempt log into {course.title}",
                   "max_rows": settings.ATTEMPT_LOG_WEB_MAX_ROWS}
        return TemplateResponse(request, "admin/courses/course/import_attempts.html", context,
                                status=status)


def _json_download(course: Course) -> HttpResponse:
    body = json.dumps(export_course(course), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}.json"'
    return response


def _uploaded_bytes(upload: Any) -> bytes:
    """An uploaded file's content, refused (a form error) beyond the upload limit."""
    if upload.size > settings.COURSE_IMPORT_MAX_BYTES:
        raise ValidationError(f"The file is {upload.size} bytes; the limit is "
                              f"{settings.COURSE_IMPORT_MAX_BYTES} bytes.")
    return upload.read()


def _imported(cleaned: dict[str, Any], import_file: Callable[[bytes], Any]) -> dict[str, Any]:
    """An uploaded file imported whole when its form is cleaned: the import's problems, each
    with where it is, become the form's errors, and nothing is stored unless all is well."""
    upload = cleaned.get("file")
    if upload is None:
        return cleaned
    try:
        cleaned["summary"] = import_file(_uploaded_bytes(upload))
    except (CourseDocumentError, AttemptLogError) as error:
        raise ValidationError(error.problems) from error
    return cleaned


class CourseImportForm(forms.Form):
    file = forms.FileField(help_text=_("A course exported as JSON (learnpath-course format)."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _imported(self.cleaned_data, lambda raw: import_course(parse_course_json(raw)))


class AttemptLogForm(forms.Form):
    file = forms.FileField(help_text=_("CSV with a header: learner, exercise, submitted_at, and "
                                     "answer and/or correct (optional: started_at, hint_used)."))
    create_learners = forms.BooleanField(
        required=False, help_text=_("Create accounts (no usable password) for unknown usernames.")
    )

    def __init__(self, course: Course, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course

    def clean(self) -> dict[str, Any]:
        super().clean()
        create = bool(self.cleaned_data.get("create_learners", False))

        def import_file(raw: bytes) -> Any:
            rows = read_attempt_log(raw, self.course, create_learners=create,
                                    max_rows=settings.ATTEMPT_LOG_WEB_MAX_ROWS)
            return import_attempt_log(self.course, rows, create_learners=create)

        return _imported(self.cleaned_data, import_file)
