"""The researcher export: a course's answers under pseudonyms, in the formats the benchmark
reads, read back by the benchmark's own reader; the download for the course's teachers."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from courses.actions.enrolment import enrol
from courses.models import Cohort, Course
from learnpath.bench.runner import load_folds
from learnpath.seq.exports import pseudonymised
from learnpath.seq.formats import read_attempts_csv, read_three_line
from learnpath.seq.records import Attempt, LearnerSequence
from tests.factories import answer


@pytest.fixture
def answers(course: Course, cohort: Cohort, other_cohort: Cohort, alice: Any, bob: Any) -> Course:
    start = timezone.now() - timedelta(days=3)
    for learner in (alice, bob):
        enrol(learner, course)
        answer(learner, course, "halves-choice", False, at=start)
        answer(learner, course, "halves-choice", True, at=start + timedelta(minutes=1))
        answer(learner, course, "adding-numeric", True, at=start + timedelta(days=1))
    return course


def _export(course: Course, data_format: str, path: Path) -> str:
    out = io.StringIO()
    call_command("export_research", course.slug, str(path), "--format", data_format, stdout=out)
    return out.getvalue()


def test_the_csv_reads_back_with_the_benchmarks_reader(answers: Course, alice: Any,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "attempts.csv"
    assert "6 attempts of 2 learners" in _export(answers, "csv", path)
    corpus = read_attempts_csv(path)
    assert sorted(len(sequence) for sequence in corpus.sequences) == [3, 3]
    first = corpus.sequences[0].attempts
    assert [a.exercise for a in first] == ["halves-choice", "halves-choice", "adding-numeric"]
    assert [a.correct for a in first] == [False, True, True]
    assert first[0].timestamp == 0.0 and first[1].timestamp == 60.0  # since the first answer
    assert [a.new_session for a in first] == [True, False, True]  # a day later: a new session
    assert corpus.exercise_skills["adding-numeric"] == ("adding", "quarters")
    folds, skills = load_folds("attempts-csv", [path], "", None, True, 0)
    assert sum(len(fold) for fold in folds.values()) == 2 and skills
    text = path.read_text()
    assert "alice" not in text and "bob" not in text
    assert {s.learner for s in corpus.sequences}.isdisjoint({str(alice.pk), "alice"})


def test_the_three_line_file_reads_back_and_pseudonyms_change_per_export(
        answers: Course, tmp_path: Path) -> None:
    path = tmp_path / "kt.txt"
    _export(answers, "3line", path)
    corpus = read_three_line(path)
    assert sorted(len(sequence) for sequence in corpus.sequences) == [3, 3]
    folds, _ = load_folds("three-line", [path], "", None, True, 0)
    assert sum(len(fold) for fold in folds.values()) == 2
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    _export(answers, "csv", first)
    _export(answers, "csv", second)
    names = [{s.learner for s in read_attempts_csv(p).sequences} for p in (first, second)]
    assert names[0].isdisjoint(names[1])


def test_the_command_refuses_a_bad_course_format_or_path(answers: Course, tmp_path: Path
                                                         ) -> None:
    with pytest.raises(CommandError, match="No course"):
        call_command("export_research", "nope", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError):
        call_command("export_research", answers.slug, str(tmp_path / "x"), "--format", "xml")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_research", answers.slug, str(tmp_path / "no" / "x.csv"))


def test_pseudonyms_are_stable_within_an_export_and_sorted() -> None:
    sequences = [LearnerSequence(str(n), (Attempt("e", True, 100.0 + n),)) for n in range(5)]
    renamed = pseudonymised(sequences, b"k" * 32)
    assert [s.learner for s in renamed] == sorted(s.learner for s in renamed)
    assert pseudonymised(sequences, b"k" * 32) == renamed
    assert {s.learner for s in pseudonymised(sequences, b"j" * 32)}.isdisjoint(
        {s.learner for s in renamed})


def _download(user: Any, course: Course, data_format: str = "csv") -> Any:
    client = Client()
    client.force_login(user)
    return client.get(f"/teach/courses/{course.slug}/research-export/?format={data_format}")


def test_a_teacher_downloads_their_classes_learners_only(answers: Course, tess: Any, ted: Any,
                                                        root: Any, alice: Any,
                                                        tmp_path: Path) -> None:
    def learners(response: Any) -> int:
        path = tmp_path / "d.csv"
        path.write_bytes(response.content)
        return len(read_attempts_csv(path).sequences)

    response = _download(tess, answers)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert learners(response) == 1 and learners(_download(ted, answers)) == 1
    assert learners(_download(root, answers)) == 2
    three = _download(root, answers, "3line")
    assert three.status_code == 200 and three.content.count(b"\n") == 6
    assert _download(root, answers, "xml").status_code == 400
    assert _download(alice, answers).status_code == 403


def test_the_class_list_links_the_export(answers: Course, tess: Any) -> None:
    client = Client()
    client.force_login(tess)
    page = client.get("/teach/")
    assert f'href="/teach/courses/{answers.slug}/research-export/?format=3line"'.encode() \
        in page.content
