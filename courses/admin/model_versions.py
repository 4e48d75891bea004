"""Trained model versions and training runs (read-only), the model dashboard, and the warning
shown when an active model's artifact cannot be served."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from courses.admin.records import ReadOnlyAdmin
from courses.dashboards.model_versions import model_dashboard
from courses.ml.registry import artifact_problems
from courses.models import (
    Course,
    ModelVersion,
    TrainingRun,
)


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

    @admin.display(description=_("validation AUC"))
    def valid_auc_display(self, version: ModelVersion) -> str:
        return "–" if version.valid_auc is None else f"{version.valid_auc:.3f}"

    @admin.display(description=_("validation HR@10"))
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
            self.message_user(request, _("There is no course yet."), messages.INFO)
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

    @admin.display(description=_("progress"))
    def progress_display(self, run: TrainingRun) -> str:
        return f"{run.progress:.0%}"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_about_artifacts(request)
        return super().changelist_view(request, extra_context)
