"""Authoring in the Django admin: every changelist, the exercise preview, course export/import,
the cycle-checked prerequisite inline, read-only attempts, and who may get in at all.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses.actions.attempts import record_attempt
from courses.actions.course_import import import_course, validate_course_document
from courses.models import Attempt, Choice, Course, Exercise, Prerequisite, Skill, StudySession
from courses.queries.course_export import export_course
from tests.conftest import PASSWORD
from tests.factories import small_course_document

COURSE_MODELS = list(apps.get_app_config("courses").get_models())


@pytest.fixture
def root_client(root: Any) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def attempt(course: Course, enrolled_alice: Any) -> Attempt:
    exercise = Exercise.objects.get(course=course, key="quarters-numeric")
    return record_attempt(
        learner=enrolled_alice, exercise=exercise, given="0.75", client_id=uuid.uuid4()
    ).attempt


def _database_snapshot() -> dict[str, Any]:
    """Row counts of every model of the app, and every course as its export document."""
    counts = {model.__name__: model.objects.count() for model in COURSE_MODELS}
    return {"counts": counts, "courses": [export_course(c) for c in Course.objects.all()]}


def _admin_url(model: type, view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def test_every_changelist_and_add_page_loads_for_root(
    root_client: Client, cohort: Any, attempt: Attempt
) -> None:
    assert root_client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        changelist = root_client.get(_admin_url(model, "changelist"))
        assert changelist.status_code == 200, model
        add_status = 200 if model_admin.has_add_permission(changelist.wsgi_request) else 403
        assert root_client.get(_admin_url(model, "add")).status_code == add_status, model


def test_every_course_object_has_a_working_change_page(
    root_client: Client, cohort: Any, attempt: Attempt
) -> None:
    for model in COURSE_MODELS:
        if model not in admin.site._registry:
            continue
        for pk in model.objects.values_list("pk", flat=True)[:3]:
            response = root_client.get(_admin_url(model, "change", pk))
            assert response.status_code == 200, (model, pk)


def test_changelists_show_the_authored_content(root_client: Client, course: Course) -> None:
    courses_page = root_client.get(_admin_url(Course, "changelist")).content.decode()
    assert "Mini fractions" in courses_page
    assert _admin_url(Course, "export", course.pk) in courses_page
    assert reverse("admin:courses_course_import") in courses_page
    exercises_page = root_client.get(_admin_url(Exercise, "changelist")).content.decode()
    for exercise in course.exercises.all():
        assert _admin_url(Exercise, "preview", exercise.pk) in exercises_page


@pytest.mark.parametrize("key", ["halves-choice", "halves-multi", "quarters-numeric",
                                 "quarters-text", "adding-old"])
def test_exercise_preview_renders_as_a_learner_sees_it(
    root_client: Client, course: Course, key: str
) -> None:
    exercise = Exercise.objects.get(course=course, key=key)
    response = root_client.get(_admin_url(Exercise, "preview", exercise.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert exercise.prompt in page
    for skill in exercise.skills.all():
        assert skill.name in page
    for choice in exercise.choices.all():
        assert choice.text in page
    assert ("<b>retired</b>" in page) is (not exercise.is_active)
    if exercise.kind == Exercise.Kind.CHOICE:
        correct_marks = page.count("<small>(correct)</small>")
        assert correct_marks == exercise.choices.filter(is_correct=True).count()


def test_unknown_exercise_preview_is_404(root_client: Client, course: Course) -> None:
    assert root_client.get(_admin_url(Exercise, "preview", 99999)).status_code == 404


def test_course_export_downloads_the_course_as_json(root_client: Client, course: Course) -> None:
    response = root_client.get(_admin_url(Course, "export", course.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="mini.json"'
    document = json.loads(response.content)
    assert document == export_course(course)
    assert validate_course_document(document) == []
    assert [s["key"] for s in document["skills"]] == ["adding", "halves", "quarters"]
    assert len(document["exercises"]) == 6


def test_export_action_needs_exactly_one_course(root_client: Client, course: Course) -> None:
    url = _admin_url(Course, "changelist")
    single = root_client.post(url, {"action": "export_json", "_selected_action": [course.pk]})
    assert single.status_code == 200
    assert json.loads(single.content)["course"]["slug"] == "mini"
    other = import_course(small_course_document(slug="other", title="Other")).course
    both = root_client.post(
        url, {"action": "export_json", "_selected_action": [course.pk, other.pk]}, follow=True
    )
    assert both.status_code == 200
    assert "Select exactly one course to export." in both.content.decode()


def test_unknown_course_export_is_404(root_client: Client) -> None:
    assert root_client.get(_admin_url(Course, "export", 99999)).status_code == 404


def _upload(content: bytes | str, name: str = "course.json") -> SimpleUploadedFile:
    raw = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, raw, content_type="application/json")


def _import(client: Client, content: bytes | str) -> Any:
    return client.post(reverse("admin:courses_course_import"), {"file": _upload(content)})


def test_import_page_loads(root_client: Client) -> None:
    response = root_client.get(reverse("admin:courses_course_import"))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_import_of_a_good_file_creates_the_course(root_client: Client) -> None:
    document = small_course_document(slug="imported", title="Imported course")
    response = _import(root_client, json.dumps(document))
    assert response.status_code == 302
    assert response["Location"] == _admin_url(Course, "changelist")
    course = Course.objects.get(slug="imported")
    exported = export_course(course)
    assert [e["key"] for e in exported["exercises"]] == sorted(
        e["key"] for e in document["exercises"]
    )
    assert course.skills.count() == 3
    assert course.exercises.count() == 6
    assert set(Prerequisite.objects.filter(skill__course=course).values_list(
        "prerequisite__key", "skill__key")) == {("halves", "quarters"), ("quarters", "adding")}
    page = root_client.get(response["Location"]).content.decode()
    assert "Created Imported course: 3 skills, 6 exercises." in page


def _cyclic_document() -> dict[str, Any]:
    document = small_course_document(title="Changed title")
    document["skills"][0]["prerequisites"] = ["adding"]
    return document


def _no_correct_choice_document() -> dict[str, Any]:
    document = small_course_document(title="Changed title")
    for choice in document["exercises"][0]["choices"]:
        choice["correct"] = False
    return document


@pytest.mark.parametrize(
    ("content", "located_message"),
    [
        ('{"format": "learnpath-course", "version": 1,\n  "course": }',
         "not valid JSON: Expecting value at line 2, column 13"),
        ("[1, 2]", "the document must be a JSON object"),
        (b'{"course": "caf\xe9"}', "the file is not UTF-8 text"),
        (json.dumps(_cyclic_document()), "skills: cycle: Adding → Halves → Quarters → Adding"),
        (json.dumps(_no_correct_choice_document()),
         "exercises[0] (halves-choice).choices: at least one option must be correct"),
    ],
    ids=["invalid-json", "not-an-object", "not-utf8", "cycle", "no-correct-choice"],
)
def test_bad_import_is_400_with_where_and_changes_nothing(
    root_client: Client, course: Course, attempt: Attempt, content: Any, located_message: str
) -> None:
    before = _database_snapshot()
    response = _import(root_client, content)
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any(located_message in error for error in errors), errors
    assert 'class="errornote"' in response.content.decode()
    assert _database_snapshot() == before
    assert Course.objects.get().title == "Mini fractions"


def test_bad_import_lists_every_problem(root_client: Client, course: Course) -> None:
    document = _cyclic_document()
    document["exercises"][2]["answer"] = "three quarters"
    document["exercises"].append(dict(document["exercises"][0]))
    response = _import(root_client, json.dumps(document))
    errors = response.context["form"].non_field_errors()
    assert response.status_code == 400
    assert any(e.startswith("skills: cycle:") for e in errors)
    assert "exercises[2] (quarters-numeric).answer: a numeric exercise needs a number as its " \
        "answer" in errors
    assert "exercises[6] (halves-choice).key: 'halves-choice' is used twice" in errors


def test_too_large_upload_is_refused(root_client: Client, course: Course, settings: Any) -> None:
    settings.COURSE_IMPORT_MAX_BYTES = 100
    content = json.dumps(small_course_document(slug="big"))
    before = _database_snapshot()
    response = _import(root_client, content)
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert errors == [f"The file is {len(content.encode())} bytes; the limit is 100 bytes."]
    assert _database_snapshot() == before


def test_import_without_a_file_is_400(root_client: Client) -> None:
    response = root_client.post(reverse("admin:courses_course_import"), {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["This field is required."]


def _change_form_data(response: Any) -> dict[str, Any]:
    """The admin change form (with its inlines) as the browser would post it back unchanged."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def _skill(course: Course, key: str) -> Skill:
    return Skill.objects.get(course=course, key=key)


