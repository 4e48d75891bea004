"""The simulated session log for the benchmark: written from a course document, read back by the
attempts-CSV reader with times and session starts."""
from __future__ import annotations

import json
from pathlib import Path

from learnpath.scripts.simulated_log import course_from_document, main
from learnpath.seq.formats import read_attempts_csv
from tests.factories import small_course_document


def test_simulated_log_has_sessions_and_times_and_reads_back(tmp_path: Path) -> None:
    document = small_course_document()
    course = course_from_document(document)
    assert "adding-old" not in {exercise.key for exercise in course.exercises}  # retired
    path = tmp_path / "course.json"
    path.write_text(json.dumps(document))
    out = tmp_path / "log.csv"
    assert main(["--course", str(path), "--learners", "6", "--sessions", "2", "3",
                 "--attempts-per-session", "3", "5", "--out", str(out)]) == 0
    corpus = read_attempts_csv(out)
    assert len(corpus.sequences) == 6
    for sequence in corpus.sequences:
        flags = [attempt.new_session for attempt in sequence.attempts]
        assert flags[0] and 2 <= sum(flags) <= 3
        times = [attempt.timestamp for attempt in sequence.attempts]
        assert times == sorted(times)
    assert corpus.exercise_skills["adding-numeric"] == ("adding", "quarters")
