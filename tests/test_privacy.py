"""A person's data: the download holds every table that names them, and removing them leaves
nothing of them in any table (found from the models, so a table added later is checked too).

zelda (a learner in tess's class, with answers, a program, a chart, a model state, a pin, an
assignment's extension, an LMS account and link, an API token, xAPI statements and an LMS score
in the outbox, sign-in logs, a session and admin log entries) is removed; bob, who learns in
the same course, keeps everything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField, TextField
from django.db.models.functions import Cast
from django.test import Client
from django.utils import timezone
from lti_tool.models import (
    LtiContext,
    LtiDeployment,
    LtiMembership,
    LtiRegistration,
    LtiResourceLink,
    LtiUser,
)

from courses.actions.enrolment import add_to_cohort
from courses.actions.forget import check_user_removable, remove_user
from courses.actions.languages import record_language_preference
from courses.actions.pins import add_pin
from courses.api.tokens import issue_token
from courses.errors import Conflict
from courses.judging.models import Submission
from courses.lti.grades import CHANNEL as LTI_SCORES
from courses.lti.models import LinkedClass, LinkLearner, LinkTarget
from courses.models import (
    Assignment,
    AssignmentExtension,
    Attempt,
    Cohort,
    Course,
    Exercise,
    LearnerModelState,
    ModelVersion,
    SkillState,
)
from courses.outbox.models import OutboxRow
from courses.outbox.senders import REGISTRY
from courses.outbox.service import enqueue
from courses.queries.personal_data import (
    ALSO_BELONGS,
    OUTBOX_ABOUT,
    admin_log_about,
    outbox_rows_of,
    session_keys_of,
    sign_in_rows,
    user_references,
)
from courses.recommend.cache import learning_path
from tests.conftest import PASSWORD
from tests.factories import answer

NAME, EMAIL = "zelda-7731", "zelda.7731@example.org"
# References a person may have that are not removed with them, and why.
KEPT = {"courses.cohort.teacher": "a teacher of a class is not removed (check_user_removable)"}
# References the scene leaves empty (zelda is a learner): a teacher's.
NOT_IN_SCENE = {
    "courses.cohort.teacher", "courses.assignment.teacher", "courses.pathpin.teacher",
    "courses.assignment_skills.assignment__teacher",
    "courses.assignment_exercises.assignment__teacher",
}


@dataclass(frozen=True)
class Scene:
    zelda: Any
    bob: Any
    client: Client  # signed in as zelda


def _lti(cohort: Cohort, learner: Any) -> LinkLearner:
    registration = LtiRegistration.objects.create(
        name="LMS", issuer="https://lms.example.org", client_id="learnpath",
        auth_url="https://lms.example.org/auth", token_url="https://lms.example.org/token",
        keyset_url="https://lms.example.org/jwks")
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1",
                                              is_active=True)
    lti_user = LtiUser.objects.create(registration=registration, sub="lms-zelda",
                                      auth_user=learner, name="Zelda Zed", email=EMAIL)
    context = LtiContext.objects.create(deployment=deployment, id_on_platform="course-1")
    LtiMembership.objects.create(user=lti_user, context=context, is_learner=True)
    linked = LinkedClass.objects.create(context=context, course=cohort.course, cohort=cohort)
    link = LtiResourceLink.objects.create(context=context, id_on_platform="link-1")
    target = LinkTarget.objects.create(resource_link=link, linked_class=linked)
    return LinkLearner.objects.create(target=target, learner=learner, lti_user=lti_user)


def _everything_about(learner: Any, course: Course, cohort: Cohort, tess: Any) -> None:
    answer(learner, course, "halves-choice", True)
    answer(learner, course, "quarters-numeric", False)
    exercise = Exercise.objects.create(
        course=course, key="add-program", kind=Exercise.Kind.CODE, prompt="Write `add`.",
        code={"starter": "", "reference": "def add(a, b):\n    return a + b\n",
              "tests": [{"call": "add", "args": [1, 2], "expected": 3, "visible": True}]})
    Submission.objects.create(learner=learner, course=course, exercise=exercise,
                              source="def add(a, b): pass", started_at=timezone.now(),
                              attempt=Attempt.objects.filter(learner=learner).first())
    version = ModelVersion.objects.create(
        course=course, number=1, artifact_path="models/none.pt", checksum="0" * 64,
        training_attempts=2, training_learners=1)
    LearnerModelState.objects.create(learner=learner, course=course, model_version=version,
                                     state=b"\x00state")
    add_pin(tess, cohort, "quarters-text", learner)
    assignment = Assignment.objects.create(cohort=cohort, teacher=tess, title="Halves",
                                           kind=Assignment.Kind.SKILLS,
                                           due_at=timezone.now() + timedelta(days=7))
    assignment.learners.add(learner)
    AssignmentExtension.objects.create(assignment=assignment, learner=learner,
                                       due_at=timezone.now() + timedelta(days=9))
    issue_token(learner, "my script")
    learning_path(learner, course)  # planned and stored
    record_language_preference(learner, "es")
    link = _lti(cohort, learner)
    enqueue(LTI_SCORES, f"{link.target_id}:{learner.pk}:1",
            {"link_learner": link.pk, "revision": 1, "score": 0.5})
    learner.groups.add(Group.objects.create(name="readers"))
    learner.user_permissions.add(Permission.objects.get(codename="view_course"))
    sign_in = {"username": NAME, "ip_address": "192.0.2.7", "user_agent": "test",
               "http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**sign_in, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**sign_in)
    AccessLog.objects.create(**sign_in)
    LogEntry.objects.create(user=learner, content_type=ContentType.objects.get_for_model(Course),
                            object_id=str(course.pk), object_repr=course.title,
                            action_flag=CHANGE)
    root = get_user_model().objects.create_superuser("root", "root@example.invalid", PASSWORD)
    LogEntry.objects.create(user=root, content_type=ContentType.objects.get_for_model(learner),
                            object_id=str(learner.pk), object_repr=NAME, action_flag=CHANGE)
    LogEntry.objects.create(user=root, content_type=ContentType.objects.get_for_model(Attempt),
                            object_id=str(Attempt.objects.filter(learner=learner)[0].pk),
                            object_repr=f"{NAME} · halves-choice", action_flag=CHANGE)


def _made_up_row(model: type[models.Model], owner: models.Field[Any, Any], to: Any) -> None:
    """A row of a table the scene does not know (added since): ``owner`` points at ``to``,
    other keys at any row of theirs, the other fields their defaults or a plain value."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if (field.primary_key and isinstance(field, models.AutoField)) or field is owner:
            continue
        if field.is_relation:
            related: Any = field.related_model
            values[field.name] = related._default_manager.first()
        elif field.has_default() or field.null or getattr(field, "auto_now_add", False) \
                or getattr(field, "auto_now", False):
            continue
        elif isinstance(field, models.DateTimeField):
            values[field.name] = timezone.now()
        elif isinstance(field, models.JSONField):
            values[field.name] = {}
        elif isinstance(field, models.BooleanField):
            values[field.name] = False
        elif isinstance(field, CharField | TextField):
            values[field.name] = "x"
        else:
            values[field.name] = 0
    model._default_manager.create(**{owner.name: to}, **values)