def test_skill_prerequisite_inline_refuses_a_cycle(root_client: Client, course: Course) -> None:
    halves, adding = _skill(course, "halves"), _skill(course, "adding")
    url = _admin_url(Skill, "change", halves.pk)
    data = _change_form_data(root_client.get(url))
    data["prerequisite_links-0-prerequisite"] = adding.pk
    links_before = set(Prerequisite.objects.values_list("skill_id", "prerequisite_id"))
    response = root_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors == ["cycle: Adding → Halves → Quarters → Adding"]
    assert "cycle: Adding → Halves → Quarters → Adding" in response.content.decode()
    assert set(Prerequisite.objects.values_list("skill_id", "prerequisite_id")) == links_before


def test_skill_prerequisite_inline_saves_an_acyclic_edit(
    root_client: Client, course: Course
) -> None:
    halves, adding = _skill(course, "halves"), _skill(course, "adding")
    url = _admin_url(Skill, "change", adding.pk)
    data = _change_form_data(root_client.get(url))
    data["prerequisite_links-1-prerequisite"] = halves.pk
    response = root_client.post(url, data)
    assert response.status_code == 302
    assert set(adding.prerequisites.values_list("key", flat=True)) == {"quarters", "halves"}


def test_exercise_with_too_many_options_is_refused_and_keeps_its_options(
    root_client: Client, course: Course
) -> None:
    exercise = Exercise.objects.get(course=course, key="halves-choice")
    before = list(exercise.choices.values_list("id", "text", "is_correct"))
    url = _admin_url(Exercise, "change", exercise.pk)
    data = _change_form_data(root_client.get(url))
    prefix = "choices"
    for index in range(int(data[f"{prefix}-INITIAL_FORMS"]), Choice.MAX_PER_EXERCISE + 1):
        data[f"{prefix}-{index}-exercise"] = exercise.pk
        data[f"{prefix}-{index}-text"] = f"extra option {index}"
        data[f"{prefix}-{index}-position"] = index
    data[f"{prefix}-TOTAL_FORMS"] = Choice.MAX_PER_EXERCISE + 1  # one too many
    response = root_client.post(url, data)
    assert response.status_code == 200
    assert f"options; at most {Choice.MAX_PER_EXERCISE} are allowed" in response.content.decode()
    assert list(exercise.choices.values_list("id", "text", "is_correct")) == before


