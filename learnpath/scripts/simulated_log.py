"""Simulated learners with sessions and times, written as an attempts CSV for the benchmark.

The public benchmark files carry no timestamps or sessions, so the time-gap and new-session
inputs and the session-level layer of the sequence model are measured on learners of
:mod:`learnpath.sim` (latent knowledge per skill, forgetting between sessions, sessions of
varying length and spacing) practising a course given as a learnpath-course JSON document, e.g.
the demo course. Pure engine code: no database.

Run: ``python -m learnpath.scripts.simulated_log --course courses/demo/fractions_course.json
--learners 1000 --out bench-out/simulated.csv``, then ``python -m learnpath.bench --format
attempts-csv --data bench-out/simulated.csv ...``.
"""
from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from learnpath.seq.formats import ATTEMPT_COLUMNS
from learnpath.sim import SimCourse, SimExercise, SimSkill, simulate_population


def course_from_document(document: dict) -> SimCourse:
    skills = tuple(SimSkill(skill["key"], tuple(skill.get("prerequisites", ())))
                   for skill in document["skills"])
    exercises = tuple(
        SimExercise(item["key"], tuple(item["skills"]), int(item.get("difficulty", 3)))
        for item in document["exercises"]
        if item.get("status", "active") == "active" and item.get("skills")
    )
    return SimCourse(skills=skills, exercises=exercises)


def write_log(course: SimCourse, learners: int, seed: int, out: Path,
              sessions: tuple[int, int], attempts_per_session: tuple[int, int]) -> int:
    histories = simulate_population(course, learners, seed=seed,
                                    start=datetime(2026, 1, 5, 8, tzinfo=UTC),
                                    sessions=sessions, attempts_per_session=attempts_per_session)
    skills_of = {exercise.key: exercise.skills for exercise in course.exercises}
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ATTEMPT_COLUMNS)
        for history in histories:
            previous = None
            for attempt in history.attempts:
                writer.writerow([
                    f"sim{history.learner_index}", attempt.exercise_key,
                    ";".join(skills_of[attempt.exercise_key]), int(attempt.correct),
                    f"{attempt.submitted_at.timestamp():.0f}",
                    int(attempt.session_index != previous),
                ])
                previous = attempt.session_index
                rows += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m learnpath.scripts.simulated_log",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--course", type=Path, required=True, help="learnpath-course JSON")
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--sessions", type=int, nargs=2, default=(3, 10))
    parser.add_argument("--attempts-per-session", type=int, nargs=2, default=(5, 20))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    course = course_from_document(json.loads(args.course.read_text()))
    rows = write_log(course, args.learners, args.seed, args.out, tuple(args.sessions),
                     tuple(args.attempts_per_session))
    print(f"{args.learners} learners, {rows} attempts -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
