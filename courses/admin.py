"""Authoring in the Django admin: courses, skills with a cycle-checked prerequisite editor,
exercises with their options and a learner's-eye preview, JSON export/import of a course, and
classes. Attempts and sessions are the learners' work: shown read-only.
"""
from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET

from courses.models import (
    Attempt,
    Choice,
    Cohort,
    Course,
    Enrollment,
    Exercise,
    ModelVersion,
    PathPin,
    Prerequisite,
    Skill,
    StudySession,
    TrainingRun,
)
from courses.services.attempt_log import AttemptLogError, import_attempt_log, read_attempt_log
from courses.services.course_io import (
    CourseDocumentError,
    export_course,
    import_course,
    parse_course_json,
)
from courses.services.enrolment import enrol
from courses.services.graphs import check_prerequisites_of
from courses.services.jobs import schedule_chart_rebuild
from courses.services.model_dashboard import model_dashboard
from courses.services.registry import artifact_problems
from courses.services.training import open_run
from courses.signals import bump_content_version


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "skill_count", "exercise_count", "export_link",
                    "attempt_log_link"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["export_json", "retrain_model"]
    change_list_template = "admin/courses/course/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_about_artifacts(request)
        return super().changelist_view(request, extra_context)

    @admin.action(description="Retrain the sequence model now")
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

    @admin.display(description="skills")
    def skill_count(self, course: Course) -> int:
        return len(course.skills.all())

    @admin.display(description="exercises")
    def exercise_count(self, course: Course) -> int:
        return len(course.exercises.all())

    @admin.display(description="export")
    def export_link(self, course: Course) -> str:
        url = reverse("admin:courses_course_export", args=[course.pk])
        return format_html('<a href="{}">JSON</a>', url)

    @admin.display(description="attempt log")
    def attempt_log_link(self, course: Course) -> str:
        url = reverse("admin:courses_course_import_attempts", args=[course.pk])
        return format_html('<a href="{}">Import (CSV)</a>', url)

    def get_urls(self) -> list[URLPattern]:
        own = [
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

    @admin.action(description="Export the selected course as JSON")
    def export_json(self, request: HttpRequest, queryset: QuerySet[Course]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one course to export.", messages.WARNING)
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


class CourseImportForm(forms.Form):
    file = forms.FileField(help_text="A course exported as JSON (learnpath-course format).")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        try:
            cleaned["summary"] = import_course(parse_course_json(_uploaded_bytes(upload)))
        except CourseDocumentError as error:
            raise ValidationError(error.problems) from error
        return cleaned


class AttemptLogForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: learner, exercise, submitted_at, and "
                                     "answer and/or correct (optional: started_at, hint_used).")
    create_learners = forms.BooleanField(
        required=False, help_text="Create accounts (no usable password) for unknown usernames."
    )

    def __init__(self, course: Course, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        create = cleaned.get("create_learners", False)
        try:
            rows = read_attempt_log(_uploaded_bytes(upload), self.course, create_learners=create,
                                    max_rows=settings.ATTEMPT_LOG_WEB_MAX_ROWS)
            cleaned["summary"] = import_attempt_log(self.course, rows, create_learners=create)
        except AttemptLogError as error:
            raise ValidationError(error.problems) from error
        return cleaned


class PrerequisiteFormSet(forms.BaseInlineFormSet):
    """Refuses prerequisites that would close a cycle, naming the cycle."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        chosen = [
            form.cleaned_data["prerequisite"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("prerequisite")
        ]
        if self.instance.pk is None:
            return
        problems = check_prerequisites_of(self.instance, chosen)
        if problems:
            raise ValidationError(problems)


class PrerequisiteInline(admin.TabularInline):
    model = Prerequisite
    fk_name = "skill"
    formset = PrerequisiteFormSet
    extra = 1
    verbose_name = "prerequisite (learnt before this skill)"
    verbose_name_plural = "prerequisites (learnt before this skill)"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "prerequisite":
            skill_id = request.resolver_match.kwargs.get("object_id")
            skill = Skill.objects.filter(pk=skill_id).first()
            if skill is not None:
                kwargs["queryset"] = Skill.objects.filter(course=skill.course).exclude(pk=skill.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "course", "area"]
    list_filter = ["course", "area"]
    search_fields = ["name", "key", "description"]
    inlines = [PrerequisiteInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.has_changed() for formset in formsets):
            schedule_chart_rebuild(form.instance.course_id)

    def delete_model(self, request: HttpRequest, obj: Skill) -> None:
        super().delete_model(request, obj)
        schedule_chart_rebuild(obj.course_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Skill]) -> None:
        course_ids = set(queryset.values_list("course_id", flat=True))
        super().delete_queryset(request, queryset)
        for course_id in course_ids:
            schedule_chart_rebuild(course_id)


class ChoiceFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.kind != Exercise.Kind.CHOICE:
            return
        kept = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get(
            "DELETE"
        )]
        if len(kept) < 2:
            raise ValidationError("A multiple-choice exercise needs at least 2 options.")
        if len(kept) > Choice.MAX_PER_EXERCISE:
            raise ValidationError(f"At most {Choice.MAX_PER_EXERCISE} options are allowed.")
        if not any(option.get("is_correct") for option in kept):
            raise ValidationError("Mark at least one option as correct.")


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 2
    max_num = Choice.MAX_PER_EXERCISE


class ExerciseForm(forms.ModelForm):
    class Meta:
        model = Exercise
        fields = [
            "course", "key", "skills", "prompt", "kind", "numeric_answer", "tolerance",
            "accepted_answers", "hint", "solution", "difficulty", "status",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, course = cleaned.get("kind"), cleaned.get("course")
        if kind == Exercise.Kind.NUMERIC and cleaned.get("numeric_answer") is None:
            self.add_error("numeric_answer", "A numeric exercise needs its answer.")
        if kind == Exercise.Kind.TEXT:
            accepted = cleaned.get("accepted_answers")
            if not isinstance(accepted, list) or not accepted or not all(
                isinstance(a, str) and a.strip() for a in accepted
            ):
                self.add_error(
                    "accepted_answers", 'Give a JSON list of accepted answers, e.g. ["3/4"].'
                )
        skills = cleaned.get("skills")
        if course and skills and any(skill.course_id != course.pk for skill in skills):
            self.add_error("skills", "Choose skills of the exercise's own course.")
        return cleaned


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    form = ExerciseForm
    list_display = ["key", "course", "kind", "difficulty", "status", "preview_link"]
    list_filter = ["course", "kind", "status", "difficulty", "skills"]
    search_fields = ["key", "prompt"]
    filter_horizontal = ["skills"]
    inlines = [ChoiceInline]
    actions = ["retire", "reactivate"]

    @admin.display(description="preview")
    def preview_link(self, exercise: Exercise) -> str:
        url = reverse("admin:courses_exercise_preview", args=[exercise.pk])
        return format_html('<a href="{}">Preview</a>', url)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:exercise_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="courses_exercise_preview",
            )
        ]
        return own + super().get_urls()

    def preview_view(self, request: HttpRequest, exercise_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse("Not allowed.", status=403)
        exercise = get_object_or_404(
            Exercise.objects.prefetch_related("skills", "choices"), pk=exercise_id
        )
        choices = list(exercise.choices.all())
        return render(
            request,
            "admin/courses/exercise/preview.html",
            {
                "exercise": exercise,
                "choices": choices,
                "multiple": sum(c.is_correct for c in choices) > 1,
            },
        )

    @admin.action(description="Retire (keep history, stop offering)")
    def retire(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        count = _update_exercises(queryset, Exercise.Status.RETIRED)
        self.message_user(request, f"Retired {count} exercise(s).")

    @admin.action(description="Make active again")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        count = _update_exercises(queryset, Exercise.Status.ACTIVE)
        self.message_user(request, f"Reactivated {count} exercise(s).")


def _update_exercises(queryset: QuerySet[Exercise], status: str) -> int:
    """A bulk status change sends no signals: bump the courses' content versions here."""
    course_ids = set(queryset.values_list("course_id", flat=True))
    count = queryset.update(status=status)
    for course_id in course_ids:
        bump_content_version(course_id)
    return count


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


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "learner", "exercise", "correct", "hint_used", "session"]
    list_filter = ["course", "correct", "hint_used"]
    search_fields = ["learner__username", "exercise__key"]
    list_select_related = ["learner", "exercise", "session"]
    date_hierarchy = "submitted_at"


@admin.register(StudySession)
class StudySessionAdmin(ReadOnlyAdmin):
    list_display = [
        "learner", "course", "number", "started_at", "last_activity_at", "attempt_count"
    ]
    list_filter = ["course"]
    search_fields = ["learner__username"]


def warn_about_artifacts(request: HttpRequest) -> None:
    for problem in artifact_problems():
        messages.warning(request, problem)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "course", "number", "status", "valid_auc_display", "valid_hr10_display",
        "training_attempts", "training_learners", "train_seconds", "created_at",
    ]
    list_filter = ["course", "status"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]

    @admin.display(description="validation AUC")
    def valid_auc_display(self, version: ModelVersion) -> str:
        return "–" if version.valid_auc is None else f"{version.valid_auc:.3f}"

    @admin.display(description="validation HR@10")
    def valid_hr10_display(self, version: ModelVersion) -> str:
        return "–" if version.valid_hr10 is None else f"{version.valid_hr10:.3f}"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_about_artifacts(request)
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(require_GET(self.dashboard_view))
        return [
            path("dashboard/", view, name="courses_modelversion_dashboard"),
            path("dashboard/<int:course_id>/", view,
                 name="courses_modelversion_dashboard_course"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest, course_id: int | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse("Not allowed.", status=403)
        courses = list(Course.objects.order_by("title"))
        if course_id is not None:
            course = get_object_or_404(Course, pk=course_id)
        elif courses:
            course = courses[0]
        else:
            self.message_user(request, "There is no course yet.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:courses_course_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Models of {course.title}",
            "dashboard": model_dashboard(course),
            "courses": courses,
            "problems": artifact_problems(),
        }
        return TemplateResponse(request, "admin/courses/modelversion/dashboard.html", context)


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "course", "trigger", "status", "progress_display", "tries",
                    "model_version", "created_at", "touched_at", "finished_at", "worker",
                    "message"]
    list_filter = ["course", "status", "trigger"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]

    @admin.display(description="progress")
    def progress_display(self, run: TrainingRun) -> str:
        return f"{run.progress:.0%}"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_about_artifacts(request)
        return super().changelist_view(request, extra_context)


@admin.register(PathPin)
class PathPinAdmin(admin.ModelAdmin):
    list_display = ["exercise", "learner", "cohort", "teacher", "position", "created_at"]
    list_filter = ["exercise__course"]
    raw_id_fields = ["exercise", "learner", "cohort", "teacher"]
