"""Skills with a cycle-checked prerequisite editor, and exercises with their options and a
learner's-eye preview (linked from the exercise list)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from courses.admin.inlines import LabelledInlineFormSet
from courses.jobs import schedule_chart_rebuild
from courses.judging.spec import code_problems, reference_problems
from courses.models import (
    Choice,
    Exercise,
    Prerequisite,
    Skill,
)
from courses.phrases import shown
from courses.queries.graphs import check_prerequisites_of
from courses.rules import (
    accepted_problems,
    choice_problems,
    numeric_problems,
    sentence,
    takes_several_options,
)
from courses.signals import bump_content_version
from learnpath.answers import AnswerError, display_number, parse_number
from learnpath.judge import Limits


class PrerequisiteFormSet(LabelledInlineFormSet):
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
            match = request.resolver_match
            skill_id = match.kwargs.get("object_id") if match is not None else None
            skill = Skill.objects.filter(pk=skill_id).first() if skill_id is not None else None
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


class ChoiceFormSet(LabelledInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.kind != Exercise.Kind.CHOICE:
            return
        kept = [(f.cleaned_data.get("text"), bool(f.cleaned_data.get("is_correct")))
                for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        problems = choice_problems(kept)
        if problems:
            raise ValidationError([sentence(problem) for problem in problems])


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 2
    max_num = Choice.MAX_PER_EXERCISE


class WrittenNumberField(forms.FloatField):
    """A number as an author writes it (``23``, ``0.75``, ``5/6``, ``2 1/3``), read as learners'
    answers are, and shown back as the learners will see it."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        try:
            return parse_number(str(value))
        except AnswerError as error:
            raise ValidationError(shown(error.phrase), code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        return display_number(value) if isinstance(value, float) else value


def _program_area() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 10, "cols": 80, "class": "program-source",
                                 "spellcheck": "false"})


