"""Importing a CSV log of past attempts: stored in time order as live answers would be (sessions,
charts), idempotent, every problem reported with its line, nothing written unless all is well;
from the admin (size- and row-limited) and from the command; fuzzed."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from courses.actions.attempt_log import AttemptLogError, import_attempt_log, read_attempt_log
from courses.actions.attempts import record_attempt
from courses.models import Attempt, Course, Enrollment, Exercise, SkillState, StudySession

T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)
HEADER = "learner,exercise,submitted_at,answer,correct\n"


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


GOOD = HEADER + "".join([
    f"alice,halves-choice,{_at(0)},1/2,\n",
    f"alice,quarters-numeric,{_at(2)},0.7,0\n",
    f"alice,halves-multi,{_at(1)},2/4|3/6,1\n",       # out of order in the file: sorted
    f"alice,quarters-text,{_at(600)},,1\n",           # a new session (10 hours later)
    f"newbie,quarters-numeric,{_at(5)},,0\n",
    f"newbie,adding-numeric,{_at(6)},3/4,\n",
])


def _import(course: Course, text: str, **options: Any) -> Any:
    create = options.pop("create_learners", False)
    rows = read_attempt_log(text.encode(), course, create_learners=create, **options)
    return import_attempt_log(course, rows, create_learners=create)


def _snapshot() -> tuple[Any, ...]:
    return (list(Attempt.objects.values_list("id", "correct")),
            list(get_user_model().objects.values_list("username", flat=True)),
            Enrollment.objects.count(), StudySession.objects.count(), SkillState.objects.count())


def test_a_log_is_stored_in_time_order_with_sessions_and_charts(
    course: Course, alice: Any
) -> None:
    summary = _import(course, GOOD, create_learners=True)
    assert (summary.learners, summary.imported, summary.already_stored,
            summary.created_learners) == (2, 6, 0, 1)
    attempts = list(Attempt.objects.filter(learner=alice).select_related("exercise"))
    assert [a.exercise.key for a in attempts] == ["halves-choice", "halves-multi",
                                                  "quarters-numeric", "quarters-text"]
    assert [a.correct for a in attempts] == [True, True, False, True]
    assert [a.session.number for a in attempts] == [1, 1, 1, 2]
    assert attempts[0].submitted_at == T0
    newbie = get_user_model().objects.get(username="newbie")
    assert not newbie.has_usable_password()
    assert Enrollment.objects.filter(learner=newbie, course=course).exists()
    assert [a.correct for a in Attempt.objects.filter(learner=newbie)] == [False, True]
    assert SkillState.objects.filter(learner=alice, course=course, attempts__gt=0).exists()


def test_model_state_and_retraining_follow_once_per_learner(
    course: Course, alice: Any, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from courses.actions import attempt_log, attempts

    followed: list[Attempt] = []
    per_row: list[Attempt] = []
    monkeypatch.setattr(attempt_log, "follow_up_attempt", followed.append)
    monkeypatch.setattr(attempts, "follow_up_attempt", per_row.append)
    with django_capture_on_commit_callbacks(execute=True):
        _import(course, GOOD, create_learners=True)
    assert per_row == []
    assert sorted((a.learner.username, a.exercise.key) for a in followed) == [
        ("alice", "quarters-text"), ("newbie", "adding-numeric")]


def test_importing_the_same_log_again_stores_nothing_twice(course: Course, alice: Any) -> None:
    _import(course, GOOD, create_learners=True)
    before = _snapshot()
    summary = _import(course, GOOD, create_learners=True)
    assert (summary.imported, summary.already_stored, summary.created_learners) == (0, 6, 0)
    assert _snapshot() == before


def test_the_same_instant_in_another_zone_is_the_same_row(course: Course, alice: Any) -> None:
    _import(course, GOOD, create_learners=True)
    shifted = GOOD.replace(_at(0), (T0.astimezone(timezone.get_fixed_timezone(90))).isoformat())
    assert shifted != GOOD
    summary = _import(course, shifted, create_learners=True)
    assert (summary.imported, summary.already_stored) == (0, 6)


def test_a_log_extends_history_and_never_rewrites_it(course: Course, enrolled_alice: Any) -> None:
    exercise = Exercise.objects.get(course=course, key="quarters-numeric")
    record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                   client_id=uuid.uuid4(), submitted_at=T0 + timedelta(minutes=3))
    before = _snapshot()
    with pytest.raises(AttemptLogError) as raised:
        _import(course, GOOD, create_learners=True)
    assert any(problem.startswith("line 2: ") and "not after alice's latest stored attempt"
               in problem for problem in raised.value.problems), raised.value.problems
    assert _snapshot() == before
    later = HEADER + f"alice,quarters-text,{_at(4)},a quarter,\n"
    assert _import(course, later).imported == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER + f"alice,nope,{_at(0)},,1\n",
         "line 2: exercise: no exercise 'nope' in this course"),
        (HEADER + f"alice,adding-old,{_at(0)},,1\n", "line 2: exercise: adding-old is retired"),
        (HEADER + "alice,quarters-text,yesterday,,1\n",
         "line 2: submitted_at: 'yesterday' is not an ISO 8601 time"),
        (HEADER + f"alice,quarters-text,{(timezone.now() + timedelta(days=1)).isoformat()},,1\n",
         "line 2: submitted_at: in the future"),
        ("learner,exercise,submitted_at,started_at,correct\n"
         f"alice,quarters-text,{_at(0)},{_at(1)},1\n", "line 2: started_at: after submitted_at"),
        (HEADER + f"alice,quarters-numeric,{_at(0)},0.75,0\n",
         "line 2: answer: '0.75' is right but correct says 0"),
        (HEADER + f"alice,halves-choice,{_at(0)},1/4,\n",
         "line 2: answer: '1/4' is not an option of halves-choice"),
        (HEADER + f"alice,quarters-numeric,{_at(0)},,maybe\n",
         "line 2: correct: 'maybe' is not 1/0, true/false or yes/no"),
        (HEADER + f"alice,quarters-numeric,{_at(0)},,\n",
         "line 2: answer or correct: one of them is needed"),
        (HEADER + f"alice,quarters-numeric,{_at(0)},,1,extra\n",
         "line 2: 6 fields, the header has 5"),
        (HEADER + f"alice,quarters-text,{_at(0)},,1\nghost,quarters-text,{_at(1)},,1\n",
         "line 3: no user 'ghost'"),
        ("learner,exercise,when,correct\n", "line 1: missing column(s) submitted_at"),
        ("learner,exercise,submitted_at,score\n", "line 1: unknown column(s) 'score'"),
        ("learner,exercise,submitted_at\n", "an 'answer' or a 'correct' column is needed"),
        (HEADER, "The file has a header but no rows."),
        ("", "The file is empty: a header row is needed."),
        ("learner,exercise\x00", "NUL"),
    ],
)
def test_bad_logs_say_where_and_change_nothing(
    course: Course, enrolled_alice: Any, text: str, expected: str
) -> None:
    before = _snapshot()
    with pytest.raises(AttemptLogError) as raised:
        _import(course, text)
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems
    assert _snapshot() == before


def test_accounts_that_are_not_learners_are_refused(course: Course, alice: Any) -> None:
    get_user_model().objects.create_user(username="tina", is_staff=True)
    get_user_model().objects.create_user(username="gone", is_active=False)
    text = HEADER + f"tina,quarters-text,{_at(0)},,1\ngone,quarters-text,{_at(1)},,1\n" \
        + f"ALICE,quarters-text,{_at(2)},,1\n"
    before = _snapshot()
    with pytest.raises(AttemptLogError) as raised:
        _import(course, text, create_learners=True)
    assert raised.value.problems == [
        "line 2: 'tina' is a staff account, not a learner",
        "line 3: 'gone' is an inactive account, not a learner",
        "line 4: 'ALICE' would be a new account next to 'alice'; use that name",
    ]
    assert _snapshot() == before


def test_only_correct_is_refused_when_no_such_answer_exists(course: Course, alice: Any) -> None:
    # The stand-in wrong answer ("not sure") is accepted here: storing it would flip the row.
    Exercise.objects.filter(course=course, key="quarters-text").update(
        accepted_answers=["one quarter", "not sure"])
    with pytest.raises(AttemptLogError, match="quarters-text has no wrong answer to store"):
        _import(course, HEADER + f"alice,quarters-text,{_at(0)},,0\n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0001-01-01T00:30:00+01:00", "is before 1970"),
     ("2026-10-25T02:30:00", "happens twice in the site's time zone"),
     ("2026-03-29T02:30:00", "does not exist in the site's time zone")],
)
def test_times_that_cannot_be_placed_are_refused(
    course: Course, alice: Any, settings: Any, value: str, expected: str
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    with pytest.raises(AttemptLogError, match=expected):
        _import(course, HEADER + f"alice,quarters-text,{value},,1\n")


def test_an_answer_given_while_the_log_was_checked_stops_the_import(
    course: Course, enrolled_alice: Any,
) -> None:
    rows = read_attempt_log(GOOD.encode(), course, create_learners=True)
    exercise = Exercise.objects.get(course=course, key="quarters-numeric")
    record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                   client_id=uuid.uuid4(), submitted_at=T0 + timedelta(minutes=3))
    before = _snapshot()
    with pytest.raises(AttemptLogError, match="after this row was checked"):
        import_attempt_log(course, rows, create_learners=True)
    assert _snapshot() == before


def test_a_refusal_while_writing_is_clear_and_leaves_nothing(
    course: Course, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from courses.actions import attempt_log
    from courses.errors import Conflict

    rows = read_attempt_log(GOOD.encode(), course, create_learners=True)
    real, calls = attempt_log.record_attempt, []

    def third_is_refused(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 3:
            raise Conflict("This submission id was already used for another exercise.")
        return real(**kwargs)

    monkeypatch.setattr(attempt_log, "record_attempt", third_is_refused)
    before = _snapshot()
    with pytest.raises(AttemptLogError, match=r"\(nothing was written\): This submission"):
        import_attempt_log(course, rows, create_learners=True)
    assert _snapshot() == before


def test_every_problem_is_listed_up_to_a_bound(course: Course, enrolled_alice: Any) -> None:
    text = HEADER + "".join(f"alice,nope{n},{_at(n)},,1\n" for n in range(80))
    with pytest.raises(AttemptLogError) as raised:
        _import(course, text)
    problems = raised.value.problems
    assert len(problems) == 51 and problems[-1] == "… and 30 more problems"
    assert problems[0].startswith("line 2: ") and problems[49].startswith("line 51: ")


def test_bytes_that_are_not_utf8_are_refused(course: Course) -> None:
    with pytest.raises(AttemptLogError, match="not UTF-8"):
        read_attempt_log(HEADER.encode() + b"\xff\xfe", course)


def test_new_usernames_must_be_valid_when_learners_are_created(course: Course) -> None:
    with pytest.raises(AttemptLogError, match="cannot be a username"):
        _import(course, HEADER + f"bad name!,quarters-text,{_at(0)},,1\n", create_learners=True)
    assert not get_user_model().objects.exists()


def test_a_row_limit_points_to_the_command(course: Course, enrolled_alice: Any) -> None:
    text = HEADER + "".join(f"alice,quarters-text,{_at(n)},,1\n" for n in range(4))
    with pytest.raises(AttemptLogError, match="More than 3 rows: import larger logs with"):
        _import(course, text, max_rows=3)


@pytest.fixture
def root_client(root: Any) -> Client:
    client = Client()
    client.force_login(root)
    return client


def _upload(client: Client, course: Course, content: bytes, **data: Any) -> Any:
    url = reverse("admin:courses_course_import_attempts", args=[course.pk])
    return client.post(url, {"file": SimpleUploadedFile("log.csv", content), **data})


def test_admin_upload_imports_a_good_log(root_client: Client, course: Course, alice: Any) -> None:
    url = reverse("admin:courses_course_import_attempts", args=[course.pk])
    assert "learner, exercise" in root_client.get(url).content.decode()
    response = _upload(root_client, course, GOOD.encode(), create_learners="on")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Mini fractions: 6 attempts of 2 learners imported, 0 already stored, "
                        "1 learner accounts created."]
    assert Attempt.objects.count() == 6


def test_admin_upload_of_a_bad_log_is_400_and_changes_nothing(
    root_client: Client, course: Course, alice: Any, settings: Any
) -> None:
    before = _snapshot()
    response = _upload(root_client, course, GOOD.encode())  # newbie is unknown
    assert response.status_code == 400
    assert "line 6: no user &#x27;newbie&#x27;" in response.content.decode()
    settings.COURSE_IMPORT_MAX_BYTES = 100
    response = _upload(root_client, course, GOOD.encode(), create_learners="on")
    assert response.status_code == 400
    assert "the limit is 100 bytes" in response.content.decode()
    settings.COURSE_IMPORT_MAX_BYTES, settings.ATTEMPT_LOG_WEB_MAX_ROWS = 10_000, 2
    response = _upload(root_client, course, GOOD.encode(), create_learners="on")
    assert response.status_code == 400 and "More than 2 rows" in response.content.decode()
    response = root_client.post(
        reverse("admin:courses_course_import_attempts", args=[course.pk]), {})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert _snapshot() == before


def test_admin_upload_for_an_unknown_course_is_404(root_client: Client) -> None:
    url = reverse("admin:courses_course_import_attempts", args=[987654])
    assert root_client.get(url).status_code == 404


def test_command_imports_and_refuses_with_the_problems(
    course: Course, alice: Any, tmp_path: Path
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="line 6: no user 'newbie'"):
        call_command("import_attempts", "mini", str(path))
    assert not Attempt.objects.exists()
    call_command("import_attempts", "mini", str(path), "--create-learners")
    assert Attempt.objects.count() == 6
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_attempts", "mini", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="No course 'nope'"):
        call_command("import_attempts", "nope", str(path))


@contextmanager
def _rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


CELLS = st.one_of(
    st.sampled_from(["alice", "bob", "newbie", "halves-choice", "halves-multi",
                     "quarters-numeric", "quarters-text", "adding-old", "0.75", "3/4", "1/2",
                     "2/4|3/6", "1", "0", "yes", "", " ", _at(0), _at(1), _at(-1),
                     "2999-01-01T00:00:00", "2026-13-40", '"', "\r", "\n", "\x00", "é"]),
    st.text(max_size=12),
)
LOG_FILES = st.one_of(
    st.lists(st.lists(CELLS, min_size=0, max_size=7), max_size=6).map(
        lambda rows: (HEADER + "\n".join(",".join(row) for row in rows)).encode("utf-8", "replace")
    ),
    st.binary(max_size=300),
    st.lists(st.sampled_from(["learner", "exercise", "submitted_at", "answer", "correct",
                              "started_at", "hint_used", "x", ""]), max_size=8).map(
        lambda header: (",".join(header) + f"\nalice,quarters-text,{_at(0)},1,1,,0\n").encode()),
)


@example(raw=GOOD.encode())
@example(raw=(HEADER + f'alice,quarters-text,{_at(0)},"one\nquarter",\n').encode())
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=LOG_FILES)
def test_any_file_is_imported_or_refused_without_a_trace(
    raw: bytes, course: Course, enrolled_alice: Any, enrolled_bob: Any
) -> None:
    before = _snapshot()
    with _rolled_back():
        try:
            rows = read_attempt_log(raw, course, create_learners=True)
            summary = import_attempt_log(course, rows, create_learners=True)
        except AttemptLogError as error:
            event("refused")
            assert error.problems and all(isinstance(p, str) and p for p in error.problems)
            assert _snapshot() == before
        else:
            event("imported")
            assert summary.imported + summary.already_stored == len(rows)
            assert Attempt.objects.count() == len(before[0]) + summary.imported
    assert _snapshot() == before


def test_times_without_a_zone_are_in_the_site_zone(course: Course, enrolled_alice: Any) -> None:
    naive = (T0.astimezone(timezone.get_current_timezone()).replace(tzinfo=None)).isoformat()
    _import(course, HEADER + f"alice,quarters-text,{naive},,1\n")
    assert Attempt.objects.get().submitted_at == T0
