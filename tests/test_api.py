"""The REST API (``/api/v1/``): tokens, access per role, the attempt submission's idempotency,
CSRF for session clients, throttling, paging, import/export and retraining, and the docs page."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from courses.api.main import api
from courses.api.models import ApiToken
from courses.api.tokens import digest_of, issue_token
from courses.models import Attempt, Choice, Course, Exercise, SkillState, TrainingRun
from tests.factories import answer, small_course_document

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, 'tests').secret}"}


def get(user: Any, path: str, **params: Any) -> Any:
    return Client().get(API + path, params, **bearer(user))


def post(user: Any, path: str, body: Any) -> Any:
    return Client().post(API + path, json.dumps(body), content_type="application/json",
                         **bearer(user))


# ---------------------------------------------------------------- tokens


def test_a_token_is_stored_only_as_a_digest_and_authenticates_its_user(alice: Any) -> None:
    made = issue_token(alice, "my script")
    stored = ApiToken.objects.get()
    assert stored.digest == digest_of(made.secret)
    assert made.secret not in stored.prefix + stored.digest
    response = Client().get(f"{API}/courses", HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize("spoil", ["revoked", "expired", "inactive", "garbled"])
def test_a_spoilt_token_authenticates_nobody(alice: Any, spoil: str) -> None:
    made = issue_token(alice, "my script")
    secret = made.secret
    if spoil == "revoked":
        ApiToken.objects.update(revoked_at=timezone.now())
    elif spoil == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "inactive":
        alice.is_active = False
        alice.save()
    else:
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    response = Client().get(f"{API}/courses", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_tokens_are_made_listed_and_revoked_by_their_user_only(alice: Any, bob: Any) -> None:
    made = post(alice, "/tokens", {"name": "grading script"})
    assert made.status_code == 201
    secret, token_id = made.json()["token"], made.json()["id"]
    listed = get(alice, "/tokens").json()
    assert {t["name"] for t in listed} == {"tests", "grading script"}
    assert all("token" not in t for t in listed)  # the secret is shown once only
    assert Client().delete(f"{API}/tokens/{token_id}", **bearer(bob)).status_code == 404
    revoked = Client().delete(f"{API}/tokens/{token_id}", **bearer(alice))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert Client().get(f"{API}/courses", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_a_token_with_an_empty_name_or_a_past_expiry_is_refused(alice: Any) -> None:
    assert post(alice, "/tokens", {"name": ""}).status_code == 422
    past = (timezone.now() - timedelta(days=1)).isoformat()
    refused = post(alice, "/tokens", {"name": "old", "expires_at": past})
    assert refused.status_code == 400 and "future" in refused.json()["detail"]


def test_the_tokens_page_shows_a_new_token_once_and_revokes(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    response = client.post("/account/api-tokens/new/", {"name": "notebook"}, follow=True)
    token = ApiToken.objects.get(user=alice)
    secret = response.context["secret"]
    assert secret.startswith(token.prefix) and digest_of(secret) == token.digest
    assert client.get("/account/api-tokens/").context["secret"] is None  # not shown twice
    client.post(f"/account/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    bad = client.post("/account/api-tokens/new/", {"name": "x", "expires": "31/12/2030"})
    assert bad.status_code == 400


# ---------------------------------------------------------------- what each role sees


def test_anonymous_gets_401_and_the_docs_are_public(course: Course) -> None:
    assert Client().get(f"{API}/courses").status_code == 401
    docs = Client().get(f"{API}/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    schema = Client().get(f"{API}/openapi.json").json()
    assert schema["info"]["title"] == "learnpath API"
    assert f"{API}/courses/{{slug}}/attempts" in schema["paths"]


def test_learners_read_exercises_without_answers_and_teachers_with(
        course: Course, cohort: Any, other_cohort: Any, alice: Any, bob: Any, tess: Any,
        root: Any) -> None:
    for learner in (alice, bob):
        exercises = get(learner, "/courses/mini/exercises").json()
        assert {e["key"] for e in exercises} == {e.key for e in course.exercises.filter(
            status="active")}
        assert all(e["solution"] is None and e["answer"] is None and e["accepted"] is None
                   and all(c["correct"] is None for c in e["choices"]) for e in exercises)
    for teacher in (tess, root):
        numeric = get(teacher, "/courses/mini/exercises/quarters-numeric").json()
        assert numeric["answer"] == "0.75" and numeric["solution"] == "0.75"
        choice = get(teacher, "/courses/mini/exercises/halves-choice").json()
        assert [c["correct"] for c in choice["choices"]] == [True, False, False]
    with_retired = get(tess, "/courses/mini/exercises", include_retired="true").json()
    assert "adding-old" in {e["key"] for e in with_retired}


def test_someone_not_enrolled_cannot_read_exercises_charts_or_paths(course: Course) -> None:
    from tests.conftest import _user

    stranger = _user("stranger")
    assert get(stranger, "/courses/mini").json()["enrolled"] is False
    assert len(get(stranger, "/courses/mini/skills").json()) == 3
    for path in ("/courses/mini/exercises", "/courses/mini/chart", "/courses/mini/path",
                 "/courses/mini/attempts", "/courses/mini/export"):
        assert get(stranger, path).status_code == 403, path
    assert get(stranger, "/courses/nope").status_code == 404


def test_skills_carry_their_prerequisites(course: Course, alice: Any) -> None:
    skills = {s["key"]: s for s in get(alice, "/courses/mini/skills").json()}
    assert skills["adding"]["prerequisites"] == ["quarters"]
    assert skills["halves"]["prerequisites"] == []


# ---------------------------------------------------------------- attempts


def test_an_attempt_is_stored_once_per_client_id_and_updates_the_chart(
        course: Course, cohort: Any, alice: Any) -> None:
    client_id = str(uuid.uuid4())
    body = {"exercise": "quarters-numeric", "answer": "0.75", "client_id": client_id}
    first = post(alice, "/courses/mini/attempts", body)
    assert first.status_code == 201
    assert first.json()["correct"] is True and first.json()["right_answer"] == "0.75"
    again = post(alice, "/courses/mini/attempts", {**body, "answer": "12"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert Attempt.objects.count() == 1
    assert SkillState.objects.get(learner=alice, skill__key="quarters").attempts == 1
    other = post(alice, "/courses/mini/attempts", {**body, "exercise": "quarters-text"})
    assert other.status_code == 409
    chart = {row["key"]: row for row in get(alice, "/courses/mini/chart").json()["skills"]}
    assert chart["quarters"]["attempts"] == 1 and chart["quarters"]["correct"] == 1


def test_choice_attempts_take_option_ids(course: Course, cohort: Any, alice: Any) -> None:
    right = Choice.objects.get(exercise__key="halves-choice", is_correct=True)
    made = post(alice, "/courses/mini/attempts", {"exercise": "halves-choice",
                                                  "answer": [right.pk],
                                                  "client_id": str(uuid.uuid4())})
    assert made.status_code == 201 and made.json()["correct"] is True


@pytest.mark.parametrize("body, status", [
    ({"exercise": "nope", "answer": "1"}, 404),
    ({"exercise": "halves-choice", "answer": [999999]}, 400),
    ({"exercise": "quarters-numeric", "answer": "x" * 501}, 422),
    ({"exercise": "adding-old", "answer": "0.5"}, 400),
    ({"exercise": "quarters-numeric"}, 422),
])
def test_bad_attempts_get_a_4xx_and_store_nothing(course: Course, cohort: Any, alice: Any,
                                                  body: dict[str, Any], status: int) -> None:
    response = post(alice, "/courses/mini/attempts", {**body, "client_id": str(uuid.uuid4())})
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert Attempt.objects.count() == 0


def test_a_learner_outside_the_course_cannot_submit(course: Course, tess: Any) -> None:
    body = {"exercise": "quarters-numeric", "answer": "0.75", "client_id": str(uuid.uuid4())}
    assert post(tess, "/courses/mini/attempts", body).status_code == 403


def test_a_session_client_needs_the_csrf_token_for_unsafe_methods(
        course: Course, cohort: Any, alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"{API}/courses/mini/chart").status_code == 200  # reading needs none
    body = json.dumps({"exercise": "quarters-numeric", "answer": "0.75",
                       "client_id": str(uuid.uuid4())})
    refused = client.post(f"{API}/courses/mini/attempts", body, content_type="application/json")
    assert refused.status_code == 403 and Attempt.objects.count() == 0
    client.get("/account/api-tokens/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(f"{API}/courses/mini/attempts", body, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_attempts_come_a_page_at_a_time_and_filter_by_date(
        course: Course, cohort: Any, other_cohort: Any, alice: Any, bob: Any, root: Any
) -> None:
    start = timezone.now() - timedelta(days=3)
    for day in range(3):
        for number in range(2):
            answer(alice, course, "quarters-numeric", right=bool(number),
                   at=start + timedelta(days=day, minutes=number))
    answer(bob, course, "quarters-text", right=True)
    first = get(alice, "/courses/mini/attempts", limit=4).json()
    assert len(first["items"]) == 4 and first["next_after"] == first["items"][-1]["id"]
    rest = get(alice, "/courses/mini/attempts", limit=4, after=first["next_after"]).json()
    assert len(rest["items"]) == 2 and rest["next_after"] is None
    assert {row["learner"] for row in first["items"] + rest["items"]} == {"alice"}
    assert first["items"][0]["skills"] == ["quarters"]
    since = (start + timedelta(days=1)).isoformat()
    assert len(get(alice, "/courses/mini/attempts", since=since).json()["items"]) == 4
    assert len(get(root, "/courses/mini/attempts").json()["items"]) == 7
    assert get(alice, "/courses/mini/attempts", limit=0).status_code == 422
    # PostgreSQL takes offsets up to ±15:59 only; ISO 8601 times with any offset are read in UTC
    far = (start + timedelta(days=1)).astimezone(dt_timezone(timedelta(hours=-23, minutes=-6)))
    assert len(get(alice, "/courses/mini/attempts", since=far.isoformat()).json()["items"]) == 4
    overflowing = get(alice, "/courses/mini/attempts", until="9999-12-31T23:00:00-05:00")
    assert overflowing.status_code == 422 and "9999" in overflowing.json()["problems"][0]


# ---------------------------------------------------------------- teachers


def test_a_teacher_reads_their_class_and_nobody_else_does(
        course: Course, cohort: Any, other_cohort: Any, alice: Any, tess: Any, ted: Any,
        root: Any) -> None:
    answer(alice, course, "quarters-numeric", right=False)
    assert [c["id"] for c in get(tess, "/classes").json()] == [cohort.pk]
    assert get(alice, "/classes").json() == []
    assert len(get(root, "/classes").json()) == 2
    dashboard = get(tess, f"/classes/{cohort.pk}/dashboard").json()
    assert [row["username"] for row in dashboard["learners"]] == ["alice"]
    assert [cell["skill"] for cell in dashboard["learners"][0]["skills"]] == [
        "halves", "quarters", "adding"]
    assert dashboard["help_rule"]
    assert get(tess, f"/classes/{cohort.pk}/learners/{alice.pk}/chart").status_code == 200
    assert get(tess, f"/classes/{cohort.pk}/learners/{alice.pk}/path").status_code == 200
    assert len(get(tess, f"/classes/{cohort.pk}/attempts").json()["items"]) == 1
    for user in (ted, alice):
        assert get(user, f"/classes/{cohort.pk}/dashboard").status_code == 403
        assert get(user, f"/classes/{cohort.pk}/attempts").status_code == 403
    bob_id = other_cohort.learners.get().pk
    assert get(tess, f"/classes/{cohort.pk}/learners/{bob_id}/chart").status_code == 403
    assert get(tess, "/classes/999999/dashboard").status_code == 404


def test_the_path_is_served_with_its_steps(course: Course, cohort: Any, alice: Any) -> None:
    path = get(alice, "/courses/mini/path").json()
    if path["ready"]:
        assert path["steps"] and all(step["reason"] for step in path["steps"])
        assert all(0 <= step["predicted_success"] <= 1 for step in path["steps"])
    else:
        assert path["steps"] == []


# ---------------------------------------------------------------- import, export, retraining


def test_export_then_import_round_trips_and_only_admins_import(
        course: Course, cohort: Any, alice: Any, tess: Any, root: Any) -> None:
    document = get(tess, "/courses/mini/export").json()
    assert document["course"]["slug"] == "mini"
    assert get(alice, "/courses/mini/export").status_code == 403
    assert post(tess, "/courses", document).status_code == 403
    document["course"]["slug"] = "mini-copy"
    made = post(root, "/courses", document)
    assert made.status_code == 201 and made.json()["exercises"] == 6
    assert post(root, "/courses", document).status_code == 200
    broken = small_course_document(slug="broken")
    broken["skills"][1]["prerequisites"] = ["nowhere"]
    refused = post(root, "/courses", broken)
    assert refused.status_code == 400 and refused.json()["problems"]
    assert not Course.objects.filter(slug="broken").exists()
    assert post(root, "/courses", ["not", "a", "course"]).status_code == 422
    not_json = Client().post(f"{API}/courses", b"\xff{", content_type="application/json",
                             **bearer(root))
    assert not_json.status_code == 400 and not_json.json()["problems"]
    assert Course.objects.filter(slug="mini-copy").exists()


def test_admins_start_a_retraining_run_once_and_read_its_status(
        course: Course, alice: Any, tess: Any, root: Any) -> None:
    started = post(root, "/courses/mini/training-runs", {})
    assert started.status_code == 201 and started.json()["status"] == "queued"
    again = post(root, "/courses/mini/training-runs", {})
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"]
    assert TrainingRun.objects.count() == 1
    status = get(root, f"/training-runs/{started.json()['id']}").json()
    assert status["course"] == "mini" and status["trigger"] == "admin"
    for user in (alice, tess):
        assert post(user, "/courses/mini/training-runs", {}).status_code == 403
        assert get(user, f"/training-runs/{started.json()['id']}").status_code == 403


# ---------------------------------------------------------------- throttling


def test_a_user_over_the_rate_gets_429_with_retry_after(course: Course, alice: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    user_throttle = next(t for t in api.throttle if t.scope == "user")  # type: ignore[union-attr]
    monkeypatch.setattr(user_throttle, "num_requests", 3)
    headers = bearer(alice)
    codes = [Client().get(f"{API}/courses", **headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = Client().get(f"{API}/courses", **headers)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


def test_exercise_keys_are_read_as_stored(course: Course, cohort: Any, alice: Any) -> None:
    assert Exercise.objects.filter(course=course, key="halves-choice").exists()
    assert get(alice, "/courses/mini/exercises/halves-choice").json()["several_options"] is False
    assert get(alice, "/courses/mini/exercises/halves-multi").json()["several_options"] is True
