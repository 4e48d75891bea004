"""The load-test command, run briefly against the live test server."""
from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from courses.actions.course_import import import_course
from courses.models import Attempt, Course
from tests.factories import small_course_document


def test_a_short_run_reports_and_checks_every_attempt(live_server: Any,
                                                      transactional_db: Any) -> None:
    course: Course = import_course(small_course_document()).course
    out = StringIO()
    # One learner: the in-memory SQLite test database locks whole tables between threads.
    call_command("load_test", "--url", live_server.url, "--course", course.slug,
                 "--learners", "1", "--seconds", "2", stdout=out)
    report = out.getvalue()
    assert "errors: 0" in report
    assert "every one exactly once" in report
    assert Attempt.objects.filter(learner__username__startswith="load-").exists()


def test_only_loopback_is_a_target(db: Any) -> None:
    with pytest.raises(CommandError, match="loopback"):
        call_command("load_test", "--url", "http://example.invalid:8000", stdout=StringIO())


def test_the_page_benchmark_reports_every_page_against_the_bare_view(
    live_server: Any, transactional_db: Any
) -> None:
    course: Course = import_course(small_course_document()).course
    out = StringIO()
    call_command("bench_pages", "--url", live_server.url, "--course", course.slug,
                 "--rounds", "2", "--learners", "1", "--seconds", "1", "--think-ms", "0",
                 stdout=out)
    report = out.getvalue()
    assert "1 learner:" in report and "1 learners at once:" in report
    for kind in ("bare view", "exercise", "answer POST", "feedback", "path poll", "course",
                 "dashboard"):
        assert f"| {kind} |" in report, kind
    assert "≤ 5×" in report and "≤ 10×" in report
    assert report.count("errors: 0") == 2
    assert Course.objects.get(pk=course.pk).retrain_after_attempts == course.retrain_after_attempts
    assert Attempt.objects.filter(learner__username__startswith="bench-").count() >= 2


def test_the_page_benchmark_only_targets_loopback(db: Any) -> None:
    with pytest.raises(CommandError, match="loopback"):
        call_command("bench_pages", "--url", "http://example.invalid:8000", stdout=StringIO())