def test_prerequisite_choices_are_other_skills_of_the_same_course(
    root_client: Client, course: Course
) -> None:
    import_course(small_course_document(slug="other", title="Other"))
    halves = _skill(course, "halves")
    response = root_client.get(_admin_url(Skill, "change", halves.pk))
    field = response.context["inline_admin_formsets"][0].formset.forms[0].fields["prerequisite"]
    assert set(field.queryset) == {_skill(course, "quarters"), _skill(course, "adding")}


def test_attempt_admin_is_read_only(root_client: Client, attempt: Attempt) -> None:
    assert root_client.get(_admin_url(Attempt, "add")).status_code == 403
    assert root_client.post(_admin_url(Attempt, "add"), {"correct": "on"}).status_code == 403
    change_url = _admin_url(Attempt, "change", attempt.pk)
    view = root_client.get(change_url)
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False
    assert root_client.post(change_url, {"correct": ""}).status_code == 403
    assert root_client.post(_admin_url(Attempt, "delete", attempt.pk), {"post": "yes"}) \
        .status_code == 403
    session = StudySession.objects.get()
    assert root_client.get(_admin_url(StudySession, "add")).status_code == 403
    assert root_client.post(_admin_url(StudySession, "delete", session.pk), {"post": "yes"}) \
        .status_code == 403
    attempt.refresh_from_db()
    assert attempt.correct is True
    assert Attempt.objects.count() == StudySession.objects.count() == 1


def _admin_pages(course: Course) -> list[str]:
    exercise = course.exercises.first()
    return [
        reverse("admin:index"),
        _admin_url(Course, "changelist"),
        _admin_url(Skill, "changelist"),
        _admin_url(Attempt, "changelist"),
        reverse("admin:courses_course_import"),
        _admin_url(Course, "export", course.pk),
        _admin_url(Exercise, "preview", exercise.pk),
    ]


@pytest.mark.parametrize("who", ["anonymous", "learner", "teacher"])
def test_non_staff_are_sent_to_the_admin_login(
    course: Course, alice: Any, tess: Any, who: str
) -> None:
    client = Client()
    if who != "anonymous":
        client.force_login({"learner": alice, "teacher": tess}[who])
    for url in _admin_pages(course):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('admin:login')}?next={url}", url
    response = client.post(
        reverse("admin:courses_course_import"),
        {"file": _upload(json.dumps(small_course_document(slug="sneaky")))},
    )
    assert response.status_code == 302
    assert not Course.objects.filter(slug="sneaky").exists()


def test_staff_without_permissions_are_refused(course: Course) -> None:
    helper = get_user_model().objects.create_user(username="helper", password=PASSWORD,
                                                  is_staff=True)
    client = Client()
    client.force_login(helper)
    exercise = course.exercises.first()
    assert client.get(_admin_url(Course, "changelist")).status_code == 403
    assert client.get(_admin_url(Course, "export", course.pk)).status_code == 403
    assert client.get(_admin_url(Exercise, "preview", exercise.pk)).status_code == 403
    response = client.post(
        reverse("admin:courses_course_import"),
        {"file": _upload(json.dumps(small_course_document(slug="sneaky")))},
    )
    assert response.status_code == 403
    assert not Course.objects.filter(slug="sneaky").exists()
