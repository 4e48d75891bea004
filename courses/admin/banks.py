"""Question banks in the admin: upload a Moodle XML or GIFT file, see what the import would do
(every category and tag found, each with the skill it maps to and a menu to change it; every
image that would be stored; every question left out, with its line), then confirm; and
download a course as Moodle XML. A file from which not one question can be read is refused
with a 400 and its problems, and is not kept.

Between the preview and the confirmation the upload waits in a private folder under the data
directory, named by a random id that only a signed, course-bound, one-day token reveals; it is
removed once imported (and any left by abandoned previews after a day).
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from courses.actions.bank_images import STORE
from courses.actions.bank_import import (
    FORMATS,
    TAG_PREFIX,
    BankPlan,
    UnreadableBank,
    import_bank,
    parse_bank,
    parse_mapping,
    read_bank_plan,
    read_format,
)
from courses.errors import ServiceError
from courses.models import Course
from courses.queries.bank_export import course_as_moodle_xml

TOKEN_SALT = "learnpath.bank-upload"  # noqa: S105 (a signing salt, not a secret)
TOKEN_MAX_AGE = 24 * 3600
PREVIEW_ROWS = 300


def _uploads() -> Path:
    folder = Path(settings.DATA_DIR) / "bank-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - TOKEN_MAX_AGE
    for stale in folder.glob("*.bank"):
        if stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    return folder


class BankUploadForm(forms.Form):
    file = forms.FileField(help_text=_("A Moodle XML (.xml) or GIFT (.txt, .gift) question bank."))
    bank_format = forms.ChoiceField(
        choices=[("", "from the file"), *((name, name) for name in FORMATS)], required=False,
        label=_("Format"))
    mapping = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('Optional JSON: category path or "tag:name" -> skill key, e.g. '
                  '{"Fractions/Adding": "adding"}. You can also choose on the next page.'))
    default_skill = forms.ChoiceField(required=False, help_text=_("For questions nothing maps."))

    def __init__(self, course: Course, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["default_skill"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _skill_choices(course)


def _skill_choices(course: Course) -> list[tuple[str, str]]:
    return [("", "—"), *course.skills.order_by("name").values_list("key", "name")]


def _labels(plan: BankPlan) -> list[str]:
    found: dict[str, None] = {}
    for item in plan.items:
        question = item.question
        for label in ([question.category] if question.category else []) + [
                TAG_PREFIX + tag for tag in question.tags]:
            found[label] = None
    for label in plan.sources:
        found[label] = None
    return sorted(found)


def _plan(course: Course, token: str, mapping: dict[str, str], default: str
          ) -> tuple[BankPlan, str]:
    try:
        found = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as error:
        raise ServiceError("This preview has expired; upload the file again.") from error
    if found.get("course") != course.pk:
        raise ServiceError("This preview belongs to another course; upload the file again.")
    path = _uploads() / f"{uuid.UUID(found['file'])}.bank"
    if not path.exists():
        raise ServiceError("This upload was already imported or has expired; upload it again.")
    bank = parse_bank(path.read_bytes(), found["format"])
    return read_bank_plan(course, bank, mapping, default), found["name"]


def bank_import_view(model_admin: admin.ModelAdmin, request: HttpRequest,
                     course_id: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id)
    if not model_admin.has_change_permission(request, course):
        return HttpResponse("Not allowed.", status=403)
    context: dict[str, Any] = {**model_admin.admin_site.each_context(request), "course": course,
                               "title": f"Import a question bank into {course.title}",
                               "skills": _skill_choices(course)}
    form = BankUploadForm(course)
    status, token, plan, name = 200, request.POST.get("token", ""), None, ""
    try:
        if request.method == "POST" and token:
            mapping = {label: skill for label, skill in zip(
                request.POST.getlist("label"), request.POST.getlist("skill"), strict=False)
                if skill}
            default = request.POST.get("default_skill", "")
            plan, name = _plan(course, token, mapping, default)
            if request.POST.get("action") == "confirm":
                counts = import_bank(plan)
                (_uploads() / f"{signing.loads(token, salt=TOKEN_SALT)['file']}.bank").unlink(
                    missing_ok=True)
                model_admin.message_user(
                    request, f"{name} imported into {course.title}: {counts['create']} "
                    f"created, {counts['update']} updated, {counts['unchanged']} unchanged, "
                    f"{len(plan.skipped)} left out.")
                return HttpResponseRedirect(reverse("admin:courses_course_changelist"))
            context["default_skill"] = default
        elif request.method == "POST":
            form = BankUploadForm(course, request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > settings.BANK_IMPORT_MAX_BYTES:
                    raise ServiceError(f"The file is {upload.size} bytes; the limit is "
                                       f"{settings.BANK_IMPORT_MAX_BYTES} bytes.")
                raw = upload.read()
                chosen = form.cleaned_data["bank_format"] or read_format(upload.name, raw)
                default = form.cleaned_data["default_skill"]
                plan = read_bank_plan(course, parse_bank(raw, chosen),
                                      parse_mapping(form.cleaned_data["mapping"]), default)
                stored = uuid.uuid4()
                (_uploads() / f"{stored}.bank").write_bytes(raw)
                name = upload.name
                token = signing.dumps({"course": course.pk, "file": str(stored),
                                       "format": chosen, "name": name}, salt=TOKEN_SALT)
                context["default_skill"] = default
            else:
                status = 400
    except ServiceError as error:
        context["error"], status, plan = error.message, 400, None
        context["problems"] = error.problems if isinstance(error, UnreadableBank) else []
    if plan is not None:
        context.update(plan=plan, token=token, name=name, new_images=[
            image for image in plan.images if image.action == STORE], counts={
            action: plan.count(action) for action in ("create", "update", "unchanged")}, labels=[
            (label, plan.sources.get(label, "")) for label in _labels(plan)],
            rows=plan.items[:PREVIEW_ROWS], more=max(0, len(plan.items) - PREVIEW_ROWS))
    context["form"] = form
    return TemplateResponse(request, "admin/courses/course/import_bank.html", context,
                            status=status)


def bank_export_view(model_admin: admin.ModelAdmin, request: HttpRequest,
                     course_id: int) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        return HttpResponse("Not allowed.", status=403)
    course = get_object_or_404(Course, pk=course_id)
    response = HttpResponse(course_as_moodle_xml(course),
                            content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-moodle.xml"'
    return response