def _fill_the_rest(learner: Any) -> None:
    for reference in user_references():  # direct references first, then those through them
        if reference.label in NOT_IN_SCENE or reference.rows(learner.pk).exists():
            continue
        owner_name, _, rest = reference.lookup.partition("__")
        owner: Any = reference.model._meta.get_field(owner_name)
        to = learner if not rest else owner.related_model._default_manager.filter(
            **{rest: learner.pk}).first()
        _made_up_row(reference.model, owner, to)


@pytest.fixture
def scene(course: Course, cohort: Cohort, other_cohort: Cohort, tess: Any, bob: Any,
          settings: Any) -> Scene:
    settings.XAPI_LRS_URL = "http://127.0.0.1:9/xAPI"  # statements are written, never sent
    zelda = get_user_model().objects.create_user(NAME, EMAIL, PASSWORD, first_name="Zelda")
    add_to_cohort(cohort, zelda)
    _everything_about(zelda, course, cohort, tess)
    _fill_the_rest(zelda)
    answer(bob, course, "halves-choice", False)
    client = Client()
    client.force_login(zelda)
    return Scene(zelda, bob, client)


def test_every_reference_to_a_person_goes_with_them_or_is_refused() -> None:
    """A new table naming users without CASCADE fails here until it is decided for."""
    undecided = sorted(r.label for r in user_references()
                       if r.on_delete != "CASCADE" and r.label not in ALSO_BELONGS | KEPT.keys())
    assert undecided == []


def test_every_outbox_channel_says_how_it_names_a_person() -> None:
    assert set(REGISTRY) <= set(OUTBOX_ABOUT)


def test_the_scene_fills_every_table_that_names_a_person(scene: Scene) -> None:
    empty = {r.label for r in user_references() if not r.rows(scene.zelda.pk).exists()}
    assert empty == NOT_IN_SCENE
    assert OutboxRow.objects.filter(channel="xapi").count() >= 2
    about = {row.key for row in outbox_rows_of(scene.zelda.pk)}
    bob_answered = Attempt.objects.get(learner=scene.bob).pk
    assert about == {f"answered:{attempt.pk}" for attempt in
                     Attempt.objects.filter(learner=scene.zelda)} | {
        key for key in OutboxRow.objects.filter(channel=LTI_SCORES).values_list("key", flat=True)}
    assert f"answered:{bob_answered}" not in about
    assert len(session_keys_of(scene.zelda.pk)) == 1
    assert all(rows.exists() for rows in sign_in_rows(NAME).values())
    assert admin_log_about(scene.zelda).count() == 2