class ExerciseForm(forms.ModelForm):
    numeric_answer = WrittenNumberField(
        required=False, help_text=_("Numeric: a whole number, a decimal, a fraction (5/6) or a "
                                    "mixed number (2 1/3)."))
    # A code exercise's program, edited field by field and stored together as ``code``.
    code_starter = forms.CharField(
        label=_("Starter code"), required=False, strip=False, widget=_program_area(),
        help_text=_("What the learner's editor starts with (may be empty)."))
    code_reference = forms.CharField(
        label=_("Reference solution"), required=False, strip=False, widget=_program_area(),
        help_text=_("Run against every test in the sandbox when you save: it must pass them all."))
    code_tests = forms.JSONField(
        label=_("Tests"), required=False, widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=_('A JSON list. A function call: {"call": "add", "args": [2, 3], "expected": 5, '
                  '"visible": true}; a program reading input: {"stdin": "1\\n2\\n", "stdout": '
                  '"3\\n", "visible": false}. Visible tests are the learner\'s examples; hidden '
                  "ones are shown to learners only as a count."))
    code_cpu_seconds = forms.FloatField(
        label=_("CPU seconds"), required=False, min_value=0.1,
        help_text=format_lazy(_("For all tests together (default {seconds})."),
                              seconds=f"{Limits().cpu_seconds:g}"))
    code_wall_seconds = forms.FloatField(
        label=_("Wall-clock seconds"), required=False, min_value=0.1,
        help_text=format_lazy(_("At least the CPU seconds (default {seconds})."),
                              seconds=f"{Limits().wall_seconds:g}"))
    code_memory_mb = forms.IntegerField(
        label=_("Memory (MB)"), required=False, min_value=1,
        help_text=format_lazy(_("Per test, the interpreter included (default {memory})."),
                              memory=Limits().memory_mb))
    code_output_kb = forms.IntegerField(
        label=_("Output (KB)"), required=False, min_value=1,
        help_text=format_lazy(_("Per test (default {output})."), output=Limits().output_kb))

    class Meta:
        model = Exercise
        fields = [
            "course", "key", "skills", "prompt", "kind", "numeric_answer", "tolerance",
            "accepted_answers", "hint", "solution", "difficulty", "status",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.instance.code if isinstance(self.instance.code, Mapping) else {}
        limits = code.get("limits")
        if not isinstance(limits, Mapping):
            limits = {}
        self.initial.setdefault("code_starter", code.get("starter", ""))
        self.initial.setdefault("code_reference", code.get("reference", ""))
        self.initial.setdefault("code_tests", code.get("tests", []))
        for name in LIMIT_FIELDS:
            self.initial.setdefault(f"code_{name}", limits.get(name))

    def _program(self) -> dict[str, Any]:
        """The ``code`` object the fields make (limits left blank take the defaults; limits
        the form does not show are kept as stored)."""
        cleaned = self.cleaned_data
        stored = self.instance.code if isinstance(self.instance.code, Mapping) else {}
        limits = dict(stored.get("limits") or {}) if isinstance(stored.get("limits"),
                                                                Mapping) else {}
        for name in LIMIT_FIELDS:
            value = cleaned.get(f"code_{name}")
            if value is None:
                limits.pop(name, None)
            else:
                limits[name] = value
        code: dict[str, Any] = {"starter": cleaned.get("code_starter") or "",
                                "reference": cleaned.get("code_reference") or "",
                                "tests": cleaned.get("code_tests") or []}
        if limits:
            code["limits"] = limits
        return code

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind, course = cleaned.get("kind"), cleaned.get("course")
        if kind == Exercise.Kind.NUMERIC:
            answer = cleaned.get("numeric_answer")
            for field, problem in numeric_problems(answer, cleaned.get("tolerance") or 0):
                self.add_error("numeric_answer" if field == "answer" else field, sentence(problem))
        if kind == Exercise.Kind.TEXT:
            for problem in accepted_problems(cleaned.get("accepted_answers")):
                self.add_error("accepted_answers", sentence(problem))
        if kind == Exercise.Kind.CODE and not any(name.startswith("code_") for name in self.errors):
            # The reference solution runs against every test (in the sandbox) before saving.
            code = self._program()
            problems = [message for _, message in code_problems(code)]
            if not problems:
                problems = reference_problems(code)
            for problem in problems:
                self.add_error(_program_field(problem), sentence(problem))
            self.instance.code = code
        elif kind is not None and kind != Exercise.Kind.CODE:
            self.instance.code = {}
        skills = cleaned.get("skills")
        if course and skills and any(skill.course_id != course.pk for skill in skills):
            self.add_error("skills", "Choose skills of the exercise's own course.")
        return cleaned


LIMIT_FIELDS = ("cpu_seconds", "wall_seconds", "memory_mb", "output_kb")


def _program_field(problem: str) -> str:
    """The form field a problem of the ``code`` object belongs to."""
    for prefix, field in (("tests", "code_tests"), ("limits.wall", "code_wall_seconds"),
                          ("limits.cpu", "code_cpu_seconds"), ("limits.memory", "code_memory_mb"),
                          ("limits.output", "code_output_kb"), ("limits", "code_cpu_seconds"),
                          ("starter", "code_starter"), ("the reference", "code_reference"),
                          ("reference", "code_reference"),
                          ("a code exercise needs its reference", "code_reference")):
        if problem.startswith(prefix):
            return field
    return "code_reference"


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    form = ExerciseForm
    fieldsets = [
        (None, {"fields": ["course", "key", "skills", "prompt", "kind", "difficulty",
                           "status"]}),
        ("Answer (numeric and text exercises; options are below)",
         {"fields": ["numeric_answer", "tolerance", "accepted_answers"]}),
        ("Program (code exercises)", {
            "fields": ["code_starter", "code_reference", "code_tests",
                       ("code_cpu_seconds", "code_wall_seconds", "code_memory_mb",
                        "code_output_kb")],
            "description": "The learner writes Python 3 in an editor that starts from the "
                           "starter code; a judge runs it in a sandbox against every test.",
        }),
        ("Help", {"fields": ["hint", "solution"]}),
    ]

    class Media:
        js = ("vendor/codemirror/codemirror.min.js", "js/admin_program.js")
    list_display = ["key", "course", "kind", "difficulty", "status", "preview_link"]
    list_filter = ["course", "kind", "status", "difficulty", "skills"]
    search_fields = ["key", "prompt"]
    filter_horizontal = ["skills"]
    inlines = [ChoiceInline]
    actions = ["retire", "reactivate"]

    @admin.display(description=_("preview"))
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
                "multiple": takes_several_options([c.is_correct for c in choices]),
            },
        )

    @admin.action(description=_("Retire (keep history, stop offering)"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        count = _update_exercises(queryset, Exercise.Status.RETIRED)
        self.message_user(request, f"Retired {count} exercise(s).")

    @admin.action(description=_("Make active again"))
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
