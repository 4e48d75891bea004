from __future__ import annotations

from pathlib import Path

import pytest

from learnpath.seq.formats import (
    FormatError,
    read_akt_pid,
    read_attempts_csv,
    read_qmatrix,
    read_response_matrix,
    read_three_line,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_three_line_reads_sequences_with_trailing_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "kt.csv", "3\n5,7,5,\n1,0,1,\n\n2\n7,9\n0,0\n")
    corpus = read_three_line(path)
    assert [len(sequence) for sequence in corpus.sequences] == [3, 2]
    first = corpus.sequences[0].attempts
    assert [(a.exercise, a.correct) for a in first] == [("5", True), ("7", False), ("5", True)]
    assert corpus.exercise_skills == {"5": ("5",), "7": ("7",), "9": ("9",)}


def test_three_line_uses_the_qmatrix_for_skills(tmp_path: Path) -> None:
    qmatrix = read_qmatrix(write(tmp_path, "q.csv", "1,0,0\n0,1,1\n"))
    corpus = read_three_line(write(tmp_path, "kt.csv", "2\n1,2\n1,0\n"), qmatrix)
    assert corpus.exercise_skills == {"1": ("1",), "2": ("2", "3")}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("3\n5,7\n1,0\n", 2, "2 exercise ids where 3 were expected"),
        ("2\n5,7\n1,2\n", 3, "answer '2' is not 0 or 1"),
        ("2\n5,x\n1,0\n", 2, "id 'x' is not a non-negative integer"),
        ("2\n5,7\n1,0\n2\n5,7\n", 5, "file ends inside a record"),
        ("2\n5,,7\n1,0\n", 2, "empty field"),
    ],
)
def test_three_line_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(FormatError) as caught:
        read_three_line(path)
    assert caught.value.line_number == line
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


AKT_PID = """\
7,1001
10,11,11,12,
3,3,4,5,
1,0,0,1,
8,1002
10,10,12
3,3,5
0,1,1
"""


def test_akt_pid_collapses_a_multi_skill_problem_into_one_attempt(tmp_path: Path) -> None:
    corpus = read_akt_pid(write(tmp_path, "pid.csv", AKT_PID))
    first, second = corpus.sequences
    assert first.learner == "1001"
    assert [a.exercise for a in first.attempts] == ["10", "11", "12"]
    assert corpus.exercise_skills["11"] == ("3", "4")
    # Same problem and skill twice is a real retry, not a repeat: it stays two attempts.
    assert [(a.exercise, a.correct) for a in second.attempts] == [
        ("10", False),
        ("10", True),
        ("12", True),
    ]


def test_akt_pid_keeps_repeats_when_asked(tmp_path: Path) -> None:
    corpus = read_akt_pid(write(tmp_path, "pid.csv", AKT_PID), collapse_repeats=False)
    assert len(corpus.sequences[0]) == 4


def test_akt_pid_reports_mismatched_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "pid.csv", "7,1001\n10,11\n3\n1,0\n")
    with pytest.raises(FormatError, match=r"pid.csv:3: 1 skill ids where 2 were expected"):
        read_akt_pid(path)


def test_akt_pid_needs_a_user_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r":1: expected 'user_index,raw_user_id'"):
        read_akt_pid(write(tmp_path, "pid.csv", "7\n10\n3\n1\n"))


def test_response_matrix_reads_questions_in_column_order(tmp_path: Path) -> None:
    corpus = read_response_matrix(write(tmp_path, "syn.csv", "0,1,1\n1,1,0\n"))
    assert [a.exercise for a in corpus.sequences[1].attempts] == ["0", "1", "2"]
    assert [a.correct for a in corpus.sequences[1].attempts] == [True, True, False]
    with pytest.raises(FormatError, match=r"syn2.csv:2: 2 answers where 3"):
        read_response_matrix(write(tmp_path, "syn2.csv", "0,1,1\n1,1\n"))


ATTEMPTS_HEADER = "learner,exercise,skills,correct,timestamp,new_session\n"


def test_attempts_csv_reads_times_sessions_and_skills(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", ATTEMPTS_HEADER
                  + "a,e1,s1;s2,1,100,1\na,e2,,0,160,0\nb,e1,s1,0,50,1\n\na,e1,s1,1,9000,1\n")
    corpus = read_attempts_csv(path)
    first = corpus.sequences[0]
    assert first.learner == "a" and [x.exercise for x in first.attempts] == ["e1", "e2", "e1"]
    assert [x.timestamp for x in first.attempts] == [100.0, 160.0, 9000.0]
    assert [x.new_session for x in first.attempts] == [True, False, True]
    assert [x.correct for x in first.attempts] == [True, False, True]
    assert corpus.exercise_skills == {"e1": ("s1", "s2"), "e2": ("e2",)}
    short = read_attempts_csv(write(tmp_path, "short.csv", "learner,exercise,skills,correct\n"
                                                             "a,e1,s1,1\n"))
    assert short.sequences[0].attempts[0].timestamp is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("learner,exercise,correct\n", 1, "expected the header"),
        (ATTEMPTS_HEADER + "a,e1,s1,1,100\n", 2, "5 fields, the header has 6"),
        (ATTEMPTS_HEADER + "a,e1,s1,2,100,0\n", 2, "is not 0 or 1"),
        (ATTEMPTS_HEADER + "a,e1,s1,1,soon,0\n", 2, "timestamp: seconds expected"),
        (ATTEMPTS_HEADER + "a,e1,s1,1,100,yes\n", 2, "new_session: 0 or 1 expected"),
        (ATTEMPTS_HEADER + "a,e1,s1,1,100,0\n,e1,s1,1,100,0\n", 3, "learner and exercise"),
        (ATTEMPTS_HEADER + "a,e1,s1,1,100,0\na,e2,s1,1,99,0\n", 3, "in time order"),
    ],
)
def test_attempts_csv_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(FormatError, match=message) as raised:
        read_attempts_csv(path)
    assert raised.value.line_number == line and raised.value.path == path