def test_the_download_holds_every_table_that_names_the_person(scene: Scene) -> None:
    response = scene.client.get("/account/data/download.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["username"] == NAME and data["profile"]["email"] == EMAIL
    assert data["profile"]["groups"] == ["readers"]
    tables = data["tables"]
    filled = {r.table for r in user_references() if r.rows(scene.zelda.pk).exists()}
    assert filled <= tables.keys()
    assert {"axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"} <= tables.keys()
    assert len(tables["courses.attempt"]) == 2
    assert tables["judging.submission"][0]["source"] == "def add(a, b): pass"
    assert tables["lti_tool.ltiuser"][0]["email"] == EMAIL
    assert tables["lti_tool.ltimembership"][0]["is_learner"] is True
    assert "digest" not in tables["api.apitoken"][0]
    assert tables["api.apitoken"][0]["name"] == "my script"
    assert len(data["xapi_statements"]) >= 2
    assert {row["channel"] for row in data["outbox_messages"]} == {"xapi", LTI_SCORES}
    assert len(data["sessions"]) == 1 and "session_key" not in data["sessions"][0]
    assert len(data["admin_log_about_you"]) == 2
    text = response.content.decode()
    assert "password" not in text and str(scene.client.session.session_key) not in text
    assert str(scene.bob.pk) not in {str(row["learner_id"]) for row in tables["courses.attempt"]}


def _text_columns(model: type[models.Model]) -> list[str]:
    return [field.name for field in model._meta.concrete_fields
            if isinstance(field, CharField | TextField | models.JSONField)]


def _mentions(needle: str) -> list[str]:
    """Every table and text column (JSON included) holding ``needle``, in every app."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for column in _text_columns(model):
            rows = model._default_manager.annotate(_text=Cast(column, TextField()))
            if rows.filter(_text__icontains=needle).exists():
                found.append(f"{model._meta.label_lower}.{column}")
    return found


def test_after_removal_nothing_of_the_person_is_left(scene: Scene) -> None:
    zelda, bob = scene.zelda, scene.bob
    bob_attempts = Attempt.objects.filter(learner=bob).count()
    pseudonym = str(zelda.xapi_pseudonym.name)
    removed = remove_user(zelda.pk)
    assert removed["courses.Attempt"] == 2 and removed["lti_tool.LtiUser"] == 1
    assert not get_user_model().objects.filter(pk=zelda.pk).exists()
    left = {r.label: r.rows(zelda.pk).count() for r in user_references()}
    assert set(left.values()) == {0}, left
    assert session_keys_of(zelda.pk) == []
    assert not any(rows.exists() for rows in sign_in_rows(NAME).values())
    assert not LogEntry.objects.filter(object_repr__icontains=NAME).exists()
    assert not OutboxRow.objects.filter(key__endswith=f":{zelda.pk}:1").exists()
    for needle in (NAME, EMAIL, pseudonym, "Zelda"):
        assert _mentions(needle) == [], needle
    assert Attempt.objects.filter(learner=bob).count() == bob_attempts
    assert SkillState.objects.filter(learner=bob).exists()
    assert bob.xapi_pseudonym.name and OutboxRow.objects.filter(
        payload__actor__account__name=str(bob.xapi_pseudonym.name)).exists()
    assert ModelVersion.objects.filter(training_learners=1).exists()  # aggregate: kept
    assert scene.client.get("/account/data/").status_code == 302  # signed out everywhere


def test_a_teacher_of_a_class_is_not_removed(tess: Any, cohort: Cohort) -> None:
    with pytest.raises(Conflict, match="classes"):
        check_user_removable(tess)
    with pytest.raises(Conflict):
        remove_user(tess.pk)
    assert Cohort.objects.filter(teacher=tess).exists()


def test_an_admin_deletes_a_learner_and_all_their_data(scene: Scene) -> None:
    admin_client = Client()
    admin_client.force_login(get_user_model().objects.get(username="root"))
    url = f"/admin/auth/user/{scene.zelda.pk}/delete/"
    page = admin_client.get(url)
    assert page.status_code == 200 and b"Cannot delete" not in page.content
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not get_user_model().objects.filter(username=NAME).exists()
    assert not LtiUser.objects.filter(email=EMAIL).exists()
    assert not AccessLog.objects.filter(username=NAME).exists()
    assert Attempt.objects.filter(learner=scene.bob).exists()


def test_the_admin_action_deletes_learners_and_refuses_a_teacher(scene: Scene, tess: Any
                                                                  ) -> None:
    admin_client = Client()
    admin_client.force_login(get_user_model().objects.get(username="root"))
    chosen = {"action": "delete_selected", "_selected_action": [scene.zelda.pk, scene.bob.pk]}
    confirm = admin_client.post("/admin/auth/user/", chosen)
    assert confirm.status_code == 200 and b"all their data" in admin_client.get(
        "/admin/auth/user/").content
    assert admin_client.post("/admin/auth/user/", {**chosen, "post": "yes"}).status_code == 302
    assert not get_user_model().objects.filter(pk__in=[scene.zelda.pk, scene.bob.pk]).exists()
    assert not Attempt.objects.exists()
    page = admin_client.post("/admin/auth/user/", {"action": "delete_selected",
                                                    "_selected_action": [tess.pk]})
    assert b"give them to someone else first" in page.content
    assert get_user_model().objects.filter(pk=tess.pk).exists()
